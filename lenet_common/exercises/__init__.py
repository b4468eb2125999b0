"""Check functions for the chapters' exercises.

Each chapter's checks live in a module of their own
(``lenet_common.exercises.shapes``, ...), each registered for one exercise
label with :func:`check`. They all answer through :func:`report`, so a
student sees the same kind of answer everywhere: ``Correct: ...``,
``Not yet: ... Hint: ...``, or ``Not attempted yet: ...`` while the starter
cell is still as it came. CONTRIBUTING.md describes the cells of an exercise.
"""

from __future__ import annotations

from .verdicts import (
    CHECKS,
    ExerciseResult,
    Feedback,
    NotAttempted,
    check,
    not_attempted,
    record_verdicts,
    report,
)

__all__ = [
    "report",
    "not_attempted",
    "check",
    "ExerciseResult",
    "Feedback",
    "NotAttempted",
    "CHECKS",
    "record_verdicts",
]
