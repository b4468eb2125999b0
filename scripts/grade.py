"""Grade submitted student notebooks, without trusting what runs in them.

    python scripts/grade.py SUBMISSIONS [--out grades] [--limit 600] [--jobs 1] [--full]
        [--memory-mb 8192] [--output-mb 5] [--roster roster.csv] [--assignment NAME]
    make grade SUBMISSIONS=folder            (the same, from the Makefile)

Every ``*.ipynb`` under SUBMISSIONS is run top to bottom, in quick mode unless
``--full``, in a kernel of its own (``lenet_common.grading.sandbox``): a fresh
working copy, limits on wall-clock time, memory, CPU, file size and output
size, and, when the grader runs as root, a user id of its own that can write
neither the submissions, the output folder nor another submission's copy.
After each exercise's starter cell, the grader's cell sends the answers out
of the kernel as data, and the verdict is decided here, in the grader's
process, by the book's check (``lenet_common.grading.judge``); a student's
function runs in the kernel on the judge's inputs, and only what it returns
comes back. Nothing the notebook prints, logs or patches decides a verdict.

A student is a top-level folder (or file) of SUBMISSIONS. Writes, under OUT:
``grades.csv`` (one row per exercise of each notebook: file, chapter, number,
exercise, verdict, detail, points, possible), ``students.csv`` (one row per
student: their points), ``canvas.csv`` and ``gradescope.csv`` (the totals as
those gradebooks import them; ``--roster`` fills in the students' ids),
``feedback/<student>.md``, ``summary.txt``, and each executed notebook under
``executed/`` (outputs cut to size).

Verdicts: correct, incorrect, not attempted, error (the exercise's cell
raised, or its answers could not be read), not checked (its cells are not in
the notebook or did not run), crashed, timed out, out of memory, file too
large (a file it wrote passed the limit), output too large; a file that cannot be graded: unreadable, too large, unknown chapter.
"""

from __future__ import annotations

import argparse
import ast
import copy
import inspect
import io
import json
import os
import re
import shutil
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from lenet_common.exercises import verdicts
from lenet_common.grading import judge, reports, sandbox
from lenet_common.grading.reports import write_text
from lenet_common.plumbing import notebooks as cells

ROOT = Path(__file__).resolve().parents[1]

COLUMNS = [
    "file",
    "chapter",
    "number",
    "exercise",
    "verdict",
    "detail",
    "points",
    "possible",
]

# Notebooks saved by older tools have no cell ids; nbformat warns about each one.
warnings.filterwarnings("ignore", message="Cell is missing an id field")


@dataclass
class Graded:
    """One notebook's outcome."""

    file: str
    chapter: str
    status: str  # ok, errors, crashed, timed out, out of memory, output too large, ...
    seconds: float
    rows: list[dict[str, str]] = field(default_factory=list)
    student: str = ""

    @property
    def points(self) -> float:
        return sum(float(r.get("points") or 0) for r in self.rows)

    @property
    def possible(self) -> float:
        return sum(float(r.get("possible") or 0) for r in self.rows)


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


def check_calls(book: Path, chapter: str) -> dict[str, list[str]]:
    """label -> the expressions of the answers the book's starter cell passes to its
    check (``["mean", "std"]``), read from the instructor notebook of ``chapter``,
    never from a submission. Arguments the judge supplies itself are left out.
    Imports the chapter's checks first."""
    judge.import_checks([chapter])
    nb = json.loads((book / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return {
        exercise.label: _call_arguments(
            cells.source(nb["cells"][exercise.starter]), exercise.label
        )
        for exercise in cells.exercises(nb)
    }


def _call_arguments(code: str, label: str) -> list[str]:
    """The argument expressions of the last call of ``label``'s check in ``code``."""
    name = verdicts.CHECKS[label].__name__
    calls = [
        node
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == name
    ]
    if not calls:
        raise ValueError(f"{label}: its starter cell does not call {name}")
    call = calls[-1]
    supplied = verdicts.JUDGE_INPUTS.get(label, {})
    params = list(inspect.signature(verdicts.CHECKS[label]).parameters)
    return [
        ast.get_source_segment(code, arg)
        for param, arg in zip(params, call.args)
        if param not in supplied
    ]


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


def _not_graded(name: str, student: str, verdict: str, detail: str) -> Graded:
    """One row for a file that could not be graded at all."""
    row = dict(
        file=name,
        chapter="",
        number="",
        exercise="",
        verdict=verdict,
        detail=detail,
        points="0",
        possible="0",
    )
    return Graded(name, "", verdict, 0.0, [row], student=student)


def _for_run(
    nb: nbformat.NotebookNode,
    exercises: list[cells.Exercise],
    calls: dict[str, list[str]],
) -> tuple[nbformat.NotebookNode, list[int | None], dict[int, str]]:
    """The notebook the kernel runs: the grader's first cell, then the student's
    cells (outputs cleared), each exercise's starter followed by the cell that sends
    its answers. Returns it, each cell's index in the submission (None: the
    grader's), and capture cell -> label."""
    starters = _starters(nb)
    wanted = {starters[e.label]: e.label for e in exercises if e.label in starters}
    run = copy.deepcopy(nb)
    run.cells, origin, captures = [], [], {}
    run.cells.append(nbformat.v4.new_code_cell(sandbox.STARTER_CELL))
    origin.append(None)
    for index, cell in enumerate(nb.cells):
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        run.cells.append(cell)
        origin.append(index)
        if index in wanted:
            label = wanted[index]
            captures[len(run.cells)] = label
            run.cells.append(
                nbformat.v4.new_code_cell(judge.capture_code(label, calls[label]))
            )
            origin.append(None)
    return run, origin, captures


def _on_capture(run_nb: nbformat.NotebookNode, index: int, label: str):
    """The judge of one exercise, called when its capture cell has run."""

    def decide(payload: dict, kernel: sandbox.Run) -> tuple[str, str]:
        starter = run_nb.cells[index - 1]
        error = _error_of(starter)
        if error:
            verdict = "error"
            if error.startswith("MemoryError"):
                verdict = "out of memory"
            elif error.startswith("OSError: [Errno 27]"):  # EFBIG: past RLIMIT_FSIZE
                verdict = "file too large"
            return verdict, f"its cell raised {error}"
        if "values" not in payload:
            why = str(payload.get("error", "the kernel sent nothing"))[:300]
            return "error", f"the answers could not be read after its cell ran: {why}"
        try:
            result = judge.judge(label, payload, kernel)
        except judge.KernelStopped:
            raise
        except Exception as err:  # noqa: BLE001 - never let one answer stop the grader
            return (
                "error",
                f"the grader could not judge this answer ({type(err).__name__}: {str(err)[:200]})",
            )
        return result.status, result.message

    return decide


def _truncated(nb: nbformat.NotebookNode, limit: int) -> None:
    """Cut every text output of ``nb`` to ``limit`` characters (the stored copy)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            fields = [("text", out)] if "text" in out else []
            fields += [
                (k, out["data"]) for k in out.get("data", {}) if k.startswith("text/")
            ]
            for key, holder in fields:
                text = (
                    holder[key]
                    if isinstance(holder[key], str)
                    else "".join(holder[key])
                )
                if len(text) > limit:
                    holder[key] = (
                        text[:limit]
                        + f"\n[... {len(text) - limit:,} characters cut by the grader]\n"
                    )


def grade(
    path: Path,
    root: Path,
    chapters: dict[str, list[cells.Exercise]],
    limits: sandbox.Limits,
    executed_dir: Path | None = None,
    *,
    book: Path = ROOT / "book",
    work: Path | None = None,
    number: int = 0,
    max_notebook_mb: float = 20.0,
    hidden: tuple[Path, ...] = (),
) -> Graded:
    """Run one submission in its sandbox and judge every exercise of its chapter."""
    try:
        return _grade(
            path,
            root,
            chapters,
            limits,
            executed_dir,
            book=book,
            work=work,
            number=number,
            max_notebook_mb=max_notebook_mb,
            hidden=hidden,
        )
    except Exception as err:  # noqa: BLE001 - one notebook never stops the others
        name = path.relative_to(root).as_posix()
        student = name.split("/")[0] if "/" in name else Path(name).stem
        return _not_graded(
            name, student, "grader error", f"{type(err).__name__}: {err}"
        )


def _grade(
    path: Path,
    root: Path,
    chapters: dict[str, list[cells.Exercise]],
    limits: sandbox.Limits,
    executed_dir: Path | None,
    *,
    book: Path,
    work: Path | None,
    number: int,
    max_notebook_mb: float,
    hidden: tuple[Path, ...],
) -> Graded:
    """:func:`grade`, which may raise."""
    name = path.relative_to(root).as_posix()
    student = name.split("/")[0] if "/" in name else Path(name).stem
    started = time.monotonic()
    try:
        size = path.stat().st_size
        if size > max_notebook_mb * 2**20:
            return _not_graded(
                name,
                student,
                "too large",
                f"the file is {size / 2**20:.0f} MB, over the {max_notebook_mb:g} MB limit",
            )
        nb = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file is graded as such
        return _not_graded(name, student, "unreadable", f"{type(err).__name__}: {err}")
    chapter = identify(nb, path, chapters)
    if chapter is None:
        return _not_graded(
            name, student, "unknown chapter", "no chapter's exercises in it"
        )
    calls = check_calls(book, chapter)  # imports the checks before any kernel starts
    exercises = chapters[chapter]
    run_nb, origin, captures = _for_run(nb, exercises, calls)
    own = work is None
    work = work or sandbox.working_root()
    try:
        run = sandbox.Run(run_nb, work, number, limits, sandbox.hidden_folders(*hidden))
        result = run.execute(
            {i: _on_capture(run_nb, i, label) for i, label in captures.items()}
        )
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    judged = {captures[i]: verdict for i, verdict in result.judged.items()}
    stopped = result.stopped
    executed = copy.deepcopy(run_nb)
    executed.cells = [c for c, o in zip(run_nb.cells, origin) if o is not None]
    _truncated(executed, limits.text_kb * 1024)
    if executed_dir is not None:
        target = executed_dir / name
        if result.status == "output too large":
            for cell in executed.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
        write_text(target, nbformat.writes(executed))
    starters = {label: i for i, label in captures.items()}  # capture cell of each
    rows = []
    for exercise in exercises:
        possible = verdicts.POINTS.get(exercise.label, 1)
        row = dict(
            file=name,
            chapter=chapter,
            number=str(exercise.number),
            exercise=exercise.label,
            possible=f"{possible:g}",
        )
        capture = starters.get(exercise.label)
        if result.status == "output too large":
            row.update(
                verdict="output too large",
                detail=(
                    "the notebook's outputs passed the grader's limit "
                    f"({limits.output_mb:g} MB): print less, then hand it in again"
                ),
            )
        elif exercise.label in judged:
            verdict, detail = judged[exercise.label]
            row.update(verdict=verdict, detail=detail)
        elif result.stopped is not None and (capture is None or capture >= stopped):
            where = (
                "in this exercise's cell"
                if capture is not None and stopped in (capture - 1, capture)
                else f"before this exercise, in cell {origin_index(origin, stopped)}"
            )
            detail = f"the notebook {result.status} {where}"
            row.update(
                verdict=result.status,
                detail=detail + (f": {result.detail}" if result.detail else ""),
            )
        elif capture is None:
            row.update(
                verdict="not checked",
                detail="the exercise's cells are not in the notebook",
            )
        else:
            row.update(verdict="not checked", detail="the exercise's cells did not run")
        row["points"] = f"{possible:g}" if row["verdict"] == "correct" else "0"
        rows.append(row)
    return Graded(
        name, chapter, result.status, time.monotonic() - started, rows, student=student
    )


def origin_index(origin: list[int | None], run_index: int) -> str:
    """The cell's number (from 1) in the submission, for a cell of the run notebook."""
    for i in range(run_index, -1, -1):
        if origin[i] is not None:
            return f"{origin[i] + 1} (counting from 1)"
    return "1 (counting from 1)"


def summary(
    results: list[Graded], folder: Path, limits: sandbox.Limits, quick: bool
) -> str:
    """A plain-text table: one line per notebook, then one per exercise."""
    out = io.StringIO()
    mode = "quick mode" if quick else "full mode"
    out.write(
        f"Graded {len(results)} notebooks from {folder} ({mode}, at most {limits.seconds:g} s, "
        f"{limits.memory_mb} MB of memory and {limits.output_mb:g} MB of output each).\n\n"
    )
    out.write(
        f"{'file':40s} {'chapter':16s} {'status':16s} {'correct':>8s} {'points':>8s} {'seconds':>8s}\n"
    )
    for r in results:
        right = sum(row["verdict"] == "correct" for row in r.rows if row["exercise"])
        total = sum(1 for row in r.rows if row["exercise"])
        points = f"{r.points:g}/{r.possible:g}"
        out.write(
            f"{r.file:40s} {r.chapter:16s} {r.status:16s} {f'{right}/{total}':>8s} "
            f"{points:>8s} {r.seconds:8.1f}\n"
        )
    per_exercise: dict[tuple[str, str, str], list[str]] = {}
    for r in results:
        for row in r.rows:
            if row["exercise"]:
                key = (row["chapter"], row["number"], row["exercise"])
                per_exercise.setdefault(key, []).append(row["verdict"])
    out.write("\nPer exercise: notebooks with each verdict\n")
    for (chapter, number, label), verdicts_ in sorted(
        per_exercise.items(), key=lambda kv: (kv[0][0], int(kv[0][1]))
    ):
        counts = ", ".join(f"{v} {verdicts_.count(v)}" for v in sorted(set(verdicts_)))
        out.write(f"{chapter:16s} {number:>3s} {label:28s} {counts}\n")
    return out.getvalue()


def students_of(results: list[Graded]) -> list[reports.Student]:
    """One entry per student (top-level folder or file), in name order."""
    found: dict[str, reports.Student] = {}
    for r in results:
        found.setdefault(r.student, reports.Student(r.student)).notebooks.append(r)
    return [found[name] for name in sorted(found)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("grades"),
        help="folder for the grades, exports, feedback and executed/",
    )
    parser.add_argument(
        "--limit",
        type=float,
        default=600.0,
        help="seconds each notebook may run, judging included (default 600)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=8192,
        help="memory (address space) of each kernel, in MB (default 8192)",
    )
    parser.add_argument(
        "--output-mb",
        type=float,
        default=5.0,
        help="outputs a notebook may print or display, in MB (default 5)",
    )
    parser.add_argument(
        "--max-notebook-mb",
        type=float,
        default=20.0,
        help="largest submitted file read, in MB (default 20)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once")
    parser.add_argument(
        "--full",
        action="store_true",
        help="run in full mode (default: quick mode, LENET_QUICK=1)",
    )
    parser.add_argument(
        "--roster",
        type=Path,
        help="CSV with a 'student' column and the ids the exports need",
    )
    parser.add_argument(
        "--assignment",
        default="LeNet-5 exercises",
        help="the assignment's name, as in Canvas (canvas.csv's column)",
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
    try:
        roster = reports.read_roster(args.roster)
    except (OSError, ValueError) as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    args.submissions = args.submissions.resolve()
    out = args.out.resolve()
    if out == args.submissions or args.submissions in out.parents:
        print("grade: put --out outside the submissions folder", file=sys.stderr)
        return 2
    notebooks = sorted(
        p
        for p in args.submissions.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and p.is_file() and not p.is_symlink()
    )
    if not notebooks:
        print(f"grade: no .ipynb files under {args.submissions}", file=sys.stderr)
        return 2
    os.environ["LENET_QUICK"] = "0" if args.full else "1"  # the kernels and the judge
    chapters = reference_exercises(args.book)
    limits = sandbox.Limits(
        seconds=args.limit, memory_mb=args.memory_mb, output_mb=args.output_mb
    )
    out.mkdir(parents=True, exist_ok=True)
    work = sandbox.working_root()
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(
                pool.map(
                    lambda item: grade(
                        item[1],
                        args.submissions,
                        chapters,
                        limits,
                        out / "executed",
                        book=args.book,
                        work=work,
                        number=item[0],
                        max_notebook_mb=args.max_notebook_mb,
                        hidden=(args.submissions, out),
                    ),
                    enumerate(notebooks),
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = io.StringIO()
    import csv

    writer = csv.DictWriter(table, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerows(result.rows)
    write_text(out / "grades.csv", table.getvalue())
    students = students_of(results)
    write_text(out / "students.csv", reports.students_csv(students))
    write_text(
        out / "canvas.csv", reports.canvas_csv(students, roster, args.assignment)
    )
    write_text(out / "gradescope.csv", reports.gradescope_csv(students, roster))
    for student in students:
        write_text(out / "feedback" / f"{student.name}.md", reports.feedback(student))
    text = summary(results, args.submissions, limits, not args.full)
    write_text(out / "summary.txt", text)
    print(
        text + f"\nWrote grades.csv, students.csv, canvas.csv, gradescope.csv, "
        f"summary.txt, feedback/ and executed/ in {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
