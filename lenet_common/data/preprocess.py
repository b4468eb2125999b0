"""The paper's preprocessing: 28→32 zero padding, scaling, and the splits.

LeNet-5 takes a 32x32 input. MNIST's digits are 28x28, drawn inside a 20x20
box centred in the field, so the paper *padded* them with 2 blank pixels on
every side: the digit keeps its size and the border leaves room for the
convolutions' edges. Resizing would instead stretch every stroke.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "pad_to_32",
    "resize_bilinear",
    "paper_scale",
    "standardize",
    "stratified_split",
]


def _check_images(images: np.ndarray, what: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            f"{what} expects a stack of images shaped (N, H, W), got shape {images.shape}"
        )
    return images


def pad_to_32(images: np.ndarray) -> np.ndarray:
    """Zero-pad (N, 28, 28) images to (N, 32, 32), as the 1998 paper did."""
    images = _check_images(images, "pad_to_32")
    if images.shape[1:] != (28, 28):
        raise ValueError(
            f"pad_to_32 expects 28x28 images, got {images.shape[1]}x{images.shape[2]}"
        )
    return np.pad(images, ((0, 0), (2, 2), (2, 2)), mode="constant", constant_values=0)


def resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Resize (N, H, W) images to (N, size, size) by bilinear interpolation.

    Here only to show what the paper did *not* do: resizing stretches the
    strokes instead of leaving a blank border.
    """
    images = _check_images(images, "resize_bilinear").astype(np.float32)
    _, h, w = images.shape
    # sample positions of the new pixel centres in the old image's coordinates
    ys = np.clip((np.arange(size) + 0.5) * h / size - 0.5, 0, h - 1)
    xs = np.clip((np.arange(size) + 0.5) * w / size - 0.5, 0, w - 1)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    wy = (ys - y0)[None, :, None]
    wx = (xs - x0)[None, None, :]
    top = images[:, y0][:, :, x0] * (1 - wx) + images[:, y0][:, :, x1] * wx
    bottom = images[:, y1][:, :, x0] * (1 - wx) + images[:, y1][:, :, x1] * wx
    return top * (1 - wy) + bottom * wy


def paper_scale(images: np.ndarray) -> np.ndarray:
    """Map uint8 pixels so that background (0) → -0.1 and full ink (255) → 1.175.

    The 1998 paper's scaling, chosen so that the inputs have a mean near 0 and
    a variance near 1.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"paper_scale expects raw uint8 pixels, got {images.dtype}")
    return images.astype(np.float32) * np.float32(1.275 / 255.0) - np.float32(0.1)


def standardize(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``(images/255 - mean) / std`` in float32, with ``mean``/``std`` of the training split."""
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}")
    x = np.asarray(images, dtype=np.float32) / np.float32(255.0)
    return (x - np.float32(mean)) / np.float32(std)


def stratified_split(
    labels: np.ndarray, n_val: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with ``n_val`` validation items in the classes' proportions.

    Both index arrays are sorted, so the split is reproducible and keeps the
    original order of the files.
    """
    labels = np.asarray(labels)
    n = labels.shape[0]
    if not 0 < n_val < n:
        raise ValueError(
            f"n_val must be between 1 and {n - 1} for {n} examples, got {n_val}"
        )
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    # the classes' shares of n_val, rounded so that they add up to n_val exactly
    quota = counts * n_val / n
    take = np.floor(quota).astype(int)
    for i in np.argsort(take - quota)[: n_val - take.sum()]:
        take[i] += 1
    val = np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
            for c, k in zip(classes, take)
        ]
    )
    val.sort()
    mask = np.ones(n, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask), val
