"""Downloads: mirrors in turn, checksums, atomic writes, a local HTTP server only."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from lenet_common.download import DownloadError, fetch

CONTENT = b"\0\0\x08\x01\0\0\0\x03abc"
SHA = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1: /good/ serves the file, /bad/ a corrupt copy, the rest 404."""
    root = tmp_path / "www"
    (root / "good").mkdir(parents=True)
    (root / "bad").mkdir()
    (root / "good" / "f.gz").write_bytes(gzip.compress(CONTENT))
    (root / "bad" / "f.gz").write_bytes(gzip.compress(CONTENT + b"x"))
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            requests.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_first_mirror_fails_second_works(server, tmp_path):
    base, requests = server
    dest = tmp_path / "cache"
    path = fetch("f.gz", [f"{base}/missing/", f"{base}/good/"], SHA, dest, timeout=5)
    assert gzip.decompress(path.read_bytes()) == CONTENT
    assert leftovers(dest) == ["f.gz"]  # no partial files
    assert [r for r in requests if "missing" in r] and [r for r in requests if "good" in r]


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    base, _ = server
    dest = tmp_path / "cache"
    with pytest.raises(DownloadError, match=r"f.gz.*SHA-256 of the content"):
        fetch("f.gz", [f"{base}/bad/"], SHA, dest, timeout=5)
    assert leftovers(dest) == []


def test_corrupt_mirror_then_good_mirror(server, tmp_path):
    base, _ = server
    path = fetch("f.gz", [f"{base}/bad/", f"{base}/good/"], SHA, tmp_path, timeout=5)
    assert gzip.decompress(path.read_bytes()) == CONTENT


def test_all_mirrors_fail_lists_each(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as info:
        fetch("f.gz", [f"{base}/a/", f"{base}/b/"], SHA, tmp_path / "c", timeout=5)
    message = str(info.value)
    assert "2 mirror(s)" in message and "/a/f.gz" in message and "/b/f.gz" in message
    assert leftovers(tmp_path / "c") == []


def test_file_url_mirror(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.gz").write_bytes(gzip.compress(CONTENT))
    path = fetch("f.gz", [src.as_uri()], SHA, tmp_path / "dest")
    assert path.read_bytes() == (src / "f.gz").read_bytes()


def test_unreachable_host_is_a_clear_error(tmp_path):
    # port 9 on the loopback address: nothing listens there, so the connection is refused
    with pytest.raises(DownloadError, match="127.0.0.1:9"):
        fetch("f.gz", ["http://127.0.0.1:9/"], SHA, tmp_path, timeout=2)
