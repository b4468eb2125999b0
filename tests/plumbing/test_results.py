"""Stored benchmark results (lenet_common.plumbing.results) and their figures."""

from __future__ import annotations

import json
import re

import matplotlib
import pytest

matplotlib.use("Agg")

from lenet_common.comparison import speed_plots
from lenet_common.plumbing import results  # noqa: E402


def test_result_path_holds_benchmark_machine_and_date(tmp_path):
    path = results.result_path(
        "demo", {"cpu": "AMD EPYC", "cores": 2}, date="2026-01-02", folder=tmp_path
    )
    assert path == tmp_path / "demo-2cpu-amd-epyc-2026-01-02.json"
    named = results.result_path(
        "gpu", name="NVIDIA H100 80GB HBM3", date="2026-01-02", folder=tmp_path
    )
    assert named.name == "gpu-nvidia-h100-80gb-hbm3-2026-01-02.json"


def test_latest_picks_the_newest_that_fits(tmp_path):
    for date, device in (
        ("2025-12-31", "cuda"),
        ("2026-02-01", "cpu"),
        ("2026-01-15", "cuda"),
    ):
        results.write(
            tmp_path / f"demo-x-{date}.json",
            {"machine": {"device": device}, "date": date},
        )
    (tmp_path / "demo-notes.json").write_text("{}")  # no date in the name: not a result
    assert results.latest("demo", tmp_path)["date"] == "2026-02-01"
    on_gpu = results.latest(
        "demo", tmp_path, where=lambda r: r["machine"]["device"] == "cuda"
    )
    assert on_gpu["date"] == "2026-01-15" and on_gpu["file"] == "demo-x-2026-01-15.json"
    with pytest.raises(FileNotFoundError, match="bench_other.py"):
        results.latest("other", tmp_path)


def test_no_stored_result_names_the_package_folder_not_this_machines_path():
    """A chapter prints this message: the book must not show where it was built."""
    with pytest.raises(FileNotFoundError) as missing:
        results.latest("no-such-benchmark", where=lambda r: True)
    message = str(missing.value)
    assert (
        "in lenet_common/results/: run benchmarks/bench_no-such-benchmark.py" in message
    )
    assert str(results.RESULTS_DIR) not in message


def test_write_leaves_no_partial_file_behind(tmp_path):
    path = tmp_path / "r.json"
    results.write(path, {"a": 1})
    with pytest.raises(TypeError):
        results.write(path, {"a": object()})  # not JSON: the old file stays whole
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_every_stored_result_says_where_and_when_it_comes_from():
    files = sorted(results.RESULTS_DIR.glob("*.json"))
    assert files, "the package ships the results the chapters quote"
    for path in files:
        result = json.loads(path.read_text())
        assert result["benchmark"] and result["machine"], path.name
        assert result.get("date") or result.get("stored"), path.name
        assert path in results.stored(result["benchmark"]), path.name


def test_the_stored_gpu_result_names_its_date_gpu_and_versions():
    """What the PyTorch chapter prints about the GPU figures: when, on what, with what."""
    result = results.latest("gpu", where=lambda r: r["machine"].get("device") == "cuda")
    machine = result["machine"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d(T.*)?", result["date"] or "")
    assert result["file"].endswith(
        f"-{result['date'][:10]}.json"
    )  # the name has its date
    line = speed_plots.source_line(result)
    for fact in (
        machine["gpu"],
        f"torch {machine['torch']}",
        f"CUDA {machine['cuda']}",
        result["date"],
    ):
        assert fact in line, (fact, line)
    # the page shows the source too: no project-internal provenance in it
    shown = line + " " + result.get("source", "")
    for internal in (
        "issue",
        "by hand",
        "date not recorded",
        "no date",
        "steering",
        "/work/",
    ):
        assert internal not in shown.lower(), internal


def test_gpu_figure_draws_one_line_per_measured_mode():
    result = {
        "seconds_per_epoch": {
            "32": {"eager": 4.0, "graph": None},
            "128": {"eager": 1.0, "graph": 0.2},
        }
    }
    fig = speed_plots.plot_gpu_epochs(
        result, {"eager": "eager", "graph": "graph", "compiled": "compiled"}
    )
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["eager", "graph"]
