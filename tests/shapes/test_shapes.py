"""Tests of lenet_common.shapes: the formulas against what PyTorch and Keras
really produce, the LeNet-5 tables, every error, the figures and the exercise
checks of the shapes chapter."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lenet_common import shapes
from lenet_common.shapes import Conv, Dense, Pool, RBFOutput, ShapeError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Derandomized: the same examples on every run, so CI results are reproducible.
FEW = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 3)
dilations = st.integers(1, 3)


def _fits(size: int, kernel: int, padding: int, dilation: int = 1) -> bool:
    return dilation * (kernel - 1) + 1 <= size + 2 * padding


# ---------------------------------------------------------------------------
# The formulas against PyTorch
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=strides,
    padding=paddings,
    dilation=dilations,
)
def test_conv_matches_torch(torch, h, w, kernel, stride, padding, dilation):
    conv = torch.nn.Conv2d(
        1, 1, kernel, stride=stride, padding=padding, dilation=dilation, device="meta"
    )
    x = torch.empty(1, 1, h, w, device="meta")
    if _fits(h, kernel, padding, dilation) and _fits(w, kernel, padding, dilation):
        expected = tuple(conv(x).shape[2:])
        assert expected == (
            shapes.conv_output_size(h, kernel, stride, padding, dilation),
            shapes.conv_output_size(w, kernel, stride, padding, dilation),
        )
    else:  # both refuse a kernel that does not fit
        with pytest.raises(RuntimeError):
            conv(x)
        with pytest.raises(ShapeError, match="does not fit"):
            shapes.conv_output_size(min(h, w), kernel, stride, padding, dilation)


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    dilation=dilations,
    mode=st.sampled_from(["same", "valid"]),
)
def test_conv_string_padding_matches_torch(torch, h, w, kernel, dilation, mode):
    assume(
        mode == "same"
        or (_fits(h, kernel, 0, dilation) and _fits(w, kernel, 0, dilation))
    )
    conv = torch.nn.Conv2d(1, 1, kernel, padding=mode, dilation=dilation)
    got = tuple(conv(torch.zeros(1, 1, h, w)).shape[2:])
    assert got == (
        shapes.conv_output_size(h, kernel, 1, mode, dilation),
        shapes.conv_output_size(w, kernel, 1, mode, dilation),
    )


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@FEW
@given(size=sizes, kernel=kernels, dilation=dilations)
def test_same_padding_is_where_torch_puts_it(torch, size, kernel, dilation):
    """Conv with "same" equals conv on the input padded by same_padding() (odd one after)."""
    gen = torch.Generator().manual_seed(size * 100 + kernel * 10 + dilation)
    x = torch.randn(1, 1, 1, size, generator=gen)
    w = torch.randn(1, 1, 1, kernel, generator=gen)
    before, after = shapes.same_padding(size, kernel, 1, dilation)
    padded = torch.nn.functional.pad(x, (before, after))
    expected = torch.nn.functional.conv2d(padded, w, dilation=dilation)
    same = torch.nn.functional.conv2d(x, w, padding="same", dilation=dilation)
    torch.testing.assert_close(same, expected)


@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=st.one_of(st.none(), strides),
    data=st.data(),
    dilation=dilations,
    ceil_mode=st.booleans(),
)
def test_max_pool_matches_torch(torch, h, w, kernel, stride, data, dilation, ceil_mode):
    padding = data.draw(st.integers(0, kernel // 2))
    assume(_fits(h, kernel, padding, dilation) and _fits(w, kernel, padding, dilation))
    pool = torch.nn.MaxPool2d(
        kernel, stride, padding, dilation=dilation, ceil_mode=ceil_mode
    )
    got = tuple(pool(torch.zeros(1, 1, h, w)).shape[2:])
    assert got == tuple(
        shapes.pool_output_size(
            n, kernel, stride, padding, dilation, ceil_mode=ceil_mode
        )
        for n in (h, w)
    )


@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=st.one_of(st.none(), strides),
    data=st.data(),
    ceil_mode=st.booleans(),
)
def test_avg_pool_matches_torch(torch, h, w, kernel, stride, data, ceil_mode):
    padding = data.draw(st.integers(0, kernel // 2))
    assume(_fits(h, kernel, padding) and _fits(w, kernel, padding))
    pool = torch.nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    got = tuple(pool(torch.zeros(1, 1, h, w)).shape[2:])
    assert got == tuple(
        shapes.pool_output_size(n, kernel, stride, padding, ceil_mode=ceil_mode)
        for n in (h, w)
    )


@FEW
@given(kernel=st.integers(1, 7), extra=st.integers(1, 3))
def test_pool_padding_over_half_kernel_refused_like_torch(torch, kernel, extra):
    padding = kernel // 2 + extra
    with pytest.raises(RuntimeError, match="pad should be"):
        torch.nn.MaxPool2d(kernel, padding=padding)(torch.zeros(1, 1, 20, 20))
    with pytest.raises(
        ShapeError, match=f"pooling padding {padding} is more than half the kernel"
    ):
        shapes.pool_output_size(20, kernel, padding=padding)


# ---------------------------------------------------------------------------
# The formulas against Keras
# ---------------------------------------------------------------------------


@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=strides,
    dilation=dilations,
    mode=st.sampled_from(["valid", "same"]),
)
def test_conv_matches_keras(keras, h, w, kernel, stride, dilation, mode):
    import numpy as np

    assume(stride == 1 or dilation == 1)  # Keras refuses strides and dilation together
    assume(
        mode == "same"
        or (_fits(h, kernel, 0, dilation) and _fits(w, kernel, 0, dilation))
    )
    layer = keras.layers.Conv2D(
        1, kernel, strides=stride, padding=mode, dilation_rate=dilation
    )
    got = tuple(layer(np.zeros((1, h, w, 1), "float32")).shape[1:3])
    assert got == tuple(
        shapes.conv_output_size(n, kernel, stride, mode, dilation) for n in (h, w)
    )


@FEW
@given(
    h=sizes,
    w=sizes,
    kernel=kernels,
    stride=st.one_of(st.none(), strides),
    mode=st.sampled_from(["valid", "same"]),
)
def test_avg_pool_matches_keras(keras, h, w, kernel, stride, mode):
    import numpy as np

    layer = keras.layers.AveragePooling2D(kernel, strides=stride, padding=mode)
    x = np.zeros((1, h, w, 1), "float32")
    if mode == "same" or (_fits(h, kernel, 0) and _fits(w, kernel, 0)):
        got = tuple(layer(x).shape[1:3])
        assert got == tuple(
            shapes.pool_output_size(n, kernel, stride, mode) for n in (h, w)
        )
    else:
        # Keras either fails deep inside TensorFlow or silently returns an
        # empty map; shapes says which number is wrong.
        try:
            got = tuple(layer(x).shape[1:3])
        except Exception:  # TensorFlow's InvalidArgumentError
            got = None
        assert got is None or 0 in got
        with pytest.raises(ShapeError, match="does not fit"):
            shapes.pool_output_size(min(h, w), kernel, stride, mode)


# ---------------------------------------------------------------------------
# Properties of the formulas themselves
# ---------------------------------------------------------------------------


@FEW
@given(size=sizes, kernel=kernels, stride=strides, dilation=dilations)
def test_same_gives_ceil_of_size_over_stride(size, kernel, stride, dilation):
    assert shapes.conv_output_size(size, kernel, stride, "same", dilation) == math.ceil(
        size / stride
    )
    before, after = shapes.same_padding(size, kernel, stride, dilation)
    assert 0 <= after - before <= 1


@FEW
@given(size=sizes, kernel=kernels, stride=strides, padding=paddings)
def test_exact_accepts_only_exact_fits(size, kernel, stride, padding):
    assume(_fits(size, kernel, padding))
    leftover = (size + 2 * padding - kernel) % stride
    if leftover:
        with pytest.raises(ShapeError, match=f"stride {stride} does not divide"):
            shapes.conv_output_size(size, kernel, stride, padding, exact=True)
    else:
        assert shapes.conv_output_size(
            size, kernel, stride, padding, exact=True
        ) == shapes.conv_output_size(size, kernel, stride, padding)


def test_worked_examples():
    assert shapes.conv_output_size(32, 5) == 28
    assert shapes.pool_output_size(28, 2) == 14
    assert shapes.conv_output_size(227, 11, 4) == 55  # AlexNet's first layer
    assert shapes.conv_output_size(7, 3, 2, (1, 0)) == 3
    assert shapes.effective_kernel(3, 2) == 5
    assert shapes.padding_pair("same", 32, 5) == (2, 2)
    assert shapes.padding_pair("valid", 32, 5) == (0, 0)


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    out = shapes.conv_output_size(np.int64(32), np.int32(5), np.int64(1), np.int64(0))
    assert out == 28 and type(out) is int
    assert shapes.lenet5_table(input_size=np.int64(32))[4].out_shape == (120, 1, 1)
    layer = Conv("c", np.int64(6), np.int64(5), padding=np.int64(1))
    assert (type(layer.filters), type(layer.kernel), type(layer.padding)) == (
        int,
        int,
        int,
    )


# ---------------------------------------------------------------------------
# LeNet-5 tables
# ---------------------------------------------------------------------------

NAMES = ("C1", "S2", "C3", "S4", "C5", "F6", "Output")


def test_modern_table_shapes_and_params():
    rows = shapes.lenet5_table()
    assert tuple(r.name for r in rows) == NAMES
    assert [r.out_shape for r in rows] == [
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
        (120, 1, 1),
        (84, 1, 1),
        (10, 1, 1),
    ]
    assert rows[0].in_shape == (1, 32, 32)
    assert all(a.out_shape == b.in_shape for a, b in zip(rows, rows[1:]))
    assert [r.params for r in rows] == [156, 0, 2416, 0, 48120, 10164, 850]
    assert shapes.total_params(rows) == 61_706
    assert [r.receptive_field for r in rows] == [5, 6, 14, 16, 32, 32, 32]


def test_1998_table_matches_the_paper():
    rows = shapes.lenet5_table("1998")
    assert tuple(r.name for r in rows) == NAMES
    assert [r.params for r in rows[:6]] == [156, 12, 1516, 32, 48120, 10164]
    # The paper's per-layer connection counts (weight uses + bias uses).
    assert [r.connections for r in rows[:5]] == [122_304, 5_880, 151_600, 2_000, 48_120]
    # With the RBF centres counted as fixed, the trainable total is a round 60,000.
    assert shapes.total_params(rows) == 60_000
    assert sum(r.connections for r in rows) == 340_908
    assert rows[-1].params == 0 and rows[-1].fixed_params == 84 * 10


def test_c3_connection_table_has_the_papers_structure():
    table = shapes.c3_connection_table()
    per_output = [sum(table[i][o] for i in range(6)) for o in range(16)]
    assert per_output == [3] * 6 + [4] * 9 + [6]
    assert all(sum(row) == 10 for row in table)  # every S2 map feeds 10 C3 maps


def test_params_match_a_torch_model(torch):
    nn = torch.nn
    model = nn.ModuleDict(
        {
            "C1": nn.Conv2d(1, 6, 5),
            "S2": nn.AvgPool2d(2),
            "C3": nn.Conv2d(6, 16, 5),
            "S4": nn.AvgPool2d(2),
            "C5": nn.Conv2d(16, 120, 5),
            "F6": nn.Linear(120, 84),
            "Output": nn.Linear(84, 10),
        }
    )
    rows = shapes.lenet5_table()
    x = torch.zeros(1, 1, 32, 32)
    for row in rows:
        layer = model[row.name]
        if isinstance(layer, nn.Linear):
            x = x.flatten(1)
        x = layer(x)
        assert sum(p.numel() for p in layer.parameters()) == row.params
        assert tuple(x.shape[1:]) + (1,) * (4 - x.dim()) == row.out_shape


def test_macs_match_torch_flop_counter(torch):
    """Conv and linear MACs agree with PyTorch's FLOP counter (which counts 2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    nn = torch.nn
    layers = {
        "C1": (nn.Conv2d(1, 6, 5), (1, 1, 32, 32)),
        "C3": (nn.Conv2d(6, 16, 5), (1, 6, 14, 14)),
        "C5": (nn.Conv2d(16, 120, 5), (1, 16, 5, 5)),
        "F6": (nn.Linear(120, 84), (1, 120)),
        "Output": (nn.Linear(84, 10), (1, 84)),
    }
    rows = {r.name: r for r in shapes.lenet5_table()}
    for name, (layer, shape) in layers.items():
        with FlopCounterMode(display=False) as counter:
            layer(torch.zeros(shape))
        assert counter.get_total_flops() == 2 * rows[name].macs, name


def test_receptive_fields_match_torch_gradients(torch):
    """The input pixels that move the top-left unit of each layer span the computed field."""
    nn = torch.nn
    convs = {
        "C1": nn.Conv2d(1, 6, 5),
        "C3": nn.Conv2d(6, 16, 5),
        "C5": nn.Conv2d(16, 120, 5),
    }
    for conv in convs.values():
        nn.init.constant_(conv.weight, 1.0)  # positive weights: no cancellation
    stack = [convs["C1"], nn.AvgPool2d(2), convs["C3"], nn.AvgPool2d(2), convs["C5"]]
    rows = shapes.lenet5_table()
    for depth, row in enumerate(rows[:5], start=1):
        x = torch.zeros(1, 1, 32, 32, requires_grad=True)
        y = x
        for layer in stack[:depth]:
            y = layer(y)
        y[0, 0, 0, 0].backward()
        touched = x.grad[0, 0].abs() > 0
        rows_touched = touched.any(dim=1).nonzero()
        cols_touched = touched.any(dim=0).nonzero()
        assert (
            int(rows_touched.max() - rows_touched.min()) + 1 == row.receptive_field
        ), row.name
        assert (
            int(cols_touched.max() - cols_touched.min()) + 1 == row.receptive_field
        ), row.name


def test_tutorial_pitfalls_are_reproduced():
    same = shapes.lenet5_table(c1_padding="same", c5="dense")
    assert same[4].in_shape == (16, 6, 6)  # 576 inputs to a dense C5
    unpadded = shapes.lenet5_table(input_size=28, c5="dense")
    assert shapes.total_params(unpadded) == 44_426  # "LeNet-5" with 256 inputs to C5
    padded_28 = shapes.lenet5_table(input_size=28, c1_padding=2)
    assert [r.out_shape for r in padded_28] == [
        r.out_shape for r in shapes.lenet5_table()
    ]
    with pytest.raises(
        ShapeError, match=r"C5 \(input 4x4\).*spans 5 positions.*only 4 wide"
    ):
        shapes.lenet5_table(input_size=28)


def test_custom_layers_and_max_pool_macs():
    rows = shapes.layer_table(
        (3, 8, 8),
        [
            Conv("a", 4, 3, stride=2, padding=1, dilation=1, bias=False),
            Pool("b", 2, mode="max"),
            Dense("c", 5, bias=False),
        ],
    )
    assert [r.out_shape for r in rows] == [(4, 4, 4), (4, 2, 2), (5, 1, 1)]
    assert [r.params for r in rows] == [4 * 3 * 9, 0, 16 * 5]
    assert rows[1].macs == 0  # max pooling compares, it does not multiply
    assert rows[0].out_values == 64


def test_format_table_text_and_html():
    rows = shapes.lenet5_table()
    text = str(shapes.format_table(rows, "modern"))
    assert text.splitlines()[0] == "modern"
    assert "61,706" in text and "C3" in text and "16x10x10" in text
    html = shapes.format_table(rows)._repr_html_()
    assert (
        html.startswith("<table>")
        and "61,706" in html
        and html.count("<tr>") == len(rows) + 2
    )
    paper = shapes.format_table(shapes.lenet5_table("1998"))
    assert "840 fixed" in str(paper) and "840 fixed" in paper._repr_html_()


# ---------------------------------------------------------------------------
# Every error says which number is wrong
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: shapes.conv_output_size(0, 3), "input size must be at least 1, got 0"),
        (
            lambda: shapes.conv_output_size(-4, 3),
            "input size must be at least 1, got -4",
        ),
        (
            lambda: shapes.conv_output_size(2.5, 3),
            "input size must be a whole number, got 2.5",
        ),
        (
            lambda: shapes.conv_output_size(True, 3),
            "input size must be a whole number, got True",
        ),
        (lambda: shapes.conv_output_size(8, 0), "kernel must be at least 1, got 0"),
        (lambda: shapes.conv_output_size(8, 3, 0), "stride must be at least 1, got 0"),
        (
            lambda: shapes.conv_output_size(8, 3, 1, -1),
            "padding must be at least 0, got -1",
        ),
        (
            lambda: shapes.conv_output_size(8, 3, 1, 0, 0),
            "dilation must be at least 1, got 0",
        ),
        (
            lambda: shapes.conv_output_size(4, 5),
            "spans 5 positions but the padded input is only 4 wide",
        ),
        (
            lambda: shapes.conv_output_size(5, 3, 1, 0, 3),
            r"spans 7 positions \(kernel 3 with dilation 3\)",
        ),
        (
            lambda: shapes.conv_output_size(8, 3, 2, exact=True),
            "stride 2 does not divide 8 - 3 = 5 evenly",
        ),
        (
            lambda: shapes.conv_output_size(8, 3, 1, "full"),
            "padding='full' is not understood",
        ),
        (
            lambda: shapes.conv_output_size(8, 3, 1, (1, 2, 3)),
            "must be \\(before, after\\)",
        ),
        (
            lambda: shapes.conv_output_size(8, 3, 1, (1, -2)),
            "padding after must be at least 0, got -2",
        ),
        (lambda: shapes.pool_output_size(8, 0), "kernel must be at least 1, got 0"),
        (
            lambda: shapes.pool_output_size(8, 2, padding=2),
            "pooling padding 2 is more than half the kernel",
        ),
        (lambda: shapes.pool_output_size(1, 2), "pooling kernel spans 2 positions"),
        (lambda: shapes.lenet5_table("1989"), "unknown LeNet-5 variant '1989'"),
        (lambda: shapes.lenet5_table(c5="rbf"), "c5='rbf'"),
        (
            lambda: shapes.lenet5_table(input_size=0),
            "input height must be at least 1, got 0",
        ),
        (
            lambda: shapes.layer_table((1, 32), [Dense("d", 2)]),
            "must be \\(channels, height, width\\)",
        ),
        (
            lambda: shapes.layer_table((0, 4, 4), [Dense("d", 2)]),
            "input channels must be at least 1, got 0",
        ),
        (lambda: shapes.layer_table((1, 4, 4), []), "no layers given"),
        (
            lambda: shapes.layer_table((1, 4, 4), ["conv"]),
            "'conv' is not a layer description",
        ),
        (
            lambda: shapes.layer_table((1, 4, 4), [Conv("k", 0, 3)]),
            "k filters must be at least 1, got 0",
        ),
        (
            lambda: shapes.layer_table((1, 4, 4), [Dense("d", 0)]),
            "d units must be at least 1, got 0",
        ),
        (
            lambda: shapes.layer_table((1, 4, 4), [RBFOutput("r", -1)]),
            "r units must be at least 1, got -1",
        ),
        (
            lambda: shapes.layer_table((1, 4, 4), [Pool("p", 2, mode="median")]),
            "'median' is not",
        ),
        (
            lambda: shapes.layer_table(
                (1, 4, 4), [Pool("p", 2, mode="max", trainable=True)]
            ),
            "not max",
        ),
        (
            lambda: shapes.layer_table(
                (2, 8, 8), [Conv("t", 3, 3, connections=((True,) * 3,))]
            ),
            "one row per input map \\(2\\)",
        ),
        (
            lambda: shapes.layer_table(
                (1, 8, 8), [Conv("t", 2, 3, connections=((True, False),))]
            ),
            "output map\\(s\\) \\[1\\] are connected to no input map",
        ),
        (
            lambda: shapes.layer_table((1, 3, 3), [Conv("big", 1, 5)]),
            "big \\(input 3x3\\)",
        ),
        (lambda: shapes.format_table([]), "an empty table"),
        (lambda: Conv("c", 6, 2.5), "c kernel must be a whole number, got 2.5"),
        (lambda: Pool("p", 2, stride=0), "p stride must be at least 1, got 0"),
        (lambda: Conv("c", 6, 5, padding=-2), "c padding must be at least 0, got -2"),
    ],
)
def test_errors_name_the_wrong_number(call, message):
    with pytest.raises(ShapeError, match=message):
        call()


def test_shape_error_is_a_value_error():
    assert issubclass(ShapeError, ValueError)


# ---------------------------------------------------------------------------
# Figures and calculator
# ---------------------------------------------------------------------------


def test_sliding_kernel_figure_has_one_bar_per_window():
    from matplotlib.patches import Rectangle

    from lenet_common.shapes import plots as shapes_plots

    fig = shapes_plots.draw_sliding_kernel(7, 3, 2, 1)
    out = shapes.conv_output_size(7, 3, 2, 1)
    (ax,) = fig.axes
    assert f"= {out}" in fig._suptitle.get_text()
    # padded input cells + one bar per window + the "would not fit" outline + output cells
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == 9 + out + 1 + out
    pool = shapes_plots.draw_sliding_kernel(9, 2, 2, 0, pooling=True)
    assert pool._suptitle.get_text().startswith("pooling")
    with pytest.raises(ShapeError):
        shapes_plots.draw_sliding_kernel(3, 5, 1, 0)


def test_kernel_2d_figure_marks_one_output_per_panel():
    from matplotlib.patches import Rectangle

    from lenet_common.shapes import plots as shapes_plots

    fig = shapes_plots.draw_kernel_2d(5, 3, 2, 1)
    (ax,) = fig.axes
    out, padded = shapes.conv_output_size(5, 3, 2, 1), 5 + 2
    # per panel: the padded input, one window, the output grid
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == 4 * (
        padded**2 + 1 + out**2
    )
    assert [t.get_text() for t in ax.texts if t.get_text()] == [
        "output (0, 0)",
        "output (0, 1)",
        "output (1, 0)",
        "output (2, 2)",
    ]
    with pytest.raises(
        ShapeError, match=r"position \(3, 0\) is outside the 3x3 output"
    ):
        shapes_plots.draw_kernel_2d(5, 3, 2, 1, positions=[(3, 0)])


def test_network_figure_is_drawn_from_the_table():
    from lenet_common.shapes import plots as shapes_plots

    fig = shapes_plots.draw_network()
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels[0] == "input\n1@32x32"
    assert labels[1:] == [
        f"{r.name}\n{r.out_shape[0]}"
        + (f"@{r.out_shape[1]}x{r.out_shape[2]}" if r.out_shape[1] > 1 else "")
        for r in shapes.lenet5_table()
    ]
    shapes_plots.draw_network(shapes.lenet5_table(c1_padding="same"))


def test_calculator_view_shows_the_picture_or_the_reason():
    from matplotlib.figure import Figure

    from lenet_common.shapes import plots as shapes_plots

    assert isinstance(shapes_plots.calculator_view(7, 3, 2, 1), Figure)
    assert isinstance(shapes_plots.calculator_view(9, 3, 1, 1, 2, pooling=True), Figure)
    message = shapes_plots.calculator_view(2, 9, 1, 1)
    assert (
        message.startswith("This configuration does not work")
        and "spans 9 positions" in message
    )
    assert "more than half the kernel" in shapes_plots.calculator_view(
        8, 2, 2, 2, pooling=True
    )


def test_calculator_widget_builds_and_follows_its_sliders():
    pytest.importorskip("ipywidgets")
    from lenet_common.shapes import plots as shapes_plots

    box = shapes_plots.output_size_calculator()
    controls, _ = box.children
    names = [c.description for c in controls.children]
    assert names == ["input size", "kernel", "stride", "padding", "dilation", "layer"]
    controls.children[1].value = 9  # does not fit: must show a message, not raise
    controls.children[5].value = True
    # a static page (the built book) shows the widget's text: one line saying how to use it
    assert "run this chapter" in box._repr_mimebundle_()["text/plain"]


# --------------------------------------------------------------------------
# receptive_field_window: checked against the NumPy layers' own gradients
# --------------------------------------------------------------------------


def _input_gradient_box(layer: str, unit: tuple[int, int]) -> tuple[int, int, int, int]:
    """Backpropagate 1 from a unit of ``layer``; where the input gradient is nonzero."""
    from lenet_common.numpy_lenet import layers as nl

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 32, 32))
    steps = []  # (backward, cache) pairs, in forward order
    network = (
        ("C1", (6, 1)),
        ("S2", None),
        ("C3", (16, 6)),
        ("S4", None),
        ("C5", (120, 16)),
    )
    for name, channels in network:
        if channels is None:
            x, cache = nl.avg_pool_forward(x, 2)
            steps.append((nl.avg_pool_backward, cache))
        else:
            w = rng.standard_normal((*channels, 5, 5))
            x, cache = nl.conv_forward(x, w, np.zeros(channels[0]))
            steps.append((lambda d, c: nl.conv_backward(d, c)[0], cache))
        if name == layer:
            break
    grad = np.zeros_like(x)
    grad[0, 0, unit[0], unit[1]] = 1.0
    for backward, cache in reversed(steps):
        grad = backward(grad, cache)
    rows, cols = np.nonzero(np.abs(grad[0, 0]) > 0)
    return rows.min(), cols.min(), np.ptp(rows) + 1, np.ptp(cols) + 1


@pytest.mark.parametrize("layer", ["C1", "S2", "C3", "S4", "C5"])
def test_receptive_field_window_is_where_the_input_gradient_lands(layer):
    table = shapes.lenet5_table()
    row = next(r for r in table if r.name == layer)
    n = row.out_shape[1]
    for unit in {(0, 0), (n - 1, n - 1), ((n - 1) // 2, n // 3)}:
        top, left, side = shapes.receptive_field_window(table, layer, unit)
        box = _input_gradient_box(layer, unit)
        assert box == (top, left, side, side), (layer, unit)


def test_receptive_field_window_refuses_dense_layers_and_outside_units():
    table = shapes.lenet5_table()
    with pytest.raises(shapes.ShapeError, match="whole input"):
        shapes.receptive_field_window(table, "F6", (0, 0))
    with pytest.raises(shapes.ShapeError, match="outside"):
        shapes.receptive_field_window(table, "C3", (10, 0))
    with pytest.raises(shapes.ShapeError, match="no layer named"):
        shapes.receptive_field_window(table, "C7", (0, 0))


def test_receptive_field_picture_draws_the_computed_windows():
    from matplotlib.patches import Rectangle

    from lenet_common.shapes import plots as shapes_plots

    table = shapes.lenet5_table()
    fig = shapes_plots.draw_receptive_fields(np.zeros((32, 32)), table)
    for ax, row in zip(fig.axes, table[:5]):
        (box,) = [p for p in ax.patches if isinstance(p, Rectangle)]
        unit = ((row.out_shape[1] - 1) // 2,) * 2
        top, left, side = shapes.receptive_field_window(table, row.name, unit)
        drawn = (box.get_x(), box.get_y(), box.get_width())
        assert drawn == (left - 0.5, top - 0.5, side)
    with pytest.raises(ValueError, match="32x32"):
        shapes_plots.draw_receptive_fields(np.zeros((28, 28)), table)
