"""A built book in a headless Chromium: its pages in reading order, a local server, the browser.

Shared by ``scripts/make_pdf.py`` (printing the book) and the browser test
(``tests/browser/browser_site.py``), so that both open the same pages the
same way.
"""

from __future__ import annotations

import functools
import http.server
import mimetypes
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

#: Where Debian's packages put the browser and its driver (found on PATH first).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
CHROMEDRIVERS = ("chromedriver", "/usr/bin/chromedriver")

#: Flags for a headless Chromium on a machine with no network: no GPU, no
#: sandbox (CI runs as root), and none of the browser's own calls home.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def toc_pages(toc_file: Path) -> list[str]:
    """Every page of a Jupyter Book table of contents, in reading order, without suffix."""
    toc = yaml.safe_load(Path(toc_file).read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk([{key: toc.get(key, []) for key in ("parts", "chapters", "sections")}])
    return [str(p).removesuffix(".md").removesuffix(".ipynb") for p in pages]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, without a log line per request."""

    def log_message(self, *args: Any) -> None:
        pass


@functools.cache
def _mimetypes() -> None:
    mimetypes.add_type("text/javascript", ".js")
    mimetypes.add_type("font/woff2", ".woff2")
    mimetypes.add_type("font/woff", ".woff")
    mimetypes.add_type("application/x-ipynb+json", ".ipynb")


def serve(
    folder: Path, handler: type[http.server.BaseHTTPRequestHandler] = QuietHandler
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); returns the server and its base URL."""
    _mimetypes()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def missing() -> str | None:
    """Why a headless Chromium cannot start here, or None."""
    if not _first(BROWSERS) or not _first(CHROMEDRIVERS):
        return "Chromium or its chromedriver is missing: apt-get install chromium chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    return None


def _first(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def chromium(timeout: float = 60, browser_log: bool = False) -> Iterator[Any]:
    """A headless Chromium driven by Selenium, with a fresh profile; yields the driver.

    ``timeout``: seconds for a page to load and a script to finish.
    ``browser_log``: keep the console's messages (``driver.get_log("browser")``).
    The profile is removed when the generator closes.
    """
    reason = missing()
    if reason:
        raise RuntimeError(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="lenet-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = _first(BROWSERS)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(
            service=Service(_first(CHROMEDRIVERS)), options=options
        )
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(timeout)
    driver.set_script_timeout(timeout)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
