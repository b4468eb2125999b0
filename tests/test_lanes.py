"""make test's two lanes: every test that starts a kernel or reads built pages is marked.

The side lane runs ``-m "not kernels and not pages"`` beside the student
build and nbval. A test that starts Jupyter kernels there could race them
for ports, and a test that reads the built pages could run before they
exist; so the test files that do either must say so with their mark.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

# What, in a test file's text, starts a kernel or reads the quick builds' pages.
STARTS_KERNELS = re.compile(
    r"NotebookClient|KernelManager|nbclient|grade\.py|bench_build\.py|ipykernel"
)
READS_PAGES = re.compile(r"student-quick|browser_site as site|_build\" / \"quick")
TEST_FILES = sorted((ROOT / "tests").rglob("test_*.py"))


@pytest.mark.parametrize(
    "path", TEST_FILES, ids=lambda p: p.relative_to(ROOT / "tests").as_posix()
)
def test_files_that_start_kernels_or_read_pages_carry_the_mark(path):
    if path.name == "test_lanes.py":
        return
    text = path.read_text(encoding="utf-8")
    if STARTS_KERNELS.search(text):
        assert "pytest.mark.kernels" in text, (
            f"{path.name} starts Jupyter kernels: mark it (pytestmark = pytest.mark.kernels, "
            "or @pytest.mark.kernels on the test) so that make test runs it in the kernel lane"
        )
    if READS_PAGES.search(text):
        assert "pytest.mark.pages" in text, (
            f"{path.name} reads the built pages: mark it pytest.mark.pages so that make test "
            "runs it after the builds"
        )


def test_the_makefile_runs_the_marks_in_their_lanes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\ntest: ") : makefile.index("\nbook-quick:")]
    assert '-m "not kernels and not pages"' in recipe
    assert '-m "pages and not pdf"' in recipe and "-m kernels --nbval-lax" in recipe
    # the browser test is split by edition between the lanes: together, every page test
    assert '-k "student or not test_browser"' in recipe
    assert 'test_browser.py -m "pages and not pdf" -k "not student"' in recipe
    # the side lane is the one in the background; kernels run in the foreground lane
    side = recipe[recipe.index("( side=0;") : recipe.index("& side=$$!")]
    assert "-m kernels" not in side and "jupyter-book" not in side.replace(
        "$(JB)", "jupyter-book"
    )
