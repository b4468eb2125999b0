"""Say what a file is, from its first bytes, when it is not the file a loader expected.

A weights file saved by one framework and loaded by another, a single
``.npy`` array, random bytes: each loader of the book names the file, what
it looks like and what was expected, instead of passing on a library's
puzzle ("KeyError: 'config.json'", "File not found" for a file that exists).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["describe_file", "wrong_file_error"]


def _describe_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return "a damaged zip archive (perhaps a save that was cut short)"
    if any(n.endswith("data.pkl") for n in names):
        return "a PyTorch file (written by torch.save)"
    if "config.json" in names and any(n.startswith("model.weights") for n in names):
        return "a Keras model file (.keras)"
    if "__format__.npy" in names:
        return "NumPy LeNet-5 weights (written by numpy_lenet.save_weights)"
    if names and all(n.endswith(".npy") for n in names):
        shown = ", ".join(n.removesuffix(".npy") for n in names[:4])
        more = ", ..." if len(names) > 4 else ""
        return f"a NumPy .npz archive of other arrays ({shown}{more})"
    return f"a zip archive of {len(names)} file(s) ({', '.join(names[:3])})"


def describe_file(path: str | Path) -> str:
    """A few words on what ``path`` holds: which kind of saved file, if any."""
    path = Path(path)
    if not path.exists():
        return "missing (no such file)"
    if path.is_dir():
        return "a folder, not a file"
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        return "an empty file"
    if head.startswith(b"PK\x03\x04") or zipfile.is_zipfile(path):
        return _describe_zip(path)
    if head.startswith(b"\x93NUMPY"):
        return "a single NumPy array (.npy, written by np.save)"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "an HDF5 file (Keras' .h5 / .weights.h5 formats)"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        return "a Python pickle (or an old-style PyTorch file)"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "a text file"
    return f"not a known format (it starts with the bytes {head[:8].hex(' ')})"


def wrong_file_error(path: str | Path, expected: str, how: str) -> ValueError:
    """``path is <what it is>, not <expected>. <how>`` as a ValueError."""
    return ValueError(f"{path} is {describe_file(path)}, not {expected}. {how}")
