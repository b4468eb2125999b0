"""Tests of the distortions (lenet_common.lenet1998.distortions and their torch use)."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import data
from lenet_common.data.preprocess import pad_to_32, paper_scale
from lenet_common.lenet1998 import distortions as D


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    raw = data.load_mnist(quick=True)
    return paper_scale(pad_to_32(raw.test_images[:40])), raw.test_labels[:40]


def test_identity_grid_returns_the_image(digits):
    x, _ = digits
    theta = D.affine_matrices(
        *np.zeros((2, len(x))), np.ones(len(x)), *np.zeros((2, len(x)))
    )
    np.testing.assert_allclose(D.sample_bilinear(x, D.affine_grid(theta)), x, atol=1e-6)


def test_a_shift_of_one_pixel_moves_the_digit_by_one_pixel(digits):
    x, _ = digits
    n = len(x)
    theta = D.affine_matrices(
        np.ones(n), 2 * np.ones(n), np.ones(n), np.zeros(n), np.zeros(n)
    )
    moved = D.sample_bilinear(x, D.affine_grid(theta))
    np.testing.assert_allclose(moved[:, 2:, 1:], x[:, :-2, :-1], atol=1e-5)


def test_distortions_keep_the_image_range_and_labels(digits):
    x, _ = digits
    rng = np.random.default_rng(0)
    # image i filled with its own grey level: a distortion can only move ink,
    # so each output must keep the level of the image at its own position
    levels = np.linspace(-0.1, 1.175, 7, dtype=np.float32)
    flat = np.broadcast_to(levels[:, None, None], (7, 32, 32)).copy()
    for kind in ("affine", "elastic"):
        out = D.sample_bilinear(x, D.random_grid(kind, len(x), rng))
        assert out.shape == x.shape and out.dtype == x.dtype
        assert out.min() >= x.min() - 1e-6 and out.max() <= x.max() + 1e-6, kind
        assert not np.allclose(out, x), kind
        same = D.sample_bilinear(flat, D.random_grid(kind, len(flat), rng))
        np.testing.assert_allclose(same, flat, atol=1e-6)
    assert D.random_grid("none", 3, rng) is None
    with pytest.raises(ValueError, match="unknown distortion"):
        D.random_grid("rotation", 3, rng)


def test_zero_strength_elastic_distortion_is_the_identity(digits):
    x, _ = digits
    grid = D.elastic_grid(len(x), np.random.default_rng(0), D.ElasticParams(alpha=0.0))
    np.testing.assert_allclose(D.sample_bilinear(x, grid), x, atol=1e-6)


def test_random_affine_stays_within_its_ranges():
    ranges = D.AffineRanges(shift=2.0, scale=0.1, squeeze=0.1, shear=0.25)
    theta = D.random_affine(2000, np.random.default_rng(0), ranges).astype(np.float64)
    forward = np.linalg.inv(theta[:, :, :2])
    shift_px = np.einsum("nij,nj->ni", forward, -theta[:, :, 2]) * 32 / 2
    assert np.abs(shift_px).max() <= 2.0 + 1e-4
    # the determinant of the forward map is scale**2 (squeeze and shear keep areas)
    det = np.linalg.det(forward)
    assert det.min() >= 0.9**2 - 1e-4 and det.max() <= 1.1**2 + 1e-4


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="whole number"):
        D.random_affine(-1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="theta must have shape"):
        D.affine_grid(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="must match"):
        D.sample_bilinear(np.zeros((2, 32, 32)), np.zeros((2, 32, 32, 3)))


def test_numpy_grids_and_sampling_equal_pytorchs(digits):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    from lenet_common.lenet1998.model import distort

    x, _ = digits
    rng = np.random.default_rng(1)
    theta = D.random_affine(len(x), rng)
    grid = D.affine_grid(theta)
    torch_grid = F.affine_grid(
        torch.as_tensor(theta), (len(x), 1, 32, 32), align_corners=False
    )
    np.testing.assert_allclose(grid, torch_grid.numpy(), atol=1e-6)
    for g in (grid, D.elastic_grid(len(x), rng)):
        want = D.sample_bilinear(x, g)
        got = distort(torch.as_tensor(x[:, None]), g)[:, 0].numpy()
        np.testing.assert_allclose(got, want, atol=1e-5)
