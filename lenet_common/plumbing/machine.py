"""The machine a measurement ran on, and how busy it was: one record, one spelling.

Every stored result has ``"machine": machine()`` and ``"load": {"before":
load(), "after": load()}``, so a chapter reads them the same way in each.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from typing import Any

__all__ = ["machine", "machine_slug", "load", "load_average", "load_record"]


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


def load_record(
    before: dict[str, Any], after: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``{"before": ..., "after": ...}``: the machine's :func:`load` around a run."""
    return {"before": before, "after": load() if after is None else after}
