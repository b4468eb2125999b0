"""Move images by whole pixels, filling the uncovered border with background."""

from __future__ import annotations

import numpy as np

__all__ = ["shift"]


def shift(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``images`` (N, C, H, W) moved ``dy`` pixels down and ``dx`` right.

    What leaves the frame is lost; the uncovered rows and columns take each
    image's top-left pixel, which for the book's padded digits is the
    background value. Negative shifts move up and left.
    """
    x = np.asarray(images)
    if x.ndim != 4:
        raise ValueError(f"shift expects images shaped (N, C, H, W), got {x.shape}")
    H, W = x.shape[2:]
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(
            f"a shift of ({dy}, {dx}) moves a {H}x{W} image out of its frame"
        )
    out = np.empty_like(x)
    out[...] = x[:, :, :1, :1]  # the background, per image and channel
    rows_to, rows_from = (
        slice(max(dy, 0), H + min(dy, 0)),
        slice(max(-dy, 0), H - max(dy, 0)),
    )
    cols_to, cols_from = (
        slice(max(dx, 0), W + min(dx, 0)),
        slice(max(-dx, 0), W - max(dx, 0)),
    )
    out[:, :, rows_to, cols_to] = x[:, :, rows_from, cols_from]
    return out
