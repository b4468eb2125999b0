"""LeNet-5 in Keras 3 on TensorFlow: the model, its input pipeline, training and saving.

This is the one place of the book's Keras model: the Keras chapter, the tests
and the side-by-side chapter all import it from here. Importing this module
imports TensorFlow, so only the chapters that use Keras import it.

TensorFlow prints start-up log lines as soon as it is imported.
``TF_CPP_MIN_LOG_LEVEL=3``, set here before the import (``setdefault``, so a
reader's own choice wins), silences its C++ log. One notice, that the oneDNN
library's CPU kernels are on, is written before that setting applies, so
TensorFlow is imported with the process's error stream muted.

oneDNN's kernels are turned on here too (``TF_ENABLE_ONEDNN_OPTS=1``, again
unless the reader chose). On Linux, TensorFlow turns them on by itself only
for processors with AVX-512 VNNI, AVX-512 BF16, AVX-VNNI or AMX
(``DefaultOneDnnPolicy`` in its ``tensorflow/core/util/port.cc``); on the
book's AVX2 AMD EPYC they were off, and turning them on trained LeNet-5
about 1.9 times as fast (``benchmarks/bench_keras_cpu.py``). On a machine
with an NVIDIA GPU, where the training runs on the GPU, TensorFlow's own
choice is kept.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

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

import functools  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from lenet_common import lenet5, runtime  # noqa: E402
from lenet_common.atomic import replacing  # noqa: E402
from lenet_common.checks import (  # noqa: E402
    check_hyperparameters,
    check_dataset,
    check_images,
    diverged_error,
    has_diverged,
    nonfinite_output_error,
    pixel_array,
)
from lenet_common.fileformat import describe_file, wrong_file_error  # noqa: E402

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
    "onednn_enabled",
    "gpu_visible",
    "build_lenet5",
    "compile_lenet5",
    "make_dataset",
    "EpochLog",
    "DivergenceGuard",
    "TrainingRun",
    "fit_lenet5",
    "layer_rows",
    "layer_outputs",
    "summary_text",
    *lenet5.SURFACE,  # the functions all three implementations share
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
    recipe: lenet5.Recipe | None = None, *, activation: str = "tanh",
    pooling: str = "average",
) -> keras.Sequential:
    """LeNet-5 (61,706 parameters) as a ``keras.Sequential`` that outputs logits.

    ``activation`` ("tanh" or "relu") and ``pooling`` ("average" or "max")
    exist for the exercises; the book's network is tanh with average pooling.
    The recipe's weight decay (``recipe``, default the book's) becomes an L2
    penalty of ``weight_decay / 2`` on every weight and bias: its gradient is
    ``weight_decay * w``, the term the NumPy and PyTorch optimisers add.
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r}: use one of {_ACTIVATIONS}")
    if pooling not in _POOLINGS:
        raise ValueError(f"pooling={pooling!r}: use one of {tuple(_POOLINGS)}")
    recipe = lenet5.book_recipe() if recipe is None else recipe
    Pool = _POOLINGS[pooling]
    decay = None
    if recipe.weight_decay:
        decay = keras.regularizers.L2(recipe.weight_decay / 2)
    weights = {"kernel_regularizer": decay, "bias_regularizer": decay}
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


def _largest_divisor(n: int, most: int) -> int:
    """The largest divisor of ``n`` that is at most ``most`` (430, 50 -> 43)."""
    return max(d for d in range(1, min(n, most) + 1) if n % d == 0)


def compile_lenet5(
    model: keras.Model,
    recipe: lenet5.Recipe,
    total_steps: int,
    *,
    jit_compile: bool | None = None,
    steps_per_execution: int | None = None,
    steps_per_epoch: int | None = None,
) -> keras.Model:
    """Set up training: SGD with momentum, the recipe's rate per step, loss and metric.

    ``CosineDecay`` computes, inside the compiled step, the same rates as the
    recipe's schedule over ``total_steps`` steps. ``jit_compile`` (XLA) and
    ``steps_per_execution`` default to what helps on the device: on a GPU,
    XLA fuses the small layers' steps into few kernels and up to 50 batches
    per call keep Python out of the way. On the CPU (with oneDNN's kernels on),
    XLA made training slower when measured for this book, so it stays off
    there (Keras' own "auto" agrees); ten batches per call gained about a
    tenth, too little to give up the divergence guard's exact step (see
    :class:`DivergenceGuard`). ``benchmarks/bench_keras_cpu.py`` measures both.

    Given ``steps_per_epoch``, the batches per call divide it (on a GPU: 43
    for full MNIST's 430, not 50). Keras ends a call only when it has run
    all its batches, so a call that crossed an epoch's end would take the
    next epoch's batches, shifting every later epoch's end, until the data
    ran out early in the last one.
    """
    rate: Any = recipe.learning_rate
    if recipe.schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, total_steps)
    on_gpu = gpu_visible()
    if jit_compile is None:
        jit_compile = on_gpu  # XLA: fused kernels, few launches
    if steps_per_execution is None:  # batches per trip back to Python
        steps_per_execution = 1
        if on_gpu:  # up to 50, and whole calls per epoch
            steps_per_execution = _largest_divisor(steps_per_epoch or 50, 50)
    if steps_per_epoch and steps_per_epoch % steps_per_execution:
        raise ValueError(
            f"steps_per_execution={steps_per_execution} does not divide the "
            f"{steps_per_epoch} batches of an epoch: a call would run on into the next "
            f"epoch's batches. Use a divisor of {steps_per_epoch}, such as "
            f"{_largest_divisor(steps_per_epoch, steps_per_execution)}."
        )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=rate, momentum=recipe.momentum),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def _check_images(x: np.ndarray, y: np.ndarray | None = None,
                  what: str = "the") -> None:
    """Fail early, with the fix, on arrays the model cannot take.

    With labels, also refuse an empty set, NaN or infinite pixels and labels
    that are not integers 0-9, before any weight changes.
    """
    if x.ndim != 4 or tuple(x.shape[1:]) != INPUT_SHAPE:
        hint = (
            " It looks channels-first: load it with load_lenet_data(layout=\"NHWC\")."
            if x.ndim == 4 and tuple(x.shape[1:]) == lenet5.INPUT_SHAPE
            else ""
        )
        raise ValueError(
            f"images have shape {x.shape}; the Keras LeNet-5 trains on (N, 32, 32, 1)."
            + hint
        )
    if y is not None:
        check_dataset(x, y, lenet5.N_CLASSES, what)


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    orders: list[np.ndarray] | None = None,
) -> tf.data.Dataset:
    """An in-memory ``tf.data`` pipeline: batches in a given order, prefetched.

    ``orders`` holds one permutation of the images per epoch (the book's
    :func:`lenet_common.lenet5.batch_order`): the dataset then yields every
    epoch's batches one after the other, the same batches the NumPy and
    PyTorch versions train on. Without ``orders``: the images in their own
    order, once (for evaluation). MNIST is small enough to live in memory,
    so nothing is read from disk during training; ``prefetch`` prepares the
    next batch while the device works on the current one.
    """
    _check_images(x, y)
    images, labels = tf.constant(x, tf.float32), tf.constant(y, tf.int64)
    if orders is None:
        ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    else:
        epochs = tf.data.Dataset.from_tensor_slices(np.stack(orders))
        ds = epochs.flat_map(
            lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        ).map(lambda idx: (tf.gather(images, idx), tf.gather(labels, idx)))
    return ds.prefetch(tf.data.AUTOTUNE)


class EpochLog(keras.callbacks.Callback):
    """One short line per epoch (loss, accuracy, learning rate, seconds), and the timings.

    Keras' own progress bar redraws itself many times a second, which a
    static page shows as a wall of text; one line per epoch reads well
    everywhere.
    """

    def __init__(self, total_epochs: int, verbose: bool = True) -> None:
        super().__init__()
        self.total_epochs = total_epochs
        self.verbose = verbose
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)
        if not self.verbose:
            return
        logs = logs or {}
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        print(
            f"epoch {epoch + 1:>2}/{self.total_epochs}"
            f"  loss {logs.get('loss', float('nan')):.4f}"
            f"  acc {logs.get('accuracy', float('nan')):.2%}"
            f"  val_loss {logs.get('val_loss', float('nan')):.4f}"
            f"  val_acc {logs.get('val_accuracy', float('nan')):.2%}"
            f"  lr {lr:.3g}  {self.seconds[-1]:.1f} s",
            flush=True,
        )


class DivergenceGuard(keras.callbacks.Callback):
    """Stop training with an error naming the step where the loss diverged.

    Keras' own ``TerminateOnNaN`` stops quietly and leaves NaN weights in the
    model; this raises :class:`~lenet_common.checks.TrainingDivergedError`.
    Keras reports the epoch's running mean of the loss after each batch (or
    each ``steps_per_execution`` batches), so a step's own loss is recovered
    from two successive means.
    """

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch, self._seen, self._mean = epoch, 0, 0.0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        mean = float((logs or {}).get("loss", 0.0))
        done = batch + 1  # batches of this epoch so far
        loss = (mean * done - self._mean * self._seen) / max(done - self._seen, 1)
        if has_diverged(mean) or has_diverged(loss):
            steps = self.params.get("steps") or done
            lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            raise diverged_error(self._epoch * steps + done,
                                 mean if has_diverged(mean) else loss,
                                 "learning_rate", lr, self._epoch + 1)
        self._seen, self._mean = done, mean


@dataclass
class TrainingRun:
    """What ``fit_lenet5`` reports: the curves, the epochs, their timings."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    device: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs_run(self) -> int:
        return len(self.epoch_seconds)

    @property
    def seconds_per_epoch(self) -> float:
        """Median time of an epoch (the first one also builds the graph, so it is slower)."""
        return float(np.median(self.epoch_seconds))


def fit_lenet5(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    recipe: lenet5.Recipe | None = None,
    *,
    verbose: bool = True,
    **compile_options: Any,
) -> TrainingRun:
    """Train ``model`` from its weights with the recipe, watching the validation split.

    Compiles the model for the recipe first (see :func:`compile_lenet5`,
    which takes ``compile_options``), so every call is one run from the
    start of the schedule. The test set is not an argument on purpose: it
    is used once, after training, and never to choose anything.
    """
    recipe = lenet5.book_recipe() if recipe is None else recipe
    _check_images(x_train, y_train, "training")
    _check_images(x_val, y_val, "validation")
    steps = recipe.steps_per_epoch(len(x_train))
    compile_lenet5(model, recipe, recipe.total_steps(len(x_train)),
                   steps_per_epoch=steps, **compile_options)
    orders = [lenet5.batch_order(len(x_train), epoch, recipe.seed)
              for epoch in range(recipe.epochs)]
    train_ds = make_dataset(x_train, y_train, batch_size=recipe.batch_size,
                            orders=orders)
    val_ds = make_dataset(x_val, y_val, batch_size=1024)
    log = EpochLog(recipe.epochs, verbose=verbose)
    keras_history = model.fit(
        train_ds, validation_data=val_ds, epochs=recipe.epochs,
        steps_per_epoch=steps,  # one epoch's batches
        shuffle=False,  # the batches already come in the recipe's order
        callbacks=[log, DivergenceGuard()], verbose=0,
    )
    history = {k: [float(v) for v in vals] for k, vals in keras_history.history.items()}
    return TrainingRun(
        history=history,
        epoch_seconds=log.seconds,
        device="/GPU:0" if gpu_visible() else "/CPU:0",
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
    probe = keras.Model(model.inputs,
                        [model.get_layer(name).output for name in lenet5.LAYER_NAMES])
    outputs = probe.predict(_channels_last(images), verbose=0)
    return {name: np.moveaxis(out, -1, 1) if out.ndim == 4 else out
            for name, out in zip(lenet5.LAYER_NAMES, outputs)}


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


# --------------------------------------------------------------------------
# The surface the three implementations share: weights and predictions
# --------------------------------------------------------------------------


def _by_book_name(model: keras.Model, values: list[Any]) -> dict[str, np.ndarray]:
    """Values of the layers' (kernel, bias) pairs, in the order of ``model.layers``,
    as the book's names and layout (a conv kernel ``(kh, kw, C, F)`` becomes
    ``(F, C, kh, kw)``; dense kernels are ``(in, out)`` in both)."""
    names = [f"{layer.name}.{kind}" for layer in model.layers
             for kind, _ in zip(("weight", "bias"), layer.weights)]
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


def _channels_last(images: np.ndarray) -> np.ndarray:
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


def predict_logits(model: keras.Model, images: np.ndarray,
                   batch_size: int = 1024) -> np.ndarray:
    """Logits ``(N, 10)`` of images ``(N, 1, 32, 32)``, as in the other frameworks.

    The images are transposed to channels last inside; images already in
    Keras' layout ``(N, 32, 32, 1)`` are taken as they are. Images holding NaN
    or infinity, and logits that are not finite (NaN weights after a diverged
    training), raise a ValueError that says why.
    """
    check_hyperparameters(batch_size=batch_size)
    x = _channels_last(images)
    check_images(x, "images to predict", allow_empty=True)
    if len(x) == 0:
        return np.zeros((0, lenet5.N_CLASSES), np.float32)
    logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if not np.isfinite(logits).all():  # NaN weights would answer "class 0" for all
        raise nonfinite_output_error(_named_weights(model), x)
    return logits


def _named_weights(model: keras.Model) -> dict[str, np.ndarray]:
    return {f"{layer.name}.{w.name}": np.asarray(w.numpy())
            for layer in model.layers for w in layer.weights}


def predict(model: keras.Model, images: np.ndarray,
            batch_size: int = 1024) -> np.ndarray:
    """The predicted class of each image: the index of its largest logit."""
    return predict_logits(model, images, batch_size).argmax(axis=1)


def gradients(model: keras.Model, images: np.ndarray,
              labels: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy on one batch, by the book's names and layout.

    TensorFlow's automatic differentiation computes them (``GradientTape``),
    without the weight-decay penalty, from images in either layout.
    """
    x, y = _channels_last(images), np.asarray(labels)
    _check_images(x, y)
    variables = [w for layer in model.layers for w in layer.weights]
    with tf.GradientTape() as tape:
        logits = model(tf.constant(x), training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            tf.constant(y, tf.int64), logits, from_logits=True))
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
    return {layer.name: [tuple(w.shape) for w in layer.weights]
            for layer in model.layers}


def _architecture_differences(model: keras.Model) -> list[str]:
    """How ``model``'s layers differ from LeNet-5's (names and weight shapes)."""
    expected = _lenet5_weight_shapes()
    found = _weight_shapes(model)
    problems = [f"no layer {name!r}" for name in expected if name not in found]
    problems += [f"an extra layer {name!r}" for name in found if name not in expected]
    problems += [f"{name} has weights {found[name]}, LeNet-5's are {shapes}"
                 for name, shapes in expected.items()
                 if name in found and found[name] != shapes]
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
            f"{path}: no such file; save a model there first with save_weights")
    expected = "a Keras LeNet-5 saved by keras_lenet.save_weights"
    how = "Pass the file that save_weights(model, path) wrote."
    if not describe_file(path).startswith("a Keras model file"):
        raise wrong_file_error(path, expected, how)
    try:
        loaded = keras.saving.load_model(path)
    except Exception as err:  # Keras raises many types for a file it cannot read
        raise ValueError(f"{path} looks like a Keras model file but cannot be read "
                         f"({type(err).__name__}: {str(err)[:200]}). {how}") from None
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
