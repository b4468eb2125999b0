"""Every page of the built book, in a real headless browser, at a laptop's and a phone's width.

`make test` builds the book and its student edition (quick mode) first; this
test serves each over 127.0.0.1 and opens every page of ``_toc.yml`` in
Debian's Chromium, driven by Selenium. At 1280 and 390 CSS pixels it checks:
no console error from the book's own files; every image loaded; figures shown
at their own size (the figure rule, at 1280); nothing cut off (content wider
than its box, or than the screen, that cannot be scrolled); every formula
typeset by MathJax, no raw TeX; no path of the build machine in the text; at
1280, no code or output box that scrolls sideways (code lines are at most 88
characters; long printed lines wrap); no library's log lines in an output; the
Colab, Binder and download links lead to this page's notebook in the
configured repository (the student notebook in the student edition); every
internal link and anchor resolves; a chapter page weighs at most 2 MB; the
page is no wider than a 360 px phone either. The search page finds "LeNet".
Screenshots land in ``_build/browser/``.

Accessibility (WCAG 2.1 AA, ``book/accessibility.md``): axe-core, the local
copy ``npm ci`` installs (``make axe``), finds no violation of the WCAG 2.0 and
2.1 A and AA rules on any page, at both widths, in the light and the dark
theme (at the phone's width the colour rules judge the page's frame only: the
content's colours do not change with the width); every image of the content has an alt text that says what it shows;
with the keyboard alone the launch menu, the search and a solution's dropdown
are reached, show their focus and open.

Without Chromium or a built site the test skips, except where
``LENET_REQUIRE_BROWSER=1`` (set by ``.ci/run``): there it fails instead.
"""

from __future__ import annotations

import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.browser import browser_site as site

pytestmark = pytest.mark.pages  # opens the built pages

WIDTHS = (1280, 390)
NARROWEST = 360  # the narrowest common phone: the page must not be wider than it either
MAX_CHAPTER_BYTES = (
    2_000_000  # as transferred (gzip, as GitHub Pages serves it), first visit
)
SHOTS = site.ROOT / "_build" / "browser"
# every page of each edition's table of contents (the student edition's is written by make student)
PAGES = [
    (edition, page)
    for edition in site.EDITIONS
    if edition.toc.is_file()
    for page in site.toc_pages(edition.toc)
]
REQUIRED = os.environ.get("LENET_REQUIRE_BROWSER", "").strip() == "1"

# log lines of the libraries, which a reader should never see in an output: PyTorch
# profiler's (kineto), TensorFlow's C++ and absl logs, Python's warnings
LOG_NOISE = re.compile(
    r"^(?:(?:USDT|STAGE|INFO|WARNING|ERROR):\d{4}-\d\d-\d\d \d|[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|\S+\.py:\d+: \w*Warning: )|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized|absl::InitializeLog",
    re.M,
)

# paths that exist only on the machine that built the book
MACHINE_PATHS = sorted(
    {
        str(site.ROOT),
        sys.prefix,
        str(Path.home()),
        "/tmp/",
        "site-packages",
        "/work/",
        "/home/",
        "/root/",
    },
    key=len,
    reverse=True,
)


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(
            f"the browser test must run here (LENET_REQUIRE_BROWSER=1): {reason}"
        )
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver():
    reason = site.browser_missing()
    if reason:
        _unavailable(reason)
    gen = site.start_chromium()
    d = next(gen)
    d.execute_cdp_cmd("Network.enable", {})
    yield d
    gen.close()


@pytest.fixture(scope="module")
def servers():
    """A local server per built edition, started when first asked for."""
    running: dict[str, tuple] = {}

    def serve(edition: site.Edition) -> str:
        if edition.name not in running:
            if not (edition.html / "index.html").is_file():
                _unavailable(f"{edition.html} is not built (make test builds it)")
            running[edition.name] = site.serve(edition.html)
        return running[edition.name][1]

    yield serve
    for server, _ in running.values():
        server.shutdown()


_fetched: dict[str, tuple[int, bytes]] = {}


def fetch(url: str) -> tuple[int, bytes]:
    """Status and body of a URL on the local server (cached)."""
    if url not in _fetched:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                _fetched[url] = (r.status, r.read())
        except urllib.error.HTTPError as err:
            _fetched[url] = (err.code, b"")
    return _fetched[url]


def check_links(links: list[str], base: str, page_url: str) -> list[str]:
    """Internal links that lead nowhere: a missing page, or a missing anchor in it."""
    problems = []
    for link in sorted(set(links)):
        if not link.startswith(base):
            continue
        target, _, anchor = link.partition("#")
        status, body = fetch(target)
        if status != 200:
            problems.append(f"{link}: HTTP {status}")
            continue
        if anchor and target.endswith(".html"):
            anchor = urllib.parse.unquote(anchor)
            if not re.search(rb'\sid="' + re.escape(anchor.encode()) + rb'"', body):
                problems.append(
                    f"{link}: no element with id {anchor!r} in {target.removeprefix(base)}"
                )
    return problems


def check_launch_links(links: list[str], page: str, base: str) -> list[str]:
    """Colab, Binder and download lead to this page's notebook in the configured
    repository (in the student edition, the student notebook: its pages are built from it).
    A page that is not a notebook (markdown, even one that runs a cell) has no Colab or
    Binder button: neither can open a .md file. ``links`` are those of the page's
    buttons, outside its text (the instructors' page links chapters to Colab)."""
    notebook = site.source_of(page)
    colab = [u for u in links if u.startswith("https://colab.research.google.com/")]
    binder = [u for u in links if u.startswith("https://mybinder.org/")]
    if notebook.suffix != ".ipynb":
        return [
            f"launch button on a page that is not a notebook ({notebook.name}): {u}"
            for u in colab + binder
        ]
    repo, branch = site.repository()
    path = notebook.relative_to(site.ROOT).as_posix()
    problems = []
    if not colab or any(f"/github/{repo}/blob/{branch}/{path}" not in u for u in colab):
        problems.append(f"Colab link {colab} does not open {repo}@{branch}:{path}")
    if not binder or any(
        f"/v2/gh/{repo}/{branch}" not in u or path not in urllib.parse.unquote(u)
        for u in binder
    ):
        problems.append(f"Binder link {binder} does not open {repo}@{branch}:{path}")
    downloads = [u for u in links if u.startswith(base) and u.endswith(".ipynb")]
    if not downloads:
        problems.append("no download link for the notebook")
    for url in downloads:
        status, body = fetch(url)
        if status != 200:
            problems.append(f"download {url}: HTTP {status}")
        elif site.notebook_sources(body) != site.notebook_sources(
            notebook.read_bytes()
        ):
            problems.append(f"download {url} is not {path}")
    return problems


@pytest.mark.parametrize(
    "edition, page", PAGES, ids=[f"{e.name}:{p}" for e, p in PAGES]
)
def test_page_reads_well_in_a_browser(driver, servers, edition, page):
    base = servers(edition)
    url = base + page + ".html"
    chapter = site.source_of(page).suffix == ".ipynb"
    problems: list[str] = []
    for width in WIDTHS:
        site.set_width(driver, width)
        site.open_page(
            driver, url, first_visit=width == WIDTHS[0]
        )  # weighed at the first width
        report = site.page_report(driver, check_figure_scale=width >= 1200)
        site.full_screenshot(
            driver, SHOTS / edition.name / f"{page.replace('/', '_')}-{width}.jpg"
        )
        at = f"[{width} px]"
        problems += [f"{at} console: {e}" for e in site.console_errors(driver, base)]
        if report["viewport"] != width:
            problems.append(
                f"{at} the window is {report['viewport']} px wide, not {width}"
            )
        if report["pageWidth"] > width + 1:
            problems.append(
                f"{at} the page is {report['pageWidth']} px wide: wider than the screen"
            )
        problems += [f"{at} cut off: {c}" for c in report["clipped"]]
        if width >= 1200:  # a laptop: code of <= 88 characters fits, long output wraps
            problems += [f"{at} scrolls sideways: {s}" for s in report["scrolling"]]
        if report["nClipped"] > len(report["clipped"]):
            problems.append(
                f"{at} ... and {report['nClipped'] - len(report['clipped'])} more cut off"
            )
        problems += [f"{at} image did not load: {src}" for src in report["broken"]]
        problems += [
            f"{at} figure shrunk (text below the figure rule): {s}"
            for s in report["shrunk"]
        ]
        problems += [f"{at} formula not typeset: {m}" for m in report["untypeset"]]
        problems += [f"{at} raw TeX in the text: {t!r}" for t in report["tex"]]
        for needle in site_paths_in(report["text"]):
            problems.append(f"{at} build-machine path in the text: {needle}")
        if width == WIDTHS[0]:
            problems += [
                f"log output in a cell's output: {m.group(0)!r}"
                for m in map(LOG_NOISE.search, report["outputs"])
                if m
            ]
            problems += check_links(report["links"], base, url)
            problems += check_launch_links(report["buttonLinks"], page, base)
            if chapter and report["weight"] > MAX_CHAPTER_BYTES:
                problems.append(
                    f"page weight {report['weight']:,} bytes > {MAX_CHAPTER_BYTES:,}; "
                    f"heaviest: {report['heaviest']}"
                )
            # uncompressed, without MathJax (1.2 MB, cached after the first page with maths)
            if chapter and report["raw"] - report["mathjax"] > MAX_CHAPTER_BYTES:
                problems.append(
                    f"page weight {report['raw'] - report['mathjax']:,} bytes "
                    f"uncompressed, MathJax aside > {MAX_CHAPTER_BYTES:,}"
                )
            print(
                f"{edition.name} {page}: {report['weight']:,} bytes transferred "
                f"({report['raw']:,} uncompressed, {report['mathjax']:,} of it MathJax), "
                f"{report['nImages']} images, {report['nMaths']} formulas"
            )
    site.set_width(driver, NARROWEST)  # laid out again, no reload
    narrow = driver.execute_script("return document.documentElement.scrollWidth")
    if narrow > NARROWEST + 1:
        problems.append(
            f"[{NARROWEST} px] the page is {narrow} px wide: wider than the screen"
        )
    assert not problems, f"{edition.name} {page}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "edition, page", PAGES, ids=[f"{e.name}:{p}" for e, p in PAGES]
)
def test_page_is_accessible(driver, servers, edition, page):
    """WCAG 2.1 AA: axe-core finds no violation of the WCAG 2.0/2.1 A and AA rules,
    at both widths, in the light and the dark theme; every image of the content
    has an alt text that says what it shows (not a file name)."""
    reason = site.axe_missing()
    if reason:
        _unavailable(reason)
    url = servers(edition) + page + ".html"
    problems: list[str] = []
    try:
        for width in WIDTHS:
            site.set_width(driver, width)
            site.open_page(driver, url, first_visit=False)
            for theme in site.THEMES:
                at = f"[{width} px, {theme}]"
                shown = site.switch_theme(driver, theme)
                if shown != theme:
                    problems.append(f"{at} the page shows the {shown!r} theme")
                for rule in _axe_at(driver, width, theme):
                    print(
                        f"axe {edition.name} {page} {width} {theme}: {rule['id']} "
                        f"on {len(rule['nodes'])} elements"
                    )
                    problems.append(
                        f"{at} {rule['id']} ({rule['impact']}): {rule['help']}; "
                        f"{len(rule['nodes'])} elements: "
                        + " | ".join(rule["nodes"][:3])
                    )
        images = site.image_alts(driver)
        bad = [
            (i["src"], p) for i in images if (p := site.alt_problem(i["src"], i["alt"]))
        ]
        print(
            f"alt {edition.name} {page}: {len(images)} images, {len(images) - len(bad)} with an alt text"
        )
        problems += [f"image {src.rsplit('/', 1)[-1]}: {why}" for src, why in bad]
    finally:
        site.set_theme(
            driver, "auto"
        )  # the other tests see the page as a first visit does
    assert not problems, f"{edition.name} {page}:\n  " + "\n  ".join(problems)


def _axe_at(driver, width: int, theme: str) -> list[dict]:
    """axe's violations at this width and theme, each rule run where it can differ.

    At the first width every rule runs in each theme. At the others, the
    content's colours are those already judged (its CSS does not change with
    the width), so the colour rules judge only the page's frame (header,
    sidebars and their toggles, which do change), in each theme, and the
    other rules, which do not depend on the theme, run once, on everything.
    """
    if width == WIDTHS[0]:
        return site.run_axe(driver)
    frame = {"exclude": [[site.CONTENT]]}
    found = site.run_axe(driver, colours="only", context=frame)
    if theme == site.THEMES[0]:
        found += site.run_axe(driver, colours="none")
    return found


def _first_page_with(edition: site.Edition, marker: str) -> str | None:
    """The first page of ``edition``'s table of contents whose HTML holds ``marker``."""
    for page in site.toc_pages(edition.toc):
        path = edition.html / f"{page}.html"
        if path.is_file() and marker in path.read_text(encoding="utf-8"):
            return page
    return None


@pytest.mark.parametrize("edition", site.EDITIONS, ids=lambda e: e.name)
def test_keyboard_alone_reaches_and_uses_the_controls(driver, servers, edition):
    """WCAG 2.1.1 and 2.4.7: with the keyboard alone, in the light and the dark
    theme, a reader reaches the launch menu and the search (Tab from the top of
    a chapter) and a solution's dropdown (Tab from the element before it), sees
    where the focus is (an outline or a ring), and opens each with Enter or Space."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base = servers(edition)
    chapter = (
        _first_page_with(edition, 'class="solution dropdown')
        or site.toc_pages(edition.toc)[1]
    )
    has_solutions = edition.name == "book"  # the student edition has none
    if has_solutions:
        assert (
            'class="solution dropdown' in (edition.html / f"{chapter}.html").read_text()
        ), "no page of the book has a solution dropdown to try"
    url = base + chapter + ".html"
    site.set_width(driver, WIDTHS[0])
    problems: list[str] = []

    def focused(selector: str) -> bool:
        return driver.execute_script(
            "const a = document.activeElement; return !!(a && a.matches(arguments[0]));",
            selector,
        )

    def state(script: str) -> object:
        return driver.execute_script(script)

    try:
        site.open_page(driver, url, first_visit=False)
        for theme in site.THEMES:
            at = f"[{theme}] {chapter}:"
            site.switch_theme(
                driver, theme
            )  # kept in localStorage for the reloads below

            # the launch menu (Binder, Colab): Tab to it, Enter opens it, Down enters it, Escape closes it
            site.open_page(driver, url, first_visit=False)
            launch = ".dropdown-launch-buttons > button.dropdown-toggle"
            presses = site.tab_to(driver, launch)
            if presses is None:
                problems.append(f"{at} Tab never reaches the launch menu")
            else:
                if not site.focus_ring(driver):
                    problems.append(f"{at} the launch menu's button shows no focus")
                site.press(driver, Keys.ENTER)
                if not state(
                    "return document.querySelector('.dropdown-launch-buttons .dropdown-menu')"
                    ".classList.contains('show')"
                ):
                    problems.append(f"{at} Enter does not open the launch menu")
                site.press(driver, Keys.ARROW_DOWN)
                if not focused(".dropdown-launch-buttons .dropdown-menu a"):
                    problems.append(
                        f"{at} the Down key does not move into the launch menu"
                    )
                elif not site.focus_ring(driver):
                    problems.append(f"{at} the launch menu's entries show no focus")
                site.press(driver, Keys.ESCAPE)
                if state(
                    "return document.querySelector('.dropdown-launch-buttons .dropdown-menu')"
                    ".classList.contains('show')"
                ) or not focused(launch):
                    problems.append(
                        f"{at} Escape does not close the launch menu and return the focus"
                    )

            # the search: Tab to the sidebar's search field, Enter opens it, typing searches
            site.open_page(driver, url, first_visit=False)
            search = ".search-button-field"
            if site.tab_to(driver, search) is None:
                problems.append(f"{at} Tab never reaches the search")
            else:
                if not site.focus_ring(driver):
                    problems.append(f"{at} the search button shows no focus")
                site.press(driver, Keys.ENTER)
                if not focused("input[type=search]"):
                    problems.append(
                        f"{at} Enter on the search button does not put the focus in a search field"
                    )
                else:
                    site.press(driver, "LeNet", Keys.ENTER)
                    try:
                        WebDriverWait(driver, 30).until(
                            lambda d: "search.html" in d.current_url
                        )
                    except TimeoutException:
                        problems.append(
                            f"{at} typing LeNet and Enter does not search "
                            f"(the page is {driver.current_url})"
                        )

            # a solution's dropdown: Tab reaches its button, Space opens it, Enter closes it
            if has_solutions:
                site.open_page(driver, url, first_visit=False)
                button = ".solution.dropdown button.toggle-button"
                shown = (
                    "return !document.querySelector('.solution.dropdown').classList"
                    ".contains('toggle-hidden')"
                )
                if not site.tab_into(driver, button):
                    problems.append(f"{at} Tab does not reach the solution's button")
                else:
                    if not site.focus_ring(driver):
                        problems.append(f"{at} the solution's button shows no focus")
                    if state(shown):
                        problems.append(
                            f"{at} the solution is open before the reader opens it"
                        )
                    site.press(driver, Keys.SPACE)
                    if not state(shown):
                        problems.append(f"{at} Space does not open the solution")
                    site.press(driver, Keys.ENTER)
                    if state(shown):
                        problems.append(f"{at} Enter does not close the solution again")
    finally:
        site.set_theme(driver, "auto")
    assert not problems, f"{edition.name}:\n  " + "\n  ".join(problems)


def site_paths_in(text: str) -> list[str]:
    """The build machine's paths (or telltale parts of them) found in ``text``."""
    found = []
    for needle in MACHINE_PATHS:
        for m in re.finditer(re.escape(needle), text):
            found.append(text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " "))
            break
    return found


@pytest.mark.parametrize("edition", site.EDITIONS, ids=lambda e: e.name)
def test_search_finds_lenet(driver, servers, edition):
    from selenium.webdriver.support.ui import WebDriverWait

    base = servers(edition)
    site.set_width(driver, WIDTHS[0])
    driver.get_log(
        "browser"
    )  # drained: judge the search page's own errors, not earlier tests'
    driver.get(base + "search.html?q=LeNet")
    # Sphinx adds the hits one by one and writes the summary ("Search finished,
    # found N pages ...") once all are there: count only after the summary
    hits = (
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script(
                "const r = document.querySelectorAll('#search-results ul.search li');"
                "const s = document.querySelector("
                "'#search-results p.search-summary, #search-results .search-summary');"
                "return (s && /did not match|found/i.test(s.textContent)) ? r.length + 1 : 0;"
            )
        )
        - 1
    )
    pages = site.toc_pages(edition.toc)
    assert hits >= len(pages) // 2, (
        f"{edition.name}: search for LeNet found {hits} of {len(pages)} pages"
    )
    assert not site.console_errors(driver, base)


DEFECTS = r"""<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">
<style>.admonition { overflow: hidden; width: 200px; border: 1px solid; }</style></head>
<body><article class="bd-article">
<div class="admonition"><p>Check with
<code class="literal">checks.check_output_size_function(my_output_size)</code></p></div>
<p><code style="white-space: nowrap">SparseCategoricalCrossentropy(from_logits=True)_etc</code></p>
<pre style="overflow: auto; width: 200px">a long line that scrolls in its box ....................</pre>
<span class="math notranslate nohighlight">\(x^2\)</span>
<div class="cell_output"><img src="missing.png"></div>
<p>saved to /tmp/abc/lenet5_torch.pt</p>
<div class="cell_output"><pre>USDT:2026-12-01 01:31:39 22363:22363 SyncActivityProfilerHandler.cpp:52] profiler_start
</pre></div>
<script>undefined_function_of_the_book();</script>
</article></body></html>"""


def test_the_checks_catch_the_defects_they_look_for(driver, tmp_path):
    (tmp_path / "page.html").write_text(DEFECTS)
    server, base = site.serve(tmp_path)
    try:
        site.set_width(driver, 390)
        site.open_page(driver, base + "page.html")
        report = site.page_report(driver, check_figure_scale=True)
        errors = site.console_errors(driver, base)
    finally:
        server.shutdown()
    clipped = " ".join(report["clipped"])
    assert (
        "check_output_size_function" in clipped and "cut by div.admonition" in clipped
    )
    assert "SparseCategoricalCrossentropy" in clipped and report["pageWidth"] > 390
    assert "a long line that scrolls" not in clipped
    assert any("a long line that scrolls" in s for s in report["scrolling"])
    assert [bool(LOG_NOISE.search(o)) for o in report["outputs"]] == [False, True]
    assert report["untypeset"] == [r"\(x^2\)"] and report["tex"]
    assert report["broken"] == ["missing.png"]
    assert any("/tmp/abc/lenet5_torch.pt" in p for p in site_paths_in(report["text"]))
    assert any("undefined_function_of_the_book" in e for e in errors)


def test_the_launch_check_wants_buttons_on_notebooks_only():
    """No browser needed: the check of the links a page report lists."""
    repo, branch = site.repository()
    colab = f"https://colab.research.google.com/github/{repo}/blob/{branch}/book/instructors.md"
    binder = (
        f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=tree/book/instructors.md"
    )
    on_markdown = check_launch_links([colab, binder], "book/instructors", "http://x/")
    assert len(on_markdown) == 2 and "not a notebook (instructors.md)" in on_markdown[0]
    assert check_launch_links([], "book/instructors", "http://x/") == []
    missing = check_launch_links([], "book/01_data", "http://x/")
    assert any(p.startswith("Colab link []") for p in missing)
    assert any(p.startswith("Binder link []") for p in missing)
