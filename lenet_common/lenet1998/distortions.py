"""Random distortions of digit images: the paper's planar affine ones, and elastic ones.

The 1998 paper trained LeNet-5 on artificially distorted copies of the
training digits: combinations of translation, scaling, squeezing (one axis
stretched while the other shrinks) and horizontal shearing. It names the
kinds of transformation but not their ranges; the ranges below are this
book's. Elastic distortions (Simard, Steinkraus and Platt, 2003: smoothed
random displacement fields) came later; they are here for comparison.

All the maths is here, in NumPy: a distortion is a *sampling grid* that
says, for every output pixel, which point of the input image to read. Grids
use the convention of PyTorch's ``F.affine_grid``/``F.grid_sample`` with
``align_corners=False``: coordinates from -1 to 1 across the image, ``x``
(column) first. :func:`sample_bilinear` reads images through a grid in
NumPy, to draw examples; training hands the same grids to
``F.grid_sample`` (see :func:`lenet_common.lenet1998.model.distort`).
Points outside the image read the nearest border pixel, which is
background, so the image's range never grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "AffineRanges",
    "ElasticParams",
    "DISTORTIONS",
    "affine_matrices",
    "random_affine",
    "affine_grid",
    "elastic_displacements",
    "elastic_grid",
    "random_grid",
    "sample_bilinear",
]

#: The kinds :func:`random_grid` knows.
DISTORTIONS = ("none", "affine", "elastic")


@dataclass(frozen=True)
class AffineRanges:
    """Ranges of the paper's kinds of planar affine distortion (each drawn uniformly).

    ``shift``: translation in pixels, each axis in ``[-shift, shift]``;
    ``scale``: overall size factor in ``[1 - scale, 1 + scale]``;
    ``squeeze``: width times ``1 + q``, height divided by it, ``q`` in
    ``[-squeeze, squeeze]``; ``shear``: horizontal shear ``x += shear * y``.
    """

    shift: float = 2.0
    scale: float = 0.1
    squeeze: float = 0.1
    shear: float = 0.25


@dataclass(frozen=True)
class ElasticParams:
    """Elastic distortion: ``alpha`` times a random field smoothed over ``sigma`` px."""

    alpha: float = 34.0
    sigma: float = 4.0


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(
            f"the number of distortions must be a whole number >= 0, got {n!r}"
        )
    return int(n)


def affine_matrices(
    shift_x: np.ndarray,
    shift_y: np.ndarray,
    scale: np.ndarray,
    squeeze: np.ndarray,
    shear: np.ndarray,
    size: int = 32,
) -> np.ndarray:
    """Sampling matrices ``theta`` (N, 2, 3) for given distortions (arrays of N values).

    The distortion moves a point ``p`` of the digit (pixels, from the image
    centre, ``x`` right, ``y`` down) to ``A p + t``, with
    ``A = shear @ squeeze @ scale`` and ``t = (shift_x, shift_y)``. A
    sampling grid goes the other way: output pixel ``q`` reads the input at
    ``A^-1 (q - t)``. Pixels become grid units (-1 to 1 across ``size``
    pixels) by the factor ``2 / size``, which changes ``t`` only.
    """
    sx, sy, s, q, h = (
        np.asarray(v, dtype=np.float64)
        for v in (shift_x, shift_y, scale, squeeze, shear)
    )
    n = sx.shape[0]
    stretch = np.zeros((n, 2, 2))
    stretch[:, 0, 0] = s * (1 + q)
    stretch[:, 1, 1] = s / (1 + q)
    shearing = np.tile(np.eye(2), (n, 1, 1))
    shearing[:, 0, 1] = h
    forward = shearing @ stretch
    inverse = np.linalg.inv(forward)
    t = np.stack([sx, sy], axis=1) * (2.0 / size)
    theta = np.empty((n, 2, 3))
    theta[:, :, :2] = inverse
    theta[:, :, 2] = -np.einsum("nij,nj->ni", inverse, t)
    return theta.astype(np.float32)


def random_affine(
    n: int,
    rng: np.random.Generator,
    ranges: AffineRanges = AffineRanges(),
    size: int = 32,
) -> np.ndarray:
    """``n`` random sampling matrices (N, 2, 3): the paper's kinds, our ranges."""
    n = _check_count(n)
    r = ranges

    def uniform(half_width: float) -> np.ndarray:
        return rng.uniform(-half_width, half_width, n)

    return affine_matrices(
        uniform(r.shift),
        uniform(r.shift),
        1 + uniform(r.scale),
        uniform(r.squeeze),
        uniform(r.shear),
        size,
    )


def _base_grid(size: int) -> np.ndarray:
    """Pixel centres in grid units: ``(2 i + 1) / size - 1`` for i = 0 .. size-1."""
    return (2 * np.arange(size) + 1) / size - 1


def affine_grid(theta: np.ndarray, size: int = 32) -> np.ndarray:
    """Sampling grids (N, size, size, 2) of ``theta`` (N, 2, 3), as F.affine_grid."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 3 or theta.shape[1:] != (2, 3):
        raise ValueError(f"theta must have shape (N, 2, 3), got {theta.shape}")
    c = _base_grid(size)
    xs, ys = np.meshgrid(c, c)  # xs varies along columns, ys along rows
    points = np.stack([xs, ys, np.ones_like(xs)], axis=-1).reshape(1, -1, 3)
    # one matrix product per image: 25 times faster than the same np.einsum
    grid = points @ theta.transpose(0, 2, 1)  # (N, H*W, 2)
    return grid.reshape(len(theta), size, size, 2).astype(np.float32)


def _gaussian_matrix(size: int, sigma: float) -> np.ndarray:
    """The (size, size) matrix that smooths a row with a normalised Gaussian."""
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :]
    g = np.exp(-0.5 * (offsets / sigma) ** 2) * (np.abs(offsets) <= radius)
    total = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2).sum()
    return g / total


def elastic_displacements(
    n: int,
    rng: np.random.Generator,
    params: ElasticParams = ElasticParams(),
    size: int = 32,
) -> np.ndarray:
    """Random displacement fields (N, size, size, 2) in pixels, ``(dx, dy)`` per pixel.

    Each component is uniform noise in [-1, 1] per pixel, smoothed by a
    Gaussian of ``sigma`` pixels (rows, then columns: ``G @ U @ G.T``) and
    scaled by ``alpha``, as Simard et al. describe.
    """
    n = _check_count(n)
    if not (params.sigma > 0 and params.alpha >= 0):
        raise ValueError(f"sigma must be > 0 and alpha >= 0, got {params}")
    g = _gaussian_matrix(size, params.sigma)
    noise = rng.uniform(-1.0, 1.0, (n, 2, size, size))
    smooth = g @ noise @ g.T
    return (params.alpha * smooth).transpose(0, 2, 3, 1)


def elastic_grid(
    n: int,
    rng: np.random.Generator,
    params: ElasticParams = ElasticParams(),
    size: int = 32,
) -> np.ndarray:
    """Sampling grids (N, size, size, 2): each pixel reads its own point, displaced."""
    identity = affine_grid(np.tile(np.eye(2, 3), (1, 1, 1)), size)
    return (
        identity + elastic_displacements(n, rng, params, size) * (2.0 / size)
    ).astype(np.float32)


def random_grid(
    kind: str, n: int, rng: np.random.Generator, size: int = 32
) -> np.ndarray | None:
    """Grids for ``n`` random distortions of ``kind``; None for ``"none"``."""
    if kind == "none":
        return None
    if kind == "affine":
        return affine_grid(random_affine(n, rng, size=size), size)
    if kind == "elastic":
        return elastic_grid(n, rng, size=size)
    raise ValueError(f"unknown distortion {kind!r}: choose one of {DISTORTIONS}")


def sample_bilinear(images: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Read (N, H, W) images at the grid's points (N, H, W, 2), bilinearly.

    What ``F.grid_sample(..., padding_mode="border", align_corners=False)``
    computes: grid units become pixel positions (``(g + 1) * size / 2 - 0.5``),
    clamped to the image, and each value mixes the four nearest pixels.
    """
    images = np.asarray(images)
    grid = np.asarray(grid, dtype=np.float64)
    if images.ndim != 3 or grid.shape != (*images.shape, 2):
        raise ValueError(
            "images (N, H, W) and grid (N, H, W, 2) must match; got "
            f"{images.shape} and {grid.shape}"
        )
    n, h, w = images.shape
    x = np.clip((grid[..., 0] + 1) * w / 2 - 0.5, 0, w - 1)
    y = np.clip((grid[..., 1] + 1) * h / 2 - 0.5, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(int), w - 2)
    y0 = np.minimum(np.floor(y).astype(int), h - 2)
    fx, fy = x - x0, y - y0
    b = np.arange(n)[:, None, None]

    def at(yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return images[b, yy, xx]

    top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx
    bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx
    return (top * (1 - fy) + bottom * fy).astype(images.dtype)
