"""Checks for the exercises of the PyTorch chapter (imports torch).

Each check compares the student's answer with what the book's own model
computes, never with a typed-in number. Models and layers are judged by what
they compute on random inputs and random parameter values, so that a
parameter that is declared but never used cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from lenet_common.exercises.answers import as_whole, call_student, describe
from lenet_common.exercises.verdicts import ExerciseResult, Feedback, check, report
from lenet_common.torch_lenet import LeNet5, count_parameters

__all__ = [
    "wide_c1_model",
    "check_wide_c1_params",
    "check_relu_maxpool",
    "check_subsampling",
]


def wide_c1_model(c1_maps: int = 10) -> nn.Module:
    """LeNet-5 whose C1 has ``c1_maps`` feature maps (C3 then reads all of them)."""
    model = LeNet5()
    model.c1 = nn.Conv2d(1, c1_maps, kernel_size=5)
    model.c3 = nn.Conv2d(c1_maps, 16, kernel_size=5)
    return model


@check("ex-torch-wide-c1", points=1)
def check_wide_c1_params(answer: int) -> ExerciseResult:
    """Exercise: the parameter count of LeNet-5 when C1 has 10 maps instead of 6."""
    answer = as_whole(answer, "the parameter count")
    expected = count_parameters(wide_c1_model(10))
    if answer == expected:
        return report(True, f"LeNet-5 with a 10-map C1 has {answer:,} parameters.")
    book = count_parameters(LeNet5())
    c1_only = (
        book
        + count_parameters(nn.Conv2d(1, 10, 5))
        - count_parameters(nn.Conv2d(1, 6, 5))
    )
    if answer == book:
        hint = "that is the book's LeNet-5: C1 and C3 both change."
    elif answer == c1_only:
        hint = (
            "C3 changes too: each of its 16 filters now reads 10 maps "
            "(16 x 10 x 5 x 5 weights, plus 16 biases)."
        )
    elif answer == expected - 16 - 10:
        hint = "you left out the biases: one per filter, in C1 (10) and in C3 (16)."
    else:
        hint = (
            "two layers change: C1 (10 filters of 1x5x5, plus a bias each) and C3, "
            "whose 16 filters now each read 10 maps. Everything from S4 on keeps its "
            "size."
        )
    return report(
        False,
        f"{answer:,} is not the parameter count of LeNet-5 with a 10-map C1.",
        hint,
    )


def _reference_relu_maxpool(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What a ReLU / max-pooling LeNet-5 with ``model``'s weights computes."""
    x = F.max_pool2d(F.relu(model.c1(x)), 2)
    x = F.max_pool2d(F.relu(model.c3(x)), 2)
    x = torch.flatten(F.relu(model.c5(x)), 1)
    return model.output(F.relu(model.f6(x)))


def _module(value: Any, what: str) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise Feedback(
            f"{what} should be a PyTorch module, but it is {describe(value)}.",
            "start from tl.LeNet5() and replace its parts.",
        )
    return value


@check("ex-torch-relu", points=2)
def check_relu_maxpool(model: nn.Module) -> ExerciseResult:
    """Exercise: LeNet-5 with ReLU instead of tanh and max- instead of average
    pooling."""
    model = _module(model, "the model")
    n_params = count_parameters(model)
    if n_params != count_parameters(LeNet5()):
        return report(
            False,
            f"the model has {n_params:,} parameters, not LeNet-5's 61,706.",
            "swapping activations and pooling adds or removes no weights.",
        )
    x = torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    x = x.to(next(model.parameters()).device)
    model.eval()
    hint = "keep the layer names c1 ... output and the input shape (N, 1, 32, 32)."
    with torch.no_grad():
        got = call_student(model, x, hint=hint, name="the model")
        expected = call_student(_reference_relu_maxpool, model, x, hint=hint)
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
        return report(
            False,
            f"the model returned {describe(got) if shape is None else shape}, not "
            f"logits shaped {tuple(expected.shape)}.",
            "forward must return one tensor of 10 logits per image, as "
            "tl.LeNet5's does.",
        )
    if torch.allclose(got.to(expected.dtype), expected, atol=1e-5):
        return report(
            True,
            "the model uses ReLU and 2x2 max pooling, with the same 61,706 parameters.",
        )
    activation = getattr(model, "activation", None)
    probe = torch.tensor([-1.0, 0.5])
    if activation is not None and not torch.allclose(activation(probe), F.relu(probe)):
        hint = "the activation is not ReLU: replace model.activation with nn.ReLU()."
    else:
        hint = (
            "pooling must be 2x2 max pooling with stride 2 in both s2 and s4 "
            "(nn.MaxPool2d(2))."
        )
    return report(False, "the model does not compute ReLU + max pooling.", hint)


def _per_map(parameters: list[torch.Tensor], channels: int) -> list[torch.Tensor]:
    """Each parameter as a (1, C, 1, 1) tensor, for the formulas below."""
    return [p.detach().reshape(1, channels, 1, 1) for p in parameters]


def _explain_subsampling(
    out: torch.Tensor, x: torch.Tensor, params: list[torch.Tensor]
) -> str:
    """The hint for a subsampling layer whose output is wrong: which slip explains
    it."""
    sums = 4 * F.avg_pool2d(x, 2)
    maxima = F.max_pool2d(x, 2)
    wide = 9 * F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True)
    slips = []
    for c, b in (params, params[::-1]):
        slips += [
            (
                c * sums / 4 + b,
                "that is the block's average: the paper SUMS the 2x2 block "
                "(4 times its average) before scaling.",
            ),
            (
                c * maxima + b,
                "that takes each block's maximum: the paper sums the block.",
            ),
            (
                c * wide + b,
                "use 2x2 blocks with stride 2, not overlapping 3x3 windows.",
            ),
            (
                sums + b,
                "the coefficient is declared but never used: multiply the block sums "
                "by it.",
            ),
            (
                sums / 4 + b,
                "the coefficient is declared but never used: multiply the block "
                "sums by it.",
            ),
            (c * sums, "the bias is declared but never used: add it after scaling."),
            (
                torch.tanh(c * sums + b),
                "leave the squashing function out: no activation inside the layer.",
            ),
            (
                torch.sigmoid(c * sums + b),
                "leave the squashing function out: no activation inside the layer.",
            ),
        ]
    for candidate, hint in slips:
        if torch.allclose(out, candidate, atol=1e-4):
            return hint
    return (
        "sum each 2x2 block (4 x F.avg_pool2d(x, 2)), multiply by the map's "
        "coefficient and add its bias, broadcast with .view(1, -1, 1, 1)."
    )


@check("ex-torch-subsampling", points=3)
def check_subsampling(layer_cls: Callable[[int], nn.Module]) -> ExerciseResult:
    """Exercise: the paper's S2, a trainable subsampling layer.

    ``layer_cls(channels)`` must build a layer that, for each map, sums each
    2x2 block (stride 2), multiplies by one trainable coefficient and adds one
    trainable bias: 2 parameters per map, 12 for S2's 6 maps. The layer is
    run with random values in its parameters, so both must be used.
    """
    channels = 6
    layer = _module(
        call_student(
            layer_cls,
            channels,
            name="Subsampling",
            hint="the class must take the number of maps: Subsampling(6).",
        ),
        "Subsampling(6)",
    )
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(2, channels, 28, 28, generator=generator)
    run_hint = "it receives (N, C, H, W) and returns (N, C, H/2, W/2)."
    with torch.no_grad():  # a first run: the starter's forward still raises
        call_student(layer, x, hint=run_hint, name="the layer")
    params = [p for p in layer.parameters() if p.requires_grad]
    n_params = sum(p.numel() for p in params)
    if (
        n_params != 2 * channels
        or len(params) != 2
        or any(p.numel() != channels for p in params)
    ):
        if n_params == 2:
            hint = (
                "one coefficient and one bias PER MAP: each a tensor of shape "
                "(channels,)."
            )
        elif n_params == 0:
            hint = "make them trainable: wrap each tensor in nn.Parameter."
        else:
            hint = (
                "one coefficient and one bias per map: two nn.Parameter tensors of "
                "shape "
                "(channels,)."
            )
        return report(
            False,
            f"Subsampling(6) has {n_params} trainable parameters in "
            f"{len(params)} tensors, not 12 in two tensors of 6.",
            hint,
        )
    with torch.no_grad():
        for p in params:
            p.copy_(torch.randn(p.shape, generator=generator) + 2.0)
        out = call_student(layer, x, hint=run_hint, name="the layer")
        if not isinstance(out, torch.Tensor):
            return report(
                False,
                f"the layer returned {describe(out)}, not a tensor.",
                "forward must return the subsampled tensor.",
            )
        if not out.is_floating_point():
            return report(
                False,
                f"the layer returned a tensor of {out.dtype}, not of floats.",
                "keep the arithmetic in floating point: no rounding or casting.",
            )
        if tuple(out.shape) != (2, channels, 14, 14):
            return report(
                False,
                f"a (2, 6, 28, 28) input gave {tuple(out.shape)}, not (2, 6, 14, 14).",
                "2x2 blocks with stride 2 halve the height and the width.",
            )
        # judged in float64, whatever float type the layer computes in
        out = out.double()
        maps = [m.double() for m in _per_map(params, channels)]
        sums = 4 * F.avg_pool2d(x, 2).double()
        for c, b in (maps, maps[::-1]):
            if torch.allclose(out, c * sums + b, atol=1e-4):
                return report(
                    True,
                    "the layer sums 2x2 blocks, scales and shifts each "
                    "map: 12 parameters for 6 maps.",
                )
        hint = _explain_subsampling(out, x, maps)
    return report(
        False,
        "the output is not coefficient x (sum of each 2x2 block) + bias, per map.",
        hint,
    )
