"""Checks for the exercises of the NumPy chapter.

The student writes a backward pass (or an update step) as a plain function;
each check runs it on random inputs, including the awkward cases (exact
zeros for ReLU, tied maxima for max pooling), and compares the result with
the book's reference in :mod:`lenet_common.numpy_lenet.layers`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from lenet_common.exercises.answers import (
    as_array,
    call_student,
    compare_arrays,
    describe,
    numeric_or_none,
)
from lenet_common.exercises.verdicts import ExerciseResult, Feedback, check, report
from lenet_common.numpy_lenet import layers as L
from lenet_common.numpy_lenet import naive

__all__ = [
    "check_relu_backward",
    "check_dense_backward",
    "check_max_pool_backward",
    "check_scaled_tanh_backward",
    "check_avg_pool_backward",
    "check_conv_backward",
    "avg_pool_backward_without_the_quarter",
    "check_numerical_gradient",
    "planted_bug_inputs",
    "mystery_conv_backward",
    "check_planted_bug",
    "check_conv_forward_im2col",
]


def _call(fn: Callable[..., Any], *args: Any, hint: str = "") -> Any:
    """Run the student's function on copies of ``args`` (errors become the verdict)."""
    return call_student(fn, *args, hint=hint)


def _compare(
    mine: Any, ref: np.ndarray, name: str, terms: int = 1, magnitude: Any = None
) -> str | None:
    """None when ``mine`` matches ``ref``, else a sentence with the relative error."""
    try:
        compare_arrays(mine, ref, name, terms=terms, magnitude=magnitude)
    except Feedback as feedback:
        return feedback.what.rstrip(".")
    return None


@check("ex-numpy-relu", points=2)
def check_relu_backward(
    relu_backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> ExerciseResult:
    """``relu_backward(dout, x) -> dx`` for ``relu(x) = max(x, 0)``."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 5))
    x[0, 0, 0, :3] = 0.0  # exact zeros: the book's convention is a zero gradient there
    dout = rng.standard_normal(x.shape)
    dx = _call(relu_backward, dout, x, hint="dx has the shape of x.")
    ref = L.relu_backward(dout, L.relu_forward(x)[1])
    problem = _compare(dx, ref, "dx")
    if problem is None:
        return report(
            True, "ReLU's backward passes dout where x > 0 and blocks it elsewhere."
        )
    got = numeric_or_none(dx)
    if (
        got is not None
        and got.shape == ref.shape
        and np.allclose(got[x != 0], ref[x != 0])
    ):
        return report(
            False,
            "right except where x is exactly 0.",
            "use x > 0, not x >= 0: the book (like PyTorch) takes the gradient at 0 to "
            "be 0.",
        )
    return report(
        False, problem + ".", "dx = dout where x > 0, and 0 elsewhere: (x > 0) * dout."
    )


SCALE = 1.7159  # the 1998 paper's activation: f(a) = 1.7159 tanh(2a/3)


@check("ex-numpy-scaled-tanh", points=2)
def check_scaled_tanh_backward(
    scaled_tanh_backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> ExerciseResult:
    """``scaled_tanh_backward(dout, out) -> dx`` for the paper's ``out = 1.7159
    tanh(2x/3)``.

    The forward caches its output, so the derivative must be written in terms of it.
    """
    rng = np.random.default_rng(1)
    x = 2.0 * rng.standard_normal((3, 4, 6))
    out = SCALE * np.tanh(2.0 * x / 3.0)
    dout = rng.standard_normal(x.shape)
    dx = _call(
        scaled_tanh_backward,
        dout,
        out,
        hint="you receive the activation's output, not its input.",
    )
    t = out / SCALE  # tanh(2x/3)
    ref = dout * SCALE * (2.0 / 3.0) * (1.0 - t**2)
    problem = _compare(dx, ref, "dx")
    if problem is None:
        return report(True, "f'(x) = 1.7159 * 2/3 * (1 - (out / 1.7159)^2).")
    dx = numeric_or_none(dx)
    if dx is None:
        return report(False, problem + ".", "return dx, an array shaped like dout.")
    if dx.shape == x.shape and np.allclose(dx, dout * (1 - out**2)):
        return report(
            False,
            "that is the derivative of plain tanh.",
            "divide the output by 1.7159 to get tanh(2x/3), and apply the chain "
            "rule to both the 1.7159 and the 2/3.",
        )
    if dx.shape == x.shape and np.allclose(dx, dout * SCALE * (1 - t**2)):
        return report(
            False,
            "the factor 2/3 from the inner function 2x/3 is missing.",
            "chain rule: d/dx tanh(2x/3) = (2/3)(1 - tanh^2(2x/3)).",
        )
    return report(
        False,
        problem + ".",
        "with t = out / 1.7159 = tanh(2x/3): f'(x) = 1.7159 * (2/3) * (1 - t^2).",
    )


@check("ex-numpy-dense", points=2)
def check_dense_backward(dense_backward: Callable[..., Any]) -> ExerciseResult:
    """``dense_backward(dout, x, w) -> (dx, dw, db)`` for ``out = x @ w + b``."""
    rng = np.random.default_rng(2)
    x, w, b = (
        rng.standard_normal((5, 7)),
        rng.standard_normal((7, 3)),
        rng.standard_normal(3),
    )
    out, cache = L.dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    grads = _call(
        dense_backward,
        dout,
        x,
        w,
        hint="return the three gradients as a tuple (dx, dw, db).",
    )
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return report(
            False, "return a tuple (dx, dw, db).", "three gradients, in that order."
        )
    hints = {
        "dx": "dx = dout @ w.T (shape (N, D)).",
        "dw": "dw = x.T @ dout: sum over the batch.",
        "db": "db sums dout over the batch (axis 0).",
    }
    # the same products on absolute values: the size of each sum's terms
    magnitudes = L.dense_backward(
        np.abs(dout), L.dense_forward(np.abs(x), np.abs(w), b)[1]
    )
    terms = {"dx": w.shape[1], "dw": len(x), "db": len(x)}
    for name, mine, ref, magnitude in zip(
        ("dx", "dw", "db"), grads, L.dense_backward(dout, cache), magnitudes
    ):
        problem = _compare(mine, ref, name, terms[name], magnitude)
        if problem:
            return report(False, problem + ".", hints[name])
    return report(True, "dx = dout @ w.T, dw = x.T @ dout, db = dout.sum(axis=0).")


@check("ex-numpy-maxpool", points=2)
def check_max_pool_backward(
    max_pool_backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> ExerciseResult:
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
    dx = numeric_or_none(dx)
    if dx is not None and dx.shape == x.shape and not np.isclose(dx.sum(), dout.sum()):
        return report(
            False,
            problem + ": the gradient is counted more than once (or lost) "
            "in windows with tied maxima.",
            "a mask x == window max marks every tied element; pick one, e.g. with "
            "argmax.",
        )
    return report(
        False,
        problem + ".",
        "send dout to the first maximum in row-major order (what np.argmax returns).",
    )


# --------------------------------------------------------------- average pooling, backw

#: (window size, stride, input shape): tiling windows as in LeNet-5, then overlapping on
_POOL_CASES = (
    (2, 2, (2, 3, 6, 8)),
    (3, 2, (2, 2, 7, 9)),
    (2, 1, (1, 2, 5, 6)),
    (3, 3, (1, 2, 9, 6)),
)


def _avg_pool_assigned(
    dout: np.ndarray, shape: tuple[int, ...], size: int, stride: int
) -> np.ndarray:
    """The slip of writing each window's share with = instead of += (overlaps lost)."""
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * stride : i * stride + size, j * stride : j * stride + size] = (
                dout[:, :, i : i + 1, j : j + 1] / size**2
            )
    return dx


@check("ex-numpy-avgpool", points=2)
def check_avg_pool_backward(
    avg_pool_backward: Callable[..., np.ndarray],
) -> ExerciseResult:
    """``avg_pool_backward(dout, x_shape, size, stride) -> dx`` for average pooling.

    Tested with LeNet's tiling 2x2 windows and with overlapping ones, where
    an input belongs to several windows and its gradient is a sum.
    """
    rng = np.random.default_rng(4)
    for size, stride, shape in _POOL_CASES:
        x = rng.standard_normal(shape)
        out, cache = L.avg_pool_forward(x, size, stride)
        dout = rng.standard_normal(out.shape)
        ref = L.avg_pool_backward(dout, cache)
        what = f"{size}x{size} windows, stride {stride}"
        dx = _call(
            avg_pool_backward,
            dout,
            shape,
            size,
            stride,
            hint=f"it failed for {what}; dx has the shape of x: x_shape.",
        )
        try:
            compare_arrays(
                dx,
                ref,
                f"dx ({what})",
                terms=size * size,
                magnitude=L.avg_pool_backward(np.abs(dout), cache),
            )
        except Feedback as feedback:
            got = numeric_or_none(dx)
            if got is None:
                hint = "return dx, an array of floats shaped like x_shape."
            elif got.shape != ref.shape:
                hint = "dx has the shape of the layer's input, x_shape."
            elif np.allclose(got, ref * size**2):
                hint = (
                    f"each input gets 1/{size * size} of its window's gradient: the "
                    "average divides by the window's size x size."
                )
            elif np.allclose(got, _avg_pool_assigned(dout, shape, size, stride)):
                hint = (
                    "windows overlap here: an input in several windows gets a share "
                    "from each. Add the shares (+=), do not assign them (=)."
                )
            else:
                hint = (
                    "window (i, j) covers rows i*stride ... i*stride+size-1 (and the "
                    "same "
                    "for columns); each of its inputs gets dout[..., i, j] / size**2."
                )
            raise Feedback(feedback.what, hint) from None
    return report(
        True,
        "each input receives 1/size² of the gradient of every window it "
        "is in, overlapping windows included.",
    )


# --------------------------------------------------------------- convolution, backward


def _conv_case(seed: int) -> tuple[np.ndarray, ...]:
    """A small convolution with odd shapes: batch 2, 3 channels, a 7x6 input, 3x2
    kernels."""
    rng = np.random.default_rng(seed)
    x, w, b = (
        rng.standard_normal((2, 3, 7, 6)),
        rng.standard_normal((4, 3, 3, 2)),
        rng.standard_normal(4),
    )
    dout = rng.standard_normal(L.conv_forward(x, w, b)[0].shape)
    return x, w, b, dout


@check("ex-numpy-conv", points=3)
def check_conv_backward(conv_backward: Callable[..., Any]) -> ExerciseResult:
    """``conv_backward(dout, x, w) -> (dx, dw, db)`` for stride 1 and no padding."""
    x, w, b, dout = _conv_case(5)
    grads = _call(
        conv_backward,
        dout,
        x,
        w,
        hint="return the three gradients as a tuple (dx, dw, db).",
    )
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return report(
            False, "return a tuple (dx, dw, db).", "three gradients, in that order."
        )
    refs = dict(
        zip(("dx", "dw", "db"), L.conv_backward(dout, L.conv_forward(x, w, b)[1]))
    )
    flipped_dx = naive.naive_conv_backward(dout, x, w[:, :, ::-1, ::-1])[0]
    slips = {
        "dx": [
            (
                flipped_dx,
                "you flipped the kernel: each output sends dout * w[f] back onto "
                "its window as it is, x[n, :, i+u, j+v] += dout[n, f, i, j] * "
                "w[f, :, u, v].",
            )
        ],
        "dw": [
            (
                refs["dw"][:, :, ::-1, ::-1],
                "dw is flipped: dw[f, c, u, v] sums dout[n, f, "
                "i, j] * x[n, c, i+u, j+v].",
            ),
            (refs["dw"] / len(x), "sum over the batch, do not average."),
        ],
        "db": [
            (refs["db"] / (dout.size / dout.shape[1]), "sum dout, do not average it.")
        ],
    }
    hints = {
        "dx": "x[n, :, i:i+kh, j:j+kw] receives dout[n, f, i, j] * w[f], summed over "
        "f, i and j.",
        "dw": "dw[f] sums dout[n, f, i, j] * x[n, :, i:i+kh, j:j+kw] over n, i and j.",
        "db": "db sums dout over the batch and every position: axes 0, 2 and 3.",
    }
    magnitudes = dict(
        zip(
            ("dx", "dw", "db"),
            L.conv_backward(np.abs(dout), L.conv_forward(np.abs(x), np.abs(w), b)[1]),
        )
    )
    n, f, oh, ow = dout.shape
    terms = {"dx": f * w.shape[2] * w.shape[3], "dw": n * oh * ow, "db": n * oh * ow}
    for name, mine in zip(("dx", "dw", "db"), grads):
        try:
            compare_arrays(
                mine,
                refs[name],
                name,
                hints[name],
                terms=terms[name],
                magnitude=magnitudes[name],
            )
        except Feedback as feedback:
            got = numeric_or_none(mine)
            for wrong, hint in slips[name]:
                if (
                    got is not None
                    and got.shape == wrong.shape
                    and np.allclose(got, wrong)
                ):
                    raise Feedback(feedback.what, hint) from None
            raise
    return report(
        True,
        "db sums dout, dw correlates x with dout, and dx sends dout back "
        "through the kernel.",
    )


# --------------------------------------------------------------- gradient checking


def avg_pool_backward_without_the_quarter(dout: np.ndarray, cache: Any) -> np.ndarray:
    """A planted bug: 2x2 average pooling's backward that forgets to divide by 4."""
    return 4.0 * L.avg_pool_backward(dout, cache)


def _gradient_test_function(
    seed: int,
) -> tuple[Callable[[], float], np.ndarray, np.ndarray]:
    """``f() = sum(a * sin(x)) + sum(x**3)`` over a (3, 4) array, and its exact
    gradient."""
    rng = np.random.default_rng(seed)
    x, a = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    # a partial of a module-level function, not a lambda: the grader can send it
    # to a student's kernel as data (the function's name and its two arrays)
    return functools.partial(_sin_cube_sum, a, x), x, a * np.cos(x) + 3 * x**2


def _sin_cube_sum(a: np.ndarray, x: np.ndarray) -> float:
    """``sum(a * sin(x)) + sum(x**3)``, read from ``x`` as it is at the call."""
    return float(np.sum(a * np.sin(x)) + np.sum(x**3))


def _difference_hint(error: np.ndarray, x: np.ndarray, seed: int) -> str:
    """Tell a one-sided difference from a centred one with too large an ``h``.

    For the separable test function, a one-sided difference errs by about
    ``±(h / 2) f''(x)`` in each element and a centred one by about
    ``(h² / 6) f'''(x)``: whichever of the two shapes fits the error says
    which mistake it is, and the fitted factor gives ``h``.
    """
    a = np.random.default_rng(seed).standard_normal((2, *x.shape))[1]
    shapes = {
        "one-sided": -a * np.sin(x) + 6 * x,  # f''
        "centred": -a * np.cos(x) + 6,  # f'''
    }
    fits = {}
    for name, basis in shapes.items():
        factor = float(np.vdot(basis, error) / np.vdot(basis, basis))
        misfit = float(np.linalg.norm(error - factor * basis) / np.linalg.norm(error))
        fits[name] = (misfit, factor)
    name = min(fits, key=lambda n: fits[n][0])
    misfit, factor = fits[name]
    if misfit > 0.2:
        return (
            "close, but the errors look like round-off: with a very small h, "
            "f(x + h) - f(x - h) loses most of its digits. Use h around 1e-5."
        )
    if name == "one-sided":
        return (
            "close, but not to rounding: the errors are those of a one-sided "
            f"difference (f(x + h) - f(x)) / h with h about {2 * abs(factor):.0e}, "
            "off by about h; the centred one, (f(x + h) - f(x - h)) / 2h, is off "
            "by about h²."
        )
    h = float(np.sqrt(6 * abs(factor)))
    return (
        f"your difference is centred, but h is too large (about {h:.0e}): its "
        "error grows as h². Use h around 1e-5."
    )


@check("ex-numpy-numgrad", points=2)
def check_numerical_gradient(
    numerical_gradient: Callable[..., np.ndarray],
) -> ExerciseResult:
    """``numerical_gradient(f, x, h=1e-5)``: the centred-difference gradient of ``f()``
    at ``x``.

    ``f`` takes no argument and reads ``x``, so the student's function must
    change ``x`` in place, one element at a time, and restore it.
    """
    f, x, exact = _gradient_test_function(6)
    before = x.copy()
    grad = call_student(
        numerical_gradient,
        f,
        x,
        copy=False,
        hint="it receives f (no arguments) and the array x that f reads.",
    )
    if not np.array_equal(x, before):
        return report(
            False,
            "x is not the same after your function ran.",
            "put each element back after nudging it: old = x[i]; ...; x[i] = old.",
        )
    try:
        compare_arrays(grad, exact, "the gradient", rtol=1e-7, atol=1e-9)
    except Feedback as feedback:
        got = numeric_or_none(grad)
        if got is None or got.shape != exact.shape or not np.isfinite(got).all():
            raise
        error = np.abs(got - exact).max() / np.abs(exact).max()
        if not got.any():
            hint = (
                "every estimate is 0: f reads x itself, so change x in place "
                "(x[i] = ...), not a copy of it."
            )
        elif not got.all():
            hint = (
                "some estimates are 0: visit every element of x (x.reshape(-1) is a "
                "view of all of them)."
            )
        elif np.allclose(got, 2 * exact, rtol=1e-5):
            hint = "the two points x - h and x + h are 2h apart: divide by 2h, not h."
        elif error < 1e-2:
            hint = _difference_hint(got - exact, before, 6)
        else:
            hint = "(f(x + h e_i) - f(x - h e_i)) / 2h for every element i of x."
        raise Feedback(feedback.what, hint) from None
    return report(
        True,
        "centred differences agree with the exact gradient to about 1e-9, "
        "and x is left as it was.",
    )


def planted_bug_inputs() -> tuple[np.ndarray, ...]:
    """``x, w, b, dout`` for the planted-bug exercise (float64, fixed seed)."""
    rng = np.random.default_rng(8)
    x, w, b = (
        rng.standard_normal((2, 2, 6, 6)),
        rng.standard_normal((3, 2, 3, 3)),
        rng.standard_normal(3),
    )
    return x, w, b, rng.standard_normal((2, 3, 4, 4))


def mystery_conv_backward(
    dout: np.ndarray, x: np.ndarray, w: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A convolution's (dx, dw, db) with one planted bug in one of the three."""
    dx, dw, db = L.conv_backward(dout, L.conv_forward(x, w, b)[1])
    return dx, dw.swapaxes(2, 3), db  # the bug: a transposed kernel gradient


@check("ex-numpy-planted-bug", points=2)
def check_planted_bug(wrong: str, numerical: np.ndarray) -> ExerciseResult:
    """Which gradient of :func:`mystery_conv_backward` is wrong, and its numerical
    estimate."""
    x, w, b, dout = planted_bug_inputs()
    names = ("dx", "dw", "db")
    if not isinstance(wrong, str) or wrong not in names:
        raise Feedback(
            f'name the wrong gradient as "dx", "dw" or "db", not {describe(wrong)}.'
        )
    true = dict(zip(names, L.conv_backward(dout, L.conv_forward(x, w, b)[1])))
    given = dict(zip(names, mystery_conv_backward(dout, x, w, b)))
    if wrong != "dw":
        return report(
            False,
            f"{wrong} of the mystery layer is right.",
            "compare all three with your numerical estimates: the wrong one "
            "has a relative error far above 1e-7.",
        )
    got = as_array(numerical, "your numerical estimate")
    if (
        got.shape == given["dw"].shape
        and np.allclose(got, given["dw"])
        and not np.allclose(got, true["dw"])
    ):
        return report(
            False,
            "dw is the wrong one, but that array is the layer's own dw.",
            "give your numerical estimate: numerical_gradient(f, w) with "
            "f = lambda: np.sum(layers.conv_forward(x, w, b)[0] * dout).",
        )
    compare_arrays(
        got,
        true["dw"],
        "your numerical estimate of dw",
        "f must be the sum of the layer's output times dout, with x, w, b and "
        "dout from planted_bug_inputs().",
        rtol=1e-5,
        atol=1e-7,
    )
    return report(
        True,
        "dw is wrong: the mystery layer transposes each kernel's gradient "
        "(u and v swapped), which a square kernel hides from every shape "
        "check but not from centred differences.",
    )


# --------------------------------------------------------------- im2col


@check("ex-numpy-im2col", points=3)
def check_conv_forward_im2col(
    conv_forward: Callable[..., np.ndarray],
) -> ExerciseResult:
    """``conv_forward(x, w, b) -> out (N, F, OH, OW)``, stride 1, no padding, via
    im2col."""
    rng = np.random.default_rng(7)
    cases = [
        (
            rng.standard_normal((3, 2, 8, 7)),
            rng.standard_normal((5, 2, 3, 4)),
            rng.standard_normal(5),
        ),
        (
            rng.standard_normal((2, 1, 12, 12)),
            rng.standard_normal((6, 1, 5, 5)),
            rng.standard_normal(6),
        ),
    ]
    for x, w, b in cases:
        ref = L.conv_forward(x, w, b)[0]
        got = _call(
            conv_forward,
            x,
            w,
            b,
            hint="it receives x (N, C, H, W), w (F, C, kh, kw) and b (F,).",
        )
        try:
            compare_arrays(
                got,
                ref,
                f"the output for x {x.shape} and w {w.shape}",
                terms=w[0].size + 1,
                magnitude=L.conv_forward(np.abs(x), np.abs(w), np.abs(b))[0],
            )
        except Feedback as feedback:
            out = numeric_or_none(got)
            candidates = [
                (
                    ref.transpose(0, 2, 3, 1),
                    "the output must be channels first, (N, F, OH, OW): transpose it.",
                ),
                (
                    ref - b[:, None, None],
                    "add the bias, one per filter: b[:, None] "
                    "broadcasts over the positions.",
                ),
                (
                    naive.naive_conv_forward(x, w[:, :, ::-1, ::-1], b),
                    "you flipped the kernel: the book (like every framework) "
                    "correlates, "
                    "window times w as it is.",
                ),
            ]
            for wrong, hint in candidates:
                if (
                    out is not None
                    and out.shape == wrong.shape
                    and np.allclose(out, wrong)
                ):
                    raise Feedback(feedback.what, hint) from None
            raise Feedback(
                feedback.what,
                "the columns' order (channel, kernel row, kernel "
                "column) must match w.reshape(F, -1).",
            ) from None
    return report(
        True, "one matrix product on the im2col columns gives the convolution."
    )
