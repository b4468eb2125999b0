"""The one description of the network and its training recipe (lenet5.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lenet_common import lenet5, shapes


def test_the_description_matches_the_shapes_table():
    table = shapes.lenet5_table()
    assert [row.name.lower() for row in table] == list(lenet5.LAYER_NAMES)
    for row in table:
        name = row.name.lower()
        own = sum(
            math.prod(shape)
            for key, shape in lenet5.PARAM_SHAPES.items()
            if key.split(".")[0] == name
        )
        assert own == row.params, name
    assert sum(math.prod(s) for s in lenet5.PARAM_SHAPES.values()) == 61_706
    assert table[-1].out_shape[0] == lenet5.N_CLASSES
    assert tuple(table[0].in_shape) == lenet5.INPUT_SHAPE


def test_param_shapes_use_the_numpy_layout():
    assert lenet5.PARAM_SHAPES["c3.weight"] == (16, 6, 5, 5)  # (F, C, kh, kw)
    assert lenet5.PARAM_SHAPES["f6.weight"] == (120, 84)  # (in, out)
    assert list(lenet5.PARAM_SHAPES)[::2] == [
        f"{n}.weight" for n in ("c1", "c3", "c5", "f6", "output")
    ]


def test_check_params_names_every_problem():
    good = lenet5.initial_params(0)
    lenet5.check_params(good)
    bad = dict(good)
    del bad["c1.bias"]
    bad["c9.weight"] = np.zeros(3)
    bad["f6.weight"] = good["f6.weight"].T
    with pytest.raises(ValueError) as err:
        lenet5.check_params(bad)
    text = str(err.value)
    assert "c1.bias is missing" in text and "c9.weight is not a LeNet-5 tensor" in text
    assert "f6.weight has shape (84, 120), expected (120, 84)" in text
    with pytest.raises(ValueError, match="dict of arrays"):
        lenet5.check_params([1, 2, 3])


def test_initial_params_are_glorot_uniform_with_zero_biases():
    params = lenet5.initial_params(seed=0)
    limit = np.sqrt(6 / (6 * 25 + 16 * 25))
    w = params["c3.weight"]
    assert w.dtype == np.float32 and 0.9 * limit < np.abs(w).max() <= limit
    assert not any(params[n].any() for n in params if n.endswith("bias"))
    again = lenet5.initial_params(seed=0, dtype=np.float64)
    np.testing.assert_array_equal(
        again["c1.weight"].astype(np.float32), params["c1.weight"]
    )
    assert not np.array_equal(
        lenet5.initial_params(seed=1)["c1.weight"], params["c1.weight"]
    )


def test_the_book_recipe_has_one_value_per_mode():
    quick, full = lenet5.book_recipe(quick=True), lenet5.book_recipe(quick=False)
    assert quick.epochs < full.epochs
    assert quick.learning_rate == full.learning_rate and quick.momentum == full.momentum
    assert full.schedule == "cosine" and full.init == "glorot_uniform"


def test_cosine_schedule_starts_halves_and_ends_where_it_should():
    recipe = lenet5.Recipe(epochs=1, batch_size=10, learning_rate=0.1)
    assert recipe.learning_rate_at(0, 100) == pytest.approx(0.1)
    assert recipe.learning_rate_at(50, 100) == pytest.approx(0.05)
    assert recipe.learning_rate_at(100, 100) == pytest.approx(0.0)
    constant = lenet5.Recipe(
        epochs=1, batch_size=10, learning_rate=0.1, schedule="constant"
    )
    assert constant.learning_rate_at(99, 100) == 0.1
    assert recipe.steps_per_epoch(55_000) == 5_500 and recipe.total_steps(25) == 3


@pytest.mark.parametrize(
    "change, named",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"momentum": 1.0}, "momentum"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"schedule": "onecycle"}, "schedule"),
        ({"init": "he"}, "init"),
        ({"seed": -1}, "seed"),
    ],
)
def test_a_bad_recipe_is_refused_by_name(change, named):
    values = dict(epochs=1, batch_size=8, learning_rate=0.05) | change
    with pytest.raises(ValueError, match=named):
        lenet5.Recipe(**values)


def test_batch_order_is_a_permutation_per_epoch_and_seed():
    first = lenet5.batch_order(1000, epoch=0, seed=0)
    assert sorted(first) == list(range(1000))
    np.testing.assert_array_equal(first, lenet5.batch_order(1000, epoch=0, seed=0))
    assert not np.array_equal(first, lenet5.batch_order(1000, epoch=1, seed=0))
    assert not np.array_equal(first, lenet5.batch_order(1000, epoch=0, seed=1))
    with pytest.raises(ValueError):
        lenet5.batch_order(0, epoch=0)
