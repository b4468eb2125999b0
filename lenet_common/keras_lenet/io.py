"""The Keras LeNet-5's surface shared with the other two implementations.

Weights in and out by the book's names and NumPy layout (``get_params``,
``set_params``, ``save_weights``, ``load_weights``), and predictions and
gradients of the book's NCHW images as NumPy arrays.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from lenet_common import lenet5
from lenet_common.keras_lenet.model import (
    _check_images,
    build_lenet5,
    keras,
    tf,
    to_channels_last,
)
from lenet_common.plumbing.atomic import replacing
from lenet_common.plumbing.checks import (
    check_hyperparameters,
    check_images,
    nonfinite_output_error,
)
from lenet_common.plumbing.fileformat import describe_file, wrong_file_error

__all__ = [
    "get_params",
    "set_params",
    "predict_logits",
    "predict",
    "gradients",
    "save_weights",
    "load_weights",
]

# --------------------------------------------------------------------------
# The surface the three implementations share: weights and predictions
# --------------------------------------------------------------------------


def _by_book_name(model: keras.Model, values: list[Any]) -> dict[str, np.ndarray]:
    """Values of the layers' (kernel, bias) pairs, in the order of ``model.layers``,
    as the book's names and layout (a conv kernel ``(kh, kw, C, F)`` becomes
    ``(F, C, kh, kw)``; dense kernels are ``(in, out)`` in both)."""
    names = [
        f"{layer.name}.{kind}"
        for layer in model.layers
        for kind, _ in zip(("weight", "bias"), layer.weights)
    ]
    arrays = {}
    for name, value in zip(names, values, strict=True):
        value = np.asarray(value)
        if value.ndim == 4:
            value = value.transpose(3, 2, 0, 1)
        arrays[name] = np.ascontiguousarray(value)
    lenet5.check_params(arrays, what="the model's tensors")
    return {name: arrays[name] for name in lenet5.PARAM_SHAPES}


def get_params(model: keras.Model) -> dict[str, np.ndarray]:
    """Every parameter as a NumPy array, by the book's names and NumPy layout.

    Keras stores a convolution kernel channels last, ``(kh, kw, C, F)``; the
    book's layout is ``(F, C, kh, kw)``, so those are transposed. Dense
    kernels are ``(in, out)`` in both.
    """
    values = [w for layer in model.layers for w in layer.get_weights()]
    return _by_book_name(model, values)


def set_params(model: keras.Model, params: dict[str, np.ndarray]) -> keras.Model:
    """Copy arrays in the book's names and layout into ``model`` (kernels transposed).

    Wrong or missing names, wrong shapes and values that are not numbers raise a
    ValueError that lists them, and leave the model as it was.
    """
    arrays = lenet5.param_arrays(params)
    get_params(model)  # the model itself must be the book's LeNet-5
    for layer in model.layers:
        if layer.weights:
            kernel = arrays[f"{layer.name}.weight"]
            if kernel.ndim == 4:
                kernel = kernel.transpose(2, 3, 1, 0)
            layer.set_weights([kernel, arrays[f"{layer.name}.bias"]])
    return model


def predict_logits(
    model: keras.Model, images: np.ndarray, *, batch_size: int = 1024
) -> np.ndarray:
    """Logits ``(N, 10)`` of images ``(N, 1, 32, 32)``, as in the other frameworks.

    The images are transposed to channels last inside; images already in
    Keras' layout ``(N, 32, 32, 1)`` are taken as they are. Images holding NaN
    or infinity, and logits that are not finite (NaN weights after a diverged
    training), raise a ValueError that says why.
    """
    check_hyperparameters(batch_size=batch_size)
    x = to_channels_last(images)
    check_images(x, "images to predict", allow_empty=True)
    if len(x) == 0:
        return np.zeros((0, lenet5.N_CLASSES), np.float32)
    logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if not np.isfinite(logits).all():  # NaN weights would answer "class 0" for all
        raise nonfinite_output_error(_named_weights(model), x)
    return logits


def _named_weights(model: keras.Model) -> dict[str, np.ndarray]:
    return {
        f"{layer.name}.{w.name}": np.asarray(w.numpy())
        for layer in model.layers
        for w in layer.weights
    }


def predict(
    model: keras.Model, images: np.ndarray, *, batch_size: int = 1024
) -> np.ndarray:
    """The predicted class of each image: the index of its largest logit."""
    return predict_logits(model, images, batch_size=batch_size).argmax(axis=1)


def gradients(
    model: keras.Model, images: np.ndarray, labels: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy on one batch, by the book's names and layout.

    TensorFlow's automatic differentiation computes them (``GradientTape``),
    without the weight-decay penalty, from images in either layout.
    """
    x, y = to_channels_last(images), np.asarray(labels)
    _check_images(x, y)
    variables = [w for layer in model.layers for w in layer.weights]
    with tf.GradientTape() as tape:
        logits = model(tf.constant(x), training=True)
        loss = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(
                tf.constant(y, tf.int64), logits, from_logits=True
            )
        )
    return _by_book_name(model, tape.gradient(loss, variables))


def _keras_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(
            f"{path}: name the file with the .keras extension (Keras' native format), "
            f"e.g. {path.with_suffix('.keras').name}"
        )
    return path


def save_weights(model: keras.Model, path: str | Path) -> Path:
    """Save architecture, weights and optimizer state in one native ``.keras`` file.

    The write is atomic: if it fails part-way, the previous file is untouched.
    """
    path = _keras_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as part:
        model.save(part)
    return path


@functools.lru_cache(maxsize=1)
def _lenet5_weight_shapes() -> dict[str, list[tuple[int, ...]]]:
    """Each layer's weight shapes in the book's LeNet-5, from build_lenet5 itself."""
    return _weight_shapes(build_lenet5())


def _weight_shapes(model: keras.Model) -> dict[str, list[tuple[int, ...]]]:
    return {
        layer.name: [tuple(w.shape) for w in layer.weights] for layer in model.layers
    }


def _architecture_differences(model: keras.Model) -> list[str]:
    """How ``model``'s layers differ from LeNet-5's (names and weight shapes)."""
    expected = _lenet5_weight_shapes()
    found = _weight_shapes(model)
    problems = [f"no layer {name!r}" for name in expected if name not in found]
    problems += [f"an extra layer {name!r}" for name in found if name not in expected]
    problems += [
        f"{name} has weights {found[name]}, LeNet-5's are {shapes}"
        for name, shapes in expected.items()
        if name in found and found[name] != shapes
    ]
    return problems


def load_weights(model: keras.Model | None, path: str | Path) -> keras.Model:
    """Load a file saved by :func:`save_weights`.

    With ``model=None``, the whole saved model comes back (ready to predict
    or to train on); with a model, only the weights are copied into it. A
    file that is not a Keras model, or a Keras model of another
    architecture, is refused with an error that says what the file is.
    """
    path = _keras_path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file; save a model there first with save_weights"
        )
    expected = "a Keras LeNet-5 saved by keras_lenet.save_weights"
    how = "Pass the file that save_weights(model, path) wrote."
    if not describe_file(path).startswith("a Keras model file"):
        raise wrong_file_error(path, expected, how)
    try:
        loaded = keras.saving.load_model(path)
    except Exception as err:  # Keras raises many types for a file it cannot read
        raise ValueError(
            f"{path} looks like a Keras model file but cannot be read "
            f"({type(err).__name__}: {str(err)[:200]}). {how}"
        ) from None
    problems = _architecture_differences(loaded)
    if problems:
        raise ValueError(
            f"{path} holds a Keras model ({loaded.name!r}) of another architecture, "
            f"not the book's LeNet-5: {'; '.join(problems)}. Load it with "
            "keras.saving.load_model if you meant that model."
        )
    if model is None:
        return loaded
    model.set_weights(loaded.get_weights())
    return model
