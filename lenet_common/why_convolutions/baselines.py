"""Networks without convolutions, to show what LeNet-5's convolutions gain.

A linear classifier (no hidden layer) and multilayer perceptrons (tanh
hidden layers), built from the NumPy chapter's dense, tanh and loss layers,
with the same surface the training loop uses: ``params``,
``loss_and_grads`` and ``predict``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import lenet5
from ..numpy_lenet import layers as L

__all__ = ["DenseNet"]


class DenseNet:
    """Flattened 32x32 image -> dense+tanh layers of ``hidden`` sizes -> 10 logits.

    ``hidden=()`` is a linear classifier. Weights start as the book's
    LeNet-5 does (Glorot uniform from ``seed``, zero biases).
    """

    def __init__(
        self,
        hidden: Sequence[int] = (),
        seed: int = 0,
        inputs: int = 32 * 32,
        classes: int = 10,
    ) -> None:
        sizes = [inputs, *hidden, classes]
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            self.params[f"d{i}.weight"] = lenet5.glorot_uniform(
                (n_in, n_out), rng
            ).astype(np.float32)
            self.params[f"d{i}.bias"] = np.zeros(n_out, np.float32)
        self.n_layers = len(sizes) - 1

    @property
    def num_params(self) -> int:
        """Weights and biases together."""
        return sum(p.size for p in self.params.values())

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Logits of images (N, 1, 32, 32), and the caches for ``backward``."""
        h, caches = x.reshape(len(x), -1), []
        for i in range(self.n_layers):
            h, cache = L.dense_forward(
                h, self.params[f"d{i}.weight"], self.params[f"d{i}.bias"]
            )
            caches.append(cache)
            if i < self.n_layers - 1:
                h, cache = L.tanh_forward(h)
                caches.append(cache)
        return h, caches

    def loss_and_grads(
        self,
        x: np.ndarray,
        y: np.ndarray,
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean softmax cross-entropy, the gradient of every parameter, the logits."""
        logits, caches = self.forward(x)
        loss, d = L.softmax_cross_entropy(logits, y)
        grads = {}
        for i in reversed(range(self.n_layers)):
            if i < self.n_layers - 1:
                d = L.tanh_backward(d, caches.pop())
            d, grads[f"d{i}.weight"], grads[f"d{i}.bias"] = L.dense_backward(
                d, caches.pop()
            )
        return loss, grads, logits

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The predicted class of each image."""
        return self.forward(x)[0].argmax(axis=1)
