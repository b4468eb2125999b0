"""NumPy, PyTorch and Keras LeNet-5 side by side: speed, memory, accuracy, in one run.

Usage:
    python benchmarks/bench_frameworks.py [--quick] [--json PATH] [--only numpy,torch]

Each implementation runs in a worker process of its own, and the three take
turns round by round, so that a busy machine slows them alike. Prints a
table (training and inference images per second, ms per training step,
peak memory, test accuracy of the book's run, the device, and each layer's
forward + backward time) and writes it all as JSON (default
``benchmarks/results/frameworks-<mode>.json``). ``--quick`` runs a few steps
on the shipped sample (a smoke test, not the book's figures); without it,
full MNIST (``LENET_DATA_DIR``) and the book's full recipe. The test
accuracy is that of the book's run from the run cache (the chapters fill
it); where it is missing, the worker trains it first, which takes minutes.
See ``lenet_common/framework_costs.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lenet_common.comparison import framework_costs
from lenet_common.plumbing import results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few steps on the shipped sample (a smoke test)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="where to write the result"
    )
    parser.add_argument(
        "--only",
        default=",".join(framework_costs.IMPLEMENTATIONS),
        help="comma-separated implementations (default: all three)",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    result = framework_costs.measure(quick=args.quick, implementations=names)
    print()
    print(framework_costs.format_table(result))
    mode = "quick" if args.quick else "full"
    path = (
        args.json
        or Path(__file__).resolve().parent / "results" / f"frameworks-{mode}.json"
    )
    print(f"\nwritten to {results.write(path, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
