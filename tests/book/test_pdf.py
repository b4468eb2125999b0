"""make pdf: each edition as one PDF, with every chapter, its figures, typeset
maths and a table of contents.

Printed from the quick builds that ``make test`` has just made (the book's
pages, unexecuted, and the student edition's, executed). scripts/make_pdf.py
stops with an error when a page's maths is not typeset or an image did not
load, so a PDF that comes back has passed those checks; this test then reads
the PDF with pypdf: each page of the table of contents is in it under its own
title (outline and contents page), in reading order, with no TeX left in the
text, and the figures of the executed edition are in it as images.

Without Chromium it skips, except where ``LENET_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
from pypdf import PdfReader

from tests.browser import browser_site as site
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_pdf  # noqa: E402

# prints the built pages, a minute or more each: make test-pdf, not make test
pytestmark = [pytest.mark.pages, pytest.mark.slow, pytest.mark.pdf]
REQUIRED = os.environ.get("LENET_REQUIRE_BROWSER", "").strip() == "1"


def source_title(page: str) -> str:
    """The page's title as its source writes it (a notebook's or a page's first # line)."""
    path = site.source_of(page)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    else:
        text = path.read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def _words(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("ﬁ", "fi").replace("ﬂ", "fl")).lower()


@pytest.fixture(scope="module", params=site.EDITIONS, ids=lambda e: e.name)
def printed(request, tmp_path_factory):
    ed = request.param
    reason = site.browser_missing() or (
        None if (ed.html / "index.html").is_file() else f"{ed.html} is not built"
    )
    if reason:
        if REQUIRED:
            pytest.fail(
                f"the PDF test must run here (LENET_REQUIRE_BROWSER=1): {reason}"
            )
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("pdf") / f"{ed.name}.pdf"
    make_pdf.make_pdf(ed.html, ed.toc, out)
    return ed, PdfReader(out)


def test_every_chapter_is_in_the_outline_in_reading_order(printed):
    ed, reader = printed
    pages = site.toc_pages(ed.toc)
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ["Contents"] + [
        source_title(p) for p in pages
    ]
    starts = [reader.get_destination_page_number(item) for item in top]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    # each chapter (a notebook) has its sections under its bookmark
    children = {}
    for i, item in enumerate(reader.outline):
        if isinstance(item, list):
            children[reader.outline[i - 1].title] = [
                c.title for c in item if not isinstance(c, list)
            ]
    for page in pages:
        if site.source_of(page).suffix == ".ipynb":
            assert children.get(source_title(page)), (
                f"{page}: no sections in the outline"
            )


def test_every_chapter_starts_where_the_contents_says(printed):
    _, reader = printed
    contents = _words(reader.pages[0].extract_text())
    top = [item for item in reader.outline if not isinstance(item, list)][1:]
    for item in top:
        first = reader.get_destination_page_number(item)
        assert _words(item.title + str(first + 1)) in contents, (
            f"{item.title} not in contents"
        )
        assert _words(item.title) in _words(reader.pages[first].extract_text()), (
            f"{item.title} is not on its first page ({first + 1})"
        )


def test_the_maths_is_typeset_and_the_figures_are_there(printed):
    ed, reader = printed
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not re.search(r"\\(frac|begin\{|mathrm|times|cdot)|\$\$", text), (
        "TeX left in the PDF"
    )
    # every figure of the site's pages (an executed build has them) is printed
    figures = sum(
        len(
            re.findall(
                r'<img[^>]+src="[^"]*_images/',
                (ed.html / f"{p}.html").read_text(encoding="utf-8"),
            )
        )
        for p in site.toc_pages(ed.toc)
    )
    images = sum(len(page.images) for page in reader.pages)
    assert images >= figures, (
        f"{figures} figures on the pages, {images} images in the PDF"
    )
    assert reader.metadata["/Title"] == source_title(site.toc_pages(ed.toc)[0])
    assert reader.metadata["/Subject"].startswith("Version ")
