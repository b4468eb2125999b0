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
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lenet_common.plumbing.atomic import replacing
from lenet_common.plumbing.machine import machine_slug

__all__ = [
    "RESULTS_DIR",
    "result_path",
    "write",
    "latest",
    "stored",
]

#: Where the package keeps the results the book quotes.
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"


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
