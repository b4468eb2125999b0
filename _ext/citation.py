"""Sphinx extension: the front pages' "Cite this book", made from CITATION.cff.

``CITATION.cff`` (Citation File Format 1.2.0, at the repository's root) is the
one description of how to cite the book. At build time this extension turns
it into a BibTeX entry and a one-line citation, offered to the pages as the
MyST substitutions ``{{ cite_bibtex }}`` and ``{{ cite_text }}``; the front
pages (book/intro.md, student/intro.md) show them, so the citation on the
page cannot drift from the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

CITATION_FILE = "CITATION.cff"


def read_citation(root: Path) -> dict[str, Any]:
    """CITATION.cff's content, with a clear error when it is missing or not CFF."""
    path = root / CITATION_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the front page's citation is made from it"
        )
    cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    missing = [
        k
        for k in ("cff-version", "title", "authors", "date-released")
        if not (isinstance(cff, dict) and cff.get(k))
    ]
    if missing:
        raise ValueError(
            f"{path} has no {', '.join(missing)}: fill them in (CFF 1.2.0)"
        )
    return cff


def _author(person: dict[str, str]) -> str:
    """One author as BibTeX writes it: ``Family, Given``, or ``{Name}`` for a group."""
    if "family-names" in person:
        given = person.get("given-names")
        return f"{person['family-names']}, {given}" if given else person["family-names"]
    return (
        "{" + person["name"] + "}"
    )  # braces: a group's name is not parsed as a person's


def _text_author(person: dict[str, str]) -> str:
    if "family-names" in person:
        return " ".join(
            p for p in (person.get("given-names"), person["family-names"]) if p
        )
    return person["name"]


def citation_key(cff: dict[str, Any]) -> str:
    """``lenet5book2026``: the repository's name, letters and digits only, and the year."""
    name = str(cff.get("repository-code", cff["title"])).rstrip("/").split("/")[-1]
    return re.sub(r"[^a-z0-9]", "", name.lower()) + str(cff["date-released"])[:4]


def bibtex(cff: dict[str, Any]) -> str:
    """The BibTeX entry (``@misc``) of a CITATION.cff."""
    date = str(cff["date-released"])
    licences = cff.get("license", [])
    licences = [licences] if isinstance(licences, str) else list(licences)
    fields = [
        ("author", " and ".join(_author(a) for a in cff["authors"])),
        ("title", cff["title"]),
        ("year", date[:4]),
        ("month", str(int(date[5:7]))),
        ("version", cff.get("version")),
        ("url", cff.get("url") or cff.get("repository-code")),
        ("note", "Licences: " + ", ".join(licences) if licences else None),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation_key(cff)},\n{body}\n}}"


def plain_text(cff: dict[str, Any]) -> str:
    """The citation in one sentence: authors (year). Title, version. URL."""
    authors = ", ".join(_text_author(a) for a in cff["authors"])
    version = f", version {cff['version']}" if cff.get("version") else ""
    url = cff.get("url") or cff.get("repository-code", "")
    return f"{authors} ({str(cff['date-released'])[:4]}). *{cff['title']}*{version}. <{url}>"


def _config_inited(app: Any, config: Any) -> None:
    cff = read_citation(Path(app.confdir))
    substitutions = dict(config.myst_substitutions or {})
    substitutions["cite_bibtex"] = f"```bibtex\n{bibtex(cff)}\n```"
    substitutions["cite_text"] = plain_text(cff)
    config.myst_substitutions = substitutions


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _config_inited, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
