"""How the 1998 appendix trains faster on a CPU: channels-last maps, two runs at once.

Usage:
    LENET_DATA_DIR=... python benchmarks/bench_lenet1998_speed.py
        [--images 20000] [--rounds 3] [--threads 2] [--json PATH | --store]

Two comparisons, each timed in alternating rounds so that both ways see the
same machine, with the chapter's full-mode recipes on the first ``--images``
training images:

``memory format``  one pass of the distorted recipe with the network's maps in
                   PyTorch's default order (N, C, H, W) against channels-last;
``two runs``       one pass of each recipe (no distortions, affine), one run
                   after the other against ``lenet1998.train.train_together``.
                   Both ways store the maps channels-last, as ``train`` does.

Prints a table and writes JSON (``--json PATH``; ``--store`` keeps it in
``lenet_common/results/lenet1998_speed-<machine>-<date>.json``, where the
appendix finds it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lenet_common import data
from lenet_common.lenet1998 import model as L
from lenet_common.lenet1998 import train as T
from lenet_common.plumbing import machine, results


def _model(memory_format: torch.memory_format = torch.contiguous_format) -> L.LeNet1998:
    torch.manual_seed(0)
    return L.LeNet1998().to(memory_format=memory_format)


def bench_memory_format(x: torch.Tensor, y: torch.Tensor, rounds: int) -> dict:
    """Seconds per pass of the affine recipe, default order against channels-last."""
    recipe = T.recipe("affine", quick=False)
    ways = {
        "default (N, C, H, W)": torch.contiguous_format,
        "channels-last": torch.channels_last,
    }
    runs = {}
    for name, memory_format in ways.items():
        model = _model(memory_format)
        runs[name] = (model, T.make_optimizer(model, recipe))
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for r in range(rounds):
        for name, (model, optimizer) in runs.items():
            start = time.perf_counter()
            T.train_one_pass(
                model, optimizer, x, y, recipe, 0, np.random.default_rng(r)
            )
            seconds[name].append(time.perf_counter() - start)
    return _summary(seconds, "channels-last")


def bench_two_runs(mnist: data.LeNetData, n: int, rounds: int) -> dict:
    """Seconds for one pass of each recipe: one run after the other, or together."""
    args = (mnist.x_train[:n], mnist.y_train[:n], mnist.x_val, mnist.y_val)

    def runs() -> dict:
        recipes = {
            k: dataclasses.replace(T.recipe(k, quick=False), epochs=1)
            for k in ("none", "affine")
        }
        return {k: (_model(), recipe) for k, recipe in recipes.items()}

    def one_after_the_other() -> None:
        for model, recipe in runs().values():
            T.train(model, *args, recipe, show_progress=False)

    def together() -> None:
        T.train_together(runs(), *args, show_progress=False)

    ways = {"one after the other": one_after_the_other, "together": together}
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - start)
    return _summary(seconds, "together")


def _summary(seconds: dict[str, list[float]], faster: str) -> dict:
    """Medians, and the speed-up of ``faster`` as the median of per-round ratios."""
    (base,) = [name for name in seconds if name != faster]
    ratios = [b / f for b, f in zip(seconds[base], seconds[faster])]
    return {
        "seconds": seconds,
        "median_seconds": {name: statistics.median(s) for name, s in seconds.items()},
        "speedup": statistics.median(ratios),
        "speedup_per_round": ratios,
    }


def _print(title: str, result: dict) -> None:
    print(f"\n{title}")
    for name, median in result["median_seconds"].items():
        rounds = ", ".join(f"{s:.2f}" for s in result["seconds"][name])
        print(f"  {name:<22} {median:6.2f} s  (rounds: {rounds})")
    per_round = ", ".join(f"{r:.2f}" for r in result["speedup_per_round"])
    print(f"  speed-up {result['speedup']:.2f}x (per round: {per_round})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", type=Path, help="write the result to this file")
    out.add_argument(
        "--store",
        action="store_true",
        help="keep the result in lenet_common/results/ (machine, date)",
    )
    args = parser.parse_args(argv)
    if args.images < 128 or args.rounds < 1 or args.threads < 1:
        parser.error("need --images >= 128, --rounds >= 1 and --threads >= 1")
    torch.set_num_threads(args.threads)
    mnist = data.load_lenet_data(normalization="paper")
    n = min(args.images, len(mnist.y_train))
    report: dict = {
        "benchmark": "lenet1998_speed",
        "machine": machine.machine(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes"),
        "torch": torch.__version__,
        "threads": args.threads,
        "images": n,
        "rounds": args.rounds,
        "data": mnist.source,
        "load": {"before": machine.load()},
    }
    print(
        f"{report['machine']['cpu']}, torch {torch.__version__}, {args.threads} "
        f"threads, {n:,} {mnist.source} images, load {report['load']['before']['load_average']}"
    )
    x = torch.as_tensor(mnist.x_train[:n])
    y = torch.as_tensor(mnist.y_train[:n]).long()
    report["memory_format"] = bench_memory_format(x, y, args.rounds)
    _print(
        "One pass, affine distortions: the maps' order in memory",
        report["memory_format"],
    )
    report["two_runs"] = bench_two_runs(mnist, n, args.rounds)
    _print(
        "One pass of each recipe: one run after the other, or both at once",
        report["two_runs"],
    )
    report["load"]["after"] = machine.load()
    path = (
        results.result_path("lenet1998_speed", report["machine"])
        if args.store
        else args.json
    )
    if path is not None:
        print(f"\nwritten: {results.write(path, report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
