"""Pack the offline classroom bundle of a release into dist/.

    python scripts/release.py                  # after make book, make book-student, make pdf
    python scripts/release.py --allow-quick    # from quick builds, to test the packing only

``make release`` builds both editions and their PDFs, then runs this. The
bundle is a folder of files, each named with the edition's version (the
git tag, or the short commit; see ``_ext/edition.py``):

- ``lenet5-book-site-VERSION.zip``: the book's site (open ``index.html``);
- ``lenet5-book-student-site-VERSION.zip``: the student edition's site;
- ``lenet5-book-student-notebooks-VERSION.zip``: the student notebooks;
- ``lenet5-book-VERSION.pdf`` and ``lenet5-book-student-VERSION.pdf``;
- ``lenet_common-X.Y.Z-py3-none-any.whl``: the helper package, for
  ``pip install`` without network (its dependencies are not included);
- ``lenet5-book-data-sample-VERSION.zip``: the MNIST and Fashion-MNIST
  sample the package ships, with its SHA256SUMS;
- ``README.txt``: what each file is; ``SHA256SUMS``: every file's SHA-256,
  checked with ``sha256sum -c SHA256SUMS``.

The bundle is made in a temporary folder and moved into place whole, so a
failed run leaves the previous dist/ as it was. A release must be built in
full mode: a site that shows a quick-mode run, or was built without running
its chapters, is refused unless ``--allow-quick`` (for tests).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "scripts"))

import edition as edition_ext  # noqa: E402
from headless import toc_pages  # noqa: E402

SITE = ROOT / "_build" / "html"
STUDENT_SITE = ROOT / "_build" / "student" / "_build" / "html"
SAMPLE = ROOT / "lenet_common" / "data" / "sample"
# what the wheel is built from (copied, so that the build leaves the tree untouched)
WHEEL_SOURCES = ("pyproject.toml", "README.md", "LICENSE", "lenet_common")


class ReleaseError(Exception):
    """A part of the bundle is missing or not fit to publish."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def zip_folder(
    folder: Path, target: Path, top: str, leave_out: tuple[str, ...] = ()
) -> None:
    """Zip ``folder``'s files under the folder name ``top``, in a stable order,
    leaving out the files named in ``leave_out`` (relative to ``folder``)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if (
                "__pycache__" in path.parts
                or path.relative_to(folder).as_posix() in leave_out
            ):
                continue
            archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")


def check_site(site: Path, toc: Path, allow_quick: bool) -> None:
    """Refuse a missing site, a missing page, or (unless allowed) a quick or unexecuted one."""
    if not (site / "index.html").is_file():
        raise ReleaseError(
            f"{site} holds no built site: run make book and make book-student"
        )
    for page in toc_pages(toc):
        html = site / f"{page}.html"
        if not html.is_file():
            raise ReleaseError(f"{html} is missing: rebuild the site")
        if allow_quick or not (ROOT / f"{page}.ipynb").is_file():
            continue
        text = html.read_text(encoding="utf-8")
        if "Mode: QUICK" in text or "Mode: full" not in text:
            raise ReleaseError(
                f"{html} was not built in full mode (make book): "
                "a release never ships quick-mode or unexecuted chapters"
            )


def check_tag(root: Path = ROOT) -> None:
    """A tagged release's tag must be ``v`` + CITATION.cff's and pyproject's version."""
    tag = edition_ext.head_tag(root)
    if tag is None:
        return
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    if tag.removeprefix("v") != str(cff.get("version")):
        raise ReleaseError(
            f"HEAD is tagged {tag} but CITATION.cff says version "
            f"{cff.get('version')}: update CITATION.cff and pyproject.toml "
            "before tagging (README, Releasing)"
        )


def build_wheel(target: Path) -> Path:
    """A wheel of lenet_common, built with the environment's setuptools (no download)."""
    with tempfile.TemporaryDirectory(prefix="lenet-wheel-") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in WHEEL_SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(
                    path,
                    source / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                shutil.copy2(path, source / name)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--quiet",
                "--wheel-dir",
                str(target),
                str(source),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ReleaseError(
                f"the wheel of lenet_common did not build:\n{done.stderr}"
            )
    wheels = sorted(target.glob("lenet_common-*.whl"))
    if len(wheels) != 1:
        raise ReleaseError(f"expected one wheel of lenet_common, found {wheels}")
    return wheels[0]


def readme(version: str, files: list[str]) -> str:
    lines = [
        f"LeNet-5 from the ground up: the offline classroom bundle, version {version}.",
        "",
        "Check the files first:  sha256sum -c SHA256SUMS",
        "",
        "The sites: unzip, then open index.html in a browser (no network needed;",
        "the Colab and Binder buttons do need it). The student edition has no solutions.",
        "The student notebooks: hand them out; they need the helper package:",
        "  pip install lenet_common-*.whl   (needs numpy, matplotlib, tqdm, threadpoolctl)",
        "The data sample: what the package already ships, for LENET_QUICK=1 runs.",
        "",
        "Code: MIT License. Text and figures: CC BY 4.0 (see LICENSE-text.md in the",
        "repository). Cite the book as its CITATION.cff says.",
        "",
        "Files:",
        *(f"  {name}" for name in files),
    ]
    return "\n".join(lines) + "\n"


def make_bundle(
    out: Path,
    site: Path = SITE,
    student_site: Path = STUDENT_SITE,
    allow_quick: bool = False,
) -> list[Path]:
    """Write the bundle into ``out`` (replacing it whole); returns its files."""
    version = edition_ext.book_version(ROOT)
    check_tag()
    check_site(site, ROOT / "_toc.yml", allow_quick)
    check_site(student_site, ROOT / "student" / "_toc.yml", allow_quick)
    pdfs = {
        name: folder / edition_ext.PDF_NAMES[name]
        for name, folder in (("book", site), ("student", student_site))
    }
    for pdf in pdfs.values():
        if not pdf.is_file():
            raise ReleaseError(f"{pdf} is missing: run make pdf")
    tag = version.replace("+", "-")  # a file name without '+'
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    part.chmod(0o755)  # mkdtemp makes it private; the bundle is for sharing
    try:
        # the PDFs lie in the sites' folders (make pdf); the bundle has them once, beside
        zip_folder(
            site,
            part / f"lenet5-book-site-{tag}.zip",
            f"lenet5-book-site-{tag}",
            leave_out=(pdfs["book"].name,),
        )
        zip_folder(
            student_site,
            part / f"lenet5-book-student-site-{tag}.zip",
            f"lenet5-book-student-site-{tag}",
            leave_out=(pdfs["student"].name,),
        )
        with tempfile.TemporaryDirectory() as tmp:
            notebooks = Path(tmp)
            for nb in sorted((ROOT / "student").glob("*.ipynb")):
                shutil.copy2(nb, notebooks / nb.name)
            if not any(notebooks.iterdir()):
                raise ReleaseError("student/ holds no notebooks: run make student")
            zip_folder(
                notebooks,
                part / f"lenet5-book-student-notebooks-{tag}.zip",
                f"lenet5-book-student-notebooks-{tag}",
            )
        zip_folder(
            SAMPLE,
            part / f"lenet5-book-data-sample-{tag}.zip",
            f"lenet5-book-data-sample-{tag}",
        )
        shutil.copy2(pdfs["book"], part / f"lenet5-book-{tag}.pdf")
        shutil.copy2(pdfs["student"], part / f"lenet5-book-student-{tag}.pdf")
        build_wheel(part)
        names = sorted(p.name for p in part.iterdir())
        (part / "README.txt").write_text(readme(version, names), encoding="utf-8")
        names = sorted(p.name for p in part.iterdir())
        (part / "SHA256SUMS").write_text(
            "".join(f"{sha256(part / name)}  {name}\n" for name in names),
            encoding="utf-8",
        )
        if out.exists():
            old = out.with_name(f".{out.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            part.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            part.rename(out)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return sorted(out.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--site", type=Path, default=SITE)
    parser.add_argument("--student-site", type=Path, default=STUDENT_SITE)
    parser.add_argument(
        "--allow-quick",
        action="store_true",
        help="accept quick or unexecuted builds (tests only: never publish)",
    )
    args = parser.parse_args(argv)
    try:
        files = make_bundle(args.out, args.site, args.student_site, args.allow_quick)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    total = sum(f.stat().st_size for f in files)
    for f in files:
        print(f"release: {f.stat().st_size / 1e6:8.1f} MB  {f.name}")
    print(f"release: {len(files)} files, {total / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
