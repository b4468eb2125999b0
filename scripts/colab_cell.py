"""The Colab set-up cell of every chapter, written from ``_config.yml``.

    python scripts/colab_cell.py          # rewrite the first code cell of every notebook
    python scripts/colab_cell.py --check  # exit 1 if a notebook's cell differs

The cell installs ``lenet_common`` from the repository (``repository.url``)
at the ref the book is published from (``repository.branch``). The same two
values make the Colab and Binder buttons, so a notebook opened from a ref
installs the package of that ref: on main, main; to publish a release, set
``repository.branch`` to its tag and run this script before tagging.
A failed install raises an error that carries pip's own message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_FOLDERS = ("book", "student")

TEMPLATE = """\
# Colab only: install this book's helper package, lenet_common, from its repository.
# torch and TensorFlow are already installed in Colab; elsewhere this cell does nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "lenet_common @ git+{url}@{ref}"],
        capture_output=True, text=True,
    )
    if pip.returncode != 0:
        raise RuntimeError(
            "pip could not install lenet_common:\\n" + pip.stdout + pip.stderr
        )"""


def repository(config_file: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``(url, ref)`` of the repository, as ``_config.yml`` gives them."""
    repo = yaml.safe_load(config_file.read_text())["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def cell_source(url: str, ref: str) -> str:
    """The set-up cell's code for a repository URL and ref."""
    return TEMPLATE.format(url=url, ref=ref)


def notebooks() -> list[Path]:
    """Every chapter notebook of the repository (the book's and the student edition's)."""
    found = []
    for folder in NOTEBOOK_FOLDERS:
        found += sorted(
            p
            for p in (ROOT / folder).rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts
        )
    return found


def first_code_cell(nb: dict) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "code")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check, change nothing"
    )
    args = parser.parse_args()
    wanted = cell_source(*repository())
    stale = []
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = first_code_cell(nb)
        if "".join(cell["source"]) == wanted:
            continue
        stale.append(path)
        if not args.check:
            cell["source"] = wanted.splitlines(keepends=True)
            path.write_text(
                json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    verb = "differs" if args.check else "rewritten"
    for path in stale:
        print(f"{path.relative_to(ROOT)}: Colab cell {verb}", file=sys.stderr)
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
