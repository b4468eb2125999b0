"""Mode, seeding, device choice."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest

from lenet_common import runtime


@pytest.mark.parametrize(
    "value, quick",
    [
        (None, False),
        ("", False),
        ("0", False),
        ("1", True),
        ("true", True),
        (" YES ", True),
    ],
)
def test_read_quick(value, quick):
    assert runtime._parse_flag("LENET_QUICK", value or None, False) is quick


def test_read_quick_rejects_nonsense():
    with pytest.raises(ValueError, match="LENET_QUICK='fast'"):
        runtime._parse_flag("LENET_QUICK", "fast", False)


def test_quick_is_read_from_the_environment():
    code = "import lenet_common.runtime as r; print(r.QUICK, r.mode_name())"
    for env, expected in (("1", "True quick"), ("0", "False full")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={"LENET_QUICK": env, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == expected


def test_seed_everything_repeats_numpy_and_python():
    runtime.seed_everything(3)
    a = (np.random.rand(3), random.random())
    runtime.seed_everything(3)
    b = (np.random.rand(3), random.random())
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [
        (True, True, "cuda"),
        (True, False, "cuda"),
        (False, True, "mps"),
        (False, False, "cpu"),
    ],
)
def test_choose_torch_device(cuda, mps, expected):
    assert runtime.choose_torch_device(cuda, mps) == expected


def test_print_mode(capsys):
    runtime.print_mode()
    out = capsys.readouterr().out
    assert out.startswith("Mode: ") and out.count("\n") == 1


def test_lenet_variables_are_read_only_in_runtime():
    import re

    from tests.conftest import ROOT

    reads = re.compile(
        r"""environ(\.get)?\s*[\[(]\s*["']LENET_|getenv\(\s*["']LENET_"""
    )
    offenders = [
        str(f.relative_to(ROOT))
        for f in (ROOT / "lenet_common").rglob("*.py")
        if f.name != "runtime.py" and reads.search(f.read_text())
    ]
    assert offenders == []
    readme = (ROOT / "README.md").read_text()
    assert [name for name in runtime.ENV_VARS if name not in readme] == []


@pytest.mark.parametrize("value, seconds", [(None, 7.0), ("", 7.0), (" 2.5 ", 2.5)])
def test_env_seconds(monkeypatch, value, seconds):
    if value is None:
        monkeypatch.delenv("LENET_DOWNLOAD_DEADLINE", raising=False)
    else:
        monkeypatch.setenv("LENET_DOWNLOAD_DEADLINE", value)
    assert runtime.env_seconds("LENET_DOWNLOAD_DEADLINE", 7.0) == seconds


def test_env_flag_refuses_garbage(monkeypatch):
    monkeypatch.setenv("LENET_ALLOW_SAMPLE", "maybe")
    with pytest.raises(
        ValueError,
        match=r"LENET_ALLOW_SAMPLE='maybe' is not understood: "
        r"use 1, true, yes or on; or 0, false, no or off",
    ):
        runtime.env_flag("LENET_ALLOW_SAMPLE", True)
