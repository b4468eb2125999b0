"""Gradient checking by centred finite differences, in float64.

``df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h)`` has an error of order
``h**2`` (the one-sided difference: ``h``), so with ``h = 1e-5`` in float64
an analytic gradient that is right agrees to about 1e-8 or better.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "numerical_gradient",
    "numerical_gradient_of_layer",
    "rel_error",
    "rel_error_norm",
    "check_network_gradients",
]


def _centred_differences(
    evaluate: Callable[[], object],
    x: np.ndarray,
    h: float,
    slope: Callable[[object, object], float],
) -> np.ndarray:
    """Nudge each element of ``x`` by +h and -h (in place, then restore it)."""
    if x.dtype != np.float64:
        raise TypeError(
            "gradient checks need float64 (float32 rounding swamps the differences), "
            f"got {x.dtype}"
        )
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous, so that it can be changed in place")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = evaluate()
        flat[i] = old - h
        minus = evaluate()
        flat[i] = old
        gflat[i] = slope(plus, minus) / (2 * h)
    return grad


def numerical_gradient(
    f: Callable[[], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of the scalar ``f()`` with respect to ``x``.

    ``x`` is changed in place, one element at a time, and restored; ``f``
    must read it (for example a closure over the model's parameters).
    """
    return _centred_differences(f, x, h, lambda plus, minus: float(plus) - float(minus))


def numerical_gradient_of_layer(
    forward: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Numerical gradient of ``sum(forward() * dout)`` with respect to ``x``.

    That scalar's gradient is exactly what a layer's backward computes from
    the upstream gradient ``dout``, so the two can be compared directly. The
    two nudged outputs are subtracted *before* the weighted sum: outputs that
    ``x[i]`` does not touch then cancel exactly, instead of leaving rounding
    noise in the small difference of two large sums.
    """

    def slope(plus: np.ndarray, minus: np.ndarray) -> float:
        return float(np.sum((plus - minus) * dout))

    return _centred_differences(forward, x, h, slope)


def rel_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """Largest element-wise relative error ``|a - b| / max(|a| + |b|, floor)``.

    The floor keeps elements where both gradients are (nearly) zero from
    dividing by zero.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))


def rel_error_norm(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """Norm-wise relative error ``||a - b|| / max(||a|| + ||b||, floor)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    scale = max(np.linalg.norm(a) + np.linalg.norm(b), floor)
    return float(np.linalg.norm(a - b) / scale)


def check_network_gradients(
    model,
    x: np.ndarray,
    y: np.ndarray,
    max_entries: int | None = None,
    seed: int = 0,
    h: float = 1e-5,
) -> dict[str, float]:
    """Norm-wise relative error of backprop against finite differences, per tensor.

    ``model`` must compute in float64 and have ``params`` and
    ``loss_and_grads(x, y)`` (like :class:`~lenet_common.numpy_lenet.LeNet5`).
    Tensors with more than ``max_entries`` entries are checked on that many
    entries drawn at random (every entry when ``max_entries`` is None).
    """
    _, grads, _ = model.loss_and_grads(x, y)
    loss = lambda: model.loss_and_grads(x, y)[0]  # noqa: E731
    rng = np.random.default_rng(seed)
    errors = {}
    for name, p in model.params.items():
        flat, analytic = p.reshape(-1), grads[name].reshape(-1)
        if max_entries is None or p.size <= max_entries:
            picks = np.arange(p.size)
        else:
            picks = np.sort(rng.choice(p.size, max_entries, replace=False))
        # a one-element view of the parameter, nudged in place by the check
        numeric = np.array(
            [numerical_gradient(loss, flat[i : i + 1], h)[0] for i in picks]
        )
        errors[name] = rel_error_norm(analytic[picks], numeric)
    return errors
