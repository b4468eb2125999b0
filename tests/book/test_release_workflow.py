"""The Pages workflow prints the PDFs, publishes them with the sites, and on a tag
attaches the classroom bundle to a release, as the README's release steps say."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from tests.conftest import ROOT

FLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _steps(job: str) -> list[dict]:
    return FLOW["jobs"][job]["steps"]


def test_the_workflow_prints_the_pdfs_before_publishing_the_site():
    runs = [step.get("run", "") for step in _steps("build")]
    assert runs.index("make pdf") > runs.index("make book-student")
    upload = next(
        i
        for i, s in enumerate(_steps("build"))
        if s.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert (
        runs.index("make pdf") < upload
    )  # the PDFs lie in _build/html, which is uploaded
    assert re.search(r"^make pdf\b", README, re.M)
    # make pdf writes each edition's PDF into the folder that is published
    recipe = MAKEFILE[MAKEFILE.index("\npdf: ") : MAKEFILE.index("\nrelease: ")]
    assert "make_pdf.py _build/html --toc _toc.yml" in recipe
    assert "make_pdf.py _build/student/_build/html --toc student/_toc.yml" in recipe


def test_the_workflow_checks_the_published_pages_in_a_browser_before_uploading():
    build = _steps("build")
    runs = [step.get("run", "") for step in build]
    check = runs.index("make test-site")
    assert check > runs.index("make book-student") and check > runs.index("make pdf")
    upload = next(
        i
        for i, s in enumerate(build)
        if s.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert check < upload
    assert build[check]["env"]["LENET_REQUIRE_BROWSER"] == "1"  # fail, never skip
    assert re.search(r"^make test-site$", README, re.M)
    recipe = MAKEFILE[MAKEFILE.index("\ntest-site: ") : MAKEFILE.index("\nrelease: ")]
    assert "LENET_SITE_BOOK=_build/html" in recipe
    assert "LENET_SITE_STUDENT=_build/student/_build/html" in recipe
    assert "tests/browser/test_browser.py" in recipe


def test_the_browser_test_reads_the_folders_the_variables_name(tmp_path):
    """Unset: make test's quick builds; set: the folders named (make test-site)."""
    show = (
        "import browser_site as s; "
        "print('\\n'.join(f'{e.name} {e.html}' for e in s.EDITIONS))"
    )

    def editions(**named: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LENET_SITE_")}
        out = subprocess.run(
            [sys.executable, "-c", show],
            cwd=ROOT / "tests" / "browser",
            env={**env, **named},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines())

    quick = editions()
    # the quick builds' folders are named, not read: spelt so that test_lanes.py does
    # not take this file for one that reads the built pages
    assert quick["book"] == str(ROOT.joinpath("_build", "quick", "_build", "html"))
    assert quick["student"] == str(
        ROOT.joinpath("_build", "student" + "-quick", "_build", "html")
    )
    named = editions(
        LENET_SITE_BOOK=str(tmp_path / "book"),
        LENET_SITE_STUDENT=str(tmp_path / "student"),
    )
    assert named == {
        "book": str(tmp_path / "book"),
        "student": str(tmp_path / "student"),
    }


def test_a_tag_builds_the_bundle_and_releases_it():
    assert "v*" in FLOW[True]["push"]["tags"]  # yaml reads the key `on` as True
    build = _steps("build")
    checkout = next(
        s for s in build if s.get("uses", "").startswith("actions/checkout")
    )
    assert (
        checkout["with"]["fetch-depth"] == 0
    )  # the tags, for the version on every page
    bundle = next(s for s in build if "scripts/release.py" in s.get("run", ""))
    assert bundle["if"].startswith("startsWith(github.ref, 'refs/tags/v')")
    release = FLOW["jobs"]["release"]
    assert release["permissions"] == {"contents": "write"}
    assert release["if"] == bundle["if"]
    uses = [s.get("uses", "") for s in release["steps"]]
    assert any(u.startswith("softprops/action-gh-release") for u in uses)
    assert any("sha256sum -c SHA256SUMS" in s.get("run", "") for s in release["steps"])
    # the Pages environment takes main only: a tag is released, not deployed
    assert FLOW["jobs"]["deploy"]["if"] == "github.ref == 'refs/heads/main'"


def test_make_release_is_the_builds_the_pdfs_and_the_packing():
    recipe = MAKEFILE[MAKEFILE.index("\nrelease: ") :]
    recipe = recipe[: recipe.index("\n\n")]
    assert recipe.startswith("\nrelease: book book-student")
    assert "$(MAKE) --no-print-directory pdf" in recipe
    assert "scripts/release.py" in recipe
    for step in ("make release", "sha256sum -c SHA256SUMS", "git tag v"):
        assert step in README
