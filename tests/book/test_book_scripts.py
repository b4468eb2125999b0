"""The build's guards: no quick-mode page is published, no solution in the student edition."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
PAGES = [TOC["root"]] + [c["file"] for c in TOC["chapters"]]


def fake_book(
    tmp_path, text_of=lambda page: "<p>Mode: full (full MNIST, all epochs).</p>"
):
    for page in PAGES:
        path = tmp_path / f"{page}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text_of(page))
    return tmp_path


def check(html, *flags):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_book.py"), str(html), *flags],
        capture_output=True,
        text=True,
    )


def test_full_book_passes(tmp_path):
    result = check(fake_book(tmp_path), "--mode", "full")
    assert result.returncode == 0, result.stderr
    assert f"{len(PAGES)} pages checked" in result.stdout


def test_quick_page_in_full_book_fails(tmp_path):
    html = fake_book(
        tmp_path, lambda p: "Mode: QUICK (LENET_QUICK=1)" if p == PAGES[-1] else "ok"
    )
    result = check(html, "--mode", "full")
    assert result.returncode == 1 and "shows quick-mode results" in result.stderr


def test_missing_page_fails(tmp_path):
    html = fake_book(tmp_path)
    (html / f"{PAGES[0]}.html").unlink()
    result = check(html, "--mode", "full")
    assert result.returncode == 1 and "missing" in result.stderr


def test_solution_in_student_edition_fails(tmp_path):
    html = fake_book(tmp_path, lambda p: '<div class="solution dropdown admonition">')
    assert check(html, "--mode", "full", "--no-solutions").returncode == 1
    assert check(html, "--mode", "full").returncode == 0


def test_image_without_a_real_alt_text_fails(tmp_path):
    def page(alt):
        return lambda p: (
            '<p>Mode: full</p><img src="../_images/9a5daf46.png"'
            + (f' alt="{alt}"' if alt is not None else "")
            + ">"
        )

    good = check(
        fake_book(tmp_path / "good", page("Bar chart of the share of each digit")),
        "--mode",
        "full",
    )
    assert good.returncode == 0, good.stderr
    for alt, why in (
        (None, "no alt text"),
        (" ", "an empty alt text"),
        ("../_images/9a5daf46.png", "a file name"),
    ):
        result = check(fake_book(tmp_path / str(len(why)), page(alt)), "--mode", "full")
        assert result.returncode == 1 and why in result.stderr, (alt, result.stderr)


def test_student_config_is_the_books_for_student_notebooks(tmp_path):
    out = tmp_path / "student.yml"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "site_config.py"),
            "student",
            str(ROOT / "_config.yml"),
            str(out),
        ],
        check=True,
    )
    config = yaml.safe_load(out.read_text())
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["title"].endswith("(student edition)")
    assert config["repository"] == original["repository"]
    assert config["launch_buttons"] == original["launch_buttons"]
    assert config["html"]["use_edit_page_button"] is False
    for name, path in config["sphinx"]["local_extensions"].items():
        assert (Path(path) / f"{name}.py").is_file(), (name, path)


def test_quick_config_turns_execution_off_and_keeps_the_rest(tmp_path):
    out = tmp_path / "quick.yml"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "site_config.py"),
            "quick",
            str(ROOT / "_config.yml"),
            str(out),
        ],
        check=True,
    )
    config = yaml.safe_load(out.read_text())
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["title"] == original["title"]
    for name, path in config["sphinx"]["local_extensions"].items():
        assert (Path(path) / f"{name}.py").is_file(), (name, path)
