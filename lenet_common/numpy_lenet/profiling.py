"""Time training steps of the NumPy LeNet-5, in total and layer by layer.

On a shared machine one busy moment can double a measurement, so steps are
timed in rounds and the *median* round is reported: the chapter's speed
story and ``benchmarks/bench_numpy_vs_torch.py`` both use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .model import LeNet5
from .optim import SGD

__all__ = ["RoundTiming", "time_training_rounds", "median_round"]


@dataclass
class RoundTiming:
    """One round of training steps: wall and CPU seconds, and seconds per layer."""

    steps: int
    images: int
    wall: float
    cpu: float
    layers: dict[str, float] = field(default_factory=dict)

    @property
    def images_per_second(self) -> float:
        return self.images / self.wall

    def per_step_ms(self) -> dict[str, float]:
        """Milliseconds per step in each layer, plus ``"rest"`` (SGD update, batching)."""
        ms = {name: 1e3 * s / self.steps for name, s in self.layers.items()}
        ms["rest"] = 1e3 * (self.wall - sum(self.layers.values())) / self.steps
        return ms


def time_training_rounds(model: LeNet5, optimizer: SGD, batches: Sequence[tuple[np.ndarray, np.ndarray]],
                         rounds: int = 5) -> list[RoundTiming]:
    """Run ``rounds`` passes over ``batches`` (one SGD step each), timing every round.

    One untimed step first warms the caches up. The model's ``timings`` are
    switched on for the rounds and off again afterwards.
    """
    if rounds < 1 or not batches:
        raise ValueError("need at least one round and one batch")
    x0, y0 = batches[0]
    model.loss_and_grads(x0, y0)  # warm-up, not timed
    results = []
    try:
        for _ in range(rounds):
            model.timings = {}
            wall, cpu = time.perf_counter(), time.process_time()
            for x, y in batches:
                _, grads, _ = model.loss_and_grads(x, y)
                optimizer.step(grads)
            results.append(RoundTiming(len(batches), sum(len(x) for x, _ in batches),
                                       time.perf_counter() - wall, time.process_time() - cpu,
                                       model.timings))
    finally:
        model.timings = None
    return results


def median_round(results: Sequence[RoundTiming]) -> RoundTiming:
    """The round with the median wall time (the upper one of two middles)."""
    ordered = sorted(results, key=lambda r: r.wall)
    return ordered[len(ordered) // 2]
