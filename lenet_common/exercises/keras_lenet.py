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
from lenet_common.data import LeNetData
from lenet_common.exercises.answers import (
    as_whole,
    call_student,
    describe,
    numeric_or_none,
)
from lenet_common.exercises.verdicts import ExerciseResult, Feedback, check, report
from lenet_common.keras_lenet import keras  # imported after TensorFlow's log settings

__all__ = [
    "conv_params",
    "check_wider_c3_params",
    "check_relu_max_variant",
    "check_fashion_model",
]


def conv_params(in_channels: int, out_channels: int, kernel: int) -> int:
    """Weights and biases of a full convolution, as the shapes chapter's table counts
    them."""
    layer = shapes.Conv("conv", filters=out_channels, kernel=kernel)
    return shapes.layer_table((in_channels, kernel, kernel), [layer])[0].params


@check("ex-keras-wider-c3", points=1)
def check_wider_c3_params(c3_params: int, c5_params: int) -> ExerciseResult:
    """Parameters of C3 and of C5 when C3 has 32 filters instead of 16."""
    c3_params = as_whole(c3_params, "C3's parameter count")
    c5_params = as_whole(c5_params, "C5's parameter count")
    want_c3 = conv_params(6, 32, 5)
    want_c5 = conv_params(32, 120, 5)
    if c3_params == want_c3 and c5_params == want_c5:
        return report(True, f"C3 has {want_c3:,} parameters and C5 {want_c5:,}.")
    if c3_params != want_c3:
        if c3_params == 32 * 5 * 5 + 32:
            hint = (
                "each of C3's 32 kernels spans all 6 maps of S2: 5*5*6 weights, plus a "
                "bias."
            )
        elif c3_params == 32 * 6 * 5 * 5:
            hint = "you counted the weights; add one bias per filter."
        elif c3_params == conv_params(6, 16, 5):
            hint = "that is the book's C3, with 16 filters; this one has 32."
        else:
            hint = (
                "C3's input is S2: 6 maps of 14x14. Count weights per kernel times 32, "
                "plus biases."
            )
        return report(False, f"C3 does not have {c3_params:,} parameters.", hint)
    hint = (
        "C5 did not keep its count: its kernels now span 32 maps of S4, not 16."
        if c5_params == conv_params(16, 120, 5)
        else "C5 has 120 kernels of 5x5 over all of S4's maps, plus 120 biases."
    )
    return report(
        False, f"C3 is right, but C5 does not have {c5_params:,} parameters.", hint
    )


def _activation_name(layer: Any) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "")


def _keras_model(model: Any, what: str = "the model") -> keras.Model:
    if isinstance(model, keras_lenet.TrainingRun):
        raise Feedback(
            f"{what} is the TrainingRun that fit_lenet5 returns, not the model.",
            "pass the model you gave fit_lenet5 (its first argument); "
            "training changes it in place.",
        )
    if not isinstance(model, keras.Model):
        raise Feedback(
            f"{what} should be a Keras model, but it is {describe(model)}.",
            "build one with keras_lenet.build_lenet5(...).",
        )
    if not model.built:
        raise Feedback(
            f"{what} is not built yet: Keras does not know its input's shape, so it "
            "has no weights to judge.",
            "start it with keras.Input(shape=(32, 32, 1)), or build it with "
            "keras_lenet.build_lenet5(...).",
        )
    return model


def _pool_slip(layer: Any) -> str:
    """What is wrong with a pooling layer of the ReLU/max variant, or ''."""
    if type(layer).__name__ != "MaxPooling2D":
        return (
            f"{layer.name} is {type(layer).__name__}, not max pooling: "
            'pass pooling="max".'
        )
    config = layer.get_config()
    size, strides = (
        tuple(config["pool_size"]),
        tuple(config["strides"] or config["pool_size"]),
    )
    if size != (2, 2) or strides != (2, 2) or config["padding"] != "valid":
        return (
            f"{layer.name} pools {size} windows with stride {strides} and padding "
            f"{config['padding']!r}: LeNet-5's are 2x2, stride 2, padding 'valid'."
        )
    return ""


@check("ex-keras-relu-max", points=2)
def check_relu_max_variant(model: Any) -> ExerciseResult:
    """The ReLU/max-pooling LeNet-5: same weights as LeNet-5, ReLU, 2x2 max pooling,
    logits out.

    The student's weights are copied into the reference variant, and both
    must compute the same logits on random images.
    """
    model = _keras_model(model)
    n = model.count_params()
    if n != 61_706:
        return report(
            False,
            f"the model has {n:,} parameters, not 61,706.",
            "ReLU and max pooling have no parameters: keep LeNet-5's layers.",
        )
    reference = keras_lenet.build_lenet5(activation="relu", pooling="max")
    weights = model.get_weights()
    if [w.shape for w in weights] != [w.shape for w in reference.get_weights()]:
        return report(
            False,
            "the model's weights are not LeNet-5's, layer by layer.",
            "keep the layers c1 ... output in the book's order and sizes.",
        )
    reference.set_weights(weights)
    x = np.random.default_rng(0).standard_normal((4, *keras_lenet.INPUT_SHAPE))
    x = x.astype("float32")
    got = call_student(
        model, x, name="the model", hint="it takes (N, 32, 32, 1) images."
    )
    got, want = numeric_or_none(got), np.asarray(reference(x))
    same_shape = got is not None and got.shape == want.shape
    if same_shape and np.allclose(got, want, atol=1e-4):
        return report(
            True,
            "ReLU and max pooling, logits out, and still 61,706 parameters: "
            "activations and pooling add none.",
        )
    layers = {layer.name: layer for layer in model.layers}
    slips = [
        f'{name} does not use ReLU: pass activation="relu".'
        for name in ("c1", "c3", "c5", "f6")
        if name in layers and _activation_name(layers[name]) != "relu"
    ]
    slips += [_pool_slip(layers[name]) for name in ("s2", "s4") if name in layers]
    if "output" in layers and _activation_name(layers["output"]) != "linear":
        slips.append(
            "the output layer applies an activation: keep logits out (the loss "
            "applies the softmax, from_logits=True)."
        )
    slips = [slip for slip in slips if slip]
    hint = (
        slips[0]
        if slips
        else ('use keras_lenet.build_lenet5(activation="relu", pooling="max").')
    )
    return report(
        False, "the model does not compute LeNet-5 with ReLU and 2x2 max pooling.", hint
    )


@check("ex-keras-fashion", points=3, judge_inputs={"data": "fashion_data"})
def check_fashion_model(model: Any, data: Any) -> ExerciseResult:
    """A LeNet-5 trained on Fashion-MNIST: clearly better than chance on its validation
    split.

    The bar is 80% validation accuracy on the full Fashion-MNIST and 65% on
    the small sample of quick mode (chance: 10%).
    """
    model = _keras_model(model)
    if not isinstance(data, LeNetData):
        raise Feedback(
            f"the data should be what load_lenet_data returns, but it is "
            f"{describe(data)}.",
            'load it with load_lenet_data("fashion-mnist", layout="NHWC").',
        )
    if data.dataset != "fashion-mnist":
        return report(
            False,
            f"the data is {data.dataset!r}, not Fashion-MNIST.",
            'load it with load_lenet_data("fashion-mnist", layout="NHWC").',
        )
    if data.layout != "NHWC":
        return report(
            False, "the images are channels-first.", 'pass layout="NHWC" for Keras.'
        )
    bar = 0.80 if data.source == "full" else 0.65
    predicted = call_student(
        keras_lenet.predict,
        model,
        data.x_val,
        hint="the model must take (N, 32, 32, 1) images.",
    )
    accuracy = float(np.mean(predicted == data.y_val))
    if accuracy < bar:
        return report(
            False,
            f"validation accuracy {accuracy:.1%} is below {bar:.0%}.",
            "train it with keras_lenet.fit_lenet5 on data.x_train/y_train first.",
        )
    return report(
        True, f"validation accuracy {accuracy:.1%} on Fashion-MNIST ({data.source})."
    )
