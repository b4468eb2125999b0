"""im2col and col2im: turn a convolution into one matrix product per image.

``im2col`` lays every receptive field of the input out as a column, so that
the convolution becomes ``weights (F, C*kh*kw) @ columns (C*kh*kw, OH*OW)``
for each image. The columns are read through a strided *view* of the input
(no Python loop and no copy yet: for kernel offset ``(u, v)`` the view's
``(OH, OW)`` block starts at input pixel ``(u, v)`` and steps by the stride),
then copied once into a contiguous array for the matrix product.

``col2im`` goes the other way for the backward pass: each column entry was a
copy of one input pixel, so its gradient is *added* back onto that pixel:
``kh*kw`` vectorised ``+=`` operations in all, with no loop over images or
pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["ConvGeometry", "conv_geometry", "im2col", "col2im"]


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution: input ``(N, C, H, W)``, kernel, stride, padding.

    ``Hp, Wp`` are the padded input sizes and ``OH, OW`` the output sizes.
    """

    N: int
    C: int
    H: int
    W: int
    kh: int
    kw: int
    stride: int
    pad: int
    Hp: int
    Wp: int
    OH: int
    OW: int


def conv_geometry(
    x_shape: tuple[int, ...], kh: int, kw: int, stride: int = 1, pad: int = 0
) -> ConvGeometry:
    """Work out the output size of a convolution, with clear errors when it has none."""
    if len(x_shape) != 4:
        raise ValueError(
            f"expected an input of shape (N, C, H, W), got shape {tuple(x_shape)}"
        )
    if stride < 1 or pad < 0:
        raise ValueError(
            f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}"
        )
    N, C, H, W = (int(s) for s in x_shape)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if Hp < kh or Wp < kw:
        raise ValueError(
            f"a {kh}x{kw} kernel does not fit in the {Hp}x{Wp} (padded) input: "
            "use a smaller kernel, more padding or a larger input"
        )
    OH = (Hp - kh) // stride + 1
    OW = (Wp - kw) // stride + 1
    return ConvGeometry(N, C, H, W, kh, kw, stride, pad, Hp, Wp, OH, OW)


def _window_view(
    xp: np.ndarray, g: ConvGeometry, writeable: bool = False
) -> np.ndarray:
    """View ``(N, C, kh, kw, OH, OW)`` of the padded input: ``[n, c, u, v, i, j] = xp[n, c, i*s+u, j*s+v]``."""
    sN, sC, sH, sW = xp.strides
    return as_strided(
        xp,
        shape=(g.N, g.C, g.kh, g.kw, g.OH, g.OW),
        strides=(sN, sC, sH, sW, g.stride * sH, g.stride * sW),
        writeable=writeable,
    )


def im2col(
    x: np.ndarray, kh: int, kw: int, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, ConvGeometry]:
    """Columns ``(N, C*kh*kw, OH*OW)`` of ``x (N, C, H, W)``, and the geometry.

    Column ``p`` of image ``n`` holds the receptive field of output position
    ``p``, in the order (channel, kernel row, kernel column): the same order
    as ``w.reshape(F, -1)`` for weights of shape ``(F, C, kh, kw)``.
    """
    g = conv_geometry(x.shape, kh, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    cols = _window_view(xp, g).reshape(g.N, g.C * kh * kw, g.OH * g.OW)  # the one copy
    return cols, g


def col2im(dcols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Add column gradients back onto the input grid: the adjoint of :func:`im2col`.

    Every input pixel receives the sum of the gradients of all the columns it
    was copied into. ``dcols`` has the columns' shape ``(N, C*kh*kw, OH*OW)``;
    returns ``dx`` shaped ``(N, C, H, W)``.
    """
    expected = (g.N, g.C * g.kh * g.kw, g.OH * g.OW)
    if dcols.shape != expected:
        raise ValueError(
            f"col2im expects column gradients of shape {expected} "
            f"(N, C*kh*kw, OH*OW), the shape im2col gives, got {dcols.shape}"
        )
    blocks = dcols.reshape(g.N, g.C, g.kh, g.kw, g.OH, g.OW)
    dxp = np.zeros((g.N, g.C, g.Hp, g.Wp), dtype=dcols.dtype)
    s = g.stride
    for u in range(g.kh):  # kh*kw vectorised adds: no loop over images or pixels
        for v in range(g.kw):
            dxp[:, :, u : u + s * g.OH : s, v : v + s * g.OW : s] += blocks[:, :, u, v]
    return dxp[:, :, g.pad : g.pad + g.H, g.pad : g.pad + g.W]
