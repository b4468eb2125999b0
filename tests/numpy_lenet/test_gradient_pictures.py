"""The backward-pass figures: each rule drawn holds; the numbers are the code's."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.numpy_lenet import gradient_pictures, layers, naive


def _texts(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts) + " ".join(
        t.get_text() for t in fig.texts
    )


def test_conv_example_comes_from_conv_backward_and_matches_the_loops():
    ex = gradient_pictures.conv_backward_example()
    dx, dw = naive.naive_conv_backward(
        ex.dout[None, None], ex.x[None, None], ex.w[None, None]
    )[:2]
    assert np.allclose(ex.dx, dx[0, 0]) and np.allclose(ex.dw, dw[0, 0])


def test_weight_gradient_is_the_input_correlated_with_the_upstream_gradient():
    ex = gradient_pictures.conv_backward_example()
    oh, ow = ex.dout.shape
    for (u, v), value in np.ndenumerate(ex.dw):
        assert value == pytest.approx(np.sum(ex.x[u : u + oh, v : v + ow] * ex.dout))


def test_input_gradient_is_a_full_convolution_with_the_flipped_kernel():
    ex = gradient_pictures.conv_backward_example()
    k = ex.w.shape[0]
    padded, flipped = np.pad(ex.dout, k - 1), ex.w[::-1, ::-1]
    for (p, q), value in np.ndenumerate(ex.dx):
        assert value == pytest.approx(np.sum(padded[p : p + k, q : q + k] * flipped))


def test_conv_picture_shows_the_gradients_and_the_highlighted_sums():
    ex = gradient_pictures.conv_backward_example()
    fig = gradient_pictures.conv_backward_picture(dw_entry=(0, 1), dx_entry=(1, 2))
    text = _texts(fig)
    assert f"= {ex.dw[0, 1]:g}" in text and f"= {ex.dx[1, 2]:g}" in text
    shown = [t.get_text() for t in fig.axes[0].texts]
    for value in np.concatenate([ex.dw.ravel(), ex.dx.ravel()]):
        assert f"{value:g}" in shown


def test_conv_picture_refuses_an_entry_outside_the_arrays():
    with pytest.raises(ValueError, match="dw_entry"):
        gradient_pictures.conv_backward_picture(dw_entry=(2, 0))


def _grid_numbers(fig) -> list[float]:
    """The numbers in the cells, in drawing order (titles and captions left out)."""
    numbers = []
    for t in fig.axes[0].texts:
        try:
            numbers.append(float(t.get_text()))
        except ValueError:
            pass
    return numbers


def test_pooling_picture_shows_quarters_and_the_first_maximum():
    fig = gradient_pictures.pooling_backward_picture()
    cells = _grid_numbers(fig)  # x, dout, then three gradients: average, max, mask
    assert len(cells) == 16 + 4 + 3 * 16
    x, dout = np.array(cells[:16]).reshape(4, 4), np.array(cells[16:20]).reshape(2, 2)
    avg, first_max, mask = (
        np.array(cells[20 + 16 * i : 36 + 16 * i]).reshape(4, 4) for i in range(3)
    )
    _, cache = layers.avg_pool_forward(x[None, None], 2)
    assert np.array_equal(avg, layers.avg_pool_backward(dout[None, None], cache)[0, 0])
    assert np.array_equal(avg, np.kron(dout, np.ones((2, 2))) / 4)  # a quarter each
    _, cache = layers.max_pool_forward(x[None, None], 2)
    assert np.array_equal(
        first_max, layers.max_pool_backward(dout[None, None], cache)[0, 0]
    )
    assert np.count_nonzero(first_max) == 4 and first_max.sum() == dout.sum()
    assert (
        first_max[0, 0] == dout[0, 0]
    )  # an all-tied window: its first element takes all
    assert mask.sum() > dout.sum()  # the shortcut counts tied gradients several times
    assert "4, 2, 2, 4 copies" in _texts(fig)
