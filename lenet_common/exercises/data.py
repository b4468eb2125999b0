"""Checks for the exercises of the data chapter."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..preprocess import pad_to_32
from . import ExerciseResult, report


def check_zero_fraction(answer: float, train_images: np.ndarray) -> ExerciseResult:
    """Exercise: the fraction of training pixels that are exactly 0 (pure background)."""
    expected = float(np.mean(np.asarray(train_images) == 0))
    ok = abs(float(answer) - expected) < 5e-4
    return report(
        ok,
        f"{float(answer):.4f} is the fraction of background pixels." if ok
        else f"{float(answer):.4f} is not the fraction of pixels equal to 0.",
        "compare the uint8 array with 0 and take the mean of the resulting booleans "
        "(a fraction between 0 and 1, not a count or a percentage).",
    )


def check_normalisation(mean: float, std: float, train_images: np.ndarray) -> ExerciseResult:
    """Exercise: mean and standard deviation of the padded training pixels, scaled to [0, 1]."""
    x = pad_to_32(np.asarray(train_images)).astype(np.float64) / 255.0
    ok = abs(mean - x.mean()) < 1e-4 and abs(std - x.std()) < 1e-4
    hint = "pad to 32x32 first (the border is part of what the network sees), divide by 255, "
    if abs(mean - x.mean()) < 1e-4:
        hint = "the mean is right; for the spread use the standard deviation of all pixels, not the variance."
    elif abs(mean - np.asarray(train_images).mean() / 255.0) < 1e-4:
        hint = "you used the 28x28 images: " + hint + "then compute over all pixels."
    else:
        hint += "then compute over all pixels of the training split only."
    return report(ok, f"mean {mean:.4f}, std {std:.4f}.", hint)


def check_pad(pad: Callable[[np.ndarray], np.ndarray], train_images: np.ndarray) -> ExerciseResult:
    """Exercise: write the 28→32 zero padding yourself."""
    x = np.asarray(train_images)[:16]
    try:
        got = np.asarray(pad(x))
    except Exception as err:  # a student's function may fail in any way
        return report(False, f"your function raised {type(err).__name__}: {err}.",
                      "it receives an array shaped (N, 28, 28) and returns (N, 32, 32).")
    expected = pad_to_32(x)
    if got.shape != expected.shape:
        return report(False, f"your function returns shape {got.shape}, not {expected.shape}.",
                      "pad only the two image axes, by 2 pixels on each side, not the batch axis.")
    if not np.array_equal(got, expected):
        moved = np.array_equal(got[:, :28, :28], x) or np.array_equal(got[:, 4:, 4:], x)
        return report(False, "the shape is right but the pixels are not where they belong.",
                      "put 2 blank pixels on *each* side, so the digit stays centred."
                      if moved else "pad with zeros (background), and do not rescale the digit.")
    return report(True, "your padding matches the paper's: 2 blank pixels on every side.")
