"""Stochastic gradient descent with momentum and weight decay, in place."""

from __future__ import annotations

import numpy as np

from ..plumbing.checks import check_hyperparameters

__all__ = ["SGD"]


class SGD:
    """SGD with (heavy-ball) momentum and L2 weight decay, PyTorch's formulation.

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p          # L2 penalty (every tensor, biases too)
        v = momentum * v + g              # velocity: a running sum of gradients
        p = p - lr * v                    # in place: the model sees it at once
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        check_hyperparameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = {name: np.zeros_like(p) for name, p in params.items()}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Apply one update from ``grads`` (same names and shapes as the parameters)."""
        _check_names(self.params, grads)
        for name, p in self.params.items():
            v = self.velocity[name]
            v *= self.momentum
            v += grads[name]
            if self.weight_decay:
                v += self.weight_decay * p
            p -= self.lr * v


def _check_names(params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
    """Refuse a gradient dictionary that misses a parameter, naming the missing ones."""
    missing = set(params) - set(grads)
    if missing:
        raise KeyError(
            f"no gradient for {sorted(missing)}: pass one for every parameter"
        )
