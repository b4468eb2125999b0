"""The exercise cells of a chapter notebook, as CONTRIBUTING.md lays them out.

A statement cell (a colon-fenced ``exercise`` directive), the starter code
cell right after it, and a solution fenced by ``solution-start`` and
``solution-end`` cells. The student edition, its tests and the grader all
read chapters through this module, so they agree on what an exercise is.
Plain JSON (no nbformat needed): notebooks are dicts as ``json.load`` gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Exercise",
    "source",
    "exercises",
    "solution_ranges",
    "without_solutions",
    "NotebookLayoutError",
    "words",
    "solution_shingles",
    "leaked",
    "writes_code",
]

Notebook = dict[str, Any]

_STATEMENT = re.compile(
    r"\A:::\{exercise\}[ \t]*(?P<title>[^\n]*)\n:label:[ \t]*(?P<label>\S+)"
)
_SOLUTION_START = re.compile(r"\A```\{solution-start\}[ \t]*(?P<label>\S+)")
_SOLUTION_END = re.compile(r"\A```\{solution-end\}")


class NotebookLayoutError(ValueError):
    """A chapter's exercise cells are not laid out as CONTRIBUTING.md says."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter: where its cells are, and what it is called."""

    number: int  # 1, 2, ... in the chapter, as the site numbers it
    label: str
    title: str
    statement: int  # index of the statement cell
    starter: int  # index of the starter code cell


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebooks store a list of lines or a string)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def _markdown(cell: dict[str, Any]) -> str:
    return source(cell).strip() if cell.get("cell_type") == "markdown" else ""


def exercises(nb: Notebook) -> list[Exercise]:
    """The notebook's exercises in order; raises NotebookLayoutError on a broken
    layout."""
    cells = nb.get("cells", [])
    found = []
    for i, cell in enumerate(cells):
        text = _markdown(cell)
        if "{exercise}" not in text:
            continue
        match = _STATEMENT.match(text)
        if not match:
            raise NotebookLayoutError(
                f"cell {i}: an exercise statement must be a cell of its own that "
                f"starts with ':::{{exercise}} Title' and ':label: ex-...', found "
                f"{text[:60]!r}"
            )
        if i + 1 >= len(cells) or cells[i + 1].get("cell_type") != "code":
            raise NotebookLayoutError(
                f"cell {i}: exercise {match['label']} has no starter code cell after it"
            )
        found.append(
            Exercise(len(found) + 1, match["label"], match["title"].strip(), i, i + 1)
        )
    return found


def solution_ranges(nb: Notebook) -> list[tuple[str, int, int]]:
    """``(label, first, last)`` cell indices of each solution, its fence cells
    included."""
    ranges, start, label = [], None, ""
    for i, cell in enumerate(nb.get("cells", [])):
        text = _markdown(cell)
        if "{solution-start}" in text:
            match = _SOLUTION_START.match(text)
            if start is not None or not match or text.count("```") != 2:
                raise NotebookLayoutError(
                    f"cell {i}: solution-start must be alone in its cell, after the "
                    "previous solution's solution-end"
                )
            start, label = i, match["label"]
        elif "{solution-end}" in text:
            if start is None or not _SOLUTION_END.match(text) or text.count("```") != 2:
                raise NotebookLayoutError(
                    f"cell {i}: solution-end must be alone in its cell and close a "
                    "solution"
                )
            ranges.append((label, start, i))
            start = None
    if start is not None:
        raise NotebookLayoutError(f"cell {start}: solution-start is never closed")
    return ranges


def without_solutions(nb: Notebook) -> Notebook:
    """A copy of the notebook without its solution cells (the student edition's
    notebook)."""
    dropped = {
        i for _, first, last in solution_ranges(nb) for i in range(first, last + 1)
    }
    copy = dict(nb)
    copy["cells"] = [
        cell for i, cell in enumerate(nb.get("cells", [])) if i not in dropped
    ]
    return copy


def words(text: str) -> list[str]:
    """The words and numbers of a text, lower-cased: the same in a notebook and on a
    page."""
    return re.findall(r"[a-z0-9_]+", text.lower())


def _shingles(tokens: list[str], k: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def solution_shingles(nb: Notebook, k: int = 8) -> set[tuple[str, ...]]:
    """Every run of ``k`` words of the solutions that appears nowhere else in the
    notebook.

    Markup differs between a notebook and its HTML page (code is highlighted,
    maths typeset), but the words stay in order; a solution that leaks into
    the student edition leaks whole runs of them.
    """
    inside: set[int] = {
        i for _, first, last in solution_ranges(nb) for i in range(first + 1, last)
    }
    cells = nb.get("cells", [])
    solution, rest = set(), set()
    for i, cell in enumerate(cells):
        target = solution if i in inside else rest
        target |= _shingles(words(source(cell)), k)
    return solution - rest


def leaked(shingles: set[tuple[str, ...]], text: str, k: int = 8) -> list[str]:
    """The solution word runs found in ``text`` (a notebook's sources or a page's
    text)."""
    return sorted(" ".join(s) for s in shingles & _shingles(words(text), k))


def writes_code(nb: Notebook, exercise: Exercise) -> bool:
    """Whether the student writes code (the starter says ``# YOUR CODE HERE``) rather
    than works out a value (``# YOUR ANSWER HERE``)."""
    return "YOUR CODE" in source(nb["cells"][exercise.starter])
