"""Checks for the exercises of the NumPy chapter.

The student writes a backward pass (or an update step) as a plain function;
each check runs it on random inputs, including the awkward cases (exact
zeros for ReLU, tied maxima for max pooling), and compares the result with
the book's reference in :mod:`lenet_common.numpy_lenet.layers`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from lenet_common.exercises.answers import call_student, compare_arrays
from lenet_common.exercises.verdicts import ExerciseResult, Feedback, check, report
from lenet_common.numpy_lenet import layers as L

__all__ = ["check_relu_backward", "check_dense_backward", "check_max_pool_backward",
           "check_scaled_tanh_backward"]


def _call(fn: Callable[..., Any], *args: Any, hint: str = "") -> Any:
    """Run the student's function on copies of ``args`` (errors become the verdict)."""
    return call_student(fn, *args, hint=hint)


def _compare(mine: Any, ref: np.ndarray, name: str) -> str | None:
    """None when ``mine`` matches ``ref``, else a sentence with the relative error."""
    try:
        compare_arrays(mine, ref, name)
    except Feedback as feedback:
        return feedback.what.rstrip(".")
    return None


@check("ex-numpy-relu")
def check_relu_backward(relu_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> ExerciseResult:
    """``relu_backward(dout, x) -> dx`` for ``relu(x) = max(x, 0)``."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 5))
    x[0, 0, 0, :3] = 0.0  # exact zeros: the book's convention is a zero gradient there
    dout = rng.standard_normal(x.shape)
    dx = _call(relu_backward, dout, x, hint="dx has the shape of x.")
    ref = L.relu_backward(dout, L.relu_forward(x)[1])
    problem = _compare(dx, ref, "dx")
    if problem is None:
        return report(True, "ReLU's backward passes dout where x > 0 and blocks it elsewhere.")
    if np.asarray(dx).shape == ref.shape and np.allclose(np.asarray(dx)[x != 0], ref[x != 0]):
        return report(False, "right except where x is exactly 0.",
                      "use x > 0, not x >= 0: the book (like PyTorch) takes the gradient at 0 to be 0.")
    return report(False, problem + ".", "dx = dout where x > 0, and 0 elsewhere: (x > 0) * dout.")


SCALE = 1.7159  # the 1998 paper's activation: f(a) = 1.7159 tanh(2a/3)


@check("ex-numpy-scaled-tanh")
def check_scaled_tanh_backward(scaled_tanh_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> ExerciseResult:
    """``scaled_tanh_backward(dout, out) -> dx`` for the paper's ``out = 1.7159 tanh(2x/3)``.

    The forward caches its output, so the derivative must be written in terms of it.
    """
    rng = np.random.default_rng(1)
    x = 2.0 * rng.standard_normal((3, 4, 6))
    out = SCALE * np.tanh(2.0 * x / 3.0)
    dout = rng.standard_normal(x.shape)
    dx = _call(scaled_tanh_backward, dout, out,
               hint="you receive the activation's output, not its input.")
    t = out / SCALE  # tanh(2x/3)
    ref = dout * SCALE * (2.0 / 3.0) * (1.0 - t**2)
    problem = _compare(dx, ref, "dx")
    if problem is None:
        return report(True, "f'(x) = 1.7159 * 2/3 * (1 - (out / 1.7159)^2).")
    dx = np.asarray(dx)
    if dx.shape == x.shape and np.allclose(dx, dout * (1 - out**2)):
        return report(False, "that is the derivative of plain tanh.",
                      "divide the output by 1.7159 to get tanh(2x/3), and apply the chain "
                      "rule to both the 1.7159 and the 2/3.")
    if dx.shape == x.shape and np.allclose(dx, dout * SCALE * (1 - t**2)):
        return report(False, "the factor 2/3 from the inner function 2x/3 is missing.",
                      "chain rule: d/dx tanh(2x/3) = (2/3)(1 - tanh^2(2x/3)).")
    return report(False, problem + ".",
                  "with t = out / 1.7159 = tanh(2x/3): f'(x) = 1.7159 * (2/3) * (1 - t^2).")


@check("ex-numpy-dense")
def check_dense_backward(dense_backward: Callable[..., Any]) -> ExerciseResult:
    """``dense_backward(dout, x, w) -> (dx, dw, db)`` for ``out = x @ w + b``."""
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3)), rng.standard_normal(3)
    out, cache = L.dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    grads = _call(dense_backward, dout, x, w,
                  hint="return the three gradients as a tuple (dx, dw, db).")
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return report(False, "return a tuple (dx, dw, db).", "three gradients, in that order.")
    hints = {"dx": "dx = dout @ w.T (shape (N, D)).", "dw": "dw = x.T @ dout: sum over the batch.",
             "db": "db sums dout over the batch (axis 0)."}
    for name, mine, ref in zip(("dx", "dw", "db"), grads, L.dense_backward(dout, cache)):
        problem = _compare(mine, ref, name)
        if problem:
            return report(False, problem + ".", hints[name])
    return report(True, "dx = dout @ w.T, dw = x.T @ dout, db = dout.sum(axis=0).")


@check("ex-numpy-maxpool")
def check_max_pool_backward(max_pool_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> ExerciseResult:
    """``max_pool_backward(dout, x) -> dx`` for 2x2 max pooling with stride 2.

    Tested on inputs full of tied maxima, as on MNIST's flat background.
    """
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, size=(2, 3, 6, 8)).astype(np.float64)  # many ties
    x[1, 2] = 0.0  # one all-background map
    out, cache = L.max_pool_forward(x, 2)
    dout = rng.standard_normal(out.shape)
    dx = _call(max_pool_backward, dout, x, hint="dx has the shape of x.")
    ref = L.max_pool_backward(dout, cache)
    problem = _compare(dx, ref, "dx")
    if problem is None:
        return report(True, "each window's gradient goes to its first maximum only.")
    dx = np.asarray(dx)
    if dx.shape == x.shape and not np.isclose(dx.sum(), dout.sum()):
        return report(False, problem + ": the gradient is counted more than once (or lost) "
                      "in windows with tied maxima.",
                      "a mask x == window max marks every tied element; pick one, e.g. with argmax.")
    return report(False, problem + ".",
                  "send dout to the first maximum in row-major order (what np.argmax returns).")
