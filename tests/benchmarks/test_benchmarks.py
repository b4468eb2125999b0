"""The benchmark scripts run (tiny settings here: they are not timed in tests) and write
JSON with every field the chapters read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str, timeout: int = 600) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_numpy_vs_torch_writes_every_field(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "bench.json"
    printed = _run(
        "bench_numpy_vs_torch.py",
        "--rounds",
        "1",
        "--steps",
        "2",
        "--batch-size",
        "32",
        "--json",
        str(out),
    )
    result = json.loads(out.read_text())
    assert "NumPy / PyTorch" in printed and "written" in printed
    assert set(result["variants"]) == {
        "taught",
        "taught_1thread",
        "batch_last_fresh",
        "batch_last",
        "numpy",
        "pytorch",
        "pytorch_channels_last",
    }
    for v in result["variants"].values():
        assert v["label"] and v["images_per_second"]["median"] > 0
        assert v["cpu_ms_per_step"] > 0 and v["page_faults_per_step"] >= 0
    assert result["ratio_numpy_to_pytorch"]["median_of_rounds"] > 0
    assert result["ratio_numpy_to_pytorch_channels_last"]["median_of_rounds"] > 0
    assert set(result["layer_ms_per_step"]) >= {
        "c1",
        "s2",
        "c3",
        "s4",
        "c5",
        "f6",
        "rest",
    }
    assert all(mib > 0 for mib in result["step_memory_mib"].values())
    assert (
        result["machine"]["cores"] >= 1 and "load_average" in result["load"]["before"]
    )


def test_gpu_bench_measures_what_the_cpu_can_and_says_what_it_skipped(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "gpu.json"
    _run(
        "bench_gpu.py",
        "--batch-sizes",
        "16",
        "--modes",
        "eager",
        "graph",
        "--steps",
        "2",
        "--rounds",
        "1",
        "--json",
        str(out),
    )
    result = json.loads(out.read_text())
    row = result["details"]["16"]
    assert (
        row["eager"]["status"] == "measured" and row["eager"]["seconds_per_epoch"] > 0
    )
    assert row["graph"] == {
        "status": "skipped",
        "why": "needs an NVIDIA GPU (CUDA graphs)",
    }
    assert result["seconds_per_epoch"]["16"]["graph"] is None
    assert result["launches_per_eager_step"]["operations"] > 10
    assert result["machine"]["device"] == "cpu"


@pytest.mark.kernels  # bench_build runs a chapter in a kernel
def test_build_bench_times_each_cell(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.3)"),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "build.json"
    _run("bench_build.py", str(path), "--quick", "--json", str(out))
    chapter = next(iter(json.loads(out.read_text())["chapters"].values()))
    assert [c["index"] for c in chapter["cells"]] == [0, 1]
    assert chapter["cells"][1]["seconds"] >= 0.3
    assert json.loads(path.read_text())["cells"][0]["outputs"] == []  # left clean


def test_lenet1998_speed_times_both_ways_of_each_comparison(tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "speed.json"
    printed = _run(
        "bench_lenet1998_speed.py",
        "--images",
        "256",
        "--rounds",
        "1",
        "--json",
        str(out),
    )
    result = json.loads(out.read_text())
    assert result["benchmark"] == "lenet1998_speed" and result["images"] == 256
    for part, ways in (
        ("memory_format", {"default (N, C, H, W)", "channels-last"}),
        ("two_runs", {"one after the other", "together"}),
    ):
        assert set(result[part]["median_seconds"]) == ways
        assert all(s > 0 for s in result[part]["median_seconds"].values())
        assert (
            result[part]["speedup"] > 0 and len(result[part]["speedup_per_round"]) == 1
        )
    assert "speed-up" in printed


def test_lenet1998_speed_refuses_settings_it_cannot_time():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_lenet1998_speed.py"),
            "--rounds",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2 and "--rounds >= 1" in done.stderr
