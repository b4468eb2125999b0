"""Checks for the exercises of the "Why convolutions" chapter (``book/why_convolutions.ipynb``).

Expected answers come from :mod:`lenet_common.shapes` and
:mod:`lenet_common.why_convolutions`, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import lenet5, shapes
from ..why_convolutions.counts import weight_counts
from ..why_convolutions.fields import c5_window_stride
from ..why_convolutions.shifting import shift
from .answers import as_whole, call_student, compare_arrays
from .verdicts import ExerciseResult, Feedback, check, report

__all__ = ["check_c3_dense_count", "check_s4_shift", "check_shift_function"]


def _c3_row() -> shapes.LayerRow:
    return next(row for row in shapes.lenet5_table() if row.name == "C3")


@check("ex-why-c3-dense")
def check_c3_dense_count(answer: int) -> ExerciseResult:
    """C3 written as a dense layer from S2's 6x14x14 values to C3's 16x10x10: its weights and biases."""
    counts = weight_counts(_c3_row())
    answer = as_whole(answer, "the number of weights and biases")
    if answer == counts.dense:
        return report(
            True,
            f"{counts.dense:,} weights and biases, against the convolution's "
            f"{counts.shared:,}.",
        )
    outputs = int(np.prod(_c3_row().out_shape))
    hints = {
        counts.dense - outputs: "add the biases: one per output value.",
        counts.local: "that counts each output's own 5x5x6 window: a dense layer "
        "connects each output to ALL of S2's values.",
        counts.shared: "that is the convolution's own count: a dense layer shares nothing.",
    }
    hint = hints.get(
        answer,
        "inputs (6 x 14 x 14) times outputs (16 x 10 x 10), plus one bias per output.",
    )
    return report(False, f"{answer:,} is not the count of a dense C3.", hint)


@check("ex-why-s4-shift")
def check_s4_shift(answer: int) -> ExerciseResult:
    """The smallest shift of the input (pixels) that moves S4's maps by exactly one position."""
    expected = c5_window_stride()
    answer = as_whole(answer, "the shift in pixels")
    if answer == expected:
        return report(
            True,
            f"{expected} pixels: the two 2x2 poolings multiply to a stride "
            f"of {expected}.",
        )
    pool = lenet5.LAYERS[1].size
    if answer == pool:
        hint = "that moves S2's maps by one position; S4 pools those maps again."
    elif answer == 1:
        hint = "one pixel moves C1's maps by one position, but each pooling halves the move."
    else:
        hint = "multiply the strides of the layers between the input and S4."
    return report(
        False,
        f"a shift of {answer} pixels does not move S4 by exactly one position.",
        hint,
    )


_SHIFTS = ((0, 3), (2, 0), (-1, 4), (5, -2), (0, 0))


def _shift_hint(fn: Callable[..., np.ndarray], images: np.ndarray) -> str:
    """Name the slip that the reader's shift makes on the first test, if we know it."""
    dy, dx = _SHIFTS[0]
    got = np.asarray(fn(images.copy(), dy, dx))
    if got.shape == images.shape and np.allclose(
        got, np.roll(images, (dy, dx), axis=(2, 3))
    ):
        return (
            "np.roll wraps the columns that leave round to the other side: fill them "
            "with the background instead."
        )
    if got.shape == images.shape and np.allclose(got, shift(images, -dy, -dx)):
        return "your image moves the wrong way: dx = 3 moves it 3 pixels to the RIGHT."
    zero_filled = shift(images, dy, dx)
    zero_filled[..., :dx] = 0
    if got.shape == images.shape and np.allclose(got, zero_filled):
        return (
            "fill with each image's top-left pixel (the background), not with 0: "
            "after normalisation the background is not 0."
        )
    return (
        "copy x[..., :H-dy, :W-dx] to the place dy down and dx right, and fill the rest "
        "with the top-left pixel."
    )


@check("ex-why-shift")
def check_shift_function(fn: Callable[..., np.ndarray]) -> ExerciseResult:
    """The reader's ``fn(images, dy, dx)`` against :func:`~lenet_common.why_convolutions.shifting.shift`."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((3, 1, 12, 12))
    images[:, :, :1, :1] = -0.4  # the background's value, in the corner
    for dy, dx in _SHIFTS:
        got = call_student(
            fn,
            images,
            dy,
            dx,
            hint="it receives (N, C, H, W) images and two whole numbers.",
        )
        try:
            compare_arrays(got, shift(images, dy, dx), f"your shift by ({dy}, {dx})")
        except Feedback as slip:
            raise Feedback(slip.what, _shift_hint(fn, images)) from None
    return report(
        True,
        f"your function moves images like the reference, for all "
        f"{len(_SHIFTS)} shifts tried.",
    )
