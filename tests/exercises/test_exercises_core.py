"""What every check has in common: verdicts, placeholders, answers in any numeric
form."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lenet_common.exercises import (
    Feedback,
    NotAttempted,
    check,
    record_verdicts,
    report,
)
from lenet_common.exercises.answers import (
    as_real,
    as_whole,
    call_student,
    compare_arrays,
)


@check("ex-test-core")
def _check_seven(answer):
    answer = as_whole(answer, "the answer")
    return report(
        answer == 7,
        f"{answer} is {'' if answer == 7 else 'not '}seven.",
        "count again.",
    )


def test_report_wording():
    assert str(report(True, "yes.")) == "Correct: yes." and bool(report(True, "yes."))
    r = report(False, "no.", "try this.")
    assert (
        not r and repr(r) == "Not yet: no. Hint: try this." and r.status == "incorrect"
    )


def test_placeholder_is_not_attempted_and_not_an_error():
    result = _check_seven(...)
    assert not result and result.status == "not attempted"
    assert (
        result.message.startswith("Not attempted yet:")
        and result.label == "ex-test-core"
    )


@pytest.mark.parametrize(
    "seven",
    [
        7,
        7.0,
        np.int64(7),
        np.int32(7),
        np.float64(7.0),
        np.array(7),
        np.array(7.0),
        np.uint8(7),
    ],
)
def test_numbers_in_every_form_are_accepted(seven):
    assert _check_seven(seven), type(seven)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (None, "None"),
        ("7", "text '7'"),
        ([7], "list"),
        (np.array([7, 7]), "shape (2,)"),
        (True, "bool"),
        (7.5, "whole number"),
        (float("nan"), "finite"),
    ],
)
def test_wrong_types_get_a_sentence(wrong, words):
    result = _check_seven(wrong)
    assert not result and result.status == "incorrect"
    assert words in result.message and "Traceback" not in result.message


def test_student_code_that_raises_is_reported_without_a_traceback():
    def broken(x):
        return x / undefined_name  # noqa: F821

    with pytest.raises(Feedback) as caught:
        call_student(broken, 1.0, hint="look at your names.")
    assert caught.value.what == (
        "your code raised NameError: name 'undefined_name' is not defined."
    )
    assert caught.value.__suppress_context__  # no chained traceback from the check


def test_not_implemented_means_not_attempted():
    def starter(x):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        call_student(starter, 1)


def test_call_student_passes_copies():
    x = np.zeros(3)

    def scribbles(a):
        a[:] = 5
        return a

    call_student(scribbles, x)
    assert not x.any()


def test_not_a_function():
    with pytest.raises(Feedback, match="should be a function"):
        call_student(3, 1)


def test_compare_arrays_gives_relative_error_and_first_difference():
    ref = np.arange(6.0).reshape(2, 3)
    mine = ref.copy()
    mine[1, 1] += 1
    with pytest.raises(Feedback) as caught:
        compare_arrays(mine, ref, "dx")
    assert "relative error" in caught.value.what and "(1, 1)" in caught.value.what
    assert "yours 5, expected 4" in caught.value.what
    with pytest.raises(Feedback, match="shape"):
        compare_arrays(ref.T, ref, "dx")
    with pytest.raises(Feedback) as none:
        compare_arrays(None, ref, "dx")
    assert "forget to return" in none.value.hint
    compare_arrays(ref + 1e-12, ref, "dx")  # rounding is not a difference


def test_as_real_and_as_whole():
    assert as_real(np.float32(0.5), "x") == 0.5 and as_whole(np.array(3.0), "x") == 3


def test_verdicts_are_recorded_for_the_grader(tmp_path):
    log = tmp_path / "verdicts.jsonl"
    record_verdicts(log)
    try:
        _check_seven(7)
        _check_seven(...)
        _check_seven("seven")
    finally:
        record_verdicts(None)
    _check_seven(8)  # no longer recorded
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(v["label"], v["status"]) for v in lines] == [
        ("ex-test-core", "correct"),
        ("ex-test-core", "not attempted"),
        ("ex-test-core", "incorrect"),
    ]


def test_a_label_has_one_check():
    """(Test checks are labelled ex-test-*: the chapters' layout test ignores them.)"""
    with pytest.raises(ValueError, match="already has a check"):

        @check("ex-test-core")
        def another(answer):
            return report(True, "")
