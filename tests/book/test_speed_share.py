"""scripts/speed_share.py counts main prose only, and classifies it by its keywords."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "speed_share", ROOT / "scripts" / "speed_share.py"
)
speed_share = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(speed_share)


def _notebook(tmp_path: Path, cells: list[tuple[str, str]]) -> Path:
    path = tmp_path / "chapter.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": kind, "metadata": {}, "source": text}
                    for kind, text in cells
                ]
            }
        )
    )
    return path


def test_exercises_solutions_and_code_are_not_main_prose(tmp_path):
    path = _notebook(
        tmp_path,
        [
            ("markdown", "One two three four.\n\nThe GPU launches kernels quickly."),
            ("code", "print('speed speed speed')"),
            ("markdown", ":::{exercise} Fast\n:label: ex-x\n\nMeasure the speed.\n:::"),
            ("markdown", "```{solution-start} ex-x\n```"),
            ("markdown", "The speed is measured with threads."),
            ("markdown", "```{solution-end}\n```"),
            ("markdown", "See the [appendix](appendix_speed.ipynb) for more."),
        ],
    )
    total, speed = speed_share.measure(path)
    assert total == 4 + 5 + 5  # three paragraphs of main prose
    assert speed == 5  # only "The GPU launches kernels quickly."


def test_the_book_chapters_stay_within_the_target():
    """Issue 23: at most 4,000 words of main prose, at most 5% of it on speed."""
    for name in (
        "03_numpy_lenet",
        "04_keras",
        "05_pytorch",
        "06_side_by_side",
        "07_lenet1998",
    ):
        share = 0.05
        total, speed = speed_share.measure(ROOT / "book" / f"{name}.ipynb")
        assert total <= 4000 and speed <= share * total, (name, total, speed)
