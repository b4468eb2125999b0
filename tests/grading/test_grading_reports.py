"""The grader's reports for the instructor: totals, gradebook exports, feedback."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pytest

from lenet_common.grading import reports


@dataclass
class Notebook:  # the fields of the grader's Graded that the reports read
    file: str
    chapter: str
    status: str
    points: float
    possible: float
    rows: list = field(default_factory=list)


def row(number, label, verdict, detail, points, possible):
    return dict(
        number=str(number),
        exercise=label,
        verdict=verdict,
        detail=detail,
        points=str(points),
        possible=str(possible),
    )


def students():
    ann = reports.Student(
        "ann",
        [
            Notebook(
                "ann/02_shapes.ipynb",
                "02_shapes",
                "ok",
                3,
                6,
                [
                    row(1, "ex-shapes-stride", "correct", "Correct: 112.", 1, 1),
                    row(
                        2,
                        "ex-shapes-function",
                        "incorrect",
                        "Not yet: ... Hint: add 1.",
                        0,
                        2,
                    ),
                ],
            ),
            # a second copy of the same chapter, worth less: not counted
            Notebook("ann/Copy of 02_shapes.ipynb", "02_shapes", "ok", 1, 6),
            Notebook("ann/01_data.ipynb", "01_data", "ok", 4, 4),
        ],
    )
    return [
        ann,
        reports.Student("ben", [Notebook("ben.ipynb", "01_data", "timed out", 0, 4)]),
    ]


def parse(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_a_students_total_counts_the_best_notebook_of_each_chapter():
    ann, ben = students()
    assert (ann.points, ann.possible) == (7, 10)
    assert parse(reports.students_csv([ann, ben]))[0] == {
        "student": "ann",
        "notebooks": "ann/02_shapes.ipynb ann/01_data.ipynb",
        "points": "7",
        "possible": "10",
    }


def test_exports_take_the_ids_from_the_roster(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(
        "student,name,email,sid,canvas_id,sis_user_id,section\n"
        "ann,Ann Lee,ann@example.edu,123,4567,S-1,A\n"
    )
    roster = reports.read_roster(roster_file)
    canvas = parse(reports.canvas_csv(students(), roster, "Lab 2"))
    assert canvas[0] == {
        "Student": "Ann Lee",
        "ID": "4567",
        "SIS User ID": "S-1",
        "SIS Login ID": "",
        "Section": "A",
        "Lab 2": "7",
    }
    assert canvas[1]["Student"] == "ben" and canvas[1]["ID"] == ""  # to fill in
    gradescope = parse(reports.gradescope_csv(students(), roster))
    assert gradescope[0] == {
        "Name": "Ann Lee",
        "Email": "ann@example.edu",
        "SID": "123",
        "Total Score": "7",
    }


def test_a_roster_without_a_student_column_is_a_clear_error(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("name,email\nAnn,ann@example.edu\n")
    with pytest.raises(ValueError, match="'student' column"):
        reports.read_roster(bad)


def test_feedback_gives_each_verdict_and_hint(tmp_path):
    ann = students()[0]
    text = reports.feedback(ann)
    assert "Total: 7 of 10 points." in text
    assert "**Exercise 2 (ex-shapes-function)**: incorrect, 0 of 2 points." in text
    assert "Hint: add 1." in text and "not counted" in text
    reports.write_text(tmp_path / "feedback" / "ann.md", text)
    assert (tmp_path / "feedback" / "ann.md").read_text(encoding="utf-8") == text
