"""LeNet-5's layers as forward/backward pairs (the CS231n pattern).

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward``
takes the upstream gradient ``dout`` (same shape as ``out``) and that cache,
and returns the gradients of the loss with respect to each input, in the
order of the forward's arguments. Images are ``(N, C, H, W)``; convolution
weights ``(F, C, kh, kw)`` (PyTorch's layout); dense weights ``(in, out)``.
The dtype of the inputs is kept: float32 to train, float64 to check gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .im2col import col2im, im2col

__all__ = [
    "conv_forward",
    "conv_backward",
    "avg_pool_forward",
    "avg_pool_backward",
    "max_pool_forward",
    "max_pool_backward",
    "tanh_forward",
    "tanh_backward",
    "relu_forward",
    "relu_backward",
    "dense_forward",
    "dense_backward",
    "softmax_cross_entropy",
]

Cache = Any


def _expect_ndim(name: str, a: np.ndarray, ndim: int, layout: str) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array of shape {layout}, got {type(a).__name__}"
        )
    if a.ndim != ndim:
        raise ValueError(
            f"{name} must have shape {layout} ({ndim} axes), got shape {a.shape}"
        )


# ------------------------------------------------------------------ convolution


def conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, Cache]:
    """2-D convolution (cross-correlation, as in every framework) plus bias.

    ``out[n, f, i, j] = b[f] + sum_{c,u,v} w[f, c, u, v] * x[n, c, i*s+u, j*s+v]``
    computed as one matrix product per image on the im2col columns.
    """
    _expect_ndim("conv input x", x, 4, "(N, C, H, W)")
    _expect_ndim("conv weights w", w, 4, "(F, C, kh, kw)")
    F, C, kh, kw = w.shape
    if x.shape[1] != C:
        raise ValueError(
            f"conv input has {x.shape[1]} channels but the weights {w.shape} "
            f"expect {C}: "
            "x must be (N, C, H, W) with C = w.shape[1]"
        )
    if b.shape != (F,):
        raise ValueError(
            f"conv bias must have shape ({F},), one per filter, got {b.shape}"
        )
    cols, g = im2col(x, kh, kw, stride, pad)
    out = np.matmul(w.reshape(F, C * kh * kw), cols)  # (F, K) @ (N, K, P) -> (N, F, P)
    out += b[:, None]
    out = out.reshape(g.N, F, g.OH, g.OW)
    return out, (w, cols, g)


def conv_backward(
    dout: np.ndarray, cache: Cache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dw, db)`` of a convolution.

    ``db`` sums ``dout`` over images and positions; ``dw`` is the product of
    ``dout`` with the same columns the forward used; ``dx`` sends
    ``w^T @ dout`` back through col2im. Pass ``need_dx=False`` for a first
    layer, whose input is the image: then ``dx`` is None and costs nothing.
    """
    w, cols, g = cache
    F = w.shape[0]
    d = dout.reshape(g.N, F, g.OH * g.OW)
    db = d.sum(axis=2).sum(axis=0)
    # sum over images n of dout_n @ cols_n^T
    dw = np.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0)
    dx = None
    if need_dx:  # (K, F) @ (N, F, P) -> (N, K, P): the columns' gradients
        dx = col2im(np.matmul(w.reshape(F, -1).T, d), g)
    return dx, dw.reshape(w.shape), db


# ------------------------------------------------------------------ pooling


def _pool_geometry(
    x: np.ndarray, size: int, stride: int | None, what: str
) -> tuple[int, int, int, bool]:
    _expect_ndim(f"{what} input x", x, 4, "(N, C, H, W)")
    stride = size if stride is None else stride
    if size < 1 or stride < 1:
        raise ValueError(
            f"{what}: size and stride must be >= 1, got size={size}, stride={stride}"
        )
    H, W = x.shape[2:]
    if H < size or W < size:
        raise ValueError(
            f"{what}: a {size}x{size} window does not fit in a {H}x{W} input"
        )
    OH, OW = (H - size) // stride + 1, (W - size) // stride + 1
    tiles = stride == size and H % size == 0 and W % size == 0
    return stride, OH, OW, tiles


def _windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """View (N, C, OH, OW, size, size) of every pooling window (no copy)."""
    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]


def avg_pool_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, Cache]:
    """Average pooling: ``out[n, c, i, j]`` = mean of the window at ``(i*s, j*s)``.

    When the windows tile the input (LeNet's 2x2, stride 2), the window
    sum is ``size**2`` strided slices added together: ``x[..., u::size, v::size]``
    holds element ``(u, v)`` of every window at once.
    """
    stride, OH, OW, tiles = _pool_geometry(x, size, stride, "avg_pool")
    if tiles:
        # sum the window's rows first (long contiguous runs) ...
        rows = x[:, :, 0::size]
        for u in range(1, size):
            rows = rows + x[:, :, u::size]
        out = rows[..., 0::size]  # ... then its columns
        for v in range(1, size):
            out = out + rows[..., v::size]
        out *= 1.0 / (size * size)
    else:
        out = _windows(x, size, stride).mean(axis=(4, 5))
    return out, (x.shape, size, stride, tiles)


def avg_pool_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Each input of a window gets ``dout / size**2`` from it (summed over windows)."""
    shape, size, stride, tiles = cache
    N, C, H, W = shape
    share = dout * (1.0 / (size * size))
    if tiles:  # each input is in one window only: copy its share into a block
        wide = np.repeat(share, size, axis=3)  # (N, C, OH, W)
        dx = np.empty((N, C, H // size, size, W), dtype=dout.dtype)
        dx[...] = wide[:, :, :, None, :]
        return dx.reshape(shape)
    dx = np.zeros(shape, dtype=dout.dtype)
    OH, OW = dout.shape[2:]
    for u in range(size):
        for v in range(size):
            dx[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride] += (
                share
            )
    return dx


def max_pool_forward(
    x: np.ndarray, size: int = 2, stride: int | None = None
) -> tuple[np.ndarray, Cache]:
    """Max pooling. The cache remembers which element of each window won.

    Ties: when a window holds several equal maxima (MNIST's flat background
    makes this common), the *first* one in row-major order wins, as
    ``np.argmax`` picks it (PyTorch's CPU kernel makes the same choice).
    The backward pass sends the window's whole gradient to that one element
    only, so the gradient is never counted twice.
    """
    stride, OH, OW, tiles = _pool_geometry(x, size, stride, "max_pool")
    N, C = x.shape[:2]
    windows = _windows(x, size, stride).reshape(N, C, OH, OW, size * size)
    winner = windows.argmax(axis=4)
    out = np.take_along_axis(windows, winner[..., None], axis=4)[..., 0]
    return out, (x.shape, size, stride, winner)


def max_pool_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Route each window's gradient to its winner (``np.add.at`` sums overlaps)."""
    shape, size, stride, winner = cache
    N, C, H, W = shape
    OH, OW = dout.shape[2:]
    u, v = np.divmod(winner, size)  # winner's row and column inside its window
    rows = np.arange(OH)[:, None] * stride + u
    cols = np.arange(OW)[None, :] * stride + v
    flat = (rows * W + cols) + np.arange(N * C).reshape(N, C, 1, 1) * (H * W)
    dx = np.zeros(N * C * H * W, dtype=dout.dtype)
    np.add.at(dx, flat.ravel(), dout.ravel())
    return dx.reshape(shape)


# ------------------------------------------------------------------ activations


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """``out = tanh(x)``; the cache keeps ``out``, which is all the backward needs."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout * (1 - tanh(x)**2)``."""
    out = cache
    return dout * (1.0 - out * out)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """``out = max(x, 0)``; the cache is the mask of positive inputs."""
    mask = x > 0
    return x * mask, mask


def relu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout`` where the input was positive, 0 elsewhere (also at exactly 0)."""
    return dout * cache


# ------------------------------------------------------------------ dense


def dense_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, Cache]:
    """Fully connected layer: ``out = x @ w + b``.

    Shapes: ``x (N, D)``, ``w (D, M)``, ``b (M,)``.
    """
    _expect_ndim("dense input x", x, 2, "(N, D)")
    _expect_ndim("dense weights w", w, 2, "(D, M)")
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"dense input has {x.shape[1]} features but the weights {w.shape} expect "
            f"{w.shape[0]}: flatten the input to (N, {w.shape[0]}) first"
        )
    if b.shape != (w.shape[1],):
        raise ValueError(f"dense bias must have shape ({w.shape[1]},), got {b.shape}")
    return x @ w + b, (x, w)


def dense_backward(
    dout: np.ndarray, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dx = dout @ w.T``, ``dw = x.T @ dout``, ``db = dout summed over the batch``."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


# ------------------------------------------------------------------ loss


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Stable: the row maximum is subtracted before ``exp`` (the softmax does
    not change), and ``log softmax = z - logsumexp(z)`` never takes the log
    of a probability that underflowed to 0. The gradient with respect to the
    logits is ``(softmax - one_hot(y)) / N``.
    """
    _expect_ndim("logits", logits, 2, "(N, classes)")
    y = np.asarray(y)
    N, K = logits.shape
    if y.shape != (N,):
        raise ValueError(
            f"labels must have shape ({N},), one per row of the logits, got {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer) or N and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"labels must be integers in [0, {K}), got dtype {y.dtype}")
    z = logits - logits.max(axis=1, keepdims=True)
    expz = np.exp(z)
    sumexp = expz.sum(axis=1, keepdims=True)
    log_probs = z - np.log(sumexp)
    rows = np.arange(N)
    loss = -log_probs[rows, y].mean()
    dlogits = expz / sumexp
    dlogits[rows, y] -= 1.0
    dlogits /= N
    return float(loss), dlogits
