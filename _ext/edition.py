"""Sphinx extension: every page names its edition's version, the licences and the PDF.

``_config.yml`` loads it (``sphinx.local_extensions``), so both editions get
it (``scripts/site_config.py student`` derives the student edition's configuration
from the book's). At build time it

- works out the version of what is built: the git tag if HEAD is tagged,
  else the short commit, with ``+uncommitted`` when tracked files differ
  from HEAD (a build of changed files is not that commit);
- appends that version and a link to the edition's PDF to the footer the
  theme shows on every page (``html.extra_footer`` of ``_config.yml``, which
  states the licences);
- offers ``{{ book_version }}`` and ``{{ pdf_link }}`` to the pages (MyST
  substitutions), for the front pages.

The PDF is published beside each edition's pages (``scripts/make_pdf.py``
writes it there; the Pages workflow publishes it): its address is the
edition's GitHub Pages address, derived from ``repository.url``.
"""

from __future__ import annotations

import html
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

#: the PDF's file name of each edition, at the root of that edition's site
PDF_NAMES = {"book": "lenet5-book.pdf", "student": "lenet5-book-student.pdf"}


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def head_tag(root: Path) -> str | None:
    """The tag of HEAD, or None when HEAD is not tagged (or this is no git checkout)."""
    return _git(root, "describe", "--tags", "--exact-match", "HEAD")


def book_version(root: Path) -> str:
    """The tag of HEAD if it has one, else its short commit; ``unknown`` outside git."""
    version = head_tag(root) or _git(root, "rev-parse", "--short", "HEAD")
    if not version:
        return "unknown (not built from a git checkout)"
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        version += "+uncommitted"
    return version


def edition_of(root_doc: str) -> str:
    """``student`` for the student edition (its front page is student/intro), else ``book``."""
    return "student" if root_doc.startswith("student/") else "book"


def pages_url(repository_url: str) -> str:
    """The GitHub Pages address of a GitHub repository (``https://OWNER.github.io/NAME/``)."""
    parts = urllib.parse.urlparse(repository_url.rstrip("/").removesuffix(".git"))
    owner_name = parts.path.strip("/").split("/")
    if parts.netloc != "github.com" or len(owner_name) != 2:
        raise ValueError(
            f"repository.url {repository_url!r} is not https://github.com/OWNER/NAME: "
            "the PDF's published address is derived from it; fix repository.url in _config.yml"
        )
    owner, name = owner_name
    return f"https://{owner.lower()}.github.io/{name}/"


def pdf_url(repository_url: str, edition: str) -> str:
    """Where the Pages workflow publishes ``edition``'s PDF."""
    folder = "student/" if edition == "student" else ""
    return pages_url(repository_url) + folder + PDF_NAMES[edition]


def footer(licences: str, version: str, pdf: str) -> str:
    """The footer's HTML: the licences (from _config.yml), the version, the PDF's link."""
    return (
        f'{licences}\n<p class="book-edition">Version <code>{html.escape(version)}</code>'
        f' · <a href="{html.escape(pdf)}">The whole book as one PDF</a></p>'
    )


def _config_inited(app: Any, config: Any) -> None:
    edition = edition_of(config.root_doc)
    version = book_version(Path(app.confdir))
    config.version = config.release = version
    options = config.html_theme_options
    pdf = pdf_url(options.get("repository_url", ""), edition)
    options["extra_footer"] = footer(options.get("extra_footer", ""), version, pdf)
    substitutions = dict(config.myst_substitutions or {})
    substitutions.setdefault("book_version", f"`{version}`")
    what = "student edition" if edition == "student" else "book"
    substitutions.setdefault("pdf_link", f"[the whole {what} as one PDF]({pdf})")
    config.myst_substitutions = substitutions


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-external-toc (900), which sets root_doc from the table of contents
    app.connect("config-inited", _config_inited, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
