"""Stored benchmark results: the figures the book quotes, with the machine and date.

The scripts in ``benchmarks/`` print a table and write a JSON file. A run
worth quoting is kept here, in ``lenet_common/results/``, named
``<benchmark>-<machine>-<date>.json``: it travels with the package (so a
chapter opened in Colab finds it too), and a chapter quotes the newest one
of a benchmark with the machine and date it came from, never a number typed
into the text.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any, Callable

from lenet_common.plumbing.atomic import replacing

__all__ = [
    "RESULTS_DIR",
    "machine",
    "machine_slug",
    "result_path",
    "write",
    "latest",
    "stored",
]

#: Where the package keeps the results the book quotes.
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def machine() -> dict[str, Any]:
    """What a measurement depends on: CPU, cores, OS, Python and NumPy's BLAS."""
    import numpy as np

    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": _cores(),
        "system": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
        if blas:
            info["blas"] = f"{blas[0].get('internal_api')} {blas[0].get('version')}"
    except ImportError:
        pass
    return info


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (None where the system has none)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def load() -> dict[str, Any]:
    """The load average and ``uptime``'s line: how busy the machine was while
    a benchmark ran (stored with its result, since these machines are shared)."""
    averages = load_average()
    try:
        line = subprocess.run(
            ["uptime"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        line = ""
    return {"load_average": averages, "uptime": line}


def machine_slug(info: dict[str, Any] | None = None) -> str:
    """A short file-name-safe name of the machine, e.g. ``2cpu-amd-epyc``."""
    info = info or machine()
    words = re.sub(r"\(.*?\)|processor|\d+-core|cpu", " ", info["cpu"].lower())
    name = "-".join(re.findall(r"[a-z0-9]+", words)[:3]) or "unknown"
    return f"{info['cores']}cpu-{name}"


def result_path(
    benchmark: str,
    info: dict[str, Any] | None = None,
    date: str | None = None,
    folder: Path | None = None,
    name: str | None = None,
) -> Path:
    """``<folder>/<benchmark>-<machine>-<date>.json`` (today's date by default).

    ``name`` replaces the machine's name made from ``info`` (e.g. a GPU's).
    """
    date = date or _dt.date.today().isoformat()
    slug = (
        "-".join(re.findall(r"[a-z0-9]+", name.lower())) if name else machine_slug(info)
    )
    return (folder or RESULTS_DIR) / f"{benchmark}-{slug}-{date}.json"


def write(path: str | Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as JSON, whole or not at all (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as part:
        part.write_text(json.dumps(result, indent=1) + "\n")
    return path


def stored(benchmark: str, folder: Path | None = None) -> list[Path]:
    """The stored results of ``benchmark``, oldest first (by the date in the name)."""
    folder = folder or RESULTS_DIR
    pattern = re.compile(rf"{re.escape(benchmark)}-.+-(\d{{4}}-\d{{2}}-\d{{2}})\.json")
    found = [
        (m.group(1), p.name, p)
        for p in folder.glob(f"{benchmark}-*.json")
        if (m := pattern.fullmatch(p.name))
    ]
    return [p for _, _, p in sorted(found)]


def latest(
    benchmark: str,
    folder: Path | None = None,
    where: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The newest stored result of ``benchmark`` (for which ``where(result)`` holds),
    with ``"file"`` set to its file's name."""
    for path in reversed(stored(benchmark, folder)):
        result = json.loads(path.read_text())
        if where is None or where(result):
            result["file"] = path.name
            return result
    # the package's own folder by its name in the repository: a chapter prints this
    # message, and the book must not show the path of the machine that built it
    place = folder or "lenet_common/results/"
    raise FileNotFoundError(
        f"no stored result of {benchmark!r}{' that fits' if where else ''} in "
        f"{place}: run benchmarks/bench_{benchmark}.py with --store"
    )
