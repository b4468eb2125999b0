"""The NumPy LeNet-5's training step, rearranged for speed.

Same network and same gradients as ``LeNet5.forward`` and ``LeNet5.backward``
(the tests compare the two in float64); what changes is how the numbers are
laid out and where they are stored:

1. **Batch last.** Activations are ``(C, H, W, N)`` instead of
   ``(N, C, H, W)``. A convolution is then *one* matrix product for the whole
   batch, ``(F, C*k*k) @ (C*k*k, OH*OW*N)``, whose result is already the next
   layer's input; the im2col copy, pooling and col2im all run over long
   contiguous stretches of ``N`` numbers.
2. **Buffers kept from step to step.** Every large array is written into a
   :class:`Workspace` with ``out=``, so a step asks the operating system for
   no fresh memory (each new page costs a page fault when first touched).
3. **Fused backward passes.** Average pooling's backward pass and the tanh
   before it are one broadcast multiplication.
4. **The batch split across threads.** :class:`TrainingStep` gives each
   CPU core a slice of the batch and one BLAS thread. NumPy releases Python's
   global interpreter lock inside its loops and matrix products, so the
   slices really run at the same time; their gradients add up to the whole
   batch's.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .layers import softmax_cross_entropy

__all__ = [
    "Workspace",
    "loss_and_grads",
    "TrainingStep",
    "default_threads",
    "to_batch_last",
    "conv_tanh_forward",
    "avg_pool_forward",
    "dense_tanh_forward",
    "tanh_backward",
    "dense_tanh_backward",
    "avg_pool_tanh_backward",
    "conv_backward",
]

Params = dict[str, np.ndarray]


class Workspace:
    """Named arrays that live from one training step to the next.

    ``ws.get("c1.cols", shape, dtype)`` returns the same array every step, and
    a new one only when the shape or dtype changes (a last, smaller batch).
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        a = self.arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = self.arrays[name] = np.empty(shape, dtype)
        return a

    @property
    def nbytes(self) -> int:
        """Memory held by the workspace, in bytes."""
        return sum(a.nbytes for a in self.arrays.values())


# --------------------------------------------------------------------------- forward


def to_batch_last(x: np.ndarray, ws: Workspace) -> np.ndarray:
    """Images ``(N, C, H, W)`` copied to ``(C, H, W, N)``.

    Via a copy whose rows are 16 numbers longer than an image: a transpose
    reads down columns, and rows exactly 4 KiB apart (a 32x32 float32 image)
    all compete for the same few slots of the CPU's cache. Padded, the
    transpose runs about four times faster.
    """
    N, C, H, W = x.shape
    size = C * H * W
    padded = ws.get("input.padded", (N, size + 16), x.dtype)
    padded[:, :size] = x.reshape(N, size)
    out = ws.get("input", (C, H, W, N), x.dtype)
    np.copyto(out.reshape(size, N), padded[:, :size].T)
    return out


def conv_tanh_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, ws: Workspace, name: str
) -> np.ndarray:
    """``tanh(conv(x, w) + b)`` for ``x (C, H, W, N)``; returns ``(F, OH, OW, N)``.

    The columns are copied once into the workspace (``name.cols``, kept for
    the backward pass), in the order (channel, kernel row, kernel column),
    the order of ``w.reshape(F, -1)``.
    """
    C, H, W, N = x.shape
    F, _, k, _ = w.shape
    OH, OW = H - k + 1, W - k + 1
    cols = ws.get(f"{name}.cols", (C * k * k, OH * OW * N), x.dtype)
    windows = sliding_window_view(
        x, (k, k), axis=(1, 2)
    )  # (C, OH, OW, N, k, k), a view
    np.copyto(cols.reshape(C, k, k, OH, OW, N), windows.transpose(0, 4, 5, 1, 2, 3))
    out = ws.get(f"{name}.out", (F, OH * OW * N), x.dtype)
    np.matmul(w.reshape(F, -1), cols, out=out)  # one product for the whole batch
    out += b[:, None]
    np.tanh(out, out=out)
    return out.reshape(F, OH, OW, N)


def avg_pool_forward(x: np.ndarray, ws: Workspace, name: str) -> np.ndarray:
    """2x2 average pooling, stride 2, of ``x (C, H, W, N)``: rows, then columns."""
    C, H, W, N = x.shape
    rows = ws.get(f"{name}.rows", (C, H // 2, W, N), x.dtype)
    np.add(x[:, 0::2], x[:, 1::2], out=rows)
    out = ws.get(f"{name}.out", (C, H // 2, W // 2, N), x.dtype)
    np.add(rows[:, :, 0::2], rows[:, :, 1::2], out=out)
    out *= 0.25
    return out


def dense_tanh_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``tanh(w.T @ x + b)`` for ``x (D, N)`` and ``w (D, M)``: returns ``(M, N)``."""
    out = w.T @ x
    out += b[:, None]
    return np.tanh(out, out=out)


# --------------------------------------------------------------------------- backward


def tanh_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``dout * (1 - out**2)``, computed in place in ``dout``."""
    dout *= 1.0 - out * out
    return dout


def dense_tanh_backward(
    dh: np.ndarray, h: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dx, dw, db)`` of ``h = tanh(w.T @ x + b)`` from ``dh``, all batch last."""
    da = tanh_backward(dh, h)
    return w @ da, x @ da.T, da.sum(axis=1)


def avg_pool_tanh_backward(
    dpool: np.ndarray, h: np.ndarray, ws: Workspace, name: str
) -> np.ndarray:
    """Gradient at the input of the tanh that fed a 2x2 average pooling.

    Each element of ``h (C, H, W, N)`` gets a quarter of its window's gradient
    ``dpool (C, H/2, W/2, N)``, times tanh's slope ``1 - h**2``: one broadcast
    multiplication over ``(C, H/2, 2, W/2, 2, N)``, no separate upsampling pass.
    """
    C, H, W, N = h.shape
    da = ws.get(f"{name}.da", h.shape, h.dtype)
    np.multiply(h, h, out=da)
    np.subtract(1.0, da, out=da)
    dpool *= 0.25
    blocks = da.reshape(C, H // 2, 2, W // 2, 2, N)
    blocks *= dpool[:, :, None, :, None, :]
    return da


def conv_backward(
    da: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    ws: Workspace,
    name: str,
    need_dx: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """``(dx, dw, db)`` of a convolution from ``da (F, OH, OW, N)``, the gradient
    of its output (before tanh), and its input ``x (C, H, W, N)``.

    ``dw`` multiplies ``da`` with the forward's columns; ``dx`` sends
    ``w.T @ da`` back through col2im: ``k*k`` additions of whole
    ``(C, OH, OW, N)`` blocks.
    """
    F, OH, OW, N = da.shape
    C, H, W, _ = x.shape
    k = w.shape[2]
    d = da.reshape(F, -1)
    cols = ws.arrays[f"{name}.cols"]
    db = d.sum(axis=1)
    # np.dot, not @: matmul keeps Python's lock when its result is small (C1's
    # 6x25 weights), and the other threads would wait for this product
    dw = np.dot(d, cols.T).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    dcols = ws.get(f"{name}.dcols", cols.shape, da.dtype)
    np.matmul(w.reshape(F, -1).T, d, out=dcols)
    blocks = dcols.reshape(C, k, k, OH, OW, N)
    dx = ws.get(f"{name}.dx", x.shape, da.dtype)
    dx.fill(0)
    for u in range(k):
        for v in range(k):
            dx[:, u : u + OH, v : v + OW] += blocks[:, u, v]
    return dx, dw, db


# --------------------------------------------------------------------------- the step


def loss_and_grads(
    params: Params,
    x: np.ndarray,
    y: np.ndarray,
    ws: Workspace,
    batch_total: int | None = None,
) -> tuple[float, Params, np.ndarray]:
    """Loss, gradients and logits of LeNet-5 on images ``x (N, 1, 32, 32)``.

    ``batch_total``: when ``x`` is a slice of a larger batch, the size of that
    batch; the gradients are then this slice's share of the whole batch's
    (they add up over the slices), and the loss is this slice's sum.
    The returned gradients live in fresh arrays; everything else stays in ``ws``.
    """
    p = params
    N = len(x)
    x = x.astype(p["c1.weight"].dtype, copy=False)
    # forward, batch last: C1 -> S2 -> C3 -> S4 -> C5 -> F6 -> output
    x0 = to_batch_last(x, ws)
    h1 = conv_tanh_forward(x0, p["c1.weight"], p["c1.bias"], ws, "c1")
    p2 = avg_pool_forward(h1, ws, "s2")
    h3 = conv_tanh_forward(p2, p["c3.weight"], p["c3.bias"], ws, "c3")
    p4 = avg_pool_forward(h3, ws, "s4")
    h5 = conv_tanh_forward(p4, p["c5.weight"], p["c5.bias"], ws, "c5").reshape(-1, N)
    h6 = dense_tanh_forward(h5, p["f6.weight"], p["f6.bias"])
    logits = h6.T @ p["output.weight"] + p["output.bias"]  # (N, 10)
    loss, dlogits = softmax_cross_entropy(logits, y)
    share = 1.0 if batch_total is None else N / batch_total
    if batch_total is not None:
        loss *= N
        dlogits *= share
    # backward, layer by layer in reverse
    g: Params = {}
    g["output.weight"], g["output.bias"] = h6 @ dlogits, dlogits.sum(axis=0)
    dh6 = p["output.weight"] @ dlogits.T
    dh5, g["f6.weight"], g["f6.bias"] = dense_tanh_backward(dh6, h6, h5, p["f6.weight"])
    da5 = tanh_backward(dh5, h5).reshape(-1, 1, 1, N)
    dp4, g["c5.weight"], g["c5.bias"] = conv_backward(da5, p4, p["c5.weight"], ws, "c5")
    da3 = avg_pool_tanh_backward(dp4, h3, ws, "s4")
    dp2, g["c3.weight"], g["c3.bias"] = conv_backward(da3, p2, p["c3.weight"], ws, "c3")
    da1 = avg_pool_tanh_backward(dp2, h1, ws, "s2")
    _, g["c1.weight"], g["c1.bias"] = conv_backward(
        da1, x0, p["c1.weight"], ws, "c1", need_dx=False
    )
    return loss, {name: g[name] for name in params}, logits


def default_threads() -> int:
    """The CPU cores this process may use (at most 4: the slices get too small)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


class TrainingStep:
    """``loss, grads, logits = step(x, y)``: one batch, split across threads.

    Each of ``threads`` slices of the batch runs :func:`loss_and_grads` in its
    own thread with its own workspace; BLAS is held to one thread meanwhile,
    so that the slices, not BLAS, share the cores. The slices' gradients are
    added up, giving the gradient of the whole batch's mean loss.
    """

    def __init__(self, params: Params, threads: int | None = None) -> None:
        threads = default_threads() if threads is None else int(threads)
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.params = params
        self.threads = threads
        self.workspaces = [Workspace() for _ in range(threads)]
        self._pool = ThreadPoolExecutor(threads - 1) if threads > 1 else None
        self._blas = None
        if threads > 1:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController()

    def __call__(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, Params, np.ndarray]:
        N = len(x)
        parts = min(self.threads, max(1, N // 16))  # slices of at least 16 images
        if parts == 1:
            return loss_and_grads(self.params, x, y, self.workspaces[0])
        bounds = [N * i // parts for i in range(parts + 1)]
        with self._blas.limit(limits=1, user_api="blas"):
            futures = [
                self._pool.submit(
                    loss_and_grads, self.params, x[a:b], y[a:b], self.workspaces[i], N
                )
                for i, (a, b) in enumerate(zip(bounds[1:-1], bounds[2:]), start=1)
            ]
            results = [
                loss_and_grads(
                    self.params, x[: bounds[1]], y[: bounds[1]], self.workspaces[0], N
                )
            ]
            results += [f.result() for f in futures]
        loss = sum(r[0] for r in results) / N
        grads = results[0][1]
        for _, more, _ in results[1:]:
            for name, g in grads.items():
                g += more[name]
        return loss, grads, np.concatenate([r[2] for r in results])

    @property
    def workspace_bytes(self) -> int:
        """Memory held by all the threads' workspaces, in bytes."""
        return sum(ws.nbytes for ws in self.workspaces)

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
