"""The instructor page's table of every chapter's exercises, read from the chapters.

Numbers, titles and labels come from the notebooks themselves (through
:mod:`~lenet_common.plumbing.notebooks`), and the Colab links from ``_config.yml``, so the table cannot
disagree with the book.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lenet_common.plumbing.notebooks import exercises, writes_code

__all__ = ["exercise_rows", "exercise_table"]


def exercise_rows(root: Path) -> list[dict[str, str]]:
    """One row per exercise of every chapter notebook listed in ``root/_toc.yml``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    rows = []
    for entry in toc.get("chapters", []):
        path = root / f"{entry['file']}.ipynb"
        if not path.is_file():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        title = next(
            (
                line[2:]
                for c in nb["cells"]
                if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines()
                if line.startswith("# ")
            ),
            path.stem,
        )
        for ex in exercises(nb):
            rows.append(
                {
                    "chapter": path.stem,
                    "chapter_title": title,
                    "number": str(ex.number),
                    "title": ex.title,
                    "label": ex.label,
                    "kind": "code" if writes_code(nb, ex) else "answer",
                }
            )
    return rows


def exercise_table(root: Path) -> str:
    """A markdown table of the exercises, one line per exercise, with the Colab link of
    each chapter's student notebook."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]
    github = repo["url"].replace("https://github.com/", "")
    colab = (
        f"{config['launch_buttons']['colab_url']}/github/{github}/blob/"
        f"{repo.get('branch', 'main')}/student/{{}}.ipynb"
    )
    lines = [
        "| chapter | exercise | the student | label |",
        "| --- | --- | --- | --- |",
    ]
    seen = set()
    for row in exercise_rows(root):
        chapter = ""
        if row["chapter"] not in seen:
            seen.add(row["chapter"])
            chapter = f"[{row['chapter_title']}]({colab.format(row['chapter'])})"
        kind = "writes code" if row["kind"] == "code" else "works out an answer"
        lines.append(
            f"| {chapter} | {row['number']}. {row['title']} | {kind} | "
            f"`{row['label']}` |"
        )
    return "\n".join(lines)
