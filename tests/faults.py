"""Fault injection shared by the reliability tests: a disk that fills up mid-write."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest


@contextmanager
def disk_full_after(nbytes: int) -> Iterator[None]:
    """Writes past ``nbytes`` into any file fail (EFBIG), as on a disk that fills up.

    Uses the process's file-size limit (``RLIMIT_FSIZE``), so it reaches writers
    written in C and C++ too (torch.save, h5py). POSIX only.
    """
    resource = pytest.importorskip("resource")
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a kill
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def folder_listing(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden ones too (temporary files start with a dot)."""
    return sorted(p.name for p in folder.iterdir())


def random_split(layout: str = "NCHW") -> tuple[np.ndarray, ...]:
    """48 random images (3 batches of 16) with labels 0-9, and 16 for validation."""
    shape = (64, 1, 32, 32) if layout == "NCHW" else (64, 32, 32, 1)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = np.arange(64) % 10
    return x[:48], y[:48], x[48:], y[48:]
