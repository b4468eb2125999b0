"""Check a built book before it is published.

    python scripts/check_book.py _build/html --mode full [--no-solutions]

Fails when a chapter page shows that it ran in quick mode (a quick-mode result
must never be published as the book's), when a chapter page is missing, or,
with --no-solutions, when a solution is still on a page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html", type=Path)
    parser.add_argument("--mode", choices=["full", "quick"], required=True)
    parser.add_argument("--no-solutions", action="store_true")
    args = parser.parse_args()
    problems = []
    for chapter in chapters():
        page = args.html / f"{chapter}.html"
        if not page.is_file():
            problems.append(f"{page}: missing")
            continue
        text = page.read_text(encoding="utf-8")
        if args.mode == "full" and "Mode: QUICK" in text:
            problems.append(f"{page}: shows quick-mode results (LENET_QUICK was set when it ran)")
        if args.no_solutions and 'class="solution' in text:
            problems.append(f"{page}: still shows a solution")
    for p in problems:
        print("check_book:", p, file=sys.stderr)
    if not problems:
        print(f"check_book: {len(chapters())} pages checked ({args.mode} mode) in {args.html}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
