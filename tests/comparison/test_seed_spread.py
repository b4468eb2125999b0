"""The seed spread the chapters quote, and the floor they assert."""

from __future__ import annotations

import math

import pytest

from lenet_common.comparison.seed_spread import SeedSpread, gap_limit, seed_spread
from lenet_common.plumbing import results

RESULT = {
    "date": "2026-12-01T01:07:42",
    "file": "accuracy_spread-2cpu-amd-epyc-2026-12-01.json",
    "machine": {"cpu": "AMD EPYC", "cores": 2},
    "data": {"source": "full", "test": 10_000},
    "frameworks": {
        "numpy": {
            "runs": [
                {"seed": 0, "test_accuracy": 0.9912},
                {"seed": 1, "test_accuracy": 0.9868},
                {"seed": 2, "test_accuracy": 0.9905},
            ]
        },
        "torch": {
            "runs": [
                {"seed": 0, "test_accuracy": 0.9910},
                {"seed": 1, "test_accuracy": 0.9906},
                {"seed": 2, "test_accuracy": 0.9911},
            ]
        },
    },
}


def test_a_wide_spread_sets_the_floor_at_the_lowest_seed_less_the_range():
    numpy = seed_spread("numpy", RESULT)
    assert (numpy.low, numpy.median, numpy.high) == (0.9868, 0.9905, 0.9912)
    assert numpy.width == pytest.approx(0.0044)
    assert numpy.width > 2 * numpy.standard_error
    assert numpy.floor == pytest.approx(0.9820)  # 0.9868 - 0.0044 = 0.9824 -> 98.20%


def test_a_narrow_spread_still_leaves_two_standard_errors():
    torch = seed_spread("torch", RESULT)
    assert torch.width == pytest.approx(0.0005)
    error = math.sqrt(0.9906 * 0.0094 / 10_000)  # about 0.097 percentage points
    assert torch.standard_error == pytest.approx(error)
    assert torch.floor == pytest.approx(0.9885)  # 0.9906 - 0.00194 = 0.98866 -> 98.85%
    assert torch.floor <= torch.low - 2 * error


def test_explain_floor_says_which_room_was_left():
    text = seed_spread("numpy", RESULT).explain_floor()
    assert "less the range, 0.44 percentage points" in text
    text = seed_spread("torch", RESULT).explain_floor()
    assert text.startswith("floor 98.85%: the lowest seed, 99.06%, less two standard")


def test_gap_limit_is_the_pooled_range_or_two_standard_errors_of_a_difference():
    numpy, torch = seed_spread("numpy", RESULT), seed_spread("torch", RESULT)
    assert gap_limit([numpy, torch]) == pytest.approx(0.0045)  # 0.9912 - 0.9868
    error = math.sqrt(0.9906 * 0.0094 / 10_000)
    assert gap_limit([torch]) == pytest.approx(0.003)  # 2 * sqrt(2) * error -> up
    assert gap_limit([torch]) >= 2 * math.sqrt(2) * error


def test_describe_names_the_range_the_seeds_and_the_machine():
    text = seed_spread("numpy", RESULT).describe()
    assert "seeds 0, 1, 2" in text and "98.68% to 99.12%" in text
    assert "median 99.05%" in text
    assert "AMD EPYC, 2 cores, 2026-12-01" in text and RESULT["file"] in text
    short = seed_spread("numpy", RESULT).describe(with_source=False)
    assert text.startswith(short) and "AMD" not in short


def test_an_implementation_not_measured_is_a_clear_error():
    with pytest.raises(KeyError, match="bench_accuracy_spread.py --store"):
        seed_spread("keras", RESULT)


def test_floor_is_rounded_down_to_a_twentieth_of_a_point():
    spread = SeedSpread("x", {0: 0.99, 1: 0.995}, 1_000_000, "here")
    assert spread.floor == pytest.approx(0.985)


def test_a_single_run_says_it_measured_no_spread():
    one = SeedSpread("x", {0: 0.9914}, 10_000, "here")
    text = "seed 0 only: 99.14% (one run, no spread yet), measured on here"
    assert one.describe() == text
    assert one.floor == pytest.approx(0.9895)  # 0.9914 less two standard errors


def test_the_stored_spread_covers_every_chapter_in_full_mode():
    result = results.latest("accuracy_spread")
    assert result["data"]["source"] == "full" and result["data"]["test"] == 10_000
    for name in ("numpy", "torch", "keras"):  # chapters 03, 05, 04, and 06
        spread = seed_spread(name, result)
        assert len(spread.accuracies) >= 3, f"{name}: three seeds at least (issue 15)"
        assert 0.95 < spread.floor < spread.low <= spread.high <= 1, name
