"""Run every code cell of the chapters twice in a row: a reader re-runs cells.

Usage:
    LENET_QUICK=1 python scripts/run_cells_twice.py [book/03_numpy_lenet.ipynb ...]

Each chapter runs top to bottom in a fresh kernel (nbclient, the chapter's
folder as working directory), every code cell executed twice before the
next one. A cell that passes the first time and fails the second is not
safe to run twice (it consumed a value, appended to a list, trained a model
further than its assertion allows...). Prints those cells with their error
and exits 1 if there is one. Quick mode by default; minutes per chapter.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import headless  # noqa: E402  (the table of contents, in reading order)


def chapters() -> list[Path]:
    """The notebooks of ``_toc.yml``, in reading order."""
    pages = headless.toc_pages(ROOT / "_toc.yml")
    return [ROOT / f"{p}.ipynb" for p in pages if (ROOT / f"{p}.ipynb").is_file()]


def errors_of(cell: nbformat.NotebookNode) -> list[str]:
    """The error outputs of an executed cell, one line each."""
    return [
        f"{out.get('ename')}: {out.get('evalue', '')}".strip()[:300]
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def run_twice(path: Path, timeout: int) -> list[tuple[int, str, list[str]]]:
    """Run ``path`` with each code cell twice; the cells whose second run failed alone."""
    nb = nbformat.read(path, as_version=4)
    doubled = nbformat.v4.new_notebook(metadata=nb.metadata)
    origin: list[int] = []  # index in the chapter of each cell of ``doubled``
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        doubled.cells += [copy.deepcopy(cell), copy.deepcopy(cell)]
        origin += [index, index]
    client = NotebookClient(
        doubled,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    unsafe = []
    for k in range(0, len(doubled.cells), 2):
        first, second = doubled.cells[k], doubled.cells[k + 1]
        if not errors_of(first) and errors_of(second):
            source = first.source.strip().splitlines()[0][:80] if first.source else ""
            unsafe.append((origin[k], source, errors_of(second)))
    return unsafe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("LENET_QUICK", "1")
    found = 0
    for path in args.notebooks or chapters():
        unsafe = run_twice(path.resolve(), args.timeout)
        print(f"{path.name}: {len(unsafe)} cell(s) fail when run a second time")
        for index, source, errors in unsafe:
            print(f"  cell {index}: {source}")
            for error in errors:
                print(f"    {error}")
        found += len(unsafe)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
