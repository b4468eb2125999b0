"""The Pages workflow prints the PDFs, publishes them with the sites, and on a tag
attaches the classroom bundle to a release, as the README's release steps say."""

from __future__ import annotations

import re

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
