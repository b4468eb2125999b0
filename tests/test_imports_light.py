"""Importing lenet_common must not import torch or TensorFlow.

Each check runs in a fresh interpreter, because this test process may
already have imported the frameworks for other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "tensorflow", "keras")

# Modules that import a framework on purpose, wherever they sit in the package.
FRAMEWORK_MODULES = (
    "torch_lenet", "torch_steps", "keras_lenet",
    "lenet1998", "lenet1998_train", "sdlm",  # the 1998 network's chapter
)


def _imported_after(code: str) -> list[str]:
    """The heavy frameworks in sys.modules after a fresh interpreter runs ``code``."""
    probe = code + f"\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_lenet_common_imports_no_framework():
    assert _imported_after("import lenet_common") == []


def test_importing_every_light_module_imports_no_framework():
    code = (
        "import importlib, pkgutil, lenet_common\n"
        "for info in pkgutil.walk_packages(lenet_common.__path__, 'lenet_common.'):\n"
        f"    if info.name.rsplit('.', 1)[-1] not in {FRAMEWORK_MODULES!r}:\n"
        "        importlib.import_module(info.name)\n"
    )
    assert _imported_after(code) == []


def test_the_torch_model_does_not_import_tensorflow():
    pytest.importorskip("torch")
    imported = _imported_after("import lenet_common.torch_lenet, lenet_common.exercises.torch_lenet")
    assert "torch" in imported
    assert "tensorflow" not in imported and "keras" not in imported
