"""The side-by-side chapter's checks accept right answers, explain wrong ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lenet_common import lenet5

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest.importorskip("torch")
pytest.importorskip("tensorflow")

from lenet_common import numpy_lenet as nl  # noqa: E402
from lenet_common.exercises import side_by_side as E  # noqa: E402


def _convert(state_dict, dense=lambda v: v.T):
    book = {}
    for name, tensor in state_dict.items():
        value = tensor.detach().cpu().numpy()
        book[name] = np.ascontiguousarray(dense(value) if value.ndim == 2 else value)
    return book


def test_the_state_dict_conversion_check():
    assert E.check_state_dict_conversion(_convert)
    reshaped = E.check_state_dict_conversion(
        lambda sd: _convert(sd, dense=lambda v: v.reshape(v.shape[::-1]))
    )
    assert (
        not reshaped
        and "reshape" in reshaped.message
        and "f6.weight" in reshaped.message
    )
    untransposed = E.check_state_dict_conversion(
        lambda sd: _convert(sd, dense=lambda v: v)
    )
    assert not untransposed and "(84, 120)" in untransposed.message

    def conv_transposed(sd):
        book = _convert(sd)
        book["c1.weight"] = book["c1.weight"].transpose(0, 1, 3, 2).copy()
        return book

    conv = E.check_state_dict_conversion(conv_transposed)
    assert not conv and "keep them as they are" in conv.message
    assert "not a dict" in E.check_state_dict_conversion(lambda sd: [1, 2]).message
    crash = E.check_state_dict_conversion(lambda sd: 1 / 0)
    assert not crash and "ZeroDivisionError" in crash.message


def test_the_state_dict_conversion_survives_a_student_who_changes_the_input():
    def convert_then_scribble(state_dict):
        book = {k: v.copy() for k, v in _convert(state_dict).items()}
        for tensor in state_dict.values():
            tensor.zero_()  # would change the model's own weights without a copy
        return book

    assert E.check_state_dict_conversion(convert_then_scribble)


def test_the_state_dict_conversion_with_values_that_are_not_arrays():
    ragged = E.check_state_dict_conversion(lambda sd: {k: [[1, 2], [3]] for k in sd})
    assert not ragged and "not an array of numbers" in ragged.message
    nan = E.check_state_dict_conversion(
        lambda sd: {k: v * float("nan") for k, v in _convert(sd).items()}
    )
    assert not nan and "not finite" in nan.message


def test_the_state_dict_conversion_starter_is_not_attempted():
    def convert(state_dict):
        raise NotImplementedError

    assert E.check_state_dict_conversion(convert).status == "not attempted"
    assert E.check_state_dict_conversion(...).status == "not attempted"


@pytest.mark.parametrize("name", E.BROKEN_CANDIDATES)
def test_the_broken_model_differs_from_numpy_and_the_check_names_it(monkeypatch, name):
    """Whichever tensor a student draws, the layers before it agree with NumPy,
    its own output does not, and only its name is accepted."""
    monkeypatch.setattr(E, "_broken_name", lambda: name)
    params = lenet5.initial_params(seed=2)
    params = {k: v + 0.05 * (k.endswith("bias")) for k, v in params.items()}
    broken = E.broken_keras_model(params)
    from lenet_common import keras_lenet as kl

    x = (
        np.random.default_rng(0)
        .standard_normal((8, *lenet5.INPUT_SHAPE))
        .astype(np.float32)
    )
    numpy_model = nl.set_params(nl.LeNet5(), params)
    ours, theirs = numpy_model.feature_maps(x), kl.layer_outputs(broken, x)
    layer = name.split(".")[0]
    differs = [
        k
        for k in lenet5.LAYER_NAMES
        if np.abs(theirs[k] - ours[k]).max() > 1e-3 * np.abs(ours[k]).max()
    ]
    assert differs and differs[0] == layer, (name, differs)
    assert E.check_broken_tensor(name)
    for other in E.BROKEN_CANDIDATES + ("c3.weight",):
        if other != name:
            wrong = E.check_broken_tensor(other)
            assert not wrong and "feature_maps" in wrong.message
    assert "no layout" in E.check_broken_tensor(layer + ".bias").message
    assert "not a tensor" in E.check_broken_tensor("c3").message
    assert "as text" in E.check_broken_tensor(3).message
    assert E.check_broken_tensor(...).status == "not attempted"


def test_the_broken_tensor_is_not_the_one_the_text_breaks():
    assert "c3.weight" not in E.BROKEN_CANDIDATES
    assert E._broken_name() in E.BROKEN_CANDIDATES
    assert set(E.BROKEN_CANDIDATES) <= set(lenet5.PARAM_SHAPES)
    assert E.check_broken_tensor(E._broken_name())
    assert not E.check_broken_tensor("c3.weight")


def test_step_seconds_times_each_implementation():
    for name in ("numpy", "torch", "keras"):
        seconds = E.step_seconds(name, batch_size=2, steps=3)
        assert 0 < seconds < 5, name


def test_the_batch_one_check():
    """Judged on the student's own timings: the arithmetic, and a ratio above 1."""
    size = lenet5.book_recipe().batch_size
    seconds = {
        1: {"numpy": 0.001, "torch": 0.0011, "keras": 0.004},
        size: {"numpy": 0.016, "torch": 0.012, "keras": 0.02},
    }
    right = {n: seconds[1][n] / (seconds[size][n] / size) for n in seconds[1]}
    result = E.check_batch_one_cost(seconds, right)
    assert result and "not graded" in result.message and "NumPy" in result.message
    assert E.check_batch_one_cost(seconds, {n: np.float32(v) for n, v in right.items()})
    per_step = E.check_batch_one_cost(
        seconds, {n: seconds[1][n] / seconds[size][n] for n in right}
    )
    assert not per_step and "compares whole steps" in per_step.message
    upside_down = E.check_batch_one_cost(seconds, {n: 1 / v for n, v in right.items()})
    assert not upside_down and "wrong way round" in upside_down.message
    off = E.check_batch_one_cost(seconds, {**right, "keras": 3.0})
    assert not off and "Keras" in off.message and "per image" in off.message
    # a step that grows as fast as its batch (ratio below 1) is a measurement to
    # explain, not a wrong answer: NumPy's taught layers loop over the images
    slow = {1: dict(seconds[1]), size: {**seconds[size], "numpy": 1.0}}
    slow_ratios = {n: slow[1][n] / (slow[size][n] / size) for n in right}
    assert slow_ratios["numpy"] < 1 and E.check_batch_one_cost(slow, slow_ratios)
    missing = E.check_batch_one_cost({1: seconds[1]}, right)
    assert not missing and "keys 1 and" in missing.message
    no_keras = E.check_batch_one_cost(seconds, {"numpy": 1.0, "torch": 1.0})
    assert not no_keras and "one number for each" in no_keras.message
    negative = E.check_batch_one_cost(
        {1: {**seconds[1], "torch": -1.0}, size: seconds[size]}, right
    )
    assert not negative and "positive number" in negative.message
    assert E.check_batch_one_cost(..., ...).status == "not attempted"
    assert E.check_batch_one_cost(seconds, ...).status == "not attempted"
