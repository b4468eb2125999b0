"""Write a file so that it is either wholly new or untouched: never half-written.

A save that fails part-way (disk full, an interrupted kernel, an object that
cannot be serialised) must not leave a truncated file where the last good
one was. :func:`replacing` hands the writer a temporary path in the same
folder; only when the writer has finished is the file flushed to disk and
moved over the target in one atomic ``os.replace``. On any failure the
temporary file is removed and the target keeps its old content.

A process killed outright (SIGKILL, a power cut) cannot remove its temporary
file. Each one is locked while it is written, so :func:`remove_stale_parts`
can tell a dead writer's leftover (unlocked, and not brand new) from a file
another process is writing right now, and removes only the former. Model
saves and downloads both call it for the folder they write to.
"""

from __future__ import annotations

import errno
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; fall back on the files' age
    fcntl = None  # type: ignore[assignment]

__all__ = ["replacing", "part_name_pattern", "remove_stale_parts", "STALE_AFTER_S"]

#: A temporary file not written to for this long, and not locked, is a leftover.
STALE_AFTER_S = 60.0
#: Without locks (Windows), only files untouched for this long are removed.
STALE_UNLOCKED_AFTER_S = 24 * 3600.0


def part_name_pattern(name: str) -> str:
    """The glob pattern of the temporary files written for the file ``name``."""
    return f".{name}.*.part{Path(name).suffix}"


def _new_part(path: Path) -> tuple[Path, int]:
    """Create and lock a fresh temporary file beside ``path``; return it and its fd."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part{path.suffix}")
        try:
            # 0o666 and the umask, like any new file (mkstemp would give 0o600)
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        return tmp, fd


def _fsync_path(path: Path, directory: bool = False) -> None:
    """Flush a file's (or a folder's entries') data to the disk."""
    if directory and os.name == "nt":
        return  # Windows cannot open a folder to flush it
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. a name too long: creating the file will say so
        return False


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends, move it there.

    The temporary name ends with the target's suffix (``np.savez`` and Keras
    insist on ``.npz`` and ``.keras``). On success the file is fsynced, then
    renamed over ``path`` (atomic on one file system) and the folder is
    fsynced. If the block raises, the temporary file is removed and ``path``
    is left exactly as it was.
    """
    path = Path(path)
    if _is_folder(path):  # os.replace would fail only after the whole write
        raise IsADirectoryError(
            errno.EISDIR,
            f"cannot write {path}: it is a folder. Name a file instead, for "
            f"example {path / ('weights' + path.suffix)}",
        )
    remove_stale_parts(path.parent, path.name)
    try:
        tmp, fd = _new_part(path)
    except OSError as err:
        raise type(err)(
            err.errno,
            f"cannot write {path} ({err.strerror}): check that the folder "
            f"{path.parent} exists and that you may write there",
        ) from None
    try:
        yield tmp
        _fsync_path(tmp)  # by path: a writer may have replaced the file we created
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)  # releases the lock
    try:
        _fsync_path(path.parent, directory=True)  # make the rename itself durable
    except OSError:
        pass  # the new file is in place; some file systems cannot flush a folder


def _is_stale(part: Path, now: float) -> bool:
    try:
        age = now - part.stat().st_mtime
    except FileNotFoundError:
        return False
    if fcntl is None:
        return age > STALE_UNLOCKED_AFTER_S
    if age < STALE_AFTER_S:  # may be between its creation and its locking
        return False
    try:
        fd = os.open(part, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # locked: a live writer
    finally:
        os.close(fd)
    return True


def remove_stale_parts(
    folder: str | os.PathLike, name: str | None = None
) -> list[Path]:
    """Remove leftover temporary files of ``name`` (of any file if None) in ``folder``.

    Files that a live process is still writing are kept. Returns what was
    removed. Never raises for a folder that is missing or read-only: the
    caller's own write reports that more clearly.
    """
    folder = Path(folder)
    pattern = part_name_pattern(name) if name else ".*.*.part*"
    removed = []
    now = time.time()
    try:
        candidates = sorted(folder.glob(pattern))
    except OSError:
        return removed
    for part in candidates:
        if _is_stale(part, now):
            try:
                part.unlink()
                removed.append(part)
            except OSError:
                pass
    return removed
