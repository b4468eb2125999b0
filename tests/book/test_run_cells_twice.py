"""scripts/run_cells_twice.py finds a cell that fails when a reader runs it again."""

from __future__ import annotations

import sys

import nbformat
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import run_cells_twice  # noqa: E402

pytestmark = pytest.mark.kernels


def test_a_cell_that_consumes_its_input_is_named(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("items = [1, 2, 3]"),
        nbformat.v4.new_code_cell("first = items.pop(0)\nassert first == 1, first"),
        nbformat.v4.new_code_cell("total = sum(items)"),  # safe to run twice
        nbformat.v4.new_markdown_cell("text"),
    ]
    path = tmp_path / "reader.ipynb"
    nbformat.write(nb, path)
    unsafe = run_cells_twice.run_twice(path, timeout=60)
    assert [(index, source) for index, source, _ in unsafe] == [
        (1, "first = items.pop(0)")
    ]
    assert "AssertionError" in unsafe[0][2][0]
