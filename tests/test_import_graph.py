"""The package's import graph: no cycle, and no import from a lower layer up.

Read with ``ast`` from the sources (nothing is imported). The layers, lowest
first, are those of docs/decisions.md: a module may import its own layer
and lower ones, never a higher one, and no chain of imports leads back to
where it started.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "lenet_common"

#: Each part of the package (a folder, or a module at the top) and its layer.
LAYERS = {
    "plumbing": 0,
    "lenet5": 1,
    "runtime": 1,
    "plotting": 1,
    "display": 1,
    "numerics": 1,
    "data": 2,
    "shapes": 2,
    "numpy_lenet": 3,
    "torch_lenet": 3,
    "keras_lenet": 3,
    "lenet1998": 3,
    "why_convolutions": 4,
    "comparison": 4,
    "exercises": 5,
    "grading": 6,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """``lenet_common.data.mnist`` -> ``data``; the package itself -> ``""``."""
    return module.split(".")[1] if "." in module else ""


def imports(path: Path, top_level_only: bool) -> set[str]:
    """The ``lenet_common`` modules ``path`` imports (a name imported from a
    package counts as its submodule when there is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lenet_common")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("lenet_common"):
                continue
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in MODULES else source)
    return {m for m in found if m in MODULES} - {name}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_every_part_of_the_package_has_a_layer():
    parts = {part_of(m) for m in MODULES} - {""}
    assert parts <= set(LAYERS), f"give these a layer: {sorted(parts - set(LAYERS))}"


def test_no_import_goes_up_a_layer():
    wrong = []
    for name, path in MODULES.items():
        if name == "lenet_common":
            continue
        for target in imports(path, top_level_only=False):
            if (
                target != "lenet_common"
                and LAYERS[part_of(target)] > LAYERS[part_of(name)]
            ):
                wrong.append(f"{name} imports {target}")
    assert not wrong, "imports from a lower layer to a higher one:\n" + "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    graph = {name: imports(path, top_level_only=True) for name, path in MODULES.items()}
    # a package's __init__ re-exporting its own modules is not a cycle
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_import_cycle_between_parts():
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        for target in imports(path, top_level_only=False):
            if part_of(target) != part_of(name) and part_of(target):
                graph.setdefault(part_of(name), set()).add(part_of(target))
    cycle = _cycle(graph)
    assert cycle is None, "parts import each other: " + " -> ".join(cycle)


def test_the_graph_is_read():
    """The reader finds the imports it must (a check that the checks can fail)."""
    runs = imports(MODULES["lenet_common.comparison.runs"], top_level_only=True)
    assert "lenet_common.comparison.registry" in runs
    assert "lenet_common.lenet5" in runs
