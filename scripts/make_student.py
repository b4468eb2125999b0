"""Write the student edition's notebooks: every chapter of _toc.yml without its
solutions.

    python scripts/make_student.py          # (re)write student/*.ipynb, student/_toc.yml
    python scripts/make_student.py --check  # exit 1, naming the stale files

The student notebooks are committed, because Colab and Binder open notebooks
from the repository: the student site's launch and download buttons point at
them. Each is its chapter minus the cells from ``solution-start`` to
``solution-end`` (see CONTRIBUTING.md); everything else, starter cells
included, is kept as it is. ``student/intro.md``, the student edition's
front page, is written by hand; pages that are not notebooks (glossary,
bibliography) are used from book/; the instructor-only pages are left out of
``student/_toc.yml``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from lenet_common.plumbing.notebooks import without_solutions

ROOT = Path(__file__).resolve().parents[1]

STUDENT = "student"
#: pages of the book that only instructors get (the student edition has no link to them)
INSTRUCTOR_ONLY = {"book/instructors"}
FRONT_PAGE = f"{STUDENT}/intro"
HEADER = (
    "# The student edition's table of contents, written by scripts/make_student.py\n"
    "# from _toc.yml: do not edit (run `make student`).\n"
)


def _student_name(entry: str) -> str:
    return f"{STUDENT}/{Path(entry).name}"


def _toc_entries(toc: dict) -> list[dict]:
    """The chapter entries of the book's table of contents (flat, or in parts)."""
    if "parts" in toc:
        return [
            chapter for part in toc["parts"] for chapter in part.get("chapters", [])
        ]
    return toc.get("chapters", [])


def student_toc(toc: dict, root: Path = ROOT) -> dict:
    """The book's table of contents, its notebooks in student/, without instructor
    pages.

    Pages that are not notebooks (glossary, bibliography) hold no exercises:
    the student edition uses them where they are.
    """

    def convert(chapters: list[dict]) -> list[dict]:
        kept = []
        for chapter in chapters:
            if chapter["file"] in INSTRUCTOR_ONLY:
                continue
            notebook = (root / f"{chapter['file']}.ipynb").is_file()
            entry = dict(
                chapter,
                file=_student_name(chapter["file"]) if notebook else chapter["file"],
            )
            if "sections" in chapter:
                entry["sections"] = convert(chapter["sections"])
            kept.append(entry)
        return kept

    result = dict(toc, root=FRONT_PAGE)
    if "parts" in toc:
        result["parts"] = [
            dict(part, chapters=convert(part.get("chapters", [])))
            for part in toc["parts"]
        ]
    else:
        result["chapters"] = convert(toc.get("chapters", []))
    return result


def student_notebook(path: Path) -> str:
    """The text of ``path``'s student notebook: no solutions, marked as the student
    edition."""
    nb = without_solutions(json.loads(path.read_text(encoding="utf-8")))
    nb["metadata"] = dict(
        nb.get("metadata", {}), lenet_book={"edition": "student", "chapter": path.stem}
    )
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def wanted(root: Path = ROOT) -> dict[Path, str]:
    """Every file of the student edition that this script writes, with its text."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = {
        root / STUDENT / "_toc.yml": HEADER
        + yaml.safe_dump(student_toc(toc, root), sort_keys=False)
    }
    for chapter in _toc_entries(toc):
        for entry in [chapter, *chapter.get("sections", [])]:
            source = root / f"{entry['file']}.ipynb"
            if entry["file"] not in INSTRUCTOR_ONLY and source.is_file():
                files[root / f"{_student_name(entry['file'])}.ipynb"] = (
                    student_notebook(source)
                )
    return files


def stale(root: Path = ROOT) -> list[str]:
    """What differs between student/ and what this script would write (empty: in
    sync)."""
    files = wanted(root)
    problems = [
        f"{p.relative_to(root)} is out of date"
        for p, text in files.items()
        if not p.is_file() or p.read_text(encoding="utf-8") != text
    ]
    problems += [
        f"{p.relative_to(root)} belongs to no chapter of _toc.yml"
        for p in sorted((root / STUDENT).glob("*.ipynb"))
        if p not in files
    ]
    if not (root / f"{FRONT_PAGE}.md").is_file():
        problems.append(f"{FRONT_PAGE}.md (the student front page) is missing")
    return problems


def write(root: Path = ROOT) -> list[Path]:
    """Write the student edition's generated files; remove notebooks of removed
    chapters."""
    files = wanted(root)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # all or nothing: never a half-written notebook
    for old in (root / STUDENT).glob("*.ipynb"):
        if old not in files:
            old.unlink()
    return sorted(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that student/ is in sync with book/",
    )
    args = parser.parse_args()
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"make_student: {problem}; run `make student`", file=sys.stderr)
        if not problems:
            print("make_student: student/ is in sync with book/ and _toc.yml")
        return 1 if problems else 0
    written = write()
    print(
        f"make_student: {len(written)} files of the student edition in {ROOT / STUDENT}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
