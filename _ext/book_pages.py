"""Sphinx extension: what every page of the book loads, and nothing twice.

``_config.yml`` loads it (``sphinx.local_extensions``). It fixes four things a
reader's browser meets on every page of a Jupyter Book 1 site:

- Each inline script once. Jupyter Book registers sphinx-thebe's and
  sphinx-togglebutton's inline scripts twice, and the second
  ``const THEBE_JS_URL`` is a SyntaxError in the browser's console.
- No 1.4 MB icon script. pydata-sphinx-theme's ``fontawesome.js`` turns icons
  into SVG; its stylesheet already draws the same icons with the Font Awesome
  web fonts it ships, so the pages drop the script and keep the icons.
- No dead widget state. The pages show each widget's text form (tqdm's bars
  keep a text record; see ``_config.yml``) and load no widget JavaScript, so
  the saved widget state that myst-nb writes into a page is dropped.
- A theme mode. The theme's default mode is empty, which its script reports
  as an error ("invalid theme mode") before falling back to "auto".
- No header bar at the top of wide pages holding a second search field.
- Launch buttons on notebooks only. sphinx-book-theme gives Colab and Binder
  buttons to every page with a kernel (a MyST markdown page that runs a
  cell, like the instructors' page, has one), but Colab and Binder open
  ``.ipynb`` files: a page whose source is not a notebook loses them.
- MathJax from the book's own files: ``book_local_mathjax`` (on by default)
  copies MathJax 3 from the ``django-static-mathjax`` package (the npm
  ``mathjax`` files, packaged for pip) into ``_static/mathjax``, so the maths
  renders without a CDN, in the tests' browser as on the published site.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

# the MathJax files a page can ask for: the combined component, the TeX
# extensions it loads on demand, its fonts, and the menu's accessibility parts
_MATHJAX_FILES = ("tex-mml-chtml.js",)
_MATHJAX_DIRS = (
    "input/tex/extensions",
    "input/mml",
    "output/chtml/fonts/woff-v2",
    "a11y",
    "ui",
)
MATHJAX_ENTRY = "mathjax/tex-mml-chtml.js"

_FONTAWESOME_SCRIPT = re.compile(
    r'[ \t]*<script[^>]*src="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*></script>\n?'
)


def mathjax_source() -> Path:
    """The folder of MathJax 3's browser files (``es5``) in the installed package."""
    import mathjax  # django-static-mathjax: only the static files are used

    folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (folder / _MATHJAX_FILES[0]).is_file():
        raise FileNotFoundError(
            f"MathJax's {_MATHJAX_FILES[0]} is not in {folder}: reinstall "
            "django-static-mathjax (pinned in requirements.txt), or set "
            "book_local_mathjax: false to load MathJax from its CDN."
        )
    return folder


def copy_mathjax(target: Path) -> None:
    """Copy the MathJax files the pages use into ``target`` (…/_static/mathjax)."""
    source = mathjax_source()
    for name in _MATHJAX_FILES:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    for sub in _MATHJAX_DIRS:
        if (source / sub).is_dir():
            shutil.copytree(source / sub, target / sub, dirs_exist_ok=True)


def _config_inited(app: Any, config: Any) -> None:
    # no header bar above the page: sphinx-book-theme has its own search in the sidebar,
    # and pydata-sphinx-theme (>= 0.16) adds a second one in a 64 px bar unless told not to
    config.html_theme_options.setdefault("navbar_persistent", [])
    context = (
        config.html_context
    )  # pydata-sphinx-theme reads the default mode from here
    if not context.get("default_mode"):
        context["default_mode"] = (
            "auto"  # what the theme falls back to anyway, without the error
        )
    if config.book_local_mathjax:
        config.mathjax_path = MATHJAX_ENTRY  # relative: served from _static/


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _unique_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Drop repeated scripts (same file or same inline body), keeping the first,
    and saved widget state, which no script on the page reads."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {})
        if attributes.get("type") == WIDGET_STATE and not app.config.nb_ipywidgets_js:
            continue
        # an inline script comes once with filename None and once with "" (Sphinx's
        # registry and builder spell it differently): both mean "no file"
        key = (
            str(getattr(js, "filename", js) or ""),
            tuple(sorted((k, str(v)) for k, v in attributes.items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


LAUNCH_BUTTONS = "launch-buttons"  # sphinx-book-theme's label of its Colab/Binder group


def _launch_buttons_on_notebooks_only(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Drop the Colab/Binder buttons of a page whose source is not a ``.ipynb``."""
    buttons = context.get("header_buttons")
    if not buttons or pagename not in app.env.all_docs:
        return
    if Path(app.env.doc2path(pagename)).suffix == ".ipynb":
        return
    buttons[:] = [b for b in buttons if b.get("label") != LAUNCH_BUTTONS]


def drop_fontawesome_script(html: str) -> str:
    """The page without its ``<script ... fontawesome.js>`` tag."""
    return _FONTAWESOME_SCRIPT.sub("", html)


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    if app.config.book_local_mathjax:
        copy_mathjax(outdir / "_static" / "mathjax")
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lean = drop_fontawesome_script(text)
        if lean != text:
            page.write_text(lean, encoding="utf-8")


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("book_local_mathjax", True, "html")
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("html-page-context", _unique_scripts, priority=900)
    # after sphinx-book-theme adds its launch buttons (priority 501)
    app.connect("html-page-context", _launch_buttons_on_notebooks_only, priority=900)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
