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
        (["--merge", "a.json"], "two result files or more"),
    ],
)
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        _script().main(argv)
    assert message in capsys.readouterr().err


def _part(seeds, frameworks=("numpy",), date="2026-12-01T01:00:00"):
    runs = [
        {"seed": s, "test_accuracy": 0.99 + s / 1000, "seconds": 1.0} for s in seeds
    ]
    return {
        "benchmark": "accuracy_spread",
        "what": "test accuracy",
        "command": f"python benchmarks/bench_accuracy_spread.py --seeds {seeds}",
        "date": date,
        "machine": {"cpu": "AMD EPYC", "cores": 2},
        "load": {"before": {"load_average": [1.0, 1.0, 1.0], "uptime": ""}},
        "data": {"source": "full", "test": 10_000},
        "recipe": {"epochs": 12},
        "seeds": list(seeds),
        "frameworks": {
            f: {"versions": {"numpy": "2"}, "runs": runs} for f in frameworks
        },
    }


def test_merge_joins_the_seeds_of_several_processes(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_part([0], ("numpy", "torch"))))
    b.write_text(json.dumps(_part([2, 1], ("torch",), date="2026-12-01T01:05:00")))
    out = tmp_path / "merged.json"
    _script().main(["--merge", str(a), str(b), "--json", str(out)])
    merged = json.loads(out.read_text())
    torch = merged["frameworks"]["torch"]
    assert [r["seed"] for r in torch["runs"]] == [0, 1, 2]
    assert merged["seeds"] == [0, 1, 2]
    assert torch["min"] == 0.99 and torch["max"] == 0.992
    assert [r["seed"] for r in merged["frameworks"]["numpy"]["runs"]] == [0]
    assert [(p["numpy"], p["torch"]) for p in merged["parts"][:1]] == [([0], [0])]
    assert merged["parts"][1]["torch"] == [2, 1] and "numpy" not in merged["parts"][1]
    assert [p["date"] for p in merged["parts"]] == [
        "2026-12-01T01:00:00",
        "2026-12-01T01:05:00",
    ]


def test_merge_refuses_a_seed_twice_or_another_machine():
    script = _script()
    with pytest.raises(ValueError, match=r"seed\(s\) \[1\] in two parts"):
        script.merge([_part([0, 1]), _part([1, 2])])
    other = _part([3]) | {"machine": {"cpu": "Apple M2", "cores": 8}}
    with pytest.raises(ValueError, match="'machine' differ"):
        script.merge([_part([0]), other])
