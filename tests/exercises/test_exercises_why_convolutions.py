"""The "Why convolutions" chapter's checks: right answers in any numeric form, each
typical mistake named, the starter not attempted."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.exercises import why_convolutions as ex
from lenet_common.why_convolutions.shifting import shift

C3_DENSE = 6 * 14 * 14 * 16 * 10 * 10 + 16 * 10 * 10


@pytest.mark.parametrize("form", (int, np.int64, np.float64, np.array))
def test_c3_dense_count_accepts_numbers_in_any_form(form):
    assert ex.check_c3_dense_count(form(C3_DENSE))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (C3_DENSE - 1600, "add the biases"),
        (1600 * 151, "ALL of S2"),
        (2416, "shares nothing"),
        (12345, "plus one bias per output"),
        ("1883200", "text"),
        (None, "number"),
    ],
)
def test_c3_dense_count_names_the_slip(wrong, hint):
    result = ex.check_c3_dense_count(wrong)
    assert not result and hint in result.message


def test_c3_dense_count_starter():
    assert ex.check_c3_dense_count(...).status == "not attempted"


def test_s4_shift():
    assert ex.check_s4_shift(4) and ex.check_s4_shift(np.int64(4))
    for wrong, hint in [
        (2, "S4 pools those maps again"),
        (1, "halves"),
        (8, "multiply the strides"),
        (4.5, "whole number"),
    ]:
        result = ex.check_s4_shift(wrong)
        assert not result and hint in result.message
    assert ex.check_s4_shift(...).status == "not attempted"


def test_s4_shift_answer_is_what_the_network_does():
    """Moving the input by 4 pixels moves S4's maps by exactly one position."""
    from lenet_common.numpy_lenet import LeNet5

    model = LeNet5(seed=3, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 1, 32, 32))
    x[:, :, :1, :1] = 0.0
    before = model.feature_maps(x)["s4"]
    after = model.feature_maps(shift(x, 0, 4))["s4"]
    assert np.allclose(after[..., 1:], before[..., :-1], atol=1e-12)
    moved_two = model.feature_maps(shift(x, 0, 2))["s4"]
    assert not np.allclose(moved_two[..., 1:], before[..., :-1], atol=1e-3)


def zero_filled(images, dy, dx):
    height, width = images.shape[2:]
    out = np.zeros_like(images)
    out[:, :, max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = (
        images[
            :, :, max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
        ]
    )
    return out


@pytest.mark.parametrize(
    "slip, hint",
    [
        (lambda x, dy, dx: np.roll(x, (dy, dx), axis=(2, 3)), "np.roll wraps"),
        (lambda x, dy, dx: shift(x, -dy, -dx), "wrong way"),
        (zero_filled, "not with 0"),
        (lambda x, dy, dx: x, "copy x"),
        (lambda x, dy, dx: x[:, :, 1:], "shape"),
        (lambda x, dy, dx: "moved", "array"),
    ],
)
def test_shift_function_names_the_slip(slip, hint):
    result = ex.check_shift_function(slip)
    assert not result and hint in result.message


def test_shift_function_accepts_the_reference_and_reports_errors():
    assert ex.check_shift_function(shift)
    assert ex.check_shift_function(lambda x, dy, dx: shift(x, dy, dx).tolist())

    def raises(x, dy, dx):
        raise IndexError("out of range")

    result = ex.check_shift_function(raises)
    assert not result and "IndexError" in result.message

    def starter(x, dy, dx):
        raise NotImplementedError

    assert ex.check_shift_function(starter).status == "not attempted"
    assert "function" in ex.check_shift_function(3).message
