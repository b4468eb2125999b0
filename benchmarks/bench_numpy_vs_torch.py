"""Training throughput of the NumPy LeNet-5 against PyTorch's, on the CPU, in one run.

Usage:
    python benchmarks/bench_numpy_vs_torch.py [--rounds 5] [--steps 30] [--batch-size 128]
                                              [--single-thread]

Both train the same network (the book's LeNet-5, float32, softmax
cross-entropy, SGD with momentum and weight decay) on the same random
batches. The two are timed in alternating rounds, so that a neighbour's load
on a shared machine hits both alike; the script prints images/s for each
(median and best round), their ratio, the CPU time each spends per step, and
where the NumPy step spends its time, layer by layer (each layer's
activation included; forward and backward together).

``--single-thread`` limits both to one thread (OpenBLAS for NumPy,
``torch.set_num_threads(1)``): a fair comparison of the work each does, and
one that a busy shared machine disturbs much less than two threads each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30, help="training steps per round")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--single-thread", action="store_true",
                        help="one thread for NumPy's BLAS and for torch")
    return parser.parse_args(argv)


def timed(run) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.single_thread:  # must be set before NumPy loads OpenBLAS
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = "1"

    import numpy as np
    import torch

    from lenet_common.numpy_lenet import SGD, LeNet5
    from lenet_common.numpy_lenet.profiling import median_round, time_training_rounds
    from lenet_common.torch_lenet import LeNet5 as TorchLeNet5

    if args.single_thread:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    n = args.steps * args.batch_size
    xs = rng.standard_normal((args.steps, args.batch_size, 1, 32, 32)).astype(np.float32)
    ys = rng.integers(0, 10, (args.steps, args.batch_size))
    print(f"CPU cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, NumPy BLAS threads: "
          f"{'1' if args.single_thread else 'default'}; NumPy {np.__version__}, torch {torch.__version__}")
    print(f"load average before: {load_average()}")

    np_model = LeNet5(seed=0)
    np_opt = SGD(np_model.params, lr=0.01, momentum=0.9, weight_decay=5e-4)
    torch.manual_seed(0)
    t_model = TorchLeNet5().train()
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    t_xs = [torch.from_numpy(x) for x in xs]
    t_ys = [torch.from_numpy(y) for y in ys]

    def torch_round(count: int = args.steps) -> None:
        for x, y in zip(t_xs[:count], t_ys[:count]):
            t_opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(t_model(x), y)
            loss.backward()
            t_opt.step()

    torch_round(3)  # warm-up
    batches = list(zip(xs, ys))
    runs: dict[str, list[tuple[float, float]]] = {"NumPy": [], "PyTorch": []}
    numpy_rounds = []
    for _ in range(args.rounds):  # alternate: one NumPy round, one PyTorch round
        (result,) = time_training_rounds(np_model, np_opt, batches, rounds=1)
        numpy_rounds.append(result)
        runs["NumPy"].append((result.wall, result.cpu))
        runs["PyTorch"].append(timed(torch_round))

    print(f"\nTraining throughput, batch {args.batch_size}, float32, {args.rounds} rounds of "
          f"{args.steps} steps:")
    print(f"  {'':8s} {'median img/s':>13s} {'best img/s':>11s} {'CPU ms/step':>12s}")
    rates = {}
    for name, results in runs.items():
        walls = [w for w, _ in results]
        cpu_ms = 1e3 * sum(c for _, c in results) / (args.rounds * args.steps)
        rates[name] = (n / statistics.median(walls), n / min(walls))
        print(f"  {name:8s} {rates[name][0]:13,.0f} {rates[name][1]:11,.0f} {cpu_ms:12.1f}")
    (np_med, np_best), (t_med, t_best) = rates["NumPy"], rates["PyTorch"]
    print(f"  NumPy / PyTorch throughput: {np_med / t_med:.2f} (median), {np_best / t_best:.2f} (best)")

    # the breakdown of the median NumPy round: one busy moment does not skew it
    typical = median_round(numpy_rounds)
    print(f"\nNumPy wall time per training step (median round): {1e3 * typical.wall / typical.steps:.1f} ms; "
          "by layer (forward + backward):")
    step_ms = 1e3 * typical.wall / typical.steps
    for name, ms in typical.per_step_ms().items():
        print(f"  {name:8s} {ms:6.2f} ms  {100 * ms / step_ms:5.1f}%")
    print(f"\nload average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
