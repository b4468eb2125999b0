"""What a check says, and how the grader hears it.

Every check of the book is a function decorated with :func:`check`, which
ties it to one exercise label (``ex-data-pad``, ...) and makes all checks
behave alike:

- an answer still left as ``...`` (the starter cell's placeholder), or a
  student function that still raises ``NotImplementedError``, gives
  "Not attempted yet" instead of a verdict, and never an error;
- a wrong-typed answer, or student code that raises, gives "Not yet" and one
  sentence (raised as :class:`Feedback` anywhere inside the check), never a
  traceback from inside the check;
- the verdict is appended to a log file when :func:`record_verdicts` was
  called (the grader does that in each notebook it runs).
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "ExerciseResult",
    "report",
    "not_attempted",
    "check",
    "Feedback",
    "NotAttempted",
    "CHECKS",
    "record_verdicts",
    "POINTS",
    "JUDGE_INPUTS",
]

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"

#: exercise label -> the check function registered for it
CHECKS: dict[str, Callable[..., ExerciseResult]] = {}
#: exercise label -> the points a correct answer earns (the grader sums them)
POINTS: dict[str, float] = {}
#: exercise label -> {check parameter: the book's data the grader supplies for it}
JUDGE_INPUTS: dict[str, dict[str, str]] = {}

_log_path: Path | None = None


class ExerciseResult:
    """The outcome of a check: ``bool(result)`` is True when the answer is right.

    ``status`` is ``"correct"``, ``"incorrect"`` or ``"not attempted"``;
    ``label`` names the exercise once the check is registered.
    """

    def __init__(
        self, ok: bool, message: str, status: str | None = None, label: str = ""
    ) -> None:
        self.ok = bool(ok)
        self.message = message
        self.status = status or (CORRECT if ok else INCORRECT)
        self.label = label

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.message)


def report(ok: bool, what: str, hint: str = "") -> ExerciseResult:
    """Build the answer a check gives: ``Correct: ...`` or ``Not yet: ... Hint:
    ...``."""
    if ok:
        return ExerciseResult(True, f"Correct: {what}")
    message = f"Not yet: {what}"
    if hint:
        message += f" Hint: {hint}"
    return ExerciseResult(False, message)


def not_attempted(
    what: str = "replace the ... in this cell with your answer",
) -> ExerciseResult:
    """The verdict for an exercise whose starter cell is still as it came."""
    return ExerciseResult(
        False,
        f"Not attempted yet: {what}, then run the cell again.",
        status=NOT_ATTEMPTED,
    )


class Feedback(Exception):
    """Raised inside a check to end it with "Not yet: <what> Hint: <hint>"."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


class NotAttempted(Exception):
    """Raised inside a check when the student's code is still the starter's."""


def _parameters(signature: inspect.Signature) -> str:
    return "(" + ", ".join(signature.parameters) + ")"


def _judge(
    fn: Callable[..., ExerciseResult], args: tuple, kwargs: dict
) -> ExerciseResult:
    """Run one check; every way it can end becomes a verdict, never a traceback."""
    if any(a is Ellipsis for a in (*args, *kwargs.values())):
        return not_attempted()
    try:
        return fn(*args, **kwargs)
    except NotAttempted as why:
        return not_attempted(str(why))
    except Feedback as feedback:
        return report(False, feedback.what, feedback.hint)
    except Exception as err:  # noqa: BLE001 - a check that cannot read an answer
        # a last resort: the checks' tests give them every kind of wrong answer and
        # require that none ends here
        return report(
            False,
            f"the check could not read this answer ({type(err).__name__}: "
            f"{str(err)[:300]}).",
            "look at the type and shape of what you passed: the exercise's text "
            "says what it expects.",
        )


def record_verdicts(path: str | Path | None) -> None:
    """Append every verdict from now on to ``path`` (JSON lines); ``None`` stops it."""
    global _log_path
    _log_path = None if path is None else Path(path)


def _record(result: ExerciseResult) -> None:
    if _log_path is None:
        return
    line = json.dumps(
        {"label": result.label, "status": result.status, "message": result.message}
    )
    with open(_log_path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


F = TypeVar("F", bound=Callable[..., ExerciseResult])


def check(
    label: str, points: float = 1, judge_inputs: dict[str, str] | None = None
) -> Callable[[F], F]:
    """Register the decorated function as the check of exercise ``label``.

    ``points``: what a correct answer earns in the grader. ``judge_inputs``:
    parameters that receive the book's data rather than the student's answer
    (``{"train_images": "mnist_train_images"}``); the grader loads that data
    itself (``lenet_common.grading.judge.JUDGE_INPUTS``) instead of taking it
    from the student's kernel.
    """

    def register(fn: F) -> F:
        if label in CHECKS and CHECKS[label].__qualname__ != fn.__qualname__:
            raise ValueError(f"exercise {label!r} already has a check: {CHECKS[label]}")

        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> ExerciseResult:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as err:  # the check itself was called wrongly
                result = report(
                    False,
                    f"{fn.__name__} was called wrongly: {err}.",
                    f"call it as {fn.__name__}{_parameters(signature)}, as the "
                    "exercise's cell does.",
                )
            else:
                result = _judge(fn, args, kwargs)
            result.label = label
            _record(result)
            return result

        run.label = label  # type: ignore[attr-defined]
        CHECKS[label] = run
        POINTS[label] = points
        JUDGE_INPUTS[label] = dict(judge_inputs or {})
        return run  # type: ignore[return-value]

    return register
