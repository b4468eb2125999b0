"""The fixed targets of the 1998 network's output: one 7x12 bitmap per digit.

LeNet-5's output layer has one Euclidean RBF unit per class. Unit ``i``
measures how far F6's 84 outputs lie from a fixed vector of +1 and -1: a
7-wide, 12-high picture of digit ``i``, read row by row (the paper's
Fig. 3). The paper prints those pictures as a figure only, not as numbers,
so the bitmaps below are this book's own stylised digits drawn in that
format ("X" = +1, "." = -1). Plain NumPy: no framework needed to look at them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WIDTH", "HEIGHT", "DIGIT_BITMAPS", "rbf_codes", "code_distances"]

#: Size of each bitmap: 7 columns and 12 rows, 84 values (F6 has 84 units).
WIDTH, HEIGHT = 7, 12

#: Stylised digits 0-9, 12 rows of 7 characters each; "X" is +1, "." is -1.
DIGIT_BITMAPS: tuple[tuple[str, ...], ...] = (
    (
        ".......",
        "..XXX..",
        ".XX.XX.",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        ".XX.XX.",
        "..XXX..",
        ".......",
    ),
    (
        ".......",
        "...XX..",
        "..XXX..",
        ".XXXX..",
        "...XX..",
        "...XX..",
        "...XX..",
        "...XX..",
        "...XX..",
        "...XX..",
        ".XXXXXX",
        ".......",
    ),
    (
        ".......",
        ".XXXXX.",
        "XX...XX",
        ".....XX",
        ".....XX",
        "....XX.",
        "...XX..",
        "..XX...",
        ".XX....",
        "XX.....",
        "XXXXXXX",
        ".......",
    ),
    (
        ".......",
        "XXXXXX.",
        ".....XX",
        ".....XX",
        ".....XX",
        "..XXXX.",
        ".....XX",
        ".....XX",
        ".....XX",
        ".....XX",
        "XXXXXX.",
        ".......",
    ),
    (
        ".......",
        "....XX.",
        "...XXX.",
        "..XXXX.",
        ".XX.XX.",
        "XX..XX.",
        "XXXXXXX",
        "....XX.",
        "....XX.",
        "....XX.",
        "....XX.",
        ".......",
    ),
    (
        ".......",
        "XXXXXXX",
        "XX.....",
        "XX.....",
        "XXXXXX.",
        ".....XX",
        ".....XX",
        ".....XX",
        ".....XX",
        "XX...XX",
        ".XXXXX.",
        ".......",
    ),
    (
        ".......",
        "..XXXX.",
        ".XX....",
        "XX.....",
        "XX.....",
        "XXXXXX.",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        ".XXXXX.",
        ".......",
    ),
    (
        ".......",
        "XXXXXXX",
        ".....XX",
        "....XX.",
        "....XX.",
        "...XX..",
        "...XX..",
        "..XX...",
        "..XX...",
        "..XX...",
        "..XX...",
        ".......",
    ),
    (
        ".......",
        ".XXXXX.",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        ".XXXXX.",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        ".XXXXX.",
        ".......",
    ),
    (
        ".......",
        ".XXXXX.",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        "XX...XX",
        ".XXXXXX",
        ".....XX",
        ".....XX",
        "....XX.",
        ".XXXX..",
        ".......",
    ),
)


def rbf_codes() -> np.ndarray:
    """The 10 RBF centres: a (10, 84) array of +1/-1, digit ``i`` in row ``i``."""
    codes = np.array(
        [
            [1.0 if ch == "X" else -1.0 for row in bitmap for ch in row]
            for bitmap in DIGIT_BITMAPS
        ],
        dtype=np.float32,
    )
    if codes.shape != (10, WIDTH * HEIGHT):
        raise AssertionError(
            f"the bitmaps give codes of shape {codes.shape}, not (10, 84)"
        )
    return codes


def code_distances(codes: np.ndarray | None = None) -> np.ndarray:
    """Squared Euclidean distances between every pair of codes, (10, 10).

    Two +1/-1 codes that differ in ``d`` places are ``4 d`` apart, so this
    is four times the number of pixels in which two digits' pictures differ.
    """
    c = rbf_codes() if codes is None else np.asarray(codes, dtype=np.float64)
    return ((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
