"""Save and load the NumPy LeNet-5's weights as ``.npz`` (plain arrays, never pickle).

Saving is atomic (:func:`lenet_common.atomic.replacing`): a save that fails
part-way leaves the previous file as it was.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..atomic import replacing
from ..fileformat import wrong_file_error
from .model import PARAM_SHAPES, LeNet5

__all__ = ["save_weights", "load_weights", "load_model"]

FORMAT = "lenet5-numpy-v1"


def save_weights(model: LeNet5, path: str | Path) -> Path:
    """Write every parameter (and a format tag) to ``path`` (``.npz`` is added if missing)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with replacing(path) as part:
        np.savez(part, __format__=np.array(FORMAT), **model.params)
    return path


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Read and check weights written by :func:`save_weights`.

    Raises a ValueError naming the problem when the file is not such a file
    (not an .npz, another format, missing or misshapen parameters).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}: save one with save_weights(model, path)")
    expected = "LeNet-5 weights written by numpy_lenet.save_weights (.npz)"
    how = "Pass the file that save_weights(model, path) wrote."
    try:
        loaded = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise wrong_file_error(path, expected, how) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # a single .npy array
        raise wrong_file_error(path, expected, how)
    try:
        with loaded as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise wrong_file_error(path, expected, how) from None
    tag = arrays.pop("__format__", None)
    if tag is None:
        raise wrong_file_error(path, expected, how)
    if str(tag) != FORMAT:
        raise ValueError(f"{path} holds weights in the format {str(tag)!r}; "
                         f"this version of lenet_common reads {FORMAT!r}")
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
