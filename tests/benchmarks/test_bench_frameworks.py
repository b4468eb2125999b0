"""The framework benchmark: one quick run writes every field, each plausible.

This spawns one worker process per implementation (imports torch and
TensorFlow), so it takes some seconds; it checks that the measurement works
and reports sensible values, not how fast anything is. The accuracy comes
from the run cache when the chapters filled it (as in ``make test``), else
the workers train the quick recipe first.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from lenet_common import lenet5
from lenet_common.comparison import framework_costs
from tests.conftest import ROOT

pytest.importorskip("torch")
pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    path = folder / "frameworks.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_frameworks.py"),
            "--quick",
            "--json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(path.read_text()), done.stdout


def test_every_field_is_there_for_every_implementation(result):
    data, _ = result
    assert (
        data["mode"] == "quick"
        and data["batch_size"] == lenet5.book_recipe(True).batch_size
    )
    assert set(data["implementations"]) == set(framework_costs.IMPLEMENTATIONS)
    for name, row in data["implementations"].items():
        assert set(row) == set(framework_costs.FIELDS), name
        assert set(row["layer_ms"]) == set(lenet5.LAYER_NAMES), name


def test_the_values_are_plausible(result):
    data, _ = result
    settings = framework_costs.settings_for(True)
    for name, row in data["implementations"].items():
        assert 10 < row["train_images_per_second"] < 1e7, name
        assert (
            row["inference_images_per_second"] > row["train_images_per_second"] / 10
        ), name
        assert len(row["train_rounds_seconds"]) == settings.rounds
        assert math.isclose(
            row["step_ms"] * settings.steps / 1e3,
            sorted(row["train_rounds_seconds"])[settings.rounds // 2],
        )
        assert 50 < row["peak_memory_mib"] < 20_000, name
        assert 0.5 < row["test_accuracy"] <= 1.0, name  # the quick recipe on the sample
        assert row["accuracy_source"] in ("trained here", "read from the run cache")
        assert all(0 < ms < 10_000 for ms in row["layer_ms"].values()), name
        assert row["device"] and row["versions"]["numpy"]
    assert data["implementations"]["torch"]["device"] in ("cpu", "cuda", "mps")
    assert data["implementations"]["keras"]["device"] in ("/CPU:0", "/GPU:0")


def test_the_table_names_each_implementation(result):
    data, stdout = result
    table = framework_costs.format_table(data)
    assert table in stdout
    for label in ("NumPy", "PyTorch", "Keras", "training images/s", "peak memory"):
        assert label in table


def test_unknown_implementations_are_refused():
    with pytest.raises(ValueError, match="unknown implementations"):
        framework_costs.measure(quick=True, implementations=["jax"])
