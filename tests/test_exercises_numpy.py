"""The NumPy chapter's exercise checks accept right answers and explain wrong ones."""

from __future__ import annotations

import numpy as np

from lenet_common.exercises import numpy_lenet as E
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
        lambda dout, out: dout * 1.7159 * (2 / 3) * (1 - (out / 1.7159) ** 2))
    assert E.check_dense_backward(lambda dout, x, w: (dout @ w.T, x.T @ dout, dout.sum(axis=0)))
    assert E.check_max_pool_backward(_max_pool_first_max)


def test_wrong_answers_fail_with_a_useful_hint():
    relu = E.check_relu_backward(lambda dout, x: dout * (x >= 0))
    assert not relu and "exactly 0" in relu.message
    plain = E.check_scaled_tanh_backward(lambda dout, out: dout * (1 - out**2))
    assert not plain and "plain tanh" in plain.message
    no_inner = E.check_scaled_tanh_backward(lambda dout, out: dout * 1.7159 * (1 - (out / 1.7159) ** 2))
    assert not no_inner and "2/3" in no_inner.message
    dense = E.check_dense_backward(lambda dout, x, w: (dout @ w.T, x.T @ dout, dout.mean(axis=0)))
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
