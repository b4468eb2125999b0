"""Checks for the exercises of the PyTorch chapter (imports torch).

Each check compares the student's answer with what the book's own model
computes, never with a typed-in number.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from lenet_common.exercises import ExerciseResult, report
from lenet_common.torch_lenet import LeNet5, count_parameters

__all__ = ["wide_c1_model", "check_wide_c1_params", "check_relu_maxpool", "check_subsampling"]


def wide_c1_model(c1_maps: int = 10) -> nn.Module:
    """LeNet-5 whose C1 has ``c1_maps`` feature maps (C3 then reads all of them)."""
    model = LeNet5()
    model.c1 = nn.Conv2d(1, c1_maps, kernel_size=5)
    model.c3 = nn.Conv2d(c1_maps, 16, kernel_size=5)
    return model


def check_wide_c1_params(answer: int) -> ExerciseResult:
    """Exercise: the parameter count of LeNet-5 when C1 has 10 maps instead of 6."""
    expected = count_parameters(wide_c1_model(10))
    return report(
        answer == expected,
        f"LeNet-5 with a 10-map C1 has {answer:,} parameters." if answer == expected
        else f"{answer!r} is not the parameter count of LeNet-5 with a 10-map C1.",
        "two layers change: C1 (10 filters of 1x5x5, plus a bias each) and C3, "
        "whose 16 filters now each read 10 maps (16 x 10 x 5 x 5 weights, plus 16 biases). "
        "Everything from S4 on keeps its size.",
    )


def _reference_relu_maxpool(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What a ReLU / max-pooling LeNet-5 with ``model``'s weights computes."""
    x = F.max_pool2d(F.relu(model.c1(x)), 2)
    x = F.max_pool2d(F.relu(model.c3(x)), 2)
    x = torch.flatten(F.relu(model.c5(x)), 1)
    return model.output(F.relu(model.f6(x)))


def check_relu_maxpool(model: nn.Module) -> ExerciseResult:
    """Exercise: LeNet-5 with ReLU instead of tanh and max- instead of average pooling."""
    what = "the model"
    try:
        n_params = count_parameters(model)
        x = torch.randn(4, 1, 32, 32, generator=torch.Generator().manual_seed(0))
        x = x.to(next(model.parameters()).device)
        model.eval()
        with torch.no_grad():
            got = model(x)
            expected = _reference_relu_maxpool(model, x)
    except Exception as err:  # a student's model can fail in many ways; say how
        return report(False, f"running {what} failed ({type(err).__name__}: {err}).",
                      "keep the layer names c1 ... output and the input shape (N, 1, 32, 32).")
    if n_params != count_parameters(LeNet5()):
        return report(False, f"{what} has {n_params:,} parameters, not LeNet-5's 61,706.",
                      "swapping activations and pooling adds or removes no weights.")
    if got.shape != expected.shape or not torch.allclose(got, expected, atol=1e-5):
        activation = getattr(model, "activation", None)
        probe = torch.tensor([-1.0, 0.5])
        tanh_like = activation is not None and not torch.allclose(activation(probe), F.relu(probe))
        hint = ("the activation still looks like tanh: replace model.activation with nn.ReLU()."
                if tanh_like else
                "pooling must be 2x2 max pooling with stride 2 in both s2 and s4 (nn.MaxPool2d(2)).")
        return report(False, f"{what} does not compute ReLU + max pooling.", hint)
    return report(True, f"{what} uses ReLU and 2x2 max pooling, with the same 61,706 parameters.")


def check_subsampling(layer_cls: Callable[[int], nn.Module]) -> ExerciseResult:
    """Exercise: the paper's S2, a trainable subsampling layer.

    ``layer_cls(channels)`` must build a layer that, for each map, sums each
    2x2 block (stride 2), multiplies by one trainable coefficient and adds one
    trainable bias: 2 parameters per map, 12 for S2's 6 maps.
    """
    try:
        layer = layer_cls(6)
        n_params = count_parameters(layer)
        with torch.no_grad():
            x = torch.randn(2, 6, 28, 28, generator=torch.Generator().manual_seed(1))
            out = layer(x)
            zeros, ones = layer(torch.zeros(1, 6, 28, 28)), layer(torch.ones(1, 6, 28, 28))
    except Exception as err:
        return report(False, f"building or running the layer failed ({type(err).__name__}: {err}).",
                      "the class must take the number of maps, e.g. layer_cls(6), and accept (N, C, H, W) input.")
    if n_params != 12:
        return report(False, f"the layer has {n_params} trainable parameters, not 12 for 6 maps.",
                      "one coefficient and one bias per map: two nn.Parameter tensors of shape (channels,).")
    if tuple(out.shape) != (2, 6, 14, 14):
        return report(False, f"a (2, 6, 28, 28) input gave {tuple(out.shape)}, not (2, 6, 14, 14).",
                      "2x2 blocks with stride 2 halve the height and the width.")
    bias = zeros[0, :, 0, 0]
    coefficient = (ones[0, :, 0, 0] - bias) / 4.0
    block_sums = 4.0 * F.avg_pool2d(x, 2)
    expected = coefficient.view(1, -1, 1, 1) * block_sums + bias.view(1, -1, 1, 1)
    if not torch.allclose(out, expected, atol=1e-4):
        return report(False, "the output is not coefficient x (sum of each 2x2 block) + bias, per map.",
                      "sum the block (4 x F.avg_pool2d(x, 2)), then scale by the map's coefficient "
                      "and add its bias, broadcast with .view(1, -1, 1, 1); no activation inside.")
    return report(True, "the layer sums 2x2 blocks, scales and shifts each map: 12 parameters for 6 maps.")
