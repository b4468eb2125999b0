"""LeNet-5 assembled from the hand-written layers.

32x32x1 -> C1 conv 6@5x5 + tanh -> S2 avg pool 2x2 -> C3 conv 16@5x5 + tanh
-> S4 avg pool 2x2 -> C5 conv 120@5x5 + tanh -> F6 dense 84 + tanh -> output
dense 10 (logits). Parameters are named ``c1.weight``, ``c1.bias``, ...,
``output.bias``: conv weights ``(F, C, kh, kw)`` as in PyTorch, dense weights
``(in, out)`` as in Keras.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from ..checks import check_images, nonfinite_output_error
from . import layers as L

__all__ = ["LeNet5", "PARAM_SHAPES", "LAYER_NAMES", "glorot_uniform"]

LAYER_NAMES = ("c1", "s2", "c3", "s4", "c5", "f6", "output")

#: Every trainable tensor of the network, in order, with its shape.
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "c1.weight": (6, 1, 5, 5), "c1.bias": (6,),
    "c3.weight": (16, 6, 5, 5), "c3.bias": (16,),
    "c5.weight": (120, 16, 5, 5), "c5.bias": (120,),
    "f6.weight": (120, 84), "f6.bias": (84,),
    "output.weight": (84, 10), "output.bias": (10,),
}

INPUT_SHAPE = (1, 32, 32)


def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Glorot/Xavier uniform initialisation, suited to tanh.

    Draws from U(-a, a) with ``a = sqrt(6 / (fan_in + fan_out))``, which keeps
    the variance of activations and of gradients roughly constant from layer
    to layer while tanh works in its near-linear range. For a conv weight
    ``(F, C, kh, kw)``: fan_in = C*kh*kw, fan_out = F*kh*kw; for a dense
    weight ``(in, out)``: fan_in = in, fan_out = out. (Keras' default.)
    """
    if len(shape) == 4:
        F, C, kh, kw = shape
        fan_in, fan_out = C * kh * kw, F * kh * kw
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        raise ValueError(f"glorot_uniform expects a conv (4 axes) or dense (2 axes) shape, got {shape}")
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


class LeNet5:
    """The book's LeNet-5 in NumPy: ``forward`` keeps the caches that ``backward`` uses.

    ``dtype`` is float32 for training (fast) or float64 for gradient checks.
    Set ``timings`` to a dict to add up the seconds spent in each layer
    (its activation included) over the following forward and backward passes.
    """

    def __init__(self, seed: int = 0, dtype: Any = np.float32) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        for name, shape in PARAM_SHAPES.items():
            value = glorot_uniform(shape, rng) if name.endswith("weight") else np.zeros(shape)
            self.params[name] = value.astype(self.dtype)
        self.timings: dict[str, float] | None = None
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

    def astype(self, dtype: Any) -> "LeNet5":
        """A copy of this network computing in ``dtype``."""
        other = LeNet5(dtype=dtype)
        other.params = {k: v.astype(dtype) for k, v in self.params.items()}
        return other

    def _timed(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.timings is None:
            return fn(*args, **kwargs)
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start
        return result

    def check_input(self, x: np.ndarray) -> np.ndarray:
        """Return ``x`` in the network's dtype, or raise a clear error for a wrong shape."""
        if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
            shape = getattr(x, "shape", type(x).__name__)
            raise ValueError(
                f"LeNet5 expects images of shape (N, 1, 32, 32) (NCHW, 28x28 digits "
                f"zero-padded to 32x32), got {shape}; load them with "
                "load_lenet_data(layout='NCHW')"
            )
        return x.astype(self.dtype, copy=False)

    # ------------------------------------------------------------------ passes
    def _conv_tanh(self, x: np.ndarray, name: str) -> tuple[np.ndarray, Any]:
        a, conv_cache = L.conv_forward(x, self.params[f"{name}.weight"], self.params[f"{name}.bias"])
        h, tanh_cache = L.tanh_forward(a)
        return h, (conv_cache, tanh_cache)

    def _dense_tanh(self, x: np.ndarray, name: str) -> tuple[np.ndarray, Any]:
        a, dense_cache = L.dense_forward(x, self.params[f"{name}.weight"], self.params[f"{name}.bias"])
        h, tanh_cache = L.tanh_forward(a)
        return h, (dense_cache, tanh_cache)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits ``(N, 10)`` for images ``(N, 1, 32, 32)``; keeps what backward needs."""
        x = self.check_input(x)
        p, c = self.params, self._caches
        h1, c["c1"] = self._timed("c1", self._conv_tanh, x, "c1")
        p2, c["s2"] = self._timed("s2", L.avg_pool_forward, h1, 2)
        h3, c["c3"] = self._timed("c3", self._conv_tanh, p2, "c3")
        p4, c["s4"] = self._timed("s4", L.avg_pool_forward, h3, 2)
        h5, c["c5"] = self._timed("c5", self._conv_tanh, p4, "c5")
        flat = h5.reshape(len(x), -1)  # (N, 120, 1, 1) -> (N, 120)
        h6, c["f6"] = self._timed("f6", self._dense_tanh, flat, "f6")
        logits, c["output"] = self._timed("output", L.dense_forward, h6,
                                          p["output.weight"], p["output.bias"])
        return logits

    def _conv_tanh_backward(self, dh: np.ndarray, name: str, need_dx: bool = True) -> Any:
        conv_cache, tanh_cache = self._caches[name]
        return L.conv_backward(L.tanh_backward(dh, tanh_cache), conv_cache, need_dx=need_dx)

    def _dense_tanh_backward(self, dh: np.ndarray, name: str) -> Any:
        dense_cache, tanh_cache = self._caches[name]
        return L.dense_backward(L.tanh_backward(dh, tanh_cache), dense_cache)

    def backward(self, dlogits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss for every parameter, from the gradient of the logits.

        Runs the layers in reverse. C1's input gradient is not computed: its
        input is the image, which nothing upstream needs a gradient for.
        """
        if not self._caches:
            raise RuntimeError("call forward before backward: backward uses forward's caches")
        c, grads = self._caches, {}
        dh6, grads["output.weight"], grads["output.bias"] = self._timed(
            "output", L.dense_backward, dlogits, c["output"])
        dflat, grads["f6.weight"], grads["f6.bias"] = self._timed("f6", self._dense_tanh_backward, dh6, "f6")
        dh5 = dflat.reshape(len(dflat), -1, 1, 1)
        dp4, grads["c5.weight"], grads["c5.bias"] = self._timed("c5", self._conv_tanh_backward, dh5, "c5")
        dh3 = self._timed("s4", L.avg_pool_backward, dp4, c["s4"])
        dp2, grads["c3.weight"], grads["c3.bias"] = self._timed("c3", self._conv_tanh_backward, dh3, "c3")
        dh1 = self._timed("s2", L.avg_pool_backward, dp2, c["s2"])
        _, grads["c1.weight"], grads["c1.bias"] = self._timed(
            "c1", self._conv_tanh_backward, dh1, "c1", need_dx=False)
        return {name: grads[name] for name in PARAM_SHAPES}

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Mean softmax cross-entropy on a batch, every parameter's gradient, and the logits."""
        logits = self.forward(x)
        loss, dlogits = self._timed("loss", L.softmax_cross_entropy, logits, y)
        return loss, self.backward(dlogits), logits

    # ------------------------------------------------------------------ inference
    def predict_logits(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Logits for many images, a batch at a time (keeps memory small).

        Raises a ValueError, saying why, for images holding NaN or infinity
        and when the logits are not finite (NaN weights after a diverged training).
        """
        x = self.check_input(x)
        check_images(x, "images to predict", allow_empty=True)
        parts = [self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        self._caches = {}
        logits = np.concatenate(parts) if parts else np.zeros((0, 10), self.dtype)
        if not np.isfinite(logits).all():  # NaN weights would answer "class 0" for all
            raise nonfinite_output_error(self.params, x)
        return logits

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Predicted class of each image."""
        return self.predict_logits(x, batch_size).argmax(axis=1)

    def feature_maps(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's output for a few images: ``{"c1": (N, 6, 28, 28), ...}``."""
        x = self.check_input(x)
        maps = {}
        maps["c1"], _ = self._conv_tanh(x, "c1")
        maps["s2"], _ = L.avg_pool_forward(maps["c1"], 2)
        maps["c3"], _ = self._conv_tanh(maps["s2"], "c3")
        maps["s4"], _ = L.avg_pool_forward(maps["c3"], 2)
        maps["c5"], _ = self._conv_tanh(maps["s4"], "c5")
        maps["f6"], _ = self._dense_tanh(maps["c5"].reshape(len(x), -1), "f6")
        maps["output"], _ = L.dense_forward(maps["f6"], self.params["output.weight"],
                                            self.params["output.bias"])
        return maps
