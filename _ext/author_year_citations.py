"""Sphinx extension: label the bibliography's entries the way the text cites them.

The chapters cite in author-year form, "(LeCun et al., 1998)"
(``bibtex_reference_style: author_year``). sphinxcontrib-bibtex's built-in
bibliography styles still label each entry with an alpha key such as
"[LBBH98]", which a reader cannot match with the citation. This extension
registers the pybtex style ``author_year``: pybtex's ``plain`` formatting
with "LeCun et al., 1998" as each entry's label. ``_config.yml`` loads it
(``sphinx.local_extensions``) and selects it (``bibtex_default_style``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person: Any) -> str:
    """A person's last name as plain text (LaTeX accents and braces resolved)."""
    return Text.from_latex(
        " ".join(person.prelast_names + person.last_names)
    ).render_as("text")


def author_year_label(entry: Any) -> str:
    """'Glorot and Bengio, 2010', 'LeCun et al., 1998', 'Chollet et al., 2015'."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    others = any(str(p) == "others" for p in people)
    names = [n for n in names if n != "others"]
    if not names:
        who = entry.key
    elif len(names) == 1 and not others:
        who = names[0]
    elif len(names) == 2 and not others:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """Entry labels in the citations' own author-year form."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        for entry in sorted_entries:
            yield author_year_label(entry)


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style, labelled author-year."""

    default_label_style = AuthorYearLabels


def setup(app: Any) -> dict:
    register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
