"""Checks for the exercises of the data chapter."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import numpy as np

from ..data.preprocess import pad_to_32
from .answers import as_real, call_student, describe, number_text, numeric_or_none
from .verdicts import ExerciseResult, Feedback, check, report


@functools.lru_cache(maxsize=2)
def _reference_train_images(full: bool) -> np.ndarray:
    """MNIST's training images, loaded here: the sample's, or the full set's.

    The checks judge answers against these, never against the array a
    student passes: a wrong array must not turn a wrong answer right.
    """
    from ..data import load_mnist

    with warnings.catch_warnings():  # the chapter has already said where they came from
        warnings.simplefilter("ignore")
        images = load_mnist(quick=not full).train_images
    images.setflags(write=False)
    return images


def _images(train_images: np.ndarray) -> np.ndarray:
    """The reference training images, once ``train_images`` is seen to be them."""
    try:
        images = np.asarray(train_images)
    except Exception:  # noqa: BLE001 - e.g. a ragged list
        images = None
    if (
        images is None
        or images.dtype.kind not in "biuf"
        or images.shape[1:] != (28, 28)
        or images.ndim != 3
    ):
        raise Feedback(
            f"the images should be an array (N, 28, 28), got {describe(train_images)}.",
            "pass raw.train_images, as the exercise says.",
        )
    reference = _reference_train_images(full=False)  # the shipped sample: no download
    if images.shape != reference.shape:
        try:
            reference = _reference_train_images(full=True)
        except Exception as err:  # noqa: BLE001 - no data here to compare with
            raise Feedback(
                f"the check could not load MNIST's training images itself ({err}).",
                "run the chapter's data.load_mnist() cell first, in this session.",
            ) from None
    if images.shape != reference.shape or not np.array_equal(images, reference):
        raise Feedback(
            "these are not the training images of data.load_mnist() (the check "
            "compares with its own copy).",
            "pass raw.train_images, unchanged, as the exercise says.",
        )
    return reference


@check("ex-data-zero", points=1, judge_inputs={"train_images": "mnist_train_images"})
def check_zero_fraction(answer: float, train_images: np.ndarray) -> ExerciseResult:
    """Exercise: the fraction of training pixels that are exactly 0 (pure
    background)."""
    images = _images(train_images)
    answer = as_real(answer, "the fraction")
    zeros = np.asarray(images == 0)
    expected = float(zeros.mean())
    if abs(answer - expected) < 5e-4:
        return report(
            True, f"{number_text(answer)} of the training pixels are background."
        )
    if abs(answer - 100 * expected) < 5e-2:
        hint = "that is a percentage: give the fraction, between 0 and 1."
    elif answer == zeros.sum():
        hint = "that is the number of zero pixels: divide by the number of pixels."
    elif abs(answer - (1 - expected)) < 5e-4:
        hint = "that is the fraction of pixels that are NOT 0 (ink): compare with == 0."
    else:
        hint = (
            "compare the uint8 array with 0 and take the mean of the resulting "
            "booleans (a fraction between 0 and 1)."
        )
    return report(
        False, f"{number_text(answer)} is not the fraction of pixels equal to 0.", hint
    )


@check("ex-data-stats", points=1, judge_inputs={"train_images": "mnist_train_images"})
def check_normalisation(
    mean: float, std: float, train_images: np.ndarray
) -> ExerciseResult:
    """Exercise: mean and standard deviation of the padded training pixels, scaled to
    [0, 1]."""
    images = _images(train_images)
    mean, std = as_real(mean, "the mean"), as_real(std, "the standard deviation")
    x = pad_to_32(images).astype(np.float64) / 255.0
    want_mean, want_std = float(x.mean()), float(x.std())
    if abs(mean - want_mean) < 1e-4 and abs(std - want_std) < 1e-4:
        return report(True, f"mean {number_text(mean)}, std {number_text(std)}.")
    raw = images.astype(np.float64)
    if abs(mean - raw.mean() / 255.0) < 1e-4 or abs(std - raw.std() / 255.0) < 1e-4:
        hint = "you used the 28x28 images: pad them to 32x32 first, then divide by 255."
    elif abs(mean - 255.0 * want_mean) < 1e-2:
        hint = "scale the pixels to 0..1 first: divide by 255."
    elif abs(mean - want_mean) < 1e-4 and abs(std - want_std**2) < 1e-4:
        hint = "the mean is right; that spread is the variance: take its square root."
    elif abs(mean - want_mean) < 1e-4:
        hint = "the mean is right; the spread is the standard deviation of all pixels."
    else:
        hint = (
            "pad to 32x32 (the border is part of what the network sees), divide by "
            "255, then take the mean and standard deviation over all pixels."
        )
    return report(
        False,
        f"mean {number_text(mean)}, std {number_text(std)} are not the padded "
        "images' statistics.",
        hint,
    )


@check("ex-data-pad", points=2, judge_inputs={"train_images": "mnist_train_images"})
def check_pad(
    pad: Callable[[np.ndarray], np.ndarray], train_images: np.ndarray
) -> ExerciseResult:
    """Exercise: write the 28→32 zero padding yourself."""
    x = _images(train_images)[:16]
    got = call_student(
        pad, x, hint="it receives an array (N, 28, 28) and returns (N, 32, 32)."
    )
    if got is None:
        return report(
            False,
            "your function returned None.",
            "end it with return and the padded array.",
        )
    got = numeric_or_none(got)
    if got is None:
        return report(
            False,
            "your function returned something that is not an array of numbers.",
            "return the padded images, an array (N, 32, 32).",
        )
    expected = pad_to_32(x)
    if got.shape != expected.shape:
        return report(
            False,
            f"your function returns shape {got.shape}, not {expected.shape}.",
            "pad only the two image axes, by 2 pixels on each side, "
            "not the batch axis.",
        )
    if np.array_equal(got, expected):
        return report(
            True, "your padding matches the paper's: 2 blank pixels on every side."
        )
    if np.array_equal(got[:, :28, :28], x) or np.array_equal(got[:, 4:, 4:], x):
        hint = "put 2 blank pixels on *each* side, so that the digit stays centred."
    else:
        hint = "pad with zeros (background), and do not rescale the digit."
    return report(
        False, "the shape is right but the pixels are not where they belong.", hint
    )
