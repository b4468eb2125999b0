"""The Keras chapter's checks, each tested with the reference and the typical
mistakes."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

keras_lenet = pytest.importorskip("lenet_common.keras_lenet")
import keras  # noqa: E402

from lenet_common import lenet5, runtime  # noqa: E402
from lenet_common.data import load_lenet_data  # noqa: E402
from lenet_common.exercises import keras_lenet as checks  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def test_wider_c3_params():
    # the reference comes from Keras itself, not from a number typed here
    c3, c5 = keras.layers.Conv2D(32, 5), keras.layers.Conv2D(120, 5)
    c5(keras.layers.AveragePooling2D(2)(c3(keras.Input((14, 14, 6)))))
    right = c3.count_params(), c5.count_params()
    assert checks.check_wider_c3_params(*right)
    assert checks.check_wider_c3_params(np.int64(right[0]), np.float64(right[1]))
    assert "add one bias" in checks.check_wider_c3_params(32 * 6 * 25, right[1]).message
    assert (
        "spans all 6 maps"
        in checks.check_wider_c3_params(32 * 25 + 32, right[1]).message
    )
    assert "book's C3" in checks.check_wider_c3_params(2_416, right[1]).message
    assert "span 32 maps" in checks.check_wider_c3_params(right[0], 48_120).message
    assert "should be a number" in checks.check_wider_c3_params(None, right[1]).message
    assert "text" in checks.check_wider_c3_params("4832", right[1]).message
    assert checks.check_wider_c3_params(..., ...).status == "not attempted"


def variant(
    pool=keras.layers.MaxPooling2D,
    pool_args=(2,),
    activation="relu",
    output_activation=None,
):
    """A LeNet-5 built by hand, as a student might, with one part changed."""
    return keras.Sequential(
        [
            keras.Input(shape=keras_lenet.INPUT_SHAPE),
            keras.layers.Conv2D(6, 5, activation=activation, name="c1"),
            pool(*pool_args, name="s2"),
            keras.layers.Conv2D(16, 5, activation=activation, name="c3"),
            pool(*pool_args, name="s4"),
            keras.layers.Conv2D(120, 5, activation=activation, name="c5"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(84, activation=activation, name="f6"),
            keras.layers.Dense(10, activation=output_activation, name="output"),
        ]
    )


def test_relu_max_variant_accepts_the_reference_however_built():
    assert checks.check_relu_max_variant(
        keras_lenet.build_lenet5(activation="relu", pooling="max")
    )
    assert checks.check_relu_max_variant(variant())


def test_relu_max_variant_mistakes():
    book = checks.check_relu_max_variant(keras_lenet.build_lenet5())
    assert not book and "does not use ReLU" in book.message
    average = checks.check_relu_max_variant(
        keras_lenet.build_lenet5(activation="relu", pooling="average")
    )
    assert "not max pooling" in average.message
    overlapping = checks.check_relu_max_variant(
        variant(
            pool=lambda *a, **k: keras.layers.MaxPooling2D(
                3, strides=2, padding="same", **k
            )
        )
    )
    assert not overlapping and "2x2, stride 2, padding 'valid'" in overlapping.message
    softmax = checks.check_relu_max_variant(variant(output_activation="softmax"))
    assert "keep logits out" in softmax.message
    assert "Keras model" in checks.check_relu_max_variant("not a model").message
    assert checks.check_relu_max_variant(...).status == "not attempted"


def test_relu_max_variant_not_built_yet():
    unbuilt = keras.Sequential([keras.layers.Conv2D(6, 5), keras.layers.Flatten()])
    result = checks.check_relu_max_variant(unbuilt)
    assert not result and "not built yet" in result.message, result.message


@pytest.fixture(scope="module")
def fashion():
    return load_lenet_data("fashion-mnist", layout="NHWC", quick=True)


def test_fashion_model_reference_and_mistakes(fashion):
    runtime.seed_everything(0)
    recipe = lenet5.book_recipe(quick=True)
    model = keras_lenet.build_lenet5(recipe)
    untrained = checks.check_fashion_model(model, fashion)
    assert not untrained and "fit_lenet5" in untrained.message
    run = keras_lenet.fit_lenet5(
        model,
        fashion.x_train,
        fashion.y_train,
        fashion.x_val,
        fashion.y_val,
        recipe,
        verbose=False,
    )
    assert checks.check_fashion_model(model, fashion)
    the_run = checks.check_fashion_model(run, fashion)
    assert not the_run and "TrainingRun" in the_run.message
    mnist = load_lenet_data(layout="NHWC", quick=True)
    assert "not Fashion-MNIST" in checks.check_fashion_model(model, mnist).message
    nchw = load_lenet_data("fashion-mnist", quick=True)
    assert "NHWC" in checks.check_fashion_model(model, nchw).message


def test_fashion_model_wrong_types(fashion):
    assert "Keras model" in checks.check_fashion_model(None, fashion).message
    assert (
        "load_lenet_data"
        in checks.check_fashion_model(keras_lenet.build_lenet5(), None).message
    )
    assert checks.check_fashion_model(..., ...).status == "not attempted"
    bad = checks.check_fashion_model(
        keras.Sequential(
            [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
        ),
        fashion,
    )
    assert "your code raised" in bad.message and "(N, 32, 32, 1)" in bad.message
