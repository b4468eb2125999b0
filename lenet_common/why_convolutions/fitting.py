"""The minimal training loop: the book's recipe for any model with ``loss_and_grads``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lenet5
from ..numpy_lenet import SGD

__all__ = ["error_rate", "fit"]


def fit(model: Any, x: np.ndarray, y: np.ndarray, recipe: lenet5.Recipe) -> list[float]:
    """Train ``model`` in place with ``recipe``; return the mean loss of each epoch.

    The same steps as the LeNet-5 chapters: the batches of
    :func:`lenet5.batch_order`, SGD with momentum and weight decay, the rate
    of :meth:`lenet5.Recipe.learning_rate_at` at every step.
    """
    optimizer = SGD(
        model.params,
        lr=recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
    )
    total, step, losses = recipe.total_steps(len(x)), 0, []
    for epoch in range(recipe.epochs):
        order = lenet5.batch_order(len(x), epoch, recipe.seed)
        epoch_loss = 0.0
        for start in range(0, len(x), recipe.batch_size):
            batch = order[start : start + recipe.batch_size]
            optimizer.lr = recipe.learning_rate_at(step, total)
            loss, grads, _ = model.loss_and_grads(x[batch], y[batch])
            optimizer.step(grads)
            epoch_loss += loss * len(batch)
            step += 1
        losses.append(epoch_loss / len(x))
    return losses


def error_rate(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """The share of images whose predicted class is wrong."""
    return float(np.mean(model.predict(x) != y))
