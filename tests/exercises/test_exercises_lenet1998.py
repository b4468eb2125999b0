"""The 1998-network chapter's checks, with the reference and the typical mistakes."""

from __future__ import annotations

import numpy as np

from lenet_common.exercises import lenet1998 as ex


def test_c3_connections():
    right = (60 * 25 + 16) * 100
    for form in (right, np.int64(right), float(right), np.array(right)):
        assert ex.check_c3_connections(form)
    assert "trainable parameters" in ex.check_c3_connections(1516).message
    assert "fully connected" in ex.check_c3_connections((96 * 25 + 16) * 100).message
    assert "biases" in ex.check_c3_connections(60 * 25 * 100).message
    assert "map pairs" in ex.check_c3_connections(60).message
    assert "should be a number" in ex.check_c3_connections("151600").message
    assert ex.check_c3_connections(...).status == "not attempted"


def test_fixed_codes():
    assert ex.check_fixed_codes("c") and ex.check_fixed_codes(" C ")
    assert "memory" in ex.check_fixed_codes("a").message
    collapse = ex.check_fixed_codes("b")  # the misreading: MAP prevents the collapse
    assert not collapse and "second term" in collapse.message
    assert "differentiable" in ex.check_fixed_codes("d").message
    assert "one of the letters" in ex.check_fixed_codes("e").message
    assert "one of the letters" in ex.check_fixed_codes(2).message
    assert ex.check_fixed_codes(...).status == "not attempted"


def test_shear_matrix():
    assert ex.check_shear_matrix(lambda h: np.array([[1.0, -h, 0.0], [0.0, 1.0, 0.0]]))
    assert ex.check_shear_matrix(lambda h: [[1, -h, 0], [0, 1, 0]])
    forward = ex.check_shear_matrix(
        lambda h: np.array([[1.0, h, 0.0], [0.0, 1.0, 0.0]])
    )
    assert "inverse" in forward.message and not forward
    swapped = ex.check_shear_matrix(
        lambda h: np.array([[1.0, 0.0, 0.0], [h, 1.0, 0.0]])
    )
    assert "row 0" in swapped.message
    assert "shape (2, 2)" in ex.check_shear_matrix(lambda h: np.eye(2)).message
    assert "None" in ex.check_shear_matrix(lambda h: None).message


def test_shear_matrix_code_that_raises_or_is_untouched():
    def broken(h):
        raise ZeroDivisionError("oops")

    def starter(h):
        raise NotImplementedError

    assert (
        "your code raised ZeroDivisionError: oops"
        in ex.check_shear_matrix(broken).message
    )
    assert ex.check_shear_matrix(starter).status == "not attempted"
    assert "should be a function" in ex.check_shear_matrix(3).message
