"""Read the IDX files MNIST and Fashion-MNIST are distributed in.

An IDX file is a tiny header (magic number, dimension sizes) followed by the
raw array. The reader checks every part of it, so a truncated download or a
wrong file stops with a message that names the file, instead of surfacing
later as a strange shape.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "IDXError",
    "read_idx",
    "parse_idx",
    "write_idx",
    "encode_idx",
    "decompressed_bytes",
]

# The third byte of the magic number says the element type.
_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """An IDX file is corrupt, truncated or not an IDX file at all."""


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of one (uncompressed) IDX file into an array."""
    if len(raw) < 4:
        raise IDXError(f"{name}: only {len(raw)} bytes, too short to be an IDX file")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0 or code not in _DTYPES or not 1 <= ndim <= 4:
        raise IDXError(
            f"{name}: bad magic number {raw[:4].hex()} (an IDX file starts with "
            "00 00, a type code and a dimension count): this is not an IDX file"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{name}: truncated header ({len(raw)} bytes, need {header})")
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = _DTYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise IDXError(
            f"{name}: {what}: the header promises shape {shape} "
            f"({expected:,} bytes in all) but the file holds {len(raw):,} bytes."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def decompressed_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (by content, not by name)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXError(
                f"{path}: the gzip stream is corrupt or truncated ({err})."
            ) from err
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file, raw or ``.gz``, checking its header against its size."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such IDX file")
    return parse_idx(decompressed_bytes(path), name=str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """The uncompressed IDX bytes of a uint8 array (header, then the data)."""
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise TypeError(
            f"IDX encoding here is for uint8 arrays only, got {array.dtype}"
        )
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + array.tobytes()


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as a gzip-compressed IDX file (used for the shipped sample)."""
    # mtime=0 keeps the file byte-identical from one run to the next
    Path(path).write_bytes(gzip.compress(encode_idx(array), compresslevel=9, mtime=0))
