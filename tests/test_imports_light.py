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

# Modules and packages that import a framework on purpose.
FRAMEWORK_MODULES = (
    "lenet_common.torch_lenet",
    "lenet_common.keras_lenet",
    "lenet_common.exercises.torch_lenet",
    "lenet_common.exercises.keras_lenet",
    # the 1998 appendix: its network, training and step sizes (not its NumPy parts)
    "lenet_common.lenet1998.model",
    "lenet_common.lenet1998.train",
    "lenet_common.lenet1998.sdlm",
)


def _imported_after(code: str) -> list[str]:
    """The heavy frameworks in sys.modules after a fresh interpreter runs ``code``."""
    probe = (
        code
        + f"\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_lenet_common_imports_no_framework():
    assert _imported_after("import lenet_common") == []


def test_importing_every_light_module_imports_no_framework():
    code = (
        "import importlib, pkgutil, lenet_common\n"
        "todo = [lenet_common]\n"
        "while todo:\n"
        "    package = todo.pop()\n"
        "    for info in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):\n"
        f"        if info.name not in {FRAMEWORK_MODULES!r}:\n"
        "            module = importlib.import_module(info.name)\n"
        "            if info.ispkg:\n"
        "                todo.append(module)\n"
    )
    assert _imported_after(code) == []


def test_the_torch_model_does_not_import_tensorflow():
    pytest.importorskip("torch")
    imported = _imported_after(
        "import lenet_common.torch_lenet, lenet_common.exercises.torch_lenet"
    )
    assert "torch" in imported
    assert "tensorflow" not in imported and "keras" not in imported
