"""The book's LeNet-5, described once: its layers, its input and how it is trained.

The NumPy, PyTorch and Keras implementations, the chapters, the tests and
the benchmarks all read the network's facts from here, so that "the same
network" holds by construction and a change is made in one place. Each
framework writes the layers in its own idiom; ``get_params``/``set_params``
of each refuse a model whose tensors differ from :data:`PARAM_SHAPES`.

Importing this module needs NumPy only, never torch or TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from lenet_common import runtime
from lenet_common.plumbing.checks import check_hyperparameters

__all__ = [
    "Layer",
    "LAYERS",
    "LAYER_NAMES",
    "INPUT_SHAPE",
    "N_CLASSES",
    "PARAM_SHAPES",
    "check_params",
    "param_arrays",
    "glorot_uniform",
    "initial_params",
    "SCHEDULES",
    "Recipe",
    "book_recipe",
    "batch_order",
    "SURFACE",
]


@dataclass(frozen=True)
class Layer:
    """One layer of LeNet-5: its name, its kind and its size."""

    name: str
    kind: str  # "conv", "avg_pool" or "dense"
    size: int  # conv: filters (maps); dense: units; avg_pool: window side (= stride)
    kernel: int = 0  # conv only: the side of its square filters
    activation: str | None = None  # applied to the layer's output ("tanh"), or none


#: The network, input to output. C5 is a convolution whose output is 1x1.
LAYERS: tuple[Layer, ...] = (
    Layer("c1", "conv", 6, kernel=5, activation="tanh"),
    Layer("s2", "avg_pool", 2),
    Layer("c3", "conv", 16, kernel=5, activation="tanh"),
    Layer("s4", "avg_pool", 2),
    Layer("c5", "conv", 120, kernel=5, activation="tanh"),
    Layer("f6", "dense", 84, activation="tanh"),
    Layer("output", "dense", 10),  # logits: the softmax lives in the loss
)

LAYER_NAMES: tuple[str, ...] = tuple(layer.name for layer in LAYERS)

#: One image as the book stores it: channels, height, width (batches are NCHW).
INPUT_SHAPE: tuple[int, int, int] = (1, 32, 32)

N_CLASSES: int = LAYERS[-1].size


def _param_shapes() -> dict[str, tuple[int, ...]]:
    """Every trainable tensor's shape, in the NumPy model's layout.

    Convolution weights are ``(F, C, kh, kw)`` (as in PyTorch), dense weights
    ``(in, out)`` (as in Keras). Convolutions are unpadded with stride 1, so a
    side shrinks by ``kernel - 1``; pooling divides it by the window.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    channels, side = INPUT_SHAPE[0], INPUT_SHAPE[1]
    for layer in LAYERS:
        if layer.kind == "conv":
            weight = (layer.size, channels, layer.kernel, layer.kernel)
            side -= layer.kernel - 1
        elif layer.kind == "dense":
            weight = (channels * side * side, layer.size)
            side = 1
        else:
            side //= layer.size
            continue
        shapes[f"{layer.name}.weight"] = weight
        shapes[f"{layer.name}.bias"] = (layer.size,)
        channels = layer.size
    return shapes


#: Every trainable tensor of the network, in order, with its shape (NumPy layout).
PARAM_SHAPES: dict[str, tuple[int, ...]] = _param_shapes()


def check_params(params: Mapping[str, object], what: str = "params") -> None:
    """Raise a ValueError naming every missing, unknown or misshapen tensor.

    ``params`` maps the book's names (``c1.weight`` ... ``output.bias``) to
    arrays in the NumPy layout; ``what`` names the source in the message.
    """
    if not isinstance(params, Mapping):
        raise ValueError(
            f"{what} must be a dict of arrays named like {list(PARAM_SHAPES)[:2]}..., "
            f"got {type(params).__name__}"
        )
    problems = [f"{name} is missing" for name in PARAM_SHAPES if name not in params]
    problems += [
        f"{name} is not a LeNet-5 tensor" for name in params if name not in PARAM_SHAPES
    ]
    for name, shape in PARAM_SHAPES.items():
        try:
            got = np.shape(params[name]) if name in params else shape
        except ValueError:  # nested lists whose rows differ in length
            problems.append(f"{name} is not an array: its rows differ in length")
            continue
        if tuple(got) != shape:
            problems.append(f"{name} has shape {tuple(got)}, expected {shape}")
    if problems:
        raise ValueError(
            f"{what} do not fit the book's LeNet-5: "
            + "; ".join(problems)
            + ". Names and shapes are those of lenet_common.lenet5.PARAM_SHAPES "
            "(conv weights (F, C, kh, kw), dense weights (in, out))."
        )


def param_arrays(
    params: Mapping[str, object], dtype: object = np.float32, what: str = "params"
) -> dict[str, np.ndarray]:
    """``params`` as arrays of ``dtype``, once every name, shape and value fits.

    A ``set_params`` converts everything with this before it writes anything,
    so a refused call leaves the model exactly as it was. Values that are not
    real numbers (text, objects, complex numbers) raise a ValueError naming
    each such tensor.
    """
    check_params(params, what)
    arrays, problems = {}, []
    for name in PARAM_SHAPES:
        value = params[name]
        if hasattr(value, "detach"):  # a torch tensor, perhaps one that needs grad
            value = value.detach().cpu()
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            arrays[name] = array.astype(dtype)
        else:
            problems.append(f"{name} holds {array.dtype} values, not real numbers")
    if problems:
        raise ValueError(
            f"{what} cannot be set: " + "; ".join(problems) + ". Give each tensor "
            "as an array of floats."
        )
    return arrays


def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform initialisation, suited to tanh.

    Draws from U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``, which keeps
    the variance of activations and of gradients roughly constant from layer
    to layer while tanh works in its near-linear range. For a conv weight
    ``(F, C, kh, kw)``: fan_in = C*kh*kw, fan_out = F*kh*kw; for a dense
    weight ``(in, out)``: fan_in = in, fan_out = out. (Keras' default.)
    """
    if len(shape) == 4:
        filters, channels, kh, kw = shape
        fan_in, fan_out = channels * kh * kw, filters * kh * kw
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        raise ValueError(
            "glorot_uniform expects a conv (4 axes) or dense (2 axes) shape, "
            f"got {shape}"
        )
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def initial_params(seed: int = 0, dtype: object = np.float32) -> dict[str, np.ndarray]:
    """The book's starting weights: Glorot uniform weights, zero biases, from ``seed``.

    All three implementations start from these (through ``set_params``), so
    that they can be compared step for step.
    """
    rng = np.random.default_rng(seed)
    return {
        name: (
            glorot_uniform(shape, rng) if name.endswith("weight") else np.zeros(shape)
        ).astype(dtype)
        for name, shape in PARAM_SHAPES.items()
    }


#: The learning-rate schedules a recipe can name.
SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class Recipe:
    """How the book trains LeNet-5, the same in NumPy, PyTorch and Keras.

    Mini-batch SGD with heavy-ball momentum and L2 weight decay in PyTorch's
    form (``v = momentum * v + grad + weight_decay * w``; ``w -= rate * v``),
    the rate following ``schedule`` one step per batch, from the weights of
    :func:`initial_params` (``init``) and the batches of :func:`batch_order`,
    both drawn from ``seed``.
    """

    epochs: int
    batch_size: int
    learning_rate: float  # the rate of the first step
    momentum: float = 0.9
    weight_decay: float = 5e-4  # added to every gradient, biases included
    schedule: str = "cosine"  # "cosine": half a cosine from learning_rate down to 0
    init: str = "glorot_uniform"  # weights; biases start at zero
    seed: int = 0  # the initial weights and the order of the batches

    def __post_init__(self) -> None:
        check_hyperparameters(  # the rules and wording all the book's code shares
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
        )
        problems = []
        if (
            not isinstance(self.seed, (int, np.integer))
            or isinstance(self.seed, bool)
            or self.seed < 0
        ):
            problems.append(f"seed={self.seed!r} (must be a whole number >= 0)")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule={self.schedule!r} (must be one of {SCHEDULES})")
        if self.init != "glorot_uniform":
            problems.append(f"init={self.init!r} (must be 'glorot_uniform')")
        if problems:
            raise ValueError("bad recipe: " + "; ".join(problems))

    def steps_per_epoch(self, n_images: int) -> int:
        """Batches in one pass over ``n_images`` (the last one may be smaller)."""
        return -(-n_images // self.batch_size)

    def total_steps(self, n_images: int) -> int:
        """SGD steps in the whole run."""
        return self.epochs * self.steps_per_epoch(n_images)

    def learning_rate_at(self, step: int, total_steps: int) -> float:
        """The rate of step ``step`` (counted from 0) of ``total_steps``."""
        if total_steps <= 0:
            raise ValueError(f"total_steps must be positive, got {total_steps}")
        if self.schedule == "constant":
            return self.learning_rate
        progress = min(max(step / total_steps, 0.0), 1.0)
        return self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))

    def as_dict(self) -> dict[str, object]:
        """The recipe as plain values (for JSON files and cache keys)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def book_recipe(quick: bool | None = None) -> Recipe:
    """The recipe of the book's chapters: full MNIST, or the quick-mode sample.

    Quick mode's sample has a few thousand images, so batches are smaller
    and each epoch still takes some 40 steps.
    """
    quick = runtime.QUICK if quick is None else quick
    if quick:
        return Recipe(epochs=6, batch_size=64, learning_rate=0.05)
    return Recipe(epochs=12, batch_size=128, learning_rate=0.05)


def batch_order(n_images: int, epoch: int, seed: int = 0) -> np.ndarray:
    """The order in which epoch ``epoch`` (from 0) visits the training images.

    A permutation drawn from ``(seed, epoch)`` alone, so every implementation
    sees the same batches in the same order and any epoch can be reproduced
    on its own.
    """
    if n_images < 1 or epoch < 0 or seed < 0:
        raise ValueError(
            "need n_images >= 1, epoch >= 0 and seed >= 0; "
            f"got {n_images}, {epoch}, {seed}"
        )
    return np.random.default_rng([seed, epoch]).permutation(n_images)


#: The functions ``numpy_lenet``, ``torch_lenet`` and ``keras_lenet`` all offer,
#: with the same names and behaviour (the parameters in the book's names and layout).
SURFACE = (
    "build_model",
    "device_name",
    "train",
    "step_function",
    "get_params",
    "set_params",
    "predict_logits",
    "predict",
    "gradients",
    "save_weights",
    "load_weights",
)
