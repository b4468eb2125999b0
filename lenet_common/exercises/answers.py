"""Read a student's answer the way a person would, and run a student's code safely.

Numbers are accepted in every form arithmetic produces (``112``,
``np.int64(112)``, ``np.float64(112.0)``, ``np.array(112)``, and a 0-d
tensor such as ``torch.tensor(112)``: :func:`one_number` reads them all);
anything else gets one sentence that says what was expected and a hint that
says how to convert it (``.item()``, ``int(...)``). Student code that raises is
reported as "your code raised ...", and a function still raising the
starter's ``NotImplementedError`` counts as not attempted. All of them end a
check by raising :class:`~.verdicts.Feedback` or :class:`~.verdicts.NotAttempted`,
which the :func:`~.verdicts.check` decorator turns into the verdict.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..numerics import tolerance
from .verdicts import Feedback, NotAttempted

__all__ = [
    "one_number",
    "as_real",
    "as_whole",
    "as_array",
    "numeric_or_none",
    "call_student",
    "compare_arrays",
    "describe",
    "number_text",
]

#: Beyond 2**53 a float cannot tell neighbouring whole numbers apart.
_LARGEST_WHOLE = 2**53


def _short_repr(value: Any, limit: int = 40, text: Any = repr) -> str:
    """``repr(value)`` cut to ``limit`` characters (a huge int has no repr at all)."""
    try:
        shown = text(value)
    except Exception:  # noqa: BLE001 - e.g. an int of more than 4,300 digits
        return f"a very large {type(value).__name__}"
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def number_text(x: float) -> str:
    """A float for a sentence: 4 decimals when it is of a sensible size."""
    return f"{x:.4f}" if abs(x) < 1e6 else f"{x:.4g}"


def describe(value: Any) -> str:
    """A short name for what the student gave (for the sentence that says it is
    wrong)."""
    if value is None:
        return "None"
    if isinstance(value, (str, np.str_)):
        return f"the text {_short_repr(str(value))}"
    if isinstance(value, np.ndarray):
        kind = {"U": " holding text", "S": " holding bytes", "O": " of Python objects"}
        return f"an array of shape {value.shape}{kind.get(value.dtype.kind, '')}"
    if isinstance(value, (bool, np.bool_)):
        return f"the truth value {bool(value)} (a bool)"
    if isinstance(value, numbers.Number):
        return f"{type(value).__name__} {_short_repr(value, text=str)}"
    if isinstance(value, type):
        return f"the class {value.__name__}"
    shape = _tensor_shape(value)
    if shape is not None:
        return f"a {type(value).__name__} of shape {shape}"
    if callable(value):
        return "a function"
    return f"a {type(value).__name__}"


def _number_hint(value: Any) -> str:
    """What to do about something that is not one number, by what it is."""
    if isinstance(value, (str, np.str_)):
        try:
            float(value)
        except ValueError:
            pass
        else:
            return "that is text that looks like a number: drop the quotes."
    if isinstance(value, (bool, np.bool_)):
        return (
            "True/False is the result of a comparison, not a number: give the "
            "number itself (int(...) turns a count you compared into a number)."
        )
    if isinstance(value, np.ndarray) and value.size == 1:
        return "that array holds one number: take it out with .item()."
    shape = _tensor_shape(value)
    if shape is not None and int(np.prod(shape)) == 1:
        return "that tensor holds one number: take it out with .item()."
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return "that holds one number: take it out with [0]."
    if callable(value):
        return "that is a function: give the number it computes (call it)."
    return "give one number, for example the result of a NumPy computation."


def _tensor_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of an array-like that is not a NumPy array (a PyTorch or
    TensorFlow tensor), or None. Read by duck typing: no framework is imported."""
    if isinstance(value, (np.ndarray, numbers.Number, str, bytes, type)):
        return None
    shape = getattr(value, "shape", None)
    if shape is None or not hasattr(value, "ndim"):
        return None
    try:
        return tuple(int(n) for n in shape)
    except (TypeError, ValueError):  # an unknown dimension (symbolic tensor)
        return None


def one_number(value: Any) -> Any:
    """The number inside a 0-d NumPy array or 0-d tensor; anything else unchanged.

    ``torch.tensor(63410)``, ``np.array(63410)`` and ``np.int64(63410)`` all
    give a number a check can read. A 1-element 1-d array or tensor is left as
    it is: it is a list of one number, and the refusal's hint says ``.item()``.
    """
    if isinstance(value, np.ndarray):
        return value[()] if value.ndim == 0 else value
    if _tensor_shape(value) != ():
        return value
    for read in ("item", "numpy"):  # torch: .item(); TensorFlow: .numpy()
        method = getattr(value, read, None)
        if callable(method):
            try:
                number = method()
            except Exception:  # noqa: BLE001 - an unreadable tensor is no number
                continue
            return number[()] if isinstance(number, np.ndarray) else number
    return value


def as_real(value: Any, what: str) -> float:
    """``value`` as a float, if it is one real number (Python, NumPy scalar, 0-d
    array or 0-d tensor)."""
    value = one_number(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise Feedback(
            f"{what} should be a number, but you gave {describe(value)}.",
            _number_hint(value),
        )
    try:
        result = float(value)
    except OverflowError:
        result = float("inf") if value > 0 else float("-inf")
    if not np.isfinite(result):
        raise Feedback(
            f"{what} should be a finite number, but you gave {result}.",
            "check for a division by zero, a log of zero or a number that grew "
            "too large.",
        )
    return result


def as_whole(value: Any, what: str) -> int:
    """``value`` as an int, if it is a whole number in any numeric form."""
    number = as_real(value, what)
    if abs(number) > _LARGEST_WHOLE:
        raise Feedback(
            f"{what} should be a whole number of a sensible size, but you gave "
            f"{number:.4g}.",
            "a size or count in this book is at most a few million.",
        )
    if number != int(number):
        raise Feedback(
            f"{what} should be a whole number, but you gave {number}.",
            "sizes and counts are whole: use floor division // rather than /.",
        )
    return int(number)


def numeric_or_none(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not numbers (for hints)."""
    if value is None:
        return None
    try:
        with np.errstate(all="ignore"):
            return np.asarray(value, dtype=np.float64)
    except Exception:  # noqa: BLE001 - anything unreadable is simply no array
        return None


def as_array(value: Any, what: str) -> np.ndarray:
    """``value`` as a float64 array, if it is numeric (a list, an array, a number)."""
    if value is None:
        raise Feedback(
            f"{what} is None.", "did your function forget to return its result?"
        )
    array = numeric_or_none(value)
    if array is None:
        raise Feedback(
            f"{what} should be a NumPy array of numbers, but it is {describe(value)}.",
            "return an array of floats (lists of lists must all have the same length).",
        )
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
            "write the body of your function (it still raises NotImplementedError)"
        ) from None
    # any error is feedback for the student, exit() included; Ctrl-C still stops
    except (Exception, SystemExit) as err:  # noqa: BLE001
        raise Feedback(
            f"your code raised {type(err).__name__}: {_short_repr(err, 300, str)}.",
            hint,
        ) from None


def compare_arrays(
    mine: Any,
    ref: np.ndarray,
    name: str,
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    *,
    terms: int = 1,
    magnitude: Any = None,
) -> None:
    """Raise :class:`Feedback` unless ``mine`` equals ``ref`` to rounding.

    ``rtol``/``atol`` suit an answer computed in float64. An answer in a less
    precise type (float32) gets the rounding of its type on top:
    :func:`lenet_common.numerics.tolerance` of ``magnitude`` (``sum|terms|``
    behind each value; ``|ref|`` by default) and ``terms`` (the length of the
    longest sum), so a right answer near zero is not refused for its type.
    The sentence gives the relative error ``|mine - ref| / (|mine| + |ref|)``
    (norms of the whole arrays) and the first element that differs.
    """
    dtype = getattr(mine, "dtype", None)  # before as_array makes it float64
    got = as_array(mine, name)
    if got.shape != ref.shape:
        raise Feedback(
            f"{name} has shape {got.shape}, the reference {ref.shape}.", hint
        )
    bad = ~np.isfinite(got)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Feedback(
            f"{name} holds {int(bad.sum())} values that are not finite numbers; "
            f"the first at index {first}: {got[first]}.",
            "look for a division by zero, or numbers that grow without bound.",
        )
    if dtype is not None and np.issubdtype(dtype, np.floating):
        rounding = tolerance(
            np.abs(ref) if magnitude is None else magnitude, terms, dtype
        )
        atol = np.maximum(atol, rounding)
    close = np.isclose(got, ref, rtol=rtol, atol=atol)
    if close.all():
        return
    scale = max(np.abs(got).max(), np.abs(ref).max())  # no overflow in the norms
    mine, theirs = got / scale, ref / scale
    error = np.linalg.norm(mine - theirs) / max(
        np.linalg.norm(mine) + np.linalg.norm(theirs), 1e-300
    )
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    raise Feedback(
        f"{name} differs from the reference: relative error {error:.2g}; first "
        "difference "
        f"at index {first}: yours {got[first]:.6g}, expected {ref[first]:.6g}.",
        hint,
    )
