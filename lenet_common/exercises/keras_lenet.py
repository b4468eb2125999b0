"""Checks for the exercises of the Keras chapter.

The checks take what the student built (a number, a Keras model) and compare
it with the book's reference: the parameter counts come from the formula the
output-size chapter teaches, and the models are inspected layer by layer.
Importing this module imports TensorFlow (through ``lenet_common.keras_lenet``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lenet_common import keras_lenet, shapes
from lenet_common.exercises import ExerciseResult, report

__all__ = [
    "conv_params",
    "check_wider_c3_params",
    "check_relu_max_variant",
    "check_fashion_model",
]


def conv_params(in_channels: int, out_channels: int, kernel: int) -> int:
    """Weights and biases of a full convolution, as the shapes chapter's table counts them."""
    layer = shapes.Conv("conv", filters=out_channels, kernel=kernel)
    return shapes.layer_table((in_channels, kernel, kernel), [layer])[0].params


def check_wider_c3_params(c3_params: int, c5_params: int) -> ExerciseResult:
    """Parameters of C3 and of C5 when C3 has 32 filters instead of 16."""
    want_c3 = conv_params(6, 32, 5)
    want_c5 = conv_params(32, 120, 5)
    if c3_params == want_c3 and c5_params == want_c5:
        return report(True, f"C3 has {want_c3:,} parameters and C5 {want_c5:,}.")
    if c3_params != want_c3:
        if c3_params == 32 * 5 * 5 + 32:
            hint = "each of C3's 32 kernels spans all 6 maps of S2: 5*5*6 weights, plus a bias."
        elif c3_params == 32 * 6 * 5 * 5:
            hint = "you counted the weights; add one bias per filter."
        else:
            hint = "C3's input is S2: 6 maps of 14x14. Count weights per kernel times 32, plus biases."
        return report(False, f"C3 does not have {c3_params:,} parameters.", hint)
    hint = (
        "C5 did not keep its count: its kernels now span 32 maps of S4, not 16."
        if c5_params == conv_params(16, 120, 5)
        else "C5 has 120 kernels of 5x5 over all of S4's maps, plus 120 biases."
    )
    return report(False, f"C3 is right, but C5 does not have {c5_params:,} parameters.", hint)


def _activation_name(layer: Any) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "")


def check_relu_max_variant(model: Any) -> ExerciseResult:
    """The ReLU/max-pooling LeNet-5: same names and shapes, ReLU, max pooling, logits out."""
    try:
        layers = {layer.name: layer for layer in model.layers}
    except AttributeError:
        return report(False, "that is not a Keras model.", "build one with keras_lenet.build_lenet5(...).")
    missing = [name for name in keras_lenet.LAYER_NAMES if name not in layers]
    if missing:
        return report(False, f"layers {missing} are missing.", "keep the layer names c1 ... output.")
    not_relu = [n for n in ("c1", "c3", "c5", "f6") if _activation_name(layers[n]) != "relu"]
    if not_relu:
        return report(False, f"{not_relu} do not use ReLU.", "pass activation=\"relu\".")
    not_max = [n for n in ("s2", "s4") if type(layers[n]).__name__ != "MaxPooling2D"]
    if not_max:
        return report(False, f"{not_max} are not max pooling.", "pass pooling=\"max\".")
    if _activation_name(layers["output"]) != "linear":
        return report(
            False, "the output layer applies an activation.",
            "keep logits out: the loss applies the softmax (from_logits=True).",
        )
    n = model.count_params()
    if n != 61_706:
        return report(False, f"the model has {n:,} parameters.", "ReLU and max pooling have no parameters.")
    return report(
        True,
        "ReLU and max pooling, logits out, and still 61,706 parameters: "
        "activations and pooling add none.",
    )


def check_fashion_model(model: Any, data: Any) -> ExerciseResult:
    """A LeNet-5 trained on Fashion-MNIST: clearly better than chance on its validation split.

    The bar is 80% validation accuracy on the full Fashion-MNIST and 65% on
    the small sample of quick mode (chance: 10%).
    """
    if getattr(data, "dataset", None) != "fashion-mnist":
        return report(
            False, f"the data is {getattr(data, 'dataset', data)!r}, not Fashion-MNIST.",
            'load it with load_lenet_data("fashion-mnist", layout="NHWC").',
        )
    if getattr(data, "layout", None) != "NHWC":
        return report(False, "the images are channels-first.", 'pass layout="NHWC" for Keras.')
    bar = 0.80 if data.source == "full" else 0.65
    predicted = keras_lenet.predict_labels(model, data.x_val)
    accuracy = float(np.mean(predicted == data.y_val))
    if accuracy < bar:
        return report(
            False, f"validation accuracy {accuracy:.1%} is below {bar:.0%}.",
            "train it with keras_lenet.fit_lenet5 on data.x_train/y_train first.",
        )
    return report(True, f"validation accuracy {accuracy:.1%} on Fashion-MNIST ({data.source}).")
