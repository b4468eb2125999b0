"""Grade submitted student notebooks: run each one, collect every check's verdict.

    python scripts/grade.py SUBMISSIONS [--out grades] [--limit 600] [--jobs 1] [--full]
    make grade SUBMISSIONS=folder            (the same, from the Makefile)

Every ``*.ipynb`` under SUBMISSIONS (any layout, e.g. one folder per student)
is executed top to bottom in a fresh kernel with nbclient, in quick mode
unless ``--full``, with a time limit for the whole notebook. Every check a
notebook calls records its verdict (``lenet_common.exercises.record_verdicts``,
switched on by one cell the grader puts first). A cell that raises does not
stop the notebook; a kernel that dies or a notebook that runs past its limit
is graded as crashed or timed out from there on, and the other notebooks
still run. Writes ``OUT/grades.csv`` (file, chapter, number, exercise,
verdict, detail: one row per exercise of each notebook's chapter),
``OUT/summary.txt``, and each executed notebook under ``OUT/executed/``.

The chapter of a notebook is read from its metadata (the student edition
stamps it), else from the exercise labels it holds, else from its file name.
Verdicts: correct, incorrect, not attempted, error (the exercise's cell
raised before its check ran), not checked (the check was never called),
crashed, timed out.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from lenet_common.plumbing import notebooks as cells

ROOT = Path(__file__).resolve().parents[1]

COLUMNS = ["file", "chapter", "number", "exercise", "verdict", "detail"]

# Notebooks saved by older tools have no cell ids; nbformat warns about each one.
warnings.filterwarnings("ignore", message="Cell is missing an id field")


@dataclass
class Graded:
    """One notebook's outcome."""

    file: str
    chapter: str
    status: str  # ok, errors, crashed, timed out, unreadable, unknown chapter
    seconds: float
    rows: list[dict[str, str]] = field(default_factory=list)


def reference_exercises(book: Path) -> dict[str, list[cells.Exercise]]:
    """chapter name -> its exercises, from the instructor notebooks in ``book``."""
    found = {}
    for path in sorted(book.glob("*.ipynb")):
        exercises = cells.exercises(json.loads(path.read_text(encoding="utf-8")))
        if exercises:
            found[path.stem] = exercises
    return found


def identify(
    nb: dict, path: Path, chapters: dict[str, list[cells.Exercise]]
) -> str | None:
    """Which chapter a submitted notebook is: metadata, then labels, then file name."""
    stamped = nb.get("metadata", {}).get("lenet_book", {}).get("chapter")
    if stamped in chapters:
        return stamped
    text = "\n".join(cells.source(c) for c in nb.get("cells", []))
    labels = set(re.findall(r":label:\s*(\S+)", text))
    for chapter, exercises in chapters.items():
        if labels & {e.label for e in exercises}:
            return chapter
    name = path.stem.lower()
    return next((chapter for chapter in chapters if chapter in name), None)


def _recorder(log: Path) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        "import lenet_common.exercises as _grader\n"
        f"_grader.record_verdicts({str(log)!r})"
    )


def _verdicts(log: Path) -> dict[str, dict[str, str]]:
    """The last verdict each exercise got (a student may run a check several times)."""
    if not log.is_file():
        return {}
    latest = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a line cut short by a dying kernel
            continue
        latest[record["label"]] = record
    return latest


def _error_of(cell: dict) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return ""


def _starters(nb: dict) -> dict[str, int]:
    """label -> index of the exercise's starter cell in this (submitted) notebook."""
    try:
        return {e.label: e.starter for e in cells.exercises(nb)}
    except cells.NotebookLayoutError:
        return {}


def execute(
    nb: nbformat.NotebookNode, workdir: Path, limit: float
) -> tuple[str, int | None]:
    """Run ``nb`` in place; return its status and the index of the cell it stopped
    in."""
    deadline = time.monotonic() + limit
    running: list[int] = []  # the index of each cell as it starts (nbclient's hook)
    client = NotebookClient(
        nb,
        allow_errors=True,
        kernel_name="python3",
        startup_timeout=int(limit),
        timeout_func=lambda cell: max(1.0, deadline - time.monotonic()),
        resources={"metadata": {"path": str(workdir)}},
        on_cell_execute=lambda cell, cell_index: running.append(cell_index),
    )
    try:
        # the kernel's own log lines (a dying kernel's traceback) stay out of the report
        client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        status = "timed out"
    except DeadKernelError:
        status = "crashed"
    else:
        errors = any(_error_of(c) for c in nb.cells if c.cell_type == "code")
        return ("errors" if errors else "ok"), None
    # the cell that was running when the kernel died or the time ran out (not the
    # last one with an execution count: a kernel that dies at once never sends it)
    return status, (running[-1] if running else 0)


def _not_graded(name: str, verdict: str, detail: str) -> Graded:
    """One row for a file that could not be graded at all."""
    row = dict(
        file=name, chapter="", number="", exercise="", verdict=verdict, detail=detail
    )
    return Graded(name, "", verdict, 0.0, [row])


def grade(
    path: Path,
    root: Path,
    chapters: dict[str, list[cells.Exercise]],
    limit: float,
    executed_dir: Path | None = None,
) -> Graded:
    """Execute one submission and grade every exercise of its chapter."""
    name = path.relative_to(root).as_posix()
    started = time.monotonic()
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is graded as such
        return _not_graded(name, "unreadable", f"{type(err).__name__}: {err}")
    chapter = identify(nb, path, chapters)
    if chapter is None:
        return _not_graded(name, "unknown chapter", "no chapter's exercises in it")
    with tempfile.TemporaryDirectory(prefix="lenet-grade-") as folder:
        log = Path(folder) / "verdicts.jsonl"
        nb.cells.insert(0, _recorder(log))
        status, stopped = execute(nb, Path(folder), limit)
        verdicts = _verdicts(log)
    del nb.cells[0]
    stopped = None if stopped is None else stopped - 1
    if executed_dir is not None:
        target = executed_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
    starters = _starters(nb)
    rows = []
    for exercise in chapters[chapter]:
        row = dict(
            file=name,
            chapter=chapter,
            number=str(exercise.number),
            exercise=exercise.label,
        )
        starter = starters.get(exercise.label)
        if exercise.label in verdicts:
            record = verdicts[exercise.label]
            row.update(verdict=record["status"], detail=record["message"])
        elif status in ("crashed", "timed out") and (
            starter is None or starter >= stopped
        ):
            where = (
                "in this exercise's cell"
                if starter == stopped
                else f"before this exercise, in cell {stopped + 1} (counting from 1)"
            )
            row.update(verdict=status, detail=f"the notebook {status} {where}")
        elif starter is not None and _error_of(nb.cells[starter]):
            row.update(
                verdict="error",
                detail=f"its cell raised {_error_of(nb.cells[starter])}",
            )
        else:
            row.update(
                verdict="not checked", detail="the exercise's check was never called"
            )
        rows.append(row)
    return Graded(name, chapter, status, time.monotonic() - started, rows)


def summary(results: list[Graded], folder: Path, limit: float, quick: bool) -> str:
    """A plain-text table: one line per notebook, then one per exercise."""
    out = io.StringIO()
    mode = "quick mode" if quick else "full mode"
    out.write(
        f"Graded {len(results)} notebooks from {folder} ({mode}, at most {limit:g} s "
        "each).\n\n"
    )
    out.write(
        f"{'file':40s} {'chapter':16s} {'status':16s} {'correct':>8s} {'seconds':>8s}\n"
    )
    for r in results:
        right = sum(row["verdict"] == "correct" for row in r.rows if row["exercise"])
        total = sum(1 for row in r.rows if row["exercise"])
        out.write(
            f"{r.file:40s} {r.chapter:16s} {r.status:16s} {f'{right}/{total}':>8s} "
            f"{r.seconds:8.1f}\n"
        )
    per_exercise: dict[tuple[str, str, str], list[str]] = {}
    for r in results:
        for row in r.rows:
            if row["exercise"]:
                key = (row["chapter"], row["number"], row["exercise"])
                per_exercise.setdefault(key, []).append(row["verdict"])
    out.write("\nPer exercise: notebooks with each verdict\n")
    for (chapter, number, label), verdicts in sorted(
        per_exercise.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))
    ):
        counts = ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts)))
        out.write(f"{chapter:16s} {number:>3s} {label:28s} {counts}\n")
    return out.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # the old file stays whole until the new one is complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("grades"),
        help="folder for grades.csv, summary.txt and executed/",
    )
    parser.add_argument(
        "--limit",
        type=float,
        default=600.0,
        help="seconds each notebook may run (default 600)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once")
    parser.add_argument(
        "--full",
        action="store_true",
        help="run in full mode (default: quick mode, LENET_QUICK=1)",
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=ROOT / "book",
        help="the instructor notebooks that list each chapter's exercises",
    )
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(
            f"grade: {args.submissions} is not a folder; pass SUBMISSIONS=folder",
            file=sys.stderr,
        )
        return 2
    args.submissions = args.submissions.resolve()
    out = args.out.resolve()
    notebooks = sorted(
        p
        for p in args.submissions.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and out not in p.parents
    )
    if not notebooks:
        print(f"grade: no .ipynb files under {args.submissions}", file=sys.stderr)
        return 2
    os.environ["LENET_QUICK"] = "0" if args.full else "1"  # the kernels inherit it
    chapters = reference_exercises(args.book)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(
            pool.map(
                lambda p: grade(
                    p, args.submissions, chapters, args.limit, out / "executed"
                ),
                notebooks,
            )
        )
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerows(result.rows)
    _write_atomically(out / "grades.csv", table.getvalue())
    text = summary(results, args.submissions, args.limit, not args.full)
    _write_atomically(out / "summary.txt", text)
    print(text + f"\nWrote {out / 'grades.csv'} and {out / 'summary.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
