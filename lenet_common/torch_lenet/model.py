"""LeNet-5 in PyTorch: the network, how to build one, and a look at its layers.

The one place the book's PyTorch LeNet-5 is defined. Importing this module
imports torch, so ``lenet_common`` itself never imports it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lenet_common import lenet5, runtime
from lenet_common.plumbing.checks import (
    check_images,
    check_labels,
    nonfinite_output_error,
    pixel_array,
)

__all__ = [
    "LeNet5",
    "build_model",
    "device_name",
    "count_parameters",
    "LayerInfo",
    "layer_outputs",
    "layer_summary",
    "format_summary",
    "compare_with_table",
]


def _shape_error(shape: Sequence[int], what: str = "LeNet5 input") -> ValueError:
    return ValueError(
        f"{what}: images must have shape (N, {', '.join(map(str, lenet5.INPUT_SHAPE))}) "
        f"(NCHW, 28x28 digits zero-padded to 32x32), got {tuple(shape)}; load them "
        "with load_lenet_data(layout='NCHW')"
    )


def _check_input_shape(module: nn.Module, args: tuple[Any, ...]) -> None:
    """Forward pre-hook: refuse a wrong input shape with the shape the model wants."""
    x = args[0] if args else None
    if torch.is_tensor(x) and (x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE):
        raise _shape_error(x.shape)


class LeNet5(nn.Module):
    """The book's LeNet-5: 32x32x1 input, tanh, average pooling, 10 logits.

    C5 is a 5x5 convolution (its output happens to be 1x1), as in the paper.
    The output layer returns logits: the softmax lives in the loss
    (``F.cross_entropy``), never in the model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)  # 1x32x32 -> 6x28x28
        self.s2 = nn.AvgPool2d(kernel_size=2, stride=2)  # -> 6x14x14
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)  # -> 16x10x10
        self.s4 = nn.AvgPool2d(kernel_size=2, stride=2)  # -> 16x5x5
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # -> 120x1x1
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)
        self.activation = nn.Tanh()  # one module, so an exercise can swap it
        self.register_forward_pre_hook(_check_input_shape)  # a clear error, not torch's

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.activation(self.c1(x)))
        x = self.s4(self.activation(self.c3(x)))
        x = self.activation(self.c5(x))
        x = torch.flatten(x, start_dim=1)  # N x 120 x 1 x 1 -> N x 120
        x = self.activation(self.f6(x))
        return self.output(x)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _to_device(
    x: Any, device: torch.device, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """A NumPy array (of numbers) or tensor as a tensor on ``device``."""
    x = x if torch.is_tensor(x) else pixel_array(x, "LeNet5 input")
    return torch.as_tensor(x, dtype=dtype).to(device)


def _checked_data(
    model: nn.Module, x: Any, y: Any, device: torch.device, what: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` as tensors on ``device``, once they are fit for LeNet-5.

    Shapes, labels (integers 0-9: checked before the conversion to ``long``,
    which would truncate 3.7 to 3) and finite pixels: a wrong batch is
    refused before any weight changes, with what was wrong.
    """
    labels = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)
    x = _to_device(x, device, next(model.parameters()).dtype)
    if x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE:
        raise _shape_error(x.shape, f"{what} images")
    check_labels(labels, x.shape[0], model.output.out_features, f"{what} labels")
    # min and max carry any NaN or infinity: one copy to the host, not the images
    if x.shape[0] == 0 or not bool(torch.isfinite(x.amin()) & torch.isfinite(x.amax())):
        check_images(x.cpu().numpy(), f"{what} images")  # raises, saying where
    return x, torch.as_tensor(labels, dtype=torch.long).to(device)


def _numpy_params(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}


def _check_finite_output(
    model: nn.Module, x: torch.Tensor, total: torch.Tensor, action: str = "predict"
) -> None:
    """Refuse to report a score or logits computed from NaN weights or images."""
    if not math.isfinite(total.item()):
        raise nonfinite_output_error(_numpy_params(model), x.cpu().numpy(), action)


# --------------------------------------------------------------------------
# Looking inside: shapes per layer, computed by running a batch through
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerInfo:
    """One row of :func:`layer_summary`: a layer, its output shape, its parameters."""

    name: str
    kind: str
    out_shape: tuple[int, ...]  # without the batch dimension, as torch made it
    params: int


def _named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's layers in LeNet-5 order (those named c1 ... output)."""
    children = dict(model.named_children())
    missing = [n for n in lenet5.LAYER_NAMES if n not in children]
    if missing:
        raise ValueError(
            f"the model has no layer(s) named {missing}: the book's LeNet-5 "
            f"names its layers {list(lenet5.LAYER_NAMES)} (build it with LeNet5())."
        )
    return [(n, children[n]) for n in lenet5.LAYER_NAMES]


def layer_outputs(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``x`` through ``model`` and return every named layer's output.

    Forward hooks record what each of c1 ... output returns (a convolution's
    output is recorded before the activation that follows it).
    """
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for name, layer in _named_layers(model):

        def hook(
            _module: nn.Module, _inp: Any, out: torch.Tensor, name: str = name
        ) -> None:
            outputs[name] = out.detach()

        handles.append(layer.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def layer_summary(
    model: nn.Module, input_shape: Sequence[int] = lenet5.INPUT_SHAPE
) -> list[LayerInfo]:
    """Shapes and parameter counts per layer, from a dummy batch run through ``model``.

    Nothing is typed in: the shapes are what the layers really return for an
    input of ``input_shape`` (C, H, W).
    """
    if len(input_shape) != 3:
        raise ValueError(
            "input_shape must be (channels, height, width), e.g. "
            f"{lenet5.INPUT_SHAPE}; got {tuple(input_shape)}"
        )
    param = next(model.parameters())
    dummy = torch.zeros((2, *input_shape), device=param.device, dtype=param.dtype)
    was_training = model.training
    model.eval()
    try:
        outputs = layer_outputs(model, dummy)
    finally:
        model.train(was_training)
    return [
        LayerInfo(
            name=name,
            kind=type(layer).__name__,
            out_shape=tuple(outputs[name].shape[1:]),
            params=count_parameters(layer),
        )
        for name, layer in _named_layers(model)
    ]


def format_summary(
    rows: Sequence[LayerInfo], input_shape: Sequence[int] = lenet5.INPUT_SHAPE
) -> str:
    """A printable table of :func:`layer_summary` rows, with the total."""
    lines = [f"{'layer':<8}{'type':<12}{'output shape':>16}{'parameters':>12}"]
    lines.append(f"{'input':<8}{'':<12}{str(tuple(input_shape)):>16}{'':>12}")
    for r in rows:
        lines.append(f"{r.name:<8}{r.kind:<12}{str(r.out_shape):>16}{r.params:>12,}")
    lines.append(f"{'total':<8}{'':<12}{'':>16}{sum(r.params for r in rows):>12,}")
    return "\n".join(lines)


def _as_chw(shape: Sequence[int]) -> tuple[int, ...]:
    """A dense layer's (n,) written as (n, 1, 1), the shapes table's convention."""
    shape = tuple(shape)
    return (shape[0], 1, 1) if len(shape) == 1 else shape


def compare_with_table(rows: Sequence[LayerInfo], table: Sequence[Any]) -> str:
    """Set PyTorch's summary beside the shapes chapter's table; raise if they differ.

    ``table`` is ``lenet_common.shapes.lenet5_table()``: rows with ``.name``
    ("C1" ... "Output"), ``.out_shape`` (C, H, W) and ``.params``.
    """
    by_name = {str(t.name).lower(): t for t in table}
    lines = [
        f"{'layer':<8}{'torch shape':>14}{'table shape':>14}{'torch params':>14}{'table params':>14}"
    ]
    mismatches = []
    for r in rows:
        t = by_name.get(r.name)
        if t is None:
            mismatches.append(f"{r.name}: not in the table")
            continue
        lines.append(
            f"{r.name:<8}{str(_as_chw(r.out_shape)):>14}{str(tuple(t.out_shape)):>14}"
            f"{r.params:>14,}{t.params:>14,}"
        )
        if _as_chw(r.out_shape) != tuple(t.out_shape) or r.params != t.params:
            mismatches.append(
                f"{r.name}: torch {_as_chw(r.out_shape)}, {r.params} params; "
                f"table {tuple(t.out_shape)}, {t.params} params"
            )
    if mismatches:
        raise AssertionError(
            "the PyTorch model and the shapes table disagree: " + "; ".join(mismatches)
        )
    return "\n".join(lines)


def build_model(recipe: lenet5.Recipe | None = None) -> LeNet5:
    """A fresh LeNet-5 on the device PyTorch trains on here (the recipe is not needed)."""
    return LeNet5().to(runtime.torch_device(verbose=False))


def device_name() -> str:
    """Where PyTorch trains here: ``cpu``, ``cuda`` or ``mps``."""
    return runtime.torch_device(verbose=False).type
