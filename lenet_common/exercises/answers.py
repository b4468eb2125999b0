"""Read a student's answer the way a person would, and run a student's code safely.

Numbers are accepted in every form arithmetic produces (``112``,
``np.int64(112)``, ``np.float64(112.0)``, ``np.array(112)``); anything else
gets one sentence that says what was expected. Student code that raises is
reported as "your code raised ...", and a function still raising the
starter's ``NotImplementedError`` counts as not attempted. All of them end a
check by raising :class:`~.verdicts.Feedback` or :class:`~.verdicts.NotAttempted`,
which the :func:`~.verdicts.check` decorator turns into the verdict.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from .verdicts import Feedback, NotAttempted

__all__ = [
    "as_real",
    "as_whole",
    "as_array",
    "call_student",
    "compare_arrays",
    "describe",
]


def describe(value: Any) -> str:
    """A short name for what the student gave (for the sentence that says it is
    wrong)."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return (
        f"{type(value).__name__} {value!r}"
        if isinstance(value, numbers.Number)
        else f"a {type(value).__name__}"
    )


def as_real(value: Any, what: str) -> float:
    """``value`` as a float, if it is one real number (Python, NumPy scalar or 0-d
    array)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise Feedback(
            f"{what} should be a number, but you gave {describe(value)}.",
            "give one number, for example the result of a NumPy computation.",
        )
    result = float(value)
    if not np.isfinite(result):
        raise Feedback(
            f"{what} should be a finite number, but you gave {result}.",
            "check for a division by zero or a log of zero.",
        )
    return result


def as_whole(value: Any, what: str) -> int:
    """``value`` as an int, if it is a whole number in any numeric form."""
    number = as_real(value, what)
    if number != int(number):
        raise Feedback(
            f"{what} should be a whole number, but you gave {number}.",
            "sizes and counts are whole: use floor division // rather than /.",
        )
    return int(number)


def as_array(value: Any, what: str) -> np.ndarray:
    """``value`` as a float64 array, if it is numeric (a list, an array, a number)."""
    if value is None:
        raise Feedback(
            f"{what} is None.", "did your function forget to return its result?"
        )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Feedback(
            f"{what} should be a NumPy array of numbers, "
            f"but it is {describe(value)}."
        ) from None
    return array


def call_student(
    fn: Any, *args: Any, hint: str = "", name: str = "your function", copy: bool = True
) -> Any:
    """Call the student's ``fn`` on ``args`` (copies of the arrays, unless
    ``copy=False``).

    Any failure becomes the verdict: ``NotImplementedError`` (the starter's)
    means not attempted, any other exception "your code raised ...".
    """
    if not callable(fn):
        raise Feedback(
            f"{name} should be a function, but it is {describe(fn)}.",
            "pass the function itself, without calling it (no parentheses).",
        )
    copies = tuple(a.copy() if copy and isinstance(a, np.ndarray) else a for a in args)
    try:
        return fn(*copies)
    except NotImplementedError:
        raise NotAttempted(
            "write the body of your function (it still raises " "NotImplementedError)"
        ) from None
    except Exception as err:  # noqa: BLE001 - any error is feedback for the student
        raise Feedback(f"your code raised {type(err).__name__}: {err}.", hint) from None


def compare_arrays(
    mine: Any,
    ref: np.ndarray,
    name: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Raise :class:`Feedback` unless ``mine`` equals ``ref`` to rounding.

    The sentence gives the relative error ``|mine - ref| / (|mine| + |ref|)``
    (norms of the whole arrays) and the first element that differs.
    """
    got = as_array(mine, name)
    if got.shape != ref.shape:
        raise Feedback(
            f"{name} has shape {got.shape}, the reference {ref.shape}.", hint
        )
    close = np.isclose(got, ref, rtol=rtol, atol=atol)
    if close.all():
        return
    error = np.linalg.norm(got - ref) / max(
        np.linalg.norm(got) + np.linalg.norm(ref), 1e-300
    )
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    raise Feedback(
        f"{name} differs from the reference: relative error {error:.2g}; first "
        "difference "
        f"at index {first}: yours {got[first]:.6g}, expected {ref[first]:.6g}.",
        hint,
    )
