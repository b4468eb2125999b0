"""_ext/book_pages.py, the Sphinx extension that trims what every page loads."""

from __future__ import annotations

import sys
from types import SimpleNamespace

from sphinx.builders.html._assets import _JavaScript

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import book_pages  # noqa: E402


def test_the_icon_script_is_dropped_and_nothing_else():
    page = (
        '<head>\n  <script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>\n'
        '  <link rel="preload" as="script" href="../_static/scripts/bootstrap.js?digest=55c2" />\n'
        '<script src="../_static/doctools.js?v=9a2d"></script>\n</head>'
    )
    lean = book_pages.drop_fontawesome_script(page)
    assert "fontawesome" not in lean
    assert lean == page.replace(
        '  <script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>\n',
        "",
    )


def test_each_script_once_and_no_widget_state():
    app = SimpleNamespace(config=SimpleNamespace(nb_ipywidgets_js={}))
    thebe = _JavaScript(None, body='const THEBE_JS_URL = "x"', priority=500)
    scripts = [
        _JavaScript("_static/doctools.js", priority=200),
        thebe,
        _JavaScript("", body='const THEBE_JS_URL = "x"', priority=800),
        _JavaScript(None, body="{}", type=book_pages.WIDGET_STATE, priority=500),
        _JavaScript("_static/doctools.js", priority=200),
    ]
    context = {"script_files": scripts}
    book_pages._unique_scripts(app, "p", "page.html", context, None)
    assert context["script_files"] == [scripts[0], thebe]


def test_mathjax_files_are_there_to_copy(tmp_path):
    book_pages.copy_mathjax(tmp_path / "mathjax")
    assert (tmp_path / "mathjax" / "tex-mml-chtml.js").stat().st_size > 100_000
    assert list(
        (tmp_path / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")
    )
    assert (
        tmp_path / "mathjax" / "input" / "tex" / "extensions" / "boldsymbol.js"
    ).is_file()


def test_theme_settings_and_local_mathjax():
    config = SimpleNamespace(
        html_theme_options={},
        html_context={},
        book_local_mathjax=True,
        mathjax_path="https://cdn.example/mathjax.js",
    )
    book_pages._config_inited(None, config)
    assert config.html_theme_options["navbar_persistent"] == []  # no second search bar
    assert config.html_context["default_mode"] == "auto"
    assert config.mathjax_path == book_pages.MATHJAX_ENTRY
    mine = SimpleNamespace(
        html_theme_options={"navbar_persistent": ["x.html"]},
        html_context={"default_mode": "dark"},
        book_local_mathjax=False,
        mathjax_path="https://cdn.example/mathjax.js",
    )
    book_pages._config_inited(None, mine)  # what a configuration says stays
    assert mine.html_theme_options["navbar_persistent"] == ["x.html"]
    assert mine.html_context["default_mode"] == "dark"
    assert mine.mathjax_path == "https://cdn.example/mathjax.js"


def test_launch_buttons_only_on_pages_made_from_notebooks():
    sources = {
        "book/01_data": "book/01_data.ipynb",
        "book/instructors": "book/instructors.md",
    }
    env = SimpleNamespace(all_docs=sources, doc2path=lambda name: ROOT / sources[name])
    app = SimpleNamespace(env=env)

    def buttons() -> list[dict]:
        return [
            {"label": "download-buttons"},
            {"label": book_pages.LAUNCH_BUTTONS},
            {"label": "fullscreen-button"},
        ]

    notebook, markdown, search = ({"header_buttons": buttons()} for _ in range(3))
    book_pages._launch_buttons_on_notebooks_only(
        app, "book/01_data", "page.html", notebook, None
    )
    book_pages._launch_buttons_on_notebooks_only(
        app, "book/instructors", "page.html", markdown, None
    )
    book_pages._launch_buttons_on_notebooks_only(
        app, "search", "search.html", search, None
    )
    assert notebook["header_buttons"] == buttons() == search["header_buttons"]
    assert [b["label"] for b in markdown["header_buttons"]] == [
        "download-buttons",
        "fullscreen-button",
    ]
