"""The "Why convolutions" package: the counts, exact equivariance, the 340,908
connections, C3's field centres, C5 sliding, the baselines and the momentum toy."""

from __future__ import annotations

import io
import math
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lenet_common import lenet5, plotting, shapes
from lenet_common.numpy_lenet import LeNet5, numerical_gradient, rel_error
from lenet_common.why_convolutions import (
    baselines,
    counts,
    equivariance,
    fields,
    figures,
    fitting,
    momentum,
    sensitivity,
    shifting,
)

RNG = np.random.default_rng(0)


def images(n: int = 4, side: int = 32) -> np.ndarray:
    x = RNG.standard_normal((n, 1, side, side))
    x[:, :, :1, :1] = -0.4
    return x


def test_c1_counted_three_ways():
    table = shapes.lenet5_table()
    c1 = counts.weight_counts(table[0])
    assert c1.dense == 32 * 32 * 6 * 28 * 28 + 6 * 28 * 28 == 1024 * 4704 + 4704
    assert c1.local == 4704 * 26 == table[0].connections
    assert c1.shared == 156
    c5 = counts.weight_counts(table[4])
    assert c5.dense == c5.local == c5.shared == 48_120
    with pytest.raises(ValueError, match="convolution"):
        counts.weight_counts(table[1])


def test_shift_moves_and_fills_with_the_background():
    x = images(2, 6)
    assert np.array_equal(shifting.shift(x, 0, 0), x)
    moved = shifting.shift(x, 1, 2)
    assert np.array_equal(moved[:, :, 1:, 2:], x[:, :, :5, :4])
    assert np.all(moved[:, :, :1, :] == -0.4) and np.all(moved[:, :, :, :2] == -0.4)
    back = shifting.shift(x, -1, -2)
    assert np.array_equal(back[:, :, :5, :4], x[:, :, 1:, 2:])
    assert np.all(back[:, :, 5:, :] == -0.4)
    with pytest.raises(ValueError, match="out of its frame"):
        shifting.shift(x, 6, 0)
    with pytest.raises(ValueError, match="N, C, H, W"):
        shifting.shift(x[0], 1, 1)


@pytest.mark.parametrize("dy, dx", [(0, 1), (1, 0), (2, 3), (7, 5)])
def test_c1_is_equivariant_exactly_away_from_the_border(dy, dx):
    params = LeNet5(seed=1, dtype=np.float64).params
    x = images()
    assert equivariance.equivariance_gap(params, x, dy, dx) < 1e-12
    # not vacuous: the maps themselves change, and so does the border band
    before = equivariance.c1_maps(params, x)
    after = equivariance.c1_maps(params, shifting.shift(x, dy, dx))
    assert np.abs(after - before).max() > 0.1
    with pytest.raises(ValueError, match="down and right"):
        equivariance.equivariance_gap(params, x, -1, 0)


def test_the_papers_340908_connections():
    paper = shapes.lenet5_table("1998")
    assert sum(row.connections for row in paper) == 340_908


def test_c3_field_centres_cover_the_central_20x20():
    table = shapes.lenet5_table()
    centres = fields.field_centres(table, "C3")
    assert centres.shape == (100, 2)
    assert fields.centre_area(table, "C3") == (6.0, 26.0)
    assert fields.centre_area(shapes.lenet5_table("1998"), "C3") == (6.0, 26.0)
    unpadded = shapes.layer_table((1, 28, 28), shapes.lenet5_layers()[:3])
    first, end = fields.centre_area(unpadded, "C3")
    assert end - first == 16


def test_conv_part_is_lenet5_and_slides_over_larger_inputs():
    model = LeNet5(seed=2, dtype=np.float64)
    x = images(3)
    assert np.allclose(fields.conv_part(model.params, x), model.feature_maps(x)["c5"])
    wide = images(1, 44)
    c5 = fields.conv_part(model.params, wide)
    assert c5.shape == (1, 120, 4, 4)
    step = fields.c5_window_stride()
    assert step == 4
    for i in range(4):
        for j in range(4):
            window = wide[..., step * i:step * i + 32, step * j:step * j + 32]
            alone = fields.conv_part(model.params, window)[..., 0, 0]
            assert np.allclose(c5[..., i, j], alone, atol=1e-12)


def test_dense_net_counts_and_gradients():
    assert baselines.DenseNet(()).num_params == 1024 * 10 + 10
    assert baselines.DenseNet((60,)).num_params == 1024 * 60 + 60 + 60 * 10 + 10
    net = baselines.DenseNet((7,), seed=1, inputs=12, classes=3)
    net.params = {k: v.astype(np.float64) for k, v in net.params.items()}
    x, y = RNG.standard_normal((5, 1, 3, 4)), np.array([0, 2, 1, 1, 0])
    _, grads, logits = net.loss_and_grads(x, y)
    assert logits.shape == (5, 3)
    for name, p in net.params.items():
        numeric = numerical_gradient(lambda: net.loss_and_grads(x, y)[0], p)
        assert rel_error(grads[name], numeric) < 1e-7, name


def test_the_baseline_trains_reproducibly_with_the_recipe(tmp_path):
    from lenet_common import data

    d = data.load_lenet_data(quick=True)
    x, y = d.x_train[:1000], d.y_train[:1000]
    recipe = lenet5.Recipe(epochs=2, batch_size=64, learning_rate=0.05)
    runs = []
    for _ in range(2):
        net = baselines.DenseNet((30,), seed=0)
        losses = fitting.fit(net, x, y, recipe)
        runs.append(net.params["d0.weight"].copy())
    assert losses[-1] < losses[0] < math.log(10) + 0.5
    assert np.array_equal(runs[0], runs[1])
    assert fitting.error_rate(net, d.x_val, d.y_val) < 0.3


def test_layer_change_and_accuracy_under_shift():
    model = LeNet5(seed=0)
    x = images(3).astype(np.float32)
    change = sensitivity.layer_change(model, x, [0, 2])
    assert list(change) == list(lenet5.LAYER_NAMES)
    assert all(v[0] == 0.0 and v[1] > 0 for v in change.values())
    y = model.predict(x)
    accuracy = sensitivity.accuracy_under_shift(model.predict, x, y, [0, 3])
    assert accuracy[0] == 1.0 and len(accuracy) == 2


def test_momentum_toy():
    a, b = momentum.BOWL["curvatures"]
    x0, y0 = momentum.BOWL["start"]
    plain = momentum.trajectory(0.019, 0.0, 10)
    t = np.arange(11)
    assert np.allclose(plain[:, 0], x0 * (1 - 0.019 * a) ** t)  # closed form
    assert np.allclose(plain[:, 1], y0 * (1 - 0.019 * b) ** t)
    heavy = momentum.trajectory(0.019, 0.8, 60)
    assert momentum.bowl_value(heavy[-1]) < 0.01 * momentum.bowl_value(
        momentum.trajectory(0.019, 0.0, 60)[-1])
    assert momentum.bowl_value(momentum.trajectory(2.1 / b, 0.0, 60)[-1]) > 1e3
    same = [momentum.trajectory(0.019, 0.8, 20, noise=1.0, seed=3) for _ in range(2)]
    assert np.array_equal(*same)


def png_width(fig) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight")
    return struct.unpack(">I", buf.getvalue()[16:20])[0]


FIGURES = {
    "show_local_fields": lambda: figures.show_local_fields(RNG.random((32, 32)),
                                                           RNG.random((28, 28))),
    "show_shifted_maps": lambda: figures.show_shifted_maps(
        RNG.random((32, 32)), RNG.random((32, 32)), RNG.random((28, 28)),
        RNG.random((28, 28)), 2, 3),
    "draw_channel_sum": lambda: figures.draw_channel_sum(
        RNG.random((6, 14, 14)), RNG.standard_normal((6, 5, 5)), 0.1),
    "plot_layer_change": lambda: figures.plot_layer_change(
        {name: [0.5, 0.8] for name in lenet5.LAYER_NAMES}, [1, 2]),
    "plot_accuracy_under_shift": lambda: figures.plot_accuracy_under_shift(
        [0, 1, 2], {"LeNet-5": [0.9, 0.8, 0.6], "MLP, 300 hidden": [0.9, 0.7, 0.5]}),
    "plot_learning_curves": lambda: figures.plot_learning_curves(
        [1000, 3000, 9000], {"LeNet-5": {"train": [0.1, 0.05, 0.02],
                                          "test": [0.2, 0.1, 0.05]}}),
    "plot_momentum": lambda: figures.plot_momentum(
        {"plain": momentum.trajectory(0.019, 0.0, 20)},
        {"noisy": momentum.trajectory(0.019, 0.8, 20, noise=3.0)}),
    "draw_field_centres": lambda: figures.draw_field_centres(
        shapes.lenet5_table(), "C3", RNG.random((32, 32))),
}


def test_every_figure_has_an_alt_text():
    assert set(FIGURES) == set(figures.ALT_TEXT) == set(figures.__all__) - {"ALT_TEXT"}


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_fit_the_column_with_readable_text(name):
    fig = FIGURES[name]()
    try:
        assert png_width(fig) <= plotting.COLUMN_PX
        sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
                 if t.get_text().strip()]
        assert min(sizes) >= plotting.MIN_FONT_PT
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", list(FIGURES))
def test_figures_carry_their_alt_text(name):
    fig = FIGURES[name]()
    try:
        alt = plotting.alt_text(fig)
        assert alt == " ".join(figures.ALT_TEXT[name].split())
        assert len(alt.split()) >= 8
    finally:
        plt.close(fig)
