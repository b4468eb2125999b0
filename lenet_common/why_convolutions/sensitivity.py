"""How much each layer's output moves when the input digit moves by a few pixels."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..numpy_lenet import LeNet5
from .shifting import shift

__all__ = ["accuracy_under_shift", "layer_change"]


def _change(before: np.ndarray, after: np.ndarray) -> float:
    """Mean over images of ``|after - before| / |before|`` (Euclidean norms)."""
    n = len(before)
    diff = np.linalg.norm((after - before).reshape(n, -1), axis=1)
    return float(np.mean(diff / np.linalg.norm(before.reshape(n, -1), axis=1)))


def layer_change(
    model: LeNet5, images: np.ndarray, shifts: Sequence[int]
) -> dict[str, list[float]]:
    """For each layer, the relative change of its output per horizontal shift.

    Each layer's output for the shifted digits is compared, position by
    position, with its output for the digits where they were: what the next
    layer, whose weights sit at fixed positions, gets to see.
    """
    before = model.feature_maps(images)
    change: dict[str, list[float]] = {name: [] for name in before}
    for s in shifts:
        after = model.feature_maps(shift(images, 0, s))
        for name in before:
            change[name].append(_change(before[name], after[name]))
    return change


def accuracy_under_shift(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    labels: np.ndarray,
    shifts: Sequence[int],
) -> list[float]:
    """Accuracy of ``predict`` on the images moved ``s`` pixels right, per ``s``."""
    return [float(np.mean(predict(shift(images, 0, s)) == labels)) for s in shifts]
