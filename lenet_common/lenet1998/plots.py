"""Figures of the 1998-network chapter: RBF codes, distortions, runs, rejection.

Matplotlib and NumPy only (no torch), under the book's figure rule
(:func:`lenet_common.plotting.column_figure`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from lenet_common.lenet1998.rbf_codes import HEIGHT, WIDTH
from lenet_common.plotting import column_figure, describe

__all__ = [
    "plot_squash",
    "plot_step_sizes",
    "show_rbf_codes",
    "show_distortions",
    "plot_error_curves",
    "show_rejection",
]


def plot_squash(
    a: np.ndarray, f: np.ndarray, slope: np.ndarray, bend: np.ndarray
) -> Figure:
    """The squashing function, its slope and its second derivative; a = +-1 marked."""
    fig, ax = column_figure(height=2.8)
    ax.plot(a, f, label="f(a)")
    ax.plot(a, slope, label="f'(a)")
    ax.plot(a, bend, label="f''(a)")
    for x in (-1, 1):
        ax.axvline(x, color="gray", lw=0.8, ls=":")
    ax.axhline(1, color="gray", lw=0.8, ls=":")
    ax.axhline(-1, color="gray", lw=0.8, ls=":")
    ax.set_xlabel("a")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return describe(
        fig,
        (
            f"Line chart over a from {a.min():.3g} to {a.max():.3g} of the squashing function "
            f"f(a) (from {f.min():.3g} to {f.max():.3g}), its slope f'(a) (largest {slope.max():.3g}, "
            f"at a = {a[int(np.argmax(slope))]:.2g}) and its second derivative f''(a) (from {bend.min():.3g} to {bend.max():.3g}), "
            "with dotted lines at a = -1 and a = 1 and at f = -1 and f = 1."
        ),
    )


def plot_step_sizes(recipe: Any, step_size: Callable[[float, Any], float]) -> Figure:
    """The global step size over the passes of ``recipe``, from ``step_size``."""
    progress = np.linspace(0, recipe.epochs, 400)
    fig, ax = column_figure(height=2.4)
    ax.plot(progress, [step_size(p, recipe) for p in progress])
    ax.set_xlabel("pass over the training set")
    ax.set_ylabel("step size")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    sizes = [step_size(p, recipe) for p in progress]
    return describe(
        fig,
        (
            f"Line chart of the global step size over {recipe.epochs} passes over the training set: "
            f"{sizes[0]:.3g} at the start, {sizes[-1]:.3g} at the end, between {min(sizes):.3g} "
            f"and {max(sizes):.3g}."
        ),
    )


def show_rbf_codes(codes: np.ndarray) -> Figure:
    """The ten RBF centres drawn as their 7x12 pictures (+1 dark, -1 light)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != WIDTH * HEIGHT:
        raise ValueError(
            f"codes must have shape (classes, {WIDTH * HEIGHT}), got {codes.shape}"
        )
    fig, axes = column_figure(1, len(codes), height=1.5)
    for digit, (ax, code) in enumerate(zip(np.atleast_1d(axes), codes)):
        ax.imshow(code.reshape(HEIGHT, WIDTH), cmap="gray_r", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(digit), fontsize=9)
    fig.tight_layout()
    return describe(
        fig,
        (
            f"{len(codes)} small {WIDTH}x{HEIGHT} black-and-white pictures, the RBF codes of the "
            f"digits 0 to {len(codes) - 1}: each a stylised drawing of its digit (+1 dark, -1 light)."
        ),
    )


def show_distortions(
    original: np.ndarray, variants: Mapping[str, np.ndarray]
) -> Figure:
    """One column per digit: the original on top, then one row per kind of distortion.

    ``original`` is (N, H, W) or (N, 1, H, W); each variant the same shape.
    """
    rows = {
        "original": np.asarray(original),
        **{k: np.asarray(v) for k, v in variants.items()},
    }
    images = {k: v[:, 0] if v.ndim == 4 else v for k, v in rows.items()}
    n = len(images["original"])
    if any(len(v) != n for v in images.values()):
        raise ValueError("every variant must hold as many images as the original")
    fig, axes = column_figure(
        len(images), n, height=0.75 * len(images) + 0.2, squeeze=False
    )
    for r, (name, batch) in enumerate(images.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(batch[c], cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout(pad=0.2)
    return describe(
        fig,
        (
            f"A grid of handwritten digits, {n} columns (one per digit) and {len(images)} rows: the "
            f"original digits on top, then one row per distortion ({', '.join(list(images)[1:])}), "
            "each a slightly shifted, slanted or warped copy of the digit above."
        ),
    )


def plot_error_curves(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    references: Mapping[str, float] | None = None,
) -> Figure:
    """Validation error per pass of each run (log scale), with reference lines.

    ``references`` maps a label (e.g. "paper, no distortions") to an error
    rate drawn as a dashed horizontal line.
    """
    fig, ax = column_figure(height=3.2)
    for label, history in histories.items():
        error = 1 - np.asarray(history["val_accuracy"], dtype=float)
        ax.plot(np.arange(1, len(error) + 1), 100 * error, "o-", ms=3, label=label)
    for label, error in (references or {}).items():
        ax.axhline(100 * error, ls="--", lw=1, color="gray")
        ax.annotate(
            label,
            (1, 100 * error),
            fontsize=7,
            color="gray",
            xytext=(2, 2),
            textcoords="offset points",
        )
    ax.set_yscale("log")
    ax.set_xlabel("pass over the training set")
    ax.set_ylabel("validation error (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    runs = "; ".join(
        f"{label}: from {100 * (1 - h['val_accuracy'][0]):.2f}% to {100 * (1 - h['val_accuracy'][-1]):.2f}% "
        f"over {len(h['val_accuracy'])} passes"
        for label, h in histories.items()
    )
    refs = ", ".join(
        f"{label} {100 * e:.2f}%" for label, e in (references or {}).items()
    )
    return describe(
        fig,
        (
            "Line chart of the validation error per pass over the training set, on a log scale, "
            f"one line per run: {runs}."
            + (f" Dashed reference lines: {refs}." if refs else "")
        ),
    )


def show_rejection(
    images: np.ndarray,
    distances: np.ndarray,
    titles: Sequence[str],
    threshold: float | None = None,
) -> Figure:
    """Each image over a bar chart of its ten RBF distances (smaller: more alike).

    A dashed line marks ``threshold``: an input whose smallest distance lies
    above it would be rejected.
    """
    images = np.asarray(images)
    images = images[:, 0] if images.ndim == 4 else images
    distances = np.asarray(distances)
    n = len(images)
    if distances.shape != (n, 10) or len(titles) != n:
        raise ValueError(f"need (n, 10) distances and n titles for n = {n} images")
    fig, axes = column_figure(
        2, n, height=3.0, squeeze=False, gridspec_kw={"height_ratios": [1, 1.2]}
    )
    top = float(distances.max()) * 1.05
    for i in range(n):
        ax = axes[0, i]
        ax.imshow(images[i], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[i], fontsize=8)
        bars = axes[1, i]
        best = int(distances[i].argmin())
        colours = ["tab:blue" if d == best else "lightgray" for d in range(10)]
        bars.bar(range(10), distances[i], color=colours)
        bars.set_ylim(0, top)
        bars.set_xticks(range(0, 10, 3))
        bars.tick_params(labelsize=7)
        if threshold is not None:
            bars.axhline(threshold, ls="--", lw=1, color="crimson")
        if i == 0:
            bars.set_ylabel("RBF distance", fontsize=8)
        else:
            bars.set_yticklabels([])
    fig.tight_layout(pad=0.3)
    panels = "; ".join(
        f"{t}: nearest code {int(d.argmin())} at {d.min():.3g}"
        for t, d in zip(titles, distances)
    )
    limit = (
        f" A dashed line marks the rejection threshold {threshold:.3g}."
        if threshold is not None
        else ""
    )
    return describe(
        fig,
        (
            f"{n} images, each above a bar chart of its distances to the ten RBF codes (smaller: "
            f"more alike), the nearest in blue: {panels}.{limit}"
        ),
    )
