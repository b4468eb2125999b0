"""Figures of the backward passes, drawn on small examples with their numbers.

Every number shown is computed by the package's own layers
(:func:`~lenet_common.numpy_lenet.layers.conv_backward`, the pooling
backwards), so the pictures show what the code does. The highlighted windows
illustrate one entry of each result; the tests check that the rule each
picture states holds for every entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..plotting import FIGURE_DPI, FIGURE_INCHES, describe
from . import layers

__all__ = [
    "ConvBackwardExample",
    "conv_backward_example",
    "conv_backward_picture",
    "pooling_backward_picture",
]

_HIGHLIGHT = "#fdd49e"  # the cells that make the highlighted entry
_RESULT = "#9ecae1"  # the highlighted entry itself
_WINDOW_COLOURS = ("#c7e9c0", "#fdd0a2", "#dadaeb", "#c6dbef")  # one per pooling window


@dataclass(frozen=True)
class ConvBackwardExample:
    """A one-channel convolution, its upstream gradient, what conv_backward returns."""

    x: np.ndarray  # (H, W) input
    w: np.ndarray  # (k, k) kernel
    dout: np.ndarray  # (H - k + 1, W - k + 1) upstream gradient
    dx: np.ndarray  # (H, W), from conv_backward
    dw: np.ndarray  # (k, k), from conv_backward


def conv_backward_example() -> ConvBackwardExample:
    """A 4x4 input, a 2x2 kernel and a 3x3 upstream gradient, through conv_backward."""
    x = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 0, 1, 2], [1, 1, 0, 3]], dtype=float)
    w = np.array([[1, -1], [2, 0]], dtype=float)
    dout = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]], dtype=float)
    _, cache = layers.conv_forward(x[None, None], w[None, None], np.zeros(1))
    dx, dw, _ = layers.conv_backward(dout[None, None], cache)
    return ConvBackwardExample(x=x, w=w, dout=dout, dx=dx[0, 0], dw=dw[0, 0])


def _canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A column-wide axes ``width`` cells wide: every grid gets the same cell size."""
    inches_per_cell = (
        FIGURE_INCHES / width
    )  # the book's figure rule: the column's width
    fig, ax = plt.subplots(
        figsize=(FIGURE_INCHES, height * inches_per_cell), dpi=FIGURE_DPI
    )
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    return fig, ax


def _grid(
    ax: Axes,
    values: np.ndarray,
    left: float,
    top: float,
    title: str,
    marks: dict[tuple[int, int], str] | None = None,
    grey: np.ndarray | None = None,
) -> None:
    """Numbers in cells, top-left at (left, top); ``marks`` colours, ``grey`` dims."""
    for (r, c), v in np.ndenumerate(values):
        dim = grey is not None and bool(grey[r, c])
        colour = (marks or {}).get((r, c), "#f0f0f0" if dim else "white")
        ax.add_patch(
            Rectangle(
                (left + c, top - 1 - r), 1, 1, facecolor=colour, edgecolor="0.5", lw=0.8
            )
        )
        ax.text(
            left + c + 0.5,
            top - 0.5 - r,
            f"{v:g}",
            ha="center",
            va="center",
            fontsize=10,
            color="0.55" if dim else "black",
        )
    ax.text(
        left + values.shape[1] / 2,
        top + 0.25,
        title,
        ha="center",
        va="bottom",
        fontsize=10,
    )


def _operator(ax: Axes, x: float, y: float, symbol: str) -> None:
    """An operator between two grids (the correlation star drawn larger)."""
    ax.text(
        x, y, symbol, ha="center", va="center", fontsize=30 if "star" in symbol else 18
    )


def _window(
    top: int, left: int, height: int, width: int, colour: str
) -> dict[tuple[int, int], str]:
    return {(top + r, left + c): colour for r in range(height) for c in range(width)}


def _products(a: np.ndarray, b: np.ndarray) -> str:
    """'1·2 + 0·(-1) + ...' for two arrays of the same shape."""

    def number(v: float) -> str:
        return f"({v:g})" if v < 0 else f"{v:g}"

    return " + ".join(f"{number(p)}·{number(q)}" for p, q in zip(a.ravel(), b.ravel()))


def conv_backward_picture(
    dw_entry: tuple[int, int] = (0, 1), dx_entry: tuple[int, int] = (1, 2)
) -> Figure:
    """The two rules of the convolution's backward pass, on the example.

    Top row: the weight gradient is a correlation of the input with the
    upstream gradient (``dw[u, v]`` sums the input window at offset ``(u, v)``
    times ``dout``). Bottom row: the input gradient is a *full* convolution of
    ``dout`` with the kernel, that is a correlation of ``dout`` padded by
    ``k - 1`` zeros with the kernel flipped both ways.
    """
    ex = conv_backward_example()
    k = ex.w.shape[0]
    oh, ow = ex.dout.shape
    u, v = dw_entry
    p, q = dx_entry
    if not (0 <= u < k and 0 <= v < k) or not (
        0 <= p < ex.x.shape[0] and 0 <= q < ex.x.shape[1]
    ):
        raise ValueError(
            f"dw_entry must lie in the {k}x{k} kernel and dx_entry in the "
            f"{ex.x.shape[0]}x{ex.x.shape[1]} input; got {dw_entry} and {dx_entry}"
        )
    padded = np.pad(ex.dout, k - 1)
    flipped = ex.w[::-1, ::-1]
    window = ex.x[u : u + oh, v : v + ow]
    fig, ax = _canvas(15.0, 15.5)
    kernel = ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in ex.w)
    ax.text(
        7.5,
        15.2,
        f"Convolution backward: 4x4 input x, kernel w = [{kernel}]",
        ha="center",
        va="top",
        fontsize=11,
    )
    top = 13.2  # the top row: dw = x correlated with δ
    _grid(ax, ex.x, 0.5, top, "input x", _window(u, v, oh, ow, _HIGHLIGHT))
    _operator(ax, 5.25, top - 2, r"$\star$")
    _grid(
        ax,
        ex.dout,
        6.0,
        top - 0.5,
        "upstream gradient δ",
        _window(0, 0, oh, ow, _HIGHLIGHT),
    )
    _operator(ax, 9.75, top - 2, "=")
    _grid(ax, ex.dw, 11.5, top - 1, "weight gradient dw", {(u, v): _RESULT})
    ax.text(
        7.5,
        top - 4.8,
        f"dw[{u}, {v}] = Σ x[i+{u}, j+{v}] · δ[i, j]\n= "
        f"{_products(window, ex.dout)} = {ex.dw[u, v]:g}",
        ha="center",
        va="top",
        fontsize=9,
    )
    top = 6.6  # the bottom row: dx = padded δ correlated with the flipped kernel
    grey = np.ones_like(padded, dtype=bool)
    grey[k - 1 : k - 1 + oh, k - 1 : k - 1 + ow] = False
    _grid(
        ax,
        padded,
        0.5,
        top,
        f"δ padded with {k - 1} zero",
        _window(p, q, k, k, _HIGHLIGHT),
        grey,
    )
    _operator(ax, 6.25, top - 2.5, r"$\star$")
    _grid(ax, flipped, 7.0, top - 1.5, "w flipped", _window(0, 0, k, k, _HIGHLIGHT))
    _operator(ax, 9.75, top - 2.5, "=")
    _grid(ax, ex.dx, 10.5, top - 0.5, "input gradient dx", {(p, q): _RESULT})
    ax.text(
        7.5,
        top - 5.4,
        f"dx[{p}, {q}] = Σ padded δ[{p}+a, {q}+b] · flipped w[a, b]\n= "
        f"{_products(padded[p : p + k, q : q + k], flipped)} = {ex.dx[p, q]:g}",
        ha="center",
        va="top",
        fontsize=9,
    )
    return describe(
        fig,
        (
            f"Diagram of the convolution's backward pass on a 4x4 input x and a {k}x{k} kernel w, "
            f"in two rows of number grids. Top: x correlated with the upstream gradient δ gives the "
            f"weight gradient dw; entry dw[{u}, {v}] = {ex.dw[u, v]:g} is the sum of the highlighted "
            f"window of x times δ. Bottom: δ padded with {k - 1} zero on each side, correlated with w "
            f"flipped both ways, gives the input gradient dx; entry dx[{p}, {q}] = {ex.dx[p, q]:g}."
        ),
    )


def pooling_backward_picture() -> Figure:
    """2x2 pooling backward on a 4x4 input: average pooling, then max pooling with ties.

    Average pooling (top) gives each input a quarter of its window's upstream
    gradient. Max pooling (bottom) gives the whole of it to one element: the
    first maximum in row-major order, also when several are tied, where a
    mask ``x == max`` would hand it to every tied element.
    """
    x = np.array([[0, 0, 2, 5], [0, 0, 5, 1], [3, 1, 4, 4], [3, 2, 4, 4]], dtype=float)
    dout = np.array([[4, 8], [-2, 12]], dtype=float)
    _, avg_cache = layers.avg_pool_forward(x[None, None], 2)
    avg_dx = layers.avg_pool_backward(dout[None, None], avg_cache)[0, 0]
    max_out, max_cache = layers.max_pool_forward(x[None, None], 2)
    max_dx = layers.max_pool_backward(dout[None, None], max_cache)[0, 0]
    window_max = np.kron(max_out[0, 0], np.ones((2, 2)))
    mask_dx = np.where(x == window_max, np.kron(dout, np.ones((2, 2))), 0.0)

    def window_marks(values: np.ndarray | None = None) -> dict[tuple[int, int], str]:
        """Each cell in its window's colour (only the non-zero ``values``, if given)."""
        return {
            (r, c): _WINDOW_COLOURS[(r // 2) * 2 + c // 2]
            for (r, c), _ in np.ndenumerate(x)
            if values is None or values[r, c] != 0
        }

    dout_marks = {
        (r, c): _WINDOW_COLOURS[r * 2 + c] for r in range(2) for c in range(2)
    }
    fig, ax = _canvas(16.0, 13.6)
    ax.text(
        8.0,
        13.4,
        "Pooling backward, 2x2 windows: average (top), max on the same x and δ "
        "(bottom)",
        ha="center",
        va="top",
        fontsize=11,
    )
    top = 11.4
    _grid(ax, x, 0.5, top, "input x", window_marks())
    _grid(ax, dout, 5.5, top - 1, "upstream gradient δ", dout_marks)
    _operator(ax, 8.6, top - 2, "→")
    _grid(ax, avg_dx, 10.0, top, "average: dx = δ / 4", window_marks())
    ax.text(
        8.0,
        top - 4.4,
        "every input of a window gets a quarter of the window's δ",
        ha="center",
        va="top",
        fontsize=9,
    )
    top = 5.7
    _grid(ax, max_dx, 2.0, top, "max: first maximum", window_marks(max_dx))
    _grid(ax, mask_dx, 9.5, top, "max: mask x == max", window_marks(mask_dx))
    copies = (x == window_max).reshape(2, 2, 2, 2).sum(axis=(1, 3)).ravel()
    ax.text(
        8.0,
        top - 4.4,
        "every window here has tied maxima: the first one in row-major order "
        "takes all of δ,\nwhile the mask hands δ to each tied one "
        f"({', '.join(map(str, copies))} copies in the four windows)",
        ha="center",
        va="top",
        fontsize=9,
    )
    return describe(
        fig,
        (
            "Diagram of 2x2 pooling backward on a 4x4 input x, as grids of numbers coloured by "
            "window. Top: average pooling, where each input of a window gets a quarter of the "
            "window's upstream gradient δ. Bottom: max pooling on the same x, where every window "
            "has tied maxima: on the left the first maximum in row-major order takes all of δ; on "
            f"the right a mask x == max hands δ to each tied one ({', '.join(map(str, copies))} "
            "copies in the four windows)."
        ),
    )
