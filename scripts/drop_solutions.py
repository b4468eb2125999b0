"""Sphinx extension for the student edition: leave every solution out.

sphinx-exercise's own ``hide_solutions`` crashes on gated solutions
(``solution-start``/``solution-end``, which this book uses so that solutions
can hold code cells): executablebooks/sphinx-exercise issue #89. So the
student edition keeps the solutions as sphinx-exercise builds them and drops
the finished solution nodes, code and outputs included, before writing.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx_exercise.nodes import solution_node


def drop_solutions(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(solution_node)):
        node.parent.remove(node)


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", drop_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
