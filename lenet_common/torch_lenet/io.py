"""The PyTorch LeNet-5's surface shared with the other two implementations.

Weights in and out by the book's names and NumPy layout (``get_params``,
``set_params``, ``save_weights``, ``load_weights``), and predictions and
gradients of NCHW images as NumPy arrays.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet_common import lenet5
from lenet_common.plumbing.atomic import replacing
from lenet_common.plumbing.checks import (
    check_hyperparameters,
    check_images,
)
from lenet_common.plumbing.fileformat import describe_file, wrong_file_error
from lenet_common.torch_lenet.model import (
    LeNet5,
    _check_finite_output,
    _checked_data,
    _shape_error,
    _to_device,
)

__all__ = [
    "get_params",
    "set_params",
    "predict_logits",
    "predict",
    "gradients",
    "save_weights",
    "load_weights",
]


# --------------------------------------------------------------------------
# The surface the three implementations share: weights and predictions
# --------------------------------------------------------------------------


def _swap_dense(value: np.ndarray) -> np.ndarray:
    """PyTorch's dense ``(out, in)`` to the book's ``(in, out)`` and back."""
    return np.ascontiguousarray(value.T if value.ndim == 2 else value)


def get_params(model: nn.Module) -> dict[str, np.ndarray]:
    """Every parameter as a NumPy array, by the book's names and NumPy layout.

    PyTorch stores a dense weight as ``(out, in)``; the book's layout is
    ``(in, out)``, so those are transposed. Convolution weights are
    ``(F, C, kh, kw)`` in both.
    """
    params = {
        name: _swap_dense(t.detach().cpu().numpy()).copy()
        for name, t in model.state_dict().items()
    }
    lenet5.check_params(params, what="the model's tensors")
    return {name: params[name] for name in lenet5.PARAM_SHAPES}


def set_params(model: nn.Module, params: dict[str, np.ndarray]) -> nn.Module:
    """Copy arrays in the book's names and layout into ``model`` (dense transposed).

    Wrong or missing names, wrong shapes and values that are not numbers raise a
    ValueError that lists them, and leave the model as it was.
    """
    lenet5.check_params(get_params(model), what="the model's tensors")
    state = model.state_dict()
    dtype = str(state["c1.weight"].dtype).removeprefix("torch.")
    arrays = lenet5.param_arrays(params, dtype)
    with torch.no_grad():
        for name, array in arrays.items():
            state[name].copy_(torch.from_numpy(_swap_dense(array)))
    return model


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: Any, *, batch_size: int = 2000
) -> np.ndarray:
    """The logits ``(N, 10)`` of images ``(N, 1, 32, 32)``, as a NumPy array."""
    check_hyperparameters(batch_size=batch_size)
    device = next(model.parameters()).device
    x = _to_device(images, device, torch.float32)
    if x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE:
        raise _shape_error(x.shape, "predict_logits")
    if x.shape[0] and not bool(torch.isfinite(x.amin()) & torch.isfinite(x.amax())):
        check_images(x.cpu().numpy(), "images to predict")  # raises, saying where
    model.eval()
    chunks = [
        model(x[i : i + batch_size]).float().cpu()
        for i in range(0, x.shape[0], batch_size)
    ]
    logits = torch.cat(chunks) if chunks else torch.zeros(0, model.output.out_features)
    _check_finite_output(model, x, logits.sum())  # NaN weights would answer "class 0"
    return logits.numpy()


def predict(model: nn.Module, images: Any, *, batch_size: int = 2000) -> np.ndarray:
    """The predicted class of each image."""
    return predict_logits(model, images, batch_size=batch_size).argmax(axis=1)


def gradients(model: nn.Module, images: Any, labels: Any) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy on one batch, by the book's names and layout.

    Autograd computes them (no weight decay); the images are taken in the
    model's own float type, so a ``model.double()`` gives float64 gradients.
    """
    x, y = _checked_data(
        model, images, labels, next(model.parameters()).device, "gradients"
    )
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    grads = {
        name: _swap_dense(p.grad.detach().cpu().numpy())
        for name, p in model.named_parameters()
    }
    model.zero_grad(set_to_none=True)
    lenet5.check_params(grads, what="the model's gradients")
    return {name: grads[name] for name in lenet5.PARAM_SHAPES}


def save_weights(model: nn.Module, path: str | os.PathLike) -> Path:
    """Save the model's ``state_dict`` (tensors only, no pickled code); return the path.

    The write is atomic: if it fails part-way, the previous file is untouched.
    """
    path = Path(path)
    with replacing(path) as part:
        torch.save(model.state_dict(), part)
    return path


def _load_state(path: Path, device: torch.device) -> Any:
    """``torch.load`` with ``weights_only=True``, its errors turned into plain words.

    Never suggests ``weights_only=False``: that would run whatever code the
    file carries.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file; save weights there first with "
            "save_weights(model, path)"
        )
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch raises many types for a file it cannot read
        kind = describe_file(path)
        pickled = isinstance(err, pickle.UnpicklingError)
        if pickled and kind.startswith("a PyTorch file"):
            raise ValueError(
                f"{path} is a PyTorch file holding pickled Python objects, not only "
                "tensors (saved with torch.save(model) rather than save_weights?). "
                "Loading it could run code, so it is refused: load the model where "
                "it was saved, save it with save_weights(model, path), and load that."
            ) from None
        raise wrong_file_error(
            path,
            "PyTorch LeNet-5 weights written by torch_lenet.save_weights",
            "Pass the file that save_weights(model, path) wrote.",
        ) from None


def load_weights(model: nn.Module | None, path: str | os.PathLike) -> nn.Module:
    """Load a ``state_dict`` saved by :func:`save_weights` into ``model`` (new if None).

    ``weights_only=True`` makes ``torch.load`` refuse anything but tensors
    and plain containers, so a file from elsewhere cannot run code. A file
    whose layers or shapes do not fit ``model`` gives an error that names
    each difference.
    """
    model = LeNet5() if model is None else model
    state = _load_state(Path(path), next(model.parameters()).device)
    if not isinstance(state, dict):
        raise ValueError(
            f"{Path(path).name!r} does not hold a state_dict "
            f"(got {type(state).__name__}); save it with "
            "save_weights(model, path)"
        )
    problems = _mismatches(model.state_dict(), state)
    if problems:
        raise ValueError(
            f"the weights in {Path(path).name!r} do not fit this model: "
            + "; ".join(problems)
            + ". Build the model with the same layers as the one that was saved, "
            "then load."
        )
    model.load_state_dict(state)
    return model


def _mismatches(expected: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """Each layer missing, extra or of another shape in ``state``, in words."""
    problems = [f"{k} is missing from the file" for k in expected if k not in state]
    problems += [
        f"{k} is in the file but not in the model" for k in state if k not in expected
    ]
    problems += [
        f"{k} has shape {tuple(state[k].shape)} in the file but {tuple(v.shape)} "
        "in the model"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    return problems
