"""Shared test set-up: a headless matplotlib, where full MNIST lies, and the lanes' marks."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
# read once, before any test's monkeypatching can unset it
FULL_MNIST = os.environ.get("LENET_DATA_DIR")


@pytest.fixture
def full_mnist_dir() -> Path:
    """The folder of the full MNIST files (``LENET_DATA_DIR``), or skip."""
    folder = FULL_MNIST
    if not folder or not (Path(folder) / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("full MNIST not available: set LENET_DATA_DIR to its folder")
    return Path(folder)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.hookimpl(tryfirst=True)  # before -m deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the chapters under nbval ``kernels``, as the tests that start kernels are.

    ``make test`` runs the tests that start Jupyter kernels in one lane only:
    kernels launched by two processes at once can pick the same free TCP
    ports (jupyter_client's known race), and a kernel that loses the race
    leaves its notebook waiting for ever.
    """
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.kernels)
