"""The PyTorch LeNet-5 when things go wrong: saves, inputs, divergence, wrong files."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import importlib  # noqa: E402

from lenet_common import lenet5  # noqa: E402
from lenet_common import torch_lenet as tl  # noqa: E402

# the module, not the package's train function of the same name
tl_train = importlib.import_module("lenet_common.torch_lenet.train")
from lenet_common.plumbing.checks import TrainingDivergedError  # noqa: E402
from tests.faults import disk_full_after, folder_listing, random_split  # noqa: E402

NAN, INF = float("nan"), float("inf")


@pytest.fixture
def model() -> tl.LeNet5:
    torch.manual_seed(0)
    return tl.LeNet5()


@pytest.fixture(scope="module")
def data():
    return random_split("NCHW")


def run(model, data, **config):
    x, y, xv, yv = data
    config = lenet5.Recipe(
        **{"epochs": 2, "batch_size": 16, "learning_rate": 0.05, **config}
    )
    return tl.train(model, x, y, xv, yv, config, show_progress=False)


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same(model, before) -> bool:
    return all(torch.equal(model.state_dict()[k], v) for k, v in before.items())


# --- saving ---------------------------------------------------------------------------


def test_save_on_a_full_disk_keeps_the_last_good_file(model, tmp_path):
    path = tl.save_weights(model, tmp_path / "lenet5.pt")
    good = path.read_bytes()
    other = tl.LeNet5()
    with disk_full_after(64 * 1024):
        with pytest.raises(RuntimeError):  # torch's C++ writer: "file write failed"
            torch.save(other.state_dict(), tmp_path / "control.pt")
        with pytest.raises(RuntimeError):
            tl.save_weights(other, path)
    assert 0 < (tmp_path / "control.pt").stat().st_size < len(good)  # really part-way
    assert path.read_bytes() == good
    assert folder_listing(tmp_path) == ["control.pt", "lenet5.pt"]
    assert same(tl.load_weights(tl.LeNet5(), path), state(model))


def test_save_of_an_unserialisable_object_keeps_the_last_good_file(
    model, tmp_path, monkeypatch
):
    path = tl.save_weights(model, tmp_path / "lenet5.pt")
    good = path.read_bytes()
    broken = tl.LeNet5()
    monkeypatch.setattr(
        broken, "state_dict", lambda: {**model.state_dict(), "x": lambda: 0}
    )
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        tl.save_weights(broken, path)
    assert path.read_bytes() == good and folder_listing(tmp_path) == ["lenet5.pt"]


# --- loading the wrong file -----------------------------------------------------------


def test_wrong_files_are_named_and_no_unsafe_advice(model, tmp_path):
    files = {"arrays.npz": None, "noise.pt": bytes(range(7, 250)), "empty.pt": b""}
    np.savez(tmp_path / "arrays.npz", a=np.zeros(3))
    for name, content in files.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
    torch.save(model, tmp_path / "whole_model.pt")  # pickled code, not just tensors
    expected = {
        "arrays.npz": r"arrays.npz is a NumPy .npz archive of other arrays \(a\), "
        r"not PyTorch LeNet-5 weights written by torch_lenet.save_weights",
        "noise.pt": r"noise.pt is not a known format .*, not PyTorch LeNet-5 weights",
        "empty.pt": r"empty.pt is an empty file, not PyTorch LeNet-5 weights",
        "whole_model.pt": r"whole_model.pt is a PyTorch file holding pickled Python "
        r"objects.*refused.*save_weights",
    }
    for name, pattern in expected.items():
        with pytest.raises(ValueError, match=pattern) as info:
            tl.load_weights(tl.LeNet5(), tmp_path / name)
        assert "weights_only=False" not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


# --- shapes, labels, numbers ----------------------------------------------------------


def test_wrong_shape_is_a_value_error_naming_the_shape(model, data):
    x = data[0]
    for call in (
        lambda: model(torch.as_tensor(x[:, 0])),
        lambda: model(torch.zeros(2, 32, 32, 1)),
        lambda: tl.predict_logits(model, x.transpose(0, 2, 3, 1)),
        lambda: tl.predict(model, x[:, :, :28, :28]),
    ):
        with pytest.raises(
            ValueError, match=r"images must have shape \(N, 1, 32, 32\)"
        ):
            call()


@pytest.mark.parametrize(
    "config, name",
    [
        ({"learning_rate": INF}, "learning_rate=inf"),
        ({"learning_rate": NAN}, "learning_rate=nan"),
        ({"momentum": -0.1}, "momentum=-0.1"),
        ({"weight_decay": NAN}, "weight_decay=nan"),
        ({"batch_size": 0}, "batch_size=0"),
    ],
)
def test_bad_hyperparameters_are_named(config, name):
    with pytest.raises(ValueError, match=rf"bad hyperparameter\(s\): {name}"):
        values = {"epochs": 1, "batch_size": 16, "learning_rate": 0.05, **config}
        lenet5.Recipe(**values)


def test_bad_inputs_change_no_weight(model, data):
    x, y, xv, yv = data
    before = state(model)
    bad = y.copy()
    bad[-1] = 10
    cases = {
        r"training labels: .*\[10\] at position\(s\) 47": (x, bad, xv, yv),
        r"training labels: labels must be integers 0 to 9, got dtype float64": (
            x,
            y + 0.7,
            xv,
            yv,
        ),
        r"validation labels: .*torch.int64|validation labels: .*float32": (
            x,
            y,
            xv,
            torch.as_tensor(yv, dtype=torch.float32),
        ),
        r"training images: 1024 NaN and 0 infinite value\(s\), in image\(s\) 3 of 48": (
            np.where(np.arange(48)[:, None, None, None] == 3, np.nan, x),
            y,
            xv,
            yv,
        ),
        r"training images: there are none \(0 images\)": (x[:0], y[:0], xv, yv),
        r"validation images: there are none": (x, y, xv[:0], yv[:0]),
    }
    for pattern, (a, b, c, d) in cases.items():
        with pytest.raises(ValueError, match=pattern):
            tl.train(
                model,
                a,
                b,
                c,
                d,
                lenet5.Recipe(epochs=1, batch_size=16, learning_rate=0.05),
                show_progress=False,
            )
    with pytest.raises(ValueError, match=r"evaluation images: there are none"):
        tl.evaluate(model, x[:0], y[:0])
    assert same(model, before)


def test_divergence_names_the_step(data, monkeypatch):
    class NanFromStep(tl.LeNet5):
        """Training calls turn the logits to NaN from the 3rd step on."""

        calls = 0

        def forward(self, x):
            out = super().forward(x)
            if self.training:
                NanFromStep.calls += 1
                if NanFromStep.calls >= 3:
                    out = out * math.nan
            return out

    looks = []
    real = tl_train.first_diverged_step
    monkeypatch.setattr(
        tl_train, "first_diverged_step", lambda *a: looks.append(1) or real(*a)
    )
    x, y, xv, yv = data
    with pytest.raises(
        TrainingDivergedError,
        match=r"at step 3 \(epoch 2\) the loss became non-finite \(nan\), "
        r"with learning_rate=0.05",
    ):
        run(NanFromStep(), (x[:32], y[:32], xv, yv))  # 2 steps per epoch
    assert looks == [1, 1]  # one look per epoch here (every 50 steps in general)


def test_huge_learning_rate_stops_with_advice(model, data):
    with pytest.raises(
        TrainingDivergedError, match=r"learning_rate=1e\+06.*smaller learning rate"
    ):
        run(model, data, learning_rate=1e6, epochs=1)


def test_first_diverged_step_from_running_sums():
    sums = torch.tensor([2.3, 4.5, 6.6, 6.6 + 500.0, math.inf]) * 16
    assert tl_train.first_diverged_step(sums, 16, 80) == 3
    assert tl_train.first_diverged_step(sums[:3], 16, 80) is None
    last_short = torch.tensor([2.0 * 16, 2.0 * 16 + 150.0 * 2])  # last batch: 2 images
    assert tl_train.first_diverged_step(last_short, 16, 18) == 1


def test_nan_weights_and_images_do_not_predict(model, data):
    x = data[0]
    nan_x = x.copy()
    nan_x[5, 0, 0, 0] = INF
    with pytest.raises(
        ValueError, match=r"images to predict: 0 NaN and 1 infinite .* 5 of 48"
    ):
        tl.predict(model, nan_x)
    with torch.no_grad():
        model.c5.bias[3] = NAN
    with pytest.raises(
        ValueError, match=r"cannot predict: .*weights hold NaN .*\(in c5.bias\)"
    ):
        tl.predict(model, x)
    with pytest.raises(ValueError, match=r"cannot evaluate: .*\(in c5.bias\)"):
        tl.evaluate(model, x, data[1])
