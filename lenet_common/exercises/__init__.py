"""Check functions for the chapters' exercises.

Each chapter's checks live in a module of their own
(``lenet_common.exercises.shapes``, ...). They all report through
:func:`report`, so a student sees the same kind of answer everywhere: a
line that says the answer is right, or that it is not yet right and a hint.
"""

from __future__ import annotations

__all__ = ["report", "ExerciseResult"]


class ExerciseResult:
    """The outcome of a check: ``bool(result)`` is True when the answer is right."""

    def __init__(self, ok: bool, message: str) -> None:
        self.ok = bool(ok)
        self.message = message

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message

    _repr_pretty_ = lambda self, p, cycle: p.text(self.message)  # noqa: E731


def report(ok: bool, what: str, hint: str = "") -> ExerciseResult:
    """Build the answer a check gives: ``Correct: ...`` or ``Not yet: ... Hint: ...``."""
    if ok:
        return ExerciseResult(True, f"Correct: {what}")
    message = f"Not yet: {what}"
    if hint:
        message += f" Hint: {hint}"
    return ExerciseResult(False, message)
