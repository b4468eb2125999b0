"""Start a student's kernel with limits: ``python -m lenet_common.grading.launch``.

    python -m lenet_common.grading.launch [--uid N] [--memory-mb M] [--cpu-s S]
        [--file-mb F] [--nproc P] -- KERNEL COMMAND ...

Sets the resource limits (address space, CPU seconds, size of any file
written, processes), then, when started as root: hides folders (``--hide``,
``--scratch``: :func:`isolate`), cuts the network (``--no-network``), and
takes a user id of its own (``--uid``, no groups) so that the kernel can
write nothing the grader, the other submissions or the output folder own;
then replaces itself with the kernel. The kernel's connection file is copied into the working folder
first, since the new user cannot read the grader's.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import sys

_CLONE_NEWNS, _CLONE_NEWNET = 0x00020000, 0x40000000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _limit(which: int, soft: int, hard: int | None = None) -> None:
    resource.setrlimit(which, (soft, soft if hard is None else hard))


def _mount(
    source: str | None,
    target: str,
    fstype: str | None,
    flags: int,
    data: str | None = None,
) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    encode = lambda v: None if v is None else v.encode()  # noqa: E731
    if (
        libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
        != 0
    ):
        raise OSError(
            ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}"
        )


def isolate(
    hidden: list[str],
    keep: list[str],
    scratch: list[str],
    work: str | None,
    network: bool = True,
) -> None:
    """Give this process a mount namespace of its own, in which each of ``hidden`` is
    an empty read-only folder, except the ``keep`` folders under them (read-only),
    each of ``scratch`` (/tmp, ...) a small empty writable one, and ``work`` (the
    submission's folder) is where it was, writable. Without ``network``, a network
    namespace of its own too: no interface but a loopback that is down (the kernel
    talks to the grader over Unix sockets in ``work``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    flags = _CLONE_NEWNS | (0 if network else _CLONE_NEWNET)
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare: " + os.strerror(ctypes.get_errno()))
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    # opened before anything is hidden; bound back below through /proc/self/fd
    kept = [
        (folder, os.open(folder, os.O_RDONLY | os.O_DIRECTORY), False)
        for folder in keep
    ]
    if work is not None:
        kept.append((work, os.open(work, os.O_RDONLY | os.O_DIRECTORY), True))
    for path in hidden:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", 0, "size=1m,mode=0755")
    for path in scratch:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", 0, "size=256m,mode=1777")
    for folder, fd, writable in kept:
        os.makedirs(folder, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", folder, None, _MS_BIND | _MS_REC)
        if not writable:
            _mount(None, folder, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY)
        os.close(fd)
    for path in hidden:
        if os.path.isdir(path):
            _mount(None, path, None, _MS_REMOUNT | _MS_RDONLY, "size=1m,mode=0755")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uid", type=int)
    parser.add_argument("--memory-mb", type=int)
    parser.add_argument("--cpu-s", type=int)
    parser.add_argument("--file-mb", type=int)
    parser.add_argument("--nproc", type=int)
    parser.add_argument(
        "--hide", action="append", default=[], help="a folder the kernel must not see"
    )
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        help="a folder under a hidden one it needs",
    )
    parser.add_argument(
        "--scratch",
        action="append",
        default=[],
        help="a folder replaced by an empty one",
    )
    parser.add_argument("--work", help="the submission's folder, writable")
    parser.add_argument(
        "--no-network", action="store_true", help="a network namespace of its own"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = (
        [c for c in args.command if c != "--"]
        if args.command[:1] == ["--"]
        else args.command
    )
    if not command:
        parser.error("give the kernel's command after --")
    if args.uid is not None and os.geteuid() == 0 and "-f" in command:
        at = command.index("-f") + 1
        copy = os.path.join(os.getcwd(), "kernel-connection.json")
        shutil.copyfile(command[at], copy)
        os.chown(copy, args.uid, args.uid)
        os.chmod(copy, 0o600)
        command[at] = copy
    if os.geteuid() == 0 and (args.hide or args.scratch or args.no_network):
        isolate(
            args.hide, args.keep, args.scratch, args.work, network=not args.no_network
        )
    _limit(resource.RLIMIT_CORE, 0)
    if args.memory_mb:
        _limit(resource.RLIMIT_AS, args.memory_mb * 2**20)
    if args.cpu_s:
        _limit(resource.RLIMIT_CPU, args.cpu_s, args.cpu_s + 5)
    if args.file_mb:
        _limit(resource.RLIMIT_FSIZE, args.file_mb * 2**20)
    if args.uid is not None and os.geteuid() == 0:
        if args.nproc:
            _limit(resource.RLIMIT_NPROC, args.nproc)
        os.setgroups([])
        os.setgid(args.uid)
        os.setuid(args.uid)
    sys.stdout.flush()
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
