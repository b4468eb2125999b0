"""Figures of the shapes chapter: a kernel sliding over a padded input, LeNet-5
drawn to scale, and an interactive output-size calculator.

Every size drawn comes from :mod:`lenet_common.shapes`, so the pictures cannot
disagree with the tables. The functions return a matplotlib ``Figure`` built
without pyplot, so a notebook shows it once (when it is the cell's value) and
nothing is left open in pyplot's list of figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lenet_common import shapes
from lenet_common.plotting import FIGURE_DPI, FIGURE_INCHES, describe

__all__ = [
    "draw_sliding_kernel",
    "draw_kernel_2d",
    "draw_network",
    "draw_receptive_fields",
    "calculator_view",
    "output_size_calculator",
]

_PAD = "#d9d9d9"  # padding cells
_INPUT = "#ffffff"  # real input cells
_WINDOWS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
)


def draw_sliding_kernel(
    size: int = 7,
    kernel: int = 3,
    stride: int = 2,
    padding: shapes.Padding = 1,
    dilation: int = 1,
    *,
    pooling: bool = False,
) -> Figure:
    """Picture one row of a padded input with every position of the kernel, and the output.

    Top: the padded input row (grey = padding), then one bar per window
    position: window ``i`` starts at ``i * stride`` and its taps (dots) are
    ``dilation`` apart. The last window is the last one that still fits; a red
    dashed outline shows where the next one would stick out. Bottom: the output
    row, one cell per window, in the same colours. The count of windows is
    ``floor((padded - span) / stride) + 1``: the formula, read off the picture.
    """
    size_fn = shapes.pool_output_size if pooling else shapes.conv_output_size
    out = size_fn(size, kernel, stride, padding, dilation)
    before, after = shapes.padding_pair(padding, size, kernel, stride, dilation)
    span = shapes.effective_kernel(kernel, dilation)
    padded = size + before + after

    n_windows_drawn = min(out, 12)
    next_start = out * stride
    x_range = (-6.5, max(padded, next_start + span) + 9)
    fig, ax = _figure_for(
        x_range, n_windows_drawn * 1.1 + 5.5, inches_per_unit=0.3, title_lines=2
    )

    top = n_windows_drawn * 1.1 + 2.2
    for i in range(padded):
        real = before <= i < before + size
        ax.add_patch(
            Rectangle(
                (i, top),
                1,
                1,
                facecolor=_INPUT if real else _PAD,
                edgecolor="0.35",
                lw=0.8,
            )
        )
        if real:
            ax.text(
                i + 0.5,
                top + 0.5,
                str(i - before),
                ha="center",
                va="center",
                fontsize=7,
                color="0.4",
            )
    ax.text(-0.4, top + 0.5, "input", ha="right", va="center", fontsize=9)

    for w in range(n_windows_drawn):
        color = _WINDOWS[w % len(_WINDOWS)]
        y = top - 1.1 * (w + 1)
        start = w * stride
        ax.add_patch(
            Rectangle(
                (start, y + 0.2),
                span,
                0.6,
                facecolor=color,
                alpha=0.18,
                edgecolor=color,
            )
        )
        for t in range(kernel):
            ax.plot(start + t * dilation + 0.5, y + 0.5, "o", color=color, ms=4)
        ax.text(
            -0.4,
            y + 0.5,
            f"window {w}",
            ha="right",
            va="center",
            fontsize=8,
            color=color,
        )
    if out > n_windows_drawn:
        ax.text(
            padded / 2,
            top - 1.1 * n_windows_drawn - 0.5,
            f"... {out - n_windows_drawn} more windows",
            ha="center",
            va="center",
            fontsize=8,
        )

    if out <= n_windows_drawn:
        y = top - 1.1 * (out + 1)
        ax.add_patch(
            Rectangle(
                (next_start, y + 0.2),
                span,
                0.6,
                fill=False,
                edgecolor="#d62728",
                ls="--",
            )
        )
        ax.text(
            next_start + span + 0.3,
            y + 0.5,
            "next window would not fit",
            va="center",
            fontsize=8,
            color="#d62728",
        )

    out_y = top - 1.1 * (n_windows_drawn + 1) - 1.6
    for o in range(out):
        color = _WINDOWS[o % len(_WINDOWS)] if o < n_windows_drawn else "0.8"
        ax.add_patch(
            Rectangle(
                (o, out_y), 1, 1, facecolor=color, alpha=0.55, edgecolor="0.35", lw=0.8
            )
        )
    ax.text(-0.4, out_y + 0.5, "output", ha="right", va="center", fontsize=9)

    kind = "pooling" if pooling else "convolution"
    pad_text = f"{before}+{after}"
    fig.suptitle(
        f"{kind}: input {size}, padding {pad_text}, kernel {kernel}"
        + (f" (dilation {dilation}: span {span})" if dilation > 1 else "")
        + f", stride {stride}\n"
        f"output = floor(({padded} - {span}) / {stride}) + 1 = {out}",
        fontsize=10,
    )
    ax.set_xlim(*x_range)
    ax.set_ylim(out_y - 0.5, top + 1.5)
    return describe(
        fig,
        (
            f"Diagram of 1-D {kind}: an input row of {size} cells with {before} padding cell(s) before "
            f"and {after} after, a kernel of {kernel} taps{f' spread {dilation} apart' if dilation > 1 else ''} "
            f"drawn at each of its {out} positions, {stride} cell(s) apart, and the output row of "
            f"{out} cells, one per position: output = floor(({padded} - {span}) / {stride}) + 1 = {out}."
        ),
    )


def draw_kernel_2d(
    size: int = 5,
    kernel: int = 3,
    stride: int = 2,
    padding: int = 1,
    positions: Sequence[tuple[int, int]] | None = None,
) -> Figure:
    """A square input, padded, with the kernel at a few positions and the output value each one makes.

    Each panel shows the padded input (grey = zeros added), the window at one
    position (row, column of the output) and, on the right, the output grid
    with that value marked. Rows and columns follow the same 1-D rule, which
    is why one formula gives both the height and the width.
    """
    out = shapes.conv_output_size(size, kernel, stride, padding)
    if positions is None:
        positions = [(0, 0), (0, 1), (1, 0), (out - 1, out - 1)]
    for r, c in positions:
        if not (0 <= r < out and 0 <= c < out):
            raise shapes.ShapeError(
                f"position ({r}, {c}) is outside the {out}x{out} output."
            )
    padded = size + 2 * padding
    panel = padded + out + 2.5
    fig, ax = _figure_for(
        (-0.5, panel * len(positions)), padded + 2.2, inches_per_unit=0.32
    )
    for i, (r, c) in enumerate(positions):
        x0 = i * panel
        for row in range(padded):
            for col in range(padded):
                real = (
                    padding <= row < padding + size and padding <= col < padding + size
                )
                # row 0 is drawn at the top, as in an image
                ax.add_patch(
                    Rectangle(
                        (x0 + col, padded - 1 - row),
                        1,
                        1,
                        facecolor=_INPUT if real else _PAD,
                        edgecolor="0.45",
                        lw=0.6,
                    )
                )
        color = _WINDOWS[i % len(_WINDOWS)]
        top, left = r * stride, c * stride
        ax.add_patch(
            Rectangle(
                (x0 + left, padded - top - kernel),
                kernel,
                kernel,
                facecolor=color,
                alpha=0.35,
                edgecolor=color,
                lw=2,
            )
        )
        ox, oy = x0 + padded + 1.5, (padded - out) / 2
        for row in range(out):
            for col in range(out):
                here = (row, col) == (r, c)
                ax.add_patch(
                    Rectangle(
                        (ox + col, oy + out - 1 - row),
                        1,
                        1,
                        facecolor=color if here else "white",
                        alpha=0.6 if here else 1.0,
                        edgecolor="0.45",
                        lw=0.6,
                    )
                )
        ax.text(
            x0 + padded / 2,
            padded + 0.4,
            f"output ({r}, {c})",
            ha="center",
            va="bottom",
            fontsize=9,
            color=color,
        )
        ax.annotate(
            "",
            xy=(ox - 0.2, oy + out / 2),
            xytext=(x0 + padded + 0.2, oy + out / 2),
            arrowprops=dict(arrowstyle="->", color="0.4"),
        )
    ax.set_xlim(-0.5, panel * len(positions))
    ax.set_ylim(-0.5, padded + 1.7)
    fig.suptitle(
        f"{size}x{size} input, padding {padding}, {kernel}x{kernel} kernel, stride {stride} "
        f"-> {out}x{out} output",
        fontsize=10,
    )
    return describe(
        fig,
        (
            f"{len(positions)} panels, each a {size}x{size} input grid with a border of {padding} "
            f"grey padding cell(s), a {kernel}x{kernel} window at one position (moving {stride} "
            f"cells per step), and an arrow to the {out}x{out} output grid with the value that "
            f"window makes marked: outputs "
            + ", ".join(f"({r}, {c})" for r, c in positions)
            + "."
        ),
    )


def _figure_for(
    x_range: tuple[float, float],
    y_extent: float,
    *,
    inches_per_unit: float,
    title_lines: int = 1,
) -> tuple[Figure, Any]:
    """A figure whose size fits data drawn at equal aspect, so no empty bands are left."""
    width = (x_range[1] - x_range[0]) * inches_per_unit
    scale = min(1.0, FIGURE_INCHES / width)  # the book's figure rule: within the column
    fig = Figure(
        figsize=(
            width * scale,
            y_extent * inches_per_unit * scale + 0.25 * title_lines + 0.2,
        ),
        dpi=FIGURE_DPI,
        layout="constrained",
    )
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _draw_sheets(
    ax: Any, x: float, channels: int, side: int, offset: float, base: float
) -> float:
    """Stack ``channels`` squares of ``side`` (to scale); return the x where the stack ends."""
    for c in range(channels):
        ax.add_patch(
            Rectangle(
                (x + c * offset, base + c * offset),
                side,
                side,
                facecolor="#c6dbef",
                edgecolor="#08519c",
                lw=0.5,
            )
        )
    top_x, top_y = x + (channels - 1) * offset, base + (channels - 1) * offset
    for i in range(1, side):  # the cells of the front sheet: one per number
        ax.plot([top_x + i, top_x + i], [top_y, top_y + side], color="#6baed6", lw=0.25)
        ax.plot([top_x, top_x + side], [top_y + i, top_y + i], color="#6baed6", lw=0.25)
    return x + (channels - 1) * offset + side


def _draw_vector(ax: Any, x: float, n: int, base: float, max_height: int) -> float:
    """Draw ``n`` unit cells folded into columns at most ``max_height`` tall; return the end x."""
    n_cols = -(-n // max_height)
    col_height = -(-n // n_cols)
    for i in range(n):
        col, row = divmod(i, col_height)
        ax.add_patch(
            Rectangle(
                (x + col, base + row),
                1,
                1,
                facecolor="#fdd0a2",
                edgecolor="#a63603",
                lw=0.4,
            )
        )
    return x + n_cols


def draw_network(
    rows: Sequence[shapes.LayerRow] | None = None,
    *,
    title: str = "LeNet-5 to scale",
    gap: float = 7.0,
) -> Figure:
    """Draw LeNet-5 (or any table from :func:`shapes.layer_table`) to scale.

    Each small square is one number: a feature map of HxW values is an HxW
    square, channels are stacked sheets, and a vector (dense output) is a
    column of unit cells, folded to stay no taller than the input. So both
    the sizes of maps and the amount of numbers per layer can be compared by
    eye. A conv or pool kernel is outlined, to scale, on the layer it reads.
    Stacks of more than 16 maps are drawn closer together (only their depth
    is squeezed, never a map's size). Works for square maps.
    """
    rows = shapes.lenet5_table() if rows is None else list(rows)
    first = rows[0].in_shape
    max_height = max(first[1], 8)
    layers = [("input", first)] + [(r.name, r.out_shape) for r in rows]

    def offset_of(c: int) -> float:
        """Sheets 1 unit apart, squeezed when there are many, so a stack stays readable."""
        return 1.0 if c <= 16 else 15.0 / (c - 1)

    def width_of(c: int, h: int, w: int) -> float:
        return float(-(-c // max_height)) if h == w == 1 else (c - 1) * offset_of(c) + w

    def gap_after(c: int, h: int, w: int) -> float:
        """Thin vector columns get a wider gap, so their labels do not touch."""
        return gap if h > 1 else 1.6 * gap

    total_width = sum(width_of(*shape) for _, shape in layers)
    total_width += sum(gap_after(*shape) for _, shape in layers[:-1])
    tallest = max(
        h + (c - 1) * offset_of(c) if h > 1 else min(c, max_height)
        for _, (c, h, _) in layers
    )
    x_range = (-1.0, total_width + 1)
    fig, ax = _figure_for(x_range, tallest + 7, inches_per_unit=0.12, title_lines=2)

    x, base = 0.0, 0.0
    for i, (name, (c, h, w)) in enumerate(layers):
        if h == w == 1:
            end = _draw_vector(ax, x, c, base, max_height)
            label = f"{name}\n{c}"
        else:
            end = _draw_sheets(ax, x, c, h, offset_of(c), base)
            label = f"{name}\n{c}@{h}x{w}"
        ax.text((x + end) / 2, base - 1.5, label, ha="center", va="top", fontsize=9)
        if i < len(rows) and rows[i].kind in ("conv", "pool") and h > 1:
            k = rows[i].kernel
            top_x, top_y = x + (c - 1) * offset_of(c), base + (c - 1) * offset_of(c)
            ax.add_patch(
                Rectangle(
                    (top_x, top_y + h - k),
                    k,
                    k,
                    fill=False,
                    edgecolor="#d62728",
                    lw=1.4,
                )
            )
        x = end + gap_after(c, h, w)

    ax.set_xlim(*x_range)
    ax.set_ylim(-6.5, tallest + 0.5)
    fig.suptitle(
        f"{title}\none small square = one number; red = the kernel of the next layer",
        fontsize=10,
    )
    shapes_text = ", ".join(
        f"{name} {c}@{h}x{w}" if h > 1 else f"{name} {c}" for name, (c, h, w) in layers
    )
    return describe(
        fig,
        (
            f"{title}: the layers from left to right, drawn to scale as stacks of square maps (one "
            f"small square per number) and columns of numbers, with the kernel of each convolution "
            f"and pooling outlined in red on the layer it reads: {shapes_text}."
        ),
    )


def draw_receptive_fields(
    image: Any,
    rows: Sequence[shapes.LayerRow] | None = None,
    *,
    layers: Sequence[str] | None = None,
) -> Figure:
    """The input pixels one unit of each layer sees, drawn on a digit.

    One panel per layer (C1, S2, C3, S4, C5 by default): the image, and the
    square :func:`shapes.receptive_field_window` computes for the unit at the
    middle of that layer's maps, so that each square holds the one before.
    ``image`` is one 32x32 picture (any array that squeezes to 2-D).
    """
    picture = np.squeeze(np.asarray(image))
    rows = shapes.lenet5_table() if rows is None else list(rows)
    if layers is None:
        layers = [r.name for r in rows if r.kind in ("conv", "pool")]
    names = list(layers)
    by_name = {r.name: r for r in rows}
    if picture.ndim != 2 or picture.shape != tuple(rows[0].in_shape[1:]):
        size = f"{rows[0].in_shape[1]}x{rows[0].in_shape[2]}"
        raise ValueError(
            f"image must be one {size} picture, got an array of shape {np.shape(image)}"
        )
    fig = Figure(figsize=(FIGURE_INCHES, 2.3), dpi=FIGURE_DPI, layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        row = by_name[name]
        unit = ((row.out_shape[1] - 1) // 2, (row.out_shape[2] - 1) // 2)
        top, left, side = shapes.receptive_field_window(rows, name, unit)
        ax.imshow(picture, cmap="gray_r")
        ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5),
                side,
                side,
                facecolor="#d62728",
                alpha=0.25,
                edgecolor="#d62728",
                lw=1.5,
            )
        )
        ax.set_title(f"{name}, unit {unit}\nsees {side}x{side}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("The receptive field of one unit per layer, on the input", fontsize=10)
    seen = []
    for name in names:
        row = by_name[name]
        unit = ((row.out_shape[1] - 1) // 2, (row.out_shape[2] - 1) // 2)
        seen.append(
            f"{name} sees {shapes.receptive_field_window(rows, name, unit)[2]}x"
            f"{shapes.receptive_field_window(rows, name, unit)[2]}"
        )
    return describe(
        fig,
        (
            f"{len(names)} copies of the same digit, one per layer, each with a red square over the "
            f"input pixels that the middle unit of that layer sees, growing from layer to layer: "
            + ", ".join(seen)
            + "."
        ),
    )


def calculator_view(
    size: int,
    kernel: int,
    stride: int,
    padding: shapes.Padding,
    dilation: int = 1,
    pooling: bool = False,
) -> Figure | str:
    """What the calculator shows: the sliding-kernel picture, or why the numbers do not work."""
    try:
        return draw_sliding_kernel(
            size, kernel, stride, padding, dilation, pooling=pooling
        )
    except shapes.ShapeError as err:
        return f"This configuration does not work: {err}"


def output_size_calculator(
    size: int = 7, kernel: int = 3, stride: int = 2, padding: int = 1, dilation: int = 1
) -> Any:
    """An ipywidgets calculator: sliders for the numbers, the picture and the output size.

    Needs ``ipywidgets`` (installed in Colab and by the ``book`` extra). A
    configuration that does not fit shows :class:`shapes.ShapeError`'s message
    instead of a picture.
    """
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the calculator needs ipywidgets: pip install ipywidgets (Colab has it already)"
        ) from err

    style = {"description_width": "90px"}
    controls = {
        "size": widgets.IntSlider(
            value=size, min=1, max=32, description="input size", style=style
        ),
        "kernel": widgets.IntSlider(
            value=kernel, min=1, max=9, description="kernel", style=style
        ),
        "stride": widgets.IntSlider(
            value=stride, min=1, max=5, description="stride", style=style
        ),
        "padding": widgets.IntSlider(
            value=padding, min=0, max=5, description="padding", style=style
        ),
        "dilation": widgets.IntSlider(
            value=dilation, min=1, max=4, description="dilation", style=style
        ),
        "pooling": widgets.ToggleButtons(
            options=[("convolution", False), ("pooling", True)],
            value=False,
            description="layer",
            style=style,
        ),
    }
    out = widgets.Output()

    def redraw(*_: Any) -> None:
        view = calculator_view(
            **{name: control.value for name, control in controls.items()}
        )
        out.clear_output(wait=True)
        with out:
            if isinstance(view, Figure):
                display(view)
            else:
                print(view)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()

    class Calculator(widgets.HBox):
        """The sliders and the picture; as text (a static page), one line on how to use it."""

        def __repr__(self) -> str:
            return "[the output-size calculator: run this chapter in Jupyter or Colab to use it]"

    return Calculator([widgets.VBox(list(controls.values())), out])
