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


def test_the_broken_model_differs_from_numpy_and_the_check_names_it():
    params = lenet5.initial_params(seed=2)
    broken = E.broken_keras_model(params)
    from lenet_common import keras_lenet as kl

    x = (
        np.random.default_rng(0)
        .standard_normal((8, *lenet5.INPUT_SHAPE))
        .astype(np.float32)
    )
    reference = nl.predict_logits(nl.set_params(nl.LeNet5(), params), x)
    assert np.abs(kl.predict_logits(broken, x) - reference).max() > 1e-2
    assert E.check_broken_tensor("c3.weight")
    assert "no layout" in E.check_broken_tensor("c3.bias").message
    assert "feature_maps" in E.check_broken_tensor("c1.weight").message
    assert "not a tensor" in E.check_broken_tensor("c3").message
    assert "as text" in E.check_broken_tensor(3).message
    assert E.check_broken_tensor(...).status == "not attempted"


def test_step_seconds_times_each_implementation():
    for name in ("numpy", "torch", "keras"):
        seconds = E.step_seconds(name, batch_size=2, steps=3)
        assert 0 < seconds < 5, name


def test_the_batch_one_check(monkeypatch):
    fake = {"numpy": 0.001, "torch": 0.0011, "keras": 0.004}
    monkeypatch.setattr(E, "step_seconds", lambda name, batch_size: fake[name])
    assert E.check_fastest_at_batch_one("numpy")
    assert E.check_fastest_at_batch_one("torch")  # within 15% of the fastest
    slow = E.check_fastest_at_batch_one("keras")
    assert not slow and "fixed cost" in slow.message
    assert "one of" in E.check_fastest_at_batch_one("jax").message
    assert "one of" in E.check_fastest_at_batch_one(1).message
    for unhashable in (["numpy"], np.array(["numpy"]), {"numpy": 1}):
        wrong = E.check_fastest_at_batch_one(unhashable)
        assert not wrong and "one of" in wrong.message, wrong.message
    assert E.check_fastest_at_batch_one(...).status == "not attempted"
