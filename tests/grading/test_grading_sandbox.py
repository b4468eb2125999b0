"""What the grader's sandbox lets a kernel see: the book's code and this Python, even
when they lie in a folder it hides or empties (a checkout under /tmp)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from lenet_common.grading import sandbox


def test_a_needed_folder_under_a_covered_one_is_kept_once():
    covers = [Path("/tmp"), Path("/home/teacher")]
    needed = [
        Path("/tmp/checkout"),  # the book's code
        Path("/tmp/checkout/.venv"),  # its virtual environment, inside it
        Path("/usr"),  # this Python's installation: not covered
        Path("/home/teacher/data/mnist"),  # a data folder in the hidden home
        Path("/tmp/checkout"),  # named twice
    ]
    assert sandbox._covered(needed, covers) == [
        Path("/tmp/checkout"),
        Path("/home/teacher/data/mnist"),
    ]


def test_a_covered_folder_itself_is_kept_when_needed():
    assert sandbox._covered([Path("/tmp")], [Path("/tmp")]) == [Path("/tmp")]
    assert sandbox._covered([Path("/tmpdata")], [Path("/tmp")]) == []


def test_the_kernel_keeps_the_books_code_and_python_where_they_are(
    tmp_path, monkeypatch
):
    """The launch command keeps every needed folder that /tmp (or another
    scratch folder) would empty; without it a checkout under /tmp has no Python."""
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "mnist"))
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    run = sandbox.Run(nbformat.from_dict(nb), tmp_path, 1, sandbox.Limits(), [])
    run.uid = 12345  # the command a root grader builds, whoever runs this test
    prefix = run._prefix()
    kept = [Path(prefix[i + 1]) for i, arg in enumerate(prefix) if arg == "--keep"]
    covers = [Path(s) for s in sandbox.SCRATCH]
    for needed in (
        Path(sandbox.__file__).resolve().parents[2],
        Path(sys.prefix).resolve(),
        (tmp_path / "mnist").resolve(),
    ):
        covered = any(c == needed or c in needed.parents for c in covers)
        seen = any(k == needed or k in needed.parents for k in kept)
        assert seen == covered, (needed, kept)
