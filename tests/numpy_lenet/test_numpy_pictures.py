"""The NumPy chapter's figures are drawn from the real im2col and the real timings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lenet_common.numpy_lenet.pictures import im2col_picture, plot_layer_times  # noqa: E402


def test_im2col_picture_shows_the_columns_im2col_makes():
    fig = im2col_picture(height=4, width=5, kernel=3)
    source, columns = fig.axes
    shown = columns.images[0].get_array().shape
    assert shown == (9, 6)  # 3x3 kernel entries x (2x3) output positions
    numbers = [float(t.get_text()) for t in columns.texts]
    first_column = numbers[0::6]  # texts go row by row over 6 columns
    assert first_column == [0, 1, 2, 5, 6, 7, 10, 11, 12]  # the top-left 3x3 window
    plt.close(fig)


def test_layer_times_chart_labels_every_layer():
    fig = plot_layer_times({"c1": 0.2, "s2": 0.05, "c3": 0.25}, steps=10)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == ["c1", "c3", "s2"]
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "25.0 ms" in texts and "50%" in texts
    plt.close(fig)
