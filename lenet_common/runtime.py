"""Run-time settings every chapter shares: quick/full mode, seeding, device.

Every ``LENET_*`` environment variable is read here and nowhere else (see
:data:`ENV_VARS`), so that a chapter, a test and a benchmark always agree on
what they mean, and a value that cannot be understood is an error rather
than a silent default. Nothing here imports torch or TensorFlow unless the
caller already has.
"""

from __future__ import annotations

import math
import os
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "QUICK",
    "ENV_VARS",
    "env_flag",
    "env_seconds",
    "env_path",
    "mode_name",
    "print_mode",
    "seed_everything",
    "choose_torch_device",
    "torch_device",
    "tf_device",
    "progress",
]

#: Every environment variable lenet_common reads, and what it means.
ENV_VARS: dict[str, str] = {
    "LENET_QUICK": "1: quick mode (small sample, few steps); 0 or unset: full mode",
    "LENET_ALLOW_SAMPLE": "0: never fall back to the shipped sample; 1 or unset: do",
    "LENET_DATA_DIR": "a folder holding the four MNIST files",
    "LENET_FASHION_DATA_DIR": "a folder holding the four Fashion-MNIST files",
    "LENET_CACHE_DIR": "the download cache (default ~/.cache/lenet_common)",
    "LENET_CONNECT_TIMEOUT": "seconds a mirror may take to connect or to send more",
    "LENET_DOWNLOAD_DEADLINE": "seconds a mirror may take to deliver a whole file",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    """The variable's value, stripped; None when it is unset or empty."""
    if not name.startswith("LENET_"):
        raise KeyError(f"{name}: lenet_common reads only LENET_* variables")
    value = os.environ.get(name, "").strip()
    return value or None


def _parse_flag(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        f"{name}={value!r} is not understood: use 1, true, yes or on; or 0, false, "
        f"no or off; or leave it unset ({ENV_VARS.get(name, 'the default')})."
    )


def env_flag(name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off; unset gives ``default``."""
    return _parse_flag(name, _raw(name), default)


def env_seconds(name: str, default: float) -> float:
    """A duration in seconds (a positive number); unset gives ``default``."""
    value = _raw(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(
            f"{name}={value!r} is not understood: give a positive number of seconds, "
            f"e.g. {name}={default:g}, or leave it unset "
            f"({ENV_VARS.get(name, 'the default')})."
        )
    return seconds


def env_path(name: str) -> Path | None:
    """A folder named by a variable (``~`` expanded), or None when it is unset."""
    value = _raw(name)
    return None if value is None else Path(value).expanduser()


#: True when the book runs in quick mode (small real sample, few steps).
QUICK: bool = env_flag("LENET_QUICK", False)


def mode_name() -> str:
    """``"quick"`` or ``"full"``."""
    return "quick" if QUICK else "full"


def print_mode() -> None:
    """Print one line saying which mode runs, so no output hides it."""
    if QUICK:
        print(
            "Mode: QUICK (LENET_QUICK=1): a small sample and few steps, "
            "not the book's results."
        )
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
        from .plumbing.progress_record import RecordedNotebookBar

        return RecordedNotebookBar(iterable, **kwargs)
    return tqdm(iterable, **kwargs)


def _is_notebook_bar(tqdm_class: type) -> bool:
    """Whether ``tqdm.auto`` chose the notebook widget bar."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and issubclass(tqdm_class, notebook.tqdm_notebook)
