"""The data chapter's checks: right answers in any numeric form, each typical mistake
named."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.exercises import data as checks


@pytest.fixture
def x(monkeypatch):
    """Stand-in training images, which the checks also take as their reference."""
    x = np.zeros((20, 28, 28), np.uint8)
    x[:, 10:18, 12:16] = 200
    x[:, 9, 12:16] = 80
    monkeypatch.setattr(checks, "_reference_train_images", lambda full: x)
    return x


def test_checks_judge_against_their_own_images_not_the_ones_passed(x):
    """A right answer for other images is refused: the check loads its own."""
    blank = np.zeros_like(x)
    for result in (
        checks.check_zero_fraction(1.0, blank),
        checks.check_normalisation(0.0, 0.0, blank),
        checks.check_pad(lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2))), blank),
        checks.check_zero_fraction(float(np.mean(x[:5] == 0)), x[:5]),
    ):
        assert not result
        assert "not the training images" in result.message
        assert "pass raw.train_images, unchanged" in result.message


def test_the_reference_is_the_chapters_own_data(monkeypatch):
    """Unpatched, the check compares with data.load_mnist()'s images (the sample
    in quick mode), and accepts them."""
    from lenet_common import data

    monkeypatch.setenv("LENET_QUICK", "1")
    raw = data.load_mnist(quick=True)
    assert checks.check_zero_fraction(
        float(np.mean(raw.train_images == 0)), raw.train_images
    )
    assert not checks.check_zero_fraction(0.5, raw.train_images)


def padded(x):
    return np.pad(x, ((0, 0), (2, 2), (2, 2))) / 255.0


def test_zero_fraction(x):
    right = np.mean(x == 0)
    for form in (right, float(right), np.array(right), np.float32(right)):
        assert checks.check_zero_fraction(form, x)
    assert "percentage" in checks.check_zero_fraction(100 * right, x).message
    assert (
        "number of zero pixels" in checks.check_zero_fraction(np.sum(x == 0), x).message
    )
    assert "NOT 0" in checks.check_zero_fraction(np.mean(x != 0), x).message
    assert (
        "mean of the resulting booleans" in checks.check_zero_fraction(0.5, x).message
    )


@pytest.mark.parametrize(
    "wrong, words", [(None, "None"), ("0.8", "text"), (..., "Not attempted")]
)
def test_zero_fraction_wrong_types(x, wrong, words):
    result = checks.check_zero_fraction(wrong, x)
    assert not result and words in result.message


def test_normalisation(x):
    p = padded(x)
    assert checks.check_normalisation(p.mean(), p.std(), x)
    assert checks.check_normalisation(np.float32(p.mean()), np.array(p.std()), x)
    unpadded = checks.check_normalisation(x.mean() / 255.0, (x / 255.0).std(), x)
    assert not unpadded and "28x28" in unpadded.message
    variance = checks.check_normalisation(p.mean(), p.var(), x)
    assert not variance and "variance" in variance.message
    unscaled = checks.check_normalisation(255 * p.mean(), 255 * p.std(), x)
    assert not unscaled and "divide by 255" in unscaled.message
    assert "None" in checks.check_normalisation(None, p.std(), x).message
    assert "text" in checks.check_normalisation("0.1", p.std(), x).message
    assert checks.check_normalisation(..., ..., x).status == "not attempted"


def test_pad(x):
    assert checks.check_pad(lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2))), x)
    corner = checks.check_pad(lambda a: np.pad(a, ((0, 0), (0, 4), (0, 4))), x)
    assert "centred" in corner.message
    batch_too = checks.check_pad(lambda a: np.pad(a, 2), x)
    assert "not the batch axis" in batch_too.message
    rescaled = checks.check_pad(
        lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2))) / 255.0, x
    )
    assert "do not rescale" in rescaled.message
    no_return = checks.check_pad(lambda a: None, x)
    assert "returned None" in no_return.message
    crash = checks.check_pad(lambda a: 1 / 0, x)
    assert "your code raised ZeroDivisionError" in crash.message
    assert "Traceback" not in crash.message
    assert "should be a function" in checks.check_pad("my_pad", x).message


def test_pad_starter_is_not_attempted(x):
    def my_pad(images):
        raise NotImplementedError

    assert checks.check_pad(my_pad, x).status == "not attempted"
