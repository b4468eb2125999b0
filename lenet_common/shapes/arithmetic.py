"""Output-size arithmetic for convolution and pooling, and the LeNet-5 layer tables.

Everything here is plain integer arithmetic (no frameworks), so a reader
can follow each step by hand; the book's network itself is read from
:mod:`lenet_common.lenet5`. Three parts:

1. :func:`conv_output_size` and :func:`pool_output_size`: the size of one
   spatial dimension after a layer, from input size, kernel, stride, padding
   and dilation, with ``"valid"``/``"same"`` as PyTorch and Keras define them.
2. Layer descriptions (:class:`Conv`, :class:`Pool`, :class:`Dense`,
   :class:`RBFOutput`) and :func:`layer_table`, which walks an input shape
   through them and computes each layer's output shape, parameters,
   multiply-accumulates per image and receptive field.
3. :func:`lenet5_layers` / :func:`lenet5_table` for the book's "modern"
   LeNet-5 and for the 1998 network, and :func:`format_table` to show a table
   in a notebook (HTML) or a terminal (plain text).

Any size that does not work raises :class:`ShapeError`, whose message names
the number that is wrong and why.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from lenet_common import lenet5

__all__ = [
    "ShapeError",
    "effective_kernel",
    "same_padding",
    "padding_pair",
    "conv_output_size",
    "pool_output_size",
    "Conv",
    "Pool",
    "Dense",
    "RBFOutput",
    "Layer",
    "LayerRow",
    "layer_table",
    "total_params",
    "total_macs",
    "receptive_field_window",
    "C3_CONNECTION_TABLE",
    "c3_connection_table",
    "lenet5_layers",
    "lenet5_table",
    "LENET5_VARIANTS",
    "format_table",
    "LayerTable",
]

Padding = int | str | tuple[int, int]
Shape = tuple[int, int, int]

#: The variants :func:`lenet5_layers` knows.
LENET5_VARIANTS = ("modern", "1998")


class ShapeError(ValueError):
    """A layer configuration that cannot work, with the reason in the message."""


# ---------------------------------------------------------------------------
# Checking the numbers
# ---------------------------------------------------------------------------


def _check_int(value: object, what: str, minimum: int) -> int:
    """Return ``value`` as an int if it is a whole number >= ``minimum``, else raise ShapeError.

    NumPy integers are accepted (array shapes and sums often are); floats and
    booleans are not, because a size of 2.5 or True is always a mistake.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ShapeError(
            f"{what} must be a whole number, got {value!r} ({type(value).__name__})."
        )
    value = int(value)
    if value < minimum:
        reason = (
            "sizes, kernels, strides and dilations start at 1"
            if minimum == 1
            else "it cannot be negative"
        )
        raise ShapeError(f"{what} must be at least {minimum}, got {value}: {reason}.")
    return value


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``dilation * (kernel - 1) + 1`` input positions.

    A 3-wide kernel with dilation 2 touches positions 0, 2 and 4, so it spans 5.
    """
    kernel = _check_int(kernel, "kernel", 1)
    dilation = _check_int(dilation, "dilation", 1)
    return dilation * (kernel - 1) + 1


def same_padding(
    size: int, kernel: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """Padding ``(before, after)`` that ``padding="same"`` adds, as TensorFlow/Keras and PyTorch do.

    "same" means: output size = ceil(size / stride). The total padding needed
    for that is split in two, with the odd one out going *after* (right/bottom).
    With stride 1 this is also what PyTorch's ``padding="same"`` adds (PyTorch
    refuses "same" for strides above 1).
    """
    size = _check_int(size, "input size", 1)
    stride = _check_int(stride, "stride", 1)
    span = effective_kernel(kernel, dilation)
    out = -(-size // stride)  # ceil(size / stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def padding_pair(
    padding: Padding, size: int, kernel: int, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """The zeros added ``(before, after)`` for an int, a ``(before, after)`` pair, "valid" or "same"."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return 0, 0
        if mode == "same":
            return same_padding(size, kernel, stride, dilation)
        raise ShapeError(
            f'padding={padding!r} is not understood: use a number of zeros, a pair (before, after), "valid" or "same".'
        )
    if isinstance(padding, tuple):
        if len(padding) != 2:
            raise ShapeError(
                f"padding={padding!r}: a tuple must be (before, after), two numbers."
            )
        return _check_int(padding[0], "padding before", 0), _check_int(
            padding[1], "padding after", 0
        )
    p = _check_int(padding, "padding", 0)
    return p, p


def _sliding_output(
    size: int,
    kernel: int,
    stride: int,
    padding: Padding,
    dilation: int,
    exact: bool,
    what: str,
) -> tuple[int, int]:
    """Shared core of conv and pooling sizes.

    Returns ``(output size, leftover positions)``.
    """
    size = _check_int(size, "input size", 1)
    stride = _check_int(stride, "stride", 1)
    span = effective_kernel(kernel, dilation)
    before, after = padding_pair(padding, size, kernel, stride, dilation)
    padded = size + before + after
    if span > padded:
        dil = f" (kernel {kernel} with dilation {dilation})" if dilation > 1 else ""
        raise ShapeError(
            f"the {what} kernel spans {span} positions{dil} but the padded input "
            f"is only {padded} wide (input {size} + padding {before}+{after}): "
            "the kernel does not fit once. "
            "Use a smaller kernel, more padding, or a larger input."
        )
    leftover = (padded - span) % stride
    if exact and leftover:
        raise ShapeError(
            f"stride {stride} does not divide {padded} - {span} = {padded - span} "
            f"evenly (padded input {padded}, kernel span {span}): the last "
            f"{leftover} position(s) would be dropped. Change the padding or the "
            "stride, or call with exact=False to accept it."
        )
    return (padded - span) // stride + 1, leftover


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: Padding = 0,
    dilation: int = 1,
    *,
    exact: bool = False,
) -> int:
    """Output size of a convolution along one dimension.

    ``floor((size + before + after - dilation*(kernel-1) - 1) / stride) + 1``,
    where ``before``/``after`` is the padding: an int (the same on both sides,
    as in PyTorch's ``padding=p``), a ``(before, after)`` pair, ``"valid"``
    (no padding) or ``"same"`` (output = ceil(size/stride), as in Keras).

    With ``exact=True`` a stride that does not land exactly on the last
    position (so that input rows would be silently dropped) is an error.
    """
    return _sliding_output(
        size, kernel, stride, padding, dilation, exact, "convolution"
    )[0]


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: Padding = 0,
    dilation: int = 1,
    *,
    ceil_mode: bool = False,
    exact: bool = False,
) -> int:
    """Output size of a pooling layer along one dimension.

    Same formula as :func:`conv_output_size`, with two differences that the
    frameworks share: the stride defaults to the kernel size (windows side by
    side, no overlap), and a numeric padding may be at most half the kernel
    (PyTorch's rule; more would make windows that see only padding).
    ``ceil_mode=True`` is PyTorch's option to keep a last, partial window,
    provided it starts inside the input or its left padding.
    """
    _check_int(kernel, "kernel", 1)
    stride = kernel if stride is None else stride
    if not isinstance(padding, (str, tuple)):
        _check_int(padding, "padding", 0)
        if padding > kernel // 2:
            raise ShapeError(
                f"pooling padding {padding} is more than half the kernel ({kernel} // 2 = {kernel // 2}): "
                "some windows would cover only padding. PyTorch refuses this too; use less padding."
            )
    if not ceil_mode:
        return _sliding_output(
            size, kernel, stride, padding, dilation, exact, "pooling"
        )[0]
    out, leftover = _sliding_output(
        size, kernel, stride, padding, dilation, False, "pooling"
    )
    if leftover:
        before, _ = padding_pair(padding, size, kernel, stride, dilation)
        # One more, partial window, but only if it starts inside input + left padding.
        if out * stride < size + before:
            out += 1
    return out


# ---------------------------------------------------------------------------
# Layer descriptions
# ---------------------------------------------------------------------------


def _normalise(layer: object, **minimums: int) -> None:
    """Check a frozen layer description's integer fields and store them as plain ints."""
    for field_name, minimum in minimums.items():
        value = getattr(layer, field_name)
        if value is None:
            continue
        checked = _check_int(value, f"{layer.name} {field_name}", minimum)  # type: ignore[attr-defined]
        object.__setattr__(layer, field_name, checked)
    padding = getattr(layer, "padding", None)
    if padding is not None and not isinstance(padding, (str, tuple)):
        object.__setattr__(
            layer, "padding", _check_int(padding, f"{layer.name} padding", 0)
        )  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution with square kernels.

    ``connections`` is an optional table of booleans, one row per input map and
    one column per output map (``connections[i][o]``: output map ``o`` looks at
    input map ``i``), as in C3 of the 1998 paper. ``None`` means every output
    map sees every input map, as in modern networks.
    """

    name: str
    filters: int
    kernel: int
    stride: int = 1
    padding: Padding = 0
    dilation: int = 1
    connections: tuple[tuple[bool, ...], ...] | None = None
    bias: bool = True

    def __post_init__(self) -> None:
        _normalise(self, filters=1, kernel=1, stride=1, dilation=1)


@dataclass(frozen=True)
class Pool:
    """2-D pooling over square windows, channel by channel.

    ``mode`` is ``"average"`` or ``"max"``. ``trainable=True`` is the 1998
    subsampling: each map's 2x2 sum is multiplied by a trainable coefficient
    and shifted by a trainable bias, 2 parameters per map.
    """

    name: str
    kernel: int
    stride: int | None = None
    padding: Padding = 0
    mode: str = "average"
    trainable: bool = False

    def __post_init__(self) -> None:
        _normalise(self, kernel=1, stride=1)


@dataclass(frozen=True)
class Dense:
    """A fully connected layer; the input is flattened first (C*H*W values)."""

    name: str
    units: int
    bias: bool = True

    def __post_init__(self) -> None:
        _normalise(self, units=1)


@dataclass(frozen=True)
class RBFOutput:
    """The 1998 paper's output: Euclidean RBF units with fixed (not trained) centres.

    Unit ``i`` outputs the squared distance between its input vector and a
    fixed vector (a 7x12 bitmap of +1/-1 for digit ``i``). The centres are
    parameters of the model but nothing learns them, so they are counted as
    ``fixed_params`` and not in ``params``.
    """

    name: str
    units: int

    def __post_init__(self) -> None:
        _normalise(self, units=1)


Layer = Conv | Pool | Dense | RBFOutput


@dataclass(frozen=True)
class LayerRow:
    """One computed row of a layer table.

    Shapes are ``(channels, height, width)``; dense layers give ``(n, 1, 1)``.
    ``params`` counts trainable parameters (weights + biases). ``macs`` counts
    multiply-accumulates per image: one per weight use (kernel tap, dense
    weight, averaged input, RBF distance term); biases, activations and max
    comparisons are not counted. ``connections`` is the 1998 paper's measure,
    MACs plus one per bias use. ``receptive_field`` is the side of the square
    patch of the input that one output value depends on, from the usual
    recurrence, which ignores the image border: with padding it can be larger
    than the image (part of the field then lies on the zeros). ``kernel`` and
    ``stride`` are 0 for dense and RBF layers.
    """

    name: str
    kind: str
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int
    connections: int
    receptive_field: int
    detail: str = ""
    fixed_params: int = 0
    padding: tuple[int, int] = (0, 0)
    kernel: int = 0
    stride: int = 0

    @property
    def out_values(self) -> int:
        """How many numbers this layer outputs per image."""
        c, h, w = self.out_shape
        return c * h * w


def _check_shape(shape: Sequence[int]) -> Shape:
    if len(shape) != 3:
        raise ShapeError(
            f"input shape {tuple(shape)!r} must be (channels, height, width), three numbers."
        )
    c, h, w = shape
    return (
        _check_int(c, "input channels", 1),
        _check_int(h, "input height", 1),
        _check_int(w, "input width", 1),
    )


def _check_connections(layer: Conv, in_channels: int) -> list[int]:
    """Number of input maps each output map sees, after checking the table's size."""
    if layer.connections is None:
        return [in_channels] * layer.filters
    table = layer.connections
    if len(table) != in_channels or any(len(row) != layer.filters for row in table):
        raise ShapeError(
            f"{layer.name}: the connection table must have one row per input map ({in_channels}) and one "
            f"column per output map ({layer.filters}); got {len(table)} rows of lengths "
            f"{sorted({len(row) for row in table})}."
        )
    counts = [
        sum(bool(table[i][o]) for i in range(in_channels)) for o in range(layer.filters)
    ]
    empty = [o for o, n in enumerate(counts) if n == 0]
    if empty:
        raise ShapeError(
            f"{layer.name}: output map(s) {empty} are connected to no input map."
        )
    return counts


def _spatial(layer: Conv | Pool, h: int, w: int) -> tuple[int, int, tuple[int, int]]:
    """Output height and width of a conv or pool layer, plus the padding used along the height."""
    try:
        if isinstance(layer, Conv):
            size = conv_output_size
            kwargs = dict(
                stride=layer.stride, padding=layer.padding, dilation=layer.dilation
            )
            dilation = layer.dilation
            stride = layer.stride
        else:
            size = pool_output_size
            stride = layer.kernel if layer.stride is None else layer.stride
            kwargs = dict(stride=stride, padding=layer.padding)
            dilation = 1
        oh = size(h, layer.kernel, **kwargs)
        ow = size(w, layer.kernel, **kwargs)
    except ShapeError as err:
        raise ShapeError(f"{layer.name} (input {h}x{w}): {err}") from None
    pad = padding_pair(layer.padding, h, layer.kernel, stride, dilation)
    return oh, ow, pad


def layer_table(input_shape: Sequence[int], layers: Sequence[Layer]) -> list[LayerRow]:
    """Walk ``input_shape`` (C, H, W) through ``layers`` and compute every row.

    The receptive field uses the usual recurrence: a layer with kernel span
    ``k`` and stride ``s`` grows the field by ``(k - 1) * jump`` and multiplies
    ``jump`` (the input-pixel distance between neighbouring outputs) by ``s``.
    A dense layer sees its whole input, so it acts as a kernel as large as it.
    """
    shape = _check_shape(input_shape)
    if not layers:
        raise ShapeError("no layers given: pass at least one layer description.")
    rf, jump = 1, 1
    rows: list[LayerRow] = []
    for layer in layers:
        c, h, w = shape
        if isinstance(layer, Conv):
            oh, ow, pad = _spatial(layer, h, w)
            seen = _check_connections(layer, c)
            k2 = layer.kernel * layer.kernel
            weights = sum(seen) * k2
            biases = layer.filters if layer.bias else 0
            macs = oh * ow * weights
            span = effective_kernel(layer.kernel, layer.dilation)
            rf, jump = rf + (span - 1) * jump, jump * layer.stride
            detail = f"{layer.filters}@{layer.kernel}x{layer.kernel}"
            if layer.stride != 1:
                detail += f", stride {layer.stride}"
            if layer.dilation != 1:
                detail += f", dilation {layer.dilation}"
            if pad != (0, 0):
                detail += (
                    f", pad {layer.padding if isinstance(layer.padding, str) else pad}"
                )
            if layer.connections is not None:
                detail += f", {sum(seen)} of {c * layer.filters} map pairs"
            rows.append(
                LayerRow(
                    layer.name,
                    "conv",
                    shape,
                    (layer.filters, oh, ow),
                    weights + biases,
                    macs,
                    macs + oh * ow * biases,
                    rf,
                    detail,
                    0,
                    pad,
                    layer.kernel,
                    layer.stride,
                )
            )
            shape = (layer.filters, oh, ow)
        elif isinstance(layer, Pool):
            if layer.mode not in ("average", "max"):
                raise ShapeError(
                    f'{layer.name}: pooling mode {layer.mode!r} is not "average" or "max".'
                )
            if layer.mode == "max" and layer.trainable:
                raise ShapeError(
                    f"{layer.name}: trainable subsampling is an average (sum) pooling, not max."
                )
            oh, ow, pad = _spatial(layer, h, w)
            stride = layer.kernel if layer.stride is None else layer.stride
            k2 = layer.kernel * layer.kernel
            params = 2 * c if layer.trainable else 0
            macs = c * oh * ow * k2 if layer.mode == "average" else 0
            connections = macs + (c * oh * ow if layer.trainable else 0)
            rf, jump = rf + (layer.kernel - 1) * jump, jump * stride
            detail = f"{layer.mode} {layer.kernel}x{layer.kernel}, stride {stride}"
            if pad != (0, 0):
                detail += (
                    f", pad {layer.padding if isinstance(layer.padding, str) else pad}"
                )
            if layer.trainable:
                detail += ", trainable coefficient + bias"
            rows.append(
                LayerRow(
                    layer.name,
                    "pool",
                    shape,
                    (c, oh, ow),
                    params,
                    macs,
                    connections,
                    rf,
                    detail,
                    0,
                    pad,
                    layer.kernel,
                    stride,
                )
            )
            shape = (c, oh, ow)
        elif isinstance(layer, (Dense, RBFOutput)):
            n_in = c * h * w
            rf = rf + (max(h, w) - 1) * jump  # it sees every position of its input
            macs = n_in * layer.units
            if isinstance(layer, Dense):
                biases = layer.units if layer.bias else 0
                detail = f"{n_in} -> {layer.units}" + (
                    " (flatten first)" if h * w > 1 else ""
                )
                rows.append(
                    LayerRow(
                        layer.name,
                        "dense",
                        shape,
                        (layer.units, 1, 1),
                        macs + biases,
                        macs,
                        macs + biases,
                        rf,
                        detail,
                    )
                )
            else:
                detail = f"{layer.units} RBF units on {n_in} inputs, fixed centres"
                rows.append(
                    LayerRow(
                        layer.name,
                        "rbf",
                        shape,
                        (layer.units, 1, 1),
                        0,
                        macs,
                        macs,
                        rf,
                        detail,
                        fixed_params=macs,
                    )
                )
            shape = (layer.units, 1, 1)
        else:
            raise ShapeError(
                f"{layer!r} is not a layer description: use Conv, Pool, Dense or RBFOutput."
            )
    return rows


def total_params(rows: Sequence[LayerRow]) -> int:
    """Trainable parameters of a whole table."""
    return sum(r.params for r in rows)


def total_macs(rows: Sequence[LayerRow]) -> int:
    """Multiply-accumulates per image of a whole table."""
    return sum(r.macs for r in rows)


def receptive_field_window(
    rows: Sequence[LayerRow], layer: str, unit: tuple[int, int]
) -> tuple[int, int, int]:
    """The patch of the input that one unit sees: ``(top, left, side)`` in input pixels.

    ``unit`` is the (row, column) of the unit in ``layer``'s output maps. Walking
    the table from the input: unit ``i`` of a layer with stride ``s`` and
    padding ``p`` reads from position ``i * s - p`` of the layer before, whose
    positions lie ``jump`` input pixels apart. With padding, ``top`` or
    ``left`` can be negative (part of the field then lies on the zeros).
    """
    names = [row.name for row in rows]
    if layer not in names:
        raise ShapeError(f"no layer named {layer!r} in the table; it has {names}.")
    target = rows[names.index(layer)]
    if target.kind not in ("conv", "pool"):
        raise ShapeError(
            f"{layer} is a {target.kind} layer: each of its units sees the whole input."
        )
    r, c = unit
    if not (0 <= r < target.out_shape[1] and 0 <= c < target.out_shape[2]):
        size = f"{target.out_shape[1]}x{target.out_shape[2]}"
        raise ShapeError(f"unit {unit} is outside {layer}'s {size} maps.")
    offset, jump = 0, 1  # the input pixel of a layer's position 0, and of its step
    for row in rows[: names.index(layer)]:
        offset, jump = offset - row.padding[0] * jump, jump * row.stride
    top = offset + (r * target.stride - target.padding[0]) * jump
    left = offset + (c * target.stride - target.padding[0]) * jump
    return top, left, target.receptive_field


# ---------------------------------------------------------------------------
# LeNet-5
# ---------------------------------------------------------------------------

#: Table I of LeCun et al. (1998): which S2 maps (rows 0-5) each C3 map
#: (columns 0-15) takes as input. "X" = connected.
C3_CONNECTION_TABLE: tuple[str, ...] = (
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
)


def c3_connection_table() -> tuple[tuple[bool, ...], ...]:
    """The 1998 C3 table as booleans, ``[input map][output map]`` (6 x 16)."""
    return tuple(tuple(ch == "X" for ch in row) for row in C3_CONNECTION_TABLE)


def lenet5_layers(
    variant: str = "modern", *, c1_padding: Padding = 0, c5: str = "conv"
) -> list[Layer]:
    """The layer descriptions of LeNet-5.

    ``variant="modern"``: the book's network (full C3, plain 2x2 average
    pooling, softmax output from a dense layer). ``variant="1998"``: the
    paper's (C3 connection table, trainable subsampling, RBF output).

    ``c1_padding`` and ``c5`` exist to reproduce common mistakes: a C1 with
    ``padding="same"``, or C5 written as ``Dense(120)`` after a flatten
    (``c5="dense"``), which accepts any input size and so hides a wrong one.
    """
    if variant not in LENET5_VARIANTS:
        raise ShapeError(
            f"unknown LeNet-5 variant {variant!r}: choose one of {LENET5_VARIANTS}."
        )
    if c5 not in ("conv", "dense"):
        raise ShapeError(
            f'c5={c5!r}: use "conv" (the paper\'s 5x5 convolution) or "dense".'
        )
    paper = variant == "1998"
    layers: list[Layer] = []
    for spec in lenet5.LAYERS:  # the book's network, described once
        name = "Output" if spec.name == "output" else spec.name.upper()
        if spec.kind == "avg_pool":
            layers.append(Pool(name, spec.size, trainable=paper))
        elif spec.kind == "conv" and not (name == "C5" and c5 == "dense"):
            layers.append(
                Conv(
                    name,
                    spec.size,
                    spec.kernel,
                    padding=c1_padding if name == "C1" else 0,
                    connections=c3_connection_table()
                    if paper and name == "C3"
                    else None,
                )
            )
        elif paper and name == "Output":
            layers.append(RBFOutput(name, spec.size))
        else:
            layers.append(Dense(name, spec.size))
    return layers


def lenet5_table(
    variant: str = "modern",
    *,
    input_size: int = 32,
    c1_padding: Padding = 0,
    c5: str = "conv",
) -> list[LayerRow]:
    """The computed LeNet-5 layer table for a 1-channel ``input_size`` square image.

    The defaults give the book's network (61,706 parameters);
    ``variant="1998"`` gives the paper's per-layer counts. See
    :func:`lenet5_layers` for ``c1_padding`` and ``c5``.
    """
    return layer_table(
        (1, input_size, input_size),
        lenet5_layers(variant, c1_padding=c1_padding, c5=c5),
    )


# ---------------------------------------------------------------------------
# Showing a table
# ---------------------------------------------------------------------------

_COLUMNS = ("layer", "what", "input", "output", "params", "MACs", "receptive field")


def _shape_text(shape: Shape) -> str:
    c, h, w = shape
    return f"{c}" if h == w == 1 else f"{c}x{h}x{w}"


class LayerTable:
    """A layer table that shows as HTML in a notebook and as aligned text elsewhere."""

    def __init__(self, rows: Sequence[LayerRow], title: str | None = None) -> None:
        if not rows:
            raise ShapeError(
                "an empty table: pass the rows that layer_table() returned."
            )
        self.rows = list(rows)
        self.title = title

    def _cells(self) -> tuple[list[list[str]], list[str]]:
        body = [
            [
                r.name,
                r.detail,
                _shape_text(r.in_shape),
                _shape_text(r.out_shape),
                f"{r.params:,}",
                f"{r.macs:,}",
                f"{r.receptive_field}x{r.receptive_field}",
            ]
            for r in self.rows
        ]
        total = [
            "total",
            "",
            "",
            "",
            f"{total_params(self.rows):,}",
            f"{total_macs(self.rows):,}",
            "",
        ]
        return body, total

    def __str__(self) -> str:
        body, total = self._cells()
        table = [list(_COLUMNS), *body, total]
        widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
        numeric = {4, 5}

        def line(row: list[str]) -> str:
            return "  ".join(
                cell.rjust(w) if i in numeric else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()

        rule = "-" * len(line(table[0]))
        out = ([self.title] if self.title else []) + [line(table[0]), rule]
        out += [line(row) for row in body] + [rule, line(total)]
        fixed = sum(r.fixed_params for r in self.rows)
        if fixed:
            out.append(
                f"(plus {fixed:,} fixed, untrained parameters in the RBF output)"
            )
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        body, total = self._cells()
        esc = html.escape
        right = ' style="text-align:right"'

        def row_html(cells: list[str], tag: str = "td") -> str:
            return (
                "<tr>"
                + "".join(
                    f"<{tag}{right if i in (4, 5) else ''}>{esc(c)}</{tag}>"
                    for i, c in enumerate(cells)
                )
                + "</tr>"
            )

        parts = ["<table>"]
        if self.title:
            parts.append(f"<caption>{esc(self.title)}</caption>")
        parts.append("<thead>" + row_html(list(_COLUMNS), "th") + "</thead><tbody>")
        parts += [row_html(r) for r in body]
        parts.append("</tbody><tfoot>" + row_html(total, "th") + "</tfoot></table>")
        fixed = sum(r.fixed_params for r in self.rows)
        if fixed:
            parts.append(
                f"<p>(plus {fixed:,} fixed, untrained parameters in the RBF output)</p>"
            )
        return "".join(parts)


def format_table(rows: Sequence[LayerRow], title: str | None = None) -> LayerTable:
    """Wrap computed rows for display: HTML in Jupyter, aligned text with ``print``."""
    return LayerTable(rows, title)
