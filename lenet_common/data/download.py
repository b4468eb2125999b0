"""Download a file from several mirrors, verify it, and write it atomically.

Mirrors die (the original MNIST site answered 403 for years), so every file
has a list of them, tried in turn. A file is checked against the SHA-256 of
its *decompressed* content (mirrors re-compress the same bytes differently)
and only then moved into place with an atomic rename: a failed, interrupted
or corrupt download leaves nothing behind (see :mod:`lenet_common.plumbing.atomic`).

Two limits keep a bad mirror from holding things up: ``connect_timeout``
(seconds to connect, and to wait for each further piece of data) and
``deadline`` (seconds for the whole file from one mirror, so that a mirror
that trickles a few bytes a second is abandoned too). Both can be set by
argument or by ``LENET_CONNECT_TIMEOUT`` / ``LENET_DOWNLOAD_DEADLINE``. Any
failure (refused, timed out, cut off mid-transfer, a broken HTTP answer,
wrong bytes) moves on to the next mirror, and the final error lists every
mirror's reason.

Why not pooch: docs/decisions.md.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import math
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lenet_common import runtime
from lenet_common.plumbing.atomic import remove_stale_parts, replacing

__all__ = [
    "DownloadError",
    "ChecksumError",
    "CacheDirError",
    "DeadlineError",
    "content_sha256",
    "fetch",
    "CONNECT_TIMEOUT_S",
    "DEADLINE_S",
]

#: Default seconds to connect to a mirror, and to wait for its next bytes.
CONNECT_TIMEOUT_S = 10.0
#: Default seconds one mirror may take to deliver a whole file (9.9 MB at
#: about 17 kB/s for MNIST's largest).
DEADLINE_S = 600.0
_CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """No mirror gave a good copy of a file."""


class ChecksumError(ValueError):
    """A file's content does not match its published SHA-256."""


class CacheDirError(OSError):
    """The folder to download into cannot be created or written to."""


class DeadlineError(TimeoutError):
    """A mirror took longer than the deadline to deliver the whole file."""


def content_sha256(data: bytes) -> str:
    """SHA-256 of the content: of the gunzipped bytes when ``data`` is gzip."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ChecksumError(f"corrupt gzip stream ({err})") from err
    return hashlib.sha256(data).hexdigest()


def _seconds(name: str, value: float | None, env_var: str, default: float) -> float:
    if value is None:
        return runtime.env_seconds(env_var, default)
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def writable_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as err:
        if err.errno in (errno.ENOTDIR, errno.EEXIST):
            why = "a file stands where a folder should be"
        elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            why = "it is read-only for you"
        else:
            why = "it cannot be written to"
        raise CacheDirError(
            err.errno,
            f"cannot write downloads into the folder {folder} "
            f"({err.strerror or err}): {why}",
        ) from None
    return folder


def _describe(err: BaseException, connect_timeout: float) -> str:
    """One line on why a mirror failed, in words a user can act on."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        err = err.reason if isinstance(err.reason, BaseException) else err
        if not isinstance(err, BaseException):
            return str(err)
    if isinstance(err, (socket.timeout, TimeoutError)) and not isinstance(
        err, DeadlineError
    ):
        return (
            f"no answer for {connect_timeout:g} s (connect_timeout; "
            "LENET_CONNECT_TIMEOUT sets it)"
        )
    if isinstance(err, http.client.IncompleteRead):
        return (
            f"connection cut mid-transfer ({len(err.partial):,} bytes of a chunk, "
            f"{err.expected or 'more'} still expected)"
        )
    if isinstance(err, http.client.BadStatusLine):
        return f"not a valid HTTP answer (bad status line {str(err)[:60]!r})"
    return f"{type(err).__name__}: {err}"


def _download_to(
    url: str, target: Path, connect_timeout: float, deadline: float, bar: Any
) -> None:
    """Stream ``url`` into ``target``; give up once ``deadline`` seconds have passed."""
    end = time.monotonic() + deadline
    request = urllib.request.Request(url, headers={"User-Agent": "lenet_common"})
    with (
        urllib.request.urlopen(
            request, timeout=min(connect_timeout, deadline)
        ) as response,
        open(target, "wb") as out,
    ):
        size = response.headers.get("Content-Length")
        total = int(size) if size and size.isdigit() else None
        bar.reset(total=total)
        got = 0
        # read1 returns whatever one network read brings, so the deadline is
        # checked between reads even when a mirror sends a few bytes a second
        while chunk := response.read1(_CHUNK):
            out.write(chunk)
            got += len(chunk)
            bar.update(len(chunk))
            if time.monotonic() > end:
                of = f" of {total:,}" if total else ""
                raise DeadlineError(
                    f"not done after the {deadline:g} s deadline ({got:,}{of} bytes "
                    "received; deadline= or LENET_DOWNLOAD_DEADLINE sets it)"
                )
        if total is not None and got < total:
            raise http.client.IncompleteRead(b"", total - got)


#: Everything a mirror can do wrong: network errors, broken HTTP, wrong bytes.
_MIRROR_FAILURES = (
    OSError,
    http.client.HTTPException,
    ValueError,
    EOFError,
    zlib.error,
)


def fetch(
    filename: str,
    mirrors: Sequence[str],
    sha256: str,
    dest_dir: str | Path,
    *,
    connect_timeout: float | None = None,
    deadline: float | None = None,
    show_progress: bool = True,
) -> Path:
    """Fetch ``filename`` from the first mirror that serves a verified copy.

    The file is written to ``dest_dir/filename`` only once its content checksum
    matches ``sha256``. ``connect_timeout`` and ``deadline`` (seconds; defaults
    from ``LENET_CONNECT_TIMEOUT`` and ``LENET_DOWNLOAD_DEADLINE``, else
    :data:`CONNECT_TIMEOUT_S` and :data:`DEADLINE_S`) bound each mirror's
    attempt. Raises :class:`DownloadError` listing every mirror's failure when
    none works, and :class:`CacheDirError` when ``dest_dir`` cannot be written.
    """
    connect_timeout = _seconds(
        "connect_timeout", connect_timeout, "LENET_CONNECT_TIMEOUT", CONNECT_TIMEOUT_S
    )
    deadline = _seconds("deadline", deadline, "LENET_DOWNLOAD_DEADLINE", DEADLINE_S)
    dest_dir = writable_folder(Path(dest_dir))
    remove_stale_parts(dest_dir, filename)
    dest = dest_dir / filename
    failures = []
    for i, mirror in enumerate(mirrors, 1):
        url = mirror.rstrip("/") + "/" + filename
        host = urllib.parse.urlsplit(url).netloc or url
        # the bar names the mirror from the start, so a slow connection is not silent
        bar = runtime.progress(
            desc=f"{filename} from {host} (mirror {i}/{len(mirrors)})",
            unit="B",
            unit_scale=True,
            leave=False,
            disable=not show_progress,
        )
        try:
            with replacing(dest) as part:
                _download_to(url, part, connect_timeout, deadline, bar)
                got = content_sha256(part.read_bytes())
                if got != sha256:
                    raise ChecksumError(
                        f"wrong content: SHA-256 {got[:12]}…, expected {sha256[:12]}…"
                    )
            return dest
        except _MIRROR_FAILURES as err:
            failures.append(f"  {url}: {_describe(err, connect_timeout)}")
        finally:
            bar.close()
        if show_progress:
            more = "; trying the next mirror" if i < len(mirrors) else ""
            print(failures[-1].strip() + more, file=sys.stderr, flush=True)
    raise DownloadError(
        f"could not download {filename} from any of {len(mirrors)} mirror(s):\n"
        + "\n".join(failures)
    )
