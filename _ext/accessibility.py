"""Sphinx extension: what the pages need for WCAG 2.1 AA that the tools do not give.

``_config.yml`` loads it (``sphinx.local_extensions``); the browser test
(tests/browser/test_browser.py) runs axe-core on every page and checks every image.

A figure's alt text from its notebook output. The book's figures get their alt text where they are made
(``lenet_common.plotting.describe``): the PNG output of the cell carries it in
its metadata (``{"image/png": {"alt": "..."}}``). myst-nb 1.4 reads an alt text
only from the cell's metadata (``mystnb: image: alt``), which would tie the
text to a cell, not to the figure, and from an output's metadata it reads only
``width`` and ``height``. This extension adds ``alt`` to what it reads there,
so the text travels with the figure whichever cell or chapter shows it. An
alt text in the cell's metadata still wins.

Without an alt text docutils writes the image's path as its alt, which a
screen reader reads out.

The bibliography as a list of list items. Sphinx 7 writes each entry as
``<div role="doc-biblioentry">`` inside ``<div role="list">``: DPUB-ARIA 1.1
deprecated that role, and a list may hold only list items, so axe-core
reports both (``aria-deprecated-role``, ``aria-required-children``). The
entries become ``role="listitem"``, as DPUB-ARIA advises.

The accessibility page (``book/accessibility.md``) links the repository's
issue tracker through the substitution ``{{ issue_tracker }}``, made here from
the repository URL of ``_config.yml``, the one place it is written.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx


def _with_output_alt(render_image: Any) -> Any:
    def render_image_with_alt(self: Any, data: Any) -> list:
        nodes = render_image(self, data)
        alt = (data.output_metadata.get(data.mime_type) or {}).get("alt")
        if isinstance(alt, str) and alt.strip():
            for node in nodes:
                node.setdefault("alt", " ".join(alt.split()))
        return nodes

    render_image_with_alt.__wrapped__ = render_image  # type: ignore[attr-defined]
    return render_image_with_alt


def biblioentries_as_listitems(html: str) -> str:
    """``html`` with every ``role="doc-biblioentry"`` made ``role="listitem"``."""
    return _BIBLIOENTRY.sub(r"\1listitem\2", html)


_BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*\brole=")doc-biblioentry(")')


def _page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    body = context.get("body")
    if body and "doc-biblioentry" in body:
        context["body"] = biblioentries_as_listitems(body)


def issue_tracker(repository_url: str | None) -> str:
    """The Markdown that names the repository's issue tracker, linked when known."""
    if not repository_url:
        return "the repository's issue tracker"
    url = repository_url.rstrip("/").removesuffix(".git")
    return f"[the book's issue tracker]({url}/issues)"


def _config_inited(app: Sphinx, config: Any) -> None:
    url = (config.html_theme_options or {}).get("repository_url")
    config.myst_substitutions = {
        **(config.myst_substitutions or {}),
        "issue_tracker": issue_tracker(url),
    }


def setup(app: Sphinx) -> dict:
    from myst_nb.core.render import NbElementRenderer

    if not hasattr(NbElementRenderer.render_image, "__wrapped__"):  # once per process
        NbElementRenderer.render_image = _with_output_alt(
            NbElementRenderer.render_image
        )
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
