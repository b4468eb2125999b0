"""Write a configuration of the book derived from ``_config.yml``.

    python scripts/site_config.py quick _config.yml _build/quick/_config.yml
    python scripts/site_config.py student _config.yml _build/student/_config.yml

``quick``: ``make test``'s strict build of the pages, with execution turned
off (nbval has just executed every chapter, so building them with execution
would run each a second time for nothing).

``student``: the student edition, built from ``student/`` (``--toc
student/_toc.yml``; ``scripts/make_student.py`` writes those notebooks
without solutions), so its Colab, Binder and download buttons serve the
student notebooks. It differs only where it must: its title, and no "edit
this page" button (student/ is generated).

Both make local extension paths absolute, because the file is written
elsewhere.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml


def quick(config: dict[str, Any]) -> None:
    """No execution: the pages only."""
    config.setdefault("execute", {})["execute_notebooks"] = "off"


def student(config: dict[str, Any]) -> None:
    """The student edition's title, and no edit button."""
    config["title"] = config.get("title", "") + " (student edition)"
    config.setdefault("html", {})["use_edit_page_button"] = False


KINDS = {"quick": quick, "student": student}


def write(kind: str, source: Path, target: Path) -> Path:
    """Write ``source``'s configuration changed for ``kind`` to ``target``."""
    config = yaml.safe_load(source.read_text())
    KINDS[kind](config)
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {
        name: str((source.parent / path).resolve())
        for name, path in (sphinx.get("local_extensions") or {}).items()
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    write(args.kind, args.source, args.target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
