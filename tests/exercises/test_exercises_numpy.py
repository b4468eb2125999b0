"""The NumPy chapter's exercise checks accept right answers and explain wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.exercises import numpy_lenet as E
from lenet_common.numpy_lenet import gradcheck, naive
from lenet_common.numpy_lenet import layers as L


def _max_pool_first_max(dout, x):
    return L.max_pool_backward(dout, L.max_pool_forward(x, 2)[1])


def _max_pool_mask_all_ties(dout, x):
    N, C, H, W = x.shape
    v = x.reshape(N, C, H // 2, 2, W // 2, 2)
    mask = v == v.max(axis=(3, 5), keepdims=True)
    return (mask * dout[:, :, :, None, :, None]).reshape(x.shape)


def test_right_answers_pass():
    assert E.check_relu_backward(lambda dout, x: dout * (x > 0))
    assert E.check_scaled_tanh_backward(
        lambda dout, out: dout * 1.7159 * (2 / 3) * (1 - (out / 1.7159) ** 2)
    )
    assert E.check_dense_backward(
        lambda dout, x, w: (dout @ w.T, x.T @ dout, dout.sum(axis=0))
    )
    assert E.check_max_pool_backward(_max_pool_first_max)


def test_wrong_answers_fail_with_a_useful_hint():
    relu = E.check_relu_backward(lambda dout, x: dout * (x >= 0))
    assert not relu and "exactly 0" in relu.message
    plain = E.check_scaled_tanh_backward(lambda dout, out: dout * (1 - out**2))
    assert not plain and "plain tanh" in plain.message
    no_inner = E.check_scaled_tanh_backward(
        lambda dout, out: dout * 1.7159 * (1 - (out / 1.7159) ** 2)
    )
    assert not no_inner and "2/3" in no_inner.message
    dense = E.check_dense_backward(
        lambda dout, x, w: (dout @ w.T, x.T @ dout, dout.mean(axis=0))
    )
    assert not dense and "db" in dense.message
    ties = E.check_max_pool_backward(_max_pool_mask_all_ties)
    assert not ties and "more than once" in ties.message


def test_errors_and_wrong_shapes_are_reported_not_raised():
    crash = E.check_relu_backward(lambda dout, x: 1 / 0)
    assert not crash and "ZeroDivisionError" in crash.message
    shape = E.check_dense_backward(lambda dout, x, w: (dout, x, w))
    assert not shape and "shape" in shape.message
    not_tuple = E.check_dense_backward(lambda dout, x, w: dout)
    assert not not_tuple and "tuple" in not_tuple.message


# ------------------------------------------------------------ the exercises of section


def _avg_pool_loops(dout, x_shape, size, stride):
    dx = np.zeros(x_shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[
                :, :, i * stride : i * stride + size, j * stride : j * stride + size
            ] += dout[:, :, i : i + 1, j : j + 1] / size**2
    return dx


def test_avg_pool_backward():
    assert E.check_avg_pool_backward(_avg_pool_loops)
    no_quarter = E.check_avg_pool_backward(
        lambda dout, shape, k, s: _avg_pool_loops(dout, shape, k, s) * k * k
    )
    assert "1/4 of its window's gradient" in no_quarter.message
    assert (
        "relative error" in no_quarter.message
        and "first difference" in no_quarter.message
    )
    assigned = E.check_avg_pool_backward(E._avg_pool_assigned)
    assert (
        "do not assign" in assigned.message
        and "3x3 windows, stride 2" in assigned.message
    )
    tiles_only = E.check_avg_pool_backward(  # np.repeat works only when windows tile
        lambda dout, shape, k, s: np.repeat(np.repeat(dout, k, 2), k, 3) / k**2
    )
    assert not tiles_only and "shape" in tiles_only.message
    assert (
        E.check_avg_pool_backward(lambda *a: 1 / 0).message.count("ZeroDivisionError")
        == 1
    )


def _conv_backward_loops(dout, x, w):
    return naive.naive_conv_backward(dout, x, w)


def test_conv_backward():
    assert E.check_conv_backward(_conv_backward_loops)
    flipped_dw = E.check_conv_backward(
        lambda dout, x, w: (lambda dx, dw, db: (dx, dw[:, :, ::-1, ::-1], db))(
            *naive.naive_conv_backward(dout, x, w)
        )
    )
    assert (
        "dw is flipped" in flipped_dw.message and "relative error" in flipped_dw.message
    )
    flipped_dx = E.check_conv_backward(
        lambda dout, x, w: (
            naive.naive_conv_backward(dout, x, w[:, :, ::-1, ::-1])[0],
            *naive.naive_conv_backward(dout, x, w)[1:],
        )
    )
    assert "flipped the kernel" in flipped_dx.message
    db_per_image = E.check_conv_backward(
        lambda dout, x, w: (
            *naive.naive_conv_backward(dout, x, w)[:2],
            dout.sum(axis=(2, 3)),
        )
    )
    assert "axes 0, 2 and 3" in db_per_image.message and "shape" in db_per_image.message
    mean_db = E.check_conv_backward(
        lambda dout, x, w: (
            *naive.naive_conv_backward(dout, x, w)[:2],
            dout.mean(axis=(0, 2, 3)),
        )
    )
    assert "do not average" in mean_db.message
    assert "tuple" in E.check_conv_backward(lambda dout, x, w: dout).message


_centred = gradcheck.numerical_gradient  # the book's own: the reference answer


def _one_sided(f, x, h=1e-5):
    grad = np.zeros_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    base = f()
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        g[i] = (f() - base) / h
        flat[i] = old
    return grad


def test_numerical_gradient_hint_tells_a_large_h_from_a_one_sided_difference():
    """Both are close; the hint names the one that was made, and its h."""
    for h in (1e-2, 1e-3):
        large = E.check_numerical_gradient(lambda f, x, h0=1e-5, h=h: _centred(f, x, h))
        assert not large and "centred, but h is too large" in large.message
        assert f"about {h:.0e}" in large.message and "one-sided" not in large.message
    for h in (1e-5, 1e-3):
        forward = E.check_numerical_gradient(
            lambda f, x, h0=1e-5, h=h: _one_sided(f, x, h)
        )
        assert not forward and "one-sided difference" in forward.message
        assert (
            f"h about {h:.0e}" in forward.message and "too large" not in forward.message
        )
    backward = E.check_numerical_gradient(lambda f, x, h=1e-5: _one_sided(f, x, -h))
    assert not backward and "one-sided difference" in backward.message
    tiny = E.check_numerical_gradient(lambda f, x, h=1e-5: _centred(f, x, 1e-13))
    assert not tiny and "round-off" in tiny.message


def test_numerical_gradient():
    assert E.check_numerical_gradient(_centred)
    one_sided = E.check_numerical_gradient(_one_sided)
    assert "one-sided" in one_sided.message and "relative error" in one_sided.message
    over_h = E.check_numerical_gradient(lambda f, x, h=1e-5: 2 * _centred(f, x, h))
    assert "divide by 2h" in over_h.message
    on_a_copy = E.check_numerical_gradient(
        lambda f, x, h=1e-5: _centred(f, x.copy(), h)
    )
    assert "not a copy" in on_a_copy.message

    def first_row_only(f, x, h=1e-5):
        grad = np.zeros_like(x)
        grad[0] = _centred(f, x, h)[0]
        return grad

    assert "visit every element" in E.check_numerical_gradient(first_row_only).message

    def never_restores(f, x, h=1e-5):
        grad = _centred(f, x, h)
        x += h
        return grad

    assert "not the same after" in E.check_numerical_gradient(never_restores).message


def test_planted_bug_is_shown_failing_and_the_right_layer_passing():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    out, cache = L.avg_pool_forward(x, 2)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    numerical = gradcheck.numerical_gradient_of_layer(
        lambda: L.avg_pool_forward(x, 2)[0], x, dout
    )
    buggy = gradcheck.rel_error(
        E.avg_pool_backward_without_the_quarter(dout, cache), numerical
    )
    right = gradcheck.rel_error(L.avg_pool_backward(dout, cache), numerical)
    assert buggy > 0.5 and right < 1e-8


def test_planted_bug():
    x, w, b, dout = E.planted_bug_inputs()
    f = lambda: np.sum(L.conv_forward(x, w, b)[0] * dout)  # noqa: E731
    estimate = _centred(f, w)
    assert E.check_planted_bug("dw", estimate)
    assert "is right" in E.check_planted_bug("dx", estimate).message
    assert "is right" in E.check_planted_bug("db", estimate).message
    own = E.check_planted_bug("dw", E.mystery_conv_backward(dout, x, w, b)[1])
    assert "layer's own dw" in own.message
    wrong_f = E.check_planted_bug(
        "dw", _centred(lambda: np.sum(L.conv_forward(x, w, b)[0]), w)
    )
    assert "relative error" in wrong_f.message and "dout" in wrong_f.message
    assert '"dx", "dw" or "db"' in E.check_planted_bug("w", estimate).message
    assert E.check_planted_bug(..., ...).status == "not attempted"


def _conv_im2col(x, w, b):
    F, C, kh, kw = w.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    N, _, OH, OW = windows.shape[:4]
    cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, OH * OW)
    return (w.reshape(F, -1) @ cols + b[:, None]).reshape(N, F, OH, OW)


def test_conv_forward_im2col():
    assert E.check_conv_forward_im2col(_conv_im2col)
    no_bias = E.check_conv_forward_im2col(lambda x, w, b: _conv_im2col(x, w, 0 * b))
    assert "add the bias" in no_bias.message and "relative error" in no_bias.message
    last = E.check_conv_forward_im2col(
        lambda x, w, b: _conv_im2col(x, w, b).transpose(0, 2, 3, 1)
    )
    assert "channels first" in last.message
    flipped = E.check_conv_forward_im2col(
        lambda x, w, b: _conv_im2col(x, w[:, :, ::-1, ::-1], b)
    )
    assert "flipped the kernel" in flipped.message

    def wrong_order(x, w, b):  # columns in (u, v, c) order against w's (c, u, v)
        F, C, kh, kw = w.shape
        windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
        N, _, OH, OW = windows.shape[:4]
        cols = windows.transpose(0, 4, 5, 1, 2, 3).reshape(N, C * kh * kw, OH * OW)
        return (w.reshape(F, -1) @ cols + b[:, None]).reshape(N, F, OH, OW)

    assert "columns' order" in E.check_conv_forward_im2col(wrong_order).message


def test_new_starters_are_not_attempted():
    def starter(*args):
        raise NotImplementedError

    for check in (
        E.check_avg_pool_backward,
        E.check_conv_backward,
        E.check_numerical_gradient,
        E.check_conv_forward_im2col,
    ):
        assert check(starter).status == "not attempted"


def test_dense_hints_name_each_gradient():
    right = lambda dout, x, w: (dout @ w.T, x.T @ dout, dout.sum(axis=0))  # noqa: E731
    no_transpose = E.check_dense_backward(
        lambda dout, x, w: (dout @ w.T, dout.T @ x, dout.sum(0))
    )
    assert "dw = x.T @ dout" in no_transpose.message and "shape" in no_transpose.message
    scaled = E.check_dense_backward(
        lambda dout, x, w: (2 * right(dout, x, w)[0], *right(dout, x, w)[1:])
    )
    assert "dx = dout @ w.T" in scaled.message and "first difference" in scaled.message


def test_old_starters_are_not_attempted_and_non_functions_are_named():
    def starter(*args):
        raise NotImplementedError

    for check in (
        E.check_relu_backward,
        E.check_scaled_tanh_backward,
        E.check_dense_backward,
        E.check_max_pool_backward,
    ):
        assert check(starter).status == "not attempted"
        assert "should be a function" in check(None).message
        assert check(...).status == "not attempted"


@pytest.mark.parametrize(
    "check",
    [
        E.check_relu_backward,
        E.check_scaled_tanh_backward,
        E.check_dense_backward,
        E.check_max_pool_backward,
        E.check_avg_pool_backward,
        E.check_conv_backward,
        E.check_conv_forward_im2col,
        E.check_numerical_gradient,
    ],
    ids=lambda c: c.__name__,
)
def test_student_code_that_raises_is_one_sentence(check):
    def boom(*args):
        raise ValueError("operands could not be broadcast")

    result = check(boom)
    assert result.status == "incorrect"
    assert (
        "your code raised ValueError: operands could not be broadcast."
        in result.message
    )
    assert "Traceback" not in result.message


def _in_float32(layer_backward):
    """A right answer computed in float32: what a student gets from float32 inputs."""

    def backward(dout, x, w):
        f32 = [a.astype(np.float32) for a in (dout, x, w)]
        bias = np.zeros(w.shape[0] if w.ndim == 4 else w.shape[1], np.float32)
        forward = L.conv_forward if w.ndim == 4 else L.dense_forward
        return layer_backward(f32[0], forward(f32[1], f32[2], bias)[1])

    return backward


def test_right_answers_in_float32_are_accepted_and_wrong_ones_are_not():
    """float32 rounds sums more coarsely than float64: a relative error of 4e-8 near a
    small value is float32's rounding, not a mistake (this was refused)."""
    assert E.check_conv_backward(_in_float32(L.conv_backward))
    assert E.check_dense_backward(_in_float32(L.dense_backward))
    assert E.check_conv_forward_im2col(
        lambda x, w, b: L.conv_forward(*(a.astype(np.float32) for a in (x, w, b)))[0]
    )

    def off_by_a_thousandth(dout, x, w):
        dx, dw, db = _in_float32(L.conv_backward)(dout, x, w)
        return dx, dw, db * np.float32(1.001)

    assert not E.check_conv_backward(off_by_a_thousandth)
