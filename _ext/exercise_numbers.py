"""Sphinx extension: number the exercises per chapter (1, 2, 3 on every page).

Sphinx numbers figure-like nodes across the whole book unless the table of
contents is numbered; sphinx-exercise's exercises are such nodes, so without
this the output-size chapter's exercises would be 4-8. After Sphinx has
assigned its numbers, each page's exercises are renumbered from 1 in the
order they appear.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


def number_per_page(app: Sphinx, env: BuildEnvironment) -> list[str]:
    for figtypes in env.toc_fignumbers.values():
        numbers = figtypes.get("exercise")
        if numbers:
            in_order = sorted(numbers, key=numbers.get)
            figtypes["exercise"] = {ident: (i,) for i, ident in enumerate(in_order, 1)}
    return []


def setup(app: Sphinx) -> dict:
    # after Sphinx's own numbering (TocTreeCollector listens at the default 500)
    app.connect("env-get-updated", number_per_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
