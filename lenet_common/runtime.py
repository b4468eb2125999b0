"""Run-time settings every chapter shares: quick/full mode, seeding, device.

Quick mode (``LENET_QUICK=1``) is read here and nowhere else, so that a
chapter, a test and a benchmark always agree on which mode they are in.
Nothing here imports torch or TensorFlow unless the caller already has.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import numpy as np

__all__ = [
    "QUICK",
    "is_quick",
    "mode_name",
    "print_mode",
    "seed_everything",
    "choose_torch_device",
    "torch_device",
    "tf_device",
    "progress",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _read_quick(value: str | None) -> bool:
    """Parse the value of ``LENET_QUICK``; anything unexpected is an error."""
    if value is None:
        return False
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        f"LENET_QUICK={value!r} is not understood: use 1 for quick mode or 0 "
        "(or leave it unset) for full mode."
    )


#: True when the book runs in quick mode (small real sample, few steps).
QUICK: bool = _read_quick(os.environ.get("LENET_QUICK"))


def is_quick() -> bool:
    """Whether this process runs in quick mode (``LENET_QUICK=1``)."""
    return QUICK


def mode_name() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if QUICK else "full"


def print_mode() -> None:
    """Print one line saying which mode runs, so no output hides it."""
    if QUICK:
        print("Mode: QUICK (LENET_QUICK=1): a small sample and few steps, "
              "not the book's results.")
    else:
        print("Mode: full (full MNIST, all epochs).")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and, if already imported, torch and TensorFlow."""
    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "utils"):
        keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend
    else:
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            tf.random.set_seed(seed)


def choose_torch_device(cuda_available: bool, mps_available: bool) -> str:
    """The device name to train on: CUDA first, then Apple's MPS, else the CPU."""
    if cuda_available:
        return "cuda"
    if mps_available:
        return "mps"
    return "cpu"


def torch_device(verbose: bool = True) -> Any:
    """Pick ``torch.device`` (CUDA, MPS or CPU) and print one line saying which."""
    import torch  # imported here so that importing lenet_common stays light

    mps = getattr(torch.backends, "mps", None)
    name = choose_torch_device(
        torch.cuda.is_available(), bool(mps is not None and mps.is_available())
    )
    device = torch.device(name)
    if verbose:
        if name == "cuda":
            detail = torch.cuda.get_device_name(0)
        elif name == "mps":
            detail = "Apple GPU via Metal"
        else:
            detail = f"{torch.get_num_threads()} threads"
        print(f"Device: {name} ({detail}); torch {torch.__version__}")
    return device


def tf_device(verbose: bool = True) -> str:
    """Return ``"/GPU:0"`` when TensorFlow sees a GPU, else ``"/CPU:0"``; print which."""
    import tensorflow as tf  # imported here so that importing lenet_common stays light

    gpus = tf.config.list_physical_devices("GPU")
    name = "/GPU:0" if gpus else "/CPU:0"
    if verbose:
        detail = gpus[0].name if gpus else "no GPU visible to TensorFlow"
        print(f"Device: {name} ({detail}); TensorFlow {tf.__version__}")
    return name


def progress(iterable: Any = None, **kwargs: Any) -> Any:
    """A tqdm progress bar that suits where the code runs (notebook or terminal).

    In a notebook the bar is tqdm's live widget; when it closes, the same
    output also holds the finished bar as a line of text, which is what a
    page built from the saved notebook shows (the built book runs no widget
    code). ``leave=True`` and a one-second refresh keep the executed book's
    output short; any tqdm keyword can be passed through.
    """
    from tqdm.auto import tqdm

    kwargs.setdefault("leave", True)
    kwargs.setdefault("mininterval", 1.0)
    if _is_notebook_bar(tqdm):
        from ._progress_record import RecordedNotebookBar

        return RecordedNotebookBar(iterable, **kwargs)
    return tqdm(iterable, **kwargs)


def _is_notebook_bar(tqdm_class: type) -> bool:
    """Whether ``tqdm.auto`` chose the notebook widget bar."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and issubclass(tqdm_class, notebook.tqdm_notebook)
