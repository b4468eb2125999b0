"""Run code around each layer of a NumPy LeNet-5, from outside the model.

The model's ``forward`` and ``backward`` call one method per layer, with the
layer's name first (``self._conv_tanh("c1", x)``). :func:`around_layers`
wraps those methods on one model for the length of a ``with`` block, so a
profiler can time each layer, or ``feature_maps`` can keep each layer's
output, while the code of the network itself stays the network and nothing
else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["FORWARD_STEPS", "BACKWARD_STEPS", "around_layers"]

#: The model's per-layer methods of the forward pass (the layer's name comes first).
FORWARD_STEPS = ("_conv_tanh", "_avg_pool", "_dense_tanh", "_dense")
#: Their counterparts of the backward pass.
BACKWARD_STEPS = tuple(f"{step}_backward" for step in FORWARD_STEPS)

Around = Callable[[str, Callable[[], Any]], Any]


@contextmanager
def around_layers(
    model: Any,
    around: Around,
    steps: Sequence[str] = FORWARD_STEPS + BACKWARD_STEPS,
) -> Iterator[Any]:
    """Within the block, a call ``model.<step>(name, ...)`` is ``around(name, call)``.

    ``call()`` runs the layer and returns its result; ``around`` must return
    what the layer returned. Only this model is affected (its methods are
    shadowed by attributes of the instance), and everything is put back on
    leaving the block, even after an error. Blocks may be nested.
    """
    saved = {step: model.__dict__.get(step) for step in steps}
    for step in steps:
        original = getattr(model, step)

        def wrapped(
            name: str,
            *args: Any,
            _original: Callable[..., Any] = original,
            **kwargs: Any,
        ) -> Any:
            return around(name, lambda: _original(name, *args, **kwargs))

        setattr(model, step, wrapped)
    try:
        yield model
    finally:
        for step, previous in saved.items():
            if previous is None:
                del model.__dict__[step]
            else:
                model.__dict__[step] = previous
