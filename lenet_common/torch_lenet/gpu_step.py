"""How the PyTorch training step runs: eagerly, or captured once as a CUDA graph.

LeNet-5 is so small that on a datacenter GPU its arithmetic takes
microseconds, while each of the hundred or so kernels of a training step
(forward, backward, optimizer) costs the CPU several microseconds to launch:
the GPU waits for Python. A *CUDA graph* records all the kernels of one step
once and launches them again with a single call. This module follows
PyTorch's recipe for capturing a whole network (the "CUDA Graphs" section of
its CUDA semantics notes):

- the graph reads its inputs from *static* tensors: here the indices of the
  batch's images (the whole training set already lives on the GPU, and the
  graph gathers the batch itself);
- a few warm-up steps run first on a side stream, before capture (they are
  real training steps);
- gradients are set to ``None`` before capture, so that backward allocates
  them from the graph's own memory and every replay overwrites them;
- the optimizer step is inside the graph. The learning rate is a tensor on
  the GPU that the graph reads (``torch.optim.SGD(lr=tensor, fused=True)``),
  so the learning-rate schedule, which writes into that tensor, keeps
  working. Anything else the graph reads is baked in at capture: a schedule
  must change the learning rate only (no momentum cycling).

Eager steps stay the rule on the CPU and on Apple's MPS, where there is
nothing to capture. ``torch.compile(mode="reduce-overhead")`` also uses CUDA
graphs, for the model only; ``benchmarks/bench_gpu.py`` compares the ways.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "STEP_MODES",
    "choose_step_mode",
    "graph_ready",
    "CapturedStep",
    "CudaGraphs",
    "train_one_epoch_captured",
    "count_launches",
]

#: The ways to run a training step; "auto" picks one for the device.
STEP_MODES = ("auto", "eager", "graph", "compiled")


def choose_step_mode(requested: str, device_type: str, amp: bool = False) -> str:
    """``"eager"``, ``"graph"`` or ``"compiled"``: how to run the step on this device.

    ``"auto"`` captures a CUDA graph on an NVIDIA GPU (in float32) and runs
    eagerly everywhere else. Asking for a graph where there is no CUDA, or
    together with mixed precision, is an error that says why.
    """
    if requested not in STEP_MODES:
        raise ValueError(f"step_mode={requested!r}: use one of {STEP_MODES}")
    if requested == "auto":
        return "graph" if device_type == "cuda" and not amp else "eager"
    if requested == "graph" and device_type != "cuda":
        raise ValueError(
            f"step='graph' needs an NVIDIA GPU (CUDA graphs), but the device is "
            f"{device_type!r}: use step='eager' (or 'auto') here"
        )
    if requested == "graph" and amp:
        raise ValueError(
            "step='graph' runs in float32: turn amp off, or use step='eager' "
            "(mixed precision does not speed LeNet-5 up anyway)"
        )
    return requested


def graph_ready(optimizer: torch.optim.Optimizer) -> None:
    """Raise unless ``optimizer`` can run inside a CUDA graph with a working schedule.

    It must be SGD with ``fused=True`` (one kernel that reads the learning
    rate from the GPU) and a learning rate held in a 0-d tensor on the
    parameters' device.
    """
    for group in optimizer.param_groups:
        lr = group["lr"]
        device = group["params"][0].device
        if not (torch.is_tensor(lr) and lr.ndim == 0 and lr.device == device):
            raise ValueError(
                "a captured step needs the learning rate as a 0-d tensor on "
                f"{device}, e.g. SGD(params, lr=torch.tensor(0.05, device=...)); "
                f"got {lr!r}"
            )
        if not group.get("fused"):
            raise ValueError(
                "a captured step needs torch.optim.SGD(..., fused=True): the "
                "fused kernel reads the learning rate tensor on the GPU"
            )


class CudaGraphs:
    """The three CUDA pieces of the recipe: a side stream, capture, replay."""

    @contextlib.contextmanager
    def side_stream(self) -> Iterator[None]:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            yield
        torch.cuda.current_stream().wait_stream(stream)

    def capture(self, step: Callable[[], None]) -> Callable[[], None]:
        """Record ``step``'s kernels (without running them); return the replay."""
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        return graph.replay


class CapturedStep:
    """One training step of ``model`` on a batch of ``x[idx]``, run as a captured graph.

    ``step(idx)`` copies the batch's indices into the static index tensor
    and replays the graph: the gather of the batch, forward pass, loss,
    backward pass and optimizer step, and the running loss and accuracy
    sums (``loss_sum``, ``correct``), all in one launch. The first
    ``warmup`` calls run eagerly on a side stream; the next one captures.
    A batch of another size (the epoch's last) runs eagerly with the same
    optimizer. ``graphs`` is :class:`CudaGraphs`; the tests pass a stand-in
    to run the same logic on the CPU.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        x: torch.Tensor,
        y: torch.Tensor,
        batch_size: int,
        *,
        warmup: int = 3,
        graphs: Any = None,
    ) -> None:
        graph_ready(optimizer)
        self.model, self.optimizer, self.x, self.y = model, optimizer, x, y
        self.batch_size, self.warmup = batch_size, warmup
        self.graphs = graphs or CudaGraphs()
        self.idx = torch.zeros(
            batch_size, dtype=torch.long, device=x.device
        )  # static input
        self.loss_sum = torch.zeros((), device=x.device)
        self.correct = torch.zeros((), dtype=torch.long, device=x.device)
        self.eager_steps = 0
        self.replay: Callable[[], None] | None = None

    def _forward_backward(self, idx: torch.Tensor) -> None:
        """The step itself, written for capture: no host syncs, static tensors only."""
        xb, yb = self.x.index_select(0, idx), self.y.index_select(0, idx)
        logits = self.model(xb)
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.detach() * yb.shape[0]
        self.correct += (logits.argmax(dim=1) == yb).sum()

    def _eager(self, idx: torch.Tensor) -> None:
        # once captured, the gradients are the graph's tensors: zero them, keep them
        self.optimizer.zero_grad(set_to_none=self.replay is None)
        self._forward_backward(idx)
        self.eager_steps += 1

    def __call__(self, idx: torch.Tensor) -> None:
        if idx.shape[0] != self.batch_size:  # a smaller last batch: no graph for it
            self._eager(idx)
            return
        self.idx.copy_(idx)
        if self.replay is None and self.eager_steps < self.warmup:
            with self.graphs.side_stream():
                self._eager(self.idx)
            return
        if self.replay is None:  # capture (records, runs nothing), then replay below
            self.optimizer.zero_grad(set_to_none=True)
            self.replay = self.graphs.capture(lambda: self._forward_backward(self.idx))
        self.replay()

    def reset_sums(self) -> None:
        """Zero the running loss and accuracy sums (at the start of an epoch)."""
        self.loss_sum.zero_()
        self.correct.zero_()


def train_one_epoch_captured(
    step: CapturedStep,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    n: int,
    *,
    order: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    on_batch: Callable[[int, torch.Tensor, torch.Tensor], None] | None = None,
) -> tuple[float, float]:
    """One pass over the ``n`` training images in the batches of ``order``.

    The same loop as ``torch_lenet.train_one_epoch``, with the whole step
    inside the graph; only the batch order, the schedule and the callback run
    in Python. ``order`` is a permutation of the images (the book's
    ``lenet5.batch_order``); without it, a random one drawn from
    ``generator``. Returns the epoch's mean training loss and accuracy.
    """
    step.model.train()
    if order is None:
        order = torch.randperm(n, generator=generator)
    order = order.to(step.x.device)
    step.reset_sums()
    for i, start in enumerate(range(0, n, step.batch_size)):
        step(order[start : start + step.batch_size])
        if scheduler is not None:
            scheduler.step()  # the next rate, into the tensor the graph reads
        if on_batch is not None:
            on_batch(i, step.loss_sum, step.correct)
    return step.loss_sum.item() / n, step.correct.item() / n


#: Operations that only relabel memory (views, shape changes): no kernel behind them.
_NO_KERNEL = {
    "aten::view",
    "aten::_unsafe_view",
    "aten::reshape",
    "aten::t",
    "aten::transpose",
    "aten::permute",
    "aten::expand",
    "aten::as_strided",
    "aten::slice",
    "aten::select",
    "aten::squeeze",
    "aten::unsqueeze",
    "aten::flatten",
    "aten::detach",
    "aten::alias",
    "aten::lift_fresh",
    "aten::empty",
    "aten::empty_like",
    "aten::empty_strided",
    "aten::resolve_conj",
    "aten::resolve_neg",
    "aten::result_type",
    "aten::to",
}


def count_launches(step: Callable[[], Any]) -> dict[str, int | None]:
    """How much one call of ``step`` asks of the device, counted by PyTorch's profiler.

    ``operations``: the outermost operations that do work (views, which only
    relabel memory, left out); on a GPU each launches one or more kernels.
    ``kernels``: the GPU kernels (and copies) really launched, on CUDA only.
    """
    from torch.profiler import ProfilerActivity, profile

    # Kineto, the profiler's engine, writes its own start/stop markers to stderr
    # ("USDT: ... profiler_start"), and in a notebook they land in the cell's output.
    # Level 6 keeps it quiet; a level the caller set wins. Kineto reads it when the
    # profiler first starts in the process.
    os.environ.setdefault("KINETO_LOG_LEVEL", "6")
    activities = [ProfilerActivity.CPU]
    if torch.cuda.is_available():
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        step()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    events = prof.events()
    operations = sum(
        1
        for e in events
        if e.name.startswith("aten::")
        and e.name not in _NO_KERNEL
        and (e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::"))
    )
    kernels = None
    if torch.cuda.is_available():
        kernels = sum(
            1 for e in events if e.device_type == torch.autograd.DeviceType.CUDA
        )
    return {"operations": operations, "kernels": kernels}
