"""Data loading when things go wrong: the cache folder, leftovers, advice, warnings."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import pytest

from lenet_common import runtime
from lenet_common.data import DataNotFoundError, SampleDataWarning, load_mnist, locate
from lenet_common.data import mnist as data
from lenet_common.data.download import CacheDirError
from lenet_common.data.idx import IDXError
from tests.data.test_download import server  # noqa: F401 (fixture)
from tests.data.test_mnist import DEAD, isolated, tiny  # noqa: F401 (fixtures)


def corrupt(folder, name="train-labels-idx1-ubyte.gz"):
    """Overwrite one file with another's bytes: a valid gzip, wrong content."""
    (folder / name).write_bytes((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())


# --- the cache folder -----------------------------------------------------------------


def test_cache_path_that_is_a_file_names_the_variable(tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setenv("LENET_CACHE_DIR", str(blocker))
    with pytest.raises(CacheDirError) as info:
        load_mnist("tiny", quick=False)
    message = str(info.value)
    assert str(blocker / "tiny") in message and "LENET_CACHE_DIR" in message
    assert "LENET_TINY_DIR" in message
    assert blocker.read_text() == "a file, not a folder"


def test_stale_part_is_removed_by_a_later_load(tiny):
    folder, _ = locate("tiny", show_progress=False)  # downloads into the cache
    stale = folder / ".train-images-idx3-ubyte.gz.0badf00d.part.gz"
    stale.write_bytes(b"\x1f\x8b half a download")
    past = time.time() - 3600
    os.utime(stale, (past, past))
    assert load_mnist("tiny", quick=False).source == "full"
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.FILES.values())


def test_download_limits_reach_the_mirrors(tiny, server, monkeypatch):
    base, _ = server
    info = dataclasses.replace(data.DATASETS["tiny"], mirrors=(f"{base}/trickle/",))
    monkeypatch.setitem(data.DATASETS, "tiny", info)
    start = time.monotonic()
    with pytest.raises(DataNotFoundError, match=r"0.3 s deadline"):
        load_mnist("tiny", quick=False, allow_sample=False, deadline=0.3)
    assert time.monotonic() - start < 3


# --- what a user is told --------------------------------------------------------------


def test_sample_warning_gives_each_mirror_reason(monkeypatch):
    mirrors = ("http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/")
    info = dataclasses.replace(data.DATASETS["mnist"], mirrors=mirrors)
    monkeypatch.setitem(data.DATASETS, "mnist", info)
    with pytest.warns(SampleDataWarning) as caught:
        load_mnist("mnist", quick=False)
    message = str(caught[0].message)
    for mirror in mirrors:
        assert f"{mirror}train-images-idx3-ubyte.gz: ConnectionRefusedError" in message
    assert "NOT comparable" in message


def test_damaged_file_in_the_cache_says_delete_it(tiny):
    folder, _ = locate("tiny", show_progress=False)
    corrupt(folder)
    with pytest.raises(IDXError, match=r"download cache: delete it and run again"):
        load_mnist("tiny", quick=False)


def test_damaged_file_elsewhere_is_not_to_be_fetched_again(tiny, tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    shutil.copytree(tiny, mine)
    corrupt(mine)
    with pytest.raises(IDXError) as info:
        load_mnist("tiny", mine)
    assert (
        "passed as data_dir" in str(info.value)
        and "delete" not in str(info.value).lower()
    )
    monkeypatch.setenv("LENET_TINY_DIR", str(mine))
    with pytest.raises(IDXError) as info:
        load_mnist("tiny", quick=False)
    assert "point LENET_TINY_DIR" in str(info.value)
    assert "delete" not in str(info.value).lower()


def test_damaged_sample_says_reinstall(tmp_path, monkeypatch):
    sample = tmp_path / "sample"
    shutil.copytree(data.SAMPLE_DIR, sample)
    corrupt(sample / "mnist")
    monkeypatch.setattr(data, "SAMPLE_DIR", sample)
    with pytest.raises(
        IDXError, match=r"shipped with lenet_common.*reinstall lenet_common"
    ):
        load_mnist("mnist", quick=True)


# --- LENET_* variables ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "2", "yess"])
def test_allow_sample_refuses_garbage(monkeypatch, value):
    monkeypatch.setenv("LENET_ALLOW_SAMPLE", value)
    with pytest.raises(
        ValueError, match=rf"LENET_ALLOW_SAMPLE='{value}' is not understood"
    ):
        load_mnist("mnist", quick=False)


@pytest.mark.parametrize(
    "value, allowed",
    [
        ("1", True),
        ("on", True),
        ("YES", True),
        ("0", False),
        ("off", False),
        ("No", False),
        ("", True),
    ],
)
def test_allow_sample_values(monkeypatch, value, allowed):
    monkeypatch.setenv("LENET_ALLOW_SAMPLE", value)
    assert runtime.env_flag("LENET_ALLOW_SAMPLE", True) is allowed
