"""The classroom bundle (scripts/release.py), packed from the quick builds.

``make release`` builds both editions in full mode and prints their PDFs;
the packing that follows is tested here on the quick builds that ``make
test`` has just made (``--allow-quick``), with stand-in PDFs (the PDFs
themselves are tested in tests/book/test_pdf.py): every part is in the bundle,
each archive holds what it should, the checksums verify, and a site that is
not fit to publish, a missing PDF or a tag that is not the version are
refused, leaving an earlier bundle as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml
from pypdf import PdfReader, PdfWriter

from tests.browser import browser_site as site
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "_ext"))
import edition  # noqa: E402
import release  # noqa: E402

pytestmark = pytest.mark.pages  # packs the built pages

BOOK, STUDENT = site.EDITIONS


def _blank_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Copies of both quick builds, each with a stand-in PDF where make pdf puts it."""
    root = tmp_path_factory.mktemp("sites")
    copies = {}
    for ed in (BOOK, STUDENT):
        if not (ed.html / "index.html").is_file():
            pytest.skip(f"{ed.html} is not built (make test builds it first)")
        copy = root / ed.name
        shutil.copytree(ed.html, copy)
        (copy / edition.PDF_NAMES[ed.name]).write_bytes(_blank_pdf(ed.name))
        copies[ed.name] = copy
    return copies


@pytest.fixture(scope="module")
def bundle(sites, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "dist"
    release.make_bundle(out, sites["book"], sites["student"], allow_quick=True)
    return out


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_the_bundle_holds_every_part(bundle):
    tag = edition.book_version(ROOT).replace("+", "-")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _names(bundle) == {
        f"lenet5-book-site-{tag}.zip",
        f"lenet5-book-student-site-{tag}.zip",
        f"lenet5-book-student-notebooks-{tag}.zip",
        f"lenet5-book-data-sample-{tag}.zip",
        f"lenet5-book-{tag}.pdf",
        f"lenet5-book-student-{tag}.pdf",
        f"lenet_common-{version}-py3-none-any.whl",
        "README.txt",
        "SHA256SUMS",
    }
    readme = (bundle / "README.txt").read_text()
    assert all(name in readme for name in _names(bundle) - {"README.txt", "SHA256SUMS"})


def test_the_checksums_verify(bundle):
    lines = (bundle / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == _names(bundle) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest, name
    if shutil.which("sha256sum"):  # the README's own check
        done = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"],
            cwd=bundle,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def _zip(bundle: Path, prefix: str) -> zipfile.ZipFile:
    (path,) = bundle.glob(f"{prefix}-*.zip")
    return zipfile.ZipFile(path)


def test_the_sites_are_whole(bundle, sites):
    for name, prefix in (
        ("book", "lenet5-book-site"),
        ("student", "lenet5-book-student-site"),
    ):
        archive = _zip(bundle, prefix)
        top = archive.namelist()[0].split("/")[0]
        inside = {n.removeprefix(top + "/") for n in archive.namelist()}
        on_disk = {
            p.relative_to(sites[name]).as_posix()
            for p in sites[name].rglob("*")
            if p.is_file()
        }
        # every file but the PDF, which the bundle has once, beside the sites
        assert inside == on_disk - {edition.PDF_NAMES[name]}
        assert "index.html" in inside
        assert archive.testzip() is None


def test_the_student_notebooks_and_the_data_sample(bundle):
    notebooks = _zip(bundle, "lenet5-book-student-notebooks")
    assert sorted(n.split("/", 1)[1] for n in notebooks.namelist()) == sorted(
        p.name for p in (ROOT / "student").glob("*.ipynb")
    )
    for n in notebooks.namelist():
        assert notebooks.read(n) == (ROOT / "student" / n.split("/", 1)[1]).read_bytes()
    sample = _zip(bundle, "lenet5-book-data-sample")
    names = {n.split("/", 1)[1] for n in sample.namelist()}
    shipped = {
        p.relative_to(release.SAMPLE).as_posix()
        for p in release.SAMPLE.rglob("*")
        if p.is_file()
    }
    assert names == shipped and "mnist/SHA256SUMS" in names
    top = sample.namelist()[0].split("/")[0]
    for line in sample.read(f"{top}/mnist/SHA256SUMS").decode().splitlines():
        digest, name = line.split()  # the SHA-256 of each file's content (unzipped)
        content = gzip.decompress(sample.read(f"{top}/mnist/{name}.gz"))
        assert hashlib.sha256(content).hexdigest() == digest, name


def test_the_wheel_installs_lenet_common(bundle):
    (wheel,) = bundle.glob("lenet_common-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert "lenet_common/__init__.py" in names
    assert any(n.startswith("lenet_common/data/sample/mnist/") for n in names)
    assert not any("__pycache__" in n for n in names)
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    assert "License: MIT" in archive.read(metadata).decode()


def test_the_pdfs_are_the_sites(bundle, sites):
    for name in ("book", "student"):
        (pdf,) = [
            p
            for p in bundle.glob("*.pdf")
            if (p.name.startswith("lenet5-book-student-")) == (name == "student")
        ]
        assert pdf.read_bytes() == (sites[name] / edition.PDF_NAMES[name]).read_bytes()
        assert PdfReader(pdf).metadata["/Title"] == name


def test_a_quick_or_unexecuted_site_is_refused(sites, tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "old.txt").write_text("the previous bundle")
    with pytest.raises(release.ReleaseError, match="not built in full mode"):
        release.make_bundle(out, sites["book"], sites["student"])
    assert _names(out) == {"old.txt"}  # left as it was


def test_a_missing_pdf_or_page_is_refused(sites, tmp_path):
    broken = tmp_path / "student"
    shutil.copytree(sites["student"], broken)
    (broken / edition.PDF_NAMES["student"]).unlink()
    with pytest.raises(release.ReleaseError, match="make pdf"):
        release.make_bundle(tmp_path / "dist", sites["book"], broken, allow_quick=True)
    (broken / "student" / "01_data.html").unlink()
    with pytest.raises(release.ReleaseError, match="01_data.html is missing"):
        release.make_bundle(tmp_path / "dist", sites["book"], broken, allow_quick=True)
    assert not (tmp_path / "dist").exists()
    assert not [
        p for p in tmp_path.iterdir() if p.name.startswith(".dist-")
    ]  # no leftovers


def test_a_tag_must_be_the_version(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    version = yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"]
    (tmp_path / "CITATION.cff").write_text(f'version: "{version}"\n')
    git("init", "-q")
    git("add", "CITATION.cff")
    git("commit", "-qm", "x")
    release.check_tag(tmp_path)  # untagged: nothing to check
    git("tag", f"v{version}")
    release.check_tag(tmp_path)
    git("tag", "-d", f"v{version}")
    git("tag", "v99.0.0")
    with pytest.raises(release.ReleaseError, match="v99.0.0 but CITATION.cff says"):
        release.check_tag(tmp_path)
