"""Each NumPy layer: gradient checks in float64, the fast conv against the naive one,
max-pooling ties, and clear errors for wrong shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lenet_common.numerics import assert_close
from lenet_common.numpy_lenet import layers as L
from lenet_common.numpy_lenet import naive
from lenet_common.numpy_lenet.gradcheck import (
    numerical_gradient,
    numerical_gradient_of_layer,
    rel_error,
)
from lenet_common.numpy_lenet.im2col import col2im, im2col

TOL = 1e-7  # element-wise relative error, float64
# Conv and dense layers are linear in each of their arguments, so a centred
# difference is exact for any step: a larger step than the default 1e-5
# shrinks the rounding error of (f(x+h) - f(x-h)) / 2h on tiny gradient entries.
LINEAR_STEP = 1e-3

# (x shape, w shape, stride, pad): LeNet's C1/C3/C5 plus odd ones
CONV_CASES = [
    ((2, 1, 12, 12), (3, 1, 5, 5), 1, 0),  # C1-like, small
    ((1, 3, 7, 9), (4, 3, 3, 2), 1, 0),  # batch 1, non-square input and kernel
    ((2, 8, 6, 5), (10, 8, 3, 3), 1, 1),  # more channels than LeNet, padding
    ((2, 3, 9, 8), (2, 3, 3, 3), 2, 1),  # stride 2
    ((2, 16, 5, 5), (7, 16, 5, 5), 1, 0),  # C5-like: 1x1 output
    ((2, 2, 6, 7), (3, 2, 5, 5), 2, 0),  # 1x1 output with a window that misses pixels
]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _conv_case(case, seed=0):
    xs, ws, stride, pad = case
    rng = _rng(seed)
    x, w, b = (
        rng.standard_normal(xs),
        rng.standard_normal(ws),
        rng.standard_normal(ws[0]),
    )
    out, cache = L.conv_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    return x, w, b, stride, pad, out, cache, dout


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_gradients_match_finite_differences(case):
    x, w, b, stride, pad, _, cache, dout = _conv_case(case)
    dx, dw, db = L.conv_backward(dout, cache)
    forward = lambda: L.conv_forward(x, w, b, stride, pad)[0]  # noqa: E731
    for analytic, wrt in ((dx, x), (dw, w), (db, b)):
        numeric = numerical_gradient_of_layer(forward, wrt, dout, h=LINEAR_STEP)
        assert rel_error(analytic, numeric) < TOL


@pytest.mark.parametrize(
    "case",
    CONV_CASES
    + [((3, 6, 14, 14), (16, 6, 5, 5), 1, 0), ((2, 1, 32, 32), (6, 1, 5, 5), 1, 0)],
)
def test_fast_conv_equals_naive_loops(case):
    x, w, b, stride, pad, out, cache, dout = _conv_case(case, seed=1)
    _assert_conv_equals_naive(x, w, b, stride, pad, out, cache, dout)


def _assert_conv_equals_naive(x, w, b, stride, pad, out, cache, dout) -> None:
    """im2col against loops: the same sums in another order, so the tolerance is
    set by each sum's length and its terms' size (the layer run on |x|, |w|, |dout|)."""
    n, c, kh, kw = x.shape[0], w.shape[1], w.shape[2], w.shape[3]
    f, oh, ow = w.shape[0], out.shape[2], out.shape[3]
    out_abs, cache_abs = L.conv_forward(np.abs(x), np.abs(w), np.abs(b), stride, pad)
    assert_close(
        out,
        naive.naive_conv_forward(x, w, b, stride, pad),
        terms=c * kh * kw + 1,
        magnitude=out_abs,
        what="conv forward",
    )
    magnitudes = L.conv_backward(np.abs(dout), cache_abs)
    terms = (f * kh * kw, n * oh * ow, n * oh * ow)
    for fast, slow, m, t, name in zip(
        L.conv_backward(dout, cache),
        naive.naive_conv_backward(dout, x, w, stride, pad),
        magnitudes,
        terms,
        ("dx", "dw", "db"),
    ):
        assert_close(fast, slow, terms=t, magnitude=m, what=name)


def test_conv_without_input_gradient():
    x, w, b, stride, pad, _, cache, dout = _conv_case(CONV_CASES[0])
    dx, dw, db = L.conv_backward(dout, cache, need_dx=False)
    _, dw_full, db_full = L.conv_backward(dout, cache)
    assert dx is None
    np.testing.assert_array_equal(dw, dw_full)
    np.testing.assert_array_equal(db, db_full)


@pytest.mark.parametrize(
    "shape, k, stride, pad",
    [((2, 3, 7, 9), 3, 1, 0), ((1, 2, 8, 8), 5, 1, 2), ((2, 2, 9, 7), 3, 2, 1)],
)
def test_col2im_is_the_adjoint_of_im2col(shape, k, stride, pad):
    """<im2col(x), c> == <x, col2im(c)> for every x and c: the backward of a copy is a sum."""
    rng = _rng(2)
    x = rng.standard_normal(shape)
    cols, g = im2col(x, k, k, stride, pad)
    c = rng.standard_normal(cols.shape)  # (N, K, P)
    # two sums of the same products in different orders; their sum can be near zero
    assert_close(
        np.sum(cols * c),
        np.sum(x * col2im(c, g)),
        terms=cols.size,
        magnitude=np.sum(np.abs(cols * c)),
        what="<im2col(x), c>",
    )


def test_col2im_rejects_the_wrong_layout():
    cols, g = im2col(np.zeros((2, 3, 6, 6)), 3, 3)
    batch_last = cols.transpose(1, 2, 0).reshape(cols.shape[1], -1)
    with pytest.raises(ValueError, match="N, C\\*kh\\*kw, OH\\*OW"):
        col2im(batch_last, g)


def test_conv_keeps_float32():
    rng = _rng(3)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    out, cache = L.conv_forward(x, w, np.zeros(4, np.float32))
    grads = L.conv_backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


# ------------------------------------------------------------------ pooling

POOL_CASES = [
    ((2, 3, 8, 6), 2, None),
    ((1, 2, 7, 9), 3, 1),
    ((2, 2, 9, 7), 3, 2),
    ((1, 1, 5, 5), 2, 1),
]


@pytest.mark.parametrize(
    "forward, backward",
    [
        (L.avg_pool_forward, L.avg_pool_backward),
        (L.max_pool_forward, L.max_pool_backward),
    ],
)
@pytest.mark.parametrize("shape, size, stride", POOL_CASES)
def test_pool_gradients_match_finite_differences(
    forward, backward, shape, size, stride
):
    rng = _rng(4)
    x = rng.standard_normal(shape)  # continuous values: no ties, max is differentiable
    out, cache = forward(x, size, stride)
    dout = rng.standard_normal(out.shape)
    numeric = numerical_gradient_of_layer(lambda: forward(x, size, stride)[0], x, dout)
    assert rel_error(backward(dout, cache), numeric) < TOL


@pytest.mark.parametrize("shape, size, stride", POOL_CASES)
def test_max_pool_forward_equals_naive(shape, size, stride):
    x = _rng(5).standard_normal(shape)
    np.testing.assert_array_equal(
        L.max_pool_forward(x, size, stride)[0],
        naive.naive_max_pool_forward(x, size, stride),
    )


@pytest.mark.parametrize("shape, size, stride", POOL_CASES)
def test_max_pool_ties_go_to_the_first_maximum_only(shape, size, stride):
    """Tied maxima (MNIST's flat background): each window's gradient reaches one element.

    Finite differences cannot see this (max is not differentiable at a tie),
    so the fast version is compared with the independent loop reference.
    """
    rng = _rng(6)
    x = rng.integers(0, 2, size=shape).astype(np.float64)  # 0s and 1s: ties everywhere
    x[0, 0] = 0.0  # a channel that is all background
    out, cache = L.max_pool_forward(x, size, stride)
    dout = rng.standard_normal(out.shape)
    dx = L.max_pool_backward(dout, cache)
    # overlapping windows add up to size * size routed values at one input
    assert_close(
        dx,
        naive.naive_max_pool_backward(dout, x, size, stride),
        terms=size * size,
        magnitude=naive.naive_max_pool_backward(np.abs(dout), x, size, stride),
        what="dx",
    )
    # total gradient is conserved: nothing counted twice, nothing lost
    assert_close(
        dx.sum(),
        dout.sum(),
        terms=dout.size,
        magnitude=np.abs(dout).sum(),
        what="total gradient",
    )


def test_max_pool_tie_in_one_window():
    x = np.array([[[[3.0, 3.0], [1.0, 3.0]]]])
    out, cache = L.max_pool_forward(x, 2)
    dx = L.max_pool_backward(np.array([[[[1.0]]]]), cache)
    assert out.item() == 3.0
    np.testing.assert_array_equal(
        dx, [[[[1.0, 0.0], [0.0, 0.0]]]]
    )  # the first 3, row-major


def test_avg_pool_tiling_and_general_paths_agree():
    """The reshape fast path (2x2, stride 2) against the sliding-window path."""
    x = _rng(7).standard_normal((2, 3, 8, 8))
    fast, cache = L.avg_pool_forward(x, 2)
    windows = np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(2, 3))[
        :, :, ::2, ::2
    ]
    assert_close(
        fast,
        windows.mean(axis=(4, 5)),
        terms=4,
        magnitude=np.abs(windows).mean(axis=(4, 5)),
        what="pooled",
    )
    dout = np.ones_like(fast)
    np.testing.assert_allclose(L.avg_pool_backward(dout, cache), np.full(x.shape, 0.25))


# ------------------------------------------------------------------ activations, dense, loss


def test_tanh_gradient():
    rng = _rng(8)
    x = rng.standard_normal((3, 4, 5))
    out, cache = L.tanh_forward(x)
    dout = rng.standard_normal(out.shape)
    numeric = numerical_gradient_of_layer(lambda: L.tanh_forward(x)[0], x, dout)
    assert rel_error(L.tanh_backward(dout, cache), numeric) < TOL


def test_relu_gradient_away_from_the_kink():
    rng = _rng(9)
    x = rng.standard_normal((3, 4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # finite differences straddling 0 would be meaningless
    out, cache = L.relu_forward(x)
    dout = rng.standard_normal(out.shape)
    numeric = numerical_gradient_of_layer(lambda: L.relu_forward(x)[0], x, dout)
    assert rel_error(L.relu_backward(dout, cache), numeric) < TOL
    zero = L.relu_backward(np.ones(1), L.relu_forward(np.zeros(1))[1])
    assert zero[0] == 0.0  # the convention at exactly 0


@pytest.mark.parametrize("n, d, m", [(1, 7, 3), (5, 120, 84), (4, 3, 10)])
def test_dense_gradients(n, d, m):
    rng = _rng(10)
    x, w, b = (
        rng.standard_normal((n, d)),
        rng.standard_normal((d, m)),
        rng.standard_normal(m),
    )
    out, cache = L.dense_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    forward = lambda: L.dense_forward(x, w, b)[0]  # noqa: E731
    for analytic, wrt in zip(L.dense_backward(dout, cache), (x, w, b)):
        numeric = numerical_gradient_of_layer(forward, wrt, dout, h=LINEAR_STEP)
        assert rel_error(analytic, numeric) < TOL


def test_softmax_cross_entropy_gradient_and_value():
    rng = _rng(11)
    z, y = rng.standard_normal((6, 10)), rng.integers(0, 10, 6)
    loss, dz = L.softmax_cross_entropy(z, y)
    assert (
        rel_error(dz, numerical_gradient(lambda: L.softmax_cross_entropy(z, y)[0], z))
        < TOL
    )
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.isclose(loss, -np.mean(np.log(p[np.arange(6), y])), rtol=1e-12)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]])
    loss, dz = L.softmax_cross_entropy(z, np.array([1, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    assert np.isclose(loss, 500.0)  # row 1 costs 1000 nats, row 2 costs ~0


# ------------------------------------------------------------------ clear errors


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: L.conv_forward(
                np.zeros((1, 3, 8)), np.zeros((2, 3, 3, 3)), np.zeros(2)
            ),
            r"\(N, C, H, W\)",
        ),
        (
            lambda: L.conv_forward(
                np.zeros((1, 2, 8, 8)), np.zeros((2, 3, 3, 3)), np.zeros(2)
            ),
            "channels",
        ),
        (
            lambda: L.conv_forward(
                np.zeros((1, 3, 8, 8)), np.zeros((2, 3, 3, 3)), np.zeros(3)
            ),
            "bias",
        ),
        (
            lambda: L.conv_forward(
                np.zeros((1, 3, 2, 2)), np.zeros((2, 3, 3, 3)), np.zeros(2)
            ),
            "does not fit",
        ),
        (
            lambda: L.dense_forward(np.zeros((2, 5)), np.zeros((4, 3)), np.zeros(3)),
            "flatten",
        ),
        (
            lambda: L.dense_forward(np.zeros((2, 4, 1)), np.zeros((4, 3)), np.zeros(3)),
            r"\(N, D\)",
        ),
        (lambda: L.avg_pool_forward(np.zeros((2, 8, 8)), 2), r"\(N, C, H, W\)"),
        (lambda: L.max_pool_forward(np.zeros((1, 1, 1, 8)), 2), "does not fit"),
        (
            lambda: L.softmax_cross_entropy(np.zeros((2, 10)), np.array([1, 10])),
            r"\[0, 10\)",
        ),
        (
            lambda: L.softmax_cross_entropy(np.zeros((2, 10)), np.array([1])),
            "one per row",
        ),
    ],
)
def test_wrong_shapes_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    f=st.integers(1, 4),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.integers(1, 3),
    pad=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_fast_conv_equals_naive_for_any_geometry(
    n, c, f, h, w, kh, kw, stride, pad, seed
):
    assume(h + 2 * pad >= kh and w + 2 * pad >= kw)
    rng = _rng(seed)
    x, wt, b = (
        rng.standard_normal((n, c, h, w)),
        rng.standard_normal((f, c, kh, kw)),
        rng.standard_normal(f),
    )
    out, cache = L.conv_forward(x, wt, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    _assert_conv_equals_naive(x, wt, b, stride, pad, out, cache, dout)
