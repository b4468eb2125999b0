"""The schedule the book describes is the one each optimiser runs.

The recipe (``lenet5.Recipe``) gives the learning rate of every step (half a
cosine down to zero) and a constant momentum, and the chapters say so. These
tests train each implementation for a few steps and read, at every step, the
rate and momentum its optimiser really used: inside NumPy's ``SGD.step``,
inside PyTorch's ``SGD.step``, and from Keras' optimiser before each batch.
They must be the recipe's, step for step. PyTorch's dry run
(``schedule_trace``, which the PyTorch chapter plots) must match its real run.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from lenet_common import lenet5, plotting

RECIPE = lenet5.Recipe(epochs=2, batch_size=32, learning_rate=0.05)
N_TRAIN = 96  # 3 steps per epoch, 6 in all


@pytest.fixture(scope="module")
def tiny_data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N_TRAIN + 32, *lenet5.INPUT_SHAPE)).astype(np.float32)
    y = rng.integers(0, lenet5.N_CLASSES, N_TRAIN + 32)
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def described() -> np.ndarray:
    """The rates the recipe describes, one per step."""
    total = RECIPE.total_steps(N_TRAIN)
    return np.array([RECIPE.learning_rate_at(k, total) for k in range(total)])


def test_the_described_schedule_is_half_a_cosine_to_zero():
    rates = described()
    assert rates[0] == RECIPE.learning_rate
    assert np.all(np.diff(rates) < 0) and rates[-1] > 0  # down towards 0, not to it
    k = np.arange(len(rates))
    assert np.allclose(
        rates, RECIPE.learning_rate * (1 + np.cos(np.pi * k / len(k))) / 2
    )


def test_numpy_optimizer_runs_the_described_schedule(monkeypatch, tiny_data):
    from lenet_common import numpy_lenet
    from lenet_common.numpy_lenet import optim

    used = []
    original = optim.SGD.step

    def recording_step(self, grads):
        used.append((self.lr, self.momentum, self.weight_decay))
        return original(self, grads)

    monkeypatch.setattr(optim.SGD, "step", recording_step)
    model = numpy_lenet.LeNet5(seed=0)
    numpy_lenet.train(model, *tiny_data, RECIPE, show_progress=False)
    rates, momenta, decays = map(np.array, zip(*used))
    assert np.allclose(rates, described(), rtol=1e-12, atol=0)
    assert np.all(momenta == RECIPE.momentum) and np.all(decays == RECIPE.weight_decay)


def test_pytorch_optimizer_runs_the_described_schedule(monkeypatch, tiny_data):
    torch = pytest.importorskip("torch")
    from lenet_common import torch_lenet as tl

    used = []
    original = torch.optim.SGD.step

    def recording_step(self, *args, **kwargs):
        group = self.param_groups[0]
        used.append((float(group["lr"]), group["momentum"], group["nesterov"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.SGD, "step", recording_step)
    model = tl.set_params(tl.LeNet5(), lenet5.initial_params(0))
    tl.train(model, *tiny_data, RECIPE, device="cpu", show_progress=False)
    rates, momenta, nesterov = map(np.array, zip(*used))
    assert np.allclose(rates, described(), rtol=1e-6, atol=0)
    assert np.all(momenta == RECIPE.momentum)  # no cycling: the recipe's momentum
    assert not nesterov.any()  # heavy-ball momentum, as in the NumPy chapter
    trace = tl.schedule_trace(RECIPE, N_TRAIN)  # what the chapter plots
    assert np.allclose(trace["lr"], rates, rtol=1e-6, atol=0)
    assert np.array_equal(trace["momentum"], momenta)


def test_keras_optimizer_runs_the_described_schedule(monkeypatch, tiny_data):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    kl = pytest.importorskip("lenet_common.keras_lenet")
    used = []

    class RecordingGuard(kl.DivergenceGuard):
        """The chapter's own callback, noting the optimiser's rate before each batch."""

        def on_train_batch_begin(self, batch, logs=None):
            optimizer = self.model.optimizer
            used.append((float(optimizer.learning_rate), float(optimizer.momentum)))

    import importlib

    keras_train = importlib.import_module("lenet_common.keras_lenet.train")

    # fit_lenet5 looks the callback up in its own module
    monkeypatch.setattr(keras_train, "DivergenceGuard", RecordingGuard)
    model = kl.set_params(kl.build_lenet5(RECIPE), lenet5.initial_params(0))
    x, y, xv, yv = tiny_data
    nhwc = (0, 2, 3, 1)
    kl.fit_lenet5(
        model,
        x.transpose(nhwc).copy(),
        y,
        xv.transpose(nhwc).copy(),
        yv,
        RECIPE,
        verbose=False,
    )
    rates, momenta = map(np.array, zip(*used))
    assert np.allclose(rates, described(), rtol=1e-5, atol=0)
    assert np.all(momenta == pytest.approx(RECIPE.momentum))


def test_plot_schedule_draws_the_values_it_is_given():
    rates, momenta = described(), np.full(len(described()), RECIPE.momentum)
    fig = plotting.plot_schedule(rates, momenta, steps_per_epoch=3, title="t")
    rate_line, momentum_line = (ax.lines[0] for ax in fig.axes)
    assert np.array_equal(rate_line.get_ydata(), rates)
    assert np.array_equal(momentum_line.get_ydata(), momenta)
    assert np.array_equal(rate_line.get_xdata(), np.arange(len(rates)) / 3)  # in epochs
    with pytest.raises(ValueError, match="one of each per step"):
        plotting.plot_schedule(rates, momenta[:-1], steps_per_epoch=3)
