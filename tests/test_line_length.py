"""Code a reader sees fits the page: at most 88 characters a line.

That is every line of a chapter's code cells, of the code blocks in its
text, and of every piece of the package that a chapter shows with
``show_source`` (resolved from the chapter's own imports, without running
it). A line of 88 characters fits the book's column on a laptop; longer ones
need a sideways scroll. There is no list of tolerated lines: wrap a long line
(split a call after a comma, an f-string into two, a comment onto its own line).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX = 88
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
FENCE = re.compile(r"^(```+|~~~+)([^\n]*)\n(.*?)^\1\s*$", re.S | re.M)


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def text(cell: dict) -> str:
    return (
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    )


def too_long(lines: list[str], where: str) -> list[str]:
    return [
        f"{where}, line {i}: {len(line)} characters (at most {MAX}): "
        f"{line.strip()[:50]}…"
        for i, line in enumerate(lines, 1)
        if len(line) > MAX
    ]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_code_fits_the_page(path):
    problems = []
    for n, cell in enumerate(cells(path)):
        if cell["cell_type"] == "code":
            problems += too_long(text(cell).splitlines(), f"cell {n}")
        elif cell["cell_type"] == "markdown":
            for block in FENCE.finditer(text(cell)):
                if (
                    block.group(2).strip().startswith("{")
                ):  # a directive (exercise, ...): prose
                    continue
                problems += too_long(
                    block.group(3).splitlines(), f"cell {n} (code block)"
                )
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- shown code


def _module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(
    statements: list[ast.stmt], package: str = ""
) -> dict[str, tuple[str, str | None]]:
    """Name -> (module, attribute or None) for each import of ``lenet_common``,
    in order (a later import of a name wins). ``package``: for relative imports."""
    names: dict[str, tuple[str, str | None]] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("lenet_common"):
                    if a.asname:
                        names[a.asname] = (a.name, None)
                    else:
                        names[a.name.split(".")[0]] = (a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            if module.startswith("lenet_common"):
                for a in node.names:
                    names[a.asname or a.name] = (module, a.name)
    return names


def _lookup(module: str, rest: list[str]) -> tuple[Path, ast.AST] | None:
    """The file and the definition that ``module.rest...`` names, as Python resolves it:
    what the module defines or imports under the name, else its submodule."""
    file = _module_file(module)
    if file is None:
        return None
    node: ast.AST = ast.parse(file.read_text(encoding="utf-8"))
    while rest:
        name = rest[0]
        found = next(
            (
                n
                for n in getattr(node, "body", [])
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.name == name
            ),
            None,
        )
        if found is not None:
            node, rest = found, rest[1:]
            continue
        if not isinstance(node, ast.Module):
            return None
        package = module if file.name == "__init__.py" else module.rpartition(".")[0]
        target = _imports(node.body, package).get(name)
        if target is not None and target != (
            module,
            name,
        ):  # not just "from . import sub"
            where, attr = target
            return _lookup(where, ([attr] if attr else []) + rest[1:])
        sub = _module_file(f"{module}.{name}")
        if sub is None:
            return None
        module, file, rest = f"{module}.{name}", sub, rest[1:]
        node = ast.parse(file.read_text(encoding="utf-8"))
    return file, node


def shown_code(path: Path) -> list[tuple[str, list[str]]]:
    """(what, its source lines) for every ``show_source(...)`` of a chapter, each
    resolved with the imports made before it."""
    names: dict[str, tuple[str, str | None]] = {}
    shown = []
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(
            line
            for line in text(cell).splitlines()
            if not line.lstrip().startswith(("%", "!"))
        )  # IPython magics
        for statement in ast.parse(source).body:
            names.update(_imports([statement]))
            for call in ast.walk(statement):
                if not (
                    isinstance(call, ast.Call)
                    and getattr(call.func, "id", None) == "show_source"
                ):
                    continue
                expr = ast.unparse(call.args[0])
                head, *rest = expr.split(".")
                module, attr = names.get(head, (head, None))
                found = _lookup(module, ([attr] if attr else []) + rest)
                assert found is not None, (
                    f"{path.name}: cannot find the source of show_source({expr})"
                )
                file, node = found
                lines = file.read_text(encoding="utf-8").splitlines()
                if isinstance(node, ast.Module):
                    body = lines
                else:
                    start = min(
                        [node.lineno]
                        + [d.lineno for d in getattr(node, "decorator_list", [])]
                    )
                    body = lines[start - 1 : node.end_lineno]
                indent = min(
                    (len(s) - len(s.lstrip()) for s in body if s.strip()), default=0
                )
                shown.append(
                    (f"{expr} ({file.relative_to(ROOT)})", [s[indent:] for s in body])
                )
    return shown


def test_the_finder_resolves_what_chapters_show():
    shown = [what for path in CHAPTERS for what, _ in shown_code(path)]
    assert len(shown) >= 10


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_package_code_a_chapter_shows_fits_the_page(path):
    problems = []
    for what, lines in shown_code(path):
        problems += too_long(lines, what)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_the_rule_catches_a_long_line():
    long_line = "y = " + "1 + " * 30 + "1"
    assert too_long(["x = 1", long_line], "cell 0") == [
        f"cell 0, line 2: {len(long_line)} characters (at most 88): {long_line[:50]}…"
    ]
    assert too_long(["x = 1", "#" * 88], "cell 0") == []  # 88 fits, 89 does not
    assert len(too_long(["#" * 89], "cell 0")) == 1
