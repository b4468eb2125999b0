"""Print a built edition of the book to one PDF, with headless Chromium.

    python scripts/make_pdf.py _build/html --toc _toc.yml
    python scripts/make_pdf.py _build/student/_build/html --toc student/_toc.yml

Each page of the table of contents is opened in Debian's ``chromium`` (the
browser the browser test drives, through ``chromedriver`` and Selenium),
served from a local web server, so it looks as on the site: figures loaded,
maths typeset by the book's own MathJax. Only when every image has loaded
and MathJax has finished (no formula left untypeset, else it stops with an
error) is the page printed, with Chrome DevTools' ``Page.printToPDF``, which
also makes an outline of the page's headings. pypdf then puts a title and
contents page in front of the chapters, joins them into one file and adds
the outline: one bookmark per chapter, its sections under it.

By default the PDF is written into the site's folder, under the edition's
name (``_ext/edition.py``'s ``PDF_NAMES``), where the site's footer links to
it once published. Nothing is downloaded at build time. A failed run leaves
an earlier PDF intact (the file is written atomically).
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import edition as edition_ext  # noqa: E402  (the PDF's name and the version)

sys.path.insert(0, str(ROOT / "scripts"))
import headless  # noqa: E402  (the pages, the server and the browser, as the browser test's)

from lenet_common.plumbing.atomic import replacing  # noqa: E402

# A4, with margins; the theme's own print style hides the navigation
PRINT_OPTIONS = {
    "paperWidth": 8.27,
    "paperHeight": 11.69,
    "marginTop": 0.6,
    "marginBottom": 0.7,
    "marginLeft": 0.6,
    "marginRight": 0.6,
    "printBackground": True,
    "preferCSSPageSize": False,
    "generateDocumentOutline": True,
    "displayHeaderFooter": True,
    "headerTemplate": "<div></div>",
    "footerTemplate": (
        '<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
        '<span class="title"></span> · page <span class="pageNumber"></span>'
        ' of <span class="totalPages"></span></div>'
    ),
}


@dataclass
class Printed:
    """One page printed: its title, its PDF, and its sections as (level, title, page)."""

    page: str
    title: str
    pdf: bytes
    sections: list[tuple[int, str, int]]


# Wrap long lines, load every image, wait for MathJax and the fonts, then report
# what is not ready.
_SETTLE_JS = r"""
const done = arguments[arguments.length - 1];
document.documentElement.dataset.theme = 'light';
document.documentElement.dataset.mode = 'light';
// on paper nothing scrolls: long code and output lines wrap instead of being cut off
const paper = document.createElement('style');
paper.textContent = '@media print { pre { white-space: pre-wrap !important; '
  + 'overflow-wrap: anywhere; overflow: visible !important; } }';
document.head.appendChild(paper);
document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
const images = [...document.images].map(i => i.complete ? null :
  new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }));
const mj = window.MathJax;
const math = (mj && mj.startup && mj.startup.promise) ?
  mj.startup.promise.then(() => mj.typesetPromise ? mj.typesetPromise() : null) : null;
Promise.all([...images, math, document.fonts.ready]).then(() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const h1 = article.querySelector('h1');
  const text = (h) => h.textContent.replace(/#\s*$/, '').replace(/\s+/g, ' ').trim();
  done({
    title: h1 ? text(h1) : document.title,
    headings: [...article.querySelectorAll('h2, h3')]
      .filter(h => h.getClientRects().length > 0)
      .map(h => [Number(h.tagName[1]), text(h)]),
    untypeset: [...article.querySelectorAll('.math')]
      .filter(m => !m.querySelector('mjx-container')).length,
    broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
      .map(i => i.getAttribute('src')),
  });
}, (e) => done({error: String(e)}));
"""


def _key(title: str) -> str:
    return "".join(title.split()).lower()


def section_pages(pdf: bytes, headings: list[list]) -> list[tuple[int, str, int]]:
    """Each heading of the page with the PDF page it starts on (0-based).

    Chromium's outline (``generateDocumentOutline``) knows where each heading
    landed, but spells some titles oddly (a line break drops a space, some
    come twice); the page's own headings give the titles, matched in order.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    marks: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                marks.append(
                    (_key(item.title), reader.get_destination_page_number(item))
                )

    walk(reader.outline)
    found, start = [], 0
    for level, title in headings:
        key = _key(title)
        for i in range(start, len(marks)):
            if marks[i][0] == key or marks[i][0].endswith(key):  # some come twice
                found.append((level, title, marks[i][1]))
                start = i + 1
                break
    return found


def print_page(driver: Any, url: str) -> tuple[str, bytes, list]:
    """Open ``url``, wait until it is fully rendered, print it; returns its title,
    its PDF and its sections with their pages."""
    driver.get(url)
    state = driver.execute_async_script(_SETTLE_JS)
    problems = []
    if state.get("error"):
        problems.append(f"the page's scripts failed: {state['error']}")
    if state.get("untypeset"):
        problems.append(f"{state['untypeset']} formulas not typeset by MathJax")
    if state.get("broken"):
        problems.append(f"images that did not load: {state['broken'][:5]}")
    if problems:
        raise RuntimeError(
            f"make_pdf: {url} is not ready to print: {'; '.join(problems)}"
        )
    pdf = base64.b64decode(
        driver.execute_cdp_cmd("Page.printToPDF", PRINT_OPTIONS)["data"]
    )
    return state["title"], pdf, section_pages(pdf, state["headings"])


def contents_html(title: str, version: str, chapters: list[tuple[str, int]]) -> str:
    """The title and contents page: the book's title, version, and each chapter's first page."""
    rows = "\n".join(
        f'<tr><td>{html.escape(name)}</td><td class="n">{page}</td></tr>'
        for name, page in chapters
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>
body {{ font-family: sans-serif; margin: 0; }}
h1 {{ font-size: 28pt; margin: 2.5cm 0 0.3cm; }}
.meta {{ color: #444; margin-bottom: 1.5cm; }}
table {{ width: 100%; border-collapse: collapse; font-size: 12pt; }}
td {{ padding: 0.25cm 0; border-bottom: 1px dotted #999; }}
td.n {{ text-align: right; width: 3cm; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">Version {html.escape(version)}. Code: MIT License. Text and figures: CC BY 4.0.</p>
<h2>Contents</h2>
<table>{rows}</table>
</body></html>"""


def print_html(driver: Any, text: str) -> bytes:
    """Print a page given as HTML text."""
    driver.get("data:text/html;charset=utf-8," + urllib.parse.quote(text))
    options = dict(PRINT_OPTIONS, displayHeaderFooter=False)
    return base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", options)["data"])


def assemble(front: bytes, printed: list[Printed], title: str, version: str) -> bytes:
    """Join the front page and the pages into one PDF; one bookmark per page,
    that page's own headings under it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front)), import_outline=False)
    writer.add_outline_item(title="Contents", page_number=0)
    for item in printed:
        first = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(item.pdf)), import_outline=False)
        chapter = writer.add_outline_item(title=item.title, page_number=first)
        parent = chapter
        for level, heading, page in item.sections:
            if level == 2:
                parent = writer.add_outline_item(
                    title=heading, page_number=first + page, parent=chapter
                )
            else:  # a subsection goes under the section before it
                writer.add_outline_item(
                    title=heading, page_number=first + page, parent=parent
                )
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": "The LeNet-5 book team",
            "/Subject": f"Version {version}",
        }
    )
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_pdf(site: Path, toc: Path, output: Path, title: str | None = None) -> Path:
    """Print every page of ``toc`` from the built ``site`` into ``output``."""
    from pypdf import PdfReader

    site, pages = Path(site), headless.toc_pages(Path(toc))
    missing = [p for p in pages if not (site / f"{p}.html").is_file()]
    if missing:
        raise SystemExit(
            f"make_pdf: {site} has no page for {missing}: build the site first "
            "(make book or make book-student)"
        )
    version = edition_ext.book_version(ROOT)
    reason = headless.missing()
    if reason:
        raise SystemExit(f"make_pdf: {reason}")
    server, base = headless.serve(site)
    chromium = headless.chromium(timeout=120)
    driver = next(chromium)
    try:
        printed = []
        for page in pages:
            start = time.perf_counter()
            name, pdf, sections = print_page(driver, base + f"{page}.html")
            printed.append(Printed(page, name, pdf, sections))
            print(
                f"make_pdf: {page}: {len(PdfReader(io.BytesIO(pdf)).pages)} pages, "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )
        book_title = title or printed[0].title
        # the contents page numbers pages from 1 = the front page; it may take more than one
        front_pages, front = 1, b""
        for _ in range(3):
            first, chapters = front_pages + 1, []
            for item in printed:
                chapters.append((item.title, first))
                first += len(PdfReader(io.BytesIO(item.pdf)).pages)
            front = print_html(driver, contents_html(book_title, version, chapters))
            if len(PdfReader(io.BytesIO(front)).pages) == front_pages:
                break
            front_pages = len(PdfReader(io.BytesIO(front)).pages)
        data = assemble(front, printed, book_title, version)
    finally:
        chromium.close()
        server.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    with replacing(output) as part:
        part.write_bytes(data)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "site", type=Path, help="the built site's folder (holding index.html)"
    )
    parser.add_argument(
        "--toc",
        type=Path,
        default=ROOT / "_toc.yml",
        help="its table of contents (student/_toc.yml for the student edition)",
    )
    parser.add_argument(
        "--out", type=Path, help="the PDF (default: in the site's folder)"
    )
    parser.add_argument(
        "--title", help="the title on the front page (default: the first page's)"
    )
    args = parser.parse_args(argv)
    root = yaml.safe_load(args.toc.read_text(encoding="utf-8"))["root"]
    name = edition_ext.PDF_NAMES[edition_ext.edition_of(root)]
    start = time.perf_counter()
    out = make_pdf(args.site, args.toc, args.out or args.site / name, args.title)
    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    print(
        f"make_pdf: {out}: {pages} pages, {out.stat().st_size / 1e6:.1f} MB, "
        f"{time.perf_counter() - start:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
