"""What each implementation of LeNet-5 costs, measured side by side on one machine.

Each implementation (see :mod:`~lenet_common.comparison.registry`) runs in a worker process of its
own, so that its memory is its own and the three do not compete for threads.
The parent takes turns: one round of training steps in the first worker,
then in the second, then in the third, then the next round, so that a
neighbour's load on a shared machine slows all three alike. Measured per
implementation, with the book's recipe and batch size:

- training images per second: the median of several timed rounds of
  steps, after warm-up steps;
- inference images per second: the median of timed passes over the test set;
- the time of each layer, forward and backward, each layer timed on its own
  (the same for the three, so the bars compare);
- peak resident memory of the worker (its data included), and on a GPU the
  framework's peak device memory;
- test accuracy of the book's run (from the run cache, or trained there);
- the device.

``benchmarks/bench_frameworks.py`` runs it from the command line, prints a
table and writes JSON. The workers are this module run with ``--worker``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lenet_common import lenet5
from lenet_common.comparison import registry
from lenet_common.plumbing import machine

__all__ = [
    "IMPLEMENTATIONS",
    "FIELDS",
    "Settings",
    "settings_for",
    "measure",
    "format_table",
]

#: The implementations measured, in the registry's order.
IMPLEMENTATIONS = registry.NAMES
#: The fields every implementation's result has.
FIELDS = (
    "label",
    "device",
    "versions",
    "threads",
    "train_images_per_second",
    "train_rounds_seconds",
    "step_ms",
    "inference_images_per_second",
    "peak_memory_mib",
    "memory_after_setup_mib",
    "device_peak_memory_mib",
    "test_accuracy",
    "accuracy_source",
    "layer_ms",
)
_LABELS = registry.LABELS


@dataclass(frozen=True)
class Settings:
    """How much to measure: quick (a smoke test on the sample) or full (full MNIST)."""

    quick: bool
    rounds: int  # timed rounds of training steps, after the warm-up
    steps: int  # training steps per round
    warmup_steps: int
    inference_rounds: int  # timed passes over the test set
    layer_repeats: int  # timed forward + backward passes of each layer


def settings_for(quick: bool) -> Settings:
    """The settings of quick mode (seconds) or full mode (half a minute on 2 cores)."""
    if quick:
        return Settings(
            True, rounds=3, steps=4, warmup_steps=2, inference_rounds=2, layer_repeats=3
        )
    return Settings(
        False, rounds=3, steps=40, warmup_steps=10, inference_rounds=2, layer_repeats=3
    )


# =========================================================================== workers


def _memory_mib() -> dict[str, float | None]:
    """Resident memory now and its peak (Linux' VmRSS and VmHWM), in MiB."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        return {"now": None, "peak": peak * scale / 2**20}
    values = {}
    for key, name in (("VmRSS", "now"), ("VmHWM", "peak")):
        line = next(line for line in text.splitlines() if line.startswith(key))
        values[name] = int(line.split()[1]) / 1024
    return values


def _reset_peak_memory() -> None:
    """Restart Linux' peak count (VmHWM) from the memory in use now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _median_seconds(
    run: Callable[[], Any], repeats: int, sync: Callable[[], None] = lambda: None
) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _Bench:
    """One implementation in a worker: its model, its data, its measurements."""

    name = ""
    layout = "NCHW"

    def __init__(self, settings: Settings) -> None:
        from lenet_common.data import load_lenet_data

        self.settings = settings
        self.recipe = lenet5.book_recipe(settings.quick)
        self.data = load_lenet_data(layout="NCHW", quick=settings.quick)
        n, size = len(self.data.x_train), self.recipe.batch_size
        order = lenet5.batch_order(n, 0, self.recipe.seed)
        self.batches = [order[i * size : (i + 1) * size] for i in range(n // size)]
        self.next_batch = 0
        self.setup()

    def take(self, steps: int) -> list[np.ndarray]:
        """The next ``steps`` batches of indices (round and round the epoch)."""
        taken = []
        for _ in range(steps):
            taken.append(self.batches[self.next_batch % len(self.batches)])
            self.next_batch += 1
        return taken

    def layer_inputs(self) -> list[tuple[lenet5.Layer, tuple[int, ...]]]:
        """Each layer and its input's shape for one batch (NCHW, or (N, D) if dense)."""
        from lenet_common import shapes

        size = self.recipe.batch_size
        rows = shapes.lenet5_table()
        return [
            (
                layer,
                (size, math.prod(row.in_shape))
                if layer.kind == "dense"
                else (size, *row.in_shape),
            )
            for layer, row in zip(lenet5.LAYERS, rows)
        ]

    def accuracy(self) -> tuple[float, str]:
        """Test accuracy of the book's run: from the run cache, or trained here."""
        from lenet_common.comparison import runs, side_by_side

        run = runs.obtain(
            self.name,
            self.recipe,
            self.data,
            self.device,
            lambda: side_by_side.train_run(self.name, self.data, self.recipe),
            trained_by="the framework benchmark",
        )
        model = side_by_side.model_from(self.name, run.params, self.recipe)
        module = side_by_side.surface(self.name)
        predicted = module.predict(model, self.data.x_test)
        return float(np.mean(predicted == self.data.y_test)), run.origin

    def info(self) -> dict[str, Any]:
        return {
            "label": _LABELS[self.name],
            "device": self.device,
            "versions": registry.get(self.name).versions(),
            "threads": self.threads(),
        }

    def device_peak_memory_mib(self) -> float | None:
        return None

    # each implementation has: setup, threads, train_round,
    # inference_round, layer_ms
    def sync(self) -> None:
        pass


class _NumPyBench(_Bench):
    name = "numpy"

    def setup(self) -> None:
        from lenet_common import numpy_lenet as nl
        from lenet_common.numpy_lenet.fast import TrainingStep, default_threads

        self.device = "cpu"
        self.model = nl.LeNet5(seed=self.recipe.seed)
        self.step = TrainingStep(self.model.params)  # what numpy_lenet.train runs
        self.step_threads = default_threads()
        self.optimizer = nl.SGD(
            self.model.params,
            lr=self.recipe.learning_rate,
            momentum=self.recipe.momentum,
            weight_decay=self.recipe.weight_decay,
        )

    def threads(self) -> str:
        from threadpoolctl import threadpool_info

        blas = [f"{i['internal_api']} {i['num_threads']}" for i in threadpool_info()]
        return f"training step split across {self.step_threads} threads; BLAS: " + (
            ", ".join(blas) or "none found"
        )

    def train_round(self, steps: int) -> float:
        x, y = self.data.x_train, self.data.y_train
        start = time.perf_counter()
        for idx in self.take(steps):
            _, grads, _ = self.step(x[idx], y[idx])
            self.optimizer.step(grads)
        return time.perf_counter() - start

    def inference_round(self) -> float:
        start = time.perf_counter()
        self.model.predict_logits(self.data.x_test)
        return time.perf_counter() - start

    def layer_ms(self) -> dict[str, float]:
        from lenet_common.numpy_lenet.hooks import FORWARD_STEPS

        steps = dict(
            zip(
                (
                    ("conv", "tanh"),
                    ("avg_pool", None),
                    ("dense", "tanh"),
                    ("dense", None),
                ),
                FORWARD_STEPS,
            )
        )
        rng = np.random.default_rng(0)
        result = {}
        for i, (layer, shape) in enumerate(self.layer_inputs()):
            x = rng.standard_normal(shape).astype(np.float32)
            step = steps[(layer.kind, layer.activation)]
            forward = getattr(self.model, step)
            backward = getattr(self.model, f"{step}_backward")
            extra = {"need_dx": False} if i == 0 else {}

            def run() -> None:
                out = forward(layer.name, x)
                dout = np.ones_like(out)
                if layer.kind == "avg_pool":
                    backward(layer.name, dout)
                else:
                    backward(layer.name, dout, {}, **extra)

            run()
            result[layer.name] = 1e3 * _median_seconds(run, self.settings.layer_repeats)
        self.model._caches = {}
        return result


class _TorchBench(_Bench):
    name = "torch"

    def setup(self) -> None:
        import torch

        from lenet_common import runtime
        from lenet_common import torch_lenet as tl

        self.torch, self.tl = torch, tl
        device = runtime.torch_device(verbose=False)
        self.device = device.type
        self.model = tl.set_params(tl.LeNet5(), lenet5.initial_params(self.recipe.seed))
        tl.to_training_device(self.model, device)  # as tl.train trains it
        self.optimizer, _ = tl.make_optimizer(
            self.model,
            lenet5.Recipe(**{**self.recipe.as_dict(), "schedule": "constant"}),
            1,
        )
        self.x = torch.as_tensor(self.data.x_train, device=device)
        self.y = torch.as_tensor(self.data.y_train, device=device)

    def threads(self) -> str:
        return f"torch threads: {self.torch.get_num_threads()}"

    def sync(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def train_round(self, steps: int) -> float:
        idx = self.torch.as_tensor(
            np.concatenate(self.take(steps)), device=self.x.device
        )
        xs, ys = self.x[idx], self.y[idx]
        order = self.torch.arange(len(idx), device=self.x.device)
        self.sync()
        start = time.perf_counter()
        self.tl.train_one_epoch(
            self.model,
            self.optimizer,
            None,
            xs,
            ys,
            self.recipe.batch_size,
            order=order,
        )
        self.sync()
        return time.perf_counter() - start

    def inference_round(self) -> float:
        start = time.perf_counter()
        self.tl.predict_logits(self.model, self.data.x_test)
        return time.perf_counter() - start

    def layer_ms(self) -> dict[str, float]:
        torch = self.torch
        device = self.x.device
        generator = torch.Generator().manual_seed(0)
        self.model.train()
        result = {}
        for i, (layer, shape) in enumerate(self.layer_inputs()):
            x = torch.randn(shape, generator=generator).to(device).requires_grad_(i > 0)
            module = getattr(self.model, layer.name)

            def run() -> None:
                out = module(x)
                if layer.activation:
                    out = self.model.activation(out)
                out.backward(torch.ones_like(out))

            run()
            result[layer.name] = 1e3 * _median_seconds(
                run, self.settings.layer_repeats, self.sync
            )
        self.model.zero_grad(set_to_none=True)
        return result

    def device_peak_memory_mib(self) -> float | None:
        if self.device != "cuda":
            return None
        return self.torch.cuda.max_memory_allocated() / 2**20


class _KerasBench(_Bench):
    name = "keras"

    def setup(self) -> None:
        import tensorflow as tf

        from lenet_common import keras_lenet as kl

        self.kl, self.tf = kl, tf
        self.device = "/GPU:0" if kl.gpu_visible() else "/CPU:0"
        self.x = np.ascontiguousarray(np.moveaxis(self.data.x_train, 1, -1))
        self.model = kl.set_params(
            kl.build_lenet5(self.recipe), lenet5.initial_params(self.recipe.seed)
        )
        constant = lenet5.Recipe(**{**self.recipe.as_dict(), "schedule": "constant"})
        kl.compile_lenet5(self.model, constant, total_steps=1)

    def threads(self) -> str:
        intra = self.tf.config.threading.get_intra_op_parallelism_threads()
        return f"TensorFlow intra-op threads: {intra or 'default'}"

    def train_round(self, steps: int) -> float:
        """``fit`` over ``steps`` batches, as the chapter trains (its call included)."""
        idx = np.concatenate(self.take(steps))
        dataset = self.kl.make_dataset(
            self.x, self.data.y_train, batch_size=self.recipe.batch_size, orders=[idx]
        )
        start = time.perf_counter()
        self.model.fit(dataset, epochs=1, verbose=0, shuffle=False)
        return time.perf_counter() - start

    def inference_round(self) -> float:
        start = time.perf_counter()
        self.kl.predict_logits(self.model, self.data.x_test)
        return time.perf_counter() - start

    def layer_ms(self) -> dict[str, float]:
        tf = self.tf
        rng = np.random.default_rng(0)
        result = {}
        for i, (layer, shape) in enumerate(self.layer_inputs()):
            if len(shape) == 4:
                shape = (shape[0], *shape[2:], shape[1])  # channels last
            x = tf.constant(rng.standard_normal(shape).astype(np.float32))
            keras_layer = self.model.get_layer(layer.name)
            watch_input = i > 0

            @tf.function
            def step(
                x: Any, keras_layer: Any = keras_layer, watch: bool = watch_input
            ) -> Any:
                with tf.GradientTape() as tape:
                    if watch:
                        tape.watch(x)
                    out = keras_layer(x)
                sources = ([x] if watch else []) + list(keras_layer.trainable_weights)
                return tape.gradient(out, sources, output_gradients=tf.ones_like(out))

            def run(step: Any = step, x: Any = x) -> None:
                outputs = step(x)
                if outputs:
                    _ = outputs[0].numpy()  # wait for the result

            run()
            result[layer.name] = 1e3 * _median_seconds(run, self.settings.layer_repeats)
        return result

    def device_peak_memory_mib(self) -> float | None:
        if self.device != "/GPU:0":
            return None
        return self.tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


_BENCHES = {bench.name: bench for bench in (_NumPyBench, _TorchBench, _KerasBench)}


def _worker(name: str, quick: bool) -> int:
    """Answer the parent's commands, one JSON line each, until it says "quit"."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # whatever a library prints must not mix with the replies

    def reply(**message: Any) -> None:
        replies.write(json.dumps(message) + "\n")

    try:
        bench = _BENCHES[name](settings_for(quick))
        bench.train_round(bench.settings.warmup_steps)
        bench.inference_round()
        _reset_peak_memory()
        reply(ok=True, **bench.info(), memory_after_setup_mib=_memory_mib()["now"])
    except Exception as err:  # say why, so that the parent can report it
        reply(ok=False, error=f"{type(err).__name__}: {err}")
        return 1
    for line in sys.stdin:
        command = json.loads(line)
        try:
            if command["do"] == "train":
                reply(ok=True, seconds=bench.train_round(command["steps"]))
            elif command["do"] == "infer":
                reply(ok=True, seconds=bench.inference_round())
            elif command["do"] == "layers":
                reply(ok=True, layer_ms=bench.layer_ms())
            elif command["do"] == "accuracy":
                accuracy, source = bench.accuracy()
                reply(ok=True, test_accuracy=accuracy, accuracy_source=source)
            elif command["do"] == "memory":
                reply(
                    ok=True,
                    peak_memory_mib=_memory_mib()["peak"],
                    device_peak_memory_mib=bench.device_peak_memory_mib(),
                )
            elif command["do"] == "quit":
                reply(ok=True)
                return 0
        except Exception as err:
            reply(ok=False, error=f"{type(err).__name__}: {err}")
    return 0


# =========================================================================== parent


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, name: str, quick: bool) -> None:
        self.name = name
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lenet_common.comparison.framework_costs",
                "--worker",
                name,
                "--quick" if quick else "--full",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def answer(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            stderr = self.process.stderr.read()[-2000:]
            raise RuntimeError(
                f"the {self.name} worker stopped (exit code "
                f"{self.process.returncode}):\n{stderr}"
            )
        message = json.loads(line)
        if not message.pop("ok"):
            raise RuntimeError(f"the {self.name} worker failed: {message['error']}")
        return message

    def ask(self, **command: Any) -> dict[str, Any]:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.answer()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.ask(do="quit")
            except (RuntimeError, BrokenPipeError, OSError):
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


def measure(
    quick: bool | None = None,
    implementations: Sequence[str] = IMPLEMENTATIONS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure every implementation in one run; return the result as plain values.

    ``log`` receives one line per stage (``print`` by default).
    """
    from lenet_common import runtime

    quick = runtime.QUICK if quick is None else quick
    unknown = [name for name in implementations if name not in _BENCHES]
    if unknown:
        raise ValueError(
            f"unknown implementations {unknown}: use some of {IMPLEMENTATIONS}"
        )
    settings = settings_for(quick)
    recipe = lenet5.book_recipe(quick)
    result: dict[str, Any] = {
        "benchmark": "bench_frameworks",
        "mode": "quick" if quick else "full",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine.machine(),
        "load": {"before": machine.load()},
        "batch_size": recipe.batch_size,
        "settings": asdict(settings),
        "implementations": {},
    }
    start = time.perf_counter()
    log(f"starting {len(implementations)} workers ({result['mode']} mode)")
    workers = [_Worker(name, quick) for name in implementations]
    try:
        rows = {w.name: w.answer() for w in workers}
        log(
            "workers ready: "
            + ", ".join(f"{_LABELS[n]} on {r['device']}" for n, r in rows.items())
        )
        train = {w.name: [] for w in workers}
        for r in range(settings.rounds):
            for w in workers[r % len(workers) :] + workers[: r % len(workers)]:
                train[w.name].append(w.ask(do="train", steps=settings.steps)["seconds"])
        log(f"timed {settings.rounds} rounds of {settings.steps} training steps each")
        infer = {w.name: [] for w in workers}
        for _ in range(settings.inference_rounds):
            for w in workers:
                infer[w.name].append(w.ask(do="infer")["seconds"])
        for w in workers:
            rows[w.name].update(w.ask(do="memory"))
            rows[w.name].update(w.ask(do="layers"))
        log("timed the test set and each layer")
        for w in workers:
            rows[w.name].update(w.ask(do="accuracy"))
        log(
            "test accuracies: "
            + ", ".join(
                f"{_LABELS[n]} {r['test_accuracy']:.2%}" for n, r in rows.items()
            )
        )
    finally:
        for w in workers:
            w.close()
    n_test = 1000 if quick else 10_000
    for name, row in rows.items():
        images = settings.steps * recipe.batch_size
        row["train_rounds_seconds"] = train[name]
        row["train_images_per_second"] = images / statistics.median(train[name])
        row["step_ms"] = 1e3 * statistics.median(train[name]) / settings.steps
        row["inference_images_per_second"] = n_test / statistics.median(infer[name])
        result["implementations"][name] = {key: row[key] for key in FIELDS}
    result["test_images"] = n_test
    result["load"]["after"] = machine.load()
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def format_table(result: dict[str, Any]) -> str:
    """The result as a plain-text table, one column per implementation."""
    names = [n for n in IMPLEMENTATIONS if n in result["implementations"]]
    rows = result["implementations"]
    lines = [f"{'':28s}" + "".join(f"{rows[n]['label']:>14s}" for n in names)]

    def line(label: str, text: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"{label:28s}" + "".join(f"{text(rows[n]):>14s}" for n in names))

    line("device", lambda r: r["device"])
    line("training images/s", lambda r: f"{r['train_images_per_second']:,.0f}")
    line("  ms per training step", lambda r: f"{r['step_ms']:.1f}")
    line("inference images/s", lambda r: f"{r['inference_images_per_second']:,.0f}")
    line("peak memory (MiB)", lambda r: f"{r['peak_memory_mib']:,.0f}")
    line("test accuracy", lambda r: f"{r['test_accuracy']:.2%}")
    for layer in lenet5.LAYER_NAMES:
        line(
            f"  {layer} ms (fwd+bwd)",
            lambda r, layer=layer: f"{r['layer_ms'][layer]:.2f}",
        )
    load = result.get("load", {}).get("before", {}).get("load_average")
    lines.append(
        f"batch {result['batch_size']}, {result['mode']} mode, "
        f"{result['machine']['cores']} CPUs, load average before "
        f"{load[0] if load else 'unknown'}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=IMPLEMENTATIONS)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true")
    group.add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    if args.worker is None:
        parser.error("run benchmarks/bench_frameworks.py; --worker is for its workers")
    return _worker(args.worker, quick=args.quick)


if __name__ == "__main__":
    sys.exit(main())
