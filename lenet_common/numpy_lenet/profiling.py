"""Time training steps of the NumPy LeNet-5, in total and layer by layer.

The per-layer split is measured from outside the model: :func:`layer_timer`
wraps each layer's forward and backward method for the length of a ``with``
block (see :mod:`.hooks`), so the network's code carries no timing. On a
shared machine one busy moment can double a measurement, so steps are timed
in rounds and the *median* round is reported: the chapter's speed story and
``benchmarks/bench_numpy_vs_torch.py`` both use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .hooks import around_layers
from .model import LeNet5
from .optim import SGD

__all__ = ["RoundTiming", "layer_timer", "time_training_rounds", "median_round"]


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
        """Milliseconds per step in each layer, and ``"rest"`` (loss, update...)."""
        ms = {name: 1e3 * s / self.steps for name, s in self.layers.items()}
        ms["rest"] = 1e3 * (self.wall - sum(self.layers.values())) / self.steps
        return ms


@contextmanager
def layer_timer(model: LeNet5) -> Iterator[dict[str, float]]:
    """Within the block, add up the seconds ``model`` spends in each layer.

    Yields a dict ``{"c1": seconds, ...}`` that fills as the model runs: each
    layer's activation is counted with it, forward and backward together.
    """
    seconds: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return call()
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start

    with around_layers(model, timed):
        yield seconds


def time_training_rounds(
    model: LeNet5,
    optimizer: SGD,
    batches: Sequence[tuple[np.ndarray, np.ndarray]],
    rounds: int = 5,
) -> list[RoundTiming]:
    """Run ``rounds`` passes over ``batches`` (one SGD step each), timing every round.

    One untimed step first warms the caches up.
    """
    if rounds < 1 or not batches:
        raise ValueError("need at least one round and one batch")
    x0, y0 = batches[0]
    model.loss_and_grads(x0, y0)  # warm-up, not timed
    results = []
    for _ in range(rounds):
        with layer_timer(model) as layers:
            wall, cpu = time.perf_counter(), time.process_time()
            for x, y in batches:
                _, grads, _ = model.loss_and_grads(x, y)
                optimizer.step(grads)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        images = sum(len(x) for x, _ in batches)
        results.append(RoundTiming(len(batches), images, wall, cpu, dict(layers)))
    return results


def median_round(results: Sequence[RoundTiming]) -> RoundTiming:
    """The round with the median wall time (the upper one of two middles)."""
    ordered = sorted(results, key=lambda r: r.wall)
    return ordered[len(ordered) // 2]
