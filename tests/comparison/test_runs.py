"""The cache of finished training runs (lenet_common.comparison.runs)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from lenet_common import lenet5
from lenet_common.comparison import runs
from lenet_common.data import load_lenet_data


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path))
    return tmp_path / "runs"


@pytest.fixture(scope="module")
def data():
    return load_lenet_data(quick=True)


RECIPE = lenet5.Recipe(epochs=1, batch_size=64, learning_rate=0.05)


def fake_training(calls):
    def train():
        calls.append(1)
        return lenet5.initial_params(0), {"loss": [1.0], "val_accuracy": [0.5]}, 2.5

    return train


def test_a_run_is_trained_once_then_read_back(cache, data):
    calls = []
    first = runs.obtain("numpy", RECIPE, data, "cpu", fake_training(calls))
    second = runs.obtain("numpy", RECIPE, data, "cpu", fake_training(calls))
    assert calls == [1]
    assert first.origin == "trained here" and second.origin == "read from the run cache"
    assert (
        "read from the run cache" in second.describe()
        and "trained here" in first.describe()
    )
    assert second.history == first.history and second.seconds == 2.5
    assert second.recipe == RECIPE.as_dict()
    for name, value in first.params.items():
        np.testing.assert_array_equal(second.params[name], value)
    assert [p.name for p in cache.iterdir()] == [
        f"{runs.run_key('numpy', RECIPE, data, 'cpu')}.npz"
    ]


def test_the_key_changes_with_every_input(data):
    key = runs.run_key("numpy", RECIPE, data, "cpu")
    assert key == runs.run_key("numpy", RECIPE, data, "cpu")
    other_data = dataclasses.replace(data, y_train=data.y_train[::-1].copy())
    nhwc = dataclasses.replace(
        data,
        x_train=data.x_train.transpose(0, 2, 3, 1).copy(),
        x_val=data.x_val.transpose(0, 2, 3, 1).copy(),
    )
    assert runs.run_key("numpy", RECIPE, nhwc, "cpu") == key  # same bytes, other layout
    others = {
        runs.run_key("numpy", dataclasses.replace(RECIPE, seed=1), data, "cpu"),
        runs.run_key("numpy", dataclasses.replace(RECIPE, epochs=2), data, "cpu"),
        runs.run_key("numpy", RECIPE, other_data, "cpu"),
        runs.run_key("numpy", RECIPE, data, "cuda"),
    }
    assert key not in others and len(others) == 4
    with pytest.raises(ValueError, match="unknown implementation"):
        runs.run_key("jax", RECIPE, data, "cpu")


def test_a_damaged_or_foreign_file_means_train_again(cache, data):
    calls = []
    runs.obtain("numpy", RECIPE, data, "cpu", fake_training(calls))
    path = cache / f"{runs.run_key('numpy', RECIPE, data, 'cpu')}.npz"
    path.write_bytes(path.read_bytes()[:100])
    assert runs.load(path.stem) is None
    again = runs.obtain("numpy", RECIPE, data, "cpu", fake_training(calls))
    assert calls == [1, 1] and again.origin == "trained here"
    np.savez(path, a=np.zeros(2))
    assert runs.load(path.stem) is None


def test_a_failed_write_keeps_the_old_run_and_leaves_nothing_behind(
    cache, data, monkeypatch
):
    calls = []
    runs.obtain("numpy", RECIPE, data, "cpu", fake_training(calls))
    path = cache / f"{runs.run_key('numpy', RECIPE, data, 'cpu')}.npz"
    before = path.read_bytes()

    def broken_savez(file, **arrays):
        Path(file).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(runs.np, "savez", broken_savez)
    run = runs.load(path.stem)
    with pytest.raises(OSError, match="disk full"):
        runs.store(run, path.stem)
    assert path.read_bytes() == before
    assert [p.name for p in cache.iterdir()] == [path.name]


def test_old_runs_are_pruned(cache, data):
    run = runs.record(
        "numpy",
        RECIPE,
        data,
        "cpu",
        params=lenet5.initial_params(0),
        history={"loss": [1.0]},
        seconds=1.0,
        trained_by="a test",
    )
    for i in range(runs.KEEP + 3):
        path = runs.store(run, f"numpy-{i:04d}")
        os.utime(path, (i, i))
    kept = sorted(p.stem for p in cache.glob("*.npz"))
    assert len(kept) == runs.KEEP and "numpy-0000" not in kept
    assert f"numpy-{runs.KEEP + 2:04d}" in kept


def test_a_run_with_wrong_weights_is_refused(cache, data):
    params = lenet5.initial_params(0)
    params["c1.weight"] = params["c1.weight"][:3]
    with pytest.raises(ValueError, match="c1.weight has shape"):
        runs.record(
            "numpy",
            RECIPE,
            data,
            "cpu",
            params=params,
            history={},
            seconds=0.0,
            trained_by="a test",
        )


def test_the_key_reads_the_sources_that_train_each_implementation():
    from lenet_common.comparison import registry

    for module in (*runs.SHARED_MODULES, *(i.module for i in registry.IMPLEMENTATIONS)):
        assert registry.source_files(module), f"{module} has no source file"
    digests = {name: runs._code_digest(name) for name in registry.NAMES}
    assert len(set(digests.values())) == len(registry.NAMES)


def test_a_module_the_registry_names_must_exist():
    """A moved module is an error, never a key of no code that keeps stale runs."""
    from lenet_common.comparison import registry

    with pytest.raises(ModuleNotFoundError, match="registry"):
        registry.source_files("lenet_common.no_such_module")
