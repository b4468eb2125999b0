"""Checks for the exercises of the shapes chapter (``book/02_shapes.ipynb``).

Every expected answer is computed with :mod:`lenet_common.shapes`, never typed
in, so a check and the chapter's tables cannot disagree.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from .. import shapes
from .answers import as_real, as_whole, call_student
from .verdicts import ExerciseResult, Feedback, check, report

__all__ = [
    "STRIDED_QUESTION",
    "check_strided_output_size",
    "check_output_size_function",
    "check_c3_params",
    "check_c1_padding_for_28",
    "overlapping_s2_layers",
    "check_overlapping_receptive_field",
]

#: Exercise 1: a 224x224 input, 7x7 kernel, stride 2, padding 3 (the first
#: layer of ResNet, a much later network).
STRIDED_QUESTION = dict(size=224, kernel=7, stride=2, padding=3)


@check("ex-shapes-stride", points=1)
def check_strided_output_size(answer: int) -> ExerciseResult:
    """Exercise 1: the output size for :data:`STRIDED_QUESTION`."""
    q = STRIDED_QUESTION
    expected = shapes.conv_output_size(
        q["size"], q["kernel"], q["stride"], q["padding"]
    )
    what = (
        f"a {q['size']}-wide input, kernel {q['kernel']}, stride {q['stride']}, "
        f"padding {q['padding']}"
    )
    answer = as_whole(answer, "the output size")
    if answer == expected:
        return report(True, f"{what} gives {expected} outputs.")
    padded = q["size"] + 2 * q["padding"]
    if answer == (padded - q["kernel"]) // q["stride"]:
        hint = "you counted the steps between windows; add 1 for the first window."
    elif answer == (q["size"] - q["kernel"]) // q["stride"] + 1:
        hint = "you left the padding out: the padded input is size + 2 * padding wide."
    elif answer == padded - q["kernel"] + 1:
        hint = "the stride moves the window 2 pixels at a time: divide by the stride."
    else:
        hint = (
            "padded width minus the kernel, divided by the stride (rounded down), plus "
            "one."
        )
    return report(False, f"{answer} is not the output size for {what}.", hint)


def _configs() -> list[tuple[int, int, int, int, int]]:
    """(size, kernel, stride, padding, dilation) combinations that fit, small to
    large."""
    out = []
    for size, kernel, stride, padding, dilation in itertools.product(
        (1, 2, 5, 7, 14, 28, 32), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)
    ):
        if dilation * (kernel - 1) + 1 <= size + 2 * padding:
            out.append((size, kernel, stride, padding, dilation))
    return out


#: Common slips in the output-size formula, and the hint each one deserves.
_SLIPS: tuple[tuple[Callable[[int, int, int, int, int], int], str], ...] = (
    (
        lambda n, k, s, p, d: (n + 2 * p - k) // s + 1,
        "dilation spreads the kernel: it spans dilation * (kernel - 1) + 1 inputs.",
    ),
    (
        lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s,
        "you counted the steps between windows; add 1 for the first window.",
    ),
    (
        lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1,
        "padding adds zeros on BOTH sides: the padded size is size + 2 * padding.",
    ),
    (
        lambda n, k, s, p, d: n - d * (k - 1),
        "the output depends on the stride and the padding too.",
    ),
    (
        lambda n, k, s, p, d: n,
        "your function returns the input size unchanged: put the formula in it.",
    ),
)


def _function_hint(
    answers: list[float], configs: list[tuple[int, int, int, int, int]]
) -> str:
    """Name the slip that explains every answer of the reader's function, if one
    does."""
    if any(a != int(a) for a in answers):
        return "return a whole number: use floor division // rather than /."
    for slip, hint in _SLIPS:
        if all(a == slip(*config) for a, config in zip(answers, configs)):
            return hint
    return (
        "(padded size - kernel span) // stride + 1, with padded size = "
        "size + 2 * padding."
    )


def _as_number(value: object, config: tuple[int, ...]) -> float:
    """One answer of the reader's function as a float (NumPy numbers welcome)."""
    try:
        return as_real(value, "the output size")
    except Feedback:
        size, kernel, stride, padding, dilation = config
        raise Feedback(
            f"for size={size}, kernel={kernel}, stride={stride}, padding={padding}, "
            f"dilation={dilation} your function returned {value!r}, not a number.",
            "end it with return and the output size (a whole number).",
        ) from None


@check("ex-shapes-function", points=2)
def check_output_size_function(fn: Callable[..., int]) -> ExerciseResult:
    """Exercise 2: the reader's ``fn(size, kernel, stride, padding, dilation)`` against
    the reference.

    It is called on a few hundred configurations that fit; the first
    disagreement is reported, with a hint about the slip that explains the
    reader's answers when there is one.
    """
    configs = _configs()
    answers = []
    for config in configs:
        size, kernel, stride, padding, dilation = config
        got = call_student(
            fn,
            *config,
            name="my_output_size",
            hint=(
                f"it failed for size={size}, kernel={kernel}, stride={stride}, "
                f"padding={padding}, dilation={dilation}; it must accept five whole "
                "numbers and return a whole number."
            ),
        )
        answers.append(_as_number(got, config))
    for config, got in zip(configs, answers):
        expected = shapes.conv_output_size(*config)
        if got != expected:
            size, kernel, stride, padding, dilation = config
            return report(
                False,
                f"for size={size}, kernel={kernel}, stride={stride}, "
                f"padding={padding}, dilation={dilation} your function returns "
                f"{got:g}, the right output size is {expected}.",
                _function_hint(answers, configs),
            )
    return report(
        True,
        f"your function agrees with the reference on all {len(configs)} "
        "configurations.",
    )


def _c3_count(kind: str) -> int:
    return next(r.params for r in shapes.lenet5_table(kind) if r.name == "C3")


@check("ex-shapes-c3", points=1)
def check_c3_params(modern: int, paper: int) -> ExerciseResult:
    """Exercise 3: C3's parameters with full connections (modern) and with the 1998
    table."""
    modern = as_whole(modern, "the modern count")
    paper = as_whole(paper, "the 1998 count")
    expected_modern, expected_paper = _c3_count("modern"), _c3_count("1998")
    if modern == expected_modern and paper == expected_paper:
        return report(
            True,
            f"C3 has {expected_modern:,} parameters with full connections "
            f"and {expected_paper:,} with the 1998 connection table.",
        )
    if modern != expected_modern:
        if modern == 16 * 6 * 25:
            hint = "each of the 16 output maps also has one bias."
        elif modern == 16 * 25 + 16:
            hint = (
                "each output map has one 5x5 kernel PER INPUT MAP (6 of them), "
                "not one in total."
            )
        else:
            hint = "(inputs per map x 5 x 5 + 1 bias) for each of the 16 output maps."
        return report(
            False,
            f"{modern:,} is not the count for the modern, fully connected C3.",
            hint,
        )
    pairs = sum(sum(row) for row in shapes.c3_connection_table())
    if paper == pairs * 25:
        hint = "add the 16 biases, one per output map."
    elif paper == pairs * 25 + pairs:
        hint = "one bias per output map (16), not one per connected pair."
    else:
        hint = (
            "count the X's in Table I: each is one 5x5 kernel; add one bias per output "
            "map."
        )
    return report(
        False, f"{paper:,} is not the count with the 1998 connection table.", hint
    )


@check("ex-shapes-pad28", points=1)
def check_c1_padding_for_28(padding: int) -> ExerciseResult:
    """Exercise 4: the C1 padding that makes a 28x28 input give the book's shapes from
    C1 on."""
    padding = as_whole(padding, "the padding")
    if padding < 0:
        return report(
            False,
            f"{padding} is not a padding.",
            "give a whole number of zeros per side, 0 or more.",
        )
    reference = [r.out_shape for r in shapes.lenet5_table()]
    try:
        got = [
            r.out_shape for r in shapes.lenet5_table(input_size=28, c1_padding=padding)
        ]
    except shapes.ShapeError as err:
        return report(
            False,
            f"with padding {padding}, the network does not fit: {err}",
            "C1 must turn 28x28 into 28x28 - how many zeros per side does a "
            "5x5 kernel need?",
        )
    if got == reference:
        return report(
            True,
            f"padding {padding} on C1 gives 28x28 maps and every later shape "
            "of the book's LeNet-5 (the same as padding the image to 32x32 "
            "first).",
        )
    c1 = got[0]
    if padding == 4:
        hint = (
            "4 zeros in all, but padding counts the zeros on EACH side: "
            "28 + 2p - 5 + 1 = 28."
        )
    else:
        hint = "output = 28 + 2p - 5 + 1; solve for p."
    return report(
        False, f"padding {padding} makes C1's output {c1[1]}x{c1[2]}, not 28x28.", hint
    )


def overlapping_s2_layers() -> list[shapes.Layer]:
    """Exercise 5's network: the book's LeNet-5 with S2 a 3x3 pooling, stride 2, padding
    1."""
    layers = shapes.lenet5_layers()
    return [
        shapes.Pool("S2", 3, stride=2, padding=1) if layer.name == "S2" else layer
        for layer in layers
    ]


@check("ex-shapes-rf", points=1)
def check_overlapping_receptive_field(answer: int) -> ExerciseResult:
    """Exercise 5: the receptive field of one C5 unit when S2 is a 3x3, stride 2,
    padding 1 pooling."""
    answer = as_whole(answer, "the receptive field")
    rows = {r.name: r for r in shapes.layer_table((1, 32, 32), overlapping_s2_layers())}
    expected = rows["C5"].receptive_field
    if answer == expected:
        return report(
            True,
            f"one C5 unit now depends on a {expected}x{expected} patch: more "
            "than the 32x32 image, so part of its field lies on the padding.",
        )
    book = {r.name: r for r in shapes.lenet5_table()}["C5"].receptive_field
    if answer == book:
        hint = (
            f"{book} is the field of the book's network. S2's window is now 3 wide: it "
            "adds (3 - 1) x 1 instead of (2 - 1) x 1."
        )
    else:
        hint = (
            "work layer by layer from 1: each layer adds (kernel - 1) x jump, where "
            "jump "
            "is the product of the strides before it (1 up to S2, 2 up to S4, then 4)."
        )
    return report(
        False, f"{answer} is not the receptive field of C5 in this network.", hint
    )
