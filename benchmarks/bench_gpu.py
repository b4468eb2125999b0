"""Seconds per MNIST epoch of the PyTorch LeNet-5, by batch size and way of stepping.

Usage (on a GPU machine; it runs on the CPU too, measuring what it can):
    python benchmarks/bench_gpu.py [--batch-sizes 32 128 512 2048] [--modes ...]
                                   [--steps 100] [--rounds 5] [--json PATH | --store]

Ways of running the training step (``--modes``, all by default):

- ``eager``: the PyTorch chapter's ``train_one_epoch``, float32;
- ``eager_bf16``: the same under ``torch.autocast`` in bfloat16;
- ``compiled``: the model through ``torch.compile`` (default mode);
- ``compiled_reduce_overhead``: ``torch.compile(mode="reduce-overhead")``
  (CUDA graphs for the model's forward and backward; CUDA only);
- ``graph``: the whole step (batch gather, forward, backward, optimizer)
  captured as one CUDA graph, ``gpu_step.CapturedStep`` (CUDA only).

Each (batch size, way) trains a fresh model on data resident on the device
(random images: the speed does not depend on the pixels) for a warm-up pass
(compilation and capture happen there) and then ``--rounds`` timed passes of
``--steps`` batches; the median pass gives seconds per step, reported per
epoch of the book's 55,000 training images. It also counts what one eager
step launches (``gpu_step.count_launches``). It prints a table and writes
JSON (``--json PATH``, or ``--store`` for ``lenet_common/results/``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import time
from typing import Any

import torch

from lenet_common import lenet5
from lenet_common import torch_lenet as tl
from lenet_common.plumbing import machine, results
from lenet_common.torch_lenet import gpu_step

#: The book's training split: MNIST's 60,000 training images less 5,000 for validation.
EPOCH_IMAGES = 55_000
MODES = ("eager", "eager_bf16", "compiled", "compiled_reduce_overhead", "graph")
CUDA_ONLY = {"compiled_reduce_overhead", "graph"}


def parse(argv: list[str] | None, cuda: bool) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch-sizes",
        type=int,
        nargs="+",
        default=[32, 128, 512, 2048] if cuda else [32, 128, 512],
    )
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument(
        "--steps", type=int, default=100 if cuda else 10, help="batches per timed pass"
    )
    parser.add_argument("--rounds", type=int, default=5 if cuda else 3)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--store",
        action="store_true",
        help="write the result to lenet_common/results/ for the book",
    )
    args = parser.parse_args(argv)
    if min(args.steps, args.rounds, *args.batch_sizes) < 1:
        parser.error("--steps, --rounds and every batch size must be at least 1")
    return args


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(
    mode: str, batch_size: int, steps: int, rounds: int, device: torch.device
) -> dict[str, Any]:
    """Seconds per step of ``mode`` at ``batch_size``: median of ``rounds`` passes."""
    if mode in CUDA_ONLY and device.type != "cuda":
        return {"status": "skipped", "why": "needs an NVIDIA GPU (CUDA graphs)"}
    if (
        mode == "eager_bf16"
        and device.type == "cuda"
        and not torch.cuda.is_bf16_supported()
    ):
        return {"status": "skipped", "why": "this GPU has no bfloat16"}
    torch.manual_seed(0)
    n = steps * batch_size
    x = torch.randn(n, 1, 32, 32, device=device)
    y = torch.randint(0, 10, (n,), device=device)
    model = tl.LeNet5().to(device)
    config = dataclasses.replace(
        lenet5.book_recipe(quick=False), epochs=rounds + 1, batch_size=batch_size
    )
    optimizer, scheduler = tl.make_optimizer(
        model, config, config.total_steps(n), lr_tensor=mode == "graph"
    )
    generator = torch.Generator().manual_seed(0)
    amp = torch.bfloat16 if mode == "eager_bf16" else None
    if mode == "graph":
        captured = gpu_step.CapturedStep(model, optimizer, x, y, batch_size)

        def one_pass() -> None:
            gpu_step.train_one_epoch_captured(
                captured, scheduler, n, generator=generator
            )
    else:
        stepped = model
        if mode == "compiled":
            stepped = torch.compile(model)
        elif mode == "compiled_reduce_overhead":
            stepped = torch.compile(model, mode="reduce-overhead")

        def one_pass() -> None:
            tl.train_one_epoch(
                stepped,
                optimizer,
                scheduler,
                x,
                y,
                batch_size,
                generator=generator,
                amp_dtype=amp,
            )

    try:
        start = time.perf_counter()
        one_pass()  # warm-up: compilation, capture, allocator
        synchronize(device)
        warmup = time.perf_counter() - start
        passes = []
        for _ in range(rounds):
            start = time.perf_counter()
            one_pass()
            synchronize(device)
            passes.append(time.perf_counter() - start)
    except Exception as err:  # e.g. no compiler for torch.compile: report, go on
        return {"status": "failed", "why": f"{type(err).__name__}: {str(err)[:300]}"}
    per_step = statistics.median(passes) / steps
    return {
        "status": "measured",
        "seconds_per_step": per_step,
        "seconds_per_epoch": per_step * -(-EPOCH_IMAGES // batch_size),
        "images_per_second": batch_size / per_step,
        "warmup_seconds": warmup,
        "passes_seconds": passes,
    }


def launches(device: torch.device, batch_size: int = 128) -> dict[str, Any]:
    """What one eager training step of the chapter's loop launches."""
    torch.manual_seed(0)
    x = torch.randn(2 * batch_size, 1, 32, 32, device=device)
    y = torch.randint(0, 10, (2 * batch_size,), device=device)
    model = tl.LeNet5().to(device)
    recipe = lenet5.book_recipe(quick=False)
    optimizer, scheduler = tl.make_optimizer(model, recipe, 3 * 2)

    def one_step() -> None:
        tl.train_one_epoch(
            model, optimizer, scheduler, x[:batch_size], y[:batch_size], batch_size
        )

    one_step()
    return {"batch_size": batch_size, **gpu_step.count_launches(one_step)}


def device_info(device: torch.device) -> dict[str, Any]:
    info = machine.machine() | {"torch": torch.__version__, "device": device.type}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    else:
        info["torch_threads"] = torch.get_num_threads()
    return info


def main(argv: list[str] | None = None) -> int:
    cuda = torch.cuda.is_available()
    args = parse(argv, cuda)
    device = torch.device("cuda" if cuda else "cpu")
    info = device_info(device)
    print(
        f"device: {info.get('gpu', info['cpu'])} ({device.type}), torch {info['torch']}"
    )
    launch = launches(device)
    print(
        f"one eager step at batch {launch['batch_size']}: "
        f"{launch['operations']} operations"
        + (
            f", {launch['kernels']} GPU kernels"
            if launch["kernels"] is not None
            else ""
        )
    )
    table: dict[str, dict[str, Any]] = {}
    for batch_size in args.batch_sizes:
        for mode in args.modes:
            table.setdefault(str(batch_size), {})[mode] = measure(
                mode, batch_size, args.steps, args.rounds, device
            )
            print(
                f"  batch {batch_size:5d} {mode:26s} "
                f"{describe(table[str(batch_size)][mode])}",
                flush=True,
            )
    result = {
        "benchmark": "gpu",
        "source": "benchmarks/bench_gpu.py",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": "python benchmarks/bench_gpu.py " + " ".join(argv or sys.argv[1:]),
        "machine": info,
        "settings": {
            "steps": args.steps,
            "rounds": args.rounds,
            "epoch_images": EPOCH_IMAGES,
        },
        "launches_per_eager_step": launch,
        "seconds_per_epoch": {
            b: {m: r.get("seconds_per_epoch") for m, r in row.items()}
            for b, row in table.items()
        },
        "details": table,
    }
    print_table(result)
    path = args.json or (
        results.result_path("gpu", info, name=info.get("gpu")) if args.store else None
    )
    if path:
        print(f"\nwritten: {results.write(path, result)}")
    return 0


def describe(r: dict[str, Any]) -> str:
    if r["status"] != "measured":
        return f"{r['status']}: {r['why']}"
    rate = f"({r['images_per_second']:,.0f} images/s)"
    return f"{r['seconds_per_epoch']:8.3f} s/epoch  {rate}"


def print_table(result: dict[str, Any]) -> None:
    per_epoch = result["seconds_per_epoch"]
    modes = list(next(iter(per_epoch.values())))
    print(
        f"\nSeconds per epoch of {result['settings']['epoch_images']:,} images "
        f"({result['machine'].get('gpu', result['machine']['cpu'])}):"
    )
    print("  batch " + "".join(f"{m:>26s}" for m in modes))
    for batch, row in per_epoch.items():
        cells = "".join(
            f"{'-' if row[m] is None else f'{row[m]:.3f}':>26s}" for m in modes
        )
        print(f"  {batch:>5s} {cells}")


if __name__ == "__main__":
    sys.exit(main())
