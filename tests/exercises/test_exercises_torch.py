"""The PyTorch chapter's checks, each tested with the reference and the typical
mistakes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from lenet_common import torch_lenet as tl  # noqa: E402
from lenet_common.exercises import torch_lenet as ex  # noqa: E402


def test_wide_c1_params():
    right = tl.count_parameters(ex.wide_c1_model(10))
    for form in (right, np.int64(right), float(right), np.array(right)):
        assert ex.check_wide_c1_params(form)
    assert "book's LeNet-5" in ex.check_wide_c1_params(61_706).message
    assert "C3 changes too" in ex.check_wide_c1_params(61_706 + 4 * 26).message
    assert "biases" in ex.check_wide_c1_params(right - 26).message
    assert "should be a number" in ex.check_wide_c1_params(None).message
    assert ex.check_wide_c1_params(...).status == "not attempted"


def test_wide_c1_params_counted_with_torch():
    """Counting with torch operations gives 0-d tensors: a right one is right."""
    model = ex.wide_c1_model(10)
    counted = sum(p.numel() for p in model.parameters())  # an int
    summed = torch.stack([torch.tensor(p.numel()) for p in model.parameters()]).sum()
    assert summed.ndim == 0 and int(summed) == counted
    for form in (
        summed,
        torch.tensor(counted),
        torch.tensor(float(counted)),
        torch.tensor(float(counted), requires_grad=True),
    ):
        assert ex.check_wide_c1_params(form), form
    wrong = ex.check_wide_c1_params(torch.tensor(61_706))
    assert not wrong and "book's LeNet-5" in wrong.message  # read, then judged
    assert (
        "whole number" in ex.check_wide_c1_params(torch.tensor(counted + 0.5)).message
    )
    one_element = ex.check_wide_c1_params(torch.tensor([counted]))
    assert not one_element and "shape (1,)" in one_element.message
    assert ".item()" in one_element.message
    truth = ex.check_wide_c1_params(torch.tensor(True))
    assert not truth and "bool" in truth.message and "int(...)" in truth.message


@pytest.fixture
def model():
    torch.manual_seed(0)
    return tl.LeNet5()


def test_relu_maxpool(model):
    model.activation = nn.ReLU()
    model.s2, model.s4 = nn.MaxPool2d(2), nn.MaxPool2d(2)
    assert ex.check_relu_maxpool(model)


def test_relu_maxpool_mistakes(model):
    assert "not ReLU" in ex.check_relu_maxpool(model).message  # still tanh
    model.activation = nn.ReLU()
    assert "max pooling" in ex.check_relu_maxpool(model).message  # still averages
    model.s2, model.s4 = nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2)
    assert (
        "2x2 max pooling" in ex.check_relu_maxpool(model).message
    )  # same shapes, not 2x2
    model.s2 = nn.MaxPool2d(2)
    model.f6 = nn.Linear(120, 90)
    assert "parameters" in ex.check_relu_maxpool(model).message
    assert "PyTorch module" in ex.check_relu_maxpool(None).message
    assert ex.check_relu_maxpool(...).status == "not attempted"


def test_relu_maxpool_model_that_raises():
    class Broken(tl.LeNet5):
        def forward(self, x):
            raise RuntimeError("shapes do not match")

    result = ex.check_relu_maxpool(Broken())
    assert "your code raised RuntimeError: shapes do not match" in result.message


class Right(nn.Module):
    """The reference answer to the subsampling exercise."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def scale(self, blocks):
        return self.coefficient.view(1, -1, 1, 1) * blocks + self.bias.view(1, -1, 1, 1)

    def forward(self, x):
        return self.scale(4 * F.avg_pool2d(x, 2))


class Average(Right):
    def forward(self, x):
        return self.scale(F.avg_pool2d(x, 2))


class Maximum(Right):
    def forward(self, x):
        return self.scale(F.max_pool2d(x, 2))


class UnusedCoefficient(Right):
    def forward(self, x):
        return 4 * F.avg_pool2d(x, 2) + self.bias.view(1, -1, 1, 1)


class UnusedBias(Right):
    def forward(self, x):
        return self.coefficient.view(1, -1, 1, 1) * 4 * F.avg_pool2d(x, 2)


class Squashed(Right):
    def forward(self, x):
        return torch.tanh(super().forward(x))


class Overlapping(Right):
    def forward(self, x):
        return self.scale(9 * F.avg_pool2d(x, 3, stride=2, padding=1))


class StrideOne(Right):
    def forward(self, x):
        return self.scale(4 * F.avg_pool2d(x, 2, stride=1))


class OnePair(Right):
    def __init__(self, channels: int) -> None:
        super().__init__(1)


class Starter(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()

    def forward(self, x):
        raise NotImplementedError


def test_subsampling_accepts_the_reference():
    assert ex.check_subsampling(Right)


@pytest.mark.parametrize(
    "layer, hint",
    [
        (Average, "SUMS the 2x2 block"),
        (Maximum, "maximum"),
        (UnusedCoefficient, "coefficient is declared but never used"),
        (UnusedBias, "bias is declared but never used"),
        (Squashed, "squashing function out"),
        (Overlapping, "not overlapping 3x3"),
        (StrideOne, "halve the height"),
        (OnePair, "PER MAP"),
        (lambda c: nn.Conv2d(c, c, 2, stride=2), "two nn.Parameter tensors"),
    ],
)
def test_subsampling_names_the_mistake(layer, hint):
    result = ex.check_subsampling(layer)
    assert not result and hint in result.message, result.message


def test_subsampling_not_attempted_and_failures():
    assert ex.check_subsampling(Starter).status == "not attempted"
    no_channels = ex.check_subsampling(lambda: None)
    assert "your code raised TypeError" in no_channels.message
    assert "Subsampling(6)" in no_channels.message
    assert "PyTorch module" in ex.check_subsampling(lambda c: None).message


def test_relu_maxpool_model_that_returns_the_wrong_thing(model):
    class Pair(tl.LeNet5):
        def forward(self, x):
            return super().forward(x), None

    class Five(tl.LeNet5):
        def forward(self, x):
            return super().forward(x)[:, :5]

    for wrong, words in ((Pair(), "returned a tuple"), (Five(), "returned (4, 5)")):
        result = ex.check_relu_maxpool(wrong)
        assert not result and words in result.message, result.message
        assert "not ReLU" not in result.message  # not blamed on the activation


class RightFloat64(Right):
    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.double()

    def forward(self, x):
        return super().forward(x.double())


class Rounded(Right):
    def forward(self, x):
        return super().forward(x).round().long()


class Half(Right):
    def forward(self, x):
        return super().forward(x).half()


def test_subsampling_in_other_number_types():
    assert ex.check_subsampling(RightFloat64)  # float64 is still the right layer
    rounded = ex.check_subsampling(Rounded)
    assert not rounded and "not of floats" in rounded.message
    half = ex.check_subsampling(Half)
    assert not half and "could not read" not in half.message, half.message
