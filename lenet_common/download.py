"""Download a file from several mirrors, verify it, and write it atomically.

Mirrors die (the original MNIST site answered 403 for years), so every file
has a list of them, tried in turn. A file is checked against the SHA-256 of
its *decompressed* content (mirrors re-compress the same bytes differently)
and only then moved into place with an atomic rename: a failed, interrupted
or corrupt download leaves nothing behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Sequence

__all__ = ["DownloadError", "ChecksumError", "content_sha256", "fetch"]


class DownloadError(RuntimeError):
    """No mirror gave a good copy of a file."""


class ChecksumError(ValueError):
    """A file's content does not match its published SHA-256."""


def content_sha256(data: bytes) -> str:
    """SHA-256 of the content: of the gunzipped bytes when ``data`` is gzip."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ChecksumError(f"corrupt gzip stream ({err})") from err
    return hashlib.sha256(data).hexdigest()


def _download_to(url: str, target: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "lenet_common"})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def fetch(
    filename: str,
    mirrors: Sequence[str],
    sha256: str,
    dest_dir: str | Path,
    *,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``filename`` from the first mirror that serves a verified copy.

    The file is written to ``dest_dir/filename`` only once its content checksum
    matches ``sha256``. Raises :class:`DownloadError` listing every mirror's
    failure when none works.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / filename
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=dest_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _download_to(url, tmp, timeout)
            got = content_sha256(tmp.read_bytes())
            if got != sha256:
                raise ChecksumError(f"SHA-256 of the content is {got[:12]}…, expected {sha256[:12]}…")
            os.replace(tmp, dest)  # atomic on one file system
            return dest
        except (urllib.error.URLError, OSError, ValueError, ChecksumError) as err:
            reason = getattr(err, "reason", None) or err
            failures.append(f"  {url}: {reason}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DownloadError(
        f"could not download {filename} from any of {len(mirrors)} mirror(s):\n"
        + "\n".join(failures)
    )
