"""LeNet-5 in PyTorch: the model, a layer summary, training, evaluation, saving.

This is the one place the book's PyTorch LeNet-5 is defined; the PyTorch
chapter and the side-by-side chapter both import it from here. Importing this
module imports torch, so ``lenet_common`` itself never imports it.

The training loop follows PyTorch's ``examples/mnist/main.py`` (a model, a
``train_one_epoch`` and an ``evaluate`` function, a seed, a device), with one
change that matters for a network this small: the whole training set is one
tensor on the device, and a batch is a slice of it taken by indexing. A
``DataLoader`` would collate every batch from Python objects, and for a
61,706-parameter network that overhead costs more than the maths.
"""

from __future__ import annotations

import math
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet_common import lenet5, runtime, torch_steps
from lenet_common.atomic import replacing
from lenet_common.checks import (
    check_hyperparameters,
    check_images,
    check_labels,
    diverged_error,
    first_bad_step,
    nonfinite_output_error,
    pixel_array,
)
from lenet_common.fileformat import describe_file, wrong_file_error

__all__ = [
    "LeNet5",
    "count_parameters",
    "LayerInfo",
    "layer_summary",
    "format_summary",
    "compare_with_table",
    "layer_outputs",
    "make_optimizer",
    "schedule_trace",
    "train_one_epoch",
    "evaluate",
    "train",
    "time_batch_fetching",
    *lenet5.SURFACE,  # the functions all three implementations share
]


def _shape_error(shape: Sequence[int], what: str = "LeNet5 input") -> ValueError:
    return ValueError(
        f"{what}: images must have shape (N, {', '.join(map(str, lenet5.INPUT_SHAPE))}) "
        f"(NCHW, 28x28 digits zero-padded to 32x32), got {tuple(shape)}; load them "
        "with load_lenet_data(layout='NCHW')"
    )


def _check_input_shape(module: nn.Module, args: tuple[Any, ...]) -> None:
    """Forward pre-hook: refuse a wrong input shape with the shape the model wants."""
    x = args[0] if args else None
    if torch.is_tensor(x) and (x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE):
        raise _shape_error(x.shape)


class LeNet5(nn.Module):
    """The book's LeNet-5: 32x32x1 input, tanh, average pooling, 10 logits.

    C5 is a 5x5 convolution (its output happens to be 1x1), as in the paper.
    The output layer returns logits: the softmax lives in the loss
    (``F.cross_entropy``), never in the model.
    """

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)  # 1x32x32 -> 6x28x28
        self.s2 = nn.AvgPool2d(kernel_size=2, stride=2)  # -> 6x14x14
        self.c3 = nn.Conv2d(6, 16, kernel_size=5)  # -> 16x10x10
        self.s4 = nn.AvgPool2d(kernel_size=2, stride=2)  # -> 16x5x5
        self.c5 = nn.Conv2d(16, 120, kernel_size=5)  # -> 120x1x1
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)
        self.activation = nn.Tanh()  # one module, so an exercise can swap it
        self.register_forward_pre_hook(_check_input_shape)  # a clear error, not torch's

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.s2(self.activation(self.c1(x)))
        x = self.s4(self.activation(self.c3(x)))
        x = self.activation(self.c5(x))
        x = torch.flatten(x, start_dim=1)  # N x 120 x 1 x 1 -> N x 120
        x = self.activation(self.f6(x))
        return self.output(x)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# --------------------------------------------------------------------------
# Looking inside: shapes per layer, computed by running a batch through
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerInfo:
    """One row of :func:`layer_summary`: a layer, its output shape, its parameters."""

    name: str
    kind: str
    out_shape: tuple[int, ...]  # without the batch dimension, as torch made it
    params: int


def _named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's layers in LeNet-5 order (those named c1 ... output)."""
    children = dict(model.named_children())
    missing = [n for n in lenet5.LAYER_NAMES if n not in children]
    if missing:
        raise ValueError(
            f"the model has no layer(s) named {missing}: the book's LeNet-5 "
            f"names its layers {list(lenet5.LAYER_NAMES)} (build it with LeNet5())."
        )
    return [(n, children[n]) for n in lenet5.LAYER_NAMES]


def layer_outputs(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``x`` through ``model`` and return every named layer's output.

    Forward hooks record what each of c1 ... output returns (a convolution's
    output is recorded before the activation that follows it).
    """
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for name, layer in _named_layers(model):
        def hook(
            _module: nn.Module, _inp: Any, out: torch.Tensor, name: str = name
        ) -> None:
            outputs[name] = out.detach()

        handles.append(layer.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def layer_summary(
    model: nn.Module, input_shape: Sequence[int] = lenet5.INPUT_SHAPE
) -> list[LayerInfo]:
    """Shapes and parameter counts per layer, from a dummy batch run through ``model``.

    Nothing is typed in: the shapes are what the layers really return for an
    input of ``input_shape`` (C, H, W).
    """
    if len(input_shape) != 3:
        raise ValueError(
            "input_shape must be (channels, height, width), e.g. "
            f"{lenet5.INPUT_SHAPE}; got {tuple(input_shape)}"
        )
    param = next(model.parameters())
    dummy = torch.zeros((2, *input_shape), device=param.device, dtype=param.dtype)
    was_training = model.training
    model.eval()
    try:
        outputs = layer_outputs(model, dummy)
    finally:
        model.train(was_training)
    return [
        LayerInfo(
            name=name,
            kind=type(layer).__name__,
            out_shape=tuple(outputs[name].shape[1:]),
            params=count_parameters(layer),
        )
        for name, layer in _named_layers(model)
    ]


def format_summary(rows: Sequence[LayerInfo],
                   input_shape: Sequence[int] = lenet5.INPUT_SHAPE) -> str:
    """A printable table of :func:`layer_summary` rows, with the total."""
    lines = [f"{'layer':<8}{'type':<12}{'output shape':>16}{'parameters':>12}"]
    lines.append(f"{'input':<8}{'':<12}{str(tuple(input_shape)):>16}{'':>12}")
    for r in rows:
        lines.append(f"{r.name:<8}{r.kind:<12}{str(r.out_shape):>16}{r.params:>12,}")
    lines.append(f"{'total':<8}{'':<12}{'':>16}{sum(r.params for r in rows):>12,}")
    return "\n".join(lines)


def _as_chw(shape: Sequence[int]) -> tuple[int, ...]:
    """A dense layer's (n,) written as (n, 1, 1), the shapes table's convention."""
    shape = tuple(shape)
    return (shape[0], 1, 1) if len(shape) == 1 else shape


def compare_with_table(rows: Sequence[LayerInfo], table: Sequence[Any]) -> str:
    """Set PyTorch's summary beside the shapes chapter's table; raise if they differ.

    ``table`` is ``lenet_common.shapes.lenet5_table()``: rows with ``.name``
    ("C1" ... "Output"), ``.out_shape`` (C, H, W) and ``.params``.
    """
    by_name = {str(t.name).lower(): t for t in table}
    lines = [f"{'layer':<8}{'torch shape':>14}{'table shape':>14}{'torch params':>14}{'table params':>14}"]
    mismatches = []
    for r in rows:
        t = by_name.get(r.name)
        if t is None:
            mismatches.append(f"{r.name}: not in the table")
            continue
        lines.append(
            f"{r.name:<8}{str(_as_chw(r.out_shape)):>14}{str(tuple(t.out_shape)):>14}"
            f"{r.params:>14,}{t.params:>14,}"
        )
        if _as_chw(r.out_shape) != tuple(t.out_shape) or r.params != t.params:
            mismatches.append(
                f"{r.name}: torch {_as_chw(r.out_shape)}, {r.params} params; "
                f"table {tuple(t.out_shape)}, {t.params} params"
            )
    if mismatches:
        raise AssertionError("the PyTorch model and the shapes table disagree: " + "; ".join(mismatches))
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def make_optimizer(
    model: nn.Module,
    recipe: lenet5.Recipe,
    total_steps: int,
    *,
    lr_tensor: bool = False,
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """SGD with momentum and weight decay, the rate scheduled per batch by the recipe.

    ``LambdaLR`` multiplies the starting rate by the factor the recipe gives
    for each step, so the rates are those of the NumPy and Keras versions.
    ``lr_tensor=True`` keeps the learning rate in a tensor on the model's
    device, read by SGD's fused kernel: what a captured CUDA graph needs so
    that the schedule keeps working (see ``torch_steps``).
    """
    device = next(model.parameters()).device
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=torch.tensor(recipe.learning_rate, device=device) if lr_tensor
        else recipe.learning_rate,
        momentum=recipe.momentum,
        weight_decay=recipe.weight_decay,
        fused=True if lr_tensor else None,
    )

    def factor(step: int) -> float:
        return recipe.learning_rate_at(step, total_steps) / recipe.learning_rate

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    return optimizer, scheduler


def schedule_trace(recipe: lenet5.Recipe, n_images: int) -> dict[str, np.ndarray]:
    """The learning rate and momentum PyTorch's optimiser uses at every step of a run.

    A dry run of :func:`make_optimizer` on ``n_images`` training images: the
    optimiser is stepped the way :func:`train_one_epoch` steps it
    (``optimizer.step()``, then ``scheduler.step()``) and its rate and
    momentum are read before each step. Nothing is trained (the throwaway
    parameter has no gradient), so the values are those of a real run.
    """
    total = recipe.total_steps(n_images)
    optimizer, scheduler = make_optimizer(nn.Linear(1, 1), recipe, total)
    rates, momenta = np.empty(total), np.empty(total)
    for step in range(total):
        group = optimizer.param_groups[0]
        rates[step], momenta[step] = float(group["lr"]), float(group["momentum"])
        optimizer.step()
        scheduler.step()
    return {"lr": rates, "momentum": momenta}


def _to_device(x: Any, device: torch.device, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A NumPy array (of numbers) or tensor as a tensor on ``device``."""
    x = x if torch.is_tensor(x) else pixel_array(x, "LeNet5 input")
    return torch.as_tensor(x, dtype=dtype).to(device)


def _checked_data(model: nn.Module, x: Any, y: Any, device: torch.device,
                  what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` as tensors on ``device``, once they are fit for LeNet-5.

    Shapes, labels (integers 0-9: checked before the conversion to ``long``,
    which would truncate 3.7 to 3) and finite pixels: a wrong batch is
    refused before any weight changes, with what was wrong.
    """
    labels = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)
    x = _to_device(x, device, next(model.parameters()).dtype)
    if x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE:
        raise _shape_error(x.shape, f"{what} images")
    check_labels(labels, x.shape[0], model.output.out_features, f"{what} labels")
    # min and max carry any NaN or infinity: one copy to the host, not the images
    if x.shape[0] == 0 or not bool(torch.isfinite(x.amin()) & torch.isfinite(x.amax())):
        check_images(x.cpu().numpy(), f"{what} images")  # raises, saying where
    return x, torch.as_tensor(labels, dtype=torch.long).to(device)


def _numpy_params(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}


def _check_finite_output(model: nn.Module, x: torch.Tensor, total: torch.Tensor,
                         action: str = "predict") -> None:
    """Refuse to report a score or logits computed from NaN weights or images."""
    if not math.isfinite(total.item()):
        raise nonfinite_output_error(_numpy_params(model), x.cpu().numpy(), action)


def first_diverged_step(step_sums: torch.Tensor, batch_size: int, n: int) -> int | None:
    """Index of the first step whose loss diverged, from the running loss sums.

    ``step_sums[k]`` is the sum of ``loss * batch`` after step ``k`` (kept on
    the device: recording it costs no host sync); each step's loss is the
    difference of two neighbours over the batch size. Looking costs one copy
    to the host, so a training loop calls this now and then, not every step.
    """
    sums = step_sums.double()
    sizes = torch.full_like(sums, batch_size)
    sizes[-1] = min(batch_size, n - batch_size * (len(sums) - 1))
    per_step = torch.diff(sums, prepend=sums.new_zeros(1)) / sizes
    return first_bad_step(per_step.cpu().numpy())


def stop_if_diverged(step_sums: torch.Tensor, epoch: int, steps_per_epoch: int,
                     batch_size: int, n: int, learning_rate: float) -> None:
    """Raise :class:`~lenet_common.checks.TrainingDivergedError` if a step diverged.

    ``step_sums`` are this epoch's running loss sums so far (see
    :func:`first_diverged_step`); the error names the first bad step of training.
    """
    bad = first_diverged_step(step_sums, batch_size, n)
    if bad is not None:
        total = step_sums[bad] - (step_sums[bad - 1] if bad else 0)
        size = min(batch_size, n - bad * batch_size)
        step = (epoch - 1) * steps_per_epoch + bad + 1
        raise diverged_error(step, total.item() / size, "learning_rate", learning_rate,
                             epoch)


def _amp_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """The 16-bit type for mixed precision, or None when it is off.

    Only on CUDA: bfloat16 where the GPU has it natively (it needs no loss
    scaling), else float16 (which does; see :func:`train`).
    """
    if not (amp and device.type == "cuda"):
        return None
    native_bf16 = torch.cuda.get_device_capability(device)[0] >= 8
    return torch.bfloat16 if native_bf16 else torch.float16


def train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    *,
    order: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    amp_dtype: torch.dtype | None = None,
    scaler: torch.amp.GradScaler | None = None,
    on_batch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> tuple[float, float]:
    """One pass over ``(x, y)`` (on the model's device) in the batches of ``order``.

    ``order`` is a permutation of the images' indices (the book's
    ``lenet5.batch_order``); without it, a random one drawn from ``generator``.
    ``amp_dtype`` (e.g. ``torch.bfloat16``) turns on mixed precision; a
    ``scaler`` scales the loss so that float16 gradients do not underflow.
    Returns the mean training loss and accuracy of the epoch. The running
    sums stay on the device; only the caller's ``on_batch`` callback decides
    when to copy them to the host, so the GPU is not stalled every step.
    """
    model.train()
    n = x.shape[0]
    if order is None:
        order = torch.randperm(n, generator=generator)
    order = order.to(x.device)
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for step, start in enumerate(range(0, n, batch_size)):
        idx = order[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        autocast = torch.autocast(
            x.device.type, dtype=amp_dtype, enabled=amp_dtype is not None
        )
        with autocast:
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        loss_sum += loss.detach() * yb.shape[0]
        correct += (logits.argmax(dim=1) == yb).sum()
        if on_batch is not None:
            on_batch(step, loss_sum, correct)
    return loss_sum.item() / n, correct.item() / n


@torch.no_grad()
def evaluate(
    model: nn.Module, x: Any, y: Any, *, batch_size: int = 2000, device: Any = None
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``(x, y)``."""
    device = next(model.parameters()).device if device is None else torch.device(device)
    x, y = _checked_data(model, x, y, device, "evaluation")
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    for start in range(0, x.shape[0], batch_size):
        logits = model(x[start:start + batch_size]).float()
        yb = y[start:start + batch_size]
        loss_sum += F.cross_entropy(logits, yb, reduction="sum")
        correct += (logits.argmax(dim=1) == yb).sum()
    _check_finite_output(model, x, loss_sum, "evaluate")  # NaN weights: no score
    return loss_sum.item() / x.shape[0], correct.item() / x.shape[0]


def train(
    model: nn.Module,
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    recipe: lenet5.Recipe | None = None,
    *,
    device: Any = None,
    amp: bool = False,
    show_progress: bool = True,
    step_mode: str = "auto",
) -> dict[str, list[float]]:
    """Train ``model`` with the book's recipe and return a Keras-style history.

    The history's keys are ``loss``, ``accuracy`` (training, averaged over the
    epoch while the weights change), ``val_loss``, ``val_accuracy`` and
    ``seconds`` (wall-clock time of each epoch, validation included). The
    whole training set is moved to the device once; each epoch visits it in
    the order of :func:`lenet_common.lenet5.batch_order`, the same batches
    as the NumPy and Keras versions. ``amp=True`` turns on mixed precision
    (CUDA only). ``step_mode`` says how each training step runs
    (``torch_steps.STEP_MODES``): "auto" captures it as one CUDA graph on an
    NVIDIA GPU and runs it eagerly on the CPU and on MPS; "compiled" uses
    ``torch.compile``.
    """
    recipe = lenet5.book_recipe() if recipe is None else recipe
    device = next(model.parameters()).device if device is None else torch.device(device)
    model.to(device)
    x, y = _checked_data(model, x_train, y_train, device, "training")
    xv, yv = _checked_data(model, x_val, y_val, device, "validation")

    steps = recipe.steps_per_epoch(x.shape[0])
    amp_dtype = _amp_dtype(device, amp)
    mode = torch_steps.choose_step_mode(step_mode, device.type, amp_dtype is not None)
    graph = mode == "graph"
    optimizer, scheduler = make_optimizer(model, recipe, recipe.total_steps(x.shape[0]),
                                          lr_tensor=graph)
    scaler = torch.amp.GradScaler("cuda") if amp_dtype == torch.float16 else None
    if graph:
        captured = torch_steps.CapturedStep(model, optimizer, x, y, recipe.batch_size)
    stepped = model  # what the eager loop calls: the model, or its compiled version
    if mode == "compiled":
        on_cuda = device.type == "cuda"
        stepped = torch.compile(model, mode="reduce-overhead" if on_cuda else None)
    history: dict[str, list[float]] = {
        "loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "seconds": []
    }

    bar = runtime.progress(total=recipe.epochs * steps, unit="batch",
                           disable=not show_progress)
    try:
        for epoch in range(recipe.epochs):
            bar.set_description(f"epoch {epoch + 1}/{recipe.epochs}")
            start = time.perf_counter()
            step_sums = torch.zeros(steps, device=device)  # running loss sum per step

            def on_batch(step: int, loss_sum: torch.Tensor, correct: torch.Tensor) -> None:
                step_sums[step] = loss_sum  # on the device: no host sync
                bar.update(1)
                if step % 50 == 49 or step == steps - 1:  # copy to host now and then only
                    stop_if_diverged(step_sums[:step + 1], epoch + 1, steps,
                                     recipe.batch_size, x.shape[0], recipe.learning_rate)
                    seen = min((step + 1) * recipe.batch_size, x.shape[0])
                    bar.set_postfix(loss=f"{loss_sum.item() / seen:.4f}",
                                    acc=f"{correct.item() / seen:.4f}", refresh=False)

            order = torch.from_numpy(lenet5.batch_order(x.shape[0], epoch, recipe.seed))
            if graph:
                loss, acc = torch_steps.train_one_epoch_captured(
                    captured, scheduler, x.shape[0], order=order, on_batch=on_batch)
            else:
                loss, acc = train_one_epoch(
                    stepped, optimizer, scheduler, x, y, recipe.batch_size, order=order,
                    amp_dtype=amp_dtype, scaler=scaler, on_batch=on_batch,
                )
            val_loss, val_acc = evaluate(model, xv, yv)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            for key, value in zip(history, (loss, acc, val_loss, val_acc, seconds)):
                history[key].append(value)
            bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.4f}",
                            val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.4f}")
    finally:
        bar.close()
    return history


def time_batch_fetching(x: Any, y: Any, batch_size: int = 128, *, device: Any = "cpu") -> dict[str, float]:
    """Seconds to draw one epoch of shuffled batches, two ways, with no model at all.

    ``"DataLoader"``: a ``DataLoader`` over a ``TensorDataset`` (it fetches
    every image on its own and stacks them into a batch), each batch then
    copied to ``device``. ``"indexing"``: the whole set copied to ``device``
    once, each batch one indexing operation with a slice of a permutation.
    """
    from torch.utils.data import DataLoader, TensorDataset

    device = torch.device(device)
    xt, yt = torch.as_tensor(np.asarray(x)), torch.as_tensor(np.asarray(y))

    def synchronize() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    start = time.perf_counter()
    for xb, yb in DataLoader(TensorDataset(xt, yt), batch_size=batch_size, shuffle=True):
        xb, yb = xb.to(device), yb.to(device)
    synchronize()
    loader_seconds = time.perf_counter() - start

    start = time.perf_counter()
    xd, yd = xt.to(device), yt.to(device)
    order = torch.randperm(xd.shape[0], device=device)
    for i in range(0, xd.shape[0], batch_size):
        xb, yb = xd[order[i:i + batch_size]], yd[order[i:i + batch_size]]
    synchronize()
    return {"DataLoader": loader_seconds, "indexing": time.perf_counter() - start}


# --------------------------------------------------------------------------
# The surface the three implementations share: weights and predictions
# --------------------------------------------------------------------------


def _swap_dense(value: np.ndarray) -> np.ndarray:
    """PyTorch's dense ``(out, in)`` to the book's ``(in, out)`` and back."""
    return np.ascontiguousarray(value.T if value.ndim == 2 else value)


def get_params(model: nn.Module) -> dict[str, np.ndarray]:
    """Every parameter as a NumPy array, by the book's names and NumPy layout.

    PyTorch stores a dense weight as ``(out, in)``; the book's layout is
    ``(in, out)``, so those are transposed. Convolution weights are
    ``(F, C, kh, kw)`` in both.
    """
    params = {name: _swap_dense(t.detach().cpu().numpy()).copy()
              for name, t in model.state_dict().items()}
    lenet5.check_params(params, what="the model's tensors")
    return {name: params[name] for name in lenet5.PARAM_SHAPES}


def set_params(model: nn.Module, params: dict[str, np.ndarray]) -> nn.Module:
    """Copy arrays in the book's names and layout into ``model`` (dense transposed).

    Wrong or missing names, wrong shapes and values that are not numbers raise a
    ValueError that lists them, and leave the model as it was.
    """
    lenet5.check_params(get_params(model), what="the model's tensors")
    state = model.state_dict()
    dtype = str(state["c1.weight"].dtype).removeprefix("torch.")
    arrays = lenet5.param_arrays(params, dtype)
    with torch.no_grad():
        for name, array in arrays.items():
            state[name].copy_(torch.from_numpy(_swap_dense(array)))
    return model


@torch.no_grad()
def predict_logits(model: nn.Module, images: Any, *,
                   batch_size: int = 2000) -> np.ndarray:
    """The logits ``(N, 10)`` of images ``(N, 1, 32, 32)``, as a NumPy array."""
    check_hyperparameters(batch_size=batch_size)
    device = next(model.parameters()).device
    x = _to_device(images, device, torch.float32)
    if x.ndim != 4 or tuple(x.shape[1:]) != lenet5.INPUT_SHAPE:
        raise _shape_error(x.shape, "predict_logits")
    if x.shape[0] and not bool(torch.isfinite(x.amin()) & torch.isfinite(x.amax())):
        check_images(x.cpu().numpy(), "images to predict")  # raises, saying where
    model.eval()
    chunks = [model(x[i:i + batch_size]).float().cpu()
              for i in range(0, x.shape[0], batch_size)]
    logits = torch.cat(chunks) if chunks else torch.zeros(0, model.output.out_features)
    _check_finite_output(model, x, logits.sum())  # NaN weights would answer "class 0"
    return logits.numpy()


def predict(model: nn.Module, images: Any, *, batch_size: int = 2000) -> np.ndarray:
    """The predicted class of each image."""
    return predict_logits(model, images, batch_size=batch_size).argmax(axis=1)


def gradients(model: nn.Module, images: Any, labels: Any) -> dict[str, np.ndarray]:
    """Gradients of the mean cross-entropy on one batch, by the book's names and layout.

    Autograd computes them (no weight decay); the images are taken in the
    model's own float type, so a ``model.double()`` gives float64 gradients.
    """
    x, y = _checked_data(model, images, labels, next(model.parameters()).device,
                         "gradients")
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    grads = {name: _swap_dense(p.grad.detach().cpu().numpy())
             for name, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    lenet5.check_params(grads, what="the model's gradients")
    return {name: grads[name] for name in lenet5.PARAM_SHAPES}


def save_weights(model: nn.Module, path: str | os.PathLike) -> Path:
    """Save the model's ``state_dict`` (tensors only, no pickled code); return the path.

    The write is atomic: if it fails part-way, the previous file is untouched.
    """
    path = Path(path)
    with replacing(path) as part:
        torch.save(model.state_dict(), part)
    return path


def _load_state(path: Path, device: torch.device) -> Any:
    """``torch.load`` with ``weights_only=True``, its errors turned into plain words.

    Never suggests ``weights_only=False``: that would run whatever code the
    file carries.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such file; save weights there first with "
            "save_weights(model, path)")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch raises many types for a file it cannot read
        kind = describe_file(path)
        pickled = isinstance(err, pickle.UnpicklingError)
        if pickled and kind.startswith("a PyTorch file"):
            raise ValueError(
                f"{path} is a PyTorch file holding pickled Python objects, not only "
                "tensors (saved with torch.save(model) rather than save_weights?). "
                "Loading it could run code, so it is refused: load the model where "
                "it was saved, save it with save_weights(model, path), and load that."
            ) from None
        raise wrong_file_error(
            path, "PyTorch LeNet-5 weights written by torch_lenet.save_weights",
            "Pass the file that save_weights(model, path) wrote.") from None


def load_weights(model: nn.Module | None, path: str | os.PathLike) -> nn.Module:
    """Load a ``state_dict`` saved by :func:`save_weights` into ``model`` (new if None).

    ``weights_only=True`` makes ``torch.load`` refuse anything but tensors
    and plain containers, so a file from elsewhere cannot run code. A file
    whose layers or shapes do not fit ``model`` gives an error that names
    each difference.
    """
    model = LeNet5() if model is None else model
    state = _load_state(Path(path), next(model.parameters()).device)
    if not isinstance(state, dict):
        raise ValueError(f"{Path(path).name!r} does not hold a state_dict "
                         f"(got {type(state).__name__}); save it with "
                         "save_weights(model, path)")
    expected = model.state_dict()
    problems = [f"{k} is missing from the file" for k in expected if k not in state]
    problems += [f"{k} is in the file but not in the model"
                 for k in state if k not in expected]
    problems += [
        f"{k} has shape {tuple(state[k].shape)} in the file but {tuple(v.shape)} "
        "in the model"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    if problems:
        raise ValueError(
            f"the weights in {Path(path).name!r} do not fit this model: "
            + "; ".join(problems)
            + ". Build the model with the same layers as the one that was saved, "
            "then load."
        )
    model.load_state_dict(state)
    return model
