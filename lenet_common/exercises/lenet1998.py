"""Checks for the exercises of the 1998-network chapter (``book/07_lenet1998.ipynb``).

Plain NumPy: the expected answers come from :mod:`lenet_common.shapes` and
:mod:`lenet_common.lenet1998.distortions`, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import shapes
from ..lenet1998 import distortions
from .answers import as_array, as_whole, call_student, describe
from .verdicts import ExerciseResult, Feedback, check, report

__all__ = [
    "FIXED_CODES_CHOICES",
    "check_c3_connections",
    "check_fixed_codes",
    "check_shear_matrix",
]


def _c3_row(variant: str) -> shapes.LayerRow:
    return next(r for r in shapes.lenet5_table(variant) if r.name == "C3")


@check("ex-lenet1998-connections", points=1)
def check_c3_connections(answer: int) -> ExerciseResult:
    """Exercise: C3's connections in the paper's sense (weight and bias uses)."""
    answer = as_whole(answer, "the number of connections")
    row = _c3_row("1998")
    expected = row.connections
    if answer == expected:
        return report(
            True,
            f"C3 has {expected:,} connections: {row.params:,} parameters, "
            f"each used at {row.out_shape[1] * row.out_shape[2]} positions.",
        )
    positions = row.out_shape[1] * row.out_shape[2]
    pairs = sum(sum(r) for r in shapes.c3_connection_table())
    if answer == row.params:
        hint = (
            "that is the number of trainable parameters; each is used once at every "
            f"one of the {positions} output positions of a map."
        )
    elif answer == _c3_row("modern").connections:
        hint = f"that is a fully connected C3: only {pairs} of the 96 map pairs exist."
    elif answer == positions * pairs * 25:
        hint = "add the biases: one per output map, used at every position."
    elif answer == pairs:
        hint = (
            "that counts the map pairs; each pair is a 5x5 kernel used at every "
            "output position."
        )
    else:
        hint = (
            "count the X's of the table (connected map pairs), multiply by the 25 "
            "weights of a kernel, add the 16 biases, then by the positions of a map."
        )
    return report(False, f"{answer:,} is not the number of C3's connections.", hint)


#: Answers offered for the question "why fixed RBF codes?"; the key is the letter.
FIXED_CODES_CHOICES: dict[str, str] = {
    "a": "Fixed codes use less memory than trainable ones.",
    "b": (
        "With the paper's MAP loss, learnt centres would collapse: all centres and "
        "all F6 outputs equal, zero loss and no recognition. Fixing them is what "
        "prevents that."
    ),
    "c": (
        "The codes are designed: similar codes for characters that look alike, and "
        "targets of +1 and -1, where the squashing function bends most, so that F6 "
        "need not saturate. Learnt centres would collapse only under the plain "
        "distance loss; the MAP loss keeps them apart."
    ),
    "d": "A squared distance to a trainable centre has no gradient.",
}

_FIXED_CODES_HINTS = {
    "a": "840 numbers are nothing next to C5's 48,120; memory was not the reason.",
    "b": (
        "the collapse belongs to the plain loss, the right class's distance alone. "
        "Look at the MAP loss's second term: what does it do when all centres are "
        "equal?"
    ),
    "d": (
        "(x - w)^2 is differentiable in w as well as in x; learning the centres would "
        "be easy. Ask what the hand-drawn codes give that learnt ones might not."
    ),
}


@check("ex-lenet1998-fixed-codes", points=1)
def check_fixed_codes(choice: str) -> ExerciseResult:
    """Exercise: the reason the paper keeps the RBF centres fixed (one letter)."""
    if not isinstance(choice, str) or choice.strip().lower() not in FIXED_CODES_CHOICES:
        raise Feedback(
            f"the answer should be one of the letters {sorted(FIXED_CODES_CHOICES)}, "
            f"but you gave {describe(choice)}.",
            'give the letter as a string, e.g. "a".',
        )
    letter = choice.strip().lower()
    if letter == "c":
        return report(
            True,
            "the paper chose the codes by hand for what they encode (confusable "
            "characters close, targets where the sigmoid bends most) and kept them "
            "fixed at least initially; its MAP loss, not the fixing, is what stops "
            "learnt centres from collapsing.",
        )
    return report(
        False, f"({letter}) is not the paper's reason.", _FIXED_CODES_HINTS[letter]
    )


@check("ex-lenet1998-shear", points=2)
def check_shear_matrix(shear_theta: Callable[[float], Any]) -> ExerciseResult:
    """Exercise: the sampling matrix (2x3) of a horizontal shear ``x -> x + h * y``."""
    for h in (0.25, -0.4, 0.1):
        got = as_array(
            call_student(shear_theta, h, hint="it receives one number, h"), "the matrix"
        )
        n = np.ones(1)
        want = distortions.affine_matrices(0 * n, 0 * n, n, 0 * n, h * n)[0]
        if got.shape != (2, 3):
            raise Feedback(
                f"for h = {h} you returned an array of shape {got.shape}, not (2, 3).",
                "two rows (x and y of the input point), three columns "
                "(x, y of the output point, and 1 for the shift).",
            )
        if np.allclose(got, want, atol=1e-6):
            continue
        forward = want.copy()
        forward[0, 1] = -want[0, 1]
        if np.allclose(got, forward, atol=1e-6):
            hint = (
                "this matrix moves the digit the other way: a sampling grid goes "
                "backwards, from each output pixel to the input point it reads, so "
                "use the inverse of the shear."
            )
        elif np.allclose(got[:, :2].T, forward[:, :2], atol=1e-6):
            hint = (
                "the shear changes x by h times y: put it in row 0 (x), column 1 (y)."
            )
        else:
            hint = (
                "the shear's matrix is [[1, h], [0, 1]]; the grid needs its inverse, "
                "and no shift in the last column."
            )
        return report(
            False,
            f"for h = {h} your matrix {np.round(got, 3).tolist()} is not "
            "the sampling matrix of that shear.",
            hint,
        )
    return report(
        True, "your matrices equal distortions.affine_matrices for a pure shear."
    )
