"""Licences, citation and version: the repository's files agree with each other.

The code is under the MIT License (LICENSE), the text and figures under
CC BY 4.0 (LICENSE-text.md); pyproject.toml, CITATION.cff and the footer of
every page (``html.extra_footer``) say the same. CITATION.cff is checked
against the Citation File Format 1.2.0's rules (its keys, the required ones,
their forms), and the front page's BibTeX, made from it by
``_ext/citation.py``, is parsed back with pybtex. The version each page shows
(``_ext/edition.py``) is tried in a scratch git repository: untagged,
changed, tagged.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys

import pybtex.database
import pytest
import tomllib
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import citation  # noqa: E402
import edition  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))

# the keys CFF 1.2.0 allows at the top level of a CITATION.cff
CFF_KEYS = {
    "abstract",
    "authors",
    "cff-version",
    "commit",
    "contact",
    "date-released",
    "doi",
    "identifiers",
    "keywords",
    "license",
    "license-url",
    "message",
    "preferred-citation",
    "references",
    "repository",
    "repository-artifact",
    "repository-code",
    "title",
    "type",
    "url",
    "version",
}
CFF_PERSON_KEYS = {
    "family-names",
    "given-names",
    "name-particle",
    "name-suffix",
    "affiliation",
    "email",
    "orcid",
    "website",
    "alias",
    "address",
    "city",
    "country",
    "post-code",
    "region",
    "tel",
    "fax",
}
CFF_ENTITY_KEYS = {
    "name",
    "email",
    "website",
    "orcid",
    "alias",
    "address",
    "city",
    "country",
    "date-start",
    "date-end",
    "location",
    "post-code",
    "region",
    "tel",
    "fax",
}


def test_the_code_is_under_the_mit_license():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} \S", text, re.M)
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}


def test_the_text_licence_says_which_covers_what():
    text = (ROOT / "LICENSE-text.md").read_text(encoding="utf-8")
    assert (
        "CC BY 4.0" in text
        and "https://creativecommons.org/licenses/by/4.0/legalcode" in text
    )
    assert "MIT" in text and "(LICENSE)" in text
    for covered in ("lenet_common/", "book/*.ipynb", "figures"):
        assert covered in text


def test_every_pages_footer_states_both_licences():
    footer = CONFIG["html"]["extra_footer"]
    assert 'href="https://opensource.org/license/mit">MIT License</a>' in footer
    assert 'href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>' in footer
    assert CONFIG["sphinx"]["local_extensions"]["edition"] == "_ext"
    assert CONFIG["sphinx"]["local_extensions"]["citation"] == "_ext"


def test_citation_cff_follows_cff_1_2_0():
    assert set(CFF) <= CFF_KEYS, f"keys CFF 1.2.0 does not know: {set(CFF) - CFF_KEYS}"
    assert CFF["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # the required keys
        assert CFF.get(key), f"CITATION.cff needs {key}"
    assert CFF["type"] in ("software", "dataset")
    for author in CFF["authors"]:
        if "name" in author:  # an entity
            assert set(author) <= CFF_ENTITY_KEYS
        else:  # a person
            assert "family-names" in author and set(author) <= CFF_PERSON_KEYS
    datetime.date.fromisoformat(str(CFF["date-released"]))  # YYYY-MM-DD
    assert isinstance(CFF["version"], str)
    for key in ("url", "repository-code"):
        assert re.fullmatch(r"https://\S+", CFF[key])
    assert all(re.fullmatch(r"[A-Za-z0-9.+-]+", spdx) for spdx in CFF["license"])


def test_citation_cff_agrees_with_the_repository():
    assert CFF["title"] == CONFIG["title"]
    assert CFF["version"] == PYPROJECT["project"]["version"], (
        "CITATION.cff and pyproject.toml give different versions: set both (README, Releasing)"
    )
    assert CFF["repository-code"] == CONFIG["repository"]["url"]
    assert CFF["url"] == edition.pages_url(CONFIG["repository"]["url"])
    assert set(CFF["license"]) == {"MIT", "CC-BY-4.0"}
    assert [a.get("name") for a in CFF["authors"]] == [CONFIG["author"]]


def test_the_bibtex_on_the_front_page_is_the_citation_file():
    entry = pybtex.database.parse_string(citation.bibtex(CFF), "bibtex").entries
    ((key, item),) = entry.items()
    assert key == "lenet5book" + str(CFF["date-released"])[:4]
    assert item.type == "misc"
    assert item.fields["title"] == CFF["title"]
    assert item.fields["year"] == str(CFF["date-released"])[:4]
    assert item.fields["version"] == CFF["version"]
    assert item.fields["url"] == CFF["url"]
    assert [str(p) for p in item.persons["author"]] == ["{The LeNet-5 book team}"]
    # the book's front page shows it; the student edition's includes that section
    assert "{{ cite_bibtex }}" in (ROOT / "book/intro.md").read_text(encoding="utf-8")
    student = (ROOT / "student/intro.md").read_text(encoding="utf-8")
    assert re.search(
        r"```\{include\} \.\./book/intro\.md\n:start-after: \"## Cite this book\"",
        student,
    )


def test_the_bibtex_of_people_and_groups():
    cff = dict(
        CFF,
        authors=[{"family-names": "LeCun", "given-names": "Yann"}, {"name": "A team"}],
    )
    entries = pybtex.database.parse_string(citation.bibtex(cff), "bibtex").entries
    persons = next(iter(entries.values())).persons["author"]
    assert [p.last_names for p in persons] == [["LeCun"], ["{A team}"]]
    assert persons[0].first_names == ["Yann"]


def test_a_citation_file_without_its_date_is_refused(tmp_path):
    (tmp_path / "CITATION.cff").write_text(
        "cff-version: 1.2.0\ntitle: x\nauthors: [{name: y}]\n"
    )
    with pytest.raises(ValueError, match="date-released"):
        citation.read_citation(tmp_path)
    with pytest.raises(FileNotFoundError, match="CITATION.cff"):
        citation.read_citation(tmp_path / "nowhere")


# ---------------------------------------------------------------- the version


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one\n")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-qm", "one")
    return tmp_path


def test_the_version_is_the_short_commit_when_head_is_not_tagged(repo):
    short = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert edition.book_version(repo) == short
    assert edition.head_tag(repo) is None
    (repo / "a.txt").write_text("two\n")  # a changed file: not that commit any more
    assert edition.book_version(repo) == short + "+uncommitted"
    (repo / "new.txt").write_text("untracked files do not count\n")
    _git(repo, "checkout", "a.txt")
    assert edition.book_version(repo) == short


def test_the_version_is_the_tag_when_head_is_tagged(repo):
    _git(repo, "tag", "v1.2.3")
    assert edition.book_version(repo) == "v1.2.3" == edition.head_tag(repo)
    (repo / "a.txt").write_text("two\n")
    _git(repo, "commit", "-qam", "two")  # past the tag: the commit again
    assert edition.book_version(repo) != "v1.2.3"


def test_outside_git_the_version_says_so(tmp_path):
    assert edition.book_version(tmp_path).startswith("unknown")


def test_the_pdfs_published_addresses():
    url = "https://github.com/Lenet5-Book/lenet5-book"
    assert (
        edition.pdf_url(url, "book")
        == "https://lenet5-book.github.io/lenet5-book/lenet5-book.pdf"
    )
    assert edition.pdf_url(url + ".git/", "student") == (
        "https://lenet5-book.github.io/lenet5-book/student/lenet5-book-student.pdf"
    )
    with pytest.raises(ValueError, match="repository.url"):
        edition.pages_url("https://gitlab.com/a/b")
    assert edition.edition_of("student/intro") == "student"
    assert edition.edition_of("book/intro") == "book"
