"""What the grader writes for the instructor: per-student totals, LMS exports, feedback.

``students.csv`` has one row per student (a top-level folder or file of the
submissions folder) with their points; ``canvas.csv`` and ``gradescope.csv``
hold the same totals in the columns each gradebook import expects, filled
from an optional roster (``--roster``, a CSV with a ``student`` column and
any of ``name``, ``email``, ``sid``, ``canvas_id``, ``sis_user_id``,
``sis_login_id``, ``section``); ``feedback/<student>.md`` tells each student
every exercise's verdict and hint. Every file is written whole or not at all
(:mod:`lenet_common.plumbing.atomic`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from lenet_common.plumbing.atomic import replacing

__all__ = [
    "Student",
    "read_roster",
    "write_text",
    "students_csv",
    "canvas_csv",
    "gradescope_csv",
    "feedback",
    "ROSTER_COLUMNS",
]

ROSTER_COLUMNS = (
    "student",
    "name",
    "email",
    "sid",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
)


@dataclass
class Student:
    """One student's graded notebooks (each a list of exercise rows) and totals."""

    name: str
    notebooks: list = field(default_factory=list)  # grade.Graded objects

    def counted(self) -> list:
        """The notebook counted for each chapter: the one with the most points."""
        best: dict[str, object] = {}
        for graded in self.notebooks:
            key = graded.chapter or graded.file
            if key not in best or graded.points > best[key].points:
                best[key] = graded
        return list(best.values())

    @property
    def points(self) -> float:
        return sum(g.points for g in self.counted())

    @property
    def possible(self) -> float:
        return sum(g.possible for g in self.counted())


def read_roster(path: Path | None) -> dict[str, dict[str, str]]:
    """student -> their roster row; raises ValueError with what is wrong."""
    if path is None:
        return {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "student" not in reader.fieldnames:
            raise ValueError(
                f"{path}: the roster needs a 'student' column (the student's folder or "
                f"file name in the submissions), and any of {', '.join(ROSTER_COLUMNS[1:])}"
            )
        return {row["student"]: row for row in reader if row.get("student")}


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as part:
        part.write_text(text, encoding="utf-8")


def _table(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _number(x: float) -> str:
    return f"{x:g}"


def students_csv(students: list[Student]) -> str:
    """student, notebooks, points, possible: one row per student."""
    return _table(
        ["student", "notebooks", "points", "possible"],
        [
            [
                s.name,
                " ".join(g.file for g in s.counted()),
                _number(s.points),
                _number(s.possible),
            ]
            for s in students
        ],
    )


def canvas_csv(students: list[Student], roster: dict, assignment: str) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then
    one column per assignment (its name, as in Canvas). Canvas matches a row by ID (or
    SIS User ID / SIS Login ID): without a roster those are empty and must be filled."""
    rows = []
    for s in students:
        r = roster.get(s.name, {})
        rows.append(
            [
                r.get("name") or s.name,
                r.get("canvas_id", ""),
                r.get("sis_user_id", ""),
                r.get("sis_login_id", ""),
                r.get("section", ""),
                _number(s.points),
            ]
        )
    return _table(
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment], rows
    )


def gradescope_csv(students: list[Student], roster: dict) -> str:
    """Gradescope's score upload: Name, Email, SID, Total Score. Gradescope matches a
    row by Email (or SID): without a roster those are empty and must be filled."""
    rows = []
    for s in students:
        r = roster.get(s.name, {})
        rows.append(
            [
                r.get("name") or s.name,
                r.get("email", ""),
                r.get("sid", ""),
                _number(s.points),
            ]
        )
    return _table(["Name", "Email", "SID", "Total Score"], rows)


def feedback(student: Student) -> str:
    """A student's feedback: each notebook, each exercise's verdict, points and hint."""
    lines = [
        f"# Feedback for {student.name}",
        "",
        f"Total: {_number(student.points)} of {_number(student.possible)} points.",
        "",
    ]
    counted = {id(g) for g in student.counted()}
    for graded in student.notebooks:
        note = (
            ""
            if id(graded) in counted
            else " (not counted: another notebook of the same chapter scored more)"
        )
        lines += [
            f"## {graded.file}{note}",
            "",
            f"Chapter {graded.chapter or '?'}: {graded.status}; "
            f"{_number(graded.points)} of {_number(graded.possible)} points.",
            "",
        ]
        for row in graded.rows:
            title = (
                f"Exercise {row['number']} ({row['exercise']})"
                if row["exercise"]
                else "The notebook"
            )
            lines.append(
                f"- **{title}**: {row['verdict']}, {row.get('points', '0')} of "
                f"{row.get('possible', '0')} points. {row['detail']}".rstrip()
            )
        lines.append("")
    return "\n".join(lines)
