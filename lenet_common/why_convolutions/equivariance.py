"""Translation equivariance: C1's maps of a shifted digit are C1's maps, shifted."""

from __future__ import annotations

import numpy as np

from ..numpy_lenet import layers as L
from .shifting import shift

__all__ = ["c1_maps", "equivariance_gap"]


def c1_maps(params: dict[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """C1's output (N, 6, 28, 28) after tanh, from the network's own layers."""
    out, _ = L.conv_forward(images, params["c1.weight"], params["c1.bias"])
    return L.tanh_forward(out)[0]


def equivariance_gap(
    params: dict[str, np.ndarray], images: np.ndarray, dy: int, dx: int
) -> float:
    """Largest difference between C1(moved image), moved back, and C1(image).

    Only where both maps show the same part of the image: for a move of
    ``dy, dx >= 0`` pixels, rows ``dy:`` of the moved digit's maps against
    rows ``:H - dy`` of the digit's (and the same for columns).
    """
    if dy < 0 or dx < 0:
        raise ValueError(f"move down and right (dy, dx >= 0), got ({dy}, {dx})")
    before = c1_maps(params, images)
    after = c1_maps(params, shift(images, dy, dx))
    height, width = before.shape[-2:]
    same_place = before[..., : height - dy, : width - dx]
    return float(np.max(np.abs(after[..., dy:, dx:] - same_place)))
