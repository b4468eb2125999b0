"""Where the book's build time goes: each chapter executed in a fresh kernel, by cell.

Usage:
    LENET_DATA_DIR=... python benchmarks/bench_build.py [book/03_numpy_lenet.ipynb ...]
        [--quick] [--top 8] [--json PATH | --store]

Runs each chapter top to bottom as the book build does (nbclient, a fresh
kernel, the chapter's folder as working directory), in full mode unless
``--quick``, and times each code cell and the kernel's start. Prints the
slowest cells of each chapter and the totals, and writes JSON (``--json
PATH``, or ``--store`` for ``lenet_common/results/``). The outputs are not
written back: the chapters stay clean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from lenet_common.plumbing import machine, results

ROOT = Path(__file__).resolve().parent.parent


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "chapters", nargs="*", help="notebooks (default: every chapter in _toc.yml)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="quick mode (LENET_QUICK=1)"
    )
    parser.add_argument(
        "--top", type=int, default=8, help="slowest cells to print per chapter"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--json", default=None)
    parser.add_argument("--store", action="store_true")
    return parser.parse_args(argv)


def toc_chapters() -> list[Path]:
    """The notebooks of ``_toc.yml``, in reading order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for entry in toc.get("chapters", [])]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


class TimedClient(NotebookClient):
    """An nbclient that notes how long each code cell takes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cell_seconds: list[tuple[int, float, str]] = []

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        start = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            if cell.cell_type == "code":
                first = next(
                    (
                        line
                        for line in cell.source.splitlines()
                        if line.strip() and not line.startswith("#")
                    ),
                    "",
                )
                self.cell_seconds.append(
                    (cell_index, time.perf_counter() - start, first[:70])
                )


def run_chapter(path: Path, timeout: int) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    client = TimedClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    cells = sum(s for _, s, _ in client.cell_seconds)
    return {
        "seconds": total,
        "kernel_and_overhead_seconds": total - cells,
        "cells": [
            {"index": i, "seconds": s, "first_line": line}
            for i, s, line in client.cell_seconds
        ],
    }


def load() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.environ["LENET_QUICK"] = "1" if args.quick else "0"
    chapters = [Path(c).resolve() for c in args.chapters] or toc_chapters()
    before = load()
    print(f"{'quick' if args.quick else 'full'} mode; before: {before}", flush=True)
    timings = {}
    for path in chapters:
        name = (
            path.relative_to(ROOT).as_posix()
            if path.is_relative_to(ROOT)
            else str(path)
        )
        timings[name] = run_chapter(path, args.timeout)
        t = timings[name]
        print(
            f"\n{name}: {t['seconds']:.0f} s (kernel start and overhead "
            f"{t['kernel_and_overhead_seconds']:.0f} s); slowest cells:",
            flush=True,
        )
        for cell in sorted(t["cells"], key=lambda c: -c["seconds"])[: args.top]:
            print(
                f"  [{cell['index']:3d}] {cell['seconds']:7.1f} s  {cell['first_line']}"
            )
    after = load()
    total = sum(t["seconds"] for t in timings.values())
    print(f"\ntotal: {total:.0f} s ({total / 60:.1f} min); after: {after}")
    result = {
        "benchmark": "build",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": machine.machine(),
        "load": {"before": before, "after": after},
        "total_seconds": total,
        "chapters": timings,
    }
    path = args.json or (
        results.result_path("build", machine.machine()) if args.store else None
    )
    if path:
        print(f"written: {results.write(path, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
