"""How close two computed arrays must be: a tolerance that follows from the arithmetic.

Two correct computations of the same sums differ because they add in a
different order (another BLAS kernel, another thread split, im2col against
loops). That difference is set by the *terms* of the sums, not by the result:
a logit near zero made of terms near 1 carries their rounding, so a relative
tolerance on the result is wrong exactly where the result is small.

Each of two summation orders of ``n`` terms lies within ``gamma_n * sum|x_i|``
of the exact sum, ``gamma_n ~ n * u`` with the unit roundoff ``u = eps / 2``
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, eq. 3.4), so
the two differ by at most ``n * eps * sum|x_i|``: that is :func:`tolerance`.
The tests and the exercise checks use this one rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["assert_close", "close", "tolerance"]


def _eps(dtype: Any) -> float:
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return float(np.finfo(dtype).eps)


def tolerance(magnitude: Any, terms: int, dtype: Any = np.float64) -> np.ndarray:
    """Absolute tolerance ``terms * eps(dtype) * magnitude`` (element-wise if an array).

    ``magnitude`` bounds ``sum|x_i|``, the sum of the absolute terms behind
    each value (``np.abs(a) @ np.abs(b)`` gives it exactly for a product, the
    largest ``|value|`` times the fan-in bounds it for a layer); ``terms`` is
    the length of the longest sum. Two summation orders differ by at most
    this (see the module's docstring); the factor 1 on ``n * eps`` is that
    bound itself, which in practice is met with room to spare (random
    rounding grows like ``sqrt(n)``), so a wrong result still shows.
    """
    if terms < 1:
        raise ValueError(f"terms must be at least 1, got {terms}")
    return terms * _eps(dtype) * np.abs(np.asarray(magnitude, dtype=np.float64))


def _dtype_of(*arrays: np.ndarray) -> np.dtype:
    """The least precise floating dtype among the operands: it sets the rounding."""
    floats = [a.dtype for a in arrays if np.issubdtype(a.dtype, np.floating)]
    if not floats:
        return np.dtype(np.float64)
    return max(floats, key=lambda d: np.finfo(d).eps)


def close(
    actual: Any, desired: Any, *, terms: int, magnitude: Any, dtype: Any = None
) -> np.ndarray:
    """Element-wise: does ``actual`` equal ``desired`` to summation-order rounding?

    ``terms`` and ``magnitude`` are :func:`tolerance`'s. The magnitude is
    never the result's own size: a value near zero can be the sum of large
    terms. ``dtype`` defaults to the less precise of the two arrays.
    """
    a, d = np.asarray(actual), np.asarray(desired)
    if dtype is None:
        dtype = _dtype_of(a, d)
    atol = tolerance(magnitude, terms, dtype)
    return np.abs(a.astype(np.float64) - d.astype(np.float64)) <= atol


def assert_close(
    actual: Any,
    desired: Any,
    *,
    terms: int,
    magnitude: Any,
    dtype: Any = None,
    what: str = "arrays",
) -> None:
    """Raise ``AssertionError`` unless :func:`close` holds everywhere, naming the worst element."""
    a, d = np.asarray(actual), np.asarray(desired)
    if a.shape != d.shape:
        raise AssertionError(f"{what}: shapes differ, {a.shape} and {d.shape}")
    ok = close(a, d, terms=terms, magnitude=magnitude, dtype=dtype)
    if ok.all():
        return
    if dtype is None:
        dtype = _dtype_of(a, d)
    atol = np.broadcast_to(tolerance(magnitude, terms, dtype), d.shape)
    diff = np.abs(a.astype(np.float64) - d.astype(np.float64))
    worst = np.unravel_index(
        int(np.argmax(np.where(ok, -np.inf, diff / atol))), d.shape
    )
    raise AssertionError(
        f"{what}: {int((~ok).sum())} of {ok.size} elements differ by more than "
        f"summation-order rounding ({terms} terms, {np.dtype(dtype).name}); worst at "
        f"{tuple(int(i) for i in worst)}: {a[worst]!r} against {d[worst]!r}, "
        f"difference {diff[worst]:.3g}, tolerance {atol[worst]:.3g}"
    )
