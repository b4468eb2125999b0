"""Training the 1998 network: several runs at once give the numbers of one at a time."""

from __future__ import annotations

import _thread
import dataclasses
import signal
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lenet_common import data  # noqa: E402
from lenet_common.data.preprocess import pad_to_32, paper_scale  # noqa: E402
from lenet_common.lenet1998 import model as L  # noqa: E402
from lenet_common.lenet1998 import train as T  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    raw = data.load_mnist(quick=True)
    x = paper_scale(pad_to_32(raw.train_images[:448]))[:, None].astype(np.float32)
    y = raw.train_labels[:448].astype(np.int64)
    return x[:384], y[:384], x[384:], y[384:]


def _runs(epochs: dict[str, int]) -> dict[str, tuple[torch.nn.Module, T.Recipe]]:
    runs = {}
    for kind, n in epochs.items():
        torch.manual_seed(0)
        recipe = dataclasses.replace(T.recipe(kind, quick=True), epochs=n)
        runs[kind] = (L.LeNet1998(), recipe)
    return runs


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_runs_together_compute_what_runs_one_after_the_other_compute(
    digits, one_thread
):
    # With one torch thread in all, every run has one thread at every pass in
    # both ways, so the numbers must agree exactly, weights included.
    epochs = {"none": 1, "affine": 2}
    alone = _runs(epochs)
    histories_alone = {
        kind: T.train(model, *digits, recipe, show_progress=False)
        for kind, (model, recipe) in alone.items()
    }
    together = _runs(epochs)
    histories = T.train_together(together, *digits, show_progress=False)
    assert list(histories) == ["none", "affine"]
    for kind in epochs:
        assert len(histories[kind]["val_accuracy"]) == epochs[kind]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert histories[kind][key] == histories_alone[kind][key], (kind, key)
        for a, b in zip(alone[kind][0].parameters(), together[kind][0].parameters()):
            assert torch.equal(a, b)
    assert torch.get_num_threads() == 1


def test_a_rerun_together_gives_the_same_numbers_and_restores_the_threads(digits):
    threads = torch.get_num_threads()
    first = T.train_together(
        _runs({"none": 1, "affine": 2}), *digits, show_progress=False
    )
    again = T.train_together(
        _runs({"none": 1, "affine": 2}), *digits, show_progress=False
    )
    assert first["affine"]["val_loss"] == again["affine"]["val_loss"]
    assert first["none"]["loss"] == again["none"]["loss"]
    assert torch.get_num_threads() == threads


def _runs_alive() -> list[threading.Thread]:
    """train_together's threads still running."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("train_together") and t.is_alive()
    ]


class _Broken(L.LeNet1998):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this network is broken on purpose")


def test_a_failing_run_stops_the_others_and_its_error_reaches_the_caller(digits):
    runs = _runs({"none": 1, "affine": 3})
    torch.manual_seed(0)
    runs["none"] = (_Broken(), runs["none"][1])
    with pytest.raises(RuntimeError, match="broken on purpose"):
        T.train_together(runs, *digits, show_progress=False)
    # the other run was stopped and joined, not left training in the background
    assert not _runs_alive()


def test_an_interrupt_stops_every_run_and_reaches_the_caller(digits):
    # Ctrl-C in a notebook raises KeyboardInterrupt in the main thread, which
    # is waiting for the runs: it must stop them, not leave them training.
    runs = _runs({"none": 200, "affine": 200})  # far longer than the interrupt's delay
    # Python's own Ctrl-C handler, even where this process was started with
    # SIGINT ignored (make test's side lane runs in the background)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            T.train_together(runs, *digits, show_progress=False)
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, handler)
    assert not _runs_alive()
