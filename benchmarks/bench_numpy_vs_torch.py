"""Training throughput of the NumPy LeNet-5 against PyTorch's, on the CPU, in one run.

Usage:
    python benchmarks/bench_numpy_vs_torch.py [--rounds 5] [--steps 30] [--batch-size 128]

Both train the same network (the book's LeNet-5, float32, softmax
cross-entropy, SGD with momentum) on the same random batches. The two are
timed in alternating rounds, so that a neighbour's load on a shared machine
hits both alike; the script prints images/s for each (median and best
round), their ratio, and where the NumPy step spends its time, layer by
layer (each layer's activation included; forward and backward together).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from lenet_common.numpy_lenet import SGD, LeNet5
from lenet_common.numpy_lenet.model import LAYER_NAMES


def numpy_round(model: LeNet5, optimizer: SGD, xs: np.ndarray, ys: np.ndarray) -> float:
    """Seconds for one training step on each batch of ``xs``."""
    start = time.perf_counter()
    for x, y in zip(xs, ys):
        _, grads, _ = model.loss_and_grads(x, y)
        optimizer.step(grads)
    return time.perf_counter() - start


def torch_round(torch, model, optimizer, xs, ys) -> float:
    start = time.perf_counter()
    for x, y in zip(xs, ys):
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30, help="training steps per round")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    import torch

    from lenet_common.torch_lenet import LeNet5 as TorchLeNet5

    rng = np.random.default_rng(0)
    n = args.steps * args.batch_size
    xs = rng.standard_normal((args.steps, args.batch_size, 1, 32, 32)).astype(np.float32)
    ys = rng.integers(0, 10, (args.steps, args.batch_size))
    print(f"CPU cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, "
          f"NumPy {np.__version__}, torch {torch.__version__}; load average before: {load_average()}")

    np_model = LeNet5(seed=0)
    np_opt = SGD(np_model.params, lr=0.01, momentum=0.9, weight_decay=5e-4)
    torch.manual_seed(0)
    t_model = TorchLeNet5().train()
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    t_xs = [torch.from_numpy(x) for x in xs]
    t_ys = [torch.from_numpy(y) for y in ys]

    numpy_round(np_model, np_opt, xs[:3], ys[:3])  # warm up both
    torch_round(torch, t_model, t_opt, t_xs[:3], t_ys[:3])
    np_model.timings = {}
    np_times, torch_times = [], []
    for _ in range(args.rounds):
        np_times.append(numpy_round(np_model, np_opt, xs, ys))
        torch_times.append(torch_round(torch, t_model, t_opt, t_xs, t_ys))

    def rates(times):
        return n / statistics.median(times), n / min(times)

    np_med, np_best = rates(np_times)
    t_med, t_best = rates(torch_times)
    print(f"\nTraining throughput, batch {args.batch_size}, float32, {args.rounds} rounds of "
          f"{args.steps} steps (images/s):")
    print(f"  {'':8s} {'median':>9s} {'best':>9s}")
    print(f"  {'NumPy':8s} {np_med:9,.0f} {np_best:9,.0f}")
    print(f"  {'PyTorch':8s} {t_med:9,.0f} {t_best:9,.0f}")
    print(f"  NumPy / PyTorch: {np_med / t_med:.2f} (median), {np_best / t_best:.2f} (best)")

    steps = args.rounds * args.steps
    timed = dict(np_model.timings)
    step_ms = 1e3 * sum(np_times) / steps
    print(f"\nNumPy time per training step: {step_ms:.1f} ms; by layer (forward + backward):")
    parts = [(name, timed.get(name, 0.0)) for name in (*LAYER_NAMES, "loss")]
    other = sum(np_times) - sum(t for _, t in parts)
    for name, seconds in [*parts, ("SGD step and rest", other)]:
        print(f"  {name:18s} {1e3 * seconds / steps:6.2f} ms  {100 * seconds / sum(np_times):5.1f}%")
    print(f"\nload average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
