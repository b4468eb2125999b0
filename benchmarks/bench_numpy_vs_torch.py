"""Training throughput of the NumPy LeNet-5, speed-up by speed-up, against PyTorch's.

Usage (about a minute on two cores):
    python benchmarks/bench_numpy_vs_torch.py [--rounds 7] [--steps 30]
                                              [--batch-size N]
                                              [--json PATH | --store]

Every variant trains the same network (the book's LeNet-5, float32, softmax
cross-entropy, SGD with the book recipe's momentum and weight decay) on the same random
batches, each at its default thread settings unless its name says otherwise:

- ``taught``: ``LeNet5.loss_and_grads``, the layers the NumPy chapter
  derives (NCHW, a matrix product per image), OpenBLAS's default threads;
- ``taught_1thread``: the same with OpenBLAS held to one thread;
- ``batch_last_fresh``: ``numpy_lenet.fast``'s step in one thread, but with
  every array freshly allocated, as plain NumPy code does;
- ``batch_last``: the same step reusing its buffers (one thread);
- ``numpy``: the training loop's step, split across the cores (the book's
  NumPy LeNet-5 as it trains);
- ``pytorch``: the PyTorch LeNet-5 with torch's default threads;
- ``pytorch_channels_last``: the same with its maps stored channels-last,
  the order oneDNN's CPU convolutions read fastest (not torch's default).

The variants run in alternating rounds, so that a neighbour's load on a
shared machine hits them alike, and the NumPy/PyTorch ratio is taken round
by round (its median is reported). The script also times the fast step layer
by layer (one thread), and measures the memory a training step allocates at
its peak (tracemalloc, untimed). It prints a table and writes JSON: to
``--json PATH``, or with ``--store`` to ``lenet_common/results/`` under the
machine's name and today's date, where the NumPy chapter finds it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from lenet_common import lenet5
from lenet_common.numpy_lenet import SGD, LeNet5, fast
from lenet_common.plumbing import machine, results

#: The book recipe's optimiser settings (its rate held constant while timing).
RECIPE = lenet5.book_recipe(quick=False)

LAYERS = ("input", "c1", "s2", "c3", "s4", "c5", "f6", "loss")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--steps", type=int, default=30, help="training steps per round"
    )
    parser.add_argument("--batch-size", type=int, default=RECIPE.batch_size)
    parser.add_argument("--json", default=None, help="write the result here")
    parser.add_argument(
        "--store",
        action="store_true",
        help="write it to lenet_common/results/ for the book",
    )
    args = parser.parse_args(argv)
    if min(args.rounds, args.steps, args.batch_size) < 1:
        parser.error("--rounds, --steps and --batch-size must be at least 1")
    return args


class FreshWorkspace(fast.Workspace):
    """A workspace that keeps nothing: every array is new, as in plain NumPy code."""

    def get(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        self.arrays[name] = np.empty(shape, dtype)
        return self.arrays[name]


def blas_limit(threads: int | None):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(threads, user_api="blas")


def numpy_variants(
    batches, threads: int
) -> dict[str, Callable[[np.ndarray, np.ndarray], Any]]:
    """One ``step(x, y)`` per NumPy variant, each with its own model and optimizer."""
    steps = {}

    def with_sgd(model: LeNet5, loss_and_grads):
        optimizer = SGD(
            model.params,
            lr=RECIPE.learning_rate,
            momentum=RECIPE.momentum,
            weight_decay=RECIPE.weight_decay,
        )

        def step(x, y):
            _, grads, _ = loss_and_grads(x, y)
            optimizer.step(grads)

        return step

    taught = LeNet5(seed=0)
    steps["taught"] = with_sgd(taught, taught.loss_and_grads)
    taught1 = LeNet5(seed=0)
    steps["taught_1thread"] = with_sgd(taught1, taught1.loss_and_grads)
    fresh = LeNet5(seed=0)
    fresh_ws = FreshWorkspace()
    steps["batch_last_fresh"] = with_sgd(
        fresh, lambda x, y: fast.loss_and_grads(fresh.params, x, y, fresh_ws)
    )
    reused = LeNet5(seed=0)
    steps["batch_last"] = with_sgd(reused, fast.TrainingStep(reused.params, threads=1))
    split = LeNet5(seed=0)
    steps["numpy"] = with_sgd(split, fast.TrainingStep(split.params, threads=threads))
    return steps


BLAS_THREADS = {
    "taught": None,
    "taught_1thread": 1,
    "batch_last_fresh": 1,
    "batch_last": 1,
    "numpy": None,
}


def torch_variant(batches, channels_last: bool = False):
    import torch

    from lenet_common.torch_lenet import LeNet5 as TorchLeNet5
    from lenet_common.torch_lenet import set_params

    model = set_params(TorchLeNet5(), lenet5.initial_params(RECIPE.seed)).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=RECIPE.learning_rate,
        momentum=RECIPE.momentum,
        weight_decay=RECIPE.weight_decay,
    )

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step, [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]


def page_faults() -> int:
    """Minor page faults of this process so far (0 where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def time_round(
    step, batches, blas_threads: int | None = None
) -> tuple[float, float, int]:
    """Wall and CPU seconds, and page faults, of one pass over ``batches``."""
    with blas_limit(blas_threads) if blas_threads else _nothing():
        faults = page_faults()
        wall, cpu = time.perf_counter(), time.process_time()
        for x, y in batches:
            step(x, y)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return wall, cpu, page_faults() - faults


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def layer_times(batches, rounds: int) -> dict[str, float]:
    """Milliseconds per step in each layer of the fast step, one thread, median round.

    The step's functions are wrapped from outside (the taught code carries no
    timers); a layer's time includes its activation and, for S2 and S4, the
    backward pass of the tanh before them, which is fused into theirs.
    """
    names = {
        "to_batch_last": lambda a: "input",
        "conv_tanh_forward": lambda a: a[4],
        "avg_pool_forward": lambda a: a[2],
        "dense_tanh_forward": lambda a: "f6",
        "dense_tanh_backward": lambda a: "f6",
        "tanh_backward": lambda a: "c5",
        "avg_pool_tanh_backward": lambda a: a[3],
        "conv_backward": lambda a: a[4],
        "softmax_cross_entropy": lambda a: "loss",
    }
    spent: dict[str, float] = {}
    originals = {name: getattr(fast, name) for name in names}

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                layer = names[name](args)
                spent[layer] = spent.get(layer, 0.0) + time.perf_counter() - start

        return wrapper

    model = LeNet5(seed=0)
    ws = fast.Workspace()
    per_round = []
    try:
        for name, fn in originals.items():
            setattr(fast, name, timed(name, fn))
        with blas_limit(1):
            fast.loss_and_grads(model.params, *batches[0], ws)
            for _ in range(rounds):
                spent.clear()
                start = time.perf_counter()
                for x, y in batches:
                    fast.loss_and_grads(model.params, x, y, ws)
                total = time.perf_counter() - start
                per_round.append((total, dict(spent)))
    finally:
        for name, fn in originals.items():
            setattr(fast, name, fn)
    total, spent = sorted(per_round, key=lambda r: r[0])[len(per_round) // 2]
    ms = {layer: 1e3 * spent.get(layer, 0.0) / len(batches) for layer in LAYERS}
    ms["rest"] = 1e3 * total / len(batches) - sum(ms.values())
    return ms


def step_memory_mib(step, batch) -> float:
    """Peak memory of a first training step, buffers and caches included, in MiB.

    NumPy reports its allocations to tracemalloc; the model's parameters and
    the optimizer's velocities exist before and are not counted.
    """
    tracemalloc.start()
    try:
        step(*batch)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    threads = fast.default_threads()
    rng = np.random.default_rng(0)
    batches = [
        (
            rng.standard_normal((args.batch_size, 1, 32, 32)).astype(np.float32),
            rng.integers(0, 10, args.batch_size),
        )
        for _ in range(args.steps)
    ]
    info = machine.machine() | {
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    before = machine.load()
    print(
        f"{info['cpu']}, {info['cores']} cores; NumPy {info['numpy']} "
        f"({info.get('blas')}), torch {info['torch']} "
        f"({info['torch_threads']} threads); "
        f"NumPy step threads: {threads}"
    )
    print(f"before: {before['uptime'] or before['load_average']}")

    steps = numpy_variants(batches, threads)
    torch_steps = {
        "pytorch": torch_variant(batches),
        "pytorch_channels_last": torch_variant(batches, channels_last=True),
    }
    for name, step in steps.items():  # warm-up, not timed
        time_round(step, batches[:2], BLAS_THREADS[name])
    for torch_step, torch_batches in torch_steps.values():
        time_round(torch_step, torch_batches[:2])

    rounds: dict[str, list[tuple[float, float, int]]] = {
        n: [] for n in [*steps, *torch_steps]
    }
    for _ in range(args.rounds):  # one round of each variant, in turn
        for name, step in steps.items():
            rounds[name].append(time_round(step, batches, BLAS_THREADS[name]))
        for name, (torch_step, torch_batches) in torch_steps.items():
            rounds[name].append(time_round(torch_step, torch_batches))
    images = args.steps * args.batch_size
    variants = {}
    for name, measured in rounds.items():
        walls = [w for w, _, _ in measured]
        variants[name] = {
            "label": LABELS[name],
            "images_per_second": {
                "median": images / statistics.median(walls),
                "best": images / min(walls),
                "rounds": [images / w for w in walls],
            },
            "cpu_ms_per_step": 1e3
            * statistics.median(c for _, c, _ in measured)
            / args.steps,
            "page_faults_per_step": statistics.median(f for _, _, f in measured)
            / args.steps,
        }
    per_round = [t[0] / n[0] for n, t in zip(rounds["numpy"], rounds["pytorch"])]
    ratio = {
        "median_of_rounds": statistics.median(per_round),
        "rounds": per_round,
        "of_medians": variants["numpy"]["images_per_second"]["median"]
        / variants["pytorch"]["images_per_second"]["median"],
    }
    per_round_cl = [
        t[0] / n[0] for n, t in zip(rounds["numpy"], rounds["pytorch_channels_last"])
    ]
    ratio_cl = {
        "median_of_rounds": statistics.median(per_round_cl),
        "rounds": per_round_cl,
    }
    layers = layer_times(batches, args.rounds)
    fresh_steps = numpy_variants(batches, threads)  # new models: nothing allocated yet
    memory = {
        name: step_memory_mib(fresh_steps[name], batches[0])
        for name in ("taught", "batch_last_fresh", "batch_last", "numpy")
    }
    after = machine.load()
    result = {
        "benchmark": "numpy_vs_torch",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_numpy_vs_torch.py "
        + " ".join(argv or sys.argv[1:]),
        "machine": info,
        "settings": {
            "rounds": args.rounds,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "numpy_threads": threads,
            "dtype": "float32",
        },
        "load": {"before": before, "after": after},
        "variants": variants,
        "ratio_numpy_to_pytorch": ratio,
        "ratio_numpy_to_pytorch_channels_last": ratio_cl,
        "layer_ms_per_step": layers,
        "step_memory_mib": memory,
    }
    print_table(result)
    path = args.json or (
        results.result_path("numpy_vs_torch", info) if args.store else None
    )
    if path:
        print(f"\nwritten: {results.write(path, result)}")
    return 0


LABELS = {
    "taught": "taught layers (NCHW), BLAS default threads",
    "taught_1thread": "taught layers, 1 BLAS thread",
    "batch_last_fresh": "batch last, fresh arrays, 1 thread",
    "batch_last": "batch last, buffers reused, 1 thread",
    "numpy": "batch last, batch split across threads",
    "pytorch": "PyTorch, default threads",
    "pytorch_channels_last": "PyTorch, channels-last maps, default threads",
}


def print_table(result: dict[str, Any]) -> None:
    s = result["settings"]
    print(
        f"\nTraining throughput, batch {s['batch_size']}, float32, "
        f"median of {s['rounds']} "
        f"rounds of {s['steps']} steps:"
    )
    print(
        f"  {'':44s} {'img/s':>8s} {'best':>8s} {'CPU ms/step':>12s} "
        f"{'faults/step':>12s}"
    )
    for v in result["variants"].values():
        ips = v["images_per_second"]
        print(
            f"  {v['label']:44s} {ips['median']:8,.0f} {ips['best']:8,.0f} "
            f"{v['cpu_ms_per_step']:12.1f} {v['page_faults_per_step']:12.0f}"
        )
    r = result["ratio_numpy_to_pytorch"]
    print(
        f"  NumPy / PyTorch: {r['median_of_rounds']:.2f} "
        "(median of the rounds' ratios; "
        f"rounds {', '.join(f'{x:.2f}' for x in r['rounds'])})"
    )
    cl = result.get("ratio_numpy_to_pytorch_channels_last")
    if cl:
        print(
            f"  NumPy / PyTorch with channels-last maps: {cl['median_of_rounds']:.2f}"
        )
    print(
        "\nFast step, one thread, by layer (ms per step; S2/S4 include the tanh "
        "backward "
        "before them):"
    )
    layers = result["layer_ms_per_step"]
    total = sum(layers.values())
    for name, ms in layers.items():
        print(f"  {name:6s} {ms:6.2f} ms {100 * ms / total:5.1f}%")
    print(
        "\nPeak memory of a training step (tracemalloc): "
        + ", ".join(
            f"{name} {mib:.1f} MiB" for name, mib in result["step_memory_mib"].items()
        )
    )
    after = result["load"]["after"]
    print("after: " + (after["uptime"] or str(after["load_average"])))


if __name__ == "__main__":
    sys.exit(main())
