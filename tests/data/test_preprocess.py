"""The paper's preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.data.preprocess import (
    pad_to_32,
    paper_scale,
    resize_bilinear,
    standardize,
    stratified_split,
)


def test_pad_keeps_the_digit_and_adds_a_blank_border():
    x = np.random.default_rng(0).integers(1, 256, (2, 28, 28), dtype=np.uint8)
    p = pad_to_32(x)
    assert p.shape == (2, 32, 32) and p.dtype == np.uint8
    np.testing.assert_array_equal(p[:, 2:30, 2:30], x)
    border = p.copy()
    border[:, 2:30, 2:30] = 0
    assert not border.any()


def test_pad_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="28x28"):
        pad_to_32(np.zeros((1, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        pad_to_32(np.zeros((28, 28), np.uint8))


def test_resize_stretches_instead_of_padding():
    x = np.zeros((1, 28, 28), np.uint8)
    x[0, 4:24, 4:24] = 255  # a 20x20 box, like an MNIST digit's
    r = resize_bilinear(x, 32)
    assert r.shape == (1, 32, 32)
    ink_resized = (r[0] > 127).sum()
    ink_padded = (pad_to_32(x)[0] > 127).sum()
    assert ink_resized > ink_padded  # the strokes got bigger
    np.testing.assert_allclose(resize_bilinear(x, 28), x.astype(np.float32))


def test_paper_scale_maps_background_and_ink():
    out = paper_scale(np.array([[0, 255]], np.uint8))
    np.testing.assert_allclose(out, [[-0.1, 1.175]], rtol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        paper_scale(np.zeros(2, np.float32))


def test_standardize():
    np.testing.assert_allclose(
        standardize(np.array([0, 255], np.uint8), 0.5, 0.5), [-1, 1]
    )
    with pytest.raises(ValueError, match="positive"):
        standardize(np.zeros(2), 0.0, 0.0)


def test_stratified_split_rounds_to_exact_size():
    labels = np.array([0] * 7 + [1] * 5 + [2] * 3)
    tr, va = stratified_split(labels, 4, seed=1)
    assert len(va) == 4 and len(tr) == 11
    assert np.all(np.diff(va) > 0)
