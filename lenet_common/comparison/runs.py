"""Finished training runs, kept so that a later chapter need not train again.

The NumPy, Keras and PyTorch chapters each train the book's LeNet-5 with
the book's recipe, and the side-by-side chapter compares those three runs.
Training them again there would double the time the book takes to build,
so each chapter stores its finished run (final weights, history, seconds)
in a small cache, and the side-by-side chapter reads it back, training
itself only when a run is not there (when it runs alone, in Colab say).

A run's key is a hash of all that decides its result: the implementation,
the recipe, the device, the training and validation data (their bytes),
the sources that train it and the versions of the libraries. Change any
of them and the key changes, so a stale run is never served. A run is one
``.npz`` file of plain arrays (never a pickle), written atomically
(:func:`lenet_common.plumbing.atomic.replacing`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lenet_common import lenet5
from lenet_common.comparison import registry
from lenet_common.plumbing.atomic import replacing

__all__ = [
    "FinishedRun",
    "run_key",
    "runs_folder",
    "store",
    "load",
    "record",
    "obtain",
]

FORMAT = "lenet5-run-v1"
KEEP = 24  # finished runs kept in the cache; older ones are removed

#: What a training function returns: final weights, history, seconds.
Trained = tuple[dict[str, np.ndarray], dict[str, list[float]], float]


@dataclass
class FinishedRun:
    """One training run of the book's LeNet-5: its final weights and how it went."""

    implementation: str  # a name in the registry
    params: dict[str, np.ndarray]  # the book's names and (NumPy) layout
    history: dict[str, list[float]]  # per epoch: loss, accuracy, val_loss, val_accuracy
    seconds: float  # wall-clock time of the training
    device: str
    recipe: dict[str, Any]
    trained_by: str  # who trained it, e.g. "the NumPy chapter"
    trained_at: str  # when, UTC, ISO 8601
    origin: str = field(default="trained here")  # or "read from the run cache"

    def describe(self) -> str:
        """One line: where this run comes from."""
        when = self.trained_at.replace("T", " ")[:16]
        took = f"{self.seconds:.0f} s on {self.device}"
        if self.origin == "trained here":
            return f"{self.implementation}: trained here ({took})"
        return (
            f"{self.implementation}: read from the run cache "
            f"(trained by {self.trained_by} on {when} UTC in {took})"
        )


def _hash_arrays(digest: Any, *arrays: np.ndarray) -> None:
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.size}".encode())
        digest.update(memoryview(array.reshape(-1)).cast("B"))


#: The modules every run's result depends on, besides its implementation's own.
SHARED_MODULES = (
    "lenet_common.lenet5",
    "lenet_common.runtime",
    "lenet_common.data",
    "lenet_common.comparison.runs",
    "lenet_common.comparison.side_by_side",
)


def _code_digest(implementation: str) -> str:
    """A hash of the sources that decide ``implementation``'s training.

    The modules come from the registry (and :data:`SHARED_MODULES`), each file
    hashed under its module's name: a moved or renamed file changes the key,
    and a module that is gone is an error, never a key of no code.
    """
    digest = hashlib.sha256()
    for module in (*SHARED_MODULES, registry.get(implementation).module):
        for path in registry.source_files(module):
            digest.update(f"{module}:{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def run_key(implementation: str, recipe: lenet5.Recipe, data: Any, device: str) -> str:
    """The cache key of a run: a hash of everything that decides its result.

    ``data`` is a :class:`lenet_common.data.LeNetData`; its layout does not
    matter (one-channel NCHW and NHWC images hold the same bytes).
    """
    digest = hashlib.sha256()
    meta = {
        "format": FORMAT,
        "implementation": implementation,
        "recipe": recipe.as_dict(),
        "device": str(device),
        "versions": registry.get(implementation).versions(),
        "code": _code_digest(implementation),
        "data": [data.dataset, data.source, data.normalization],
    }
    digest.update(json.dumps(meta, sort_keys=True).encode())
    _hash_arrays(digest, data.x_train, data.y_train, data.x_val, data.y_val)
    return f"{implementation}-{digest.hexdigest()[:32]}"


def runs_folder() -> Path:
    """Where finished runs are kept: ``runs/`` in the package's cache folder."""
    from lenet_common.data import cache_dir

    return cache_dir() / "runs"


def store(run: FinishedRun, key: str) -> Path:
    """Write ``run`` under ``key`` atomically, prune old runs; return the path."""
    lenet5.check_params(run.params, what=f"the weights of the {run.implementation} run")
    folder = runs_folder()
    folder.mkdir(parents=True, exist_ok=True)
    kept = (
        "implementation",
        "history",
        "seconds",
        "device",
        "recipe",
        "trained_by",
        "trained_at",
    )
    meta = {k: getattr(run, k) for k in kept}
    path = folder / f"{key}.npz"
    with replacing(path) as part:  # atomic: a run is whole, or the old one stays
        np.savez(
            part,
            __format__=np.array(FORMAT),
            __meta__=np.array(json.dumps(meta)),
            **run.params,
        )
    _prune(folder)
    return path


def _prune(folder: Path) -> None:
    runs = sorted(
        folder.glob("[!.]*.npz"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in runs[KEEP:]:
        old.unlink(missing_ok=True)


def load(key: str) -> FinishedRun | None:
    """The run stored under ``key``, or None when there is none or it cannot be read."""
    path = runs_folder() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        if str(arrays.pop("__format__")) != FORMAT:
            return None
        meta = json.loads(str(arrays.pop("__meta__")))
        lenet5.check_params(arrays)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # absent, half-copied by hand, or of another format: train again
    return FinishedRun(params=arrays, origin="read from the run cache", **meta)


def record(
    implementation: str,
    recipe: lenet5.Recipe,
    data: Any,
    device: str,
    *,
    params: dict[str, np.ndarray],
    history: dict[str, list[float]],
    seconds: float,
    trained_by: str,
    key: str | None = None,
) -> FinishedRun:
    """Keep a run just trained (by a chapter) for later readers; return it.

    ``key`` is the run's :func:`run_key`, computed here unless given (a
    caller that computed it before training passes it on).
    """
    run = FinishedRun(
        implementation=implementation,
        params={k: np.asarray(v) for k, v in params.items()},
        history={k: [float(v) for v in values] for k, values in history.items()},
        seconds=float(seconds),
        device=str(device),
        recipe=recipe.as_dict(),
        trained_by=trained_by,
        trained_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    store(run, key or run_key(implementation, recipe, data, device))
    return run


def obtain(
    implementation: str,
    recipe: lenet5.Recipe,
    data: Any,
    device: str,
    train: Callable[[], Trained],
    trained_by: str = "the side-by-side chapter",
) -> FinishedRun:
    """The finished run for these inputs: from the cache, or trained now and kept.

    ``train()`` runs the training and returns ``(params, history, seconds)``;
    it is called only when the cache holds no such run.
    """
    key = run_key(implementation, recipe, data, device)  # of the code that trains
    cached = load(key)
    if cached is not None:
        return cached
    params, history, seconds = train()
    return record(
        implementation,
        recipe,
        data,
        device,
        params=params,
        history=history,
        seconds=seconds,
        trained_by=trained_by,
        key=key,
    )
