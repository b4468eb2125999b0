"""Atomic writes: a save that fails part-way leaves the old file and nothing else."""

from __future__ import annotations

import os
import pickle
import time

import numpy as np
import pytest

from lenet_common.numpy_lenet import LeNet5, load_weights, save_weights
from lenet_common.plumbing import atomic
from tests.faults import disk_full_after, folder_listing


def test_success_replaces_the_file(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with atomic.replacing(target) as part:
        assert part.parent == tmp_path and part.name.startswith(".f.bin.")
        assert part.suffix == ".bin"  # np.savez and Keras insist on their suffix
        part.write_bytes(b"new")
    assert target.read_bytes() == b"new" and folder_listing(tmp_path) == ["f.bin"]


def test_new_file_gets_the_usual_permissions(tmp_path):
    with atomic.replacing(tmp_path / "f.bin") as part:
        part.write_bytes(b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "error", [OSError(28, "No space left on device"), KeyboardInterrupt()]
)
def test_failure_in_the_writer_keeps_the_old_file(tmp_path, error):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(type(error)):
        with atomic.replacing(target) as part:
            part.write_bytes(b"half")
            raise error
    assert target.read_bytes() == b"old" and folder_listing(tmp_path) == ["f.bin"]


def test_failure_to_flush_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        with atomic.replacing(target) as part:
            part.write_bytes(b"new")
    assert target.read_bytes() == b"old" and folder_listing(tmp_path) == ["f.bin"]


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"cannot write .*nope.*f.bin.*folder .*nope"
    ):
        with atomic.replacing(tmp_path / "nope" / "f.bin"):
            pass


def test_stale_parts_of_that_file_only_are_removed(tmp_path):
    mine = tmp_path / ".f.bin.0a0a0a0a.part.bin"
    other = tmp_path / ".g.bin.0b0b0b0b.part.bin"
    fresh = tmp_path / ".f.bin.0c0c0c0c.part.bin"
    for part, age in ((mine, 3600), (other, 3600), (fresh, 0)):
        part.write_bytes(b"left over")
        os.utime(part, (time.time() - age,) * 2)
    with atomic.replacing(tmp_path / "f.bin") as part:
        part.write_bytes(b"new")
    # the fresh one may be a writer between creating and locking its file: kept
    assert folder_listing(tmp_path) == [fresh.name, other.name, "f.bin"]


# --- the NumPy LeNet-5's save_weights ------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """A good weights file, its bytes, and the model that wrote it."""
    model = LeNet5(seed=1)
    path = save_weights(model, tmp_path / "lenet5.npz")
    return path, path.read_bytes(), model


def test_numpy_save_on_a_full_disk_keeps_the_last_good_file(saved):
    path, good, _ = saved
    control = path.parent / "control" / "plain.npz"
    control.parent.mkdir()
    with disk_full_after(64 * 1024):
        with pytest.raises(OSError):  # without the atomic write: a truncated file
            np.savez(control, **LeNet5(seed=2).params)
        with pytest.raises(OSError):
            save_weights(LeNet5(seed=2), path)
    assert 0 < control.stat().st_size < len(good)  # the fault does strike part-way
    assert path.read_bytes() == good and folder_listing(path.parent) == [
        "control",
        path.name,
    ]
    np.testing.assert_array_equal(
        load_weights(None, path).params["c1.weight"], saved[2].params["c1.weight"]
    )


def test_numpy_save_of_an_unserialisable_value_keeps_the_last_good_file(saved):
    path, good, _ = saved
    model = LeNet5(seed=3)
    model.params["output.bias"] = np.array([lambda: 0], dtype=object)  # written last
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_weights(model, path)
    assert path.read_bytes() == good and folder_listing(path.parent) == [path.name]
    assert set(load_weights(None, path).params) >= {"c1.weight", "output.bias"}
