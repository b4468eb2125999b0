"""Gradient descent with and without momentum on a long, narrow 2-D bowl.

The bowl is ``f(p) = (a * p[0]**2 + b * p[1]**2) / 2`` with ``a`` much
smaller than ``b``: steep across, nearly flat along. The steps are taken by
the book's own optimiser, :class:`lenet_common.numpy_lenet.SGD`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..numpy_lenet import SGD

__all__ = ["BOWL", "bowl_value", "trajectory"]

#: The curvatures ``(a, b)`` of the bowl, and where the walk starts.
BOWL = {"curvatures": (1.0, 100.0), "start": (-9.0, 1.0)}


def bowl_value(
    p: np.ndarray, curvatures: tuple[float, float] = BOWL["curvatures"]
) -> np.ndarray:
    """``f`` at points ``p`` (..., 2)."""
    a, b = curvatures
    return 0.5 * (a * p[..., 0] ** 2 + b * p[..., 1] ** 2)


def trajectory(
    lr: float,
    momentum: float,
    steps: int,
    schedule: Callable[[int], float] | None = None,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """The ``steps + 1`` points (x, y) that SGD visits, from :data:`BOWL`'s start.

    ``schedule(t)``, if given, multiplies the rate of step ``t``. ``noise``
    adds Gaussian noise of that spread to every gradient, as a mini-batch's
    gradient differs from the whole data set's.
    """
    rng = np.random.default_rng(seed)
    curvatures = np.array(BOWL["curvatures"])
    point = {"p": np.array(BOWL["start"], dtype=float)}
    optimizer = SGD(point, lr=lr, momentum=momentum)
    path = [point["p"].copy()]
    for t in range(steps):
        optimizer.lr = lr * (schedule(t) if schedule else 1.0)
        gradient = curvatures * point["p"] + noise * rng.standard_normal(2)
        optimizer.step({"p": gradient})
        path.append(point["p"].copy())
    return np.array(path)
