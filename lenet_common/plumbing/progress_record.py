"""tqdm's notebook bar, whose saved output ends as one line of text.

A live notebook (Jupyter, Colab) draws tqdm's widget. A page built from the
saved notebook cannot run widget code, so it shows the plain-text form of the
same output instead; this bar sets that text to the finished bar when it
closes (for example ``epoch 3/3: 100%|██████████| 469/469 [00:31<00:00, ...]``
and, on the next line, ``acc=0.9635, loss=0.1460``).
Imported only when a notebook kernel runs, by :func:`lenet_common.runtime.progress`.
"""

from __future__ import annotations

from typing import Any

from IPython.display import display
from tqdm.notebook import tqdm_notebook

__all__ = ["RecordedNotebookBar"]


class RecordedNotebookBar(tqdm_notebook):
    """A tqdm notebook bar displayed with an id, so its text can be updated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["display"] = False  # displayed below, with an id to update
        super().__init__(*args, **kwargs)
        self._handle = None
        if not self.disable:
            self._handle = display(self._bundle(), raw=True, display_id=True)
            self.displayed = True

    def _bundle(self) -> dict[str, Any]:
        """The widget's view and, as its plain text, the bar's current state: the bar
        on one line, its figures (loss, accuracy, ...) on the next, so that both fit
        the page's column."""
        meter = dict(self.format_dict)
        postfix = meter.pop("postfix", None)
        text = self.format_meter(**meter)
        if postfix:
            text += "\n    " + postfix
        bundle = dict(self.container._repr_mimebundle_())
        bundle["text/plain"] = text
        return bundle

    def close(self) -> None:
        if self.disable or self._handle is None:
            return super().close()
        bundle = self._bundle()  # before closing: tqdm stops counting time then
        super().close()
        self._handle.update(bundle, raw=True)
