"""Every chapter's exercises are laid out as CONTRIBUTING.md says.

Statement (colon fence, readable in Jupyter and Colab), starter cell calling
the exercise's registered check, solution fenced in cells of its own. Every
chapter of ``_toc.yml`` is covered, including chapters added later.
"""

from __future__ import annotations

import importlib
import json
import re

import pytest
import yaml

from lenet_common.exercises import CHECKS
from lenet_common.plumbing import notebooks as cells
from tests.conftest import ROOT

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [
    ROOT / f"{c['file']}.ipynb"
    for c in TOC["chapters"]
    if (ROOT / f"{c['file']}.ipynb").is_file()
]
CHECK_MODULES = sorted(
    p.stem
    for p in (ROOT / "lenet_common" / "exercises").glob("*.py")
    if p.stem not in {"__init__", "answers", "verdicts", "cells", "overview"}
)


def notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry():
    for module in CHECK_MODULES:  # the framework ones import torch / TensorFlow
        importlib.import_module(f"lenet_common.exercises.{module}")
    return CHECKS


def test_chapters_are_found():
    assert len(CHAPTERS) >= 5


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_backtick_exercise_fences(path):
    """A backtick fence shows the statement as a raw code block in Jupyter and Colab."""
    for i, cell in enumerate(notebook(path)["cells"]):
        text = cells.source(cell)
        assert not re.search(r"^```\{exercise", text, re.M), f"{path.name} cell {i}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_exercise_has_a_starter_that_calls_its_check(path, registry):
    nb = notebook(path)
    found = cells.exercises(nb)
    for ex in found:
        assert ex.label in registry, f"{path.name}: no check registered for {ex.label}"
        assert ex.title, f"{path.name}: {ex.label} has no title"
        starter = cells.source(nb["cells"][ex.starter])
        last = starter.strip().splitlines()[-1]
        assert re.search(rf"\b{registry[ex.label].__name__}\(", last), (
            f"{path.name}: {ex.label}'s starter must end with a call to "
            f"{registry[ex.label].__name__}, ends with {last!r}"
        )
        assert re.search(
            r"= \.\.\.|\.\.\., \.\.\.|raise NotImplementedError", starter
        ), (
            f"{path.name}: {ex.label}'s starter has no placeholder (... or "
            "raise NotImplementedError)"
        )
        assert "YOUR CODE HERE" in starter or "YOUR ANSWER HERE" in starter, (
            f"{path.name}: {ex.label}'s starter needs a # YOUR CODE HERE or "
            "# YOUR ANSWER HERE comment"
        )
        statement = cells.source(nb["cells"][ex.statement]).rstrip()
        assert statement.endswith("\n:::"), f"{path.name}: {ex.label}: close with ':::'"
        assert "```" not in statement, f"{path.name}: {ex.label}: no code fences inside"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_each_solution_follows_its_exercise(path, registry):
    nb = notebook(path)
    found = cells.exercises(nb)
    solutions = cells.solution_ranges(nb)
    assert [label for label, _, _ in solutions] == [ex.label for ex in found]
    for ex, (label, first, last) in zip(found, solutions):
        assert first > ex.starter, f"{path.name}: {label}'s solution before its starter"
        body = "".join(
            cells.source(c)
            for c in nb["cells"][first : last + 1]
            if c["cell_type"] == "code"
        )
        check_name = CHECKS[label].__name__
        assert re.search(rf"\b{check_name}\(", body) and "assert result" in body, (
            f"{path.name}: {label}'s solution must call {check_name} and assert it"
        )


def test_labels_are_unique_and_every_check_has_an_exercise(registry):
    labels = [ex.label for path in CHAPTERS for ex in cells.exercises(notebook(path))]
    assert len(labels) == len(set(labels)), "duplicate exercise labels"
    chapter_modules = {path.stem for path in CHAPTERS}
    assert chapter_modules
    orphans = {label for label in registry if not label.startswith("ex-test-")} - set(
        labels
    )
    assert not orphans, f"checks registered for exercises no chapter has: {orphans}"


def test_layout_errors_are_clear():
    bad = {
        "cells": [
            {"cell_type": "markdown", "source": "```{exercise} X\n:label: a\n```"}
        ]
    }
    with pytest.raises(cells.NotebookLayoutError, match="colon|:::"):
        cells.exercises(bad)
    open_solution = {
        "cells": [
            {
                "cell_type": "markdown",
                "source": "```{solution-start} a\n:class: dropdown\n```",
            }
        ]
    }
    with pytest.raises(cells.NotebookLayoutError, match="never closed"):
        cells.solution_ranges(open_solution)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_statements_read_as_text_in_jupyter_and_colab(path):
    """Render each statement as a notebook front end does (CommonMark, no MyST).

    A backtick-fenced directive would come out as one <pre> block of raw
    markdown; the colon fence leaves the title and the statement as
    paragraphs, with their code and emphasis rendered.
    """
    markdown_it = pytest.importorskip("markdown_it")
    render = markdown_it.MarkdownIt("commonmark").render
    nb = notebook(path)
    for ex in cells.exercises(nb):
        statement = cells.source(nb["cells"][ex.statement])
        html = render(statement)
        assert "<pre>" not in html, f"{ex.label} shows as a code block"
        assert html.startswith("<p>:::{exercise} ") and ex.title.split("`")[0] in html
        body = statement.split("\n\n", 1)[1].rsplit(":::", 1)[0]
        if "`" in body:
            assert "<code>" in html, f"{ex.label}: inline code is not rendered"


def test_instructor_table_lists_every_exercise_with_its_student_notebook():
    from lenet_common.plumbing import exercise_table

    rows = exercise_table.exercise_rows(ROOT)
    labels = [ex.label for path in CHAPTERS for ex in cells.exercises(notebook(path))]
    assert [row["label"] for row in rows] == labels
    kinds = {row["label"]: row["kind"] for row in rows}
    assert kinds["ex-numpy-conv"] == "code" and kinds["ex-shapes-stride"] == "answer"
    table = exercise_table.exercise_table(ROOT)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].replace("https://github.com/", "")
    for path in CHAPTERS:
        if cells.exercises(notebook(path)):
            assert f"/github/{repo}/blob/" in table
            assert f"/student/{path.stem}.ipynb)" in table
