"""Training the 1998 LeNet-5: a per-pass step-size table, distortions on the fly.

The paper trained with stochastic diagonal Levenberg-Marquardt: one image
per update, and a step size per parameter from an estimate of the loss's
curvature, scaled by a global factor that its table lowers pass by pass
(0.0005 for 2 passes, 0.0002 for 3, 0.0001 for 3, 0.00005 for 4, then
0.00001). Here the updates are mini-batch Adam by default (SGD with
momentum and the paper's SDLM are the other choices), one step size for
all parameters, and a table of the same shape: the same fractions of
the passes at the same relative rates (1, 0.4, 0.2, 0.1, 0.02), after a
short warm-up. Mini-batches are what make a CPU fast enough; the chapter
says what that changes.

Importing this module imports torch.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lenet_common import runtime
from lenet_common.lenet1998.distortions import DISTORTIONS, random_grid
from lenet_common.lenet1998.model import LOSSES, distort
from lenet_common.lenet1998.sdlm import SDLM, curvature

__all__ = [
    "PAPER_TABLE",
    "Recipe",
    "recipe",
    "step_size",
    "make_optimizer",
    "train_one_pass",
    "distances",
    "evaluate",
    "predict",
    "train",
    "train_together",
]

#: The paper's step-size table as (end of the phase as a fraction of all
#: passes, rate relative to the first phase): passes 1-2, 3-5, 6-8, 9-12, 13-20.
PAPER_TABLE: tuple[tuple[float, float], ...] = (
    (2 / 20, 1.0),
    (5 / 20, 0.4),
    (8 / 20, 0.2),
    (12 / 20, 0.1),
    (20 / 20, 0.02),
)


@dataclass(frozen=True)
class Recipe:
    """How to train the 1998 network.

    ``lr`` is the step size of the table's first phase; ``warmup`` the
    fraction of the first pass over which it rises linearly from zero.
    ``loss`` is ``"paper"`` or ``"cross_entropy"``; ``j`` the paper's
    constant; ``distortion`` one of ``"none"``, ``"affine"``, ``"elastic"``.
    """

    epochs: int = 20
    batch_size: int = 128
    lr: float = 0.02
    momentum: float = 0.9
    warmup: float = 0.5
    loss: str = "paper"
    j: float = 1.0
    distortion: str = "none"
    optimizer: str = "adam"
    schedule: str = "paper"
    mu: float = 0.02
    curvature_every: int = 50

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be at least 1; got {self}")
        if not (self.lr > 0 and 0 <= self.momentum < 1 and 0 <= self.warmup <= 1):
            raise ValueError(
                f"need lr > 0, 0 <= momentum < 1, 0 <= warmup <= 1; got {self}"
            )
        if self.loss not in LOSSES:
            raise ValueError(f"loss {self.loss!r} is not one of {sorted(LOSSES)}")
        if self.optimizer not in ("sdlm", "sgd", "adam"):
            raise ValueError(
                f"optimizer {self.optimizer!r} is not 'sdlm', 'sgd' or 'adam'"
            )
        if self.schedule not in ("paper", "constant"):
            raise ValueError(f"schedule {self.schedule!r} is not 'paper' or 'constant'")
        if self.distortion not in DISTORTIONS:
            raise ValueError(
                f"distortion {self.distortion!r} is not one of {DISTORTIONS}"
            )


def recipe(
    distortion: str = "none", loss: str = "paper", quick: bool | None = None
) -> Recipe:
    """The chapter's recipe for a run with or without distortions, in either mode."""
    quick = runtime.QUICK if quick is None else quick
    if quick:
        return Recipe(epochs=6, batch_size=64, distortion=distortion, loss=loss)
    # 8 passes, with or without distortions (the paper: 20), to keep the build short
    return Recipe(epochs=8, batch_size=128, distortion=distortion, loss=loss)


def step_size(progress: float, recipe: Recipe) -> float:
    """The step size after ``progress`` passes (2.5: half-way through pass 3)."""
    warm = recipe.warmup
    factor = min(1.0, progress / warm) if warm > 0 else 1.0
    if recipe.schedule == "constant":
        return recipe.lr * factor
    for end, rate in PAPER_TABLE:
        if progress < end * recipe.epochs:
            return recipe.lr * rate * factor
    return recipe.lr * PAPER_TABLE[-1][1] * factor


def _loss_function(
    recipe: Recipe,
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The recipe's loss as ``loss(distances, labels)`` (the paper's takes its ``j``)."""
    loss_fn = LOSSES[recipe.loss]
    if recipe.loss == "paper":
        return functools.partial(loss_fn, j=recipe.j)
    return loss_fn


def _set_rate_and_curvature(
    optimizer: torch.optim.Optimizer,
    model: nn.Module,
    xb: torch.Tensor,
    recipe: Recipe,
    step: int,
    steps_per_pass: int,
) -> None:
    """Set the rate of pass ``step / steps_per_pass``; for SDLM, re-estimate the curvature."""
    rate = step_size(step / steps_per_pass, recipe)
    for group in optimizer.param_groups:
        group["lr"] = rate
    if isinstance(optimizer, SDLM) and step % recipe.curvature_every == 0:
        optimizer.set_curvature(curvature(model, xb))


def train_one_pass(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    recipe: Recipe,
    first_step: int,
    rng: np.random.Generator,
    on_batch: Callable[[int], None] | None = None,
) -> tuple[float, float]:
    """One pass over ``(x, y)`` in shuffled batches, each freshly distorted.

    Every batch draws new distortions (from ``rng``): the network never sees
    the same distorted digit twice. Returns the mean loss and the accuracy.
    """
    model.train()
    loss_fn = _loss_function(recipe)
    n = x.shape[0]
    steps = -(-n // recipe.batch_size)
    order = torch.as_tensor(rng.permutation(n), device=x.device)
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for step, idx in enumerate(order.split(recipe.batch_size)):
        xb, yb = distort(x[idx], random_grid(recipe.distortion, len(idx), rng)), y[idx]
        _set_rate_and_curvature(optimizer, model, xb, recipe, first_step + step, steps)
        dist = model(xb)
        loss = loss_fn(dist, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(idx)
        correct += (dist.detach().argmin(dim=1) == yb).sum()
        if on_batch is not None:
            on_batch(step)
    return loss_sum.item() / n, correct.item() / n


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """The recipe's optimiser: SDLM (the paper's), SGD with momentum, or Adam."""
    if recipe.optimizer == "sdlm":
        return SDLM(
            model.parameters(), lr=recipe.lr, mu=recipe.mu, momentum=recipe.momentum
        )
    groups = [{"params": list(model.parameters())}]
    if recipe.optimizer == "adam":
        return torch.optim.Adam(groups, lr=recipe.lr, betas=(recipe.momentum, 0.999))
    return torch.optim.SGD(groups, lr=recipe.lr, momentum=recipe.momentum)


@torch.no_grad()
def distances(model: nn.Module, x: Any, *, batch_size: int = 5000) -> np.ndarray:
    """The ten RBF distances of each image in ``x`` (N, 1, 32, 32), as NumPy."""
    device = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    model.eval()
    out = [
        model(x[i : i + batch_size].to(device)).cpu()
        for i in range(0, x.shape[0], batch_size)
    ]
    return torch.cat(out).numpy()


def predict(model: nn.Module, x: Any) -> np.ndarray:
    """The predicted digit of each image: the RBF unit with the smallest distance."""
    return distances(model, x).argmin(axis=1)


def evaluate(
    model: nn.Module, x: Any, y: Any, loss: str = "paper", j: float = 1.0
) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` on ``(x, y)``."""
    d = torch.as_tensor(distances(model, x))
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long)
    kwargs = {"j": j} if loss == "paper" else {}
    value = LOSSES[loss](d, yt, **kwargs).item()
    return value, (d.argmin(dim=1) == yt).float().mean().item()


def train(
    model: nn.Module,
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    recipe: Recipe,
    *,
    device: Any = None,
    seed: int = 0,
    show_progress: bool = True,
    before_pass: Callable[[int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` by ``recipe``; return a Keras-style history, one value per pass.

    Keys: ``loss``, ``accuracy`` (training, on distorted images when the
    recipe distorts), ``val_loss``, ``val_accuracy`` (undistorted
    validation images) and ``seconds`` per pass, validation included.
    ``before_pass(epoch)`` and ``on_batch(step)``, when given, are called
    before each pass and after each batch (:func:`train_together` uses them).
    """
    device = next(model.parameters()).device if device is None else torch.device(device)
    model.to(device)
    if device.type == "cpu":
        # The same network, its maps stored in another order, which oneDNN's CPU
        # convolutions read faster (benchmarks/bench_lenet1998_speed.py measures it).
        model.to(memory_format=torch.channels_last)
    x = torch.as_tensor(np.asarray(x_train), dtype=torch.float32, device=device)
    y = torch.as_tensor(np.asarray(y_train), dtype=torch.long, device=device)
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 32, 32) or y.shape != (x.shape[0],):
        raise ValueError(
            f"training images must be (N, 1, 32, 32) with one label each; got "
            f"{tuple(x.shape)} and {tuple(y.shape)} labels. Load them with "
            "load_lenet_data(normalization='paper')."
        )
    rng = np.random.default_rng(seed)
    optimizer = make_optimizer(model, recipe)
    steps = -(-x.shape[0] // recipe.batch_size)
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
            if before_pass is not None:
                before_pass(epoch)
            bar.set_description(f"pass {epoch + 1}/{recipe.epochs}")
            start = time.perf_counter()

            def batch_done(step: int) -> None:
                bar.update(1)
                if on_batch is not None:
                    on_batch(step)

            loss, acc = train_one_pass(
                model, optimizer, x, y, recipe, epoch * steps, rng, on_batch=batch_done
            )
            val_loss, val_acc = evaluate(model, x_val, y_val, recipe.loss, recipe.j)
            seconds = time.perf_counter() - start
            for key, value in zip(history, (loss, acc, val_loss, val_acc, seconds)):
                history[key].append(value)
            bar.set_postfix(loss=f"{loss:.4f}", val_acc=f"{val_acc:.4f}")
    finally:
        bar.close()
    return history


class _Stopped(Exception):
    """Raised inside a run's thread when another run failed or the user interrupted."""


def train_together(
    runs: dict[str, tuple[nn.Module, Recipe]],
    x_train: Any,
    y_train: Any,
    x_val: Any,
    y_val: Any,
    *,
    device: Any = None,
    seed: int = 0,
    show_progress: bool = True,
) -> dict[str, dict[str, list[float]]]:
    """Train several ``(model, recipe)`` runs; return each run's :func:`train` history.

    On a CPU the runs train at the same time, each in its own thread with an
    equal share of torch's threads. A network this small keeps a second
    core only half busy within one run, between its many short operations;
    two runs side by side fill the gaps. When a run ends, the others wait
    for it at the start of that pass and then share its threads: every
    rerun splits the work at the same passes, so it computes the same
    numbers. On a GPU the runs go one after the other.
    """
    if device is None:
        first_model = next(iter(runs.values()))[0]
        device = next(first_model.parameters()).device
    device = torch.device(device)
    if device.type != "cpu" or len(runs) < 2:
        return {
            name: train(
                model,
                x_train,
                y_train,
                x_val,
                y_val,
                recipe,
                device=device,
                seed=seed,
                show_progress=show_progress,
            )
            for name, (model, recipe) in runs.items()
        }
    threads = torch.get_num_threads()
    steps = {name: -(-len(x_train) // r.batch_size) for name, (_, r) in runs.items()}
    done = {name: threading.Event() for name in runs}
    batches = dict.fromkeys(runs, 0)
    histories: dict[str, dict[str, list[float]]] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def share(epoch: int) -> int:
        """Torch threads per run for the runs still training at this pass."""
        active = sum(r.epochs > epoch for _, r in runs.values())
        return max(1, threads // active)

    def work(name: str) -> None:
        model, recipe = runs[name]
        current = share(0)
        torch.set_num_threads(current)

        def before_pass(epoch: int) -> None:
            nonlocal current
            if share(epoch) != current:
                for other, (_, r) in runs.items():
                    if r.epochs <= epoch:
                        done[other].wait()
                current = share(epoch)
                torch.set_num_threads(current)

        def on_batch(_step: int) -> None:
            batches[name] += 1
            if stop.is_set():
                raise _Stopped

        try:
            histories[name] = train(
                model,
                x_train,
                y_train,
                x_val,
                y_val,
                recipe,
                device=device,
                seed=seed,
                show_progress=False,
                before_pass=before_pass,
                on_batch=on_batch,
            )
        except _Stopped:
            pass
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)
            stop.set()
        finally:
            done[name].set()

    workers = [
        threading.Thread(
            target=work, args=(name,), name=f"train_together {name}", daemon=True
        )
        for name in runs
    ]
    bar = runtime.progress(
        total=sum(r.epochs * steps[n] for n, (_, r) in runs.items()),
        unit="batch",
        desc=" + ".join(runs),
        disable=not show_progress,
    )
    try:
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            next(w for w in workers if w.is_alive()).join(timeout=0.5)
            bar.update(sum(batches.values()) - bar.n)
    except BaseException:
        stop.set()
        for worker in workers:
            worker.join()
        raise
    finally:
        bar.close()
        torch.set_num_threads(threads)
    if errors:
        raise errors[0]
    return {name: histories[name] for name in runs}
