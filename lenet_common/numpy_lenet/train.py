"""Train and evaluate the NumPy LeNet-5: mini-batch SGD, one progress bar per epoch."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import lenet5, runtime
from ..plumbing.checks import check_dataset, diverged_error, has_diverged
from .fast import TrainingStep
from .layers import softmax_cross_entropy
from .model import LeNet5
from .optim import SGD

__all__ = ["train", "evaluate"]


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
    threads: int | None = None,
) -> dict[str, list[float]]:
    """Train with the book's recipe: SGD with momentum, the rate scheduled per batch.

    ``recipe`` (default: :func:`lenet_common.lenet5.book_recipe`) gives the
    epochs, batch size, rates, momentum and weight decay; the batches come in
    the order of :func:`lenet_common.lenet5.batch_order`. Returns a
    Keras-style history: ``loss`` and ``accuracy`` (running means over each
    epoch's training batches) and, with validation data, ``val_loss`` and
    ``val_accuracy`` measured after each epoch. ``on_epoch_end(epoch,
    history)``, if given, is called after each epoch (for example to log
    progress in a script). Bad labels or images are refused before any weight
    changes (a recipe checks its own values when it is made); a loss that
    diverges stops training with a
    :class:`~lenet_common.plumbing.checks.TrainingDivergedError`.
    Each step runs through :class:`~lenet_common.numpy_lenet.fast.TrainingStep`:
    the same gradients as ``model.loss_and_grads``, computed batch-last and
    split across ``threads`` CPU threads (default: one per core).
    """
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
    steps_per_epoch = recipe.steps_per_epoch(len(x_train))
    total_steps = recipe.total_steps(len(x_train))
    step_fn = TrainingStep(model.params, threads=threads)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    if x_val is not None:
        history.update(val_loss=[], val_accuracy=[])
    step = 0
    for epoch in range(recipe.epochs):
        order = lenet5.batch_order(len(x_train), epoch, recipe.seed)
        batches = range(steps_per_epoch)
        if show_progress:
            batches = runtime.progress(
                batches, desc=f"epoch {epoch + 1}/{recipe.epochs}", unit="batch"
            )
        loss_sum, correct, seen = 0.0, 0, 0
        for b in batches:
            idx = order[b * recipe.batch_size : (b + 1) * recipe.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            optimizer.lr = recipe.learning_rate_at(step, total_steps)
            loss, grads, logits = step_fn(xb, yb)
            if has_diverged(loss):  # NaN, infinite or exploded: stop, say when
                raise diverged_error(
                    step + 1, loss, "learning_rate", recipe.learning_rate, epoch + 1
                )
            optimizer.step(grads)
            step += 1
            loss_sum += loss * len(idx)
            correct += int(np.sum(logits.argmax(axis=1) == yb))
            seen += len(idx)
            if show_progress and b % 20 == 0:
                batches.set_postfix(
                    loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}"
                )
        history["loss"].append(loss_sum / seen)
        history["accuracy"].append(correct / seen)
        if x_val is not None:
            val_loss, val_acc = evaluate(model, x_val, y_val)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_acc)
        if show_progress:
            batches.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items()})
            batches.close()
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, history)
    step_fn.close()
    return history


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
