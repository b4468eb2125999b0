"""im2col and col2im: turn a convolution into one matrix product per image.

``im2col`` lays every receptive field of the input out as a column, so that
the convolution becomes ``weights (F, C*kh*kw) @ columns (C*kh*kw, positions)``.
The columns are read through a strided *view* of the input (no Python loop),
then copied once into a contiguous array for the matrix product.

A trick keeps that copy fast for stride 1: instead of the ``OH x OW`` valid
positions we compute ``OH x Wp`` positions (``Wp`` is the padded input width).
Then, for a fixed kernel offset ``(i, j)``, the positions of one image form a
single contiguous run of the flattened input (starting at ``i*Wp + j``), so
the copy moves long runs instead of rows of ``OW`` numbers. The ``Wp - OW``
extra positions per row wrap around into the next row: they are junk, and
:func:`crop_columns` drops them (their output gradient is zero, see
:func:`pad_columns`). ``col2im`` is the same view used in reverse: it adds
each kernel offset's block back with one vectorised ``+=`` (``kh*kw`` adds in
all, no loop over images or pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["ConvGeometry", "conv_geometry", "im2col", "col2im", "crop_columns", "pad_columns"]


@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution: input ``(N, C, H, W)``, kernel, stride, padding.

    ``Hp, Wp`` are the padded input sizes, ``OH, OW`` the output sizes and
    ``row`` the number of positions computed per output row (``Wp`` for
    stride 1, where the junk columns make the copy contiguous; ``OW`` else).
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
    row: int

    @property
    def positions(self) -> int:
        """Number of computed positions per image and channel (``OH * row``)."""
        return self.OH * self.row

    @property
    def tail(self) -> int:
        """Extra zeros after the last image, so that the junk columns stay in bounds."""
        return self.kw - 1


def conv_geometry(x_shape: tuple[int, ...], kh: int, kw: int, stride: int = 1,
                  pad: int = 0) -> ConvGeometry:
    """Work out the output size of a convolution, with clear errors when it has none."""
    if len(x_shape) != 4:
        raise ValueError(f"expected an input of shape (N, C, H, W), got shape {tuple(x_shape)}")
    if stride < 1 or pad < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
    N, C, H, W = (int(s) for s in x_shape)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if Hp < kh or Wp < kw:
        raise ValueError(
            f"a {kh}x{kw} kernel does not fit in the {Hp}x{Wp} (padded) input: "
            "use a smaller kernel, more padding or a larger input"
        )
    OH = (Hp - kh) // stride + 1
    OW = (Wp - kw) // stride + 1
    row = Wp if stride == 1 else OW
    return ConvGeometry(N, C, H, W, kh, kw, stride, pad, Hp, Wp, OH, OW, row)


def _flat_buffer(g: ConvGeometry, dtype: np.dtype) -> np.ndarray:
    """A zeroed flat buffer holding N*C padded planes plus the tail."""
    return np.zeros(g.N * g.C * g.Hp * g.Wp + g.tail, dtype=dtype)


def _planes(buf: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The (N, C, Hp, Wp) view of a flat buffer made by :func:`_flat_buffer`."""
    return buf[: g.N * g.C * g.Hp * g.Wp].reshape(g.N, g.C, g.Hp, g.Wp)


def _offset_view(buf: np.ndarray, g: ConvGeometry, i: int, j: int) -> np.ndarray:
    """View (N, C, OH, row) of the input values that kernel offset (i, j) touches."""
    s = buf.itemsize
    plane = g.Hp * g.Wp
    return as_strided(
        buf[i * g.Wp + j:],
        shape=(g.N, g.C, g.OH, g.row),
        strides=(g.C * plane * s, plane * s, g.stride * g.Wp * s, g.stride * s),
        writeable=True,
    )


def im2col(x: np.ndarray, kh: int, kw: int, stride: int = 1,
           pad: int = 0) -> tuple[np.ndarray, ConvGeometry]:
    """Columns ``(N, C*kh*kw, OH*row)`` of ``x (N, C, H, W)``, and the geometry.

    Column ``p`` of image ``n`` holds the receptive field of output position
    ``p``, in the order (channel, kernel row, kernel column), the same order
    as ``w.reshape(F, -1)`` for weights of shape ``(F, C, kh, kw)``.
    """
    g = conv_geometry(x.shape, kh, kw, stride, pad)
    buf = _flat_buffer(g, x.dtype)
    _planes(buf, g)[:, :, pad:pad + g.H, pad:pad + g.W] = x
    s = buf.itemsize
    plane = g.Hp * g.Wp
    windows = as_strided(
        buf,
        shape=(g.N, g.C, kh, kw, g.OH, g.row),
        strides=(g.C * plane * s, plane * s, g.Wp * s, s, stride * g.Wp * s, stride * s),
        writeable=False,
    )
    cols = windows.reshape(g.N, g.C * kh * kw, g.positions)  # the one copy
    return cols, g


def col2im(dcols: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Add the column gradients ``(N, C*kh*kw, OH*row)`` back onto the input grid.

    The adjoint of :func:`im2col`: every input pixel receives the sum of the
    gradients of all the columns it was copied into.
    """
    blocks = dcols.reshape(g.N, g.C, g.kh, g.kw, g.OH, g.row)
    buf = _flat_buffer(g, dcols.dtype)
    for i in range(g.kh):  # kh*kw vectorised adds: no loop over images or pixels
        for j in range(g.kw):
            _offset_view(buf, g, i, j)[...] += blocks[:, :, i, j]
    dx = _planes(buf, g)
    if g.pad:
        dx = dx[:, :, g.pad:g.pad + g.H, g.pad:g.pad + g.W]
    return dx


def crop_columns(out: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """``(N, F, OH*row)`` -> ``(N, F, OH, OW)``: drop the junk positions of each row."""
    out = out.reshape(out.shape[0], out.shape[1], g.OH, g.row)
    return out if g.row == g.OW else out[..., : g.OW]


def pad_columns(dout: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """``(N, F, OH, OW)`` -> ``(N, F, OH*row)`` with zero gradient at the junk positions."""
    N, F = dout.shape[:2]
    if g.row == g.OW:
        return np.ascontiguousarray(dout).reshape(N, F, g.positions)
    padded = np.zeros((N, F, g.OH, g.row), dtype=dout.dtype)
    padded[..., : g.OW] = dout
    return padded.reshape(N, F, g.positions)
