"""Shared test set-up: a headless matplotlib, and where full MNIST lies."""

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
