"""The 1998 network: C3's two implementations, three optimisers, comparison runs.

Usage:
    python benchmarks/bench_lenet1998.py [--part c3|optimisers|runs|all ...]
                                         [--threads 2] [--json PATH | --store]

Three parts, each printing a table:

``c3``          forward + backward of C3 as one masked convolution
                (``lenet1998.TableConv``) and as three grouped convolutions
                over gathered input maps, timed in alternating rounds.
``optimisers``  two passes over 20,000 training images with SDLM (the paper's
                step sizes, on batches), SGD with momentum and Adam, each at a
                few step sizes, the paper's loss, no distortions: validation
                accuracy after each pass.
``runs``        full-MNIST runs of the chapter's recipes that the chapter
                does not train itself: cross-entropy on the negated distances
                (without and with affine distortions) and the paper's loss
                with elastic distortions; test error and time of each.

``--json PATH`` writes the result to a file; ``--store`` keeps it in
``lenet_common/results/lenet1998-<machine>-<date>.json``, where the chapter
finds it (``results.latest("lenet1998")``), with the machine, the date and
the load average. The optimisers and runs need full MNIST (``LENET_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from lenet_common import data, shapes
from lenet_common.lenet1998 import model as L
from lenet_common.lenet1998 import train as T
from lenet_common.plumbing import machine, results


class GroupedC3(torch.nn.Module):
    """C3 as three grouped convolutions over gathered inputs (connected pairs only)."""

    def __init__(self) -> None:
        super().__init__()
        table = shapes.c3_connection_table()
        inputs = [[i for i in range(6) if table[i][o]] for o in range(16)]
        groups = [(0, 6), (6, 15), (15, 16)]  # maps with 3, 4 and 6 inputs
        self.index = [torch.tensor(sum(inputs[a:b], [])) for a, b in groups]
        self.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.randn(b - a, len(inputs[a]), 5, 5) * 0.05)
            for a, b in groups
        )
        self.groups = [b - a for a, b in groups]
        self.bias = torch.nn.Parameter(torch.zeros(16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [
            F.conv2d(x[:, idx], w, groups=g)
            for idx, w, g in zip(self.index, self.weights, self.groups)
        ]
        return torch.cat(parts, dim=1) + self.bias.view(1, -1, 1, 1)


def bench_c3(rounds: int = 7, steps: int = 20, batch: int = 128) -> dict:
    layers = {
        "masked dense convolution": L.TableConv(shapes.c3_connection_table()),
        "three grouped convolutions": GroupedC3(),
    }
    x = torch.randn(batch, 6, 14, 14, requires_grad=True)
    times: dict[str, list[float]] = {name: [] for name in layers}
    for _ in range(rounds):
        for name, layer in layers.items():
            for _ in range(3):
                layer(x).sum().backward()
            start = time.perf_counter()
            for _ in range(steps):
                layer(x).sum().backward()
            times[name].append((time.perf_counter() - start) / steps)
    result = {
        name: {"median_ms": 1000 * statistics.median(t), "best_ms": 1000 * min(t)}
        for name, t in times.items()
    }
    print(f"\nC3 forward + backward, batch {batch}, median of {rounds} rounds")
    for name, r in result.items():
        print(f"  {name:<28} {r['median_ms']:7.2f} ms  (best {r['best_ms']:.2f})")
    return result


def bench_optimisers(mnist: data.LeNetData, n_images: int = 20_000) -> dict:
    settings = [("sdlm", lr) for lr in (3e-5, 1e-4, 3e-4)]
    settings += [("sgd", lr) for lr in (0.003, 0.01, 0.03)]
    settings += [("adam", lr) for lr in (1e-3, 3e-3)]
    x, y = mnist.x_train[:n_images], mnist.y_train[:n_images]
    result = {}
    print(
        f"\nTwo passes over {n_images:,} images, paper's loss, "
        "constant step after warm-up"
    )
    for optimiser, lr in settings:
        recipe = T.Recipe(
            epochs=2, batch_size=128, lr=lr, optimizer=optimiser, schedule="constant"
        )
        torch.manual_seed(0)
        model = L.LeNet1998()
        start = time.perf_counter()
        history = T.train(
            model, x, y, mnist.x_val, mnist.y_val, recipe, show_progress=False
        )
        key = f"{optimiser} lr={lr:g}"
        result[key] = {
            "val_accuracy": history["val_accuracy"],
            "seconds": time.perf_counter() - start,
        }
        print(
            f"  {key:<16} validation accuracy per pass: "
            + ", ".join(f"{a:.2%}" for a in history["val_accuracy"])
        )
    return result


RUNS = {
    "1998 network, cross-entropy, no distortions": dict(
        distortion="none", loss="cross_entropy"
    ),
    "1998 network, cross-entropy, affine distortions": dict(
        distortion="affine", loss="cross_entropy"
    ),
    "1998 network, paper's loss, elastic distortions": dict(
        distortion="elastic", loss="paper"
    ),
}


def bench_runs(mnist: data.LeNetData) -> dict:
    result = {}
    print("\nFull runs (the chapter's recipes)")
    for name, kw in RUNS.items():
        recipe = T.recipe(kw["distortion"], loss=kw["loss"], quick=False)
        torch.manual_seed(0)
        model = L.LeNet1998()
        start = time.perf_counter()
        history = T.train(
            model,
            mnist.x_train,
            mnist.y_train,
            mnist.x_val,
            mnist.y_val,
            recipe,
            show_progress=False,
        )
        seconds = time.perf_counter() - start
        _, accuracy = T.evaluate(model, mnist.x_test, mnist.y_test)
        result[name] = {
            "test_error": 1 - accuracy,
            "seconds": seconds,
            "val_accuracy": history["val_accuracy"],
            "recipe": repr(recipe),
            "load": {"after": machine.load()},
        }
        print(f"  {name:<48} test error {1 - accuracy:.2%}  {seconds:6.0f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        nargs="+",
        choices=("c3", "optimisers", "runs", "all"),
        default=["all"],
        help="one or more parts (default: all)",
    )
    parser.add_argument("--threads", type=int, default=2)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", type=Path, help="write the result to this file")
    out.add_argument(
        "--store",
        action="store_true",
        help="keep the result in lenet_common/results/ (machine, date)",
    )
    args = parser.parse_args(argv)
    parts = {"c3", "optimisers", "runs"} if "all" in args.part else set(args.part)
    torch.set_num_threads(args.threads)
    report: dict = {
        "benchmark": "lenet1998",
        "machine": machine.machine(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
        "torch": torch.__version__,
        "threads": args.threads,
        "load": {"before": machine.load()},
    }
    print(
        f"{report['machine']}; torch {torch.__version__}, {args.threads} threads; "
        f"load average {report['load']['before']['load_average']}"
    )
    if "c3" in parts:
        report["c3"] = bench_c3()
    if parts & {"optimisers", "runs"}:
        mnist = data.load_lenet_data(normalization="paper", allow_sample=False)
        if "optimisers" in parts:
            report["optimisers"] = bench_optimisers(mnist)
        if "runs" in parts:
            report["runs"] = bench_runs(mnist)
    report["load"]["after"] = machine.load()
    path = (
        results.result_path("lenet1998", report["machine"]) if args.store else args.json
    )
    if path is not None:
        print(f"\nwritten: {results.write(path, report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
