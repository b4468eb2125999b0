"""The judge's side of the grader, without a kernel: data in, verdicts out.

A stand-in kernel runs :mod:`lenet_common.grading.kernel_side` in this
process, and every message goes through JSON as it would between processes,
so these tests see exactly what the judge sees: data, never the student's
objects.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

from lenet_common.exercises import verdicts
from lenet_common.grading import judge, kernel_side, wire


class FakeKernel:
    """Runs the grader's cells in this process; replies travel as JSON text."""

    def __init__(self, monkeypatch):
        self.sent: list[dict] = []
        monkeypatch.setattr(
            kernel_side, "_emit", lambda p: self.sent.append(json.loads(json.dumps(p)))
        )

    def ask(self, code: str) -> dict:
        self.sent.clear()
        exec(code, {"__lenet_judge__": kernel_side})  # noqa: S102 - our own cells
        return self.sent[-1] if self.sent else {}

    def capture(self, label: str, *values) -> dict:
        """What the grader's capture cell sends for these answers."""
        self.sent.clear()
        kernel_side.capture(label, lambda: values)
        return self.sent[-1]


@pytest.fixture
def kernel(monkeypatch):
    judge.import_checks(["02_shapes", "03_numpy_lenet"])
    return FakeKernel(monkeypatch)


def test_values_cross_as_data_and_back():
    value = (
        1,
        2.5,
        float("nan"),
        "text",
        None,
        True,
        ...,
        np.int64(7),
        np.arange(6.0).reshape(2, 3),
        [1, {"a": np.float32(0.5)}],
    )
    back = wire.decode(json.loads(json.dumps(wire.encode(value))))
    assert back[:2] == (1, 2.5) and np.isnan(back[2]) and back[3:7] == value[3:7]
    assert type(back[7]) is np.int64 and back[7] == 7
    assert np.array_equal(back[8], value[8])
    assert back[9][1]["a"] == np.float32(0.5)


def test_objects_and_pickles_never_cross():
    with pytest.raises(wire.WireError):
        wire.encode(object())
    with pytest.raises(wire.WireError):
        wire.decode({"$": "pickle", "v": "..."})
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.array_from(base64.b64encode(buffer.getvalue()).decode())


def test_a_students_function_runs_there_and_is_judged_here(kernel):
    def right(size, kernel, stride, padding, dilation):
        return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1

    def no_plus_one(size, kernel, stride, padding, dilation):
        return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride

    def starter(size, kernel, stride, padding, dilation):
        raise NotImplementedError

    label = "ex-shapes-function"
    assert judge.judge(label, kernel.capture(label, right), kernel).status == "correct"
    wrong = judge.judge(label, kernel.capture(label, no_plus_one), kernel)
    assert wrong.status == "incorrect" and "add 1" in wrong.message
    assert judge.judge(label, kernel.capture(label, starter), kernel).status == (
        "not attempted"
    )


def test_in_place_changes_come_back(kernel):
    """The numerical gradient changes x in place: the judge sees it, and its f (a
    partial of the book's function) reads the kernel's own copy of x."""

    def centred(f, x, h=1e-5):
        grad = np.zeros_like(x)
        flat, out = x.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            plus = f()
            flat[i] = old - h
            minus = f()
            flat[i] = old
            out[i] = (plus - minus) / (2 * h)
        return grad

    def forgets_to_restore(f, x, h=1e-5):
        x += h
        return np.zeros_like(x)

    label = "ex-numpy-numgrad"
    assert (
        judge.judge(label, kernel.capture(label, centred), kernel).status == "correct"
    )
    bad = judge.judge(label, kernel.capture(label, forgets_to_restore), kernel)
    assert "x is not the same" in bad.message


def test_the_books_data_comes_from_the_judge_not_the_kernel():
    from tests.book.test_grader import grade as scripts_grade

    judge.import_checks(["01_data"])
    calls = scripts_grade.check_calls(scripts_grade.ROOT / "book", "01_data")
    assert calls["ex-data-zero"] == ["answer"]  # raw.train_images is the judge's
    assert verdicts.JUDGE_INPUTS["ex-data-pad"] == {
        "train_images": "mnist_train_images"
    }


def test_a_pytorch_module_is_a_stand_in_whose_calls_run_there(kernel):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    from torch import nn

    judge.import_checks(["05_pytorch"])

    class Subsampling(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.coef = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))

        def forward(self, x):
            sums = 4 * F.avg_pool2d(x, 2)
            return self.coef.view(1, -1, 1, 1) * sums + self.bias.view(1, -1, 1, 1)

    class Averages(Subsampling):
        def forward(self, x):
            return self.coef.view(1, -1, 1, 1) * F.avg_pool2d(x, 2) + self.bias.view(
                1, -1, 1, 1
            )

    label = "ex-torch-subsampling"
    assert judge.judge(label, kernel.capture(label, Subsampling), kernel).status == (
        "correct"
    )
    wrong = judge.judge(label, kernel.capture(label, Averages), kernel)
    assert wrong.status == "incorrect" and "SUMS" in wrong.message


def test_a_broken_answer_is_an_error_not_a_crash(kernel):
    payload = {"label": "ex-shapes-stride", "values": [{"$": "pickle"}]}
    result = judge.judge("ex-shapes-stride", payload, kernel)
    assert result.status == "error" and "could not read" in result.message


def test_a_keras_model_is_rebuilt_from_its_configuration_only(kernel):
    judge.import_checks(["04_keras"])
    from lenet_common import keras_lenet
    from lenet_common.keras_lenet import keras

    label = "ex-keras-relu-max"
    model = keras_lenet.build_lenet5(activation="relu", pooling="max")
    payload = kernel.capture(label, model)
    assert payload["values"]["v"][0]["$"] == "keras"  # data: its config and weights
    assert judge.judge(label, payload, kernel).status == "correct"
    tanh = keras_lenet.build_lenet5()
    assert judge.judge(label, kernel.capture(label, tanh), kernel).status == "incorrect"
    # a layer that carries code is refused (Keras's safe mode), not run
    inputs = keras.Input(shape=(32, 32, 1))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    sneaky = keras.Model(
        inputs, keras.layers.Dense(10)(keras.layers.Flatten()(outputs))
    )
    refused = judge.judge(label, kernel.capture(label, sneaky), kernel)
    assert refused.status == "incorrect" and "could not rebuild" in refused.message
