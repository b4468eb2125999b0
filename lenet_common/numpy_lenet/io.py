"""Weights in and out of the NumPy LeNet-5: as arrays, and as ``.npz`` files.

``get_params``/``set_params``/``save_weights``/``load_weights`` have the same
names and behaviour in ``torch_lenet`` and ``keras_lenet``: the arrays use
the book's names and this model's layout (:data:`lenet_common.lenet5.PARAM_SHAPES`).
Files are plain arrays, never pickles. Saving is atomic
(:func:`lenet_common.plumbing.atomic.replacing`): a save that fails part-way leaves
the previous file as it was.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .. import lenet5
from ..plumbing.atomic import replacing
from ..plumbing.fileformat import wrong_file_error
from .model import LeNet5

__all__ = ["get_params", "set_params", "save_weights", "load_weights"]

FORMAT = "lenet5-numpy-v1"


def get_params(model: LeNet5) -> dict[str, np.ndarray]:
    """A copy of every parameter, by the book's names (``c1.weight`` ...)."""
    return {name: model.params[name].copy() for name in lenet5.PARAM_SHAPES}


def set_params(model: LeNet5, params: Mapping[str, np.ndarray]) -> LeNet5:
    """Copy ``params`` into ``model`` (in its dtype).

    Wrong or missing names, wrong shapes and values that are not numbers raise a
    ValueError that lists them, and leave the model as it was.
    """
    arrays = lenet5.param_arrays(params, model.dtype)
    for name, array in arrays.items():
        model.params[name][...] = array
    return model


def save_weights(model: LeNet5, path: str | Path) -> Path:
    """Write every parameter and a format tag to ``path`` (adding ``.npz``)."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    with replacing(path) as part:
        np.savez(part, __format__=np.array(FORMAT), **get_params(model))
    return path


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a file written by :func:`save_weights`, checked."""
    if not path.is_file():
        raise FileNotFoundError(
            f"no weights file at {path}: save one with save_weights(model, path)"
        )
    expected = "LeNet-5 weights written by numpy_lenet.save_weights (.npz)"
    how = "Pass the file that save_weights(model, path) wrote."
    try:
        loaded = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise wrong_file_error(path, expected, how) from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):  # a single .npy array
        raise wrong_file_error(path, expected, how)
    arrays: dict[str, np.ndarray] = {}
    with loaded as archive:
        for name in archive.files:
            try:
                arrays[name] = archive[name]
            except ValueError as err:
                if "allow_pickle" in str(err):
                    raise _pickled_error(path, name, archive.files) from None
                raise wrong_file_error(path, expected, how) from None
            except (zipfile.BadZipFile, OSError, EOFError):
                raise wrong_file_error(path, expected, how) from None
    tag = arrays.pop("__format__", None)
    if tag is None:
        raise wrong_file_error(path, expected, how)
    if str(tag) != FORMAT:
        raise ValueError(
            f"{path} holds weights in the format {str(tag)!r}; "
            f"this version of lenet_common reads {FORMAT!r}"
        )
    lenet5.check_params(arrays, what=f"the weights in {path}")
    return arrays


def _pickled_error(path: Path, name: str, names: list[str]) -> ValueError:
    """The refusal of an .npz archive whose array ``name`` holds pickled objects."""
    tagged = "__format__" in names
    what = (
        "an .npz archive that carries save_weights' format tag"
        if tagged
        else "an .npz archive"
    )
    return ValueError(
        f"{path} is {what}, but its array {name!r} holds Python objects (a pickle) "
        "instead of numbers. It is refused because loading a pickle can run any "
        "code its author put in it, and save_weights never writes one. Save the "
        "weights again with save_weights(model, path) and load that file."
    )


def load_weights(model: LeNet5 | None, path: str | Path) -> LeNet5:
    """Load weights saved by :func:`save_weights` into ``model`` (new if None)."""
    arrays = _read_weights(Path(path))
    return set_params(LeNet5() if model is None else model, arrays)
