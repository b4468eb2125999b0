"""The grader (make grade) on synthetic submissions: all right, some wrong, a crash, a
hang, and the dishonest ones of issue 24 (a forged verdict log, patched checks,
writes to others' files, a 200 MiB print, a memory bomb).

The submissions are the output-size chapter's student notebook cut down to
its set-up and exercise cells (quick to run: no training), with the starter
cells filled in as each student would.
"""

from __future__ import annotations

import ast
import copy
import csv
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

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
# the sandbox takes a user id of its own, hides folders and cuts the network only
# when the grader runs as root (a container, CI as root)
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
SCRATCH = Path(tempfile.gettempdir()) / f"lenet-test-planted-{os.getpid()}"
needs_root = pytest.mark.skipif(
    not ROOT_USER, reason="the sandbox's user id needs root"
)

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


WRONG = {
    "ex-shapes-stride": "answer = 111",
    "ex-shapes-function": (
        "def my_output_size(size, kernel, stride, padding, dilation):\n    return size"
    ),
    "ex-shapes-c3": "modern, paper_count = 1, 2",
    "ex-shapes-pad28": "p = 7",
    "ex-shapes-rf": "answer = 5",
}

# A first cell that forges the old verdict log and patches every check in the
# kernel, the function that runs checks, and the decorator's registry, then
# tries to write where it must not: another student's submission, its own
# original, the output folder, the book's code. ``{paths}`` is filled in.
CHEAT = """
import glob, json, os
import lenet_common.exercises as ex
from lenet_common.exercises import verdicts, shapes as _s
labels = ["ex-shapes-stride", "ex-shapes-function", "ex-shapes-c3", "ex-shapes-pad28",
          "ex-shapes-rf"]
for log in glob.glob("/tmp/**/*.jsonl", recursive=True) + ["verdicts.jsonl"]:
    try:
        with open(log, "a") as f:
            for label in labels:
                f.write(json.dumps({{"label": label, "status": "correct",
                                     "message": "Correct: forged"}}) + "\\n")
    except OSError:
        pass
forged = lambda *a, **k: verdicts.ExerciseResult(True, "Correct: forged")
verdicts._judge = lambda fn, args, kwargs: verdicts.ExerciseResult(True, "Correct: forged")
for name in dir(_s):
    if name.startswith("check_"):
        setattr(_s, name, forged)
for label in list(verdicts.CHECKS):
    verdicts.CHECKS[label] = forged
verdicts.report = lambda ok, what, hint="": verdicts.ExerciseResult(True, "Correct: forged")
refused = []
for path in {deletes}:  # delete every file in these folders
    for root, _, files in os.walk(path):
        for name in files:
            try:
                os.remove(os.path.join(root, name))
            except OSError as err:
                refused.append(type(err).__name__)
for path in {writes}:  # overwrite these files
    try:
        open(path, "w").write("overwritten")
    except OSError as err:
        refused.append(type(err).__name__)
for path in {plants}:  # add a file to these folders
    try:
        open(os.path.join(path, "planted.ipynb"), "w").write("{{}}")
    except OSError as err:
        refused.append(type(err).__name__)
open({scratch!r}, "w").write("left behind")  # its own /tmp: gone after the run
import socket
try:
    socket.create_connection(("192.0.2.1", 80), timeout=3)
except OSError as err:
    refused.append("network: " + type(err).__name__)
print("refused", refused)
"""
HUGE = {"ex-shapes-stride": "print('x' * (200 * 2**20))\n" + RIGHT["ex-shapes-stride"]}
MEMORY = {
    **RIGHT,
    "ex-shapes-c3": "import numpy as np\nhog = np.ones(2**31)\n"
    + RIGHT["ex-shapes-c3"],
    # past the 64 MB limit on any file written
    "ex-shapes-pad28": "open('big', 'wb').write(bytes(70 * 2**20))\n"
    + RIGHT["ex-shapes-pad28"],
}


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


def cheater(folder, out) -> dict:
    """WRONG answers, after a first cell that forges, patches and vandalises."""
    nb = submission(WRONG)
    code = CHEAT.format(
        deletes=repr([str(out), str(folder / "alice")]),  # the output, a classmate
        writes=repr(
            [
                str(
                    folder / "alice" / f"{CHAPTER}.ipynb"
                ),  # another student's submission
                str(folder / "mallory" / f"{CHAPTER}.ipynb"),  # its own original
            ]
        ),
        # the output folder, and the checks the judge imports
        plants=repr([str(out), str(ROOT / "lenet_common" / "exercises")]),
        scratch=str(SCRATCH),
    )
    nb["cells"].insert(2, nbformat.v4.new_code_cell(code))
    return nb


def digests(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    checks_before = digests(ROOT / "lenet_common" / "exercises")
    for student, nb, name in (
        ("alice", submission(RIGHT), f"{CHAPTER}.ipynb"),
        ("bob", submission(SOME_WRONG), f"Copy of {CHAPTER}.ipynb"),
        ("carol", submission(CRASH), f"{CHAPTER}.ipynb"),
        ("dave", submission(HANG), f"{CHAPTER}.ipynb"),
        ("hugo", submission(HUGE), f"{CHAPTER}.ipynb"),
        ("mona", submission(MEMORY), f"{CHAPTER}.ipynb"),
        # only where the sandbox has its own user id: elsewhere its writes would land
        *([("mallory", cheater(folder, out), f"{CHAPTER}.ipynb")] if ROOT_USER else []),
    ):
        (folder / student).mkdir()
        (folder / student / name).write_text(json.dumps(nb))
    (folder / "erin").mkdir()
    (folder / "erin" / "notes.ipynb").write_text("this is not a notebook")
    # a student who handed in one file at the top level, with two of five right
    half = {k: RIGHT[k] for k in ("ex-shapes-stride", "ex-shapes-c3")}
    (folder / "frank.ipynb").write_text(json.dumps(submission(half)))
    before = digests(folder)
    started = time.monotonic()
    # alice is graded before mallory: her executed copy is in the output by then
    status = grade.main(
        [
            str(folder),
            "--out",
            str(out),
            "--limit",
            "40",
            "--jobs",
            "2",
            "--memory-mb",
            "6144",
        ]
    )
    seconds = time.monotonic() - started
    planted = ROOT / "lenet_common" / "exercises" / "planted.ipynb"
    if planted.exists():  # the sandbox failed: leave the worktree as it was
        planted.unlink()
    return (
        status,
        out,
        seconds,
        (before, digests(folder)),
        (checks_before, digests(ROOT / "lenet_common" / "exercises")),
    )


def rows(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_grader_writes_the_expected_csv(graded):
    status, out, *_ = graded
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
    frank = ["correct", "not attempted", "correct", "not attempted", "not attempted"]
    expected += [
        ("frank.ipynb", CHAPTER, str(n), label, verdict)
        for n, (label, verdict) in enumerate(zip(labels, frank), 1)
    ]
    got = [
        row for row in got if row[0].split("/")[0] not in ("hugo", "mallory", "mona")
    ]
    assert got == expected


def test_details_say_what_happened(graded):
    _, out, *_ = graded
    detail = {(r["file"].split("/")[0], r["exercise"]): r["detail"] for r in rows(out)}
    assert "your code raised ZeroDivisionError" in detail["bob", "ex-shapes-function"]
    assert "Traceback" not in detail["bob", "ex-shapes-function"]
    assert "bias" in detail["bob", "ex-shapes-c3"]
    assert "NameError" in detail["bob", "ex-shapes-rf"]
    assert "in this exercise's cell" in detail["carol", "ex-shapes-function"]
    assert "in this exercise's cell" in detail["dave", "ex-shapes-c3"]
    assert "before this exercise" in detail["dave", "ex-shapes-rf"]


def test_summary_and_executed_notebooks(graded):
    _, out, seconds, *_ = graded
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
    assert "ex-shapes-stride" in text and "correct 6" in text  # mallory's is wrong
    executed = nbformat.read(
        out / "executed" / "alice" / "02_shapes.ipynb", as_version=4
    )
    outputs = "".join(
        str(o) for c in executed.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Correct:" in outputs and "__lenet_judge__" not in json.dumps(executed)
    assert seconds < 300  # the hang is cut at its limit, the others ran beside it


def by_student(out):
    found = {}
    for r in rows(out):
        found.setdefault(r["file"].split("/")[0], []).append(r)
    return found


@needs_root
def test_a_forged_log_and_patched_checks_do_not_change_the_verdicts(graded):
    _, out, *_ = graded
    mallory = by_student(out)["mallory"]
    assert [r["verdict"] for r in mallory] == ["incorrect"] * 5
    assert not any("forged" in r["detail"] for r in mallory)
    assert all(r["points"] == "0" for r in mallory)


@needs_root
def test_a_submission_cannot_write_the_others_the_output_or_the_checks(graded):
    _, out, _, (before, after), (checks_before, checks_after) = graded
    assert after == before  # every original, its own included, byte for byte
    assert checks_after == checks_before
    assert not (out / "planted.ipynb").exists()
    # alice's grade and executed copy are intact
    assert [r["verdict"] for r in by_student(out)["alice"]] == ["correct"] * 5
    assert (out / "executed" / "alice" / "02_shapes.ipynb").is_file()
    executed = nbformat.read(
        out / "executed" / "mallory" / "02_shapes.ipynb", as_version=4
    )
    printed = [
        line
        for cell in executed.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if o.get("name") == "stdout"
        for line in o["text"].splitlines()
        if line.startswith("refused ")
    ]
    # both writes and both new files were refused, and the network was unreachable
    refused = ast.literal_eval(printed[0].removeprefix("refused "))
    assert len(refused) == 5 and refused[-1].startswith("network: ")
    assert not SCRATCH.exists()  # what it wrote to /tmp stayed in its own /tmp


def test_a_huge_print_is_refused_and_not_kept(graded):
    _, out, *_ = graded
    hugo = by_student(out)["hugo"]
    assert {r["verdict"] for r in hugo} == {"output too large"}
    assert all(r["points"] == "0" for r in hugo)
    kept = out / "executed" / "hugo" / "02_shapes.ipynb"
    assert kept.stat().st_size < 2**20
    assert "output too large" in (out / "summary.txt").read_text()


def test_memory_file_and_time_limits_are_graded_as_such(graded):
    _, out, *_ = graded
    mona = {r["exercise"]: r for r in by_student(out)["mona"]}
    assert mona["ex-shapes-c3"]["verdict"] == "out of memory"
    assert "MemoryError" in mona["ex-shapes-c3"]["detail"]
    assert mona["ex-shapes-pad28"]["verdict"] == "file too large"
    assert mona["ex-shapes-rf"]["verdict"] == "correct"  # the notebook went on
    dave = {r["exercise"]: r for r in by_student(out)["dave"]}
    assert dave["ex-shapes-c3"]["verdict"] == "timed out"


def test_points_totals_exports_and_feedback(graded):
    _, out, *_ = graded
    with open(out / "students.csv", newline="", encoding="utf-8") as f:
        students = {r["student"]: r for r in csv.DictReader(f)}
    assert set(students) == {
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "hugo",
        "mallory",
        "mona",
    }
    assert (students["alice"]["points"], students["alice"]["possible"]) == ("6", "6")
    assert students["bob"]["points"] == "1"  # the stride (1 point); the rest wrong
    assert students["frank"]["points"] == "2"  # two 1-point exercises
    assert students["mona"]["points"] == "4"  # all but C3 and the padding (1 each)
    with open(out / "canvas.csv", newline="", encoding="utf-8") as f:
        canvas = list(csv.DictReader(f))
    assert list(canvas[0]) == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "LeNet-5 exercises",
    ]
    assert {r["Student"]: r["LeNet-5 exercises"] for r in canvas}["alice"] == "6"
    with open(out / "gradescope.csv", newline="", encoding="utf-8") as f:
        gradescope = list(csv.DictReader(f))
    assert list(gradescope[0]) == ["Name", "Email", "SID", "Total Score"]
    assert {r["Name"]: r["Total Score"] for r in gradescope}["frank"] == "2"
    for student in students:
        text = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# Feedback for {student}")
    bob = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "Hint: each of the 16 output maps also has one bias" in bob


def test_points_are_declared_for_every_exercise():
    from lenet_common.exercises import verdicts
    from lenet_common.grading import judge

    judge.import_checks(list(judge.CHAPTER_CHECKS))
    chapters = grade.reference_exercises(ROOT / "book")
    labels = {e.label for exercises in chapters.values() for e in exercises}
    # every chapter with exercises names the module of its checks, and that module
    # defines them (whatever other tests imported before this one)
    for chapter, exercises in chapters.items():
        assert chapter in judge.CHAPTER_CHECKS, (
            f"{chapter} has exercises but no entry in judge.CHAPTER_CHECKS"
        )
        module = f"lenet_common.exercises.{judge.CHAPTER_CHECKS[chapter]}"
        for e in exercises:
            assert verdicts.CHECKS[e.label].__module__ == module, e.label
    assert labels <= set(verdicts.POINTS)
    assert all(verdicts.POINTS[label] > 0 for label in labels)
    for chapter in chapters:  # every starter's check call is read
        calls = grade.check_calls(ROOT / "book", chapter)
        assert set(calls) == {e.label for e in chapters[chapter]}


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
