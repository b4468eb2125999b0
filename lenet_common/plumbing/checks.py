"""Checks the three LeNet-5s share: hyperparameters, data, divergence, predictions.

One NaN pixel, a learning rate typed as ``inf`` or a label of 10 would
otherwise train without a word into weights that are all NaN, and a model
with NaN weights answers "class 0" for every image. These checks stop each
of those early, with a message that says what was wrong and what to do. The
NumPy, PyTorch and Keras code all call them, so the rules and the wording
are the same everywhere. Nothing here imports torch or TensorFlow.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "TrainingDivergedError",
    "LOSS_CEILING",
    "check_hyperparameters",
    "check_images",
    "pixel_array",
    "check_labels",
    "check_dataset",
    "has_diverged",
    "diverged_error",
    "first_bad_step",
    "nonfinite_output_error",
]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite, or exploded: the weights are lost."""


#: A mean cross-entropy above this (in nats) means training has diverged.
#: Guessing scores ln 10 = 2.3 and a fresh network about that; a loss of 100
#: means the right class gets a probability of about e**-100 on average.
LOSS_CEILING = 100.0


def _number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _whole(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _positive(v: Any) -> bool:
    return _number(v) and math.isfinite(v) and v > 0


def _rule_table() -> dict[str, tuple[Callable[[Any], bool], str]]:
    rate = (_positive, "a finite number > 0")
    count = (lambda v: _whole(v) and v >= 1, "a whole number >= 1")
    patience = (lambda v: _whole(v) and v >= 0, "a whole number >= 0")
    return {
        "lr": rate,
        "max_lr": rate,
        "learning_rate": rate,
        "momentum": (lambda v: _number(v) and 0 <= v < 1, "a number in [0, 1)"),
        "weight_decay": (
            lambda v: _number(v) and math.isfinite(v) and v >= 0,
            "a finite number >= 0",
        ),
        "epochs": count,
        "batch_size": count,
        "lr_factor": (lambda v: _number(v) and 0 < v < 1, "a number in (0, 1)"),
        "stop_patience": patience,
        "lr_patience": patience,
    }


_RULES = _rule_table()


def check_hyperparameters(**values: Any) -> None:
    """Raise one ValueError naming every hyperparameter that is out of range.

    Known names: ``lr``, ``max_lr``, ``learning_rate`` (finite, > 0),
    ``momentum`` ([0, 1)), ``weight_decay`` (finite, >= 0), ``epochs`` and
    ``batch_size`` (whole, >= 1), ``lr_factor`` ((0, 1)), ``stop_patience``
    and ``lr_patience`` (whole, >= 0). NaN and infinity fail every rule.
    """
    problems = []
    for name, value in values.items():
        if name not in _RULES:
            raise KeyError(
                f"no rule for a hyperparameter called {name!r}: {sorted(_RULES)}"
            )
        test, wanted = _RULES[name]
        if not test(value):
            problems.append(f"{name}={value!r} (must be {wanted})")
    if problems:
        raise ValueError("bad hyperparameter(s): " + "; ".join(problems))


def _where(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return shown + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def check_images(x: np.ndarray, what: str, allow_empty: bool = False) -> None:
    """Refuse an empty set of images, or images holding NaN or infinity.

    The test is two reductions (``min`` and ``max`` carry any NaN or
    infinity), so it costs a few tens of milliseconds for all of MNIST.
    ``allow_empty`` lets zero images through (predicting on none is fine).
    """
    if len(x) == 0 and allow_empty:
        return
    if len(x) == 0:
        raise ValueError(
            f"{what}: there are none (0 images), so there is nothing to learn from or "
            "to score. Check the slicing or filtering that produced them."
        )
    if np.isfinite(x.min()) and np.isfinite(x.max()):
        return
    flat = np.asarray(x).reshape(len(x), -1)
    n_nan, n_inf = int(np.isnan(flat).sum()), int(np.isinf(flat).sum())
    raise ValueError(
        f"{what}: {n_nan} NaN and {n_inf} infinite value(s), in image(s) "
        f"{_where(~np.isfinite(flat).all(axis=1))} of {len(x)}. One such pixel turns "
        "every weight into NaN: repair or drop those images (np.isfinite shows "
        "where they are), or check the preprocessing that made them."
    )


def pixel_array(x: Any, what: str) -> np.ndarray:
    """``x`` as a NumPy array of numbers, or a ValueError saying what it holds."""
    try:
        array = np.asarray(x)
    except ValueError:  # nested lists whose rows differ in length
        array = None
    if array is None or array.dtype.kind not in "biuf":
        if array is None:
            held = "lists whose rows differ in length"
        elif x is None or isinstance(x, str):
            held = "None" if x is None else "text"
        else:
            kind = "an array" if isinstance(x, np.ndarray) else f"a {type(x).__name__}"
            held = f"{kind} of {array.dtype} values"
        raise ValueError(
            f"{what}: images must be numbers (an array (N, 1, 32, 32) of floats), "
            f"got {held}; load them with load_lenet_data()"
        )
    return array


def check_labels(y: Any, n_images: int, n_classes: int, what: str) -> None:
    """Labels must be integers in ``0 .. n_classes - 1``, one per image.

    Float labels are refused even when whole (a framework would truncate
    3.7 to 3 without a word); the message says how to convert them.
    """
    y = np.asarray(y)
    if y.shape != (n_images,):
        raise ValueError(
            f"{what}: need one label per image, a 1-D array of {n_images}; "
            f"got shape {y.shape}"
        )
    if y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        whole = np.issubdtype(y.dtype, np.floating) and bool(np.all(np.mod(y, 1) == 0))
        fix = (
            "they are whole numbers: convert them with y.astype(np.int64)"
            if whole
            else "class numbers, not scores or one-hot rows"
        )
        raise ValueError(
            f"{what}: labels must be integers 0 to {n_classes - 1}, "
            f"got dtype {y.dtype}; {fix}"
        )
    if n_images and (y.min() < 0 or y.max() >= n_classes):
        bad = (y < 0) | (y >= n_classes)
        raise ValueError(
            f"{what}: labels must be class numbers 0 to {n_classes - 1}; found "
            f"{sorted(set(y[bad].tolist()))[:5]} at position(s) {_where(bad)}"
        )


def check_dataset(x: np.ndarray, y: Any, n_classes: int, what: str) -> None:
    """Images and labels fit for training or scoring (see the two checks above)."""
    check_images(x, f"{what} images")
    check_labels(y, len(x), n_classes, f"{what} labels")


def has_diverged(loss: float) -> bool:
    """True when a loss is NaN, infinite or above :data:`LOSS_CEILING`."""
    return not loss <= LOSS_CEILING


def diverged_error(
    step: int, loss: float, lr_name: str, lr: float, epoch: int | None = None
) -> TrainingDivergedError:
    """The error to raise when the loss of (1-based) ``step`` has diverged."""
    if math.isfinite(loss):
        what = (
            f"exploded to {loss:,.0f} (a fresh network scores about ln 10 = 2.3; "
            f"above {LOSS_CEILING:g} counts as diverged)"
        )
    else:
        what = f"became non-finite ({loss})"
    where = f"step {step}" + (f" (epoch {epoch})" if epoch is not None else "")
    return TrainingDivergedError(
        f"training diverged: at {where} the loss {what}, with {lr_name}={lr:g}. The "
        f"weights are no longer usable: start again from a new model with a smaller "
        f"learning rate (e.g. {lr_name}={lr / 10:g}), and check that the images are "
        "normalised (load_lenet_data does it)."
    )


def first_bad_step(losses: np.ndarray) -> int | None:
    """Index of the first diverged loss in ``losses`` (per step), or None."""
    bad = ~(np.asarray(losses, dtype=np.float64) <= LOSS_CEILING)
    return int(np.argmax(bad)) if bad.any() else None


def nonfinite_output_error(
    params: Mapping[str, np.ndarray], images: Any, action: str = "predict"
) -> ValueError:
    """Explain why a model's logits hold NaN or infinity (called only when they do)."""
    bad = [name for name, p in params.items() if not np.isfinite(p).all()]
    if bad:
        reason = (
            f"its weights hold NaN or infinity (in {', '.join(bad)}). It was probably "
            "trained with too large a learning rate and diverged: train a new model "
            "with a smaller one, or load weights saved before it went wrong"
        )
    else:
        x = np.asarray(images)
        try:
            check_images(x, "the images")
        except ValueError as err:
            reason = str(err)
        else:
            reason = (
                "the numbers overflowed: the weights or the images are far too large"
            )
    return ValueError(
        f"cannot {action}: the model's outputs are not finite numbers: {reason}"
    )
