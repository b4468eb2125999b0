"""Train the NumPy LeNet-5 on full MNIST and report accuracy, time, throughput, memory.

Usage (a few minutes on two free cores):
    LENET_DATA_DIR=/path/to/mnist python benchmarks/train_numpy_full.py [--epochs N]
        [--batch-size N] [--lr RATE] [--seed N] [--save weights.npz]

Unset options take the book's recipe (``lenet_common.lenet5.book_recipe``).

Prints the test accuracy (the test set is used once, at the end), the
training time and throughput in images/s, and two peaks of resident memory:
of the whole process (``ru_maxrss``, data loading included) and of the
training and evaluation alone (Linux's ``VmHWM``, reset once the data is
loaded). With ``LENET_QUICK=1`` it runs on the shipped sample
instead (a smoke test, not the book's figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import resource
import sys
import time

from lenet_common import lenet5, runtime
from lenet_common.data import load_lenet_data
from lenet_common.numpy_lenet import LeNet5, evaluate, save_weights, train


def reset_peak_memory() -> bool:
    """Reset Linux's peak-RSS counter (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_memory_mib() -> float | None:
    """VmHWM, the peak resident memory since the last reset, in MiB (Linux only)."""
    try:
        with open("/proc/self/status") as f:
            match = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    except OSError:
        return None
    return int(match.group(1)) / 1024 if match else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, dest="learning_rate")
    parser.add_argument("--momentum", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--save", default=None, help="write the trained weights to this .npz file"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bars (for logs)"
    )
    args = parser.parse_args(argv)
    changes = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(lenet5.Recipe)
        if getattr(args, f.name, None) is not None
    }
    recipe = dataclasses.replace(lenet5.book_recipe(), **changes)

    runtime.print_mode()
    print(recipe)
    runtime.seed_everything(recipe.seed)
    data = load_lenet_data("mnist", layout="NCHW")
    print(data.describe())
    loading_mib = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )  # Linux: KiB
    can_reset = reset_peak_memory()
    model = LeNet5(seed=recipe.seed)

    def log_epoch(epoch: int, history: dict[str, list[float]]) -> None:
        values = "  ".join(f"{k} {v[-1]:.4f}" for k, v in history.items())
        print(
            f"epoch {epoch:2d}/{recipe.epochs} ({time.perf_counter() - start:6.0f} s): {values}",
            flush=True,
        )

    start = time.perf_counter()
    train(
        model,
        data.x_train,
        data.y_train,
        data.x_val,
        data.y_val,
        recipe,
        show_progress=not args.no_progress,
        on_epoch_end=log_epoch,
        fast=True,  # the arithmetic of loss_and_grads rearranged for speed
    )
    seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
    images = recipe.epochs * len(data.x_train)
    # resetting VmHWM also resets ru_maxrss on Linux: the loading peak was read before
    peak_mib = max(
        loading_mib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    training_mib = peak_memory_mib() if can_reset else None
    print(
        f"test accuracy: {test_acc:.4%} (test loss {test_loss:.4f}, {len(data.x_test)} images)"
    )
    print(
        f"training time: {seconds:.1f} s for {recipe.epochs} epochs "
        f"({images / seconds:,.0f} images/s, validation passes included)"
    )
    print(
        f"peak resident memory, whole process: {peak_mib:,.0f} MiB "
        f"(while loading the data: {loading_mib:,.0f} MiB)"
    )
    if training_mib is not None:
        print(
            f"peak resident memory during training and evaluation: {training_mib:,.0f} MiB"
        )
    if args.save:
        print(f"weights saved to {save_weights(model, args.save)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
