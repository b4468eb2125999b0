"""Downloads against a local HTTP server on 127.0.0.1 that misbehaves on purpose.

The server's paths: /good/ serves the file, /bad/ wrong bytes, /trickle/ a few
bytes at a time (forever), /cut/ a chunked body cut mid-chunk, /short/ fewer
bytes than its Content-Length, /status/ a broken status line, /silent/ never
answers; anything else is a 404. Limits are a fraction of a second, so the
whole file runs in a few seconds.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lenet_common.data.download import CacheDirError, DownloadError, fetch
from lenet_common.plumbing import atomic

CONTENT = b"\0\0\x08\x01\0\0\0\x03abc"
SHA = hashlib.sha256(CONTENT).hexdigest()
GOOD = gzip.compress(CONTENT, mtime=0)
FAST = {"connect_timeout": 2, "deadline": 2, "show_progress": False}


class Faulty(http.server.BaseHTTPRequestHandler):
    """One request handler per kind of fault (see the module docstring)."""

    stop: threading.Event
    requests: list[str]

    def log_message(self, *args):
        pass  # keep the test output quiet

    def _head(self, length: int | None, chunked: bool = False) -> None:
        self.send_response(200)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_GET(self):  # noqa: N802 (the name http.server asks for)
        self.requests.append(self.path)
        kind = self.path.strip("/").split("/")[0]
        try:
            if kind == "good":
                self._head(len(GOOD))
                self.wfile.write(GOOD)
            elif kind == "bad":
                wrong = gzip.compress(CONTENT + b"x", mtime=0)
                self._head(len(wrong))
                self.wfile.write(wrong)
            elif kind == "trickle":
                self._head(len(GOOD) * 1000)
                while not self.stop.is_set():
                    self.wfile.write(b"\x1f\x8b\0\0")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif kind == "cut":
                self._head(None, chunked=True)
                self.wfile.write(b"100\r\n" + GOOD[:10])  # a 256-byte chunk, 10 sent
                self.wfile.flush()
                self.close_connection = True
            elif kind == "short":
                self._head(len(GOOD) + 500)
                self.wfile.write(GOOD)
                self.close_connection = True
            elif kind == "status":
                self.wfile.write(b"HTTP/1.1 twohundred OK\r\n\r\n")
                self.close_connection = True
            elif kind == "silent":
                self.stop.wait(10)
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on us: that is the point


@pytest.fixture
def server():
    """The misbehaving server; yields its base URL and the paths it was asked for."""
    stop, requests = threading.Event(), []
    handler = type("Handler", (Faulty,), {"stop": stop, "requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    stop.set()
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def fails_then_good(
    base: str, kind: str, tmp_path: Path, **limits
) -> tuple[Path, float]:
    """Fetch with the faulty mirror first and a good one second; time it."""
    start = time.monotonic()
    path = fetch(
        "f.gz",
        [f"{base}/{kind}/", f"{base}/good/"],
        SHA,
        tmp_path / "cache",
        **{**FAST, **limits},
    )
    return path, time.monotonic() - start


# --- each fault moves on to the next mirror -----------------------------------------


def test_404_then_good_mirror(server, tmp_path):
    base, requests = server
    path, _ = fails_then_good(base, "missing", tmp_path)
    assert gzip.decompress(path.read_bytes()) == CONTENT
    assert leftovers(tmp_path / "cache") == ["f.gz"]  # no partial files
    assert requests == ["/missing/f.gz", "/good/f.gz"]


def test_trickling_mirror_is_abandoned_at_the_deadline(server, tmp_path):
    base, _ = server
    path, seconds = fails_then_good(base, "trickle", tmp_path, deadline=0.5)
    assert path.read_bytes() == GOOD
    assert 0.5 <= seconds < 3  # the deadline, not the 2 s read timeout, ended it
    assert leftovers(tmp_path / "cache") == ["f.gz"]


@pytest.mark.parametrize("kind", ["cut", "short", "status", "bad"])
def test_broken_transfer_moves_on(server, tmp_path, kind):
    base, requests = server
    path, _ = fails_then_good(base, kind, tmp_path)
    assert path.read_bytes() == GOOD and requests[-1] == "/good/f.gz"
    assert leftovers(tmp_path / "cache") == ["f.gz"]


def test_silent_mirror_times_out(server, tmp_path):
    base, _ = server
    _, seconds = fails_then_good(base, "silent", tmp_path, connect_timeout=0.3)
    assert seconds < 2


def test_every_reason_is_listed(server, tmp_path):
    base, _ = server
    kinds = ["missing", "status", "cut", "short", "trickle", "silent", "bad"]
    with pytest.raises(DownloadError) as info:
        fetch(
            "f.gz",
            [f"{base}/{k}/" for k in kinds],
            SHA,
            tmp_path / "c",
            connect_timeout=0.3,
            deadline=0.3,
            show_progress=False,
        )
    lines = str(info.value).splitlines()
    assert "7 mirror(s)" in lines[0]
    expected = [
        "HTTP 404",
        "not a valid HTTP answer",
        "connection cut mid-transfer",
        "connection cut mid-transfer",
        "0.3 s deadline",
        "no answer for 0.3 s",
        "wrong content: SHA-256",
    ]
    for kind, line, reason in zip(kinds, lines[1:], expected):
        assert f"/{kind}/f.gz" in line and reason in line, line
    assert leftovers(tmp_path / "c") == []


def test_unreachable_host_is_a_clear_error(tmp_path):
    # port 9 on the loopback address: nothing listens there: the connection is refused
    with pytest.raises(DownloadError, match=r"127.0.0.1:9/f.gz: .*[Rr]efused"):
        fetch("f.gz", ["http://127.0.0.1:9/"], SHA, tmp_path, **FAST)
    assert leftovers(tmp_path) == []


def test_file_url_mirror(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.gz").write_bytes(GOOD)
    path = fetch("f.gz", [src.as_uri()], SHA, tmp_path / "dest", **FAST)
    assert path.read_bytes() == GOOD


def test_progress_bar_names_the_mirror(server, tmp_path, capsys):
    base, _ = server
    fetch(
        "f.gz",
        [f"{base}/missing/", f"{base}/good/"],
        SHA,
        tmp_path,
        connect_timeout=2,
        deadline=2,
    )
    err = capsys.readouterr().err
    assert "/missing/f.gz: HTTP 404" in err and "trying the next mirror" in err
    assert "f.gz from 127.0.0.1" in err and "(mirror 2/2)" in err


# --- limits: arguments and environment variables --------------------------------------


def test_limits_from_the_environment(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.setenv("LENET_DOWNLOAD_DEADLINE", "0.4")
    monkeypatch.setenv("LENET_CONNECT_TIMEOUT", "0.3")
    with pytest.raises(DownloadError, match=r"(?s)0.4 s deadline.*no answer for 0.3 s"):
        fetch(
            "f.gz",
            [f"{base}/trickle/", f"{base}/silent/"],
            SHA,
            tmp_path,
            show_progress=False,
        )


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf"])
def test_bad_limit_in_the_environment(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LENET_DOWNLOAD_DEADLINE", value)
    with pytest.raises(
        ValueError, match=rf"LENET_DOWNLOAD_DEADLINE='{value}'.*positive"
    ):
        fetch("f.gz", ["http://127.0.0.1:9/"], SHA, tmp_path, show_progress=False)


def test_bad_limit_argument(tmp_path):
    with pytest.raises(ValueError, match="deadline must be a positive number"):
        fetch("f.gz", ["http://127.0.0.1:9/"], SHA, tmp_path, deadline=float("nan"))


# --- partial files and the cache folder -----------------------------------------------


def part_file(folder: Path, age_s: float) -> Path:
    part = folder / ".f.gz.0123abcd.part.gz"
    part.write_bytes(GOOD[:5])
    past = time.time() - age_s
    os.utime(part, (past, past))
    return part


def test_stale_part_is_removed_by_the_next_fetch(server, tmp_path):
    base, _ = server
    tmp_path.joinpath("cache").mkdir()
    stale = part_file(tmp_path / "cache", age_s=3600)
    fails_then_good(base, "missing", tmp_path)
    assert not stale.exists() and leftovers(tmp_path / "cache") == ["f.gz"]


@pytest.mark.skipif(atomic.fcntl is None, reason="needs POSIX file locks")
def test_a_part_being_written_is_kept(tmp_path):
    live = part_file(tmp_path, age_s=3600)
    with open(live, "rb") as held:
        atomic.fcntl.flock(held, atomic.fcntl.LOCK_EX)  # as a live download holds it
        assert atomic.remove_stale_parts(tmp_path) == [] and live.exists()
    assert atomic.remove_stale_parts(tmp_path) == [live] and not live.exists()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_download_killed_with_sigkill_is_cleaned_up(server, tmp_path, monkeypatch):
    base, _ = server
    dest = tmp_path / "cache"
    code = (
        "from lenet_common.data.download import fetch; import sys; "
        f"fetch('f.gz', [sys.argv[1]], {SHA!r}, sys.argv[2], show_progress=False)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, f"{base}/trickle/", str(dest)]
    )
    try:
        for _ in range(200):  # until the child has started writing
            if list(dest.glob(".f.gz.*.part.gz")):
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
    [part] = dest.glob(".f.gz.*.part.gz")  # the killed child could not tidy up
    monkeypatch.setattr(atomic, "STALE_AFTER_S", 0.0)  # instead of waiting a minute
    fails_then_good(base, "missing", tmp_path)
    assert leftovers(dest) == ["f.gz"]


def test_cache_path_that_is_a_file(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    with pytest.raises(
        CacheDirError, match=rf"cannot write downloads into the folder {blocker}"
    ):
        fetch("f.gz", ["http://127.0.0.1:9/"], SHA, blocker, **FAST)
    assert blocker.read_text() == "not a folder"


def test_read_only_cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root ignores permissions: inject the refusal

            def refuse(self, *args, **kwargs):
                raise PermissionError(13, "Permission denied", str(self))

            monkeypatch.setattr(Path, "touch", refuse)
        with pytest.raises(CacheDirError, match=rf"{folder} \(Permission denied\)"):
            fetch("f.gz", ["http://127.0.0.1:9/"], SHA, folder, **FAST)
    finally:
        folder.chmod(0o755)
    assert leftovers(folder) == []
