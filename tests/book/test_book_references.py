"""Every cross-reference of the book resolves: links, citations, terms, chapters.

The strict build (``-W -n``) fails on a broken reference too, but only after
executing every chapter; these tests read the sources and name the broken
reference at once. They also catch what no build sees: a bibliography entry
that nothing cites, a glossary entry that no page links to, and prose or
docstrings that send the reader to a chapter the book does not have.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

# How the prose names the chapters ("the data chapter"), and which page each
# name means. A chapter that the text names gets a line here.
CHAPTER_NAMES = {
    "data": "01_data",
    "shapes": "02_shapes",
    "output-size": "02_shapes",
    "numpy": "03_numpy_lenet",
    "keras": "04_keras",
    "pytorch": "05_pytorch",
    "side-by-side": "06_side_by_side",
}
# "the next chapter", "the whole chapter": words that name no chapter in particular
NOT_A_NAME = {"next", "previous", "later", "earlier", "other", "whole", "same", "last"}


def _toc_pages() -> set[str]:
    """The pages of the table of contents: paths from the root, without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = {toc["root"]}

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                pages.add(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return {str(Path(p).with_suffix("")) for p in pages}


def _pages() -> dict[Path, str]:
    """The markdown text of every page of the book (notebooks: their markdown cells)."""
    texts = {}
    for page in sorted(_toc_pages()):
        for suffix in (".ipynb", ".md"):
            path = ROOT / f"{page}{suffix}"
            if path.is_file():
                break
        else:
            continue
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            texts[path] = "\n\n".join(
                "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
            )
        else:
            texts[path] = path.read_text(encoding="utf-8")
    return texts


def _bib_keys() -> set[str]:
    return set(
        re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M)
    )


def _glossary_terms() -> set[str]:
    """The terms the glossary page defines (lowercase: Sphinx matches terms so)."""
    text = (BOOK / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return {
        line.strip().lower()
        for line in block.splitlines()
        if line.strip() and not line.startswith((" ", ":"))
    }


def _role_targets(role: str, text: str) -> list[str]:
    """The targets of every {role}`...` in text ('shown <target>' gives target)."""
    targets = []
    for body in re.findall(r"\{" + role + r"(?::\w+)?\}`([^`]+)`", text, flags=re.S):
        match = re.search(r"<([^<>]+)>\s*$", body)
        targets.append(" ".join((match.group(1) if match else body).split()))
    return targets


def test_every_page_of_the_toc_exists():
    for page in _toc_pages():
        assert any((ROOT / f"{page}{s}").is_file() for s in (".ipynb", ".md")), (
            f"_toc.yml lists {page}, but there is no {page}.ipynb or {page}.md"
        )


def test_every_link_between_pages_points_at_a_page_of_the_book():
    pages = _toc_pages()
    for path, text in _pages().items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor on the same page
            page = (path.parent / target.split("#")[0]).resolve().relative_to(ROOT)
            assert str(page.with_suffix("")) in pages, (
                f"{path.name} links to {target}: not a page of the book (_toc.yml)"
            )


def test_every_citation_is_in_references_bib_and_every_entry_is_cited():
    keys = _bib_keys()
    cited = set()
    for path, text in _pages().items():
        for target in _role_targets("cite", text):
            for key in target.split(","):
                assert key.strip() in keys, (
                    f"{path.name} cites {key.strip()!r}: not in references.bib"
                )
                cited.add(key.strip())
    assert not keys - cited, (
        f"entries of references.bib that no page cites: {sorted(keys - cited)}"
    )


def test_every_glossary_link_names_a_glossary_term():
    terms = _glossary_terms()
    assert {
        "im2col",
        "receptive field",
        "logits",
        "cross-entropy",
        "channels first",
    } <= terms
    for path, text in _pages().items():
        for target in _role_targets("term", text):
            assert target.lower() in terms, (
                f"{path.name} links to the glossary term {target!r}, which it lacks"
            )


def test_every_glossary_term_is_used_by_a_chapter():
    """A term no chapter links to is a definition nobody is sent to."""
    linked = {  # links from one glossary entry to another do not count
        t.lower()
        for path, text in _pages().items()
        if path.name != "glossary.md"
        for t in _role_targets("term", text)
    }
    block = (
        (BOOK / "glossary.md").read_text(encoding="utf-8").split("```{glossary}", 1)[1]
    )
    groups, current = [], []
    for line in block.split("```", 1)[0].splitlines():
        if line.strip() and not line.startswith((" ", ":")):
            current.append(line.strip().lower())
        elif current:
            groups.append(current)
            current = []
    unused = [g[0] for g in groups if not set(g) & linked]
    assert not unused, f"glossary entries that no page links to: {unused}"


def _named_chapters(text: str) -> list[str]:
    """The chapters ``text`` names as "the X chapter" (X lowercased)."""
    found = re.findall(r"\bthe\s+([A-Za-z][\w-]*)\s+chapter\b", text, flags=re.I)
    return [name.lower() for name in found if name.lower() not in NOT_A_NAME]


def _sources(where: str) -> dict[Path, str]:
    if where == "book pages":
        return _pages()
    if where == "README and CONTRIBUTING":
        return {
            ROOT / n: (ROOT / n).read_text(encoding="utf-8")
            for n in ("README.md", "CONTRIBUTING.md")
        }
    folders = {
        "lenet_common": ["lenet_common"],
        "benchmarks and scripts": ["benchmarks", "scripts"],
    }
    return {
        p: p.read_text(encoding="utf-8")
        for folder in folders[where]
        for p in sorted((ROOT / folder).rglob("*.py"))
    }


@pytest.mark.parametrize(
    "where",
    ["book pages", "lenet_common", "benchmarks and scripts", "README and CONTRIBUTING"],
)
def test_every_chapter_the_text_names_exists(where):
    pages = _toc_pages()
    for path, text in _sources(where).items():
        for name in _named_chapters(text):
            assert name in CHAPTER_NAMES, (
                f"{path.relative_to(ROOT)} mentions 'the {name} chapter': no chapter "
                f"has that name (known: {sorted(CHAPTER_NAMES)}; add it once it exists)"
            )
            assert f"book/{CHAPTER_NAMES[name]}" in pages, (
                f"{path.relative_to(ROOT)} mentions the {name} chapter, "
                f"book/{CHAPTER_NAMES[name]}, which is not in _toc.yml"
            )
