"""The accuracy-spread benchmark runs, and writes what the chapters read from it."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import ROOT


def _script():
    path = ROOT / "benchmarks" / "bench_accuracy_spread.py"
    spec = importlib.util.spec_from_file_location("bench_accuracy_spread", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_every_field(tmp_path):
    out = tmp_path / "spread.json"
    argv = ["--quick", "--frameworks", "numpy", "--seeds", "0", "1", "--json", str(out)]
    _script().main(argv)
    result = json.loads(out.read_text())
    assert result["benchmark"] == "accuracy_spread" and result["seeds"] == [0, 1]
    assert {"cpu", "cores"} <= set(result["machine"]) and result["date"]
    assert set(result["load"]) == {"before", "after"}
    numpy = result["frameworks"]["numpy"]
    accuracies = [run["test_accuracy"] for run in numpy["runs"]]
    assert [run["seed"] for run in numpy["runs"]] == [0, 1]
    assert all(0.5 < a <= 1 for a in accuracies)  # the sample: well above chance
    assert numpy["min"] == min(accuracies) and numpy["max"] == max(accuracies)
    assert numpy["min"] <= numpy["mean"] <= numpy["max"] and numpy["std"] >= 0
    assert result["recipe"] and "seed" not in result["recipe"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--seeds", "1", "1"], "distinct"),
        (["--store", "--quick"], "full-mode results only"),
    ],
)
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        _script().main(argv)
    assert message in capsys.readouterr().err
