"""Where the data comes from, in which order, and how it is prepared."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import shutil
import warnings

import numpy as np
import pytest

from lenet_common import data
from lenet_common.data import (
    DataNotFoundError,
    SampleDataWarning,
    load_lenet_data,
    load_mnist,
    locate,
)
from lenet_common.data.idx import IDXError, encode_idx, write_idx
from tests.conftest import ROOT

DEAD = ("http://127.0.0.1:9/",)  # nothing listens there: "no network"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No env vars, an empty cache, and mirrors that cannot be reached."""
    for var in ("LENET_DATA_DIR", "LENET_FASHION_DATA_DIR", "LENET_ALLOW_SAMPLE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LENET_CACHE_DIR", str(tmp_path / "cache"))
    for name, info in list(data.DATASETS.items()):
        monkeypatch.setitem(
            data.DATASETS, name, dataclasses.replace(info, mirrors=DEAD, system_dirs=())
        )


def tiny_files(folder, n_train=12, n_test=6, seed=0):
    """Four small IDX files in ``folder``; returns their content checksums."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(n_test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for role, name in data.FILES.items():
        write_idx(folder / name, arrays[role])
        sums[name.removesuffix(".gz")] = hashlib.sha256(
            encode_idx(arrays[role])
        ).hexdigest()
    return sums


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """A dataset "tiny" whose files are in tmp_path/src (served as file:// URLs)."""
    src = tmp_path / "src"
    sums = tiny_files(src)
    info = dataclasses.replace(
        data.DATASETS["mnist"],
        name="tiny",
        sha256=sums,
        mirrors=(DEAD[0], src.as_uri()),
        env_var="LENET_TINY_DIR",
    )
    monkeypatch.setitem(data.DATASETS, "tiny", info)
    return src


# --- where the files come from -------------------------------------------------------


def test_explicit_dir_comes_first(tiny, tmp_path, monkeypatch):
    other = tmp_path / "other"
    shutil.copytree(tiny, other)
    monkeypatch.setenv("LENET_TINY_DIR", str(tiny))
    assert locate("tiny", other) == (other, "full")


def test_env_var_before_cache(tiny, monkeypatch):
    monkeypatch.setenv("LENET_TINY_DIR", str(tiny))
    assert locate("tiny", allow_download=False) == (tiny, "full")


def test_incomplete_env_dir_is_an_error(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_TINY_DIR", str(tmp_path))
    with pytest.raises(DataNotFoundError, match=r"LENET_TINY_DIR=.*lacks train-images"):
        locate("tiny")


def test_incomplete_explicit_dir_is_an_error(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"data_dir=.*lacks.*t10k-labels"):
        locate("mnist", tmp_path)


def test_system_dir_before_cache(tiny, monkeypatch):
    info = dataclasses.replace(data.DATASETS["tiny"], system_dirs=(str(tiny),))
    monkeypatch.setitem(data.DATASETS, "tiny", info)
    assert locate("tiny", allow_download=False) == (tiny, "full")


def test_download_then_cache_hit_without_network(tiny, monkeypatch):
    folder, source = locate("tiny")  # first mirror dead, second (file://) works
    assert source == "full" and folder == data.cache_dir() / "tiny"
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.FILES.values())
    shutil.rmtree(tiny)  # the "network" is gone now
    assert locate("tiny") == (folder, "full")
    raw = load_mnist("tiny", quick=False)
    assert raw.train_images.shape == (12, 28, 28) and raw.source == "full"


def test_offline_falls_back_to_sample_with_warning():
    with pytest.warns(SampleDataWarning, match="NOT comparable with full mnist"):
        raw = load_mnist("mnist", quick=False)
    assert raw.source == "sample"
    assert raw.train_images.shape == (3000, 28, 28) and raw.test_images.shape == (
        1000,
        28,
        28,
    )


def test_offline_without_fallback_says_how_to_get_data():
    with pytest.raises(DataNotFoundError, match=r"(?s)127.0.0.1:9.*LENET_DATA_DIR"):
        load_mnist("mnist", allow_sample=False, quick=False)


def test_env_var_forbids_the_sample(monkeypatch):
    monkeypatch.setenv("LENET_ALLOW_SAMPLE", "0")
    with pytest.raises(DataNotFoundError, match="To get the full mnist"):
        load_mnist("mnist", quick=False)
    assert load_mnist("mnist", quick=True).source == "sample"  # quick mode asks for it


def test_corrupt_file_is_caught_when_read(tiny, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tiny, bad)
    (bad / "train-labels-idx1-ubyte.gz").write_bytes(
        (tiny / "t10k-labels-idx1-ubyte.gz").read_bytes()
    )
    with pytest.raises(IDXError, match=r"train-labels-idx1-ubyte.gz: content checksum"):
        load_mnist("tiny", bad)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'emnist'"):
        load_mnist("emnist")


# --- the shipped samples --------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset, n_train, n_test", [("mnist", 3000, 1000), ("fashion-mnist", 1500, 500)]
)
def test_sample_is_class_balanced(dataset, n_train, n_test):
    raw = load_mnist(dataset, quick=True)
    assert raw.source == "sample"
    assert np.bincount(raw.train_labels).tolist() == [n_train // 10] * 10
    assert np.bincount(raw.test_labels).tolist() == [n_test // 10] * 10


def test_sample_is_made_by_the_script(full_mnist_dir, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_sample", ROOT / "scripts" / "make_sample.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "SAMPLE_DIR", tmp_path)
    script.make("mnist", full_mnist_dir)
    for name in [*data.FILES.values(), "SHA256SUMS"]:
        assert (tmp_path / "mnist" / name).read_bytes() == (
            data.SAMPLE_DIR / "mnist" / name
        ).read_bytes()


# --- full MNIST -----------------------------------------------------------------------


def test_full_mnist_through_env_var(full_mnist_dir, monkeypatch):
    monkeypatch.setenv("LENET_DATA_DIR", str(full_mnist_dir))
    raw = load_mnist(quick=False)
    assert raw.source == "full"
    assert raw.train_images.shape == (60_000, 28, 28) and raw.test_images.shape == (
        10_000,
        28,
        28,
    )
    assert np.bincount(raw.train_labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert raw.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert raw.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_full_lenet_splits(full_mnist_dir):
    d = load_lenet_data(data_dir=full_mnist_dir, quick=False)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (55_000, 5_000, 10_000)
    assert d.x_train.shape[1:] == (1, 32, 32) and d.x_train.dtype == np.float32
    assert (
        abs(float(d.x_train.mean())) < 1e-4 and abs(float(d.x_train.std()) - 1) < 1e-3
    )


# --- preparation ------------------------------------------------------------------------


def test_quick_splits_and_layouts():
    d = load_lenet_data(quick=True)
    assert (len(d.y_train), len(d.y_val), len(d.y_test)) == (2500, 500, 1000)
    assert d.x_train.shape == (2500, 1, 32, 32) and d.y_train.dtype == np.int64
    h = load_lenet_data(quick=True, layout="NHWC")
    assert h.x_val.shape == (500, 32, 32, 1)
    np.testing.assert_array_equal(h.x_val[..., 0], d.x_val[:, 0])
    assert "train 2,500, validation 500, test 1,000" in d.describe()


def test_statistics_come_from_training_split_only():
    raw = load_mnist(quick=True)
    d = load_lenet_data(quick=True)
    train_idx, _ = data.stratified_split(raw.train_labels, 500, seed=0)
    padded = np.pad(raw.train_images[train_idx], ((0, 0), (2, 2), (2, 2))) / 255.0
    assert d.mean == pytest.approx(padded.mean()) and d.std == pytest.approx(
        padded.std()
    )
    everything = (
        np.pad(
            np.concatenate([raw.train_images, raw.test_images]),
            ((0, 0), (2, 2), (2, 2)),
        )
        / 255.0
    )
    assert d.mean != pytest.approx(everything.mean(), abs=1e-6)


def test_validation_is_carved_from_training_set():
    raw = load_mnist(quick=True)
    tr, va = data.stratified_split(raw.train_labels, 500, seed=0)
    assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == len(
        raw.train_labels
    )
    assert np.bincount(raw.train_labels[va]).tolist() == [50] * 10
    tr2, va2 = data.stratified_split(raw.train_labels, 500, seed=0)
    np.testing.assert_array_equal(va, va2)
    d = load_lenet_data(quick=True)
    np.testing.assert_array_equal(d.y_val, raw.train_labels[va])
    np.testing.assert_array_equal(d.y_test, raw.test_labels)


def test_paper_normalisation():
    d = load_lenet_data(quick=True, normalization="paper")
    assert d.x_train.min() == pytest.approx(-0.1) and d.x_train.max() == pytest.approx(
        1.175
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="normalization"):
        load_lenet_data(quick=True, normalization="minmax")
    with pytest.raises(ValueError, match="layout"):
        load_lenet_data(quick=True, layout="CHW")
    with pytest.raises(ValueError, match="n_val must be between 1 and 2999"):
        load_lenet_data(quick=True, n_val=3000)


def test_quick_mode_uses_the_sample_offline():
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # no fallback warning: quick mode asks for the sample
        raw = load_mnist(quick=True)
    assert raw.source == "sample"


def test_origin_names_the_source_without_the_machines_paths(tmp_path):
    # the data chapter prints it: a reader must not see the build machine's folders
    raw = load_mnist(quick=True)
    assert raw.origin == "the sample shipped with lenet_common"
    assert str(raw.location.parent) not in raw.origin
    full = dataclasses.replace(raw, source="full", location=tmp_path / "mnist")
    assert full.origin == "the mnist files in a folder named 'mnist'"
