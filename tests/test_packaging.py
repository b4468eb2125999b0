"""What Colab installs: the wheel must carry every subpackage and the shipped samples."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("lenet_common-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_has_every_module(wheel_files):
    modules = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "lenet_common").rglob("*.py")
    }
    assert modules and modules <= wheel_files, sorted(modules - wheel_files)


def test_wheel_has_the_samples(wheel_files):
    for dataset in ("mnist", "fashion-mnist"):
        for name in (
            "SHA256SUMS",
            "train-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ):
            assert f"lenet_common/data/sample/{dataset}/{name}" in wheel_files
