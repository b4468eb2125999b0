"""The site's configuration: what the build reads, Binder's torch, the publishing workflow."""

from __future__ import annotations

import re

import yaml
from sphinx.util.matching import get_matching_files

from tests.conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


NOT_PAGES = [
    ".pytest_cache/README.md",
    ".venv/lib/x/README.md",
    ".hypothesis/examples/a.md",
    ".ipynb_checkpoints/x.ipynb",
    "book/.ipynb_checkpoints/01_data-checkpoint.ipynb",
    ".github/workflows/README.md",
    ".data-cache/mnist/README.md",
    "_build/html/_sources/x.md",
    "student/_build/x.md",
    "lenet_common.egg-info/README.md",
    "build/lib/README.md",
    "dist/README.md",
    "node_modules/mathjax/README.md",
    "lenet_common/data/sample/README.md",
    "docs/decisions.md",
    "_ext/README.md",
    "README.md",
    "CONTRIBUTING.md",
    "tests/README.md",
    "scripts/README.md",
    "benchmarks/x.md",
]
PAGES = ["book/intro.md", "book/01_data.ipynb"]


def test_dot_folders_and_build_artefacts_are_never_page_sources(tmp_path):
    # the very walk Sphinx makes to find sources, over a tree that holds both kinds
    for name in NOT_PAGES + PAGES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# a page\n")
    found = set(
        get_matching_files(tmp_path, exclude_patterns=CONFIG["exclude_patterns"])
    )
    assert found == set(PAGES), f"read as page sources: {sorted(found - set(PAGES))}"


def test_binder_environment_takes_the_cpu_build_of_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(
        d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d
    )
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip
    assert pip.index(
        "--extra-index-url https://download.pytorch.org/whl/cpu"
    ) < pip.index("-r requirements.txt")


def test_the_pages_workflow_builds_with_the_readmes_commands_and_publishes_both_editions():
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    runs = [step.get("run", "") for step in flow["jobs"]["build"]["steps"]]
    readme = (ROOT / "README.md").read_text()
    for command in ("make book", "make book-student"):
        assert command in runs, f"the workflow does not run {command}"
        assert re.search(rf"^{command}\b", readme, re.M), (
            f"the README does not give {command}"
        )
    uses = [
        step.get("uses", "") for job in flow["jobs"].values() for step in job["steps"]
    ]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert "cp -r _build/student/_build/html _build/html/student" in runs
