"""The figures of the "Why convolutions" material, under the book's figure rule.

Every function returns its matplotlib ``Figure``. :data:`ALT_TEXT` gives each
figure's text alternative, in one place, for the pages' ``alt`` attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import plotting, shapes
from ..numpy_lenet import layers as L
from . import momentum
from .fields import centre_area, field_centres

__all__ = [
    "ALT_TEXT",
    "draw_channel_sum",
    "draw_field_centres",
    "plot_accuracy_under_shift",
    "plot_layer_change",
    "plot_learning_curves",
    "plot_momentum",
    "show_local_fields",
    "show_shifted_maps",
]

#: A text alternative for each figure, by the name of the function that draws it.
ALT_TEXT = {
    "show_local_fields": "A digit with three 5 by 5 windows marked, and the C1 map in which "
    "each window gives one value, at the matching place.",
    "show_shifted_maps": "A digit and the same digit moved right and down, each with one "
    "C1 map; the map of the moved digit is the first map moved by the same amount, and "
    "their difference after moving back is zero except in a thin band at the border.",
    "draw_channel_sum": "Six S2 maps, the six 5 by 5 slices of one C3 filter, the six "
    "products, and their sum, which is one C3 map.",
    "plot_layer_change": "Relative change of each layer's output when the digit moves by "
    "1 to 4 pixels, falling from C1 to the last layers, with drops at the poolings.",
    "plot_accuracy_under_shift": "Test accuracy against the shift of the digits for "
    "LeNet-5 and the networks without convolutions; LeNet-5 falls least.",
    "plot_learning_curves": "Training and test error against the number of training "
    "images, on logarithmic axes, for LeNet-5 and a perceptron.",
    "plot_momentum": "Left: the paths of plain gradient descent and of momentum on a long "
    "narrow bowl. Right: the height against the step with noisy gradients, for a "
    "constant rate and a cosine schedule.",
    "draw_field_centres": "A 32 by 32 input with the centres of C3's 100 receptive fields "
    "as dots, filling the central 20 by 20 square, and the 14 by 14 field of one "
    "unit in the middle outlined.",
}


def _image(ax: plt.Axes, image: np.ndarray, title: str, cmap: str = "gray_r") -> None:
    ax.imshow(image, cmap=cmap)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def show_local_fields(
    image: np.ndarray,
    c1_map: np.ndarray,
    corners: Sequence[tuple[int, int]] = ((4, 4), (12, 16), (20, 8)),
) -> Figure:
    """The digit (32x32) with 5x5 windows at ``corners``, and the C1 map (28x28) they feed."""
    fig, axes = plotting.column_figure(1, 2, height=3.0)
    _image(axes[0], image, "input: each box is one window")
    _image(axes[1], c1_map, "one C1 map: one value per window", cmap="viridis")
    for (r, c), colour in zip(corners, ("crimson", "orange", "deepskyblue")):
        axes[0].add_patch(
            Rectangle((c - 0.5, r - 0.5), 5, 5, fill=False, lw=2, ec=colour)
        )
        axes[1].add_patch(
            Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2, ec=colour)
        )
    fig.tight_layout()
    return plotting.describe(fig, ALT_TEXT["show_local_fields"])


def show_shifted_maps(
    image: np.ndarray,
    moved: np.ndarray,
    c1_map: np.ndarray,
    c1_moved: np.ndarray,
    dy: int,
    dx: int,
) -> Figure:
    """A digit, the digit moved by ``(dy, dx)``, one C1 map of each, and their gap."""
    back = np.full_like(c1_moved, np.nan)
    back[: c1_moved.shape[0] - dy, : c1_moved.shape[1] - dx] = c1_moved[dy:, dx:]
    gap = np.abs(back - c1_map)
    fig, axes = plotting.column_figure(2, 3, height=4.4)
    _image(axes[0, 0], image, "digit")
    _image(axes[0, 1], c1_map, "C1 map of the digit", "viridis")
    _image(axes[1, 0], moved, f"moved {dy} down, {dx} right")
    _image(axes[1, 1], c1_moved, "C1 map of the moved digit", "viridis")
    _image(axes[0, 2], np.nan_to_num(gap, nan=np.nanmax(gap) + 1), "", "magma")
    axes[0, 2].set_title("gap after moving back\n(light: no counterpart)", fontsize=8)
    axes[1, 2].axis("off")
    axes[1, 2].text(
        0,
        0.5,
        f"largest gap where\nboth maps exist:\n{np.nanmax(gap):.1e}",
        fontsize=9,
        va="center",
    )
    fig.tight_layout()
    return plotting.describe(fig, ALT_TEXT["show_shifted_maps"])


def draw_channel_sum(s2_maps: np.ndarray, kernel: np.ndarray, bias: float) -> Figure:
    """One C3 map as the sum over the six S2 maps of each map correlated with its slice.

    ``s2_maps`` (6, 14, 14), ``kernel`` (6, 5, 5): one C3 filter.
    """
    channels = len(s2_maps)
    parts = [
        L.conv_forward(s2_maps[None, c : c + 1], kernel[None, c : c + 1], np.zeros(1))[
            0
        ][0, 0]
        for c in range(channels)
    ]
    fig, axes = plt.subplots(
        3, channels + 1, figsize=plotting.column_size(3.6), dpi=plotting.FIGURE_DPI
    )
    lim = float(np.abs(kernel).max())
    for c in range(channels):
        _image(axes[0, c], s2_maps[c], f"S2 map {c}", "viridis")
        axes[0, c].add_patch(
            Rectangle((3.5, 3.5), 5, 5, fill=False, lw=1.5, ec="crimson")
        )
        axes[1, c].imshow(kernel[c], cmap="RdBu_r", vmin=-lim, vmax=lim)
        _image(axes[2, c], parts[c], "" if c == 0 else "+", "viridis")
        for ax in axes[1:, c]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1, 0].set_ylabel("slice", fontsize=8)
    axes[2, 0].set_ylabel("map ⋆ slice", fontsize=8)
    for ax, text in zip(axes[:2, channels], ("six maps in", "one filter:\n6×5×5")):
        ax.axis("off")
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8)
    _image(axes[2, channels], sum(parts) + bias, "= C3 map\n(+ bias)", "viridis")
    for ax in axes[2]:  # the value that the boxed windows give
        ax.add_patch(Rectangle((3.5, 3.5), 1, 1, fill=False, lw=1.5, ec="crimson"))
    fig.tight_layout(pad=0.3)
    return plotting.describe(fig, ALT_TEXT["draw_channel_sum"])


def _finish(
    fig: Figure,
    ax: plt.Axes,
    xlabel: str,
    ylabel: str,
    percent: bool = False,
    **legend: object,
) -> Figure:
    """Label the axes, add the legend and a light grid, and lay the figure out."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if percent:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(fontsize=8, **legend)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_layer_change(
    change: Mapping[str, Sequence[float]], shifts: Sequence[int]
) -> Figure:
    """Relative change of each layer's output (x axis) for each shift (one line each)."""
    names = list(change)
    labels = [n.upper() if len(n) == 2 else n for n in names]
    fig, ax = plotting.column_figure(height=3.0)
    for k, s in enumerate(shifts):
        ax.plot(labels, [change[n][k] for n in names], marker="o", label=f"{s} px")
    ax.set_ylim(0, 1.1 * max(max(v) for v in change.values()))
    fig = _finish(
        fig,
        ax,
        "layer",
        "relative change of the output",
        title="digit moved by",
        title_fontsize=8,
        ncol=len(shifts),
        loc="lower center",
    )
    return plotting.describe(fig, ALT_TEXT["plot_layer_change"])


def plot_accuracy_under_shift(
    shifts: Sequence[int], accuracy: Mapping[str, Sequence[float]]
) -> Figure:
    """Test accuracy against the shift of the digits, one line per network."""
    fig, ax = plotting.column_figure(height=3.0)
    for name, values in accuracy.items():
        ax.plot(shifts, values, marker="o", label=name)
    ax.set_xticks(list(shifts))
    fig = _finish(
        fig, ax, "digits moved right by (pixels)", "test accuracy", percent=True
    )
    return plotting.describe(fig, ALT_TEXT["plot_accuracy_under_shift"])


def plot_learning_curves(
    sizes: Sequence[int], errors: Mapping[str, Mapping[str, Sequence[float]]]
) -> Figure:
    """Training (dashed) and test (solid) error against the training-set size.

    ``errors[network] = {"train": [...], "test": [...]}``, one value per size.
    """
    fig, ax = plotting.column_figure(height=3.2)
    for k, (name, curves) in enumerate(errors.items()):
        colour = f"C{k}"
        ax.plot(sizes, curves["test"], marker="o", color=colour, label=f"{name}, test")
        ax.plot(
            sizes,
            curves["train"],
            ls="--",
            marker="x",
            color=colour,
            label=f"{name}, training",
        )
    ax.set_xscale("log")
    ax.set_xticks(list(sizes), [f"{n:,}" for n in sizes])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_ylim(bottom=0)
    fig = _finish(
        fig, ax, "training images (logarithmic scale)", "error rate", percent=True
    )
    return plotting.describe(fig, ALT_TEXT["plot_learning_curves"])


def plot_momentum(
    paths: Mapping[str, np.ndarray], noisy: Mapping[str, np.ndarray]
) -> Figure:
    """Left: ``paths`` over the bowl's contours. Right: the height along ``noisy`` runs."""
    fig, (left, right) = plotting.column_figure(1, 2, height=3.2)
    u, v = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-1.5, 1.5, 200))
    left.contour(
        u, v, momentum.bowl_value(np.stack([u, v], -1)), levels=12, colors="0.8"
    )
    for name, path in paths.items():
        left.plot(path[:, 0], path[:, 1], marker=".", ms=3, lw=1, label=name)
    left.plot(0, 0, "k*")
    left.set_title("the first steps, no noise", fontsize=9)
    left.legend(fontsize=7, loc="lower right")
    for name, path in noisy.items():
        right.plot(momentum.bowl_value(path), lw=1, label=name)
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_title("height, noisy gradients", fontsize=9)
    right.legend(fontsize=7)
    fig.tight_layout()
    return plotting.describe(fig, ALT_TEXT["plot_momentum"])


def draw_field_centres(
    rows: Sequence[shapes.LayerRow], layer: str = "C3", image: np.ndarray | None = None
) -> Figure:
    """The input with the centres of ``layer``'s fields, their area, and one whole field."""
    centres = field_centres(rows, layer)
    side = rows[0].in_shape[1]
    fig, ax = plotting.column_figure(height=3.4, width=0.55)
    if image is not None:
        ax.imshow(image, cmap="gray_r", alpha=0.5)
    ax.set_xlim(-0.5, side - 0.5)
    ax.set_ylim(side - 0.5, -0.5)
    ax.scatter(
        centres[:, 1],
        centres[:, 0],
        s=6,
        color="crimson",
        label=f"{layer} field centres",
    )
    first, end = centre_area(rows, layer)
    ax.add_patch(
        Rectangle(
            (first - 0.5, first - 0.5),
            end - first,
            end - first,
            fill=False,
            ec="crimson",
            ls="--",
            label="the area they cover",
        )
    )
    middle = rows[[r.name for r in rows].index(layer)].out_shape[1] // 2
    top, left, width = shapes.receptive_field_window(rows, layer, (middle, middle))
    ax.add_patch(
        Rectangle(
            (left - 0.5, top - 0.5),
            width,
            width,
            fill=False,
            ec="navy",
            lw=1.5,
            label=f"the field of one {layer} unit",
        )
    )
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=1)
    ticks = [0, int(first), int(end) - 1, side - 1]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return plotting.describe(fig, ALT_TEXT["draw_field_centres"])
