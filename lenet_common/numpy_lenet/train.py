"""Train and evaluate the NumPy LeNet-5: mini-batch SGD, one progress bar per epoch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import lenet5, runtime
from ..plumbing.checks import check_dataset, diverged_error, has_diverged
from .fast import TrainingStep
from .layers import softmax_cross_entropy
from .model import LeNet5
from .optim import SGD

__all__ = ["train", "train_one_epoch", "evaluate"]

Grads = dict[str, np.ndarray]


def evaluate(
    model: LeNet5, x: np.ndarray, y: np.ndarray, batch_size: int = 256
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``."""
    check_dataset(x, y, model.n_classes, "evaluation")
    logits = model.predict_logits(x, batch_size)
    loss, _ = softmax_cross_entropy(logits, y)
    return loss, float(np.mean(logits.argmax(axis=1) == y))


def train(
    model: LeNet5,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    recipe: lenet5.Recipe | None = None,
    *,
    show_progress: bool = True,
    on_epoch_end: Callable[[int, dict[str, list[float]]], None] | None = None,
    fast: bool = False,
    threads: int | None = None,
) -> dict[str, list[float]]:
    """Train with the book's recipe: SGD with momentum, the rate scheduled per batch.

    ``recipe`` (default: :func:`lenet_common.lenet5.book_recipe`) gives the
    epochs, batch size, rates, momentum and weight decay; the batches come in
    the order of :func:`lenet_common.lenet5.batch_order`. Each epoch runs
    :func:`train_one_epoch`. Returns a Keras-style history: ``loss`` and
    ``accuracy`` (running means over each epoch's training batches) and, with
    validation data, ``val_loss`` and ``val_accuracy`` measured after each
    epoch. ``on_epoch_end(epoch, history)``, if given, is called after each
    epoch. Bad labels or images are refused before any weight changes; a loss
    that diverges stops training with a
    :class:`~lenet_common.plumbing.checks.TrainingDivergedError`.

    By default each step is the model's own ``model.loss_and_grads`` (the
    taught layers: edit one and training changes). ``fast=True`` runs
    :class:`~lenet_common.numpy_lenet.fast.TrainingStep` instead: the same
    arithmetic rearranged batch-last and split across ``threads`` CPU threads
    (default: one per core), tested equal to the default to rounding and
    several times quicker. ``threads`` without ``fast=True`` is refused.
    """
    if threads is not None and not fast:
        raise ValueError(
            f"threads={threads} only applies to the fast step: pass fast=True as well "
            "(the default step, the model's own loss_and_grads, runs on one thread)"
        )
    recipe = lenet5.book_recipe() if recipe is None else recipe
    x_train = model.check_input(x_train)
    check_dataset(x_train, y_train, model.n_classes, "training")
    if x_val is not None:
        check_dataset(model.check_input(x_val), y_val, model.n_classes, "validation")
    optimizer = SGD(
        model.params,
        lr=recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
    )
    fast_step = TrainingStep(model.params, threads=threads) if fast else None
    step_fn = model.loss_and_grads if fast_step is None else fast_step
    steps_per_epoch = recipe.steps_per_epoch(len(x_train))
    total_steps = recipe.total_steps(len(x_train))
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if x_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    try:
        for epoch in range(recipe.epochs):
            record = _EpochRecord(recipe, epoch, steps_per_epoch, show_progress)
            order = lenet5.batch_order(len(x_train), epoch, recipe.seed)
            batches = (
                (
                    order[b * recipe.batch_size : (b + 1) * recipe.batch_size],
                    recipe.learning_rate_at(epoch * steps_per_epoch + b, total_steps),
                )
                for b in record.batch_numbers
            )
            train_one_epoch(step_fn, optimizer, x_train, y_train, batches, record)
            history["loss"].append(record.loss_sum / record.seen)
            history["accuracy"].append(record.correct / record.seen)
            if x_val is not None:
                val_loss, val_acc = evaluate(model, x_val, y_val)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_acc)
            record.close(history)
            if on_epoch_end is not None:
                on_epoch_end(epoch + 1, history)
    finally:
        if fast_step is not None:
            fast_step.close()
    return history


def train_one_epoch(
    step_fn: Callable[[np.ndarray, np.ndarray], tuple[float, Grads, np.ndarray]],
    optimizer: SGD,
    x: np.ndarray,
    y: np.ndarray,
    batches: Iterable[tuple[np.ndarray, float]],
    on_batch: Callable[[float, np.ndarray, np.ndarray], None],
) -> None:
    """One epoch of mini-batch SGD: the whole training loop of the chapter.

    ``batches`` gives each batch's image indices and its learning rate;
    ``step_fn(x, y)`` returns the batch's loss, gradients and logits (the
    model's ``loss_and_grads``); ``on_batch`` keeps the record.
    """
    for idx, lr in batches:
        loss, grads, logits = step_fn(x[idx], y[idx])  # forward and backward
        on_batch(loss, logits, y[idx])
        optimizer.lr = lr
        optimizer.step(grads)  # the update


class _EpochRecord:
    """One epoch's running loss and accuracy, its progress bar and the divergence guard."""

    def __init__(
        self, recipe: lenet5.Recipe, epoch: int, steps: int, show_progress: bool
    ) -> None:
        self.recipe, self.epoch, self.show_progress = recipe, epoch, show_progress
        self.first = self.step = epoch * steps  # batches before this epoch
        self.loss_sum, self.correct, self.seen = 0.0, 0, 0
        self.batch_numbers: Any = range(steps)
        if show_progress:
            self.batch_numbers = runtime.progress(
                self.batch_numbers,
                desc=f"epoch {epoch + 1}/{recipe.epochs}",
                unit="batch",
            )

    def __call__(self, loss: float, logits: np.ndarray, labels: np.ndarray) -> None:
        if has_diverged(loss):  # NaN, infinite or exploded: stop, say when
            raise diverged_error(
                self.step + 1,
                loss,
                "learning_rate",
                self.recipe.learning_rate,
                self.epoch + 1,
            )
        b = self.step - self.first
        self.step += 1
        self.loss_sum += loss * len(labels)
        self.correct += int(np.sum(logits.argmax(axis=1) == labels))
        self.seen += len(labels)
        if self.show_progress and b % 20 == 0:
            self.batch_numbers.set_postfix(
                loss=f"{self.loss_sum / self.seen:.4f}",
                acc=f"{self.correct / self.seen:.4f}",
            )

    def close(self, history: dict[str, list[float]]) -> None:
        if self.show_progress:
            self.batch_numbers.set_postfix(
                {k: f"{v[-1]:.4f}" for k, v in history.items()}
            )
            self.batch_numbers.close()


def step_function(
    model: LeNet5, recipe: lenet5.Recipe, images: np.ndarray, labels: np.ndarray
) -> Callable[[], None]:
    """One training step on this batch at the recipe's starting rate, as a function.

    For timing a step (the side-by-side chapter's exercise); every
    implementation offers it with the same arguments.
    """
    optimizer = SGD(
        model.params,
        lr=recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
    )

    def step() -> None:
        optimizer.step(model.loss_and_grads(images, labels)[1])

    return step
