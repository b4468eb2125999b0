"""The book's three implementations of LeNet-5: the one place that lists them.

Everything that loops over the implementations (the run cache, the
side-by-side chapter, the benchmarks) reads this registry; a fourth
implementation is one more entry here. Each module offers the same surface
(:data:`lenet_common.lenet5.SURFACE`): ``build_model``, ``train``,
``device_name``, ``get_params``, ... with NCHW images.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "Implementation",
    "IMPLEMENTATIONS",
    "NAMES",
    "LABELS",
    "get",
    "source_files",
]


@dataclass(frozen=True)
class Implementation:
    """One implementation: its name, how the book shows it, what it depends on."""

    name: str  # the key used in code, caches and results
    label: str  # the name on the page
    colour: str  # its colour in every figure
    libraries: tuple[str, ...]  # the libraries whose versions decide its results
    module: str  # the package with the shared surface (imported only when asked)
    layout: str  # the layout its layers compute in (the surface always takes NCHW)
    # keyword arguments its ``train`` takes for a full run (NumPy: the fast step,
    # tested equal to the taught one)
    train_options: tuple[tuple[str, Any], ...] = ()

    def load(self) -> ModuleType:
        """The implementation's package (this imports its framework)."""
        return importlib.import_module(self.module)

    def versions(self) -> dict[str, str]:
        """The versions of its libraries, which must be imported already."""
        missing = [m for m in self.libraries if m not in sys.modules]
        if missing:
            raise RuntimeError(
                f"import {missing} before asking for {self.name}'s versions"
            )
        return {m: str(sys.modules[m].__version__) for m in self.libraries}


IMPLEMENTATIONS: tuple[Implementation, ...] = (
    Implementation(
        "numpy",
        "NumPy",
        "tab:blue",
        ("numpy",),
        "lenet_common.numpy_lenet",
        "NCHW",
        train_options=(("fast", True),),
    ),
    Implementation(
        "torch",
        "PyTorch",
        "tab:orange",
        ("numpy", "torch"),
        "lenet_common.torch_lenet",
        "NCHW",
    ),
    Implementation(
        "keras",
        "Keras",
        "tab:green",
        ("numpy", "tensorflow", "keras"),
        "lenet_common.keras_lenet",
        "NHWC",
    ),
)
NAMES: tuple[str, ...] = tuple(i.name for i in IMPLEMENTATIONS)
LABELS: dict[str, str] = {i.name: i.label for i in IMPLEMENTATIONS}
_BY_NAME = {i.name: i for i in IMPLEMENTATIONS}


def get(name: str) -> Implementation:
    """The implementation called ``name``; a clear error for any other name."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown implementation {name!r}: use one of {NAMES}"
        ) from None


def source_files(module: str) -> list[Path]:
    """The ``.py`` files of ``module`` (all of a package's), found without importing it.

    A module that is not there is an error, never an empty list: a run cache
    keyed on no code at all would keep serving stale runs.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{module} is not importable: the registry names it")
    if spec.submodule_search_locations:  # a package: every module in it
        return sorted(
            p
            for folder in spec.submodule_search_locations
            for p in Path(folder).rglob("*.py")
        )
    return [Path(spec.origin)]
