"""Small notebook helpers: show the package's own code on the page."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

__all__ = ["show_source", "source_of"]


def source_of(obj: Any) -> str:
    """The source text of a function, class or module, dedented."""
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError) as err:
        raise TypeError(
            f"cannot show the source of {obj!r}: only functions, classes and "
            "modules defined in Python files have one"
        ) from err


def show_source(obj: Any) -> Any:
    """Display ``obj``'s source with syntax highlighting (the code that really runs).

    Returns an ``IPython.display.Code`` object, so it renders when it is the
    last expression of a cell; outside IPython it returns the plain text.
    """
    text = source_of(obj)
    try:
        from IPython.display import Code
    except ImportError:  # plain Python: the text itself is the best we can do
        return text
    return Code(text, language="python")
