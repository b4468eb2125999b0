"""The accessibility page: in both editions' tables of contents, naming the
checks that really run, and linking the configured repository's issue tracker."""

from __future__ import annotations

import importlib.util
import re

import yaml

from tests.conftest import ROOT

PAGE = ROOT / "book" / "accessibility.md"


def _extension():
    spec = importlib.util.spec_from_file_location(
        "accessibility", ROOT / "_ext" / "accessibility.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_editions_list_the_page():
    for toc in (ROOT / "_toc.yml", ROOT / "student" / "_toc.yml"):
        files = [c["file"] for c in yaml.safe_load(toc.read_text())["chapters"]]
        assert "book/accessibility" in files, f"{toc.name} lacks book/accessibility"


def test_the_page_names_the_checks_that_run():
    text = PAGE.read_text(encoding="utf-8")
    browser = (ROOT / "tests" / "browser" / "test_browser.py").read_text(
        encoding="utf-8"
    )
    command = re.search(r'pytest tests/browser/test_browser.py -k "([^"]+)"', text)
    assert command, "the page gives the command that runs the checks"
    for word in command.group(1).split(" or "):
        assert re.search(rf"def test_\w*{word}\w*\(", browser), (
            f"no browser test matches {word!r}"
        )
    assert (ROOT / "tests" / "test_figure_alt.py").is_file()
    lock = yaml.safe_load((ROOT / "package-lock.json").read_text())  # JSON is YAML
    version = lock["packages"]["node_modules/axe-core"]["version"]
    assert lock["packages"]["node_modules/axe-core"]["integrity"].startswith("sha512-")
    assert int(version.split(".")[0]) == 4 and int(version.split(".")[1]) >= 10, version
    for tag in ("2.0", "2.1", "A and AA", "1280", "390", "dark"):
        assert tag in text, f"the page does not say {tag!r}"


def test_the_page_links_the_configured_issue_tracker():
    assert "{{ issue_tracker }}" in PAGE.read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["accessibility"] == "_ext"
    url = config["repository"]["url"]
    link = _extension().issue_tracker(url)
    assert (
        link
        == f"[the book's issue tracker]({url.rstrip('/').removesuffix('.git')}/issues)"
    )
    assert _extension().issue_tracker(None) == "the repository's issue tracker"


def test_bibliography_entries_become_list_items():
    html = (
        '<div role="list" class="citation-list">\n'
        '<div class="citation" id="id18" role="doc-biblioentry">\n<span class="label">'
    )
    fixed = _extension().biblioentries_as_listitems(html)
    assert 'role="doc-biblioentry"' not in fixed and fixed.count('role="listitem"') == 1
    assert 'role="list"' in fixed
