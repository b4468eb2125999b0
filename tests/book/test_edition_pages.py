"""Every built page shows the licences, the edition's version and the PDF's link;
the front pages show the citation made from CITATION.cff.

Read from the quick builds ``make test`` has just made, of both editions.
The version is the one ``_ext/edition.py`` works out for this checkout, and
is checked against git itself: the tag of HEAD, or its short commit.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest
import yaml

from tests.browser import browser_site as site
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import citation  # noqa: E402
import edition  # noqa: E402

pytestmark = pytest.mark.pages  # reads the built pages

FOOTER = re.compile(r'<div class="extra_footer">(.*?)</div>', re.S)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _built(ed: site.Edition):
    if not (ed.html / "index.html").is_file():
        pytest.skip(f"{ed.html} is not built (make test builds it first)")
    return ed.html


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def test_the_version_is_the_tag_or_the_commit():
    version = edition.book_version(ROOT)
    tag = _git("tag", "--points-at", "HEAD").splitlines()
    assert version.removesuffix("+uncommitted") in (
        tag or [_git("rev-parse", "--short", "HEAD")]
    )


@pytest.mark.parametrize("ed", site.EDITIONS, ids=lambda e: e.name)
def test_every_page_has_the_licences_version_and_pdf_in_its_footer(ed):
    folder = _built(ed)
    version = edition.book_version(ROOT)
    pdf = edition.pdf_url(CONFIG["repository"]["url"], ed.name)
    for page in site.toc_pages(ed.toc):
        text = (folder / f"{page}.html").read_text(encoding="utf-8")
        found = FOOTER.search(text)
        assert found, f"{page}: no footer"
        footer = found.group(1)
        assert ">MIT License</a>" in footer and ">CC BY 4.0</a>" in footer, page
        shown = re.search(r"Version <code>([^<]+)</code>", footer)
        assert shown and html.unescape(shown.group(1)) == version, (
            f"{page} shows version {shown and shown.group(1)}, this checkout is {version}: "
            "rebuild the site"
        )
        assert f'href="{pdf}"' in footer, page


@pytest.mark.parametrize("ed", site.EDITIONS, ids=lambda e: e.name)
def test_the_front_page_links_the_pdf_and_shows_the_citation(ed):
    folder = _built(ed)
    text = (folder / f"{site.toc_pages(ed.toc)[0]}.html").read_text(encoding="utf-8")
    article = text[text.index('id="cite-this-book"') :]
    shown = html.unescape(
        re.sub(r"<[^>]+>", "", article.split("</pre>")[0].split("<pre>")[1])
    )
    assert shown.strip() == citation.bibtex(citation.read_citation(ROOT))
    assert "LeNet-5 from the ground up</em>, version" in article
    pdf = edition.pdf_url(CONFIG["repository"]["url"], ed.name)
    body = text[: text.index("<footer")]
    assert f'href="{pdf}"' in body, "the front page does not link the PDF"
