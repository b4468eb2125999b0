"""Training the Keras LeNet-5: compile for the recipe, the input pipeline, fit.

:func:`train` takes the book's NCHW images and the same arguments as the
NumPy and PyTorch ``train``; :func:`fit_lenet5` is the Keras chapter's call,
which also takes Keras' own channels-last images and reports the timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lenet_common import lenet5
from lenet_common.keras_lenet.model import (
    _check_images,
    gpu_visible,
    keras,
    tf,
    to_channels_last,
)
from lenet_common.plumbing.checks import (
    diverged_error,
    has_diverged,
)

__all__ = [
    "compile_lenet5",
    "make_dataset",
    "EpochLog",
    "DivergenceGuard",
    "TrainingRun",
    "fit_lenet5",
    "train",
    "step_function",
]


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
    ``steps_per_execution`` (batches per call) default to what helps on the
    device: see :func:`_device_options` and the speed appendix.
    """
    rate: Any = recipe.learning_rate
    if recipe.schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, total_steps)
    jit_compile, steps_per_execution = _device_options(
        jit_compile, steps_per_execution, steps_per_epoch
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=rate, momentum=recipe.momentum),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def _device_options(
    jit_compile: bool | None,
    steps_per_execution: int | None,
    steps_per_epoch: int | None,
) -> tuple[bool, int]:
    """XLA and the batches per call: given, or what helps on the device.

    XLA and up to 50 batches per call on a GPU, neither on the CPU
    (docs/decisions.md says why). Given ``steps_per_epoch``, the batches per
    call divide it (on a GPU: 43 for full MNIST's 430, not 50). Keras ends a
    call only when it has run all its batches, so a call that crossed an
    epoch's end would take the next epoch's batches, shifting every later
    epoch's end, until the data ran out early in the last one.
    """
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
    return jit_compile, steps_per_execution


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
    model; this raises :class:`~lenet_common.plumbing.checks.TrainingDivergedError`.
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
            raise diverged_error(
                self._epoch * steps + done,
                mean if has_diverged(mean) else loss,
                "learning_rate",
                lr,
                self._epoch + 1,
            )
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


def _as_channels_last(images: np.ndarray) -> np.ndarray:
    """The book's NCHW images channels-last; anything else is left for the checks."""
    images = np.asarray(images)
    if images.ndim == 4 and tuple(images.shape[1:]) == lenet5.INPUT_SHAPE:
        return np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    return images


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

    First :func:`_prepare` checks the images, compiles the model for the recipe
    (:func:`compile_lenet5`, with ``compile_options``) and makes the datasets.
    The test set is not an argument on purpose: it is used once, after training.
    """
    recipe = lenet5.book_recipe() if recipe is None else recipe
    train_ds, val_ds, steps = _prepare(
        model, x_train, y_train, x_val, y_val, recipe, compile_options
    )
    log = EpochLog(recipe.epochs, verbose=verbose)
    keras_history = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=recipe.epochs,
        steps_per_epoch=steps,  # one epoch's batches
        shuffle=False,  # the batches already come in the recipe's order
        callbacks=[log, DivergenceGuard()],
        verbose=0,
    )
    return _training_run(keras_history, log)


def _prepare(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    recipe: lenet5.Recipe,
    compile_options: dict[str, Any],
) -> tuple[tf.data.Dataset, tf.data.Dataset, int]:
    """Check the images, compile for the recipe, and make the two datasets.

    Compiling here makes every :func:`fit_lenet5` call one run from the start
    of the schedule. Returns the datasets and the batches per epoch.
    """
    x_train, x_val = _as_channels_last(x_train), _as_channels_last(x_val)
    _check_images(x_train, y_train, "training")
    _check_images(x_val, y_val, "validation")
    steps = recipe.steps_per_epoch(len(x_train))
    compile_lenet5(
        model,
        recipe,
        recipe.total_steps(len(x_train)),
        steps_per_epoch=steps,
        **compile_options,
    )
    orders = [
        lenet5.batch_order(len(x_train), epoch, recipe.seed)
        for epoch in range(recipe.epochs)
    ]
    train_ds = make_dataset(
        x_train, y_train, batch_size=recipe.batch_size, orders=orders
    )
    val_ds = make_dataset(x_val, y_val, batch_size=1024)
    return train_ds, val_ds, steps


def _training_run(keras_history: Any, log: EpochLog) -> TrainingRun:
    """The run's history as plain floats, its epoch times and its device."""
    history = {k: [float(v) for v in vals] for k, vals in keras_history.history.items()}
    return TrainingRun(
        history=history,
        epoch_seconds=log.seconds,
        device="/GPU:0" if gpu_visible() else "/CPU:0",
    )


def train(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    recipe: lenet5.Recipe | None = None,
    *,
    show_progress: bool = True,
    **compile_options: Any,
) -> dict[str, list[float]]:
    """Train with the recipe, as the NumPy and PyTorch ``train`` do: the history.

    The same arguments in the same order as theirs, NCHW images included
    (converted to channels-last inside); the history has ``loss``,
    ``accuracy``, ``val_loss`` and ``val_accuracy`` per epoch.
    """
    if x_val is None or y_val is None:
        raise ValueError(
            "the Keras LeNet-5 trains with a validation split: pass x_val and y_val "
            "(load_lenet_data() gives data.x_val and data.y_val)"
        )
    run = fit_lenet5(
        model,
        x_train,
        y_train,
        x_val,
        y_val,
        recipe,
        verbose=show_progress,
        **compile_options,
    )
    return run.history


def step_function(
    model: keras.Model, recipe: lenet5.Recipe, images: np.ndarray, labels: np.ndarray
) -> Callable[[], None]:
    """One training step on this batch at the recipe's starting rate, as a function.

    For timing a step (the side-by-side chapter's exercise); every
    implementation offers it with the same arguments (NCHW images).
    """
    compile_lenet5(model, recipe, total_steps=1)
    x = to_channels_last(images)

    def step() -> None:
        model.train_on_batch(x, labels)

    return step
