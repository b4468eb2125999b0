"""The grader's helpers inside the student's kernel: capture answers, call on request.

The grader adds a cell after each exercise's starter cell that calls
:func:`capture` with the exercise's answers (the expressions of the book's
own check call), and later cells that call :func:`call` when the judge wants
a student's function run on its inputs. Both only *send data* (one display
output of type :data:`MIME`); nothing here decides a verdict, so a student
who changes this module in their kernel changes only the data they send.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from lenet_common.grading import wire

__all__ = ["MIME", "capture", "call"]

MIME = "application/x-lenet-judge+json"

#: objects the judge may ask to call, by number
_HANDLES: list[Any] = []


def _emit(payload: dict) -> None:
    from IPython.display import display

    display({MIME: payload}, raw=True)


def _keras_model(value: Any) -> dict | None:
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(value, keras.Model):
        return None
    try:
        return {
            "$": "keras",
            "config": value.to_json(),
            "weights": [wire.array_bytes(w) for w in value.get_weights()],
            "built": bool(value.built),
        }
    except Exception:  # noqa: BLE001 - a model Keras cannot describe stays a handle
        return None


def _handle(value: Any) -> dict:
    """A numbered reference to ``value`` (which stays here), with what the judge may
    know about it: a Keras model's configuration, a PyTorch module's parameters."""
    keras = _keras_model(value)
    if keras is not None:
        return keras
    _HANDLES.append(value)
    node: dict[str, Any] = {
        "$": "handle",
        "i": len(_HANDLES) - 1,
        "type": type(value).__name__,
    }
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        node["kind"] = "module"
        node["params"] = [
            [name, wire.array_bytes(p.detach().cpu().numpy()), bool(p.requires_grad)]
            for name, p in value.named_parameters()
        ]
        node["modules"] = [name for name, _ in value.named_modules() if name]
        node["training"] = bool(value.training)
    elif isinstance(value, type):
        node["kind"] = "class"
    elif callable(value):
        node["kind"] = "function"
    else:
        node["kind"] = "object"
    return node


def capture(label: str, thunk: Callable[[], tuple]) -> None:
    """Send the answers of exercise ``label`` (``thunk()`` returns them) as data."""
    try:
        values = thunk()
    except BaseException as err:  # noqa: BLE001 - reported to the judge as data
        _emit({"label": label, "error": f"{type(err).__name__}: {str(err)[:300]}"})
        return
    try:
        encoded = wire.encode(tuple(values), _handle)
    except Exception as err:  # noqa: BLE001
        _emit({"label": label, "error": f"{type(err).__name__}: {str(err)[:300]}"})
        return
    _emit({"label": label, "values": encoded})


def _resolver(arrays: list[Any]) -> Callable[[dict], Any]:
    def resolve(node: dict) -> Any:
        kind = node.get("$")
        if kind == "handle":
            return _HANDLES[int(node["i"])]
        if kind == "ref":
            return arrays[int(node["i"])]
        if kind == "partial":
            module, _, name = str(node["fn"]).partition(":")
            if not module.startswith("lenet_common."):
                raise wire.WireError("only the book's own functions are sent")
            fn: Any = importlib.import_module(module)
            for part in name.split("."):
                fn = getattr(fn, part)
            args = wire.decode(node["args"], resolve)
            return lambda *more: fn(*args, *more)
        raise wire.WireError(f"unknown {kind!r}")

    return resolve


def _load_state(target: Any, state: dict) -> None:
    import torch

    with torch.no_grad():
        for name, data in state.items():
            target.get_parameter(name).copy_(torch.from_numpy(wire.array_from(data)))


def call(request: dict) -> None:
    """Call a handle's object (or one of its attributes) on the request's arguments;
    send back what it returned (or raised), and the array arguments as they are after
    the call (a function may change them in place)."""
    arrays: list[Any] = []
    resolve = _resolver(arrays)
    arrays.extend(wire.decode(a, resolve) for a in request.get("arrays", []))
    target = _HANDLES[int(request["handle"])]
    for part in filter(None, str(request.get("attr", "")).split(".")):
        target = getattr(target, part)
    args = wire.decode(request.get("args", []), resolve)
    torch = sys.modules.get("torch")
    try:
        if request.get("state"):
            _load_state(target, request["state"])
        if request.get("training") is not None and hasattr(target, "train"):
            target.train(bool(request["training"]))
        if torch is not None and not request.get("grad", True):
            with torch.no_grad():
                result = target(*args)
        else:
            result = target(*args)
    except BaseException as err:  # noqa: BLE001 - the judge turns it into the verdict
        _emit(
            {
                "raised": type(err).__name__,
                "not_implemented": isinstance(err, NotImplementedError),
                "message": str(err)[:300],
            }
        )
        return
    _emit(
        {
            "result": wire.encode(result, _handle),
            "arrays": [wire.encode(a, _handle) for a in arrays],
        }
    )
