"""Colab, as a fresh runtime would run a chapter.

A Colab runtime has numpy, matplotlib, torch, TensorFlow, ipywidgets and tqdm,
but not ``lenet_common``. The test makes such an environment from this one
(a new virtual environment that sees this environment's packages, all but
``lenet_common``), runs the chapter's own set-up cell there with the
repository URL pointed at a local clone, checks that pip installed
``lenet_common`` and no second torch or TensorFlow, then runs the chapter in
quick mode in a kernel of that environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import colab_cell  # noqa: E402

pytestmark = pytest.mark.kernels  # runs a chapter in a kernel

URL, REF = colab_cell.repository()
CHAPTER = (
    ROOT / "book" / "01_data.ipynb"
)  # quick, and it reads the sample the package ships
FAKE_COLAB = (
    'import sys, types\nsys.modules["google.colab"] = types.ModuleType("google.colab")'
)
FRAMEWORKS = ("torch", "tensorflow", "keras", "numpy", "matplotlib")


@pytest.mark.parametrize(
    "path", colab_cell.notebooks(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_set_up_cell_installs_from_the_configured_repository_and_ref(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    source = "".join(colab_cell.first_code_cell(nb)["source"])
    assert source == colab_cell.cell_source(URL, REF), (
        f"{path.name}: the Colab cell is not the one _config.yml gives; run scripts/colab_cell.py"
    )


def test_the_cell_installs_only_lenet_common():
    install = [
        line for line in colab_cell.cell_source(URL, REF).splitlines() if "git+" in line
    ]
    assert install == [f'         "lenet_common @ git+{URL}@{REF}"],']


def _colab_like_venv(tmp_path: Path) -> Path:
    """A new venv that sees this environment's packages, except lenet_common."""
    shared = tmp_path / "colab-packages"
    shared.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(
            ("lenet_common", "__editable__", "_lenet_common")
        ) or name.endswith(".pth"):
            continue
        (shared / entry.name).symlink_to(entry)
    venv = tmp_path / "colab-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    own = Path(
        subprocess.run(
            [
                venv / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (own / "colab-packages.pth").write_text(str(shared) + "\n")
    return venv


def _local_clone(tmp_path: Path) -> Path:
    """This checkout's HEAD, cloned, with the ref the cell names pointing at it."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True
    )
    subprocess.run(
        ["git", "-C", str(clone), "checkout", "--quiet", "-B", REF], check=True
    )
    return clone


def _run_in(venv: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the venv's Python, away from this checkout (whose folder
    would otherwise be importable as ``lenet_common``)."""
    return subprocess.run(
        [venv / "bin" / "python", "-c", code],
        capture_output=True,
        text=True,
        cwd=venv,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **env},
        timeout=600,
    )


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is needed to install from a clone")
    tmp = tmp_path_factory.mktemp("colab")
    return _colab_like_venv(tmp), _local_clone(tmp)


def test_a_fresh_colab_runtime_installs_the_package_and_runs_a_chapter(colab, tmp_path):
    venv, clone = colab
    probe = _run_in(venv, "import lenet_common")
    assert probe.returncode != 0, (
        "the Colab-like environment must start without lenet_common"
    )

    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    setup = colab_cell.first_code_cell(nb)
    # file://localhost/...: pip's URL check refuses a git+file URL with no host
    local = "".join(setup["source"]).replace(
        f"git+{URL}@", f"git+file://localhost{clone}@"
    )
    assert local != "".join(setup["source"]), (
        "the set-up cell does not name the repository URL"
    )
    setup["source"] = local
    where = (
        "import lenet_common, pathlib\n"
        "print('lenet_common from', pathlib.Path(lenet_common.__file__).parent)"
    )
    nb["cells"] = (
        [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": FAKE_COLAB,
            }
        ]
        + nb["cells"]
        + [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": where,
            }
        ]
    )
    path = tmp_path / CHAPTER.name
    path.write_text(json.dumps(nb))
    run = _run_in(
        venv,
        textwrap.dedent(f"""
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(path)!r}, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={{"metadata": {{"path": {str(tmp_path)!r}}}}}).execute()
        print(nb.cells[-1].outputs[0]["text"])
    """),
        LENET_QUICK="1",
    )
    assert run.returncode == 0, (
        f"the chapter failed in the Colab-like runtime:\n{run.stdout}\n{run.stderr[-4000:]}"
    )
    own = Path(
        _run_in(
            venv, "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    assert f"lenet_common from {own / 'lenet_common'}" in run.stdout, run.stdout
    installed = sorted(p.name for p in own.iterdir())
    again = [p for p in installed if p.lower().startswith(FRAMEWORKS)]
    assert not again, f"pip installed again what Colab already has: {again}"


def test_a_failed_install_shows_pips_error(colab, tmp_path):
    venv, _ = colab
    missing = tmp_path / "no-such-repository"
    cell = colab_cell.cell_source(f"file://localhost{missing}", REF)
    run = _run_in(venv, FAKE_COLAB + "\n" + cell)
    assert run.returncode != 0
    assert "RuntimeError: pip could not install lenet_common:" in run.stderr
    assert str(missing) in run.stderr and "CalledProcessError" not in run.stderr, (
        run.stderr[-2000:]
    )
