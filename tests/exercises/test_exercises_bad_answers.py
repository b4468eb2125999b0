"""Every check of the data, shapes and NumPy chapters, given answers of every wrong
kind, answers "Not yet" with a sentence: never a traceback, never the decorator's
last-resort sentence (which would mean a check broke on an answer it could read)."""

from __future__ import annotations

import numpy as np
import pytest

from lenet_common.exercises import CHECKS, check, report
from lenet_common.exercises import data as _data_checks  # noqa: F401 (registers)
from lenet_common.exercises import numpy_lenet as E
from lenet_common.exercises import shapes as _shapes_checks  # noqa: F401
from lenet_common.exercises.answers import as_whole, compare_arrays, one_number
from lenet_common.exercises.verdicts import Feedback

LAST_RESORT = "could not read this answer"


def _gen():
    yield 1


class _NoArray:
    """An object NumPy cannot turn into an array."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array")


def _like_first(fill):
    """A student function returning an array shaped like its first argument."""

    def fn(*args):
        return np.full(np.shape(args[0]), fill)

    return fn


def _exits(*args):
    raise SystemExit(1)


#: wrong answers: values, and student functions returning wrong things
BAD = {
    "None": None,
    "text": "abc",
    "text number": "112",
    "ragged list": [[1, 2], [3]],
    "array of text": np.array(["a", "b"]),
    "array of objects": np.array([None, 1], dtype=object),
    "nan": float("nan"),
    "huge int": 10**400,
    "1e308": 1e308,
    "bool": True,
    "complex": 1 + 2j,
    "generator": _gen(),
    "no-array object": _NoArray(),
    "one-element array": np.array([3]),
    "returns None": lambda *a: None,
    "returns text": lambda *a: "abc",
    "returns ragged": lambda *a: [[1, 2], [3]],
    "returns generator": lambda *a: _gen(),
    "returns huge int": lambda *a: 10**400,
    "returns no-array object": lambda *a: _NoArray(),
    "returns text array": _like_first("x"),
    "returns text list": lambda *a: np.full(np.shape(a[0]), "x").tolist(),
    "returns nan array": _like_first(np.nan),
    "returns 1e308 array": _like_first(1e308),
    "returns three texts": lambda *a: ("a", "b", "c"),
    "calls exit()": _exits,
}


@pytest.fixture(scope="module")
def images():
    x = np.zeros((20, 28, 28), np.uint8)
    x[:, 10:18, 12:16] = 200
    return x


@pytest.fixture(autouse=True)
def _reference_images(images, monkeypatch):
    """The data checks compare with images they load; here, these stand-ins."""
    from lenet_common.exercises import data as data_checks

    monkeypatch.setattr(data_checks, "_reference_train_images", lambda full: images)


def _valid(images):
    """label -> arguments of the right kind (not necessarily right answers)."""
    return {
        "ex-data-zero": (0.5, images),
        "ex-data-stats": (0.1, 0.3, images),
        "ex-data-pad": (lambda im: np.pad(im, ((0, 0), (2, 2), (2, 2))), images),
        "ex-shapes-stride": (112,),
        "ex-shapes-function": (lambda n, k, s, p, d: n,),
        "ex-shapes-c3": (2416, 1516),
        "ex-shapes-pad28": (2,),
        "ex-shapes-rf": (40,),
        "ex-numpy-relu": (lambda dout, x: dout,),
        "ex-numpy-scaled-tanh": (lambda dout, out: dout,),
        "ex-numpy-dense": (lambda dout, x, w: (dout, x, w),),
        "ex-numpy-maxpool": (lambda dout, x: x,),
        "ex-numpy-avgpool": (lambda dout, shape, k, s: np.zeros(shape),),
        "ex-numpy-conv": (lambda dout, x, w: (x, w, dout),),
        "ex-numpy-numgrad": (lambda f, x: np.zeros_like(x),),
        "ex-numpy-planted-bug": ("dw", np.zeros((3, 2, 3, 3))),
        "ex-numpy-im2col": (lambda x, w, b: x,),
    }


def test_every_light_check_answers_wrong_kinds_with_a_sentence(images):
    seen = []
    for label, valid in _valid(images).items():
        for position in range(len(valid)):
            for name, bad in BAD.items():
                args = list(valid)
                args[position] = bad
                result = CHECKS[label](*args)  # must not raise
                where = f"{label} argument {position}: {name}"
                assert result.status == "incorrect", (where, result.message)
                assert LAST_RESORT not in result.message, (where, result.message)
                assert "Traceback" not in result.message, where
                assert len(result.message) < 700, (where, result.message)
                seen.append(label)
    assert len(set(seen)) == 17


@pytest.mark.parametrize(
    "answer, words",
    [
        (10**400, "finite number"),
        (1e300, "sensible size"),
        ("224", "drop the quotes"),
        (np.array([112]), ".item()"),
        ([112], "[0]"),
        (lambda: 112, "call it"),
    ],
    ids=["huge int", "1e300", "text", "array", "list", "function"],
)
def test_number_answers_name_what_to_do(answer, words):
    result = CHECKS["ex-shapes-stride"](answer)
    assert not result and words in result.message, result.message


def test_huge_values_are_shown_short(images):
    message = CHECKS["ex-data-zero"](1e308, images).message
    assert "1e+308" in message and len(message) < 300
    assert len(CHECKS["ex-shapes-stride"]("x" * 10_000).message) < 300


def test_student_code_that_calls_exit_is_reported():
    result = E.check_relu_backward(_exits)
    assert not result and "your code raised SystemExit" in result.message


def test_a_check_called_with_the_wrong_arguments_says_how_to_call_it(images):
    result = CHECKS["ex-data-pad"](lambda im: im)  # the images were left out
    assert not result and "called wrongly" in result.message
    assert "check_pad(pad, train_images)" in result.message


def test_a_check_that_breaks_ends_in_a_sentence_not_a_traceback():
    @check("ex-test-breaks")
    def _breaks(answer):
        return report(answer["key"] == 1, "never reached.")

    result = _breaks(3)
    assert (
        not result and LAST_RESORT in result.message and "TypeError" in result.message
    )


def test_compare_arrays_names_values_that_are_not_finite():
    ref = np.ones((2, 3))
    mine = ref.copy()
    mine[1, 2] = np.nan
    with pytest.raises(Feedback) as caught:
        compare_arrays(mine, ref, "dx")
    assert "not finite" in caught.value.what and "(1, 2)" in caught.value.what
    with pytest.raises(Feedback) as huge:
        compare_arrays(np.full((2, 3), 1e308), -np.full((2, 3), 1e308), "dx")
    assert "relative error 1;" in huge.value.what  # no overflow into nan


@pytest.mark.parametrize(
    "answer",
    [np.array(112), np.int64(112), np.float32(112.0), np.array(112.0, np.float32)],
    ids=["0-d int array", "int64", "float32", "0-d float32 array"],
)
def test_numbers_in_numpy_forms_are_read(answer):
    assert one_number(answer) == 112 and as_whole(answer, "the count") == 112


@pytest.mark.parametrize(
    "answer, words",
    [
        (np.array([112]), "take it out with .item()"),
        (True, "int(...)"),
        (np.bool_(False), "int(...)"),
        (np.array(True), "int(...)"),
    ],
    ids=["1-element array", "bool", "NumPy bool", "0-d bool array"],
)
def test_near_numbers_are_refused_with_how_to_convert(answer, words):
    with pytest.raises(Feedback) as caught:
        as_whole(answer, "the count")
    assert "should be a number" in caught.value.what and words in caught.value.hint


def test_as_whole_refuses_numbers_too_large_to_be_counts():
    with pytest.raises(Feedback, match="sensible size"):
        as_whole(1e20, "the count")


def test_planted_bug_answer_given_as_an_array():
    numerical = np.zeros((3, 2, 3, 3))
    result = E.check_planted_bug(np.array(["dx", "dw"]), numerical)
    assert not result and '"dx", "dw" or "db"' in result.message


def test_diagnosis_of_a_wrong_answer_survives_text_arrays():
    for fn in (E.check_avg_pool_backward, E.check_relu_backward):
        result = fn(_like_first("x"))
        assert not result and "array of numbers" in result.message


def test_the_images_argument_is_described_as_given():
    result = CHECKS["ex-data-zero"](0.5, len)
    assert "got a function" in result.message and "shape ()" not in result.message
