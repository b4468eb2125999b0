"""Values as plain data, for the trip between the student's kernel and the judge.

What crosses is JSON: numbers, text, lists and dicts, NumPy arrays and
tensors as ``.npy`` bytes (read back with ``allow_pickle=False``), a Keras
model as its configuration and weights, and, for anything else (a student's
function, class or PyTorch module), a numbered *handle*: the object stays in
the kernel, and the judge can only ask the kernel to call it on data.
Nothing is ever unpickled or evaluated on the judge's side.
"""

from __future__ import annotations

import base64
import io
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "WireError", "array_bytes", "array_from", "encode", "decode"]

MAX_DEPTH = 12
#: array kinds that cross: bool, ints, floats, complex, text (never objects)
_ARRAY_KINDS = "biufcUS"
_MAX_TEXT = 100_000


class WireError(ValueError):
    """Data from the kernel that is not in the form the judge reads."""


def array_bytes(array: np.ndarray) -> str:
    """An array as base64 ``.npy`` bytes (no pickles)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def array_from(text: Any) -> np.ndarray:
    """The array of :func:`array_bytes`; raises :class:`WireError` on anything else."""
    if not isinstance(text, str):
        raise WireError("an array must be base64 text")
    try:
        array = np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
    except Exception as err:  # noqa: BLE001 - any malformed payload
        raise WireError(f"not an array: {type(err).__name__}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in _ARRAY_KINDS:
        raise WireError("not an array of numbers or text")
    return array


def _module(value: Any, name: str) -> Any:
    """The class ``name`` of an already imported module (never imports one)."""
    module, _, attr = name.partition(":")
    found = sys.modules.get(module)
    return getattr(found, attr, None) if found is not None else None


def encode(
    value: Any, handle: Callable[[Any], dict] | None = None, depth: int = 0
) -> Any:
    """``value`` as JSON-ready data; objects that are not data go to ``handle``.

    Without ``handle``, such objects raise :class:`WireError`.
    """
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            value = value[:_MAX_TEXT]
        return value
    if value is Ellipsis:
        return {"$": "ellipsis"}
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"$": "float", "v": repr(float(value))}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in _ARRAY_KINDS:
            return _other(value, handle)
        node = {"$": "array", "v": array_bytes(array)}
        if isinstance(value, np.generic):
            node["$"] = "scalar"
        return node
    tensor = _module("torch", "torch:Tensor") if "torch" in sys.modules else None
    if tensor is not None and isinstance(value, tensor):
        data = value.detach().cpu()
        return {"$": "tensor", "v": array_bytes(data.numpy()), "dtype": str(data.dtype)}
    if isinstance(value, (list, tuple)):
        items = [encode(v, handle, depth + 1) for v in value]
        return {"$": "tuple", "v": items} if isinstance(value, tuple) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {
            "$": "dict",
            "v": {k: encode(v, handle, depth + 1) for k, v in value.items()},
        }
    return _other(value, handle)


def _other(value: Any, handle: Callable[[Any], dict] | None) -> Any:
    if handle is None:
        raise WireError(f"a {type(value).__name__} is not data")
    return handle(value)


def decode(
    node: Any, resolve: Callable[[dict], Any] | None = None, depth: int = 0
) -> Any:
    """The value of :func:`encode`'s data; ``resolve`` turns handles (and any other
    tagged node) into objects. Raises :class:`WireError` on what it does not know."""
    if depth > MAX_DEPTH:
        raise WireError("the data is nested too deeply")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [decode(v, resolve, depth + 1) for v in node]
    if not isinstance(node, dict):
        raise WireError(f"unexpected {type(node).__name__} in the data")
    kind = node.get("$")
    if kind == "ellipsis":
        return Ellipsis
    if kind == "float":
        text = node.get("v")
        if text not in ("inf", "-inf", "nan") and not _is_float_text(text):
            raise WireError("a float must be written as one")
        return float(text)
    if kind == "array":
        return array_from(node.get("v"))
    if kind == "scalar":
        array = array_from(node.get("v"))
        if array.ndim != 0:
            raise WireError("a scalar must have no dimensions")
        return array[()]
    if kind == "tensor":
        import torch

        return torch.from_numpy(np.array(array_from(node.get("v"))))
    if kind == "tuple" and isinstance(node.get("v"), list):
        return tuple(decode(v, resolve, depth + 1) for v in node["v"])
    if kind == "dict" and isinstance(node.get("v"), dict):
        return {str(k): decode(v, resolve, depth + 1) for k, v in node["v"].items()}
    if resolve is None:
        raise WireError(f"unexpected {kind!r} in the data")
    return resolve(node)


def _is_float_text(text: Any) -> bool:
    if not isinstance(text, str) or len(text) > 40:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True
