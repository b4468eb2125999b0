"""Two readings of the layer table: where C3's fields are centred, and C5 as a sliding window."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import lenet5, shapes
from ..numpy_lenet import layers as L

__all__ = ["c5_window_stride", "centre_area", "conv_part", "field_centres"]


def field_centres(rows: Sequence[shapes.LayerRow], layer: str) -> np.ndarray:
    """Centres (row, column), in input pixels, of the fields of ``layer``'s units, one map."""
    row = next(r for r in rows if r.name == layer)
    _, height, width = row.out_shape
    centres = []
    for i in range(height):
        for j in range(width):
            top, left, side = shapes.receptive_field_window(rows, layer, (i, j))
            centres.append((top + (side - 1) / 2, left + (side - 1) / 2))
    return np.array(centres)


def centre_area(rows: Sequence[shapes.LayerRow], layer: str) -> tuple[float, float]:
    """The input pixels the centres cover, ``(first, end)``, along one axis.

    Neighbouring centres lie ``jump`` pixels apart; giving each centre the
    ``jump`` pixels around it tiles the area ``[first, end)``.
    """
    centres = np.unique(field_centres(rows, layer)[:, 0])
    jump = float(centres[1] - centres[0]) if len(centres) > 1 else 1.0
    return float(centres[0] - (jump - 1) / 2), float(centres[-1] + (jump + 1) / 2)


def conv_part(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """C1 to C5 of LeNet-5 on images of any size (N, 1, H, W); C5's maps after tanh."""
    h = x
    for layer in lenet5.LAYERS[:5]:
        if layer.kind == "conv":
            h, _ = L.conv_forward(
                h, params[f"{layer.name}.weight"], params[f"{layer.name}.bias"]
            )
            h, _ = L.tanh_forward(h)
        else:
            h, _ = L.avg_pool_forward(h, layer.size)
    return h


def c5_window_stride() -> int:
    """Input pixels between neighbouring C5 positions: the product of the pooling strides."""
    stride = 1
    for layer in lenet5.LAYERS[:5]:
        if layer.kind == "avg_pool":
            stride *= layer.size
    return stride
