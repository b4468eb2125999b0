"""The book's figures: digit grids, training curves, confusion matrices, filters.

Every function returns its matplotlib ``Figure`` (a notebook shows it; a test
can inspect it) and never calls ``plt.show()``.

Every figure has an alt text, the words a screen reader reads in its place:
what it shows, with its numbers where they matter, never a file name. Give it
with :func:`describe` where the figure is made; the notebook's output keeps
it beside the image (output metadata ``image/png: alt``), and the book's
pages use it (``_ext/accessibility.py``), wherever the cell lives.

The figure rule: every figure of the book is at most :data:`FIGURE_INCHES`
wide and saved at :data:`FIGURE_DPI`, so that its PNG is no wider than the
page's text column and the browser shows it at its own size, never shrunk.
Text in figures is at least :data:`MIN_FONT_PT` points, which is then at least
9 CSS pixels on the page. Make new figures with :func:`column_figure` (or size
them with :func:`column_size`); :func:`fit_column` shrinks a figure whose size
comes from its data.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = [
    "COLUMN_PX",
    "FIGURE_DPI",
    "COLUMN_INCHES",
    "FIGURE_INCHES",
    "MIN_FONT_PT",
    "describe",
    "alt_text",
    "column_size",
    "column_figure",
    "fit_column",
    "show_digits",
    "plot_history",
    "plot_schedule",
    "confusion_matrix",
    "plot_confusion_matrix",
    "show_misclassified",
    "show_filters",
    "show_feature_maps",
]


#: Width of the book's text column in CSS pixels (the widest an output image is
#: shown by sphinx-book-theme in a 1280 px window; the browser test measures it).
COLUMN_PX = 676
#: Pixels per inch of the saved figures: one inch of figure is 100 CSS pixels.
FIGURE_DPI = 100
#: The column's width in inches of figure.
COLUMN_INCHES = COLUMN_PX / FIGURE_DPI
#: The widest a figure may be, in inches, to be shown unscaled in the column:
#: the inline backend saves with ``bbox_inches="tight"``, which adds 0.1 inch
#: on each side.
FIGURE_INCHES = COLUMN_INCHES - 0.2
#: The smallest font in a figure: 7 pt at 100 dpi is 9.7 CSS pixels.
MIN_FONT_PT = 7.0


def _alt_bundle(
    text: str, include: object = None, exclude: object = None
) -> tuple[dict, dict]:
    """IPython's display hook: no data of its own (matplotlib's backend draws
    the PNG), only the alt text as the PNG's metadata."""
    return {}, {"image/png": {"alt": text}}


def describe(fig: Figure, alt: str) -> Figure:
    """Give ``fig`` its alt text (what it shows, for a reader who cannot see it); returns ``fig``.

    Wherever IPython shows the figure (the value of a cell, ``plt.show()``, the
    end of the cell), its PNG output carries ``alt`` in its metadata.
    """
    text = " ".join(str(alt).split())
    if not text:
        raise ValueError("an alt text says what the figure shows; got an empty one")
    fig._repr_mimebundle_ = functools.partial(_alt_bundle, text)  # type: ignore[attr-defined]
    return fig


def alt_text(fig: Figure) -> str | None:
    """The alt text :func:`describe` gave ``fig``, or None."""
    bundle = getattr(fig, "_repr_mimebundle_", None)
    if not isinstance(bundle, functools.partial) or bundle.func is not _alt_bundle:
        return None
    return bundle.args[0]


def _titled(title: str | None, text: str) -> str:
    return f"{title}: {text}" if title else text


def _listed(values: Sequence[object], most: int = 20) -> str:
    """``a, b, c`` (and how many more)."""
    shown = ", ".join(str(v) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def column_size(height: float, width: float = 1.0) -> tuple[float, float]:
    """``(width, height)`` in inches for a figure ``width`` of the column wide.

    ``height`` is in inches; ``width`` is a fraction of the column (0 < width <= 1).
    """
    if not 0 < width <= 1:
        raise ValueError(
            f"width is a fraction of the column, 0 < width <= 1; got {width}"
        )
    if height <= 0:
        raise ValueError(f"height must be positive (inches), got {height}")
    return (FIGURE_INCHES * width, float(height))


def column_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    height: float,
    width: float = 1.0,
    **subplots_kw: object,
) -> tuple[Figure, np.ndarray | plt.Axes]:
    """``plt.subplots`` under the book's figure rule: column-wide, at the book's dpi.

    ``height`` is in inches; ``width`` a fraction of the column. Extra keywords
    go to :func:`matplotlib.pyplot.subplots`.
    """
    return plt.subplots(
        nrows, ncols, figsize=column_size(height, width), dpi=FIGURE_DPI, **subplots_kw
    )


def fit_column(fig: Figure) -> Figure:
    """Shrink ``fig`` (keeping its shape) to the column's width when it is wider.

    For figures whose size follows their data. Text keeps its size in points,
    so it stays readable; the drawing gets smaller instead.
    """
    width, height = fig.get_size_inches()
    if width > FIGURE_INCHES:
        fig.set_size_inches(FIGURE_INCHES, height * FIGURE_INCHES / width)
    fig.set_dpi(FIGURE_DPI)
    return fig


def _as_images(images: np.ndarray) -> np.ndarray:
    """(N, H, W) from (N, H, W), (N, 1, H, W) or (N, H, W, 1)."""
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    elif x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise ValueError(
            f"expected images shaped (N, H, W), (N, 1, H, W) or (N, H, W, 1), got {np.shape(images)}"
        )
    return x


def _name(label: int, class_names: Sequence[str] | None) -> str:
    return class_names[int(label)] if class_names is not None else str(int(label))


def _grid(n: int, ncols: int, cell: float = 1.1) -> tuple[Figure, np.ndarray]:
    """A grid of ``n`` image panels, at most ``cell`` inches each, within the column."""
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    cell = min(cell, FIGURE_INCHES / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(cell * ncols, cell * 1.25 * nrows),
        dpi=FIGURE_DPI,
        squeeze=False,
    )
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def show_digits(
    images: np.ndarray,
    labels: Sequence[int] | None = None,
    predictions: Sequence[int] | None = None,
    *,
    ncols: int = 10,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """A grid of images, each titled with its label (and prediction: red when wrong)."""
    x = _as_images(images)
    n = len(x)
    if n == 0:
        raise ValueError("show_digits got no images to show")
    for what, seq in (("labels", labels), ("predictions", predictions)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{n} images but {len(seq)} {what}")
    fig, axes = _grid(n, ncols)
    for i, ax in enumerate(axes.flat[:n]):
        ax.imshow(x[i], cmap="gray_r")
        parts, colour = [], "black"
        if labels is not None:
            parts.append(_name(labels[i], class_names))
        if predictions is not None:
            parts.append(f"→{_name(predictions[i], class_names)}")
            if labels is not None and int(labels[i]) != int(predictions[i]):
                colour = "crimson"
        if parts:
            ax.set_title(" ".join(parts), fontsize=8, color=colour)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    side = "x".join(str(d) for d in x.shape[1:])
    what = f"{n} {side}-pixel grey image{'s' if n > 1 else ''}, dark ink on white"
    if labels is not None and predictions is not None:
        what += ", titled true→predicted: " + _listed(
            [
                f"{_name(t, class_names)}→{_name(p, class_names)}"
                for t, p in zip(labels, predictions)
            ]
        )
    elif labels is not None:
        what += ", titled with their labels: " + _listed(
            [_name(t, class_names) for t in labels]
        )
    return describe(fig, _titled(title, what))


def plot_history(
    history: Mapping[str, Sequence[float]], *, title: str | None = None
) -> Figure:
    """Loss and accuracy per epoch, training and (when present) validation.

    ``history`` uses Keras' keys: ``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy`` (a Keras ``History.history`` works as it is).
    """
    missing = [k for k in ("loss", "accuracy") if k not in history]
    if missing:
        raise KeyError(f"history lacks {missing}; it has {sorted(history)}")
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = column_figure(1, 2, height=3.0)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(epochs, history[key], "o-", label=f"training {label}")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", label=f"validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.1f}%"))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return describe(fig, _titled(title, _history_alt(history)))


def _history_alt(history: Mapping[str, Sequence[float]]) -> str:
    """``plot_history``'s alt text: where each curve starts and ends."""
    n = len(history["loss"])
    parts = []
    for key in ("loss", "accuracy"):
        for prefix, who in (("", "training"), ("val_", "validation")):
            values = history.get(prefix + key)
            if values is None or len(values) == 0:
                continue
            show = (
                (lambda v: f"{100 * v:.1f}%")
                if key == "accuracy"
                else (lambda v: f"{v:.3f}")
            )
            parts.append(f"{who} {key} from {show(values[0])} to {show(values[-1])}")
    return (
        f"Two line charts over {n} epoch{'s' if n != 1 else ''}, loss on the left and "
        f"accuracy on the right: " + "; ".join(parts) + "."
    )


def plot_schedule(
    rates: Sequence[float],
    momenta: Sequence[float] | None = None,
    *,
    steps_per_epoch: int,
    title: str | None = None,
) -> Figure:
    """The learning rate (and momentum) of every training step, against epochs.

    ``rates[k]`` and ``momenta[k]`` are what the optimiser used at step ``k``;
    pass the values read from the optimiser itself, so that the picture shows
    the schedule that runs, not the one intended.
    """
    rates = np.asarray(rates, dtype=float)
    if rates.ndim != 1 or len(rates) == 0:
        raise ValueError(f"rates must be one value per step, got shape {rates.shape}")
    if steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be at least 1, got {steps_per_epoch}")
    if momenta is not None and len(momenta) != len(rates):
        raise ValueError(
            f"{len(rates)} rates but {len(momenta)} momenta: one of each per step"
        )
    panels = 1 if momenta is None else 2
    fig, axes = column_figure(1, panels, height=2.6, squeeze=False)
    epochs = np.arange(len(rates)) / steps_per_epoch
    curves = [("learning rate", rates)]
    if momenta is not None:
        curves.append(("momentum", np.asarray(momenta, dtype=float)))
    for ax, (label, values) in zip(axes[0], curves):
        ax.plot(epochs, values, color="tab:blue")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_ylim(0, max(values.max() * 1.1, 1e-12))
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    what = "; ".join(
        f"{label} from {v[0]:.3g} at the first step to {v[-1]:.3g} at the last, "
        f"between {v.min():.3g} and {v.max():.3g}"
        for label, v in curves
    )
    return describe(
        fig,
        _titled(
            title,
            f"Line chart{'s' if panels > 1 else ''} over "
            f"{epochs[-1] + 1 / steps_per_epoch:.3g} epochs "
            f"({len(rates):,} steps): {what}.",
        ),
    )


def confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], n_classes: int = 10
) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"{t.size} true labels but {p.size} predictions")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )


def plot_confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    *,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """The confusion matrix as a heat map with counts; the diagonal is what went right."""
    names = (
        list(class_names) if class_names is not None else [str(i) for i in range(10)]
    )
    cm = confusion_matrix(y_true, y_pred, len(names))
    fig, ax = column_figure(height=5.4, width=0.9)
    # colour the errors only, so that a handful of mistakes still shows
    off = cm.astype(float)
    np.fill_diagonal(off, np.nan)
    ax.imshow(off, cmap="Reds")
    dark = 0.6 * np.nanmax(off) if np.any(off > 0) else np.inf
    for i in range(len(names)):
        for j in range(len(names)):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if i != j and cm[i, j] > dark else "black",
                    fontweight="bold" if i == j else "normal",
                )
    long_names = max(len(n) for n in names) > 2
    ax.set_xticks(
        range(len(names)),
        names,
        rotation=45 if long_names else 0,
        ha="right" if long_names else "center",
    )
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(
        title
        or f"Confusion matrix ({cm.sum():,} images, accuracy {100 * accuracy:.2f}%)"
    )
    fig.tight_layout()
    errors = cm.copy()
    np.fill_diagonal(errors, 0)
    worst = sorted(
        (
            (errors[i, j], i, j)
            for i in range(len(names))
            for j in range(len(names))
            if errors[i, j]
        ),
        reverse=True,
    )[:3]
    commonest = (
        (
            "; most frequent: "
            + ", ".join(
                f"{names[i]} taken for {names[j]}: {c} times" for c, i, j in worst
            )
        )
        if worst
        else ""
    )
    return describe(
        fig,
        _titled(
            title,
            (
                f"Confusion matrix, a {len(names)} by {len(names)} grid of counts, true class in rows "
                f"and predicted class in columns: {cm.sum():,} images, accuracy {100 * accuracy:.2f}%, "
                f"{errors.sum():,} errors{commonest}."
            ),
        ),
    )


def show_misclassified(
    images: np.ndarray,
    y_true: Sequence[int],
    y_pred: Sequence[int],
    *,
    max_items: int = 20,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """The first ``max_items`` mistakes, each titled ``true→predicted``."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(t != p)
    if wrong.size == 0:
        fig, ax = column_figure(height=1.0, width=0.6)
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
        return describe(
            fig, "A figure with no images, only the words: no misclassified images."
        )
    shown = wrong[:max_items]
    return show_digits(
        _as_images(images)[shown],
        t[shown],
        p[shown],
        class_names=class_names,
        title=f"{shown.size} of {wrong.size} misclassified images (true→predicted)",
    )


def show_filters(weights: np.ndarray, *, title: str | None = None) -> Figure:
    """Convolution kernels shaped (out, in, kh, kw): one row per input channel.

    Each kernel gets its own symmetric colour scale (blue negative, red positive).
    """
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"expected weights shaped (out, in, kh, kw), got {w.shape}")
    n_out, n_in = w.shape[:2]
    cell = min(1.2, FIGURE_INCHES / n_out)
    fig, axes = plt.subplots(
        n_in,
        n_out,
        figsize=(cell * n_out, (cell + 0.1) * n_in),
        dpi=FIGURE_DPI,
        squeeze=False,
    )
    for i in range(n_in):
        for o in range(n_out):
            ax = axes[i, o]
            k = w[o, i]
            lim = float(np.abs(k).max()) or 1.0
            ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"filter {o}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return describe(
        fig,
        _titled(
            title,
            (
                f"{n_out} convolution filters of {w.shape[2]}x{w.shape[3]} weights"
                f"{f' for each of {n_in} input channels' if n_in > 1 else ''}, drawn as small "
                f"colour squares: blue for negative weights, red for positive, white near zero."
            ),
        ),
    )


def show_feature_maps(
    maps: np.ndarray, *, title: str | None = None, ncols: int = 8
) -> Figure:
    """The channels of one layer's output, shaped (C, H, W), side by side."""
    m = np.asarray(maps)
    if m.ndim != 3:
        raise ValueError(f"expected feature maps shaped (C, H, W), got {m.shape}")
    fig, axes = _grid(m.shape[0], ncols, cell=1.3)
    for c, ax in enumerate(axes.flat[: m.shape[0]]):
        ax.imshow(m[c], cmap="viridis")
        ax.set_title(f"map {c}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return describe(
        fig,
        _titled(
            title,
            (
                f"{m.shape[0]} feature maps of {m.shape[1]}x{m.shape[2]} values, side by side, "
                f"each drawn as an image from dark blue (low, {m.min():.2f}) to yellow (high, {m.max():.2f})."
            ),
        ),
    )
