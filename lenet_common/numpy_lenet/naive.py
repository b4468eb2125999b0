"""Deliberately naive loop versions: the readable reference the fast code is tested on.

They follow the formulas index by index, with no cleverness, and are far too
slow to train with (the chapter times them against the vectorised layers).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "naive_conv_forward",
    "naive_conv_backward",
    "naive_max_pool_forward",
    "naive_max_pool_backward",
]


def naive_conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> np.ndarray:
    """``out[n, f, i, j] = b[f] + sum(w[f] * window of x at (i*s, j*s))``, in loops."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = (H + 2 * pad - kh) // stride + 1
    OW = (W + 2 * pad - kw) // stride + 1
    out = np.zeros((N, F, OH, OW), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    rows = slice(i * stride, i * stride + kh)
                    cols = slice(j * stride, j * stride + kw)
                    window = xp[n, :, rows, cols]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def naive_conv_backward(
    dout: np.ndarray, x: np.ndarray, w: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (dx, dw, db): each output element hands ``dout`` back to its window."""
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(F, dtype=dout.dtype)
    OH, OW = dout.shape[2:]
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    rows = slice(i * stride, i * stride + kh)
                    cols = slice(j * stride, j * stride + kw)
                    dw[f] += g * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += g * w[f]
                    db[f] += g
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def naive_max_pool_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """Max of each window, with loops."""
    stride = size if stride is None else stride
    N, C, H, W = x.shape
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    out[n, c, i, j] = x[
                        n,
                        c,
                        i * stride : i * stride + size,
                        j * stride : j * stride + size,
                    ].max()
    return out


def naive_max_pool_backward(
    dout: np.ndarray, x: np.ndarray, size: int = 2, stride: int | None = None
) -> np.ndarray:
    """Each window's gradient goes to its first maximum, scanning rows then columns."""
    stride = size if stride is None else stride
    dx = np.zeros_like(x)
    N, C, OH, OW = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    top, left = i * stride, j * stride
                    best = None
                    for u in range(size):  # scan the window; keep the first maximum
                        for v in range(size):
                            value = x[n, c, top + u, left + v]
                            if best is None or value > best[0]:
                                best = (value, u, v)
                    dx[n, c, top + best[1], left + best[2]] += dout[n, c, i, j]
    return dx
