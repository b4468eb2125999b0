"""What the reliability checks cost: training with them against training without.

Usage:
    python benchmarks/bench_checks.py [--rounds 5] [--frameworks NAME ...]
                                      [--json benchmarks/bench_checks.json]

The checks are: hyperparameters, labels and finite pixels before training
(once per call), the divergence check (NumPy: every step, a float
comparison; PyTorch: the running loss recorded on the device every step and
looked at every 50 steps; Keras: a callback after each batch), and PyTorch's
input-shape hook on every forward pass. "Without" switches them off by
patching the functions out; the two arms run in alternating rounds so that
a neighbour's load on a shared machine hits both alike. Each round is one
epoch on the shipped sample (2,500 images, batch 128). The script also times
the per-step pieces alone, and the up-front check on an array the size of
full MNIST's training split. It prints a table (median epoch time of each
arm; the overhead in wall-clock time and in process CPU time, the latter
less disturbed by other processes) and writes JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import os
import statistics
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lenet_common.comparison import registry
from lenet_common.plumbing import machine, results


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--frameworks",
        nargs="+",
        default=list(registry.NAMES),
        choices=registry.NAMES,
    )
    parser.add_argument(
        "--json", type=Path, default=Path(__file__).with_name("bench_checks.json")
    )
    return parser.parse_args(argv)


#: Each implementation's pair of runs (with its checks, without), by registry name.
ARMS: dict[str, Callable[..., Any]] = {}


def arms_of(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the function that makes ``name``'s two arms."""

    def register(make: Callable[..., Any]) -> Callable[..., Any]:
        ARMS[registry.get(name).name] = make
        return make

    return register


@contextlib.contextmanager
def patched(pairs: list[tuple[object, str, object]]) -> Iterator[None]:
    """Set ``obj.name = value`` for each triple, and restore them afterwards."""
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in pairs]
    for obj, name, value in pairs:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)


def noop(*args, **kwargs) -> None:
    return None


@arms_of("numpy")
def numpy_arms(data) -> tuple[Callable[[], None], Callable[[], None]]:
    from lenet_common import lenet5
    from lenet_common.numpy_lenet import LeNet5, train

    # the modules, not the functions the package exports under the same names
    train_module = importlib.import_module("lenet_common.numpy_lenet.train")
    optim_module = importlib.import_module("lenet_common.numpy_lenet.optim")

    recipe = dataclasses.replace(lenet5.book_recipe(quick=False), epochs=1)

    def run() -> None:
        train(
            LeNet5(seed=0),
            data.x_train,
            data.y_train,
            recipe=recipe,
            show_progress=False,
            fast=True,  # the step the chapter's full run uses
        )

    def without() -> None:
        off = [
            (train_module, "has_diverged", lambda loss: False),
            (train_module, "check_dataset", noop),
            (optim_module, "check_hyperparameters", noop),
        ]
        with patched(off):
            run()

    return run, without


@arms_of("torch")
def torch_arms(data) -> tuple[Callable[[], None], Callable[[], None]]:
    import torch

    from lenet_common import lenet5
    from lenet_common import torch_lenet as tl

    torch_train = importlib.import_module("lenet_common.torch_lenet.train")

    config = dataclasses.replace(lenet5.book_recipe(quick=False), epochs=1)

    def plain_data(model, x, y, device, what):
        return (
            torch.as_tensor(x, dtype=torch.float32).to(device),
            torch.as_tensor(y, dtype=torch.long).to(device),
        )

    def run(model=None) -> None:
        torch.manual_seed(0)
        tl.train(
            model or tl.LeNet5(),
            data.x_train,
            data.y_train,
            data.x_val,
            data.y_val,
            config,
            show_progress=False,
        )

    def without() -> None:
        torch.manual_seed(0)
        model = tl.LeNet5()
        model._forward_pre_hooks.clear()  # the input-shape check
        off = [
            (torch_train, "stop_if_diverged", noop),
            (torch_train, "_checked_data", plain_data),
            (torch_train, "_check_finite_output", noop),
        ]
        with patched(off):
            run(model)

    return run, without


@arms_of("keras")
def keras_arms(data) -> tuple[Callable[[], None], Callable[[], None]]:
    import keras

    from lenet_common import keras_lenet as kl
    from lenet_common.keras_lenet import model as keras_model

    keras_train = importlib.import_module("lenet_common.keras_lenet.train")
    from lenet_common import lenet5

    recipe = dataclasses.replace(lenet5.book_recipe(quick=False), epochs=1)

    def run() -> None:
        kl.fit_lenet5(
            kl.build_lenet5(),
            data.x_train,
            data.y_train,
            data.x_val,
            data.y_val,
            recipe,
            verbose=False,
        )

    def without() -> None:
        with patched(
            [
                (keras_train, "DivergenceGuard", keras.callbacks.Callback),
                (keras_model, "check_dataset", noop),
            ]
        ):
            run()

    return run, without


def micro() -> dict[str, float]:
    """Microseconds per step of each per-step piece; ms of the up-front check."""
    import numpy as np

    from lenet_common.plumbing.checks import check_images, has_diverged

    out = {
        "numpy has_diverged per step (us)": 1e6
        * min(timeit.repeat(lambda: has_diverged(2.3), number=10_000, repeat=5))
        / 10_000
    }
    x = np.random.default_rng(0).standard_normal((55_000, 1, 32, 32)).astype(np.float32)
    out["check_images, 55,000 images (ms)"] = 1e3 * min(
        timeit.repeat(lambda: check_images(x, "x"), number=1, repeat=3)
    )
    try:
        import torch

        from lenet_common import torch_lenet as tl

        torch_train = importlib.import_module("lenet_common.torch_lenet.train")
    except ImportError:
        return out
    sums, total = torch.zeros(430), torch.tensor(3.0)

    def record() -> None:
        sums[7] = total

    out["torch record loss on device per step (us)"] = (
        1e6 * min(timeit.repeat(record, number=10_000, repeat=5)) / 10_000
    )
    model, xb = tl.LeNet5(), torch.zeros(128, 1, 32, 32)
    hook = list(model._forward_pre_hooks.values())[0]
    out["torch input-shape hook per forward (us)"] = (
        1e6
        * min(timeit.repeat(lambda: hook(model, (xb,)), number=10_000, repeat=5))
        / 10_000
    )
    out["torch look at 50 steps (us, one host copy)"] = (
        1e6
        * min(
            timeit.repeat(
                lambda: torch_train.first_diverged_step(sums[:50], 128, 55_000),
                number=1000,
                repeat=5,
            )
        )
        / 1000
    )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from lenet_common.data import load_lenet_data

    arms = ARMS
    result = {
        "machine": machine.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load": {"before": machine.load()},
        "rounds": args.rounds,
        "epoch_seconds": {},
        "epoch_cpu_seconds": {},
        "micro": {},
    }
    print(
        f"{os.cpu_count()} CPUs, load average {machine.load_average()}; one epoch of 2,500 "
        f"images, batch 128; {args.rounds} rounds per arm, alternating"
    )
    rows = []
    for name in args.frameworks:
        layout = registry.get(name).layout
        data = load_lenet_data(quick=True, layout=layout)
        run, without = arms[name](data)
        run(), without()  # warm-up: first calls build kernels and graphs
        wall: dict[str, list[float]] = {"with": [], "without": []}
        cpu: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(args.rounds):
            for arm, fn in (("with", run), ("without", without)):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                wall[arm].append(time.perf_counter() - start)
                cpu[arm].append(time.process_time() - start_cpu)
        result["epoch_seconds"][name] = wall
        result["epoch_cpu_seconds"][name] = cpu
        w, c = (
            {arm: statistics.median(t) for arm, t in d.items()} for d in (wall, cpu)
        )
        overhead = (
            100 * (w["with"] / w["without"] - 1),
            100 * (c["with"] / c["without"] - 1),
        )
        rows.append((name, w["with"], w["without"], *overhead))
    result["micro"] = micro()
    result["load"]["after"] = machine.load()
    print(f"\n{'':<10}{'median epoch, s':^23}{'overhead':^18}")
    print(f"{'framework':<10}{'with':>10}{'without':>13}{'wall':>9}{'CPU':>9}")
    for name, w, wo, pct, pct_cpu in rows:
        print(f"{name:<10}{w:>10.3f}{wo:>13.3f}{pct:>+8.1f}%{pct_cpu:>+8.1f}%")
    print()
    for key, value in result["micro"].items():
        print(f"{key:<45}{value:>10.2f}")
    print(f"\nload average after: {result['load']['after']['load_average']}")
    results.write(args.json, result)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
