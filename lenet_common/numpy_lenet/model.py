"""LeNet-5 assembled from the hand-written layers.

32x32x1 -> C1 conv 6@5x5 + tanh -> S2 avg pool 2x2 -> C3 conv 16@5x5 + tanh
-> S4 avg pool 2x2 -> C5 conv 120@5x5 + tanh -> F6 dense 84 + tanh -> output
dense 10 (logits), as :mod:`lenet_common.lenet5` describes it. Parameters are
named ``c1.weight``, ``c1.bias``, ..., ``output.bias``: conv weights
``(F, C, kh, kw)`` as in PyTorch, dense weights ``(in, out)`` as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lenet5
from ..plumbing.checks import (
    check_hyperparameters,
    check_images,
    nonfinite_output_error,
    pixel_array,
)
from . import layers as L
from .hooks import FORWARD_STEPS, around_layers

__all__ = ["LeNet5", "predict_logits", "predict", "gradients"]

_LAYERS = {layer.name: layer for layer in lenet5.LAYERS}


class LeNet5:
    """The book's LeNet-5 in NumPy: ``forward`` keeps the caches that ``backward`` uses.

    ``dtype`` is float32 for training (fast) or float64 for gradient checks.
    The weights start as :func:`lenet_common.lenet5.initial_params` draws
    them from ``seed``.
    """

    def __init__(self, seed: int = 0, dtype: Any = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.params: dict[str, np.ndarray] = lenet5.initial_params(seed, self.dtype)
        self._caches: dict[str, Any] = {}

    # ------------------------------------------------------------------ helpers
    @property
    def n_classes(self) -> int:
        """The number of classes: the output layer's width (10 for digits)."""
        return self.params["output.bias"].shape[0]

    @property
    def num_params(self) -> int:
        """Total number of trainable numbers (61,706 for the book's LeNet-5)."""
        return sum(p.size for p in self.params.values())

    def astype(self, dtype: Any) -> LeNet5:
        """A copy of this network computing in ``dtype``."""
        other = LeNet5(dtype=dtype)
        other.params = {k: v.astype(dtype) for k, v in self.params.items()}
        return other

    def check_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` in the network's dtype, or a clear error for a wrong shape."""
        expected = lenet5.INPUT_SHAPE
        if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[1:] != expected:
            shape = getattr(x, "shape", type(x).__name__)
            raise ValueError(
                f"LeNet5 expects images of shape (N, {', '.join(map(str, expected))}) "
                f"(NCHW, 28x28 digits zero-padded to 32x32), got {shape}; load them "
                "with load_lenet_data(layout='NCHW')"
            )
        return pixel_array(x, "LeNet5").astype(self.dtype, copy=False)

    # ------------------------------------------------------------------ one layer each
    def _weights(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.params[f"{name}.weight"], self.params[f"{name}.bias"]

    def _conv_tanh(self, name: str, x: np.ndarray) -> np.ndarray:
        a, conv_cache = L.conv_forward(x, *self._weights(name))
        h, tanh_cache = L.tanh_forward(a)
        self._caches[name] = conv_cache, tanh_cache
        return h

    def _avg_pool(self, name: str, x: np.ndarray) -> np.ndarray:
        out, self._caches[name] = L.avg_pool_forward(x, _LAYERS[name].size)
        return out

    def _dense_tanh(self, name: str, x: np.ndarray) -> np.ndarray:
        a, dense_cache = L.dense_forward(x, *self._weights(name))
        h, tanh_cache = L.tanh_forward(a)
        self._caches[name] = dense_cache, tanh_cache
        return h

    def _dense(self, name: str, x: np.ndarray) -> np.ndarray:
        out, self._caches[name] = L.dense_forward(x, *self._weights(name))
        return out

    def _conv_tanh_backward(
        self,
        name: str,
        dh: np.ndarray,
        grads: dict[str, np.ndarray],
        need_dx: bool = True,
    ) -> np.ndarray | None:
        conv_cache, tanh_cache = self._caches[name]
        dx, grads[f"{name}.weight"], grads[f"{name}.bias"] = L.conv_backward(
            L.tanh_backward(dh, tanh_cache), conv_cache, need_dx=need_dx
        )
        return dx

    def _avg_pool_backward(self, name: str, dout: np.ndarray) -> np.ndarray:
        return L.avg_pool_backward(dout, self._caches[name])

    def _dense_tanh_backward(
        self, name: str, dh: np.ndarray, grads: dict[str, np.ndarray]
    ) -> np.ndarray:
        dense_cache, tanh_cache = self._caches[name]
        dx, grads[f"{name}.weight"], grads[f"{name}.bias"] = L.dense_backward(
            L.tanh_backward(dh, tanh_cache), dense_cache
        )
        return dx

    def _dense_backward(
        self, name: str, dout: np.ndarray, grads: dict[str, np.ndarray]
    ) -> np.ndarray:
        dx, grads[f"{name}.weight"], grads[f"{name}.bias"] = L.dense_backward(
            dout, self._caches[name]
        )
        return dx

    # ------------------------------------------------------------------ passes
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, 10)`` of images ``(N, 1, 32, 32)``; keeps what backward uses."""
        x = self.check_input(x)
        h = self._conv_tanh("c1", x)
        h = self._avg_pool("s2", h)
        h = self._conv_tanh("c3", h)
        h = self._avg_pool("s4", h)
        h = self._conv_tanh("c5", h)
        h = h.reshape(len(x), -1)  # (N, 120, 1, 1) -> (N, 120)
        h = self._dense_tanh("f6", h)
        return self._dense("output", h)

    def backward(self, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss for every parameter, from the gradient of the logits.

        Runs the layers in reverse. C1's input gradient is not computed: its
        input is the image, which nothing upstream needs a gradient for.
        """
        if not self._caches:
            raise RuntimeError(
                "call forward before backward: backward uses forward's caches"
            )
        grads: dict[str, np.ndarray] = {}
        dh = self._dense_backward("output", dlogits, grads)
        dh = self._dense_tanh_backward("f6", dh, grads)
        dh = dh.reshape(len(dh), -1, 1, 1)  # (N, 120) -> (N, 120, 1, 1)
        dh = self._conv_tanh_backward("c5", dh, grads)
        dh = self._avg_pool_backward("s4", dh)
        dh = self._conv_tanh_backward("c3", dh, grads)
        dh = self._avg_pool_backward("s2", dh)
        self._conv_tanh_backward("c1", dh, grads, need_dx=False)
        return {name: grads[name] for name in lenet5.PARAM_SHAPES}

    def loss_and_grads(
        self,
        x: np.ndarray,
        y: np.ndarray,
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean softmax cross-entropy of a batch, every gradient, and the logits."""
        logits = self.forward(x)
        loss, dlogits = L.softmax_cross_entropy(logits, y)
        return loss, self.backward(dlogits), logits

    # ------------------------------------------------------------------ inference
    def predict_logits(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Logits for many images, a batch at a time (keeps memory small).

        Raises a ValueError, saying why, for images holding NaN or infinity
        and when the logits are not finite (NaN weights after a diverged
        training).
        """
        check_hyperparameters(batch_size=batch_size)
        x = self.check_input(x)
        check_images(x, "images to predict", allow_empty=True)
        parts = [
            self.forward(x[i : i + batch_size]) for i in range(0, len(x), batch_size)
        ]
        self._caches = {}
        if not parts:
            return np.zeros((0, self.n_classes), self.dtype)
        logits = np.concatenate(parts)
        if not np.isfinite(logits).all():  # NaN weights would answer "class 0" for all
            raise nonfinite_output_error(self.params, x)
        return logits

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Predicted class of each image."""
        return self.predict_logits(x, batch_size).argmax(axis=1)

    def feature_maps(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Each layer's output (after its activation) for a few images."""
        maps: dict[str, np.ndarray] = {}

        def keep(name: str, call: Any) -> np.ndarray:
            maps[name] = call()
            return maps[name]

        with around_layers(self, keep, FORWARD_STEPS):
            self.forward(x)
        self._caches = {}
        return maps


def predict_logits(
    model: LeNet5, images: np.ndarray, *, batch_size: int = 256
) -> np.ndarray:
    """Logits ``(N, 10)`` of images ``(N, 1, 32, 32)``: one call in each framework."""
    return model.predict_logits(images, batch_size)


def predict(model: LeNet5, images: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """The predicted class of each image."""
    return model.predict(images, batch_size)


def gradients(
    model: LeNet5, images: np.ndarray, labels: np.ndarray
) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy of one batch, by the book's names.

    No weight decay: the loss alone, as in the other frameworks' ``gradients``.
    """
    return model.loss_and_grads(images, labels)[1]


def build_model(recipe: lenet5.Recipe | None = None) -> LeNet5:
    """A fresh LeNet-5 (the recipe is not needed: the same call in all three)."""
    return LeNet5()


def device_name() -> str:
    """Where the NumPy LeNet-5 trains: always the CPU."""
    return "cpu"
