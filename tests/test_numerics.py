"""The comparison rule of the numerical tests: summation order passes, a wrong result fails."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.numerics import assert_close, close, tolerance


def _two_orders(dtype, n=400, seed=0):
    """One dot product per row summed forwards and in a shuffled order."""
    rng = np.random.default_rng(seed)
    terms = rng.standard_normal((50, n)).astype(dtype)
    terms[:, -1] = -terms[:, :-1].sum(axis=1)  # rows that sum to (nearly) zero
    forwards = np.array([sum(row.tolist()[1:], row[0]) for row in terms], dtype=dtype)
    shuffled = np.array([np.sum(row[rng.permutation(n)]) for row in terms], dtype=dtype)
    return forwards, shuffled, np.abs(terms).sum(axis=1), n


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_another_summation_order_passes_even_near_zero(dtype):
    forwards, shuffled, magnitude, n = _two_orders(dtype)
    assert np.abs(shuffled).max() < 1e-2 * magnitude.min()  # results near zero
    assert_close(shuffled, forwards, terms=n, magnitude=magnitude)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_error_of_a_thousandth_of_the_terms_fails(dtype):
    forwards, shuffled, magnitude, n = _two_orders(dtype)
    wrong = shuffled.copy()
    wrong[7] += 1e-3 * magnitude[7]
    assert not close(wrong, forwards, terms=n, magnitude=magnitude)[7]
    with pytest.raises(AssertionError, match=r"1 of 50 elements .* worst at \(7,\)"):
        assert_close(wrong, forwards, terms=n, magnitude=magnitude, what="sums")


def test_the_less_precise_operand_sets_the_rounding():
    assert tolerance(1.0, 10, np.float32) == pytest.approx(
        10 * np.finfo(np.float32).eps
    )
    a, b = np.float32(1.0), np.float64(1.0 + 5 * np.finfo(np.float32).eps)
    assert close(a, b, terms=10, magnitude=1.0)
    assert not close(np.float64(1.0), b, terms=10, magnitude=1.0, dtype=np.float64)


def test_shapes_must_agree_and_terms_count():
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_close(np.zeros(3), np.zeros(4), terms=1, magnitude=1.0)
    with pytest.raises(ValueError, match="terms"):
        tolerance(1.0, 0)
