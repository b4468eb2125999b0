"""The grader (make grade) on synthetic submissions: all right, some wrong, a crash, a
hang.

The submissions are the output-size chapter's student notebook cut down to
its set-up and exercise cells (quick to run: no training), with the starter
cells filled in as each student would.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import sys
import time

import nbformat
import pytest

from lenet_common.plumbing import notebooks as cells
from tests.conftest import ROOT

pytestmark = pytest.mark.kernels  # the grader runs notebooks in kernels

spec = importlib.util.spec_from_file_location("grade", ROOT / "scripts" / "grade.py")
grade = importlib.util.module_from_spec(spec)
sys.modules["grade"] = grade  # dataclasses look their module up
spec.loader.exec_module(grade)

CHAPTER = "02_shapes"

RIGHT = {
    "ex-shapes-stride": "import numpy as np\n"
    "answer = np.int64((224 + 2 * 3 - 7) // 2 + 1)",
    "ex-shapes-function": (
        "def my_output_size(size, kernel, stride, padding, dilation):\n"
        "    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1"
    ),
    "ex-shapes-c3": "modern, paper_count = 16 * (6 * 25 + 1), 60 * 25 + 16",
    "ex-shapes-pad28": "p = 2",
    "ex-shapes-rf": "answer = 33.0",
}
SOME_WRONG = {
    "ex-shapes-stride": RIGHT["ex-shapes-stride"],
    "ex-shapes-function": (  # raises inside the check: reported, not a traceback
        "def my_output_size(size, kernel, stride, padding, dilation):\n"
        "    return size // 0"
    ),
    "ex-shapes-c3": "modern, paper_count = 16 * 6 * 25, 60 * 25 + 16",  # no biases
    # ex-shapes-pad28 left as it came: not attempted
    "ex-shapes-rf": "answer = undefined_name",  # the cell raises before its check runs
}
CRASH = {
    "ex-shapes-stride": RIGHT["ex-shapes-stride"],
    "ex-shapes-function": "import os\nos._exit(1)",
}  # the kernel dies
HANG = {
    "ex-shapes-stride": RIGHT["ex-shapes-stride"],
    "ex-shapes-c3": "import time\ntime.sleep(10**6)",
}  # runs past the limit


def submission(fills: dict[str, str]) -> dict:
    """The student notebook's set-up cells and exercises, starters filled from
    ``fills``."""
    nb = json.loads((ROOT / "student" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    keep = set(code[:2])  # the Colab cell and the imports
    exercises = cells.exercises(nb)
    keep |= {i for e in exercises for i in (e.statement, e.starter)}
    out = copy.deepcopy(nb)
    for e in exercises:
        if e.label in fills:
            starter = cells.source(nb["cells"][e.starter]).rstrip().splitlines()
            out["cells"][e.starter]["source"] = fills[e.label] + "\n" + starter[-1]
    out["cells"] = [c for i, c in enumerate(out["cells"]) if i in keep]
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for student, fills, name in (
        ("alice", RIGHT, f"{CHAPTER}.ipynb"),
        ("bob", SOME_WRONG, f"Copy of {CHAPTER}.ipynb"),
        ("carol", CRASH, f"{CHAPTER}.ipynb"),
        ("dave", HANG, f"{CHAPTER}.ipynb"),
    ):
        (folder / student).mkdir()
        (folder / student / name).write_text(json.dumps(submission(fills)))
    (folder / "erin").mkdir()
    (folder / "erin" / "notes.ipynb").write_text("this is not a notebook")
    out = tmp_path_factory.mktemp("grades")
    started = time.monotonic()
    status = grade.main(
        [str(folder), "--out", str(out), "--limit", "30", "--jobs", "4"]
    )
    return status, out, time.monotonic() - started


def rows(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_grader_writes_the_expected_csv(graded):
    status, out, _ = graded
    assert status == 0
    got = [
        (r["file"], r["chapter"], r["number"], r["exercise"], r["verdict"])
        for r in rows(out)
    ]
    labels = list(RIGHT)
    expected = [
        ("alice/02_shapes.ipynb", CHAPTER, str(n), label, "correct")
        for n, label in enumerate(labels, 1)
    ]
    bob = ["correct", "incorrect", "incorrect", "not attempted", "error"]
    expected += [
        (f"bob/Copy of {CHAPTER}.ipynb", CHAPTER, str(n), label, verdict)
        for n, (label, verdict) in enumerate(zip(labels, bob), 1)
    ]
    carol = ["correct", "crashed", "crashed", "crashed", "crashed"]
    expected += [
        ("carol/02_shapes.ipynb", CHAPTER, str(n), label, verdict)
        for n, (label, verdict) in enumerate(zip(labels, carol), 1)
    ]
    dave = ["correct", "not attempted", "timed out", "timed out", "timed out"]
    expected += [
        ("dave/02_shapes.ipynb", CHAPTER, str(n), label, verdict)
        for n, (label, verdict) in enumerate(zip(labels, dave), 1)
    ]
    expected += [("erin/notes.ipynb", "", "", "", "unreadable")]
    assert got == expected


def test_details_say_what_happened(graded):
    _, out, _ = graded
    detail = {(r["file"].split("/")[0], r["exercise"]): r["detail"] for r in rows(out)}
    assert "your code raised ZeroDivisionError" in detail["bob", "ex-shapes-function"]
    assert "Traceback" not in detail["bob", "ex-shapes-function"]
    assert "bias" in detail["bob", "ex-shapes-c3"]
    assert "NameError" in detail["bob", "ex-shapes-rf"]
    assert "in this exercise's cell" in detail["carol", "ex-shapes-function"]
    assert "in this exercise's cell" in detail["dave", "ex-shapes-c3"]
    assert "before this exercise" in detail["dave", "ex-shapes-rf"]


def test_summary_and_executed_notebooks(graded):
    _, out, seconds = graded
    text = (out / "summary.txt").read_text()
    lines = {
        line.split()[0]: line
        for line in text.splitlines()
        if line.endswith(tuple("0123456789"))
    }
    assert (
        "5/5" in lines["alice/02_shapes.ipynb"]
        and " ok " in lines["alice/02_shapes.ipynb"]
    )
    assert "crashed" in lines["carol/02_shapes.ipynb"]
    assert "timed out" in lines["dave/02_shapes.ipynb"]
    assert "ex-shapes-stride" in text and "correct 4" in text
    executed = nbformat.read(
        out / "executed" / "alice" / "02_shapes.ipynb", as_version=4
    )
    outputs = "".join(
        str(o) for c in executed.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Correct:" in outputs and "record_verdicts" not in json.dumps(executed)
    assert seconds < 200  # the hang is cut at its limit, the others ran beside it


def test_no_submissions_is_a_clear_error(tmp_path, capsys):
    assert grade.main([str(tmp_path)]) == 2
    assert "no .ipynb files" in capsys.readouterr().err
    assert grade.main([str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_chapter_is_found_by_metadata_labels_or_name(tmp_path):
    chapters = grade.reference_exercises(ROOT / "book")
    nb = submission({})
    assert grade.identify(nb, tmp_path / "x.ipynb", chapters) == CHAPTER
    del nb["metadata"]["lenet_book"]
    assert grade.identify(nb, tmp_path / "x.ipynb", chapters) == CHAPTER
    assert (
        grade.identify({"cells": []}, tmp_path / "Copy of 01_data (2).ipynb", chapters)
        == "01_data"
    )
    assert grade.identify({"cells": []}, tmp_path / "notes.ipynb", chapters) is None
