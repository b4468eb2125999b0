"""Save and load the NumPy LeNet-5's weights as ``.npz`` (plain arrays, never pickle)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .model import PARAM_SHAPES, LeNet5

__all__ = ["save_weights", "load_weights", "load_model"]

FORMAT = "lenet5-numpy-v1"


def save_weights(model: LeNet5, path: str | Path) -> Path:
    """Write every parameter (and a format tag) to ``path`` (``.npz`` is added if missing)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, __format__=np.array(FORMAT), **model.params)
    return path


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Read and check weights written by :func:`save_weights`.

    Raises a ValueError naming the problem when the file is not such a file
    (not an .npz, another format, missing or misshapen parameters).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}: save one with save_weights(model, path)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise ValueError(f"{path} is not a NumPy .npz weights file ({err})") from err
    tag = arrays.pop("__format__", None)
    if tag is None or str(tag) != FORMAT:
        raise ValueError(
            f"{path} is an .npz file but not LeNet-5 weights saved by save_weights "
            f"(format tag {None if tag is None else str(tag)!r}, expected {FORMAT!r})"
        )
    missing = [n for n in PARAM_SHAPES if n not in arrays]
    extra = [n for n in arrays if n not in PARAM_SHAPES]
    if missing or extra:
        raise ValueError(f"{path}: missing parameters {missing}, unexpected ones {extra}")
    for name, shape in PARAM_SHAPES.items():
        if arrays[name].shape != shape:
            raise ValueError(f"{path}: {name} has shape {arrays[name].shape}, expected {shape}")
    return {name: arrays[name] for name in PARAM_SHAPES}


def load_model(path: str | Path, dtype=np.float32) -> LeNet5:
    """A LeNet5 holding the weights saved at ``path``."""
    model = LeNet5(dtype=dtype)
    model.params = {k: v.astype(dtype) for k, v in load_weights(path).items()}
    return model
