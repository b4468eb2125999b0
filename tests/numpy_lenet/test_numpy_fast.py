"""The fast training step (numpy_lenet.fast) computes what the taught layers compute.

Layer by layer against the taught NCHW layers, the whole step against
``LeNet5.loss_and_grads`` in float64, a finite-difference check of its own,
the split across threads, buffer reuse, and training with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import lenet5
from lenet_common.numerics import assert_close
from lenet_common.numpy_lenet import LeNet5, fast, train
from lenet_common.numpy_lenet import layers as L
from lenet_common.numpy_lenet.gradcheck import (
    check_network_gradients,
    rel_error,
    rel_error_norm,
)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _bl(a: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (C, H, W, N), as the fast step lays arrays out."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0))


# The longest sum in LeNet-5: a C5 unit adds 16 maps x 5 x 5 = 400 products.
LONGEST_SUM = 400


def _logit_magnitude(params: dict[str, np.ndarray]) -> np.ndarray:
    """A bound on sum|terms| behind each logit: F6's tanh outputs lie in [-1, 1]."""
    return np.abs(params["output.weight"]).sum(axis=0) + np.abs(params["output.bias"])


def _assert_logits_close(got, want, params) -> None:
    assert_close(
        got, want, terms=LONGEST_SUM, magnitude=_logit_magnitude(params), what="logits"
    )


def _assert_loss_close(got, want, params) -> None:
    """The loss moves by at most twice the largest change of a logit (softmax's slope)."""
    assert_close(
        got,
        want,
        terms=LONGEST_SUM,
        magnitude=2 * _logit_magnitude(params).max(),
        what="loss",
    )


def _assert_grads_close(got, want, batch: int) -> None:
    """A weight's gradient sums batch x positions terms; the largest entry of its
    tensor stands for the terms' size (they are of that order on random inputs,
    and the count of terms leaves room for cancellation)."""
    assert set(got) == set(want)
    for k in want:
        positions = {"c1": 28 * 28, "c3": 10 * 10}.get(k.split(".")[0], 1)
        assert_close(
            got[k],
            want[k],
            terms=max(batch * positions, LONGEST_SUM),
            magnitude=np.abs(want[k]).max(),
            what=k,
        )


def _worst(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    assert set(a) == set(b)
    return max(rel_error(a[k], b[k]) for k in a)


@pytest.mark.parametrize("n", [1, 5, 33])
def test_step_equals_the_taught_model(n):
    model = LeNet5(seed=1, dtype=np.float64)
    rng = _rng(n)
    x, y = rng.standard_normal((n, 1, 32, 32)), rng.integers(0, 10, n)
    loss, grads, logits = fast.loss_and_grads(model.params, x, y, fast.Workspace())
    ref_loss, ref_grads, ref_logits = model.loss_and_grads(x, y)
    _assert_loss_close(loss, ref_loss, model.params)
    _assert_logits_close(logits, ref_logits, model.params)
    _assert_grads_close(grads, ref_grads, n)
    assert all(grads[k].shape == model.params[k].shape for k in grads)


def test_step_passes_its_own_gradient_check():
    """Not only equal to the taught model: right by finite differences too."""
    step = fast.TrainingStep(LeNet5(seed=2, dtype=np.float64).params, threads=1)
    rng = _rng(3)
    x, y = rng.standard_normal((3, 1, 32, 32)), rng.integers(0, 10, 3)

    class FastModel:
        params = step.params
        loss_and_grads = staticmethod(step)

    errors = check_network_gradients(FastModel(), x, y, max_entries=12, seed=4)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_split_the_batch_and_add_up(threads):
    params = LeNet5(seed=5, dtype=np.float64).params
    rng = _rng(6)
    x, y = rng.standard_normal((48, 1, 32, 32)), rng.integers(0, 10, 48)
    one = fast.TrainingStep(params, threads=1)(x, y)
    split = fast.TrainingStep(params, threads=threads)
    many = split(x, y)
    split.close()
    # Threads add the batch in another order: the logits differ by a few ulps of
    # their largest terms, not of themselves (a logit near zero has no room for
    # a relative tolerance; an AVX-512 kernel showed 2e-12 relative at 2e-5).
    _assert_loss_close(many[0], one[0], params)
    _assert_logits_close(many[2], one[2], params)
    _assert_grads_close(many[1], one[1], 48)


def test_small_batches_stay_in_one_thread():
    step = fast.TrainingStep(LeNet5(seed=0).params, threads=4)
    rng = _rng(7)
    step(
        rng.standard_normal((20, 1, 32, 32)).astype(np.float32), rng.integers(0, 10, 20)
    )
    assert step.workspaces[0].arrays and not step.workspaces[1].arrays


def test_float32_in_float32_out():
    model = LeNet5(seed=0)
    rng = _rng(8)
    x, y = (
        rng.standard_normal((8, 1, 32, 32)).astype(np.float32),
        rng.integers(0, 10, 8),
    )
    loss, grads, logits = fast.TrainingStep(model.params, threads=2)(x, y)
    assert logits.dtype == np.float32 and all(
        g.dtype == np.float32 for g in grads.values()
    )
    _, ref_grads, _ = model.loss_and_grads(x, y)
    assert max(rel_error_norm(grads[k], ref_grads[k]) for k in grads) < 1e-5


def test_workspace_reuses_arrays_until_the_shape_changes():
    ws = fast.Workspace()
    a = ws.get("a", (3, 4), np.float32)
    assert ws.get("a", (3, 4), np.float32) is a
    assert ws.get("a", (2, 4), np.float32) is not a
    assert ws.get("a", (2, 4), np.float64).dtype == np.float64
    assert ws.nbytes == 2 * 4 * 8


def test_repeated_steps_give_the_same_answer():
    """Buffers reused from the last step leave nothing behind that changes the next."""
    params = LeNet5(seed=9, dtype=np.float64).params
    rng = _rng(10)
    x, y = rng.standard_normal((16, 1, 32, 32)), rng.integers(0, 10, 16)
    step = fast.TrainingStep(params, threads=1)
    first = step(x, y)
    step(rng.standard_normal((16, 1, 32, 32)), rng.integers(0, 10, 16))
    again = step(x, y)
    assert again[0] == first[0] and _worst(again[1], first[1]) == 0


def test_conv_layers_match_the_taught_ones():
    rng = _rng(11)
    x = rng.standard_normal((3, 6, 14, 14))
    w, b = rng.standard_normal((16, 6, 5, 5)), rng.standard_normal(16)
    ws = fast.Workspace()
    h = fast.conv_tanh_forward(_bl(x), w, b, ws, "c")
    a, cache = L.conv_forward(x, w, b)
    # the same layer on absolute values gives sum|terms| for every output
    a_abs, cache_abs = L.conv_forward(np.abs(x), np.abs(w), np.abs(b))
    assert_close(h, _bl(np.tanh(a)), terms=6 * 25, magnitude=_bl(a_abs), what="h")
    dout = rng.standard_normal(a.shape)
    dx, dw, db = fast.conv_backward(_bl(dout), _bl(x), w, ws, "c")
    ref_dx, ref_dw, ref_db = L.conv_backward(dout, cache)
    dx_abs, dw_abs, db_abs = L.conv_backward(np.abs(dout), cache_abs)
    assert_close(dx, _bl(ref_dx), terms=16 * 25, magnitude=_bl(dx_abs), what="dx")
    assert_close(dw, ref_dw, terms=3 * 10 * 10, magnitude=dw_abs, what="dw")
    assert_close(db, ref_db, terms=3 * 10 * 10, magnitude=db_abs, what="db")
    no_dx, dw_again, _ = fast.conv_backward(
        _bl(dout), _bl(x), w, ws, "c", need_dx=False
    )
    assert no_dx is None and np.array_equal(dw_again, dw)


def test_pooling_and_its_fused_backward_match_the_taught_layers():
    rng = _rng(12)
    a = rng.standard_normal((2, 6, 28, 28))
    h, tanh_cache = L.tanh_forward(a)
    ws = fast.Workspace()
    pooled = fast.avg_pool_forward(_bl(h), ws, "s")
    ref, pool_cache = L.avg_pool_forward(h, 2)
    ref_abs, _ = L.avg_pool_forward(np.abs(h), 2)
    assert_close(pooled, _bl(ref), terms=4, magnitude=_bl(ref_abs), what="pooled")
    dpool = rng.standard_normal(ref.shape)
    da = fast.avg_pool_tanh_backward(_bl(dpool), _bl(h), ws, "s")
    spread = L.avg_pool_backward(dpool, pool_cache)
    ref_da = L.tanh_backward(spread, tanh_cache)
    # no sums: a handful of roundings of each |dpool| / 4 (tanh's slope is at most 1)
    assert_close(da, _bl(ref_da), terms=4, magnitude=_bl(np.abs(spread)), what="da")


def test_to_batch_last_is_a_transpose():
    x = _rng(13).standard_normal((5, 1, 32, 32)).astype(np.float32)
    assert np.array_equal(fast.to_batch_last(x, fast.Workspace()), _bl(x))


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        fast.TrainingStep(LeNet5().params, threads=0)
    assert 1 <= fast.default_threads() <= 4


def test_training_with_one_or_two_threads_gives_the_same_curve():
    rng = _rng(14)
    x = rng.standard_normal((96, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    histories = []
    for threads in (1, 2):
        model = LeNet5(seed=0)
        histories.append(
            train(
                model,
                x,
                y,
                recipe=lenet5.Recipe(epochs=2, batch_size=48, learning_rate=0.05),
                show_progress=False,
                fast=True,
                threads=threads,
            )
        )
    # float32 training, 4 steps: the threads' rounding (float32 eps 1.2e-7 of the
    # terms) feeds back through the updates; 1e-4 of a loss near 2.3 is far above it
    # and far below a wrong step. The loss is not near zero, so relative is right.
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-4)
    assert histories[0]["loss"][1] < histories[0]["loss"][0]
