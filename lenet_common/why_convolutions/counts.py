"""What local receptive fields and shared weights save, counted from the layer table."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import shapes

__all__ = ["WeightCounts", "weight_counts"]


@dataclass(frozen=True)
class WeightCounts:
    """One convolution counted three ways: dense, locally connected, and shared."""

    name: str
    dense: int  # every output value sees every input value, own weights
    local: int  # every output value sees its window only, own weights
    shared: int  # every output value of a map uses the map's one kernel


def weight_counts(row: shapes.LayerRow) -> WeightCounts:
    """Count a convolution row of :func:`lenet_common.shapes.layer_table` three ways.

    Dense: ``inputs * outputs + outputs``. Local: each output value keeps its
    own ``C_in * k * k`` weights and a bias. Shared: the row's own count,
    ``C_out * (C_in * k * k + 1)``.
    """
    if row.kind != "conv":
        raise ValueError(f"{row.name} is a {row.kind} layer: count a convolution's row")
    inputs, outputs = math.prod(row.in_shape), math.prod(row.out_shape)
    window = row.in_shape[0] * row.kernel * row.kernel
    return WeightCounts(
        row.name,
        dense=inputs * outputs + outputs,
        local=outputs * (window + 1),
        shared=row.params,
    )
