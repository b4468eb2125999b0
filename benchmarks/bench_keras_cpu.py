"""Keras' CPU training throughput: oneDNN on or off, XLA on or off, batches per call.

Usage (a few minutes on two cores):
    python benchmarks/bench_keras_cpu.py [--rounds 3] [--images 12800]
                                          [--json PATH | --store]

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, when it is imported, so
each setting runs in its own process; the processes take turns, round after
round, so that a neighbour's load on a shared machine hits them alike. Each
fits the book's Keras LeNet-5 for one epoch over ``--images`` random images
(batch 128, the book's recipe) after one warm-up epoch, and reports images
per second of wall-clock time and per second of CPU time (medians over the
rounds). It prints a table and writes JSON (``--json PATH``, or ``--store``
for ``lenet_common/results/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys

from lenet_common.plumbing import machine, results

#: (name, TF_ENABLE_ONEDNN_OPTS, jit_compile, steps_per_execution)
SETTINGS = (
    ("onednn_off", "0", False, 1),
    ("onednn_on", "1", False, 1),
    ("onednn_on_spe10", "1", False, 10),
    ("xla", "1", True, 1),
    ("xla_spe10", "1", True, 10),
)

CHILD = """
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
from lenet_common import keras_lenet, lenet5
n, spe, jit = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
rng = np.random.default_rng(0)
x = rng.standard_normal((n, 32, 32, 1)).astype(np.float32)
y = rng.integers(0, 10, n)
recipe = lenet5.book_recipe(quick=False)
model = keras_lenet.build_lenet5(recipe)
keras_lenet.compile_lenet5(model, recipe, 2 * n // 128, jit_compile=jit,
                           steps_per_execution=spe)
def epoch(seed):
    order = [lenet5.batch_order(n, 0, seed)]
    return keras_lenet.make_dataset(x, y, batch_size=128, orders=order)
model.fit(epoch(0), epochs=1, verbose=0)  # warm-up: tracing, first allocations
data = epoch(1)
wall, cpu = time.perf_counter(), time.process_time()
model.fit(data, epochs=1, verbose=0)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=12800)
    parser.add_argument("--json", default=None)
    parser.add_argument("--store", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.images < 128:
        parser.error("need --rounds >= 1 and --images >= 128")
    return args


def one_run(onednn: str, jit: bool, spe: int, images: int) -> dict[str, float]:
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn)
    args = [str(images), str(spe), "1" if jit else "0"]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the Keras run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    before = machine.load()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in SETTINGS}
    for _ in range(args.rounds):
        for name, onednn, jit, spe in SETTINGS:
            runs[name].append(one_run(onednn, jit, spe, args.images))
    table = {}
    for name, onednn, jit, spe in SETTINGS:
        wall = statistics.median(r["wall"] for r in runs[name])
        cpu = statistics.median(r["cpu"] for r in runs[name])
        table[name] = {
            "TF_ENABLE_ONEDNN_OPTS": onednn,
            "jit_compile": jit,
            "steps_per_execution": spe,
            "images_per_second": args.images / wall,
            "images_per_cpu_second": args.images / cpu,
            "rounds": runs[name],
        }
    result = {
        "benchmark": "keras_cpu",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine.machine(),
        "settings": vars(args) | {"batch_size": 128},
        "load": machine.load_record(before),
        "variants": table,
    }
    after = result["load"]["after"]["load_average"]
    print(
        f"Keras fit, batch 128, {args.images:,} images, median of {args.rounds} "
        f"rounds (load before {before['load_average']}, after {after}):"
    )
    print(f"  {'':18s} {'images/s':>10s} {'images/CPU-s':>13s}")
    for name, row in table.items():
        print(
            f"  {name:18s} {row['images_per_second']:10,.0f} "
            f"{row['images_per_cpu_second']:13,.0f}"
        )
    path = args.json or (results.result_path("keras_cpu") if args.store else None)
    if path:
        print(f"written: {results.write(path, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
