"""The figure rule: every figure of the package fits the book's column unscaled,
and its text is at least MIN_FONT_PT points (>= 9 CSS pixels on the page).

Each figure is saved the way the notebook's inline backend saves it (PNG,
``bbox_inches="tight"``, the figure's own dpi), so the width checked is the
width the browser gets.
"""

from __future__ import annotations

import io
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lenet_common import lenet5, plotting, shapes  # noqa: E402
from lenet_common.comparison import side_by_side
from lenet_common.data.mnist import DATASETS
from lenet_common.lenet1998 import plots as lenet1998_plots  # noqa: E402
from lenet_common.lenet1998 import rbf_codes
from lenet_common.numpy_lenet import gradient_pictures, pictures  # noqa: E402
from lenet_common.shapes import plots as shapes_plots

RNG = np.random.default_rng(0)
DIGITS = RNG.random((30, 32, 32))
LABELS = RNG.integers(0, 10, 30)
HISTORY = {
    "loss": [1.0, 0.5, 0.3],
    "accuracy": [0.8, 0.9, 0.95],
    "val_loss": [1.1, 0.6, 0.4],
    "val_accuracy": [0.7, 0.85, 0.9],
}
COSTS = {
    "batch_size": 128,
    "implementations": {
        name: {
            "train_images_per_second": 8000.0 + i,
            "inference_images_per_second": 40000.0,
            "peak_memory_mib": 900.0 * (i + 1),
            "layer_ms": {layer: 1.0 + j for j, layer in enumerate(lenet5.LAYER_NAMES)},
        }
        for i, name in enumerate(side_by_side.LABELS)
    },
}

FIGURES = {
    "show_digits, 20 in a row of 10": lambda: plotting.show_digits(
        DIGITS[:20], LABELS[:20]
    ),
    "show_digits, 11 columns": lambda: plotting.show_digits(
        DIGITS[:11], ncols=11, title="means"
    ),
    "plot_history": lambda: plotting.plot_history(
        HISTORY, title="LeNet-5 in Keras, mnist (full)"
    ),
    "plot_schedule": lambda: plotting.plot_schedule(
        np.linspace(0.05, 0, 860),
        np.full(860, 0.9),
        steps_per_epoch=430,
        title="PyTorch's optimiser, step by step",
    ),
    "plot_confusion_matrix": lambda: plotting.plot_confusion_matrix(
        LABELS, (LABELS + 1) % 10
    ),
    "plot_confusion_matrix, long names": lambda: plotting.plot_confusion_matrix(
        LABELS,
        LABELS,
        class_names=list(DATASETS["fashion-mnist"].class_names),
    ),
    "show_misclassified, 30": lambda: plotting.show_misclassified(
        DIGITS, LABELS, (LABELS + 1) % 10, max_items=30
    ),
    "show_misclassified, none": lambda: plotting.show_misclassified(
        DIGITS, LABELS, LABELS
    ),
    "show_filters C1": lambda: plotting.show_filters(
        RNG.standard_normal((6, 1, 5, 5)), title="C1"
    ),
    "show_feature_maps C1": lambda: plotting.show_feature_maps(
        RNG.random((6, 28, 28)), ncols=6
    ),
    "show_feature_maps C3": lambda: plotting.show_feature_maps(
        RNG.random((16, 10, 10))
    ),
    "draw_kernel_2d": lambda: shapes_plots.draw_kernel_2d(
        size=5, kernel=3, stride=2, padding=1
    ),
    "draw_sliding_kernel": lambda: shapes_plots.draw_sliding_kernel(
        size=7, kernel=3, stride=2, padding=1
    ),
    "draw_sliding_kernel, dilated": lambda: shapes_plots.draw_sliding_kernel(
        size=9, kernel=3, stride=1, padding=2, dilation=2
    ),
    "draw_network": lambda: shapes_plots.draw_network(),
    "draw_network, same padding": lambda: shapes_plots.draw_network(
        shapes.lenet5_table(c1_padding="same"), title='C1 with padding="same"'
    ),
    "draw_receptive_fields": lambda: shapes_plots.draw_receptive_fields(DIGITS[0]),
    "im2col_picture": lambda: pictures.im2col_picture(),
    "conv_backward_picture": lambda: gradient_pictures.conv_backward_picture(),
    "pooling_backward_picture": lambda: gradient_pictures.pooling_backward_picture(),
    "side_by_side.plot_histories": lambda: side_by_side.plot_histories(
        {name: HISTORY for name in side_by_side.LABELS},
        title="Three LeNet-5s, one recipe",
    ),
    "side_by_side.plot_costs": lambda: side_by_side.plot_costs(COSTS),
    "side_by_side.plot_layer_split": lambda: side_by_side.plot_layer_split(COSTS),
    "plot_layer_times": lambda: pictures.plot_layer_times(
        {
            "c1": 0.3,
            "s2": 0.05,
            "c3": 0.5,
            "s4": 0.02,
            "c5": 0.05,
            "f6": 0.01,
            "output": 0.01,
        },
        1,
    ),
    # the 1998-network appendix (i16)
    "lenet1998_plots.plot_squash": lambda: lenet1998_plots.plot_squash(
        *(np.tanh(np.linspace(-4, 4, 50)),) * 4
    ),
    "lenet1998_plots.plot_step_sizes": lambda: lenet1998_plots.plot_step_sizes(
        type("R", (), {"epochs": 10})(), lambda p, r: 0.1 / (1 + p)
    ),
    "lenet1998_plots.show_rbf_codes": lambda: lenet1998_plots.show_rbf_codes(
        rbf_codes.rbf_codes()
    ),
    "lenet1998_plots.show_distortions": lambda: lenet1998_plots.show_distortions(
        DIGITS[:8], {"affine 1": DIGITS[8:16], "elastic 1": DIGITS[16:24]}
    ),
    "lenet1998_plots.plot_error_curves": lambda: lenet1998_plots.plot_error_curves(
        {"none": HISTORY, "affine": HISTORY}, {"paper": 0.0095}
    ),
    "lenet1998_plots.show_rejection": lambda: lenet1998_plots.show_rejection(
        DIGITS[:8], RNG.random((8, 10)) * 100, ["digit"] * 8, threshold=40.0
    ),
}


def png_width(fig) -> int:
    """Pixel width of the PNG the inline backend would make of ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    header = buf.getvalue()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", header[16:20])[0]


def smallest_font(fig) -> float:
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip()
    ]
    return min(sizes)


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_fits_the_column_with_readable_text(name):
    fig = FIGURES[name]()
    try:
        assert fig.dpi == plotting.FIGURE_DPI, f"{name}: dpi {fig.dpi}"
        width = png_width(fig)
        assert width <= plotting.COLUMN_PX, (
            f"{name}: {width} px wide, the column is {plotting.COLUMN_PX}: the page would shrink it"
        )
        assert smallest_font(fig) >= plotting.MIN_FONT_PT, (
            f"{name}: text below {plotting.MIN_FONT_PT} pt"
        )
    finally:
        plt.close(fig)


def test_the_rule_means_at_least_9_css_pixels():
    # a point is 1/72 inch; at FIGURE_DPI pixels per inch, shown unscaled
    assert plotting.MIN_FONT_PT * plotting.FIGURE_DPI / 72 >= 9
    assert plotting.COLUMN_INCHES * plotting.FIGURE_DPI == pytest.approx(
        plotting.COLUMN_PX
    )


def test_column_figure_and_fit_column():
    fig, axes = plotting.column_figure(1, 2, height=2.0, width=0.5)
    assert tuple(fig.get_size_inches()) == pytest.approx(
        (plotting.FIGURE_INCHES / 2, 2.0)
    )
    assert len(axes) == 2 and fig.dpi == plotting.FIGURE_DPI
    plt.close(fig)
    wide = plt.figure(figsize=(14, 3.5), dpi=200)
    plotting.fit_column(wide)
    inches = plotting.FIGURE_INCHES
    assert tuple(wide.get_size_inches()) == pytest.approx((inches, 3.5 * inches / 14))
    assert wide.dpi == plotting.FIGURE_DPI
    plt.close(wide)
    with pytest.raises(ValueError, match="fraction of the column"):
        plotting.column_size(2.0, width=1.5)
    with pytest.raises(ValueError, match="height must be positive"):
        plotting.column_size(0)
