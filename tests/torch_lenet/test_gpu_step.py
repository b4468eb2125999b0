"""How the PyTorch step runs (lenet_common.torch_lenet.gpu_step), tested on the CPU.

There is no GPU here: the choice of mode is tested for every device, and the
captured step's logic (static indices, warm-up, capture once, replay, an
eager last batch, the learning rate as a tensor the schedule writes) runs on
the CPU with a stand-in for CUDA graphs whose replay calls the captured step
again, as a graph replays its kernels.
"""

from __future__ import annotations

import contextlib
import os

import pytest

torch = pytest.importorskip("torch")

from lenet_common import lenet5  # noqa: E402
from lenet_common import torch_lenet as tl  # noqa: E402
from lenet_common.torch_lenet import gpu_step as ts  # noqa: E402


class FakeGraphs:
    """CUDA graphs' interface on the CPU: capture records the step, replay reruns it."""

    def __init__(self, model) -> None:
        self.model = model
        self.captures = 0
        self.replays = 0

    def side_stream(self):
        return contextlib.nullcontext()

    def capture(self, step):
        self.captures += 1  # like a real capture, nothing runs now

        def replay():
            self.replays += 1
            for p in self.model.parameters():  # a replayed backward overwrites them
                p.grad = None
            step()

        return replay


@pytest.mark.parametrize(
    "requested, device, amp, expected",
    [
        ("auto", "cuda", False, "graph"),
        ("auto", "cuda", True, "eager"),
        ("auto", "cpu", False, "eager"),
        ("auto", "mps", False, "eager"),
        ("eager", "cuda", False, "eager"),
        ("compiled", "cuda", False, "compiled"),
        ("compiled", "cpu", False, "compiled"),
        ("graph", "cuda", False, "graph"),
    ],
)
def test_step_mode_for_each_device(requested, device, amp, expected):
    assert ts.choose_step_mode(requested, device, amp) == expected


@pytest.mark.parametrize(
    "requested, device, amp, words",
    [
        ("graph", "cpu", False, "needs an NVIDIA GPU"),
        ("graph", "mps", False, "needs an NVIDIA GPU"),
        ("graph", "cuda", True, "float32"),
        ("fast", "cuda", False, "use one of"),
    ],
)
def test_impossible_step_modes_say_why(requested, device, amp, words):
    with pytest.raises(ValueError, match=words):
        ts.choose_step_mode(requested, device, amp)


def test_train_refuses_a_graph_on_the_cpu():
    x, y = torch.zeros(8, 1, 32, 32), torch.zeros(8, dtype=torch.long)
    with pytest.raises(ValueError, match="needs an NVIDIA GPU"):
        tl.train(
            tl.LeNet5(),
            x,
            y,
            x,
            y,
            lenet5.Recipe(epochs=1, batch_size=4, learning_rate=0.05),
            show_progress=False,
            step_mode="graph",
        )


def test_a_captured_step_needs_a_tensor_learning_rate_and_the_fused_kernel():
    model = tl.LeNet5()
    plain = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="0-d tensor"):
        ts.graph_ready(plain)
    unfused = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.1))
    with pytest.raises(ValueError, match="fused=True"):
        ts.graph_ready(unfused)
    optimizer, _ = tl.make_optimizer(
        model,
        lenet5.Recipe(epochs=1, batch_size=8, learning_rate=0.05),
        10,
        lr_tensor=True,
    )
    ts.graph_ready(optimizer)  # no error


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")
def test_the_schedule_writes_into_the_learning_rate_tensor():
    """With the rate in a tensor, the recipe's schedule gives the same rates."""
    config = lenet5.Recipe(epochs=2, batch_size=8, learning_rate=0.05)
    opt_float, sched_float = tl.make_optimizer(tl.LeNet5(), config, 5)
    opt_tensor, sched_tensor = tl.make_optimizer(tl.LeNet5(), config, 5, lr_tensor=True)
    lr = opt_tensor.param_groups[0]["lr"]
    for _ in range(9):
        assert float(lr) == pytest.approx(opt_float.param_groups[0]["lr"], rel=1e-6)
        sched_float.step()
        sched_tensor.step()
    assert opt_tensor.param_groups[0]["lr"] is lr  # written in place: a graph sees it
    assert opt_tensor.param_groups[0]["momentum"] == config.momentum  # not cycled


def _data(n=70, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 32, 32, generator=g), torch.randint(
        0, 10, (n,), generator=g
    )


def test_captured_steps_train_exactly_like_eager_steps():
    """Warm-up, one capture, replays and an eager last batch: the eager result."""
    x, y = _data()
    config = lenet5.Recipe(epochs=2, batch_size=16, learning_rate=0.05)
    steps = -(-len(x) // config.batch_size)
    results = []
    for captured in (False, True):
        torch.manual_seed(0)
        model = tl.LeNet5()
        optimizer, scheduler = tl.make_optimizer(model, config, steps, lr_tensor=True)
        generator = torch.Generator().manual_seed(1)
        graphs = FakeGraphs(model)
        step = ts.CapturedStep(
            model, optimizer, x, y, config.batch_size, warmup=2, graphs=graphs
        )
        curve = []
        for _ in range(config.epochs):
            if captured:
                curve.append(
                    ts.train_one_epoch_captured(
                        step, scheduler, len(x), generator=generator
                    )
                )
            else:
                curve.append(
                    tl.train_one_epoch(
                        model,
                        optimizer,
                        scheduler,
                        x,
                        y,
                        config.batch_size,
                        generator=generator,
                    )
                )
        results.append((curve, [p.detach().clone() for p in model.parameters()]))
        if captured:
            # 2 warm-up steps, then 1 capture; each epoch's last batch (6 images)
            # runs eagerly
            assert graphs.captures == 1 and step.eager_steps == 2 + config.epochs
            assert graphs.replays == config.epochs * (steps - 1) - 2
    (eager_curve, eager_params), (graph_curve, graph_params) = results
    for (loss_e, acc_e), (loss_g, acc_g) in zip(eager_curve, graph_curve):
        assert loss_g == pytest.approx(loss_e, rel=1e-5) and acc_g == pytest.approx(
            acc_e
        )
    for pe, pg in zip(eager_params, graph_params):
        torch.testing.assert_close(pg, pe, rtol=1e-5, atol=1e-6)


def test_compiled_mode_is_accepted_on_the_cpu(monkeypatch):
    """train(step_mode="compiled") hands the model to torch.compile (stubbed here)."""
    seen = {}

    def fake_compile(model, mode=None):
        seen["mode"] = mode
        return model

    monkeypatch.setattr(torch, "compile", fake_compile)
    x, y = _data(16)
    history = tl.train(
        tl.LeNet5(),
        x,
        y,
        x,
        y,
        lenet5.Recipe(epochs=1, batch_size=8, learning_rate=0.05),
        show_progress=False,
        step_mode="compiled",
    )
    assert seen == {"mode": None} and len(history["loss"]) == 1


def test_counting_launches_prints_nothing_of_the_profilers_own():
    """The profiler's engine logs its start and stop to stderr, which a chapter's
    output would show: count_launches keeps it quiet (in a fresh process, as the
    engine reads its log level once)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "KINETO_LOG_LEVEL"}
    code = (
        "import torch; from lenet_common.torch_lenet import gpu_step as ts; "
        "print(ts.count_launches(lambda: torch.ones(3) * 2))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "'operations': " in done.stdout
    assert "profiler_st" not in done.stderr and "Stage" not in done.stderr, done.stderr
