"""Issue 23: the taught layers are the code that trains; the fast step is an option equal to it."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import lenet5, numerics
from lenet_common.numpy_lenet import LeNet5, layers, train
from lenet_common.numpy_lenet import model as model_module

RECIPE = lenet5.Recipe(epochs=2, batch_size=16, learning_rate=0.05)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.random((48, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 48)
    return x, y


def run(x, y, **kw):
    model = LeNet5(seed=0, dtype=np.float64)
    history = train(model, x, y, recipe=RECIPE, show_progress=False, **kw)
    return model, history


def test_the_fast_step_trains_as_the_taught_one(data):
    x, y = data
    taught, taught_history = run(*data)
    fast, fast_history = run(*data, fast=True, threads=2)
    # the longest sum: a C1 weight's gradient over 16 images of 28x28 positions,
    # and six steps whose rounding compounds
    terms = 16 * 28 * 28 * RECIPE.total_steps(len(x))
    numerics.assert_close(
        fast_history["loss"],
        taught_history["loss"],
        terms=terms,
        magnitude=10.0,
        what="training losses",
    )
    for name, p in taught.params.items():
        numerics.assert_close(
            fast.params[name],
            p,
            terms=terms,
            magnitude=1.0 + np.abs(p).max(),
            what=name,
        )


def test_swapping_a_taught_layer_changes_training(data, monkeypatch):
    _, tanh_history = run(*data)
    monkeypatch.setattr(model_module.L, "tanh_forward", layers.relu_forward)
    monkeypatch.setattr(model_module.L, "tanh_backward", layers.relu_backward)
    _, relu_history = run(*data)
    assert not np.allclose(tanh_history["loss"], relu_history["loss"])
    # the fast step does not see the edit: it is a separate, rearranged copy
    _, fast_history = run(*data, fast=True, threads=1)
    np.testing.assert_allclose(fast_history["loss"], tanh_history["loss"], rtol=1e-9)


def test_threads_without_the_fast_step_is_refused(data):
    x, y = data
    model = LeNet5(seed=0)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match="fast=True"):
        train(model, x, y, recipe=RECIPE, threads=2)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)
