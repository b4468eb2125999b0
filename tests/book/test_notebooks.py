"""The chapters as files: clean, listed in the table of contents, Colab-ready."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import ROOT

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell) -> str:
    return (
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    )


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in book/"


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    entries = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]
    for entry in entries:
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".md", ".ipynb")), (
            entry
        )
    listed = {e for e in entries}
    for path in CHAPTERS:
        assert f"book/{path.stem}" in listed, f"{path.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_committed_without_outputs(path):
    dirty = [
        i
        for i, c in enumerate(code_cells(path))
        if c.get("outputs") or c.get("execution_count")
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} carry outputs; run scripts/clean_notebooks.py"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_installs_lenet_common_in_colab_only(path):
    cell = code_cells(path)[0]
    assert "hide-cell" in cell.get("metadata", {}).get("tags", []), (
        "fold the Colab cell away in the book"
    )
    first = source(cell)
    assert 'if "google.colab" in sys.modules:' in first
    urls = re.findall(r"git\+(https://[^@\"]+)@(\w+)", first)
    repo = CONFIG["repository"]
    assert urls == [(repo["url"], repo["branch"])], (
        f"{path.name}: the Colab cell installs {urls}"
    )
    # only the helper package: torch and TensorFlow are already in Colab
    assert (
        first.count('"pip", "install"') == 1
        and "torch" not in first.split("import sys")[1]
        and "tensorflow" not in first.split("import sys")[1]
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_second_code_cell_sets_mode_and_seed(path):
    second = source(code_cells(path)[1])
    assert "runtime.print_mode()" in second and "runtime.seed_everything(" in second


def test_config_points_colab_and_binder_at_the_repository():
    assert CONFIG["launch_buttons"]["colab_url"].startswith(
        "https://colab.research.google.com"
    )
    assert "sphinx_exercise" in CONFIG["sphinx"]["extra_extensions"]
    assert (
        CONFIG["execute"]["execute_notebooks"] == "cache"
        and CONFIG["execute"]["timeout"] >= 600
    )
