"""Run one student notebook in a kernel of its own, inside limits, cell by cell.

Each submission gets a fresh working folder (a copy of the notebook in it),
a kernel started by :mod:`.launch` with limits on memory, CPU time, file
size and processes, and, when the grader runs as root, a user id of its
own, so that the kernel cannot write the submissions, the output folder,
the book's code or another submission's folder. The notebook has a
wall-clock limit, and its outputs a size limit: outputs past it are not
kept, and the notebook is refused as ``output too large``.

The grader's judge talks to the kernel through :meth:`Run.ask`; what comes
back is the data of one display output (:data:`.kernel_side.MIME`).
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from lenet_common.grading.judge import KernelStopped
from lenet_common.grading.kernel_side import MIME

__all__ = [
    "Limits",
    "Run",
    "RunResult",
    "working_root",
    "hidden_folders",
    "STARTER_CELL",
]

#: the cell the grader puts first in every notebook it runs
STARTER_CELL = "from lenet_common.grading import kernel_side as __lenet_judge__"

#: environment variables a kernel may keep (everything else is left out)
_KEPT = (
    "PATH",
    "PYTHONPATH",
    "LANG",
    "LC_ALL",
    "LENET_QUICK",
    "LENET_DATA_DIR",
    "LENET_FASHION_DATA_DIR",
    "OMP_WAIT_POLICY",
    "TF_CPP_MIN_LOG_LEVEL",
)
#: user ids a submission may get: far above any system's or person's
_UIDS = (1_000_000, 2**31 - 2)


@dataclass
class Limits:
    """What one submission may use."""

    seconds: float = 600.0  # wall clock, the whole notebook and its judging
    memory_mb: int = 8192  # address space of the kernel (RLIMIT_AS)
    output_mb: float = 5.0  # all outputs of the notebook's cells together
    text_kb: int = 64  # one output's text, as stored in the executed copy
    file_mb: int = 64  # any one file the kernel writes (RLIMIT_FSIZE)
    nproc: int = 4096  # processes and threads of the submission's user
    reply_mb: float = 64.0  # one answer of the kernel to the judge


@dataclass
class RunResult:
    """How a notebook's run ended."""

    status: str  # ok, errors, crashed, timed out, out of memory, output too large
    stopped: int | None = None  # the cell it stopped in, when it did
    detail: str = ""
    judged: dict[int, Any] = field(default_factory=dict)  # capture cell -> result


def working_root() -> Path:
    """A folder for the submissions' working copies, that only root may list."""
    root = Path(tempfile.mkdtemp(prefix="lenet-grade-"))
    root.chmod(0o711)
    return root


#: folders a kernel gets empty and private (what it writes there is gone after the run)
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _needed() -> list[Path]:
    """The folders a kernel reads to run at all: the book's code, this Python (its
    virtual environment and its installation) and the data folders it is given."""
    folders = [
        Path(__file__).resolve().parents[2],
        Path(sys.prefix).resolve(),
        Path(sys.base_prefix).resolve(),
    ]
    for variable in ("LENET_DATA_DIR", "LENET_FASHION_DATA_DIR"):
        if os.environ.get(variable):
            folders.append(Path(os.environ[variable]).resolve())
    return folders


def _covered(needed: list[Path], covers: list[Path]) -> list[Path]:
    """Those of ``needed`` that lie in a folder of ``covers`` (hidden or scratch, so
    the kernel would not see them: a checkout under /tmp, say), each once and none
    inside another: the folders the kernel keeps, read-only."""
    inside = [n for n in needed if any(c == n or c in n.parents for c in covers)]
    kept: list[Path] = []
    for folder in sorted(set(inside), key=lambda p: len(p.parts)):
        if not any(k == folder or k in folder.parents for k in kept):
            kept.append(folder)
    return kept


def hidden_folders(*folders: Path) -> list[Path]:
    """What a kernel must not see: ``folders`` (the submissions, the output folder) and
    the grader's home, unless the book's code lives there."""
    home = Path.home().resolve()
    repo = Path(__file__).resolve().parents[2]
    hidden = [Path(f).resolve() for f in folders]
    if (
        home != Path("/")
        and home not in repo.parents
        and home not in Path(sys.executable).parents
    ):
        hidden.append(home)
    return hidden


def _size(content: dict) -> int:
    """About how many bytes an output message carries."""
    total = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        total += len(value) if isinstance(value, str) else len(str(value))
    total += sum(len(line) for line in content.get("traceback", []) or [])
    return total


class _Client(NotebookClient):
    """nbclient's runner that keeps no output past the size limit."""

    def __init__(self, *args: Any, cap: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap, self.total, self.too_large = cap, 0, False

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int) -> Any:
        self.total += _size(msg.get("content", {}))
        if self.total > self.cap:
            self.too_large = True
            return None
        return super().output(outs, msg, display_id, cell_index)


def _kernel_manager(prefix: list[str], ipc: str | None) -> type[AsyncKernelManager]:
    """A kernel manager that starts the kernel through ``prefix`` (the launcher), and
    talks to it over Unix sockets at ``ipc`` when given (a kernel without a network
    has no TCP)."""

    class Sandboxed(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if ipc is not None:
                self.transport, self.ip = "ipc", ipc

        def format_kernel_cmd(
            self, extra_arguments: list[str] | None = None
        ) -> list[str]:
            return prefix + super().format_kernel_cmd(extra_arguments)

    return Sandboxed


def _free_uid() -> int:
    """A user id that no process has, picked at random among two billion: this
    submission's own, even beside another grader running at the same time."""
    used = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:  # the process has ended
            continue
        for line in text.splitlines():
            if line.startswith("Uid:"):
                used.update(int(u) for u in line.split()[1:])
    while True:
        uid = _UIDS[0] + secrets.randbelow(_UIDS[1] - _UIDS[0])
        if uid not in used:
            return uid


def _kill_user(uid: int) -> None:
    """End every process left by the submission's user (it may have started some)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only signals and leaves
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


class Run:
    """One notebook's run: a working copy, a limited kernel, the judge's questions."""

    def __init__(
        self,
        nb: nbformat.NotebookNode,
        root: Path,
        number: int,
        limits: Limits,
        hidden: list[Path] = (),
    ) -> None:
        self.nb, self.limits = nb, limits
        self.hidden = [Path(p).resolve() for p in hidden]
        self.uid = _free_uid() if os.geteuid() == 0 else None
        self.folder = root / f"submission-{number}"
        self.folder.mkdir(mode=0o700)
        nbformat.write(nb, self.folder / "notebook.ipynb")
        for sub in ("tmp",):
            (self.folder / sub).mkdir()
        if self.uid is not None:
            for path in (
                self.folder,
                self.folder / "notebook.ipynb",
                self.folder / "tmp",
            ):
                os.chown(path, self.uid, self.uid)
        self.deadline = time.monotonic() + limits.seconds
        self.client: _Client | None = None
        self.cell_index = 0

    def _env(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _KEPT if k in os.environ}
        home = str(self.folder)
        env.update(
            HOME=home,
            TMPDIR=f"{home}/tmp",
            MPLCONFIGDIR=f"{home}/tmp",
            IPYTHONDIR=f"{home}/tmp/ipython",
            KERAS_HOME=f"{home}/tmp/keras",
            JUPYTER_RUNTIME_DIR=f"{home}/tmp/jupyter",
            PYTHONNOUSERSITE="1",
        )
        return env

    def _prefix(self) -> list[str]:
        limits = self.limits
        prefix = [
            sys.executable,
            "-m",
            "lenet_common.grading.launch",
            "--memory-mb",
            str(limits.memory_mb),
            "--cpu-s",
            str(int(limits.seconds) + 30),
            "--file-mb",
            str(limits.file_mb),
        ]
        if self.uid is not None:
            prefix += ["--uid", str(self.uid), "--nproc", str(limits.nproc)]
            prefix += ["--no-network", "--work", str(self.folder)]
            for scratch in SCRATCH:
                prefix += ["--scratch", scratch]
            for path in self.hidden:
                prefix += ["--hide", str(path)]
            for folder in _covered(_needed(), [*self.hidden, *map(Path, SCRATCH)]):
                prefix += ["--keep", str(folder)]
        return prefix + ["--"]

    def _remaining(self, cell: Any = None) -> float:
        return max(1.0, self.deadline - time.monotonic())

    def ask(self, code: str) -> dict:
        """Run ``code`` in the kernel; the judge data it displayed, or ``{}``."""
        if time.monotonic() > self.deadline:
            raise KernelStopped("timed out", "the time ran out while the grader judged")
        return run_sync(self._ask)(code)

    async def _ask(self, code: str) -> dict:
        """:meth:`ask`, straight on the kernel's channels (twice as fast as a cell)."""
        assert self.client is not None and self.client.kc is not None
        kc, cap = self.client.kc, self.limits.reply_mb * 2**20
        msg_id = kc.execute(code, store_history=False, allow_stdin=False)
        found: dict = {}
        received = 0
        while True:
            try:
                msg = await kc.get_iopub_msg(timeout=min(1.0, self._remaining()))
            except queue.Empty:
                if not await ensure_async(self.client.km.is_alive()):
                    raise KernelStopped(
                        self._death(),
                        "the kernel died in your code, called by the grader",
                    ) from None
                if time.monotonic() > self.deadline:
                    raise KernelStopped(
                        "timed out",
                        "the time ran out in your code, called by the grader",
                    ) from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = msg.get("content", {})
            received += _size(content)
            if received > cap:
                raise KernelStopped(
                    "output too large", "an answer to the grader was too large"
                )
            kind = msg.get("msg_type")
            if kind == "display_data" and MIME in content.get("data", {}):
                value = content["data"][MIME]
                found = value if isinstance(value, dict) else {}
            elif kind == "status" and content.get("execution_state") == "idle":
                return found

    def execute(self, on_capture: dict[int, Callable[[dict, Run], Any]]) -> RunResult:
        """Run every code cell; after each cell in ``on_capture``, call its judge."""
        cap = int(self.limits.output_mb * 2**20)
        self.client = _Client(
            self.nb,
            cap=cap,
            allow_errors=True,
            kernel_name="python3",
            startup_timeout=120,
            timeout_func=self._remaining,
            shutdown_kernel="immediate",
            kernel_manager_class=_kernel_manager(
                self._prefix(),
                None if self.uid is None else str(self.folder / "kernel"),
            ),
            resources={"metadata": {"path": str(self.folder)}},
        )
        result = RunResult("ok")
        try:
            # the kernel's own log lines stay out of the grader's report
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            with self.client.setup_kernel(
                env=self._env(), cwd=str(self.folder), **quiet
            ):
                self._cells(on_capture, result)
        except (DeadKernelError, RuntimeError) as err:  # the kernel did not start
            result.status = "crashed"
            result.detail = f"the kernel could not start: {str(err)[:200]}"
        finally:
            if self.uid is not None:
                _kill_user(self.uid)
            shutil.rmtree(self.folder, ignore_errors=True)
        if result.status == "ok":
            errors = [_error_name(c) for c in self.nb.cells if c.cell_type == "code"]
            if "MemoryError" in errors:
                result.status = "out of memory"
            elif any(errors):
                result.status = "errors"
        return result

    def _cells(self, on_capture: dict[int, Callable], result: RunResult) -> None:
        assert self.client is not None
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            self.cell_index = index
            try:
                self.client.execute_cell(cell, index)
                if self.client.too_large:
                    raise KernelStopped(
                        "output too large",
                        f"the outputs passed {self.limits.output_mb:g} MB",
                    )
                if index in on_capture:
                    payload = _payload(cell.outputs)
                    result.judged[index] = on_capture[index](payload, self)
            except CellTimeoutError:
                result.status, result.stopped = "timed out", index
                return
            except DeadKernelError:
                result.status, result.stopped = self._death(), index
                return
            except KernelStopped as stop:
                result.status, result.stopped, result.detail = (
                    stop.status,
                    index,
                    stop.detail,
                )
                return

    def _death(self) -> str:
        """Why the kernel died: its CPU limit, or anything else (a crash)."""
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        return "timed out" if code == -signal.SIGXCPU else "crashed"


def _payload(outputs: list) -> dict:
    """The last judge data among a cell's outputs (then those outputs are dropped)."""
    found: dict = {}
    kept = []
    for out in outputs:
        data = out.get("data", {}) if out.get("output_type") == "display_data" else {}
        if MIME in data:
            value = data[MIME]
            found = value if isinstance(value, dict) else {}
        else:
            kept.append(out)
    outputs[:] = kept
    return found


def _error_name(cell: dict) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename", ""))
    return ""
