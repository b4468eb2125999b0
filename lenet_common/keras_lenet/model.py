"""LeNet-5 in Keras 3 on TensorFlow: the network, how to build one, a look inside.

The one place the book's Keras model is defined. Importing it imports
TensorFlow (quietly, with its fast CPU kernels on: docs/decisions.md says
why), so only the chapters that use Keras import it. The model takes
channels-last images; :func:`to_channels_last` converts the book's NCHW.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ INFO/WARNING/ERROR lines
if not os.path.exists("/dev/nvidiactl"):  # no NVIDIA GPU: the CPU trains
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # fast CPU kernels


@contextlib.contextmanager
def _native_stderr_muted() -> Iterator[None]:
    """Send what C and C++ code write to the error stream (descriptor 2) nowhere.

    For TensorFlow's import only: its oneDNN notice comes from C++ before any
    log setting applies. A failed import still raises its Python exception.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2 to mute
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _native_stderr_muted():
    import tensorflow as tf  # noqa: E402


import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from lenet_common import lenet5, runtime  # noqa: E402
from lenet_common.plumbing.checks import (  # noqa: E402
    check_dataset,
    pixel_array,
)

# TensorFlow's Python-side warnings (e.g. "triggered tf.function retracing" when
# several models predict in one session) are log lines too: errors only.
tf.get_logger().setLevel("ERROR")

# TensorFlow takes nearly all of a GPU's memory at its first operation unless
# told to grow as needed; the side-by-side chapter runs PyTorch on the same GPU.
for _gpu in tf.config.list_physical_devices("GPU"):
    try:
        tf.config.experimental.set_memory_growth(_gpu, True)
    except RuntimeError:  # the GPU is already in use: too late, and no harm
        pass

__all__ = [
    "INPUT_SHAPE",
    "keras",
    "tf",
    "onednn_enabled",
    "gpu_visible",
    "build_lenet5",
    "build_model",
    "device_name",
    "to_channels_last",
    "layer_rows",
    "layer_outputs",
    "summary_text",
]

#: One image channels last (height, width, channels), the layout Keras' layers expect.
INPUT_SHAPE = (*lenet5.INPUT_SHAPE[1:], lenet5.INPUT_SHAPE[0])

_ACTIVATIONS = ("tanh", "relu")
_POOLINGS = {"average": layers.AveragePooling2D, "max": layers.MaxPooling2D}


def onednn_enabled() -> bool | None:
    """Whether TensorFlow runs oneDNN's CPU kernels in this process (None: it cannot say)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:  # TensorFlow moved it: a private module
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (Keras then trains there without being told)."""
    return runtime.tf_device(verbose=False) == "/GPU:0"


def build_lenet5(
    recipe: lenet5.Recipe | None = None,
    *,
    activation: str = "tanh",
    pooling: str = "average",
) -> keras.Sequential:
    """LeNet-5 (61,706 parameters) as a ``keras.Sequential`` that outputs logits.

    ``activation`` ("tanh" or "relu") and ``pooling`` ("average" or "max")
    exist for the exercises; the book's network is tanh with average pooling.
    The recipe's weight decay (``recipe``, default the book's) becomes an L2
    penalty of ``weight_decay / 2`` on every weight and bias: its gradient is
    ``weight_decay * w``, the term the NumPy and PyTorch optimisers add.
    """
    Pool = _pooling_layer(activation, pooling)
    weights = _weight_decay(lenet5.book_recipe() if recipe is None else recipe)
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            # C1: 6 filters of 5x5 -> 28x28x6
            layers.Conv2D(6, 5, activation=activation, name="c1", **weights),
            Pool(2, name="s2"),  # -> 14x14x6
            # C3: 16 filters of 5x5 -> 10x10x16
            layers.Conv2D(16, 5, activation=activation, name="c3", **weights),
            Pool(2, name="s4"),  # -> 5x5x16
            # C5: 120 filters of 5x5 -> 1x1x120
            layers.Conv2D(120, 5, activation=activation, name="c5", **weights),
            layers.Flatten(name="flatten"),  # -> 120
            layers.Dense(84, activation=activation, name="f6", **weights),
            layers.Dense(10, name="output", **weights),  # logits: no softmax here
        ],
        name="lenet5",
    )


def _pooling_layer(activation: str, pooling: str) -> Any:
    """The Keras pooling class for ``pooling``, after checking both options by name."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r}: use one of {_ACTIVATIONS}")
    if pooling not in _POOLINGS:
        raise ValueError(f"pooling={pooling!r}: use one of {tuple(_POOLINGS)}")
    return _POOLINGS[pooling]


def _weight_decay(recipe: lenet5.Recipe) -> dict[str, Any]:
    """The layers' regularisers: L2 of ``weight_decay / 2`` (gradient ``weight_decay * w``)."""
    decay = None
    if recipe.weight_decay:
        decay = keras.regularizers.L2(recipe.weight_decay / 2)
    return {"kernel_regularizer": decay, "bias_regularizer": decay}


def _check_images(
    x: np.ndarray, y: np.ndarray | None = None, what: str = "the"
) -> None:
    """Fail early, with the fix, on arrays the model cannot take.

    With labels, also refuse an empty set, NaN or infinite pixels and labels
    that are not integers 0-9, before any weight changes.
    """
    if x.ndim != 4 or tuple(x.shape[1:]) != INPUT_SHAPE:
        hint = (
            ' It looks channels-first: load it with load_lenet_data(layout="NHWC").'
            if x.ndim == 4 and tuple(x.shape[1:]) == lenet5.INPUT_SHAPE
            else ""
        )
        raise ValueError(
            f"images have shape {x.shape}; the Keras LeNet-5 trains on (N, 32, 32, 1)."
            + hint
        )
    if y is not None:
        check_dataset(x, y, lenet5.N_CLASSES, what)


def to_channels_last(images: np.ndarray) -> np.ndarray:
    """The book's NCHW images as Keras' NHWC (Keras' own layout is passed through)."""
    images = pixel_array(images, "Keras LeNet-5 input").astype(np.float32)
    if images.ndim == 4 and tuple(images.shape[1:]) == lenet5.INPUT_SHAPE:
        return images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and tuple(images.shape[1:]) == INPUT_SHAPE:
        return images
    raise ValueError(
        f"images have shape {images.shape}; LeNet-5 takes (N, 1, 32, 32) (the book's "
        "channels-first layout) or Keras' channels-last (N, 32, 32, 1)."
    )


def layer_rows(model: keras.Model) -> list[tuple[str, tuple[int, int, int], int]]:
    """(name, output shape as (C, H, W), parameters) of each LeNet-5 layer.

    Shapes are written channels-first, like the output-size chapter's table,
    and a dense layer of n units as (n, 1, 1); ``flatten`` moves no numbers
    and has no row in that table, so it is left out.
    """
    rows = []
    for layer in model.layers:
        if layer.name not in lenet5.LAYER_NAMES:
            continue
        shape = tuple(layer.output.shape[1:])
        chw = (shape[2], shape[0], shape[1]) if len(shape) == 3 else (shape[0], 1, 1)
        rows.append((layer.name, tuple(int(s) for s in chw), int(layer.count_params())))
    return rows


def layer_outputs(model: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """Each LeNet-5 layer's output for ``images``, channels first (like NumPy's).

    A convolution's output is taken after its activation (Keras applies it
    inside the layer), as the NumPy model's ``feature_maps`` gives it.
    """
    probe = keras.Model(
        model.inputs, [model.get_layer(name).output for name in lenet5.LAYER_NAMES]
    )
    outputs = probe.predict(to_channels_last(images), verbose=0)
    return {
        name: np.moveaxis(out, -1, 1) if out.ndim == 4 else out
        for name, out in zip(lenet5.LAYER_NAMES, outputs)
    }


def summary_text(model: keras.Model) -> str:
    """Keras' ``summary()`` as one block of plain text, which reads well on a static page.

    In a notebook, ``summary()`` draws with rich as several separate HTML
    outputs; captured as text, the table stays one piece in the book.
    """
    lines: list[str] = []
    try:
        from IPython.utils.capture import capture_output
    except ImportError:  # plain Python: nothing to capture
        model.summary(print_fn=lines.append)
    else:
        with capture_output(stdout=False, stderr=False, display=True):
            model.summary(print_fn=lines.append)  # rich leaves an empty display behind
    return "\n".join(line.rstrip("\n") for line in lines)


def build_model(recipe: lenet5.Recipe | None = None) -> keras.Model:
    """A fresh LeNet-5 for ``recipe`` (the book's if None): :func:`build_lenet5`."""
    return build_lenet5(recipe)


def device_name() -> str:
    """Where Keras trains here: ``/GPU:0`` or ``/CPU:0``."""
    return "/GPU:0" if gpu_visible() else "/CPU:0"
