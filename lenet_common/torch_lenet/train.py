"""Training the PyTorch LeNet-5: optimiser, one epoch, evaluation, a whole run.

The loop follows PyTorch's ``examples/mnist/main.py`` (a model, a
``train_one_epoch`` and an ``evaluate`` function, a seed, a device), with one
change that matters for a network this small: the whole training set is one
tensor on the device, and a batch is a slice of it taken by indexing. A
``DataLoader`` would collate every batch from Python objects, and for a
61,706-parameter network that overhead costs more than the maths. The GPU's
captured step lives beside this module, in :mod:`~lenet_common.torch_lenet.gpu_step`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet_common import lenet5, runtime
from lenet_common.plumbing.checks import (
    diverged_error,
    first_bad_step,
)
from lenet_common.torch_lenet import gpu_step
from lenet_common.torch_lenet.model import (
    _check_finite_output,
    _checked_data,
)

__all__ = [
    "make_optimizer",
    "schedule_trace",
    "first_diverged_step",
    "stop_if_diverged",
    "train_one_epoch",
    "train_batches",
    "evaluate",
    "train",
    "time_batch_fetching",
    "to_training_device",
    "step_function",
]


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
    that the schedule keeps working (see ``gpu_step``).
    """
    device = next(model.parameters()).device
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=torch.tensor(recipe.learning_rate, device=device)
        if lr_tensor
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


def stop_if_diverged(
    step_sums: torch.Tensor,
    epoch: int,
    steps_per_epoch: int,
    batch_size: int,
    n: int,
    learning_rate: float,
) -> None:
    """Raise :class:`~lenet_common.plumbing.checks.TrainingDivergedError` if a step diverged.

    ``step_sums`` are this epoch's running loss sums so far (see
    :func:`first_diverged_step`); the error names the first bad step of training.
    """
    bad = first_diverged_step(step_sums, batch_size, n)
    if bad is not None:
        total = step_sums[bad] - (step_sums[bad - 1] if bad else 0)
        size = min(batch_size, n - bad * batch_size)
        step = (epoch - 1) * steps_per_epoch + bad + 1
        raise diverged_error(
            step, total.item() / size, "learning_rate", learning_rate, epoch
        )


def to_training_device(model: nn.Module, device: torch.device) -> nn.Module:
    """Move ``model`` to ``device``; on a CPU, store its maps channels-last.

    Channels-last is the order in which oneDNN's CPU convolutions read maps
    fastest (the speed appendix; ``benchmarks/bench_numpy_vs_torch.py``): the
    same network, the same values to rounding, about a third quicker there.
    :func:`train` puts the weights back in torch's default order when it ends,
    so a trained model and one loaded from its saved weights compute alike.
    """
    model.to(device)
    if device.type == "cpu":
        model.to(memory_format=torch.channels_last)
    return model


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
    Returns the mean training loss and accuracy of the epoch. The loop itself
    is :func:`train_batches` (the mixed-precision one, its copy). The running
    sums stay on the device; only the caller's ``on_batch`` callback decides
    when to copy them to the host, so the GPU is not stalled every step.
    """
    n = x.shape[0]
    if order is None:
        order = torch.randperm(n, generator=generator)
    batches = ((x[idx], y[idx]) for idx in order.to(x.device).split(batch_size))
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    steps = 0

    def after_step(loss: torch.Tensor, logits: torch.Tensor, yb: torch.Tensor) -> None:
        nonlocal steps
        if scheduler is not None:
            scheduler.step()
        loss_sum.add_(loss.detach() * yb.shape[0])
        correct.add_((logits.argmax(dim=1) == yb).sum())
        if on_batch is not None:
            on_batch(steps, loss_sum, correct)
        steps += 1

    if amp_dtype is None and scaler is None:
        train_batches(model, optimizer, batches, after_step)
    else:
        _train_batches_mixed(model, optimizer, batches, after_step, amp_dtype, scaler)
    return loss_sum.item() / n, correct.item() / n


def train_batches(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    after_step: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None],
) -> None:
    """The book's training loop: zero the gradients, forward, loss, backward, update.

    ``after_step(loss, logits, labels)`` advances the schedule and keeps the
    running sums (see :func:`train_one_epoch`).
    """
    model.train()
    for xb, yb in batches:
        optimizer.zero_grad()
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        optimizer.step()
        after_step(loss, logits, yb)


def _train_batches_mixed(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    after_step: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None],
    amp_dtype: torch.dtype | None,
    scaler: torch.amp.GradScaler | None,
) -> None:
    """:func:`train_batches` in mixed precision, the loss scaled when ``scaler`` is given."""
    model.train()
    for xb, yb in batches:
        autocast = torch.autocast(
            xb.device.type, dtype=amp_dtype, enabled=amp_dtype is not None
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
        after_step(loss, logits, yb)


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
        logits = model(x[start : start + batch_size]).float()
        yb = y[start : start + batch_size]
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
    as the NumPy and Keras versions. On a CPU the model's maps are stored
    channels-last (faster there; the values are the same to rounding).
    ``amp=True`` turns on mixed precision
    (CUDA only). ``step_mode`` says how each training step runs
    (``gpu_step.STEP_MODES``): "auto" captures it as one CUDA graph on an
    NVIDIA GPU and runs it eagerly on the CPU and on MPS; "compiled" uses
    ``torch.compile``.
    """
    recipe = lenet5.book_recipe() if recipe is None else recipe
    device = next(model.parameters()).device if device is None else torch.device(device)
    to_training_device(model, device)
    x, y = _checked_data(model, x_train, y_train, device, "training")
    xv, yv = _checked_data(model, x_val, y_val, device, "validation")

    steps = recipe.steps_per_epoch(x.shape[0])
    amp_dtype = _amp_dtype(device, amp)
    mode = gpu_step.choose_step_mode(step_mode, device.type, amp_dtype is not None)
    graph = mode == "graph"
    optimizer, scheduler = make_optimizer(
        model, recipe, recipe.total_steps(x.shape[0]), lr_tensor=graph
    )
    scaler = torch.amp.GradScaler("cuda") if amp_dtype == torch.float16 else None
    if graph:
        captured = gpu_step.CapturedStep(model, optimizer, x, y, recipe.batch_size)
    stepped = model  # what the eager loop calls: the model, or its compiled version
    if mode == "compiled":
        on_cuda = device.type == "cuda"
        stepped = torch.compile(model, mode="reduce-overhead" if on_cuda else None)
    history: dict[str, list[float]] = {
        "loss": [],
        "accuracy": [],
        "val_loss": [],
        "val_accuracy": [],
        "seconds": [],
    }

    bar = runtime.progress(
        total=recipe.epochs * steps, unit="batch", disable=not show_progress
    )
    try:
        for epoch in range(recipe.epochs):
            bar.set_description(f"epoch {epoch + 1}/{recipe.epochs}")
            start = time.perf_counter()
            step_sums = torch.zeros(steps, device=device)  # running loss sum per step

            def on_batch(
                step: int, loss_sum: torch.Tensor, correct: torch.Tensor
            ) -> None:
                step_sums[step] = loss_sum  # on the device: no host sync
                bar.update(1)
                if (
                    step % 50 == 49 or step == steps - 1
                ):  # copy to host now and then only
                    stop_if_diverged(
                        step_sums[: step + 1],
                        epoch + 1,
                        steps,
                        recipe.batch_size,
                        x.shape[0],
                        recipe.learning_rate,
                    )
                    seen = min((step + 1) * recipe.batch_size, x.shape[0])
                    bar.set_postfix(
                        loss=f"{loss_sum.item() / seen:.4f}",
                        acc=f"{correct.item() / seen:.4f}",
                        refresh=False,
                    )

            order = torch.from_numpy(lenet5.batch_order(x.shape[0], epoch, recipe.seed))
            if graph:
                loss, acc = gpu_step.train_one_epoch_captured(
                    captured, scheduler, x.shape[0], order=order, on_batch=on_batch
                )
            else:
                loss, acc = train_one_epoch(
                    stepped,
                    optimizer,
                    scheduler,
                    x,
                    y,
                    recipe.batch_size,
                    order=order,
                    amp_dtype=amp_dtype,
                    scaler=scaler,
                    on_batch=on_batch,
                )
            val_loss, val_acc = evaluate(model, xv, yv)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            for key, value in zip(history, (loss, acc, val_loss, val_acc, seconds)):
                history[key].append(value)
            bar.set_postfix(
                loss=f"{loss:.4f}",
                acc=f"{acc:.4f}",
                val_loss=f"{val_loss:.4f}",
                val_acc=f"{val_acc:.4f}",
            )
    finally:
        bar.close()
        model.to(memory_format=torch.contiguous_format)  # as the caller gave it
    return history


def time_batch_fetching(
    x: Any, y: Any, batch_size: int = 128, *, device: Any = "cpu"
) -> dict[str, float]:
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
    for xb, yb in DataLoader(
        TensorDataset(xt, yt), batch_size=batch_size, shuffle=True
    ):
        xb, yb = xb.to(device), yb.to(device)
    synchronize()
    loader_seconds = time.perf_counter() - start

    start = time.perf_counter()
    xd, yd = xt.to(device), yt.to(device)
    order = torch.randperm(xd.shape[0], device=device)
    for i in range(0, xd.shape[0], batch_size):
        xb, yb = xd[order[i : i + batch_size]], yd[order[i : i + batch_size]]
    synchronize()
    return {"DataLoader": loader_seconds, "indexing": time.perf_counter() - start}


def step_function(
    model: nn.Module, recipe: lenet5.Recipe, images: np.ndarray, labels: np.ndarray
) -> Callable[[], None]:
    """One training step on this batch at the recipe's starting rate, as a function.

    For timing a step (the side-by-side chapter's exercise); every
    implementation offers it with the same arguments.
    """
    device = next(model.parameters()).device
    to_training_device(model, device)  # as train() does
    optimizer, _ = make_optimizer(model, recipe, 1)
    x = torch.as_tensor(images, device=device)
    y = torch.as_tensor(labels, device=device)
    order = torch.arange(len(x), device=device)

    def step() -> None:
        train_one_epoch(model, optimizer, None, x, y, len(x), order=order)

    return step
