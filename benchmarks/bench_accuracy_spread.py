"""How much the book's test accuracy moves from seed to seed, per implementation.

Each chapter trains LeNet-5 once, with the recipe's seed 0, and asserts a
test accuracy. One run says little about the next: another seed (other
starting weights, another order of the batches) or another machine (other
round-off) lands a little higher or lower. This script trains each
implementation as its chapter does (``side_by_side.train_run``), once per
seed, one run after another (seed by seed, each implementation in turn),
and reports the spread, so that the chapters' sentences and assertions say
what holds on any machine.

    python benchmarks/bench_accuracy_spread.py --store     # full MNIST, seeds 0 1 2
    python benchmarks/bench_accuracy_spread.py --seeds 0 1 2 3 4 --frameworks numpy
    python benchmarks/bench_accuracy_spread.py --quick --json /tmp/spread.json
    python benchmarks/bench_accuracy_spread.py --merge a.json b.json --store

It prints a table and writes JSON: the machine, the date, the load before and
after, the library versions, the recipe and every run; ``--store`` keeps it
in ``lenet_common/results/`` (``results.latest("accuracy_spread")``), where
the chapters find it. ``--merge`` joins the results of several processes
run side by side on the same machine, each with its own seeds. The data
split is the chapters' own; only the recipe's seed changes. Full mode trains
every chapter's network once per seed: hours on a laptop. Run it with
``nice`` on a machine you can spare.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from lenet_common import data, lenet5
from lenet_common.comparison import registry
from lenet_common.plumbing import machine, results

FRAMEWORKS = registry.NAMES


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--frameworks", nargs="+", choices=FRAMEWORKS, default=list(FRAMEWORKS)
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--quick", action="store_true", help="the quick-mode recipe and sample"
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="JSON",
        help="train nothing: join these results of this script (other seeds, "
        "run in other processes on the same machine) into one",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--json", type=Path, help="write the result to this file")
    where.add_argument(
        "--store", action="store_true", help="keep it in lenet_common/results/"
    )
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds) or min(args.seeds) < 0:
        parser.error(f"--seeds must be distinct integers >= 0, got {args.seeds}")
    if args.merge and len(args.merge) < 2:
        parser.error("--merge needs two result files or more")
    if args.store and args.quick:
        parser.error("--store keeps full-mode results only: drop --quick or use --json")
    return args


def versions(framework: str) -> dict[str, str]:
    found = {}
    for name in registry.get(framework).libraries:
        for distribution in (name, f"{name}-cpu"):  # tensorflow-cpu on some machines
            try:
                found[distribution] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                pass
    return found


def train_and_test(implementation: str, recipe: lenet5.Recipe, d: Any) -> float:
    """Train ``implementation`` as its chapter does; return its test accuracy."""
    from lenet_common import runtime
    from lenet_common.comparison import side_by_side

    runtime.seed_everything(recipe.seed)
    params, _, _ = side_by_side.train_run(implementation, d, recipe)
    model = side_by_side.model_from(implementation, params, recipe)
    predictions = side_by_side.surface(implementation).predict(model, d.x_test)
    return float(np.mean(predictions == d.y_test))


def summarise(accuracies: list[float]) -> dict[str, float]:
    """Mean, smallest, largest and sample standard deviation."""
    return {
        "mean": statistics.fmean(accuracies),
        "min": min(accuracies),
        "max": max(accuracies),
        "std": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
    }


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several runs of this script on the same machine and recipe.

    Each implementation's runs are joined (a seed may appear once) and
    summarised again; ``parts`` keeps each run's command, date and load.
    """
    base = parts[0]
    for part in parts[1:]:
        for key in ("benchmark", "machine", "data", "recipe"):
            if part[key] != base[key]:
                raise ValueError(
                    f"cannot merge results whose {key!r} differ: "
                    f"{base[key]!r} and {part[key]!r}"
                )
    frameworks: dict[str, dict[str, Any]] = {}
    for part in parts:
        for name, found in part["frameworks"].items():
            entry = frameworks.setdefault(
                name, {"versions": found["versions"], "runs": []}
            )
            if found["versions"] != entry["versions"]:
                raise ValueError(f"{name} ran with other library versions in one part")
            twice = {r["seed"] for r in entry["runs"]} & {
                r["seed"] for r in found["runs"]
            }
            if twice:
                raise ValueError(f"{name} has seed(s) {sorted(twice)} in two parts")
            joined = entry["runs"] + found["runs"]
            entry["runs"] = sorted(joined, key=lambda r: r["seed"])
    for entry in frameworks.values():
        entry.update(summarise([r["test_accuracy"] for r in entry["runs"]]))
    return {
        **{k: base[k] for k in ("benchmark", "what", "machine", "data", "recipe")},
        "command": " ; ".join(part["command"] for part in parts),
        "date": min(part["date"] for part in parts),
        "load": {
            "before": base["load"]["before"],
            "after": parts[-1]["load"].get("after", parts[-1]["load"]["before"]),
        },
        "seeds": sorted({r["seed"] for f in frameworks.values() for r in f["runs"]}),
        "frameworks": frameworks,
        "parts": [  # the seeds each part ran (a part stopped early ran fewer)
            {k: part[k] for k in ("command", "date", "load")}
            | {f: [r["seed"] for r in v["runs"]] for f, v in part["frameworks"].items()}
            for part in parts
        ],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    if args.merge:
        result = merge([json.loads(path.read_text()) for path in args.merge])
        path = results.result_path("accuracy_spread") if args.store else args.json
        for name, s in result["frameworks"].items():
            seeds = [r["seed"] for r in s["runs"]]
            print(f"{name:<8} seeds {seeds}: {s['min']:.2%} to {s['max']:.2%}")
        if path:
            print(f"written: {results.write(path, result)}")
        return result
    recipe = lenet5.book_recipe(quick=args.quick)
    d = data.load_lenet_data("mnist", layout="NCHW", quick=args.quick)
    path = results.result_path("accuracy_spread") if args.store else args.json
    info = machine.machine()
    result: dict[str, Any] = {
        "benchmark": "accuracy_spread",
        "what": "test accuracy of the book's recipe, one run per seed",
        "command": " ".join(
            ["python", "benchmarks/bench_accuracy_spread.py", *(argv or sys.argv[1:])]
        ),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": info,
        "load": {"before": machine.load()},
        "data": {
            "source": d.source,
            "train": len(d.y_train),
            "validation": len(d.y_val),
            "test": len(d.y_test),
        },
        "recipe": {k: v for k, v in recipe.as_dict().items() if k != "seed"},
        "seeds": args.seeds,
        "frameworks": {},
    }
    print(f"{info['cpu']}, {info['cores']} cores; {result['load']['before']['uptime']}")
    print(f"{'implementation':<15}{'seed':>5}{'test accuracy':>15}{'seconds':>9}")
    runs: dict[str, list[dict[str, Any]]] = {f: [] for f in args.frameworks}
    for seed in args.seeds:  # seed by seed: a run stopped early has every framework
        for framework in args.frameworks:
            start = time.perf_counter()
            seeded = dataclasses.replace(recipe, seed=seed)
            accuracy = train_and_test(framework, seeded, d)
            seconds = round(time.perf_counter() - start, 1)
            run = {"seed": seed, "test_accuracy": accuracy, "seconds": seconds}
            runs[framework].append(run)
            row = f"{framework:<15}{seed:>5}{accuracy:>15.2%}{seconds:>9.0f}"
            print(row, flush=True)
            result["frameworks"][framework] = {
                "versions": versions(framework),
                "runs": runs[framework],
                **summarise([r["test_accuracy"] for r in runs[framework]]),
            }
            if path:  # after each run: a long run keeps what it has done
                results.write(path, result)
    result["load"]["after"] = machine.load()
    print(f"\n{'implementation':<15}{'mean':>8}{'min':>8}{'max':>8}{'std':>8}")
    for framework, s in result["frameworks"].items():
        cells = "".join(f"{s[k]:>8.2%}" for k in ("mean", "min", "max", "std"))
        print(f"{framework:<15}{cells}")
    print(f"after: {result['load']['after']['uptime']}")
    if path:
        print(f"written: {results.write(path, result)}")
    return result


if __name__ == "__main__":
    main()
