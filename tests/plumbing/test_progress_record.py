"""runtime.progress in a notebook: a live widget, and a text record in the saved output.

The built book shows the ``text/plain`` of each output whose widget it cannot
run (``_config.yml`` drops the widget view), so the saved text must be the
finished bar, not the empty bar of the moment it was first displayed.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from lenet_common import runtime

pytestmark = pytest.mark.kernels  # runs a notebook in a kernel

CODE = """\
from lenet_common import runtime
for _ in runtime.progress(range(7), desc="epoch 1/1", unit="batch"):
    pass
bar = runtime.progress(total=4, desc="manual")
bar.update(4)
bar.set_postfix(loss="0.1234")
bar.close()
"""


def test_saved_notebook_holds_the_finished_bars_as_text():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"], outputs
    texts = [o.data["text/plain"] for o in outputs]
    assert texts[0].startswith("epoch 1/1: 100%") and "7/7" in texts[0], texts[0]
    assert texts[1].startswith("manual: 100%") and "4/4" in texts[1], texts[1]
    assert texts[1].splitlines()[1].strip() == "loss=0.1234", texts[
        1
    ]  # figures on their own line
    # a live notebook still gets the widget
    assert all("application/vnd.jupyter.widget-view+json" in o.data for o in outputs)


def test_outside_a_notebook_the_bar_is_plain_tqdm(capsys):
    bar = runtime.progress(range(3), desc="terminal")
    assert type(bar).__module__.startswith("tqdm")
    for _ in bar:
        pass
    assert "terminal: 100%" in capsys.readouterr().err
