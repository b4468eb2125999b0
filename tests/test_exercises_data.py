"""The data chapter's exercise checks accept right answers and reject wrong ones."""

from __future__ import annotations

import numpy as np

from lenet_common.exercises import data as checks
from lenet_common.exercises import report


def images():
    x = np.zeros((20, 28, 28), np.uint8)
    x[:, 10:18, 12:16] = 200
    return x


def test_report_wording():
    assert str(report(True, "yes.")) == "Correct: yes." and bool(report(True, "yes."))
    r = report(False, "no.", "try this.")
    assert not r and repr(r) == "Not yet: no. Hint: try this."


def test_zero_fraction():
    x = images()
    right = float(np.mean(x == 0))
    assert checks.check_zero_fraction(right, x)
    wrong = checks.check_zero_fraction(right * 100, x)
    assert not wrong and "percentage" in repr(wrong)


def test_normalisation():
    x = images()
    p = np.pad(x, ((0, 0), (2, 2), (2, 2))) / 255.0
    assert checks.check_normalisation(p.mean(), p.std(), x)
    unpadded = checks.check_normalisation(x.mean() / 255.0, (x / 255.0).std(), x)
    assert not unpadded and "28x28" in repr(unpadded)
    variance = checks.check_normalisation(p.mean(), p.var(), x)
    assert not variance and "variance" in repr(variance)


def test_pad():
    x = images()
    assert checks.check_pad(lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2))), x)
    assert "not where they belong" in repr(checks.check_pad(lambda a: np.pad(a, ((0, 0), (0, 4), (0, 4))), x))
    assert "shape" in repr(checks.check_pad(lambda a: np.pad(a, 2), x))
    assert "raised ZeroDivisionError" in repr(checks.check_pad(lambda a: 1 / 0, x))
