"""Strip outputs and execution counts from the chapters, in place.

Chapters are committed clean; the book build executes them. Usage:
    python scripts/clean_notebooks.py            # every book/*.ipynb, then student/
    python scripts/clean_notebooks.py PATH ...   # just these

Run without arguments, it also rewrites the student edition's notebooks
(``scripts/make_student.py``), which must stay in sync with the chapters:
commit ``student/`` with your chapter.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def clean(path: Path) -> bool:
    """Clean one notebook; return True when it changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            cell["outputs"] = []
            cell["execution_count"] = None
            changed = True
    # nbformat 4.5 gives every cell an id; older notebooks lack them, and every
    # reader (nbval, the build) then warns and invents new ones on each run
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        nb["nbformat"], nb["nbformat_minor"] = 4, 5
        changed = True
    taken = {cell["id"] for cell in nb.get("cells", []) if "id" in cell}
    for cell in nb.get("cells", []):
        if "id" not in cell:
            cell["id"] = next(
                i for i in iter(lambda: uuid.uuid4().hex[:8], None) if i not in taken
            )
            taken.add(cell["id"])
            changed = True
    meta = nb.get("metadata", {})
    for key in ("widgets", "execution"):
        if key in meta:
            del meta[key]
            changed = True
    if changed:
        path.write_text(
            json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return changed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "book").glob("*.ipynb"))
    for p in paths:
        if clean(p):
            print(f"cleaned {p}")
    if not argv:
        sys.path.insert(0, str(ROOT / "scripts"))
        import make_student

        changed = make_student.stale()
        make_student.write()
        if changed:
            print("student/ rewritten from book/ (commit it too):", "; ".join(changed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
