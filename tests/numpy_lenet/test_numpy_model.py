"""The NumPy LeNet-5 as a whole: gradient check, shapes and parameter counts against
the shapes table, float32 training, the optimiser, and .npz save/load."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import lenet5, shapes
from lenet_common.lenet5 import PARAM_SHAPES
from lenet_common.numerics import assert_close
from lenet_common.numpy_lenet import (
    SGD,
    LeNet5,
    evaluate,
    load_weights,
    save_weights,
    train,
)
from lenet_common.numpy_lenet.gradcheck import check_network_gradients, rel_error_norm
from lenet_common.numpy_lenet.hooks import around_layers
from lenet_common.numpy_lenet.profiling import (
    layer_timer,
    median_round,
    time_training_rounds,
)

TOL = 1e-7  # norm-wise relative error per parameter tensor, float64


def _batch(n=2, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 32, 32)).astype(dtype), rng.integers(0, 10, n)


def test_whole_network_gradient_check():
    """Every parameter tensor: backprop against centred differences of the loss.

    Tensors up to 300 entries are checked entry by entry, the larger ones
    (c1.weight to f6.weight's 48,000) on 300 entries drawn at random.
    """
    model = LeNet5(seed=1, dtype=np.float64)
    x, y = _batch()
    errors = check_network_gradients(model, x, y, max_entries=300, seed=2)
    assert set(errors) == set(PARAM_SHAPES)
    for name, error in errors.items():
        assert error < TOL, (name, error)


def test_network_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check is not vacuous: a backward pass with a bug fails it."""
    model = LeNet5(seed=1, dtype=np.float64)
    right = model.backward

    def wrong_backward(dlogits):
        grads = right(dlogits)
        grads["c3.bias"] = 1.01 * grads["c3.bias"]
        return grads

    monkeypatch.setattr(model, "backward", wrong_backward)
    errors = check_network_gradients(model, *_batch(), max_entries=20)
    assert errors["c3.bias"] > 1e-3 and errors["c1.bias"] < TOL


def test_batch_of_one_and_float32_agree_with_float64():
    model64 = LeNet5(seed=3, dtype=np.float64)
    model32 = model64.astype(np.float32)
    x, y = _batch(n=1)
    loss64, grads64, logits64 = model64.loss_and_grads(x, y)
    loss32, grads32, logits32 = model32.loss_and_grads(x.astype(np.float32), y)
    assert logits32.dtype == np.float32 and all(
        g.dtype == np.float32 for g in grads32.values()
    )
    # float32 against float64: float32's rounding of sums up to C5's 400 terms, each
    # logit's terms bounded by sum|output weights| (F6's tanh lies in [-1, 1])
    magnitude = np.abs(model64.params["output.weight"]).sum(0) + np.abs(
        model64.params["output.bias"]
    )
    assert_close(
        logits32,
        logits64,
        terms=400,
        magnitude=magnitude,
        dtype=np.float32,
        what="float32 logits",
    )
    for name in PARAM_SHAPES:
        assert rel_error_norm(grads32[name], grads64[name]) < 1e-4, name


def test_shapes_and_parameters_match_the_shapes_table():
    model = LeNet5()
    rows = {row.name: row for row in shapes.lenet5_table("modern")}
    assert model.num_params == sum(row.params for row in rows.values()) == 61_706
    for layer in ("c1", "c3", "c5", "f6", "output"):
        own = model.params[f"{layer}.weight"].size + model.params[f"{layer}.bias"].size
        assert (
            own
            == rows[layer.capitalize() if layer == "output" else layer.upper()].params
        )
    maps = model.feature_maps(_batch(n=3, dtype=np.float32)[0])
    for layer, out in maps.items():
        row = rows["Output" if layer == "output" else layer.upper()]
        assert out.shape[1:] == tuple(row.out_shape)[: out.ndim - 1], layer


def test_glorot_init_and_zero_biases():
    model = LeNet5(seed=0)
    w = model.params["c3.weight"]
    limit = np.sqrt(6 / (6 * 25 + 16 * 25))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert not model.params["c3.bias"].any()
    np.testing.assert_array_equal(
        LeNet5(seed=0).params["c1.weight"], model.params["c1.weight"]
    )


def test_float32_training_steps_lower_the_loss():
    model = LeNet5(seed=0)
    x, y = _batch(n=32, dtype=np.float32)
    optimizer = SGD(model.params, lr=0.05, momentum=0.9)
    first, grads, _ = model.loss_and_grads(x, y)
    for _ in range(15):
        optimizer.step(grads)
        loss, grads, _ = model.loss_and_grads(x, y)
    assert model.params["c1.weight"].dtype == np.float32
    assert loss < 0.5 * first


def test_sgd_matches_the_momentum_formula():
    p = {"w": np.array([1.0, -2.0])}
    g = {"w": np.array([0.5, 0.5])}
    opt = SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step(g)  # v = g + wd*p ; p -= lr*v
    v1 = np.array([0.5 + 0.01, 0.5 - 0.02])
    np.testing.assert_allclose(p["w"], [1.0, -2.0] - 0.1 * v1)
    before = p["w"].copy()
    opt.step(g)
    v2 = 0.9 * v1 + 0.5 + 0.01 * before
    np.testing.assert_allclose(p["w"], before - 0.1 * v2)


def test_train_returns_a_keras_style_history_and_learns():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((96, 1, 32, 32)).astype(np.float32)
    y = (x[:, 0, 10:22, 10:22].mean(axis=(1, 2)) > 0).astype(
        np.int64
    )  # a learnable rule
    model = LeNet5(seed=0)
    logged = []
    recipe = lenet5.Recipe(epochs=4, batch_size=16, learning_rate=0.05)
    history = train(
        model,
        x[:64],
        y[:64],
        x[64:],
        y[64:],
        recipe,
        show_progress=False,
        on_epoch_end=lambda epoch, h: logged.append(epoch),
    )
    assert logged == [1, 2, 3, 4]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    loss, acc = evaluate(model, x[:64], y[:64])
    assert 0.0 <= acc <= 1.0 and np.isfinite(loss)


def test_model_rejects_wrong_input_shape():
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        LeNet5().forward(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="NCHW"):
        LeNet5().predict(np.zeros((2, 32, 32, 1), np.float32))
    with pytest.raises(RuntimeError, match="forward"):
        LeNet5().backward(np.zeros((2, 10), np.float32))


def test_save_load_round_trip(tmp_path):
    model = LeNet5(seed=5)
    path = save_weights(model, tmp_path / "lenet")
    assert path.suffix == ".npz"
    loaded = load_weights(None, path)
    for name in PARAM_SHAPES:
        np.testing.assert_array_equal(loaded.params[name], model.params[name])
    x, _ = _batch(n=4, dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict_logits(x), model.predict_logits(x))


def test_load_rejects_wrong_files(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a zip file")
    with pytest.raises(ValueError, match=r"notes.npz is a text file, not LeNet-5"):
        load_weights(None, text)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"other.npz is a NumPy .npz archive of other "
        r"arrays \(a\)",
    ):
        load_weights(None, other)
    bad = tmp_path / "bad.npz"
    params = dict(LeNet5().params, **{"c1.weight": np.zeros((6, 1, 3, 3), np.float32)})
    np.savez(bad, __format__=np.array("lenet5-numpy-v1"), **params)
    with pytest.raises(ValueError, match="c1.weight has shape"):
        load_weights(None, bad)
    with pytest.raises(FileNotFoundError, match="save_weights"):
        load_weights(LeNet5(), tmp_path / "missing.npz")


@pytest.mark.parametrize("tagged", [True, False])
def test_load_refuses_pickled_objects_and_says_why(tmp_path, tagged):
    path = tmp_path / "pickled.npz"
    params = dict(
        LeNet5().params, **{"c3.bias": np.array([{"run": "code"}], dtype=object)}
    )
    tag = {"__format__": np.array("lenet5-numpy-v1")} if tagged else {}
    np.savez(path, **tag, **params)
    with pytest.raises(ValueError) as caught:
        load_weights(None, path)
    message = str(caught.value)
    assert "'c3.bias' holds Python objects (a pickle)" in message
    assert "can run any code" in message and "save_weights(model, path)" in message
    assert ("format tag" in message) == tagged
    assert "not LeNet-5 weights" not in message  # it does not contradict itself


def test_time_training_rounds_times_every_layer_and_picks_the_median():
    model = LeNet5(seed=0)
    x, y = _batch(n=8, dtype=np.float32)
    rounds = time_training_rounds(
        model, SGD(model.params, lr=0.01), [(x, y), (x, y)], rounds=3
    )
    assert len(rounds) == 3 and not model.__dict__.keys() - {
        "dtype",
        "params",
        "_caches",
    }
    for r in rounds:
        assert r.steps == 2 and r.images == 16 and r.wall > 0
        assert set(r.layers) == set(lenet5.LAYER_NAMES)
        assert sum(r.layers.values()) <= r.wall
        ms = r.per_step_ms()
        assert np.isclose(sum(ms.values()), 1e3 * r.wall / r.steps)
    walls = sorted(r.wall for r in rounds)
    assert median_round(rounds).wall == walls[1]


def test_layer_timer_wraps_from_outside_and_puts_everything_back():
    """The timer sees every layer, forward and backward, and leaves no trace on the model."""
    model = LeNet5(seed=0)
    x, y = _batch(n=4, dtype=np.float32)
    expected = model.loss_and_grads(x, y)
    with layer_timer(model) as seconds:
        model.forward(x)
        forward_only = dict(seconds)
        loss, grads, _ = model.loss_and_grads(x, y)
    assert set(forward_only) == set(seconds) == set(lenet5.LAYER_NAMES)
    assert all(seconds[name] > forward_only[name] > 0 for name in lenet5.LAYER_NAMES)
    assert loss == expected[0] and all(
        np.array_equal(grads[k], expected[1][k]) for k in grads
    )
    assert set(model.__dict__) == {"dtype", "params", "_caches"}
    assert "_timed" not in LeNet5.__dict__ and "timings" not in model.__dict__


def test_around_layers_nests_and_restores_after_an_error():
    model = LeNet5(seed=0)
    x, _ = _batch(n=2, dtype=np.float32)
    calls = []

    def outer(name, call):
        calls.append(("outer", name))
        return call()

    def failing(name, call):
        raise RuntimeError("boom")

    with around_layers(model, outer):
        with pytest.raises(RuntimeError, match="boom"):
            with around_layers(model, failing):
                model.forward(x)
        model.forward(x)  # the outer wrapper is back
    assert [name for _, name in calls] == list(lenet5.LAYER_NAMES)
    assert set(model.__dict__) == {"dtype", "params", "_caches"}
