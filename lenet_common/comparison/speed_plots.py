"""Figures of the speed sections, drawn from stored benchmark results.

The results are those of ``lenet_common.plumbing.results``: JSON files written by the
scripts in ``benchmarks/``, each naming its machine and date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lenet_common.plotting import column_figure, describe

__all__ = ["plot_speed_steps", "plot_gpu_epochs", "source_line"]


def source_line(result: Mapping[str, Any]) -> str:
    """Where and when a stored result was measured, in one line."""
    m = result["machine"]
    where = m.get("gpu") or f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    if m.get("gpu"):  # a GPU's figures depend on the versions of torch and CUDA
        where += "".join(
            f", {name} {m[key]}"
            for key, name in (("torch", "torch"), ("cuda", "CUDA"))
            if m.get(key)
        )
    when = (
        result.get("date") or f"date not recorded (stored {result.get('stored', '?')})"
    )
    return f"{where}; {when}; file {result.get('file', '?')}"


def plot_speed_steps(result: Mapping[str, Any], *, title: str | None = None) -> Figure:
    """Horizontal bars: training images per second of each variant (median round).

    ``result`` is a stored ``bench_numpy_vs_torch`` result; its variants carry
    their labels. PyTorch's bars are orange, NumPy's blue.
    """
    variants = result["variants"]
    names = list(variants)
    rates = np.array([variants[n]["images_per_second"]["median"] for n in names])
    fig, ax = column_figure(height=0.4 * len(names) + 1.1)
    colours = ["tab:orange" if n.startswith("pytorch") else "tab:blue" for n in names]
    ax.barh(
        [variants[n]["label"] for n in names][::-1], rates[::-1], color=colours[::-1]
    )
    for y, v in enumerate(rates[::-1]):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlim(0, rates.max() * 1.2)
    ax.set_xlabel("training images per second\n(batch 128, median round)")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    bars = "; ".join(f"{variants[n]['label']}: {v:,.0f}" for n, v in zip(names, rates))
    return describe(
        fig,
        (f"{title}: " if title else "")
        + (
            f"Horizontal bar chart of training images per second (batch 128, median round), "
            f"PyTorch in orange, NumPy in blue: {bars}."
        ),
    )


def plot_gpu_epochs(
    result: Mapping[str, Any], modes: Mapping[str, str], *, title: str | None = None
) -> Figure:
    """Seconds per epoch against batch size, one line per way of running the step."""
    table = result["seconds_per_epoch"]
    batches: Sequence[int] = sorted(int(b) for b in table)
    fig, ax = column_figure(height=3.2)
    for mode, label in modes.items():
        points = [(b, table[str(b)].get(mode)) for b in batches]
        points = [(b, s) for b, s in points if s is not None]
        if points:
            ax.plot(*zip(*points), marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.set_xlabel("batch size")
    ax.set_ylabel("seconds per epoch")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    lines = []
    for mode, label in modes.items():
        points = [
            (b, table[str(b)][mode])
            for b in batches
            if table[str(b)].get(mode) is not None
        ]
        if points:
            lines.append(
                f"{label}: " + ", ".join(f"{s:.3g} s at batch {b}" for b, s in points)
            )
    return describe(
        fig,
        (f"{title}: " if title else "")
        + (
            "Line chart of seconds per epoch against batch size, both on log scales, one line per "
            "way of running the training step. " + "; ".join(lines) + "."
        ),
    )
