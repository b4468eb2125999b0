"""Checks for the exercises of the side-by-side chapter (three implementations).

Each check compares the student's answer with what the book's own code
computes, never with a typed-in number. torch and TensorFlow are imported
inside the functions that need them, so importing this module stays light.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lenet_common import lenet5

from .answers import call_student, describe, numeric_or_none
from .verdicts import ExerciseResult, Feedback, check, report

__all__ = [
    "check_state_dict_conversion",
    "broken_keras_model",
    "check_broken_tensor",
    "step_seconds",
    "check_batch_one_cost",
    "BROKEN_CANDIDATES",
]


def _random_torch_model() -> Any:
    """A PyTorch LeNet-5 with random weights and biases (so every tensor counts)."""
    import torch

    from lenet_common import torch_lenet as tl

    torch.manual_seed(3)
    model = tl.LeNet5()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape))
    return model


@check("ex-sbs-state-dict", points=2)
def check_state_dict_conversion(
    convert: Callable[[Mapping[str, Any]], dict],
) -> ExerciseResult:
    """Exercise: a PyTorch ``state_dict`` to the book's names and layout, by hand.

    ``convert(state_dict)`` must return ``{name: array}`` equal to
    ``torch_lenet.get_params`` of the same model; the hint names the
    reshape-for-transpose trap when that is the mistake.
    """
    from lenet_common import torch_lenet as tl

    model = _random_torch_model()
    expected = tl.get_params(model)
    hint = "return a dict of NumPy arrays, one per name c1.weight ... output.bias."
    # a copy: the state dict's tensors share memory with the model's weights
    state = type(model.state_dict())(
        (k, v.detach().clone()) for k, v in model.state_dict().items()
    )
    mine = call_student(convert, state, hint=hint, name="convert")
    if not isinstance(mine, Mapping):
        raise Feedback(f"convert returned {describe(mine)}, not a dict.", hint)
    arrays = {}
    for k, v in mine.items():
        array = numeric_or_none(v.detach().cpu() if hasattr(v, "detach") else v)
        if array is None:
            raise Feedback(f"{k!r} holds {describe(v)}, not an array of numbers.", hint)
        arrays[k] = array
    try:
        lenet5.check_params(arrays, what="your arrays")
    except (TypeError, ValueError) as err:
        raise Feedback(str(err), hint) from None
    mine = arrays
    not_finite = [k for k in expected if not np.isfinite(mine[k]).all()]
    if not_finite:
        raise Feedback(f"{not_finite} hold values that are not finite numbers.", hint)
    wrong = [k for k in expected if not np.array_equal(mine[k], expected[k])]
    if not wrong:
        return report(True, "every tensor is in the book's names and layout.")
    reshaped = [
        k
        for k in wrong
        if mine[k].ndim == 2
        and np.array_equal(mine[k], expected[k].T.reshape(expected[k].shape))
    ]
    if reshaped:
        return report(
            False,
            f"{reshaped} hold the right numbers in the wrong places.",
            "a reshape keeps the numbers in memory order: (84, 120) reshaped to "
            "(120, 84) is not its transpose. Dense weights need .T.",
        )
    if any(mine[k].ndim == 4 for k in wrong):
        return report(
            False,
            f"{wrong} differ from the book's layout.",
            "convolution weights are (F, C, kh, kw) in PyTorch and in the book "
            "alike: keep them as they are.",
        )
    return report(
        False,
        f"{wrong} differ from the model's tensors.",
        "take each tensor's values with .detach().cpu().numpy().",
    )


#: Tensors a careless conversion can break; the tests try each of them.
BROKEN_CANDIDATES: tuple[str, ...] = (
    "c1.weight",
    "c5.weight",
    "f6.weight",
    "output.weight",
)


def _broken_name() -> str:
    """The tensor :func:`broken_keras_model` sets carelessly: C5's weights.

    Not C3's, which the chapter's own text breaks before the exercise; and a
    fixed choice, so that a notebook graded on another machine, or its answer
    judged in another process, finds the same tensor broken.
    """
    return "c5.weight"


def _careless(w: np.ndarray) -> np.ndarray:
    """A conversion to Keras' layout by reshape where a transpose belongs."""
    if w.ndim == 4:  # (F, C, kh, kw) -> (kh, kw, C, F)
        return w.reshape(w.shape[2], w.shape[3], w.shape[1], w.shape[0])
    return w.T.reshape(w.shape)  # PyTorch's (out, in) read as (in, out)


def broken_keras_model(params: Mapping[str, np.ndarray]) -> Any:
    """A Keras LeNet-5 holding ``params``, but for one tensor converted carelessly."""
    from lenet_common import keras_lenet as kl

    model = kl.set_params(kl.build_lenet5(), params)
    name = _broken_name()
    kernel = _careless(np.asarray(params[name]))
    bias = np.asarray(params[name.replace("weight", "bias")])
    model.get_layer(name.split(".")[0]).set_weights([kernel, bias])
    return model


@check("ex-sbs-broken", points=1)
def check_broken_tensor(answer: str) -> ExerciseResult:
    """Exercise: which tensor of :func:`broken_keras_model` was set wrongly?"""
    if not isinstance(answer, str):
        raise Feedback(
            f"the answer should be a tensor's name, but you gave {describe(answer)}.",
            'give it as text, for example "c1.weight".',
        )
    name = _broken_name()
    if answer == name:
        return report(
            True,
            f"{name} was reshaped, not transposed: every layer before it "
            "agrees with NumPy, and its own output does not.",
        )
    if answer not in lenet5.PARAM_SHAPES:
        return report(
            False,
            f"{answer!r} is not a tensor of LeNet-5.",
            f"the names are {', '.join(lenet5.PARAM_SHAPES)}.",
        )
    if answer.endswith("bias"):
        return report(
            False,
            f"{answer} is set correctly.",
            "a bias is a vector: it has no layout to get wrong.",
        )
    return report(
        False,
        f"{answer} is set correctly.",
        "compare each layer's output with the NumPy model's feature_maps, "
        "from C1 on: the first layer that differs holds the wrong tensor.",
    )


def step_seconds(implementation: str, batch_size: int, steps: int = 30) -> float:
    """Median seconds of one training step of ``implementation`` at ``batch_size``.

    The book's starting weights and the recipe's SGD (at a constant rate),
    random images; one warm-up step first. Each implementation's
    ``step_function`` makes the step.
    """
    from lenet_common.comparison import side_by_side

    recipe = lenet5.Recipe(**{**lenet5.book_recipe().as_dict(), "schedule": "constant"})
    model = side_by_side.model_from(
        implementation, lenet5.initial_params(recipe.seed), recipe
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, *lenet5.INPUT_SHAPE)).astype(np.float32)
    y = rng.integers(0, lenet5.N_CLASSES, batch_size)
    step = side_by_side.surface(implementation).step_function(model, recipe, x, y)
    step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _close(got: float, want: float) -> bool:
    """Equal to 1% of ``want``: timings printed and copied keep a few digits."""
    return abs(got - want) <= 0.01 * abs(want)


@check("ex-sbs-batch-one", points=1)
def check_batch_one_cost(
    seconds: Mapping[int, Mapping[str, float]], ratios: Mapping[str, float]
) -> ExerciseResult:
    """Exercise: how much more one image costs in a batch of one, per implementation.

    ``seconds[batch][name]`` are the student's own timings of one training step
    (:func:`step_seconds`) at batch 1 and at the recipe's batch; ``ratios[name]``
    the student's per-image cost at batch 1 over that at the recipe's batch.
    The check judges only the arithmetic on the student's own timings, which
    no machine can make flaky; the ratios themselves and the fastest
    implementation depend on the machine, and are reported, not graded.
    """
    from lenet_common.comparison.side_by_side import LABELS

    size = lenet5.book_recipe().batch_size
    if not isinstance(seconds, Mapping) or sorted(seconds) != sorted({1, size}):
        raise Feedback(
            f"seconds should be a dict with the keys 1 and {size}, but you gave "
            f"{describe(seconds)}.",
            f"seconds = {{b: {{n: checks.step_seconds(n, b) for n in LABELS}} "
            f"for b in (1, {size})}}",
        )
    timed: dict[int, dict[str, float]] = {}
    for batch in (1, size):
        row = seconds[batch]
        if not isinstance(row, Mapping) or sorted(row) != sorted(LABELS):
            raise Feedback(
                f"seconds[{batch}] should hold a time for each of {tuple(LABELS)}.",
                "time every implementation at both batch sizes.",
            )
        timed[batch] = {}
        for name in LABELS:
            value = numeric_or_none(row[name])
            if (
                value is None
                or value.size != 1
                or not np.isfinite(value).all()
                or (value.item() <= 0)
            ):
                raise Feedback(
                    f"seconds[{batch}][{name!r}] should be a positive number of "
                    f"seconds, but it is {describe(row[name])}.",
                    "use what checks.step_seconds returns.",
                )
            timed[batch][name] = float(value.item())
    if not isinstance(ratios, Mapping) or sorted(ratios) != sorted(LABELS):
        raise Feedback(
            f"ratios should be a dict with one number for each of {tuple(LABELS)}, "
            f"but you gave {describe(ratios)}.",
            "ratios = {name: ... for name in LABELS}",
        )
    wrong, hint = [], ""
    for name in LABELS:
        got = numeric_or_none(ratios[name])
        per_image = timed[1][name] / (timed[size][name] / size)
        if got is None or got.size != 1 or not np.isfinite(got).all():
            raise Feedback(
                f"ratios[{name!r}] should be a number, but it is "
                f"{describe(ratios[name])}.",
            )
        got_value = float(got.item())
        if _close(got_value, per_image):
            continue
        wrong.append(LABELS[name])
        if _close(got_value, timed[1][name] / timed[size][name]):
            hint = (
                f"that compares whole steps. Per image, a step of {size} costs its "
                f"time divided by {size}."
            )
        elif _close(got_value, 1 / per_image):
            hint = "that is the ratio the wrong way round: batch 1's cost on top."
        elif not hint:
            hint = (
                f"per image: seconds[1][name] / 1 against seconds[{size}][name] / "
                f"{size}."
            )
    if wrong:
        return report(
            False,
            f"the ratios of {', '.join(wrong)} do not follow from your timings.",
            hint,
        )
    fastest = min(timed[1], key=timed[1].get)
    summary = ", ".join(f"{LABELS[n]} {float(ratios[n]):.2g}" for n in LABELS)
    return report(
        True,
        f"your ratios follow from your timings ({summary}). Above 1, a batch of "
        "one pays a step's fixed cost for a single image; near 1 or below, the "
        "step's cost grows with the batch as fast as its images do. Fastest step "
        f"at batch one here: {LABELS[fastest]}. Both depend on the machine and "
        "the versions, so they are yours to explain, not graded.",
    )
