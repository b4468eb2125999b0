"""The student edition: in sync with the chapters, and no way to a solution.

``make test`` builds the student edition's quick HTML before pytest runs, so
the HTML tests below check the real pages there (they skip only when run on
their own, before any build; ``scripts/check_book.py --no-solutions`` runs the
same check in ``make test`` right after the build).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from lenet_common.plumbing import notebooks as cells
from tests.conftest import ROOT

pytestmark = pytest.mark.pages  # reads the built student pages


def _script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_student = _script("make_student")
check_book = _script("check_book")

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = [
    c["file"]
    for c in TOC["chapters"]
    if (ROOT / f"{c['file']}.ipynb").is_file()
    and c["file"] not in make_student.INSTRUCTOR_ONLY
]
STUDENT_HTML = ROOT / "_build" / "student-quick" / "_build" / "html"
BOOK_HTML = ROOT / "_build" / "quick" / "_build" / "html"


def notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def student_path(chapter):
    return ROOT / "student" / f"{chapter.split('/')[-1]}.ipynb"


def all_sources(nb):
    return "\n".join(cells.source(c) for c in nb["cells"])


def test_student_notebooks_are_in_sync_with_the_chapters():
    problems = make_student.stale()
    assert not problems, f"{problems}: run `make student` and commit student/"


def test_every_chapter_has_a_student_notebook_and_a_toc_entry():
    toc = yaml.safe_load((ROOT / "student" / "_toc.yml").read_text())
    assert toc["root"] == "student/intro"
    listed = [c["file"] for c in toc["chapters"]]
    wanted = [
        c["file"]
        for c in TOC["chapters"]
        if c["file"] not in make_student.INSTRUCTOR_ONLY
    ]
    assert listed == [
        f"student/{file.split('/')[-1]}" if file in CHAPTERS else file
        for file in wanted
    ]
    assert set(CHAPTERS) and all(student_path(c).is_file() for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_is_the_chapter_without_its_solutions(chapter):
    book, student = notebook(ROOT / f"{chapter}.ipynb"), notebook(student_path(chapter))
    assert student["cells"] == cells.without_solutions(book)["cells"]
    assert [e.label for e in cells.exercises(student)] == [
        e.label for e in cells.exercises(book)
    ]
    assert student["metadata"]["lenet_book"] == {
        "edition": "student",
        "chapter": chapter.split("/")[-1],
    }


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_code_or_text_in_student_notebooks(chapter):
    book, student = notebook(ROOT / f"{chapter}.ipynb"), notebook(student_path(chapter))
    if not cells.exercises(book):  # a chapter without exercises (the speed appendix)
        assert student["cells"] == book["cells"]
        return
    shingles = cells.solution_shingles(book)
    assert cells.leaked(shingles, all_sources(book)), (
        "the detector finds nothing to look for"
    )
    text = json.dumps(student, ensure_ascii=False) + all_sources(student)
    assert "solution-start" not in text and "solution-end" not in text
    assert not cells.leaked(shingles, all_sources(student))


def test_a_leaked_solution_is_found_in_a_page():
    book = notebook(ROOT / f"{CHAPTERS[0]}.ipynb")
    label, first, last = cells.solution_ranges(book)[0]
    solution = " ".join(cells.source(c) for c in book["cells"][first + 1 : last])
    page = f"<html><body><p>{solution.replace(' ', ' <span>')}</p></body></html>"
    assert check_book.solution_leaks(CHAPTERS[0], page)
    assert not check_book.solution_leaks(CHAPTERS[0], "<p>no solution here</p>")


def _built(folder):
    if not (folder / "index.html").is_file():
        pytest.skip(
            f"{folder} is not built (make test builds it before running pytest)"
        )
    return folder


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_in_student_html(chapter):
    html = _built(STUDENT_HTML) / "student" / f"{chapter.split('/')[-1]}.html"
    text = html.read_text(encoding="utf-8")
    assert 'class="solution' not in text
    assert not check_book.solution_leaks(chapter, text)


def test_the_html_check_finds_the_solutions_of_the_instructor_edition():
    chapter = next(c for c in CHAPTERS if "numpy" in c)
    html = _built(BOOK_HTML) / f"{chapter}.html"
    assert check_book.solution_leaks(chapter, html.read_text(encoding="utf-8"))


def test_student_front_page_describes_the_student_edition():
    html = _built(STUDENT_HTML) / "student" / "intro.html"
    text = " ".join(check_book.page_text(html.read_text(encoding="utf-8")).split())
    assert "student edition" in text and "no solutions" in text
    assert "Not attempted yet" in text


def test_a_chapter_added_later_gets_its_student_notebook(tmp_path):
    for name in ("book", "student"):
        shutil.copytree(ROOT / name, tmp_path / name)
    toc = dict(TOC, chapters=TOC["chapters"] + [{"file": "book/99_new"}])
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
    new = notebook(ROOT / f"{CHAPTERS[0]}.ipynb")
    (tmp_path / "book" / "99_new.ipynb").write_text(json.dumps(new))
    assert any("99_new" in p for p in make_student.stale(tmp_path))
    make_student.write(tmp_path)
    assert make_student.stale(tmp_path) == []
    written = notebook(tmp_path / "student" / "99_new.ipynb")
    assert not cells.solution_ranges(written) and cells.exercises(written)
    (tmp_path / "book" / "99_new.ipynb").unlink()
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(TOC))
    assert any("belongs to no chapter" in p for p in make_student.stale(tmp_path))


def test_check_mode_of_the_script_passes_on_the_committed_edition():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_student.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_instructor_page_has_every_chapter_and_is_not_in_the_student_edition():
    page = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    for chapter in CHAPTERS:
        assert f"({chapter.split('/')[-1]}.ipynb)" in page, (
            f"add {chapter} to the learning goals and times of book/instructors.md"
        )
    assert "book/instructors" in [c["file"] for c in TOC["chapters"]]
    student_toc = (ROOT / "student" / "_toc.yml").read_text()
    assert "instructors" not in student_toc
