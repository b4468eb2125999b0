"""How far the book's test accuracy moves from seed to seed, and what to assert.

``benchmarks/bench_accuracy_spread.py`` trains each implementation as its
chapter does, once per seed, and stores the test accuracies in
``lenet_common/results/``. A chapter reads them here: it says the range its
recipe reached over those seeds, with the machine and the date, and checks
its own run against a floor that range supports, not against a line drawn a
few hundredths below one lucky run.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lenet_common.plumbing import results

__all__ = ["SeedSpread", "seed_spread", "gap_limit"]


@dataclass(frozen=True)
class SeedSpread:
    """The test accuracies of one implementation over several seeds."""

    implementation: str
    accuracies: Mapping[int, float]  # seed -> test accuracy
    n_test: int  # how many test images each accuracy counts
    source: str  # the machine, the date and the file they come from

    @property
    def low(self) -> float:
        return min(self.accuracies.values())

    @property
    def high(self) -> float:
        return max(self.accuracies.values())

    @property
    def median(self) -> float:
        return statistics.median(self.accuracies.values())

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def standard_error(self) -> float:
        """The standard error of an accuracy near ``low`` counted on ``n_test`` images.

        How far two equally good networks' scores on the same test set fall
        apart by chance alone: which of the hard images each gets right.
        """
        return math.sqrt(self.low * (1 - self.low) / self.n_test)

    @property
    def floor(self) -> float:
        """The accuracy a run of the recipe should reach on any machine.

        The lowest seed's accuracy less the measured range or, if larger,
        two standard errors; rounded down to a twentieth of a percentage
        point. Another seed, or another machine's round-off, lands about as
        far from the measured runs as they land from each other; but three
        runs are too few to pin that range down (for accuracies spread like
        a bell curve, a fourth run falls below the lowest of three less
        their range about one time in fifteen), so the floor never sits
        closer than the test set's own sampling noise allows.
        """
        below = self.low - max(self.width, 2 * self.standard_error)
        return math.floor(below * 2000 + 1e-9) / 2000

    def explain_floor(self) -> str:
        """Where the floor comes from, in numbers."""
        if self.width >= 2 * self.standard_error:
            room = f"the range, {100 * self.width:.2f}"
        else:
            room = f"two standard errors of a {self.n_test:,}-image test, "
            room += f"{200 * self.standard_error:.2f}"
        return (
            f"floor {self.floor:.2%}: the lowest seed, {self.low:.2%}, "
            f"less {room} percentage points, rounded down"
        )

    def describe(self, with_source: bool = True) -> str:
        """The range in words, with the seeds and (unless told not to) where it
        was measured."""
        seeds = ", ".join(str(s) for s in self.accuracies)
        if len(self.accuracies) == 1:
            text = f"seed {seeds} only: {self.low:.2%} (one run, no spread yet)"
        else:
            text = (
                f"over seeds {seeds}: {self.low:.2%} to {self.high:.2%} "
                f"(median {self.median:.2%})"
            )
        return f"{text}, measured on {self.source}" if with_source else text


def seed_spread(
    implementation: str, result: Mapping[str, Any] | None = None
) -> SeedSpread:
    """The stored spread of ``implementation`` (a name in the registry).

    ``result`` defaults to the newest stored ``accuracy_spread`` result of
    full MNIST.
    """
    if result is None:
        result = results.latest(
            "accuracy_spread", where=lambda r: r["data"]["source"] == "full"
        )
    frameworks = result["frameworks"]
    if implementation not in frameworks:
        raise KeyError(
            f"the stored accuracy spread has no runs of {implementation!r} (it has "
            f"{sorted(frameworks)}): run benchmarks/bench_accuracy_spread.py --store"
        )
    runs = frameworks[implementation]["runs"]
    machine = result["machine"]
    source = (
        f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{result.get('date', '?')[:10]} (file {result.get('file', '?')})"
    )
    return SeedSpread(
        implementation,
        {r["seed"]: r["test_accuracy"] for r in runs},
        result["data"]["test"],
        source,
    )


def gap_limit(spreads: Iterable[SeedSpread]) -> float:
    """The largest gap between two implementations' accuracies the spreads support.

    Runs that differ only by round-off drift apart as runs with different
    seeds do, so two of them should lie no further apart than all the
    stored runs together, or, if larger, two standard errors of a
    difference of two accuracies; rounded up to a twentieth of a point.
    """
    spreads = list(spreads)
    pooled = [a for s in spreads for a in s.accuracies.values()]
    error = max(s.standard_error for s in spreads)
    gap = max(max(pooled) - min(pooled), 2 * math.sqrt(2) * error)
    return math.ceil(gap * 2000 - 1e-9) / 2000
