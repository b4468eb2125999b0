"""Issue 23: code a chapter prints with ``show_source`` fits the lesson (at most 35 lines).

The chapters print the package's own code, so a shown function that grows
production concerns (mixed precision, graphs, progress bars, divisor searches)
stops being readable. Each chapter's imports are run, each ``show_source``
argument is evaluated, and its source is measured with ``inspect``.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 35


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "code"
    ]


def _parse(source: str) -> ast.Module | None:
    # notebook magics (%timeit, !ls) are not Python: leave them out
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def shown_targets(path: Path) -> tuple[list[str], list[str]]:
    """The chapter's import statements and the expressions it passes to show_source."""
    imports: list[str] = []
    targets: list[str] = []
    for source in _code_cells(path):
        tree = _parse(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                imports.append(ast.unparse(node))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (getattr(node.func, "id", None) or node.func.attr) == "show_source"
                and node.args
            ):
                targets.append(ast.unparse(node.args[0]))
    return imports, targets


CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.ipynb") if shown_targets(p)[1])


def test_the_parser_finds_the_shown_code():
    names = {p.stem for p in CHAPTERS}
    assert {"03_numpy_lenet", "04_keras", "05_pytorch", "07_lenet1998"} <= names


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_shown_object_is_at_most_35_lines(path):
    imports, targets = shown_targets(path)
    namespace: dict = {}
    for statement in imports:
        exec(statement, namespace)  # the chapter's own imports, nothing else
    too_long = {}
    for target in targets:
        obj = eval(target, namespace)
        length = len(inspect.getsourcelines(obj)[0])
        if length > MAX_LINES:
            too_long[target] = length
    assert not too_long, (
        f"{path.name} shows objects longer than {MAX_LINES} lines: {too_long}; "
        "show the taught core and keep production concerns in a helper the page "
        "does not print"
    )
