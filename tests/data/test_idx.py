"""The IDX reader on good and broken files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from lenet_common.data.idx import IDXError, encode_idx, parse_idx, read_idx, write_idx


@pytest.fixture
def images() -> np.ndarray:
    return np.arange(3 * 28 * 28, dtype=np.uint64).reshape(3, 28, 28).astype(np.uint8)


def test_round_trip_gz_and_raw(tmp_path, images):
    write_idx(tmp_path / "a.gz", images)
    (tmp_path / "a").write_bytes(encode_idx(images))
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), images)


def test_labels_are_one_dimensional(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    write_idx(tmp_path / "l.gz", labels)
    out = read_idx(tmp_path / "l.gz")
    assert out.shape == (5,) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, labels)


def test_big_endian_int32_is_decoded():
    raw = (
        bytes([0, 0, 0x0C, 1, 0, 0, 0, 2])
        + (7).to_bytes(4, "big")
        + (-3).to_bytes(4, "big", signed=True)
    )
    np.testing.assert_array_equal(parse_idx(raw), [7, -3])


def test_truncated_file_names_file(tmp_path, images):
    path = tmp_path / "cut"
    path.write_bytes(encode_idx(images)[:-10])
    with pytest.raises(IDXError, match=r"cut: truncated.*\(3, 28, 28\)"):
        read_idx(path)


def test_trailing_bytes(tmp_path, images):
    path = tmp_path / "long"
    path.write_bytes(encode_idx(images) + b"\0")
    with pytest.raises(IDXError, match="trailing bytes"):
        read_idx(path)


def test_bad_magic(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>403 Forbidden</html>")
    with pytest.raises(IDXError, match=r"page.html: bad magic number.*not an IDX file"):
        read_idx(path)


def test_too_short(tmp_path):
    path = tmp_path / "tiny"
    path.write_bytes(b"\0\0")
    with pytest.raises(IDXError, match="too short"):
        read_idx(path)


def test_corrupt_gzip(tmp_path, images):
    data = gzip.compress(encode_idx(images))
    path = tmp_path / "bad.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IDXError, match="bad.gz: the gzip stream is corrupt"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_idx(tmp_path / "nope")


def test_write_refuses_other_dtypes(tmp_path):
    with pytest.raises(TypeError, match="uint8"):
        write_idx(tmp_path / "x.gz", np.zeros(3, dtype=np.float32))
