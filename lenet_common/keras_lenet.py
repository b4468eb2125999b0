"""LeNet-5 in Keras 3 on TensorFlow: the model, its input pipeline, training and saving.

This is the one place of the book's Keras model: the Keras chapter, the tests
and the side-by-side chapter all import it from here. Importing this module
imports TensorFlow, so only the chapters that use Keras import it.

TensorFlow prints start-up log lines as soon as it is imported unless two
environment variables are set first; both are set here (``setdefault``, so a
reader's own choice wins) before the import.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ INFO/WARNING/ERROR lines
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # the oneDNN start-up notice

import functools  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from lenet_common import runtime  # noqa: E402
from lenet_common.atomic import replacing  # noqa: E402
from lenet_common.checks import (  # noqa: E402
    check_dataset,
    check_images,
    check_hyperparameters,
    diverged_error,
    has_diverged,
    nonfinite_output_error,
)
from lenet_common.fileformat import describe_file, wrong_file_error  # noqa: E402

# TensorFlow's Python-side warnings (e.g. "triggered tf.function retracing" when
# several models predict in one session) are log lines too: errors only.
tf.get_logger().setLevel("ERROR")

__all__ = [
    "LAYER_NAMES",
    "INPUT_SHAPE",
    "Recipe",
    "recipe_for_mode",
    "gpu_visible",
    "build_lenet5",
    "make_dataset",
    "EpochLog",
    "DivergenceGuard",
    "practitioner_callbacks",
    "TrainingRun",
    "fit_lenet5",
    "predict_labels",
    "layer_rows",
    "summary_text",
    "save_lenet5",
    "load_lenet5",
]

#: Layer names shared by the NumPy, PyTorch and Keras models, so weights can move between them.
LAYER_NAMES = ("c1", "s2", "c3", "s4", "c5", "f6", "output")
#: One 32x32 grey image, channels last (NHWC), as ``load_lenet_data(layout="NHWC")`` gives it.
INPUT_SHAPE = (32, 32, 1)
N_CLASSES = 10

_ACTIVATIONS = ("tanh", "relu")
_POOLINGS = {"average": layers.AveragePooling2D, "max": layers.MaxPooling2D}


@dataclass(frozen=True)
class Recipe:
    """How long and how fast to train; the same recipe on the CPU and on a GPU."""

    epochs: int  # an upper bound: early stopping may end training sooner
    batch_size: int = 128
    learning_rate: float = 0.05
    momentum: float = 0.9
    stop_patience: int = 5  # epochs without a better val_loss before stopping
    lr_patience: int = 2  # epochs without a better val_loss before the rate is cut
    lr_factor: float = 0.3  # the cut: new rate = old rate * lr_factor

    def __post_init__(self) -> None:
        check_hyperparameters(
            epochs=self.epochs, batch_size=self.batch_size,
            learning_rate=self.learning_rate, momentum=self.momentum,
            stop_patience=self.stop_patience, lr_patience=self.lr_patience,
            lr_factor=self.lr_factor)


def recipe_for_mode(quick: bool) -> Recipe:
    """The book's recipe: a few epochs on the small sample, or the full run on MNIST."""
    if quick:
        return Recipe(epochs=6, batch_size=64)
    return Recipe(epochs=30)


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (Keras then trains there without being told)."""
    return runtime.tf_device(verbose=False) == "/GPU:0"


def build_lenet5(
    *,
    activation: str = "tanh",
    pooling: str = "average",
    learning_rate: float = 0.05,
    momentum: float = 0.9,
    jit_compile: bool | None = None,
    steps_per_execution: int | None = None,
) -> keras.Sequential:
    """LeNet-5 (61,706 parameters) as a compiled ``keras.Sequential`` that outputs logits.

    ``activation`` ("tanh" or "relu") and ``pooling`` ("average" or "max")
    exist for the exercises; the book's network is tanh with average pooling.
    ``jit_compile`` (XLA) and ``steps_per_execution`` default to what helps on
    the device: on a GPU, XLA fuses the small layers' steps into few kernels
    and 50 batches per call keep Python out of the way. On the CPU, XLA made
    training slower when measured for this book, and several batches per call
    gained little, so both stay off there (Keras' own "auto" agrees on XLA).
    """
    check_hyperparameters(learning_rate=learning_rate, momentum=momentum)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r}: use one of {_ACTIVATIONS}")
    if pooling not in _POOLINGS:
        raise ValueError(f"pooling={pooling!r}: use one of {tuple(_POOLINGS)}")
    Pool = _POOLINGS[pooling]
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="image"),
            layers.Conv2D(6, 5, activation=activation, name="c1"),  # -> 28x28x6
            Pool(2, name="s2"),  # -> 14x14x6
            layers.Conv2D(16, 5, activation=activation, name="c3"),  # -> 10x10x16
            Pool(2, name="s4"),  # -> 5x5x16
            layers.Conv2D(120, 5, activation=activation, name="c5"),  # -> 1x1x120
            layers.Flatten(name="flatten"),  # -> 120
            layers.Dense(84, activation=activation, name="f6"),
            layers.Dense(N_CLASSES, name="output"),  # logits: no softmax here
        ],
        name="lenet5",
    )
    on_gpu = gpu_visible()
    if jit_compile is None:
        jit_compile = on_gpu  # XLA: fused kernels, few launches
    if steps_per_execution is None:
        steps_per_execution = 50 if on_gpu else 1  # batches per trip back to Python
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum, nesterov=True),
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
            if x.ndim == 4 and x.shape[1] == 1
            else ""
        )
        raise ValueError(
            f"images have shape {x.shape}; the Keras LeNet-5 takes (N, 32, 32, 1)."
            + hint
        )
    if y is not None:
        check_dataset(x, y, N_CLASSES, what)


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> tf.data.Dataset:
    """An in-memory ``tf.data`` pipeline: (shuffled), batched and prefetched.

    MNIST is small enough to live in memory, so nothing is read from disk
    during training; ``prefetch`` prepares the next batch while the device
    works on the current one. Shuffling draws a new order every epoch.
    """
    _check_images(x, y)
    ds = tf.data.Dataset.from_tensor_slices((x.astype(np.float32), y.astype(np.int64)))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


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
        lr = float(self.model.optimizer.learning_rate.numpy())
        print(
            f"epoch {epoch + 1:>2}/{self.total_epochs}"
            f"  loss {logs.get('loss', float('nan')):.4f}"
            f"  acc {logs.get('accuracy', float('nan')):.2%}"
            f"  val_loss {logs.get('val_loss', float('nan')):.4f}"
            f"  val_acc {logs.get('val_accuracy', float('nan')):.2%}"
            f"  lr {lr:.3g}  {self.seconds[-1]:.1f} s",
            flush=True,
        )


def practitioner_callbacks(recipe: Recipe) -> list[keras.callbacks.Callback]:
    """Keep the best weights by validation loss, and cut the learning rate on a plateau."""
    return [
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=recipe.lr_factor, patience=recipe.lr_patience,
            min_lr=1e-4, verbose=0,
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=recipe.stop_patience,
            restore_best_weights=True, verbose=0,
        ),
    ]


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
            lr = float(self.model.optimizer.learning_rate.numpy())
            raise diverged_error(self._epoch * steps + done,
                                 mean if has_diverged(mean) else loss,
                                 "learning_rate", lr, self._epoch + 1)
        self._seen, self._mean = done, mean


@dataclass
class TrainingRun:
    """What ``fit_lenet5`` reports: the curves, the epochs, their timings."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    best_epoch: int  # 1-based epoch whose weights the model now holds
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
    recipe: Recipe,
    *,
    seed: int = 0,
    verbose: bool = True,
) -> TrainingRun:
    """Train with ``fit`` on the training split, watching the validation split.

    The test set is not an argument on purpose: it is used once, after
    training, and never to choose anything.
    """
    _check_images(x_train, y_train, "training")
    _check_images(x_val, y_val, "validation")
    train_ds = make_dataset(x_train, y_train, batch_size=recipe.batch_size, shuffle=True, seed=seed)
    val_ds = make_dataset(x_val, y_val, batch_size=1024)
    log = EpochLog(recipe.epochs, verbose=verbose)
    callbacks = practitioner_callbacks(recipe) + [log, DivergenceGuard()]
    keras_history = model.fit(
        train_ds, validation_data=val_ds, epochs=recipe.epochs, callbacks=callbacks,
        shuffle=False,  # the pipeline already shuffles, with its own seed
        verbose=0,
    )
    history = {k: [float(v) for v in vals] for k, vals in keras_history.history.items()}
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    return TrainingRun(
        history=history,
        epoch_seconds=log.seconds,
        best_epoch=best_epoch,
        device="/GPU:0" if gpu_visible() else "/CPU:0",
    )


def predict_labels(model: keras.Model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The predicted class of each image: the index of its largest logit."""
    _check_images(x)
    check_images(x, "images to predict", allow_empty=True)
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    if not np.isfinite(logits).all():  # NaN weights would answer "class 0" for all
        raise nonfinite_output_error(_named_weights(model), x)
    return np.argmax(logits, axis=1)


def _named_weights(model: keras.Model) -> dict[str, np.ndarray]:
    return {f"{layer.name}.{w.name}": np.asarray(w.numpy())
            for layer in model.layers for w in layer.weights}


def layer_rows(model: keras.Model) -> list[tuple[str, tuple[int, int, int], int]]:
    """(name, output shape as (C, H, W), parameters) of each LeNet-5 layer.

    Shapes are written channels-first, like the output-size chapter's table,
    and a dense layer of n units as (n, 1, 1); ``flatten`` moves no numbers
    and has no row in that table, so it is left out.
    """
    rows = []
    for layer in model.layers:
        if layer.name not in LAYER_NAMES:
            continue
        shape = tuple(layer.output.shape[1:])
        chw = (shape[2], shape[0], shape[1]) if len(shape) == 3 else (shape[0], 1, 1)
        rows.append((layer.name, tuple(int(s) for s in chw), int(layer.count_params())))
    return rows


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


def _keras_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(
            f"{path}: name the file with the .keras extension (Keras' native format), "
            f"e.g. {path.with_suffix('.keras').name}"
        )
    return path


def save_lenet5(model: keras.Model, path: str | Path) -> Path:
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
    model = build_lenet5(jit_compile=False, steps_per_execution=1)
    return _weight_shapes(model)


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


def load_lenet5(path: str | Path) -> keras.Model:
    """Load a model saved by :func:`save_lenet5`, ready to predict or to train on.

    A file that is not a Keras model, or a Keras model of another
    architecture, is refused with an error that says what the file is.
    """
    path = _keras_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; save a model there first with save_lenet5")
    expected = "a Keras LeNet-5 saved by keras_lenet.save_lenet5"
    how = "Pass the file that save_lenet5(model, path) wrote."
    if not describe_file(path).startswith("a Keras model file"):
        raise wrong_file_error(path, expected, how)
    try:
        model = keras.saving.load_model(path)
    except Exception as err:  # Keras raises many types for a file it cannot read
        raise ValueError(f"{path} looks like a Keras model file but cannot be read "
                         f"({type(err).__name__}: {str(err)[:200]}). {how}") from None
    problems = _architecture_differences(model)
    if problems:
        raise ValueError(
            f"{path} holds a Keras model ({model.name!r}) of another architecture, not "
            f"the book's LeNet-5: {'; '.join(problems)}. Load it with "
            "keras.saving.load_model if you meant that model."
        )
    return model

