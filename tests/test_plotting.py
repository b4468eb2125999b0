"""The figures, drawn with Agg and checked for what they hold."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common import plotting


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_show_digits_titles_and_colours():
    x = np.zeros((3, 1, 32, 32))
    fig = plotting.show_digits(x, [1, 2, 3], [1, 7, 3], ncols=2)
    assert titles(fig) == ["1 →1", "2 →7", "3 →3"]
    colours = [ax.title.get_color() for ax in fig.axes if ax.get_title()]
    assert colours == ["black", "crimson", "black"]
    assert sum(bool(ax.images) for ax in fig.axes) == 3 and len(fig.axes) == 4


def test_show_digits_class_names_and_errors():
    fig = plotting.show_digits(
        np.zeros((2, 28, 28, 1)), [0, 9], class_names=[str(i) * 2 for i in range(10)]
    )
    assert titles(fig) == ["00", "99"]
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        plotting.show_digits(np.zeros((2, 28, 28)), [0, 1, 2])
    with pytest.raises(ValueError, match="expected images"):
        plotting.show_digits(np.zeros((28, 28)))


def test_plot_history_draws_each_series():
    h = {
        "loss": [1.0, 0.5],
        "accuracy": [0.8, 0.9],
        "val_loss": [1.1, 0.6],
        "val_accuracy": [0.7, 0.85],
    }
    fig = plotting.plot_history(h)
    loss_ax, acc_ax = fig.axes
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [1.1, 0.6])
    np.testing.assert_allclose(acc_ax.lines[0].get_xdata(), [1, 2])
    assert (
        len(plotting.plot_history({"loss": [1], "accuracy": [0.5]}).axes[0].lines) == 1
    )
    with pytest.raises(KeyError, match="accuracy"):
        plotting.plot_history({"loss": [1.0]})


def test_confusion_matrix_counts():
    cm = plotting.confusion_matrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], n_classes=3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    with pytest.raises(ValueError, match="0..2"):
        plotting.confusion_matrix([3], [0], n_classes=3)
    with pytest.raises(ValueError, match="2 true labels but 1"):
        plotting.confusion_matrix([0, 1], [0])


def test_plot_confusion_matrix_writes_counts_and_accuracy():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    p = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 4])
    fig = plotting.plot_confusion_matrix(y, p)
    ax = fig.axes[0]
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert ((4, 9), "1") in texts and ((9, 9), "1") in texts
    assert "accuracy 90.91%" in ax.get_title()


def test_show_misclassified_picks_the_mistakes():
    y = np.array([1, 2, 3, 4])
    p = np.array([1, 5, 3, 6])
    fig = plotting.show_misclassified(np.zeros((4, 28, 28)), y, p)
    assert titles(fig) == ["2 →5", "4 →6"]
    assert "2 of 2 misclassified" in fig._suptitle.get_text()
    none = plotting.show_misclassified(np.zeros((2, 28, 28)), [1, 2], [1, 2])
    assert none.axes[0].texts[0].get_text() == "no misclassified images"


def test_filters_and_feature_maps():
    fig = plotting.show_filters(np.random.default_rng(0).normal(size=(6, 1, 5, 5)))
    assert len(fig.axes) == 6 and fig.axes[5].get_title() == "filter 5"
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi  # a symmetric scale: white means zero
    fig = plotting.show_feature_maps(np.zeros((6, 28, 28)), ncols=3)
    assert sum(bool(ax.images) for ax in fig.axes) == 6
    with pytest.raises(ValueError, match="out, in, kh, kw"):
        plotting.show_filters(np.zeros((6, 5, 5)))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        plotting.show_feature_maps(np.zeros((28, 28)))
