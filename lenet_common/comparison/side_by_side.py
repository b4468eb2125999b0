"""The side-by-side chapter's helpers: one LeNet-5 in three frameworks, compared.

``train_run`` trains the book's run in one implementation exactly as its
chapter does (the book's starting weights, recipe and batches), for when the
run cache (:mod:`lenet_common.comparison.runs`) does not hold it. ``model_from`` puts
given weights into a fresh model of any implementation. The ``plot_*``
functions draw the chapter's comparisons under the book's figure rule.

The frameworks are imported inside the functions that need them, so that
importing this module stays light.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lenet_common import lenet5, plotting
from lenet_common.comparison import registry

__all__ = [
    "LABELS",
    "surface",
    "device_of",
    "model_from",
    "train_run",
    "largest_difference",
    "plot_histories",
    "plot_costs",
    "plot_layer_split",
]

#: The implementations, as the book names them on the page (from the registry).
LABELS = registry.LABELS


def surface(implementation: str) -> Any:
    """The module of ``implementation``: ``get_params``, ``predict_logits``, ..."""
    return registry.get(implementation).load()


def device_of(implementation: str) -> str:
    """Where ``implementation`` trains here: ``cpu``, ``cuda``, ``mps`` or ``/GPU:0``..."""
    return surface(implementation).device_name()


def model_from(
    implementation: str,
    params: Mapping[str, np.ndarray],
    recipe: lenet5.Recipe | None = None,
) -> Any:
    """A fresh model of ``implementation`` holding ``params`` (the book's layout)."""
    module = surface(implementation)
    return module.set_params(module.build_model(recipe), params)


def train_run(
    implementation: str, data: Any, recipe: lenet5.Recipe, show_progress: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, list[float]], float]:
    """Train ``implementation`` as its chapter does: ``(params, history, seconds)``.

    The book's starting weights (:func:`lenet5.initial_params`), the recipe
    and its batches, the training and validation splits of ``data`` (NCHW,
    as every implementation's ``train`` takes them).
    """
    model = model_from(implementation, lenet5.initial_params(recipe.seed), recipe)
    module = surface(implementation)
    options = dict(registry.get(implementation).train_options)
    start = time.perf_counter()
    history = module.train(
        model,
        data.x_train,
        data.y_train,
        data.x_val,
        data.y_val,
        recipe,
        show_progress=show_progress,
        **options,
    )
    return module.get_params(model), history, time.perf_counter() - start


def largest_difference(
    a: Mapping[str, np.ndarray] | np.ndarray, b: Mapping[str, np.ndarray] | np.ndarray
) -> float:
    """The largest absolute difference between two arrays, or two dicts of arrays."""
    if isinstance(a, Mapping):
        return max(largest_difference(a[k], b[k]) for k in a)
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# --------------------------------------------------------------------------- figures


def plot_histories(
    histories: Mapping[str, Mapping[str, Sequence[float]]], *, title: str | None = None
) -> Figure:
    """Training loss and validation accuracy per epoch, one line per implementation."""
    fig, (loss_ax, acc_ax) = plotting.column_figure(1, 2, height=2.6)
    for name, history in histories.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        style = {
            "color": _colour(name),
            "label": LABELS.get(name, name),
            "lw": 1.4,
        }
        loss_ax.plot(epochs, history["loss"], **style)
        acc_ax.plot(epochs, 100 * np.asarray(history["val_accuracy"]), **style)
    loss_ax.set(xlabel="epoch", ylabel="training loss", yscale="log")
    acc_ax.set(xlabel="epoch", ylabel="validation accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    acc_ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    lines = "; ".join(
        f"{LABELS.get(name, name)}: loss {h['loss'][0]:.3f} to {h['loss'][-1]:.3f}, accuracy "
        f"{100 * h['val_accuracy'][0]:.2f}% to {100 * h['val_accuracy'][-1]:.2f}%"
        for name, h in histories.items()
    )
    return plotting.describe(
        fig,
        (f"{title}: " if title else "")
        + (
            "Two line charts per epoch, one line per implementation: training loss (log scale) "
            f"on the left, validation accuracy on the right. {lines}."
        ),
    )


def _implementations(result: Mapping[str, Any]) -> list[str]:
    return [name for name in registry.NAMES if name in result["implementations"]]


def _colour(name: str) -> str | None:
    return registry.get(name).colour if name in registry.NAMES else None


def plot_costs(result: Mapping[str, Any]) -> Figure:
    """Training and inference images per second, and peak memory, per implementation."""
    names = _implementations(result)
    rows = result["implementations"]
    panels = (
        ("train_images_per_second", "training\nimages/s"),
        ("inference_images_per_second", "inference\nimages/s"),
        ("peak_memory_mib", "peak memory\n(MiB)"),
    )
    fig, axes = plotting.column_figure(1, 3, height=2.3)
    labels = [LABELS[n] for n in names]
    for ax, (key, label) in zip(axes, panels):
        values = [rows[n][key] for n in names]
        bars = ax.bar(labels, values, color=[_colour(n) for n in names])
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=7)
        ax.set_title(label, fontsize=8)
        ax.set_ylim(0, 1.2 * max(values))
        ax.tick_params(axis="x", labelsize=7, rotation=20)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    values = "; ".join(
        f"{label.replace(chr(10), ' ')}: "
        + ", ".join(f"{LABELS[n]} {rows[n][key]:,.0f}" for n in names)
        for key, label in panels
    )
    return plotting.describe(
        fig, f"Three bar charts, one bar per implementation. {values}."
    )


def plot_layer_split(result: Mapping[str, Any]) -> Figure:
    """Milliseconds per batch in each layer (forward + backward), per implementation."""
    names = _implementations(result)
    rows = result["implementations"]
    layers = list(lenet5.LAYER_NAMES)
    fig, ax = plotting.column_figure(height=3.0)
    height = 0.8 / len(names)
    y = np.arange(len(layers))
    for i, name in enumerate(names):
        ms = [rows[name]["layer_ms"][layer] for layer in layers]
        ax.barh(
            y + (i - (len(names) - 1) / 2) * height,
            ms,
            height,
            color=_colour(name),
            label=LABELS[name],
        )
    ax.set_yticks(
        y, [name.upper() if name != "output" else "output" for name in layers]
    )
    ax.invert_yaxis()
    ax.set_xlabel(
        f"ms per batch of {result['batch_size']}, forward + backward, "
        "each layer timed on its own"
    )
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    per_layer = "; ".join(
        f"{layer}: "
        + ", ".join(f"{LABELS[n]} {rows[n]['layer_ms'][layer]:.2f} ms" for n in names)
        for layer in layers
    )
    return plotting.describe(
        fig,
        (
            f"Grouped horizontal bar chart of the milliseconds per batch of {result['batch_size']} "
            f"spent in each layer, forward and backward, one bar per implementation: {per_layer}."
        ),
    )
