"""Helpers of the browser test (tests/browser/test_browser.py): the built sites, a local
server, a headless Chromium, and the page checks that run inside it.

Kept apart from the test so that the JavaScript checks read as one piece.
"""

from __future__ import annotations

import gzip
import http.server
import json
import mimetypes
import os
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import headless  # noqa: E402  (pages, server and browser, shared with scripts/make_pdf.py)


@dataclass(frozen=True)
class Edition:
    """One built site: the book, or its student edition."""

    name: str
    html: Path  # the folder of index.html
    toc: Path  # its table of contents


def _built(variable: str, default: Path) -> Path:
    """The folder an edition was built to: ``default`` (make test's quick builds),
    or the folder named by the environment ``variable`` (``make test-site``, the
    published builds)."""
    named = os.environ.get(variable)
    return Path(named).resolve() if named else default


EDITIONS = (
    Edition(
        "book",
        _built("LENET_SITE_BOOK", ROOT / "_build" / "quick" / "_build" / "html"),
        ROOT / "_toc.yml",
    ),
    Edition(
        "student",
        _built(
            "LENET_SITE_STUDENT", ROOT / "_build" / "student-quick" / "_build" / "html"
        ),
        ROOT / "student" / "_toc.yml",
    ),
)


toc_pages = headless.toc_pages


def source_of(page: str) -> Path:
    """The source file of a page (``book/01_data`` -> ``book/01_data.ipynb``)."""
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no source for the TOC entry {page!r}")


def repository() -> tuple[str, str]:
    """``(owner/name, branch)`` of the repository configured in ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/").removesuffix(".git")
    parts = urllib.parse.urlparse(url).path.strip("/").split("/")
    return "/".join(parts[:2]), config["repository"].get("branch", "main")


# ---------------------------------------------------------------- the server

_COMPRESSED = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "text/plain",
}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed as GitHub Pages serves them, so the
    browser's transfer sizes are those a reader downloads."""

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404, "File not found")
            return
        body = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if kind in _COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder`` on 127.0.0.1 (a free port), gzip-compressed; the server, its URL."""
    return headless.serve(folder, _Handler)


# ---------------------------------------------------------------- the browser


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    return headless.missing()


def start_chromium() -> Iterator[Any]:
    """A headless Chromium driven by Selenium, keeping the console's log; yields the driver."""
    yield from headless.chromium(timeout=60, browser_log=True)


def set_width(driver: Any, width: int, height: int = 900) -> None:
    """Lay pages out ``width`` CSS pixels wide (a phone at 390, a laptop at 1280)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": height,
            "deviceScaleFactor": 1,
            "mobile": width < 600,
        },
    )


def open_page(driver: Any, url: str, first_visit: bool = True) -> None:
    """Load ``url`` (as on a first visit: nothing cached), let every image load
    and MathJax finish."""
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": first_visit})
    driver.get(url)
    driver.execute_async_script(_SETTLE_JS)


def full_screenshot(driver: Any, path: Path, max_height: int = 16000) -> None:
    """A JPEG of the page from the top, at most ``max_height`` CSS pixels tall
    (JPEG: a long page's PNG takes seconds to encode)."""
    import base64

    width, height = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollHeight]"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "jpeg",
            "quality": 80,
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": width,
                "height": min(height, max_height),
                "scale": 1,
            },
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


def console_errors(driver: Any, origin: str) -> list[str]:
    """Errors the page's own files logged (a CDN's failure is not the book's)."""
    errors = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if entry.get("level") != "SEVERE" or not message.startswith(origin):
            continue
        if message.startswith(
            origin + "favicon.ico"
        ):  # asked for by the browser, not the page
            continue
        errors.append(message)
    return errors


def page_report(driver: Any, check_figure_scale: bool) -> dict[str, Any]:
    """Run the in-page checks (see _REPORT_JS) and return what they found."""
    return driver.execute_script(_REPORT_JS, check_figure_scale)


def notebook_sources(data: bytes | str) -> list[str]:
    """The cells' sources of a notebook, to compare two notebooks' content."""
    nb = json.loads(data)
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
    ]


# ---------------------------------------------------------------- accessibility

#: axe-core, Deque's accessibility checker: the copy that `npm ci` installs from
#: package-lock.json (pinned version, integrity checked), never a CDN's.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
#: The rules of WCAG 2.0 and 2.1, levels A and AA (axe's tags for them).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
THEMES = ("light", "dark")
AXE_TIMEOUT = 600  # seconds for one run of axe on one page


def axe_missing() -> str | None:
    """Why axe-core cannot run here, or None."""
    if not AXE.is_file():
        return f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (the Makefile's test target does)"
    return None


def axe_version() -> str:
    """The version of the local axe-core, from its package.json."""
    return json.loads((AXE.parent / "package.json").read_text())["version"]


def set_theme(driver: Any, theme: str) -> None:
    """Choose the light or dark theme (or "auto") as a reader's click on the
    theme switch does: the theme keeps the choice in the origin's localStorage
    and applies it to the next page it loads (``data-theme`` on ``<html>``).
    A page of the site must be open."""
    if theme == "auto":  # the reader's system setting, as on a first visit
        driver.execute_script(
            "localStorage.removeItem('mode'); localStorage.removeItem('theme');"
        )
        return
    if theme not in THEMES:
        raise ValueError(f"theme is 'auto' or one of {THEMES}, got {theme!r}")
    driver.execute_script(
        "localStorage.setItem('mode', arguments[0]); localStorage.setItem('theme', arguments[0]);",
        theme,
    )


def switch_theme(driver: Any, theme: str) -> str:
    """Click the page's theme switch (it cycles auto, dark, light) until the
    page shows ``theme``, as a reader does; returns the theme shown once the
    colours' CSS transitions have ended (axe would judge a colour in between)."""
    return driver.execute_async_script(
        """
      const done = arguments[arguments.length - 1];
      const button = document.querySelector('.theme-switch-button');
      for (let i = 0; i < 3 && button && document.documentElement.dataset.theme !== arguments[0]; i++)
        button.click();
      const shown = document.documentElement.dataset.theme;
      requestAnimationFrame(() => requestAnimationFrame(() => Promise.race([
          Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))),
          new Promise(r => setTimeout(r, 5000))]).then(() => done(shown))));""",
        theme,
    )


#: The rules that judge colours: they depend on the theme, and on the width only
#: through the page's frame (header, sidebars, their toggles), never in the content.
COLOUR_RULES = ("color-contrast", "link-in-text-block")
#: The content of a page, whose colours are the same at every width.
CONTENT = "article.bd-article"


def run_axe(
    driver: Any, *, colours: str = "all", context: Any = None
) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA checks of the open page: one dict per
    rule violated, with its id, impact, help text and the elements at fault.

    ``colours``: "all" runs every rule; "none" every rule but COLOUR_RULES;
    "only" COLOUR_RULES alone. ``context``: axe's include/exclude (default:
    the whole document)."""
    if colours not in ("all", "none", "only"):
        raise ValueError(f"colours is 'all', 'none' or 'only', got {colours!r}")
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(
        AXE_TIMEOUT
    )  # a long chapter takes axe 5-20 s, more on a busy machine
    try:
        result = driver.execute_async_script(
            _AXE_JS, list(AXE_TAGS), colours, list(COLOUR_RULES), context
        )
    finally:
        driver.set_script_timeout(60)
    if "error" in result:
        raise RuntimeError(
            f"axe-core failed on {driver.current_url}: {result['error']}"
        )
    return result["violations"]


_AXE_JS = r"""
const [tags, colours, colourRules, context, done] = arguments;
const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
if (colours === 'none')
  options.rules = Object.fromEntries(colourRules.map(id => [id, {enabled: false}]));
if (colours === 'only') options.runOnly = {type: 'rule', values: colourRules};
axe.run(context || document, options)
  .then(r => done({violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '')
                                .replace(/\s+/g, ' ').slice(0, 200))}))}))
  .catch(e => done({error: String(e)}));
"""


def image_alts(driver: Any) -> list[dict[str, str]]:
    """Every image of the page's content, with its ``src`` and ``alt`` (None when absent)."""
    return driver.execute_script(r"""
      const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
      return [...article.querySelectorAll('img')].map(i => ({src: i.getAttribute('src') || '',
                                                            alt: i.getAttribute('alt')}));""")


def _check_book() -> Any:
    """scripts/check_book.py, which holds the rule for alt texts (one rule for
    the built pages and the browser)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "check_book", ROOT / "scripts" / "check_book.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


alt_problem = _check_book().alt_problem


# ---------------------------------------------------------------- the keyboard


def press(driver: Any, *keys: str) -> None:
    """Press keys as a reader at the keyboard does (real key events, not clicks)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def tab_to(driver: Any, selector: str, most: int = 120) -> int | None:
    """Press Tab from the top of the page until the focus is on an element that
    matches ``selector``; returns how many presses it took, or None."""
    from selenium.webdriver.common.keys import Keys

    for n in range(1, most + 1):
        press(driver, Keys.TAB)
        if driver.execute_script(
            "const a = document.activeElement; return !!(a && a.matches(arguments[0]));",
            selector,
        ):
            return n
    return None


def tab_into(driver: Any, selector: str) -> bool:
    """Focus the focusable element just before the first ``selector`` in the
    page's tab order, then press Tab: True if the focus lands on it. (For an
    element deep in a long page, where Tab from the top takes hundreds of presses.)"""
    from selenium.webdriver.common.keys import Keys

    found = driver.execute_script(
        r"""
      const target = document.querySelector(arguments[0]);
      if (!target) return false;
      const all = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
        .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0
                     && getComputedStyle(e).visibility !== 'hidden');
      const i = all.indexOf(target);
      if (i < 1) return false;
      all[i - 1].focus();
      return true;""",
        selector,
    )
    if not found:
        return False
    press(driver, Keys.TAB)
    return bool(
        driver.execute_script(
            "const a = document.activeElement; return !!(a && a.matches(arguments[0]));",
            selector,
        )
    )


def focus_ring(driver: Any) -> str | None:
    """How the focused element shows its focus (an outline or a box shadow of
    at least 2 px), or None when nothing shows it."""
    return driver.execute_script(r"""
      const s = getComputedStyle(document.activeElement);
      const width = parseFloat(s.outlineWidth) || 0;
      if (s.outlineStyle !== 'none' && width >= 2 && s.outlineColor !== 'rgba(0, 0, 0, 0)')
        return 'outline ' + s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor;
      if (s.boxShadow && s.boxShadow !== 'none' && /\b([2-9]|\d\d)(\.\d+)?px/.test(s.boxShadow))
        return 'box-shadow ' + s.boxShadow;
      return null;""")


# Wait until images have loaded (lazy ones made eager) and MathJax has typeset.
_SETTLE_JS = r"""
const done = arguments[arguments.length - 1];
document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
const images = [...document.images].map(i => i.complete ? null :
  new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }));
const math = (window.MathJax && MathJax.startup && MathJax.startup.promise) || null;
const timeout = new Promise(r => setTimeout(r, 30000));
Promise.race([Promise.all([...images, math]), timeout]).then(
  () => setTimeout(() => done(true), 100), () => done(false));
"""

# The checks that need the laid-out page. Returns plain data for Python to judge.
_REPORT_JS = r"""
const checkScale = arguments[0];
const vw = document.documentElement.clientWidth;  // the layout viewport (no scrollbar)
const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const describe = (el) => {
  const cls = (el.className && typeof el.className === 'string') ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
  return el.tagName.toLowerCase() + cls + ' "' + (el.textContent || '').trim().slice(0, 60).replace(/\s+/g, ' ') + '"';
};
const overflowX = new Map();
const ovx = (el) => { if (!overflowX.has(el)) overflowX.set(el, getComputedStyle(el).overflowX); return overflowX.get(el); };

// 1. content cut off: wider than the box that clips it, or than the screen, with no way to scroll
const clipped = [];
for (const el of article.querySelectorAll('*')) {
  if (el.closest('mjx-container') && el.tagName !== 'MJX-CONTAINER') continue;  // MathJax's own layout
  const r = el.getBoundingClientRect();
  if (r.width <= 1 || r.height <= 1) continue;
  const cs = getComputedStyle(el);
  if (cs.visibility === 'hidden' || cs.position === 'fixed') continue;
  let box = null, kind = 'visible';
  for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    const o = ovx(a);
    if (o !== 'visible') { box = a; kind = o; break; }
  }
  if (kind === 'auto' || kind === 'scroll') continue;  // inside a scroll box: the reader can scroll to it
  const b = box ? box.getBoundingClientRect() : {left: 0, right: vw};
  const right = Math.min(b.right, vw), left = Math.max(b.left, 0);
  const over = Math.max(r.right - right, left - r.left);
  if (over > 2) clipped.push(describe(el) + ' by ' + Math.round(over) + ' px' + (box ? ' (cut by ' + describe(box).slice(0, 40) + ')' : ' (off the screen)'));
}

// 1b. code and output boxes that scroll sideways (fine on a phone; on a laptop
// a line of at most 88 characters must fit, and long printed lines wrap)
const scrolling = [...article.querySelectorAll('pre')]
  .filter(p => p.scrollWidth > p.clientWidth + 1)
  .map(p => describe(p).slice(0, 80) + ' by ' + (p.scrollWidth - p.clientWidth) + ' px');

// 2. images: loaded, non-empty; figures shown at their own size (the figure rule)
const images = [...document.images].filter(i => i.getBoundingClientRect().width > 0 || !i.complete);
const broken = images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
const shrunk = !checkScale ? [] : [...article.querySelectorAll('.cell_output img')]
  .filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width < 0.97 * i.naturalWidth)
  .map(i => i.getAttribute('src').split('/').pop() + ': ' + i.naturalWidth + ' px shown at ' + Math.round(i.getBoundingClientRect().width));

// 3. maths: every formula typeset, no TeX left in the text
const maths = [...article.querySelectorAll('.math')];
const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 60));
const prose = article.cloneNode(true);
prose.querySelectorAll('pre, code, script, style, mjx-container, textarea').forEach(e => e.remove());
const tex = (prose.textContent.match(/\\\(|\\\)|\\\[|\\\]|\$\$|\\(frac|begin|end|mathrm|text|times|cdot|sum|left|right)\b[^\n]{0,40}/g) || []).slice(0, 5);

// 4. links: every link of the page, as absolute URLs; and those of the page's own
//    buttons (outside the text: a page's text may link to notebooks in Colab itself)
const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
const buttonLinks = [...document.querySelectorAll('a[href]')].filter(a => !article.contains(a))
  .map(a => a.href);

// 5. weight: bytes transferred for this page (navigation + every resource)
const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
const weight = entries.reduce((s, e) => s + (e.encodedBodySize || 0), 0);
const raw = entries.reduce((s, e) => s + (e.decodedBodySize || 0), 0);
const mathjax = entries.filter(e => e.name.includes('/mathjax/'))
  .reduce((s, e) => s + (e.decodedBodySize || 0), 0);
const heaviest = entries.map(e => [e.name.split('/').pop().split('?')[0], e.encodedBodySize || 0])
  .sort((a, b) => b[1] - a[1]).slice(0, 5);

return {
  viewport: vw, pageWidth: document.documentElement.scrollWidth,
  clipped: clipped.slice(0, 12), nClipped: clipped.length, scrolling,
  outputs: [...article.querySelectorAll('.cell_output')].map(o => o.textContent),
  broken, shrunk, nImages: images.length,
  nMaths: maths.length, untypeset: untypeset.slice(0, 5), tex,
  links, buttonLinks, weight, raw, mathjax, heaviest,
  text: (() => { const b = document.body.cloneNode(true);  // hidden outputs too, not scripts
                  b.querySelectorAll('script, style, noscript').forEach(e => e.remove());
                  return b.textContent; })(),
};
"""
