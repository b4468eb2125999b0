"""The judge: the book's checks, run in the grader's process on data from a kernel.

The student's kernel sends each exercise's answers as data
(:mod:`.kernel_side`); here they become plain values again, and the check
registered for the exercise (``lenet_common.exercises.CHECKS``) decides the
verdict, in this process, where no student code ever ran. A student's
function, class or PyTorch module is a *stand-in* here: calling it sends its
arguments to the kernel as data, runs the student's code there, and brings
back what it returned as data (:class:`RemoteFunction`, :func:`remote_module`).
A Keras model is rebuilt here from its configuration and weights, with
Keras's safe mode (no code from the kernel runs).

Inputs that are the book's data rather than the student's answer (the MNIST
training images, Fashion-MNIST) are declared by the check
(``check(..., judge_inputs=...)``) and loaded here, never taken from the kernel.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from lenet_common.exercises import verdicts
from lenet_common.grading import wire

__all__ = [
    "KernelStopped",
    "Kernel",
    "RemoteFunction",
    "remote_module",
    "student_parameters",
    "capture_code",
    "call_code",
    "judge",
    "JUDGE_INPUTS",
    "CHAPTER_CHECKS",
    "import_checks",
]


class KernelStopped(BaseException):
    """The kernel died, ran out of time or broke the protocol while the judge waited.

    A BaseException, so that no check mistakes it for an error of the student's
    code: it ends the notebook's grading instead.
    """

    def __init__(self, status: str, detail: str = "") -> None:
        super().__init__(detail or status)
        self.status, self.detail = status, detail


class Kernel(Protocol):
    """Runs code in the student's kernel and returns the judge data it displayed."""

    def ask(self, code: str) -> dict: ...


def _loader(name: str) -> Callable[[], Any]:
    @functools.cache
    def load() -> Any:
        from lenet_common import data

        if name == "mnist_train_images":
            return data.load_mnist().train_images
        if name == "fashion_data":
            return data.load_lenet_data("fashion-mnist", layout="NHWC")
        raise KeyError(name)

    return load


#: the book's data a check may ask for, by the name its ``judge_inputs`` give
JUDGE_INPUTS: dict[str, Callable[[], Any]] = {
    name: _loader(name) for name in ("mnist_train_images", "fashion_data")
}


def student_parameters(label: str) -> list[str]:
    """The parameters of ``label``'s check that the student's answers fill, in order."""
    fn = verdicts.CHECKS[label]
    supplied = verdicts.JUDGE_INPUTS.get(label, {})
    return [p for p in inspect.signature(fn).parameters if p not in supplied]


def capture_code(label: str, expressions: list[str]) -> str:
    """The cell the grader adds after ``label``'s starter: it sends the answers."""
    values = "".join(f"{e}, " for e in expressions)
    return f"__lenet_judge__.capture({label!r}, lambda: ({values}))"


def call_code(request: dict) -> str:
    """A cell that asks the kernel to run a student's function on ``request``."""
    return f"__lenet_judge__.call(__import__('json').loads({json.dumps(request)!r}))"


class _Exchange:
    """Encodes the judge's arguments for the kernel: arrays by reference, so that one
    array passed twice (or read by a function passed along) stays one array there."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def handle(self, value: Any) -> dict:
        if isinstance(value, np.ndarray):
            for i, known in enumerate(self.arrays):
                if known is value:
                    return {"$": "ref", "i": i}
            self.arrays.append(value)
            return {"$": "ref", "i": len(self.arrays) - 1}
        remote = getattr(value, "_lenet_remote", None)
        if remote is not None:
            return {"$": "handle", "i": remote[0]}
        if isinstance(value, functools.partial) and not value.keywords:
            fn = value.func
            module = getattr(fn, "__module__", "") or ""
            if module.startswith("lenet_common."):
                args = self.encode(value.args)
                return {
                    "$": "partial",
                    "fn": f"{module}:{fn.__qualname__}",
                    "args": args,
                }
        raise wire.WireError(
            f"the judge cannot send a {type(value).__name__} to the student's kernel"
        )

    def encode(self, value: Any) -> Any:
        """``value`` as data, every array in it by reference."""
        if isinstance(value, np.ndarray):
            return self.handle(value)
        if isinstance(value, (list, tuple)):
            items = [self.encode(v) for v in value]
            return {"$": "tuple", "v": items} if isinstance(value, tuple) else items
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"$": "dict", "v": {k: self.encode(v) for k, v in value.items()}}
        return wire.encode(value, self.handle)


def _raised(name: str, message: str, not_implemented: bool) -> BaseException:
    """An exception like the one the student's code raised in the kernel."""
    if not_implemented:
        return NotImplementedError(message)
    safe = name if name.isidentifier() else "Exception"
    return type(safe, (Exception,), {})(message)


def _call(kernel: Kernel, handle: int, attr: str, args: tuple, extra: dict) -> Any:
    exchange = _Exchange()
    encoded_args = exchange.encode(list(args))
    request = {
        "handle": handle,
        "attr": attr,
        "args": encoded_args,
        "arrays": [wire.encode(a) for a in exchange.arrays],
        **extra,
    }
    reply = kernel.ask(call_code(request))
    if "raised" in reply:
        raise _raised(
            str(reply.get("raised")),
            str(reply.get("message", ""))[:300],
            bool(reply.get("not_implemented")),
        )
    if "result" not in reply:
        raise KernelStopped("error", "the kernel did not answer the grader's call")
    try:
        result = wire.decode(reply["result"], functools.partial(resolve, kernel))
        after = reply.get("arrays", [])
        if isinstance(after, list) and len(after) == len(exchange.arrays):
            for mine, theirs in zip(exchange.arrays, after):
                theirs = wire.decode(theirs)
                if isinstance(theirs, np.ndarray) and theirs.shape == mine.shape:
                    np.copyto(mine, theirs, casting="unsafe")
    except wire.WireError as err:
        raise _raised(
            "ValueError", f"it returned something the grader cannot read: {err}", False
        ) from None
    return result


class RemoteFunction:
    """A student's function (or class) that stays in the kernel; calling it runs it
    there on the arguments, sent as data."""

    def __init__(self, kernel: Kernel, node: dict) -> None:
        self._lenet_remote = (int(node["i"]), str(node.get("kind", "function")))
        self._kernel = kernel
        self.__name__ = str(node.get("type", "function"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("the grader passes positional arguments only")
        return _call(self._kernel, self._lenet_remote[0], "", args, {})

    def __repr__(self) -> str:
        return f"<the student's {self._lenet_remote[1]} {self.__name__}>"


def remote_module(kernel: Kernel, node: dict) -> Any:
    """A PyTorch module that mirrors the student's: the same names and parameters
    (copied here as data), each call run by the student's module in the kernel after
    the parameters' values here are copied there."""
    import torch
    from torch import nn

    handle = int(node["i"])

    class RemoteModule(nn.Module):
        def __init__(self, attr: str) -> None:
            super().__init__()
            self._lenet_remote = (handle, "module")
            self._attr = attr

        def forward(self, *args: Any) -> Any:
            state = {
                name: wire.array_bytes(p.detach().cpu().numpy())
                for name, p in self.named_parameters()
            }
            extra = {
                "state": state,
                "training": self.training,
                "grad": torch.is_grad_enabled(),
            }
            return _call(kernel, handle, self._attr, args, extra)

    root = RemoteModule("")
    names = [str(n) for n in node.get("modules", []) if isinstance(n, str)]
    for name in sorted(names, key=lambda n: n.count(".")):
        parent_name, _, last = name.rpartition(".")
        parent = root.get_submodule(parent_name) if parent_name else root
        parent.add_module(last, RemoteModule(name))
    for entry in node.get("params", []):
        name, data, requires_grad = entry
        owner_name, _, last = str(name).rpartition(".")
        owner = root.get_submodule(owner_name) if owner_name else root
        tensor = torch.from_numpy(np.array(wire.array_from(data)))
        owner.register_parameter(
            last, nn.Parameter(tensor, requires_grad=bool(requires_grad))
        )
    root.train(bool(node.get("training", True)))
    return root


class _Opaque:
    """Something of the student's that is neither data nor callable (shown by name)."""

    def __init__(self, node: dict) -> None:
        self.type_name = str(node.get("type", "object"))

    def __repr__(self) -> str:
        return f"<a {self.type_name}>"


def _keras_model(node: dict) -> Any:
    import keras

    try:
        model = keras.models.model_from_json(str(node["config"]))
        weights = [wire.array_from(w) for w in node.get("weights", [])]
        if weights:
            model.set_weights(weights)
    except Exception as err:  # noqa: BLE001 - the reason is the verdict's detail
        raise verdicts.Feedback(
            f"the grader could not rebuild the model from its configuration "
            f"({type(err).__name__}: {str(err)[:200]}).",
            "build it from Keras's own layers (keras_lenet.build_lenet5 does).",
        ) from None
    return model


def resolve(kernel: Kernel, node: dict) -> Any:
    """A tagged node from the kernel as an object here (see :mod:`.wire`)."""
    kind = node.get("$")
    if kind == "keras":
        return _keras_model(node)
    if kind != "handle" or not isinstance(node.get("i"), int):
        raise wire.WireError(f"unexpected {kind!r} from the kernel")
    if node.get("kind") == "module":
        return remote_module(kernel, node)
    if node.get("kind") in ("function", "class"):
        return RemoteFunction(kernel, node)
    name = str(node.get("type", "object"))
    # named as the student's object is, so that a check's sentence names it
    kind = type(name if name.isidentifier() else "object", (_Opaque,), {})
    return kind(node)


def judge(label: str, payload: dict, kernel: Kernel) -> verdicts.ExerciseResult:
    """The verdict on exercise ``label``, from its captured answers ``payload``."""
    check = verdicts.CHECKS[label]
    names = student_parameters(label)
    values = payload.get("values")
    try:
        decoded = wire.decode(values, functools.partial(resolve, kernel))
        if not isinstance(decoded, tuple) or len(decoded) != len(names):
            raise wire.WireError("the answers are not the ones the exercise asks for")
    except wire.WireError as err:
        return verdicts.ExerciseResult(
            False, f"the grader could not read the answers ({err}).", status="error"
        )
    except verdicts.Feedback as feedback:
        result = verdicts.report(False, feedback.what, feedback.hint)
        result.label = label
        return result
    arguments = dict(zip(names, decoded))
    for name, source in verdicts.JUDGE_INPUTS.get(label, {}).items():
        arguments[name] = JUDGE_INPUTS[source]()
    return check(**arguments)


#: chapter -> the module of lenet_common.exercises that holds its checks
CHAPTER_CHECKS = {
    "01_data": "data",
    "02_shapes": "shapes",
    "03_numpy_lenet": "numpy_lenet",
    "04_keras": "keras_lenet",
    "05_pytorch": "torch_lenet",
    "06_side_by_side": "side_by_side",
    "07_lenet1998": "lenet1998",
    "why_convolutions": "why_convolutions",
}


def import_checks(chapters: list[str]) -> None:
    """Import the checks of ``chapters`` now, before any student code runs."""
    import importlib

    for chapter in chapters:
        if chapter in CHAPTER_CHECKS:
            importlib.import_module(f"lenet_common.exercises.{CHAPTER_CHECKS[chapter]}")
