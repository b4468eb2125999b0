"""The output-size chapter's checks: NumPy numbers accepted, each typical slip named."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import shapes
from lenet_common.exercises import shapes as ex

Q = ex.STRIDED_QUESTION
RIGHT = (Q["size"] + 2 * Q["padding"] - Q["kernel"]) // Q["stride"] + 1

NUMPY_FORMS = (np.int64, np.int32, np.float64, np.array, float)


@pytest.mark.parametrize("form", NUMPY_FORMS)
def test_strided_output_size_accepts_numpy_numbers(form):
    assert ex.check_strided_output_size(form(RIGHT))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (RIGHT - 1, "add 1"),
        ((Q["size"] - Q["kernel"]) // Q["stride"] + 1, "left the padding out"),
        (Q["size"] + 2 * Q["padding"] - Q["kernel"] + 1, "divide by the stride"),
        (1000, "rounded down"),
        (112.5, "whole number"),
        (None, "should be a number"),
        ("112", "text"),
    ],
)
def test_strided_output_size_names_the_slip(wrong, hint):
    result = ex.check_strided_output_size(wrong)
    assert not result and hint in result.message


def right(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def test_output_size_function_accepts_numpy_results():
    assert ex.check_output_size_function(right)
    assert ex.check_output_size_function(lambda *a: np.int64(right(*a)))
    assert ex.check_output_size_function(lambda *a: np.array(right(*a)))
    assert ex.check_output_size_function(lambda *a: float(right(*a)))
    # what arithmetic on NumPy shapes gives
    assert ex.check_output_size_function(
        lambda n, k, s, p, d: (np.int64(n) + 2 * p - d * (k - 1) - 1) // s + 1
    )


@pytest.mark.parametrize(
    "slip, hint",
    [
        (lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, "dilation spreads"),
        (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1, "floor division"),
        (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s, "add 1"),
        (lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1, "BOTH sides"),
        (lambda n, k, s, p, d: n, "unchanged"),
        (lambda n, k, s, p, d: n - d * (k - 1), "stride and the padding too"),
        (lambda *a: right(*a) + 2, "padded size - kernel span"),
    ],
)
def test_output_size_function_names_the_slip(slip, hint):
    result = ex.check_output_size_function(slip)
    assert not result and hint in result.message


def test_output_size_function_failures_are_sentences():
    def crashes(*a):
        raise ZeroDivisionError("oops")

    def starter(size, kernel, stride, padding, dilation):
        raise NotImplementedError

    crash = ex.check_output_size_function(crashes)
    assert "your code raised ZeroDivisionError: oops" in crash.message
    assert "returned None" in ex.check_output_size_function(lambda *a: None).message
    assert "should be a function" in ex.check_output_size_function(42).message
    assert ex.check_output_size_function(starter).status == "not attempted"


def c3_answers():
    pairs = sum(sum(row) for row in shapes.c3_connection_table())
    return 16 * 6 * 25 + 16, pairs * 25 + 16, pairs


def test_c3_params():
    modern, paper, pairs = c3_answers()
    assert ex.check_c3_params(modern, paper)
    assert ex.check_c3_params(np.int64(modern), np.float64(paper))
    assert "bias" in ex.check_c3_params(16 * 6 * 25, paper).message
    assert "PER INPUT MAP" in ex.check_c3_params(16 * 25 + 16, paper).message
    assert "16 biases" in ex.check_c3_params(modern, pairs * 25).message
    assert (
        "not one per connected pair" in ex.check_c3_params(modern, pairs * 26).message
    )
    assert "Table I" in ex.check_c3_params(modern, modern).message
    assert "should be a number" in ex.check_c3_params(None, paper).message
    assert ex.check_c3_params(..., ...).status == "not attempted"


@pytest.mark.parametrize("form", NUMPY_FORMS)
def test_c1_padding_accepts_numpy_numbers(form):
    assert ex.check_c1_padding_for_28(form(2))


def test_c1_padding_names_the_slip():
    assert (
        "does not fit" in ex.check_c1_padding_for_28(0).message
    )  # C5 meets a 4x4 input
    assert "C1's output 30x30" in ex.check_c1_padding_for_28(3).message
    assert "EACH side" in ex.check_c1_padding_for_28(4).message
    assert "0 or more" in ex.check_c1_padding_for_28(-1).message
    assert "text" in ex.check_c1_padding_for_28("2").message


def test_overlapping_receptive_field():
    rows = shapes.layer_table((1, 32, 32), ex.overlapping_s2_layers())
    assert rows[1].out_shape == (6, 14, 14)
    expected = next(r for r in rows if r.name == "C5").receptive_field
    for form in NUMPY_FORMS:
        assert ex.check_overlapping_receptive_field(form(expected))
    book = next(r for r in shapes.lenet5_table() if r.name == "C5").receptive_field
    assert "book's network" in ex.check_overlapping_receptive_field(book).message
    assert "layer by layer" in ex.check_overlapping_receptive_field(30).message
    assert "whole number" in ex.check_overlapping_receptive_field(33.5).message
    assert ex.check_overlapping_receptive_field(...).status == "not attempted"
