"""Non-finite numbers and bad inputs: the shared checks, and the NumPy LeNet-5's use."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lenet_common import lenet5
from lenet_common.numpy_lenet import SGD, LeNet5, evaluate, save_weights, train
from lenet_common.numpy_lenet.io import load_weights
from lenet_common.plumbing import checks
from lenet_common.plumbing.checks import TrainingDivergedError

NAN, INF = float("nan"), float("inf")


# --- the shared rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("lr", NAN),
        ("lr", INF),
        ("lr", 0),
        ("lr", -0.1),
        ("max_lr", INF),
        ("learning_rate", "0.1"),
        ("momentum", 1.0),
        ("momentum", NAN),
        ("weight_decay", -1e-4),
        ("weight_decay", INF),
        ("epochs", 0),
        ("epochs", 2.5),
        ("batch_size", True),
        ("lr_factor", 1.0),
        ("lr_patience", -1),
    ],
)
def test_bad_hyperparameter_is_named(name, value):
    with pytest.raises(
        ValueError, match=rf"bad hyperparameter\(s\): {name}={value!r} \(must be"
    ):
        checks.check_hyperparameters(**{name: value})


def test_every_bad_hyperparameter_is_listed_at_once():
    with pytest.raises(ValueError) as info:
        checks.check_hyperparameters(lr=NAN, momentum=0.9, weight_decay=-1)
    assert "lr=nan" in str(info.value) and "weight_decay=-1" in str(info.value)
    assert "momentum" not in str(info.value)
    checks.check_hyperparameters(
        lr=0.05, momentum=0.0, weight_decay=0, epochs=np.int64(3)
    )


def test_images_with_nan_or_inf_are_located():
    x = np.zeros((6, 1, 4, 4), np.float32)
    x[2, 0, 1, 1], x[4, 0, 0, 0] = np.nan, -np.inf
    with pytest.raises(
        ValueError, match=r"train images: 1 NaN and 1 infinite .* image\(s\) 2, 4 of 6"
    ):
        checks.check_images(x, "train images")


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.array([0, 1, 10]), r"found \[10\] at position\(s\) 2"),
        (np.array([0, -1, 2]), r"found \[-1\] at position\(s\) 1"),
        (
            np.array([0.0, 1.0, 2.0]),
            r"dtype float64; they are whole numbers: convert them",
        ),
        (np.array([0.2, 1.7, 2.0]), r"dtype float64; class numbers, not scores"),
        (np.array([True, False, True]), r"dtype bool"),
        (
            np.array([0, 1]),
            r"need one label per image, a 1-D array of 3; got shape \(2,\)",
        ),
    ],
)
def test_bad_labels_are_explained(y, expected):
    with pytest.raises(ValueError, match=expected):
        checks.check_labels(y, 3, 10, "labels")


def test_divergence_helpers():
    assert checks.first_bad_step(np.array([2.3, 1.9, 150.0, NAN])) == 2
    assert checks.first_bad_step(np.array([2.3, NAN])) == 1
    assert checks.first_bad_step(np.array([2.3, 0.1])) is None
    err = checks.diverged_error(37, NAN, "lr", 10.0, epoch=2)
    assert isinstance(err, FloatingPointError)
    assert "at step 37 (epoch 2) the loss became non-finite (nan), with lr=10" in str(
        err
    )
    assert "smaller learning rate (e.g. lr=1)" in str(err)
    assert "exploded to 7,012" in str(checks.diverged_error(3, 7012.0, "lr", 1e3))


# --- the NumPy LeNet-5 ----------------------------------------------------------------


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((48, 1, 32, 32)).astype(np.float32), np.arange(48) % 10


def run(model, x, y, x_val=None, y_val=None, **kw):
    values = {"epochs": 2, "batch_size": 16, "learning_rate": 0.05, **kw}
    recipe = lenet5.Recipe(**values)
    return train(model, x, y, x_val, y_val, recipe, show_progress=False)


def untouched(model: LeNet5, before: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(model.params[k], v) for k, v in before.items())


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"learning_rate": NAN}, "learning_rate=nan"),
        ({"learning_rate": INF}, "learning_rate=inf"),
        ({"momentum": 1.5}, "momentum=1.5"),
        ({"epochs": 0}, "epochs=0"),
    ],
)
def test_numpy_bad_hyperparameters(batch, kw, name):
    model = LeNet5()
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match=rf"bad hyperparameter\(s\): {name}"):
        run(model, *batch, **kw)
    assert untouched(model, before)
    with pytest.raises(ValueError, match="lr=nan"):
        SGD(model.params, lr=NAN)


def test_numpy_bad_inputs_change_no_weight(batch):
    x, y = batch
    model = LeNet5()
    before = {k: v.copy() for k, v in model.params.items()}
    last_bad = y.copy()
    last_bad[-1] = 10  # found only at the last step if nobody checked first
    with pytest.raises(
        ValueError, match=r"training labels: .*\[10\] at position\(s\) 47"
    ):
        run(model, x, last_bad)
    with pytest.raises(ValueError, match="training labels: .*float64"):
        run(model, x, y + 0.5)
    nan_x = x.copy()
    nan_x[30, 0, 3, 3] = np.nan
    with pytest.raises(
        ValueError, match=r"training images: 1 NaN .* image\(s\) 30 of 48"
    ):
        run(model, nan_x, y)
    with pytest.raises(ValueError, match=r"validation images: 1 NaN"):
        run(model, x, y, x_val=nan_x, y_val=y)
    with pytest.raises(
        ValueError, match=r"training images: there are none \(0 images\)"
    ):
        run(model, x[:0], y[:0])
    assert untouched(model, before)


def test_numpy_evaluate_refuses_an_empty_set(batch):
    with pytest.raises(ValueError, match=r"evaluation images: there are none"):
        evaluate(LeNet5(), batch[0][:0], batch[1][:0])


def test_numpy_divergence_names_the_step(batch, monkeypatch):
    import importlib

    train_module = importlib.import_module("lenet_common.numpy_lenet.train")
    real_step = train_module.TrainingStep
    calls = []

    class NanFromStep5(real_step):
        def __call__(self, x, y):
            calls.append(1)
            loss, grads, logits = super().__call__(x, y)
            return (math.nan if len(calls) >= 5 else loss), grads, logits

    monkeypatch.setattr(train_module, "TrainingStep", NanFromStep5)
    with pytest.raises(
        TrainingDivergedError,
        match=r"at step 5 \(epoch 2\) the loss became non-finite \(nan\)",
    ):
        recipe = lenet5.Recipe(epochs=2, batch_size=16, learning_rate=0.01)
        # 3 steps per epoch: 5 in epoch 2
        train(LeNet5(), *batch, recipe=recipe, show_progress=False, fast=True)
    assert len(calls) == 5  # stopped there


def test_numpy_huge_learning_rate_stops_with_advice(batch):
    with pytest.raises(
        TrainingDivergedError,
        match=r"with learning_rate=1000\b.*smaller learning rate",
    ):
        run(LeNet5(), *batch, learning_rate=1e3, epochs=3)


def test_numpy_nan_weights_do_not_predict(batch, tmp_path):
    model = LeNet5()
    model.params["c3.weight"][0, 0, 0, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"cannot predict: .*weights hold NaN .*\(in c3.weight\)"
    ):
        model.predict(batch[0])
    with pytest.raises(ValueError, match=r"in c3.weight"):
        evaluate(model, *batch)
    path = save_weights(model, tmp_path / "nan.npz")  # such a file loads ...
    loaded = load_weights(None, path)
    with pytest.raises(ValueError, match="in c3.weight"):  # ... but does not answer
        loaded.predict(batch[0])


def test_numpy_nan_image_does_not_predict(batch):
    x = batch[0].copy()
    x[7, 0, 0, 0] = np.inf
    with pytest.raises(
        ValueError,
        match=r"images to predict: 0 NaN and 1 infinite value\(s\), "
        r"in image\(s\) 7",
    ):
        LeNet5().predict(x)
    assert LeNet5().predict(x[:0]).shape == (0,)  # no images: no answers, no error


def test_numpy_wrong_files_are_named(tmp_path):
    npy = tmp_path / "weights.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ValueError, match=r"weights.npy is a single NumPy array \(.npy"):
        load_weights(None, npy)
    for name, head in (
        ("torch.npz", b"PK\x03\x04"),
        ("noise.npz", b"\x01\x02\x03\xff"),
    ):
        (tmp_path / name).write_bytes(head + bytes(200))
        with pytest.raises(
            ValueError,
            match=rf"{name} is .*, not LeNet-5 weights written by "
            r"numpy_lenet.save_weights",
        ):
            load_weights(None, tmp_path / name)
