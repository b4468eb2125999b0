"""Figures for the NumPy chapter: what im2col does, and where the time goes."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..plotting import column_figure, describe, fit_column
from .im2col import im2col

__all__ = ["im2col_picture", "plot_layer_times"]


def _draw_grid(ax, values: np.ndarray, colours: np.ndarray, title: str) -> None:
    ax.imshow(colours, cmap="Pastel1", vmin=0, vmax=8, aspect="equal")
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=9)
    ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="grey", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def im2col_picture(height: int = 4, width: int = 5, kernel: int = 3) -> Figure:
    """A small input with numbered pixels, and the columns :func:`im2col` makes of it.

    The first output position's receptive field is coloured in the input, and
    its column in the matrix, so the reader can follow one window through.
    """
    x = np.arange(height * width, dtype=float).reshape(1, 1, height, width)
    cols, g = im2col(x, kernel, kernel)
    cols = cols[0]  # (k*k, OH*OW)
    in_colour = np.full((height, width), 8.0)  # light grey
    in_colour[:kernel, :kernel] = 1  # receptive field of output (0, 0)
    col_colour = np.full(cols.shape, 8.0)
    col_colour[:, 0] = 1
    fig, (a, b) = plt.subplots(
        1,
        2,
        figsize=(3 + 0.45 * cols.shape[1], 0.45 * cols.shape[0] + 1.3),
        gridspec_kw={"width_ratios": [width, cols.shape[1]]},
    )
    _draw_grid(
        a,
        x[0, 0],
        in_colour,
        f"input {height}x{width}\n(kernel {kernel}x{kernel} at (0, 0))",
    )
    _draw_grid(
        b,
        cols,
        col_colour,
        f"im2col: {cols.shape[0]} rows (kernel entries)\n"
        f"x {cols.shape[1]} columns ({g.OH}x{g.OW} output positions)",
    )
    fit_column(fig)
    fig.tight_layout()
    return describe(
        fig,
        (
            f"Two grids of numbers. Left: a {height}x{width} input whose pixels are numbered 0 to "
            f"{height * width - 1}, its top-left {kernel}x{kernel} window coloured. Right: the matrix "
            f"im2col makes of it, {cols.shape[0]} rows (one per kernel entry) by {cols.shape[1]} "
            f"columns (one per output position); its first column, coloured, holds that window's "
            f"pixels: {', '.join(f'{v:g}' for v in cols[:, 0])}."
        ),
    )


def plot_layer_times(
    timings: Mapping[str, float], steps: int, *, title: str | None = None
) -> Figure:
    """Horizontal bars: milliseconds per training step spent in each layer."""
    names = list(timings)
    ms = np.array([1e3 * timings[n] / steps for n in names])
    fig, ax = column_figure(height=0.35 * len(names) + 1, width=0.9)
    ax.barh(names[::-1], ms[::-1], color="tab:blue")
    for y, v in enumerate(ms[::-1]):
        ax.text(
            v, y, f" {v:.1f} ms ({100 * v / ms.sum():.0f}%)", va="center", fontsize=8
        )
    ax.set_xlabel("milliseconds per training step (forward + backward)")
    ax.set_xlim(0, ms.max() * 1.35)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    bars = "; ".join(
        f"{n}: {v:.1f} ms ({100 * v / ms.sum():.0f}%)" for n, v in zip(names, ms)
    )
    return describe(
        fig,
        (f"{title}: " if title else "")
        + (
            f"Horizontal bar chart of the milliseconds per training step spent in each layer, "
            f"forward and backward: {bars}."
        ),
    )
