"""Check a built book before it is published.

    python scripts/check_book.py _build/html --mode full [--no-solutions]
                                 [--toc student/_toc.yml]

Fails when a chapter page shows that it ran in quick mode (a quick-mode result
must never be published as the book's), when a chapter page is missing, when
an image has no alt text that says what it shows (none, an empty one, or a
file name: see ``lenet_common.plotting.describe``), or, with --no-solutions,
when a solution is still on a page: a solution box, or any run of words from
a solution of the chapter's notebook in book/.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml

from lenet_common.plumbing.notebooks import leaked, solution_shingles

ROOT = Path(__file__).resolve().parents[1]


def chapters(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    toc = yaml.safe_load(toc_path.read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


class _Reader(HTMLParser):
    """Collect a page's readable text, skipping scripts, styles and, if asked, cell
    outputs."""

    SKIP = {"script", "style"}

    def __init__(self, skip_outputs: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_outputs, self.depth, self.skipping, self.parts = (
            skip_outputs,
            0,
            0,
            [],
        )

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"br", "img", "hr", "meta", "link", "input", "wbr"}:
            return  # void elements have no end tag
        self.depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if not self.skipping and (
            tag in self.SKIP or (self.skip_outputs and "cell_output" in classes)
        ):
            self.skipping = self.depth

    def handle_endtag(self, tag: str) -> None:
        if tag in {"br", "img", "hr", "meta", "link", "input", "wbr"}:
            return
        if self.skipping == self.depth:
            self.skipping = 0
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(page_html: str, skip_outputs: bool = False) -> str:
    """What a reader can read on a page (no scripts or styles; no cell outputs if
    asked)."""
    reader = _Reader(skip_outputs)
    reader.feed(page_html)
    return " ".join(reader.parts)


_FILE_NAME = re.compile(
    r"^\S*\.(?:png|jpe?g|gif|svg|webp|pdf)$|^[0-9a-f]{16,}$", re.IGNORECASE
)


def alt_problem(src: str, alt: str | None) -> str | None:
    """What is wrong with an image's alt text, or None: a figure's alt text says
    what it shows, so it is neither missing, nor empty, nor a file name (what
    docutils writes when a figure has none)."""
    if alt is None:
        return "no alt text"
    text = alt.strip()
    if not text:
        return "an empty alt text"
    if _FILE_NAME.match(text) or text == src.rsplit("/", 1)[-1]:
        return f"a file name for alt text ({text!r})"
    return None


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "img":
            a = dict(attrs)
            self.images.append((a.get("src") or "", a.get("alt")))


def images_without_alt(page_html: str) -> list[str]:
    """``src: what is wrong`` for every image of the page without a proper alt text."""
    reader = _Images()
    reader.feed(page_html)
    return [
        f"{src.rsplit('/', 1)[-1]}: {why}"
        for src, alt in reader.images
        if (why := alt_problem(src, alt))
    ]


def solution_leaks(
    chapter: str, page_html: str, book: Path = ROOT / "book"
) -> list[str]:
    """Runs of words from the solutions of ``chapter``'s notebook that the page shows.

    Cell outputs are left out: they show what the student notebook's own cells
    printed (for example the library's reference code, through show_source),
    and the student notebooks' cells are checked for solutions by the tests.
    """
    source = book / f"{Path(chapter).name}.ipynb"
    if not source.is_file():
        return []
    nb = json.loads(source.read_text(encoding="utf-8"))
    return leaked(solution_shingles(nb), page_text(page_html, skip_outputs=True))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("html", type=Path)
    parser.add_argument("--mode", choices=["full", "quick"], required=True)
    parser.add_argument("--no-solutions", action="store_true")
    parser.add_argument(
        "--toc",
        type=Path,
        default=ROOT / "_toc.yml",
        help="the table of contents the book was built from",
    )
    args = parser.parse_args()
    problems = []
    pages = chapters(args.toc)
    for chapter in pages:
        page = args.html / f"{chapter}.html"
        if not page.is_file():
            problems.append(f"{page}: missing")
            continue
        text = page.read_text(encoding="utf-8")
        if args.mode == "full" and "Mode: QUICK" in text:
            problems.append(
                f"{page}: shows quick-mode results (LENET_QUICK was set when it ran)"
            )
        for image in images_without_alt(text):
            problems.append(f"{page}: image {image}")
        if args.no_solutions and 'class="solution' in text:
            problems.append(f"{page}: still shows a solution")
        elif args.no_solutions and (leaks := solution_leaks(chapter, text)):
            problems.append(
                f"{page}: shows {len(leaks)} runs of solution words, e.g. {leaks[0]!r}"
            )
    for p in problems:
        print("check_book:", p, file=sys.stderr)
    if not problems:
        print(
            f"check_book: {len(pages)} pages checked ({args.mode} mode) in {args.html}"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
