"""Every figure the package makes has an alt text that says what it shows.

A screen reader reads a figure's alt text in its place. The figures get theirs
where they are made (:func:`lenet_common.plotting.describe`); IPython puts it
in the PNG output's metadata, and the book's pages take it from there
(``_ext/accessibility.py``). The browser test checks the built pages.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lenet_common import plotting, speed_plots  # noqa: E402
from tests import browser_site  # noqa: E402
from tests.test_figure_rule import FIGURES  # noqa: E402
from tests.test_why_convolutions import FIGURES as WHY_FIGURES  # noqa: E402

SPEED = {"variants": {"numpy": {"label": "NumPy, rearranged", "images_per_second": {"median": 900.0}},
                      "pytorch": {"label": "PyTorch", "images_per_second": {"median": 4000.0}}}}
GPU = {"seconds_per_epoch": {"128": {"eager": 4.0, "graph": 2.5}, "1024": {"eager": 1.0}}}
ALL = {**FIGURES, **{f"why_convolutions.{k}": v for k, v in WHY_FIGURES.items()},
       "speed_plots.plot_speed_steps": lambda: speed_plots.plot_speed_steps(SPEED, title="Throughput"),
       "speed_plots.plot_gpu_epochs": lambda: speed_plots.plot_gpu_epochs(
           GPU, {"eager": "eager", "graph": "CUDA graph"})}


@pytest.mark.parametrize("name", list(ALL))
def test_every_figure_says_what_it_shows(name):
    fig = ALL[name]()
    try:
        alt = plotting.alt_text(fig)
        assert alt, f"{name}: no alt text (give one with plotting.describe)"
        assert browser_site.alt_problem("figure.png", alt) is None, f"{name}: {alt!r}"
        assert len(alt.split()) >= 8, f"{name}: too short to say what the figure shows: {alt!r}"
        title = fig._suptitle.get_text() if fig._suptitle else ""
        if title and "\n" not in title and name.startswith(("show_digits", "plot_history")):
            assert alt.startswith(title), f"{name}: the alt text does not name the figure's title"
    finally:
        plt.close(fig)


def test_alt_texts_carry_the_numbers_shown():
    fig = plotting.plot_history({"loss": [1.0, 0.25], "accuracy": [0.5, 0.975]})
    alt = plotting.alt_text(fig)
    plt.close(fig)
    assert "2 epochs" in alt and "1.000" in alt and "0.250" in alt and "97.5%" in alt
    fig = plotting.plot_confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    alt = plotting.alt_text(fig)
    plt.close(fig)
    assert "4 images" in alt and "75.00%" in alt and "1 taken for 2: 1 times" in alt


def test_describe_rejects_an_empty_text_and_tidies_spaces():
    fig = plt.figure()
    try:
        with pytest.raises(ValueError, match="empty"):
            plotting.describe(fig, "  \n ")
        assert plotting.alt_text(fig) is None
        assert plotting.describe(fig, " a  line\nchart ") is fig
        assert plotting.alt_text(fig) == "a line chart"
    finally:
        plt.close(fig)


def test_ipython_puts_the_alt_text_in_the_png_output_metadata():
    """The path a notebook takes: IPython's display formatter with matplotlib's PNG printer."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})
    fig = plotting.show_digits(np.zeros((2, 28, 28)), [3, 4])
    try:
        data, metadata = shell.display_formatter.format(fig)
    finally:
        plt.close(fig)
    assert data["image/png"] and metadata["image/png"]["alt"] == plotting.alt_text(fig)
    assert "titled with their labels: 3, 4" in metadata["image/png"]["alt"]


def test_the_alt_check_knows_a_file_name():
    assert browser_site.alt_problem("../_images/ab12.png", "../_images/ab12.png")
    assert browser_site.alt_problem("x.png", "9a5daf46bf7c0123456789")
    assert browser_site.alt_problem("x.png", None) and browser_site.alt_problem("x.png", " ")
    assert browser_site.alt_problem("x.png", "Two line charts over 10 epochs") is None
