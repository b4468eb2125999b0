"""MNIST and Fashion-MNIST: where the files come from, and the LeNet-5 splits.

The files are looked for, in this order:

1. the ``data_dir`` argument;
2. the dataset's environment variable (``LENET_DATA_DIR`` for MNIST,
   ``LENET_FASHION_DATA_DIR`` for Fashion-MNIST);
3. a system folder (Debian's ``dataset-fashion-mnist`` package);
4. the per-user cache (``LENET_CACHE_DIR``, else ``~/.cache/lenet_common``);
5. a download into that cache, from several mirrors in turn;
6. the small real sample shipped inside this package, with a warning
   (``allow_sample=False`` turns this into an error that says how to get
   the data).

Every file is checked against the SHA-256 of its content as it is read, so
a corrupt copy is caught wherever it lies. In quick mode (``LENET_QUICK=1``)
the shipped sample is used directly, so quick runs are small and offline.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lenet_common import runtime
from lenet_common.data.download import (
    CacheDirError,
    DownloadError,
    content_sha256,
    fetch,
)
from lenet_common.data.idx import IDXError, decompressed_bytes, parse_idx
from lenet_common.data.preprocess import (
    pad_to_32,
    paper_scale,
    standardize,
    stratified_split,
)
from lenet_common.plumbing.atomic import remove_stale_parts

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "RawData",
    "LeNetData",
    "DataNotFoundError",
    "SampleDataWarning",
    "locate",
    "load_mnist",
    "load_lenet_data",
    "cache_dir",
    "SAMPLE_DIR",
]

#: The four files of each dataset, by role.
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

SAMPLE_DIR = Path(__file__).parent / "sample"


@dataclass(frozen=True)
class DatasetInfo:
    """What is known about a dataset: its files' checksums and where to find them."""

    name: str
    sha256: dict[str, str]  # file name without .gz → SHA-256 of the decompressed bytes
    mirrors: tuple[str, ...]
    env_var: str
    class_names: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()
    train_size: int = 60_000
    test_size: int = 10_000


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        # the canonical files' checksums, as published for the uncompressed MNIST
        sha256={
            "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://yann.lecun.com/exdb/mnist/",
        ),
        env_var="LENET_DATA_DIR",
        class_names=tuple(str(d) for d in range(10)),
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        sha256={
            "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
        mirrors=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        env_var="LENET_FASHION_DATA_DIR",
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}


class DataNotFoundError(FileNotFoundError):
    """The dataset's files could not be found, downloaded or fallen back on."""


class SampleDataWarning(UserWarning):
    """Only the small shipped sample is available: figures are not full-MNIST figures."""


def _info(dataset: str) -> DatasetInfo:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset!r}: choose one of {sorted(DATASETS)}"
        ) from None


def cache_dir() -> Path:
    """The per-user download cache: ``LENET_CACHE_DIR``, else ``~/.cache/lenet_common``."""
    chosen = runtime.env_path("LENET_CACHE_DIR")
    if chosen is not None:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lenet_common"


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in FILES.values())


def _missing(folder: Path) -> list[str]:
    return [name for name in FILES.values() if not (folder / name).is_file()]


def _sample_folder(dataset: str) -> Path:
    return SAMPLE_DIR / dataset


def _how_to_get(info: DatasetInfo) -> str:
    return (
        f"To get the full {info.name} files: connect to the internet and run again "
        f"(they are downloaded and cached in {cache_dir() / info.name}), or put the four "
        f"files ({', '.join(FILES.values())}) in a folder and point to it with "
        f"data_dir=... or the {info.env_var} environment variable."
    )


def locate(
    dataset: str = "mnist",
    data_dir: str | Path | None = None,
    *,
    allow_download: bool = True,
    allow_sample: bool = True,
    mirrors: Sequence[str] | None = None,
    connect_timeout: float | None = None,
    deadline: float | None = None,
    show_progress: bool = True,
) -> tuple[Path, str]:
    """Find (or fetch) the folder holding a dataset's four files.

    Returns ``(folder, source)`` where ``source`` is ``"full"`` or ``"sample"``.
    ``connect_timeout`` and ``deadline`` bound each download attempt (see
    :func:`lenet_common.data.download.fetch`).
    """
    folder, source, _ = _locate(
        dataset,
        data_dir,
        allow_download=allow_download,
        allow_sample=allow_sample,
        mirrors=mirrors,
        connect_timeout=connect_timeout,
        deadline=deadline,
        show_progress=show_progress,
    )
    return folder, source


def _locate(
    dataset,
    data_dir,
    *,
    allow_download,
    allow_sample,
    mirrors=None,
    connect_timeout=None,
    deadline=None,
    show_progress=True,
):
    """:func:`locate`, and also where the folder came from (for error advice)."""
    info = _info(dataset)
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        if not _complete(folder):
            raise DataNotFoundError(
                f"data_dir={str(folder)!r} lacks {', '.join(_missing(folder))}. "
                "Point it at the folder that holds the four IDX files."
            )
        return folder, "full", "data_dir"
    folder = runtime.env_path(info.env_var)
    if folder is not None:
        if not _complete(folder):
            raise DataNotFoundError(
                f"{info.env_var}={str(folder)!r} lacks {', '.join(_missing(folder))}. "
                f"Point {info.env_var} at the folder that holds the four IDX files, "
                "or unset it."
            )
        return folder, "full", "env"
    for system in info.system_dirs:
        if _complete(Path(system)):
            return Path(system), "full", "system"
    cached = cache_dir() / info.name
    remove_stale_parts(cached)  # leftovers of downloads that were killed
    if _complete(cached):
        return cached, "full", "cache"
    problem = "downloads are switched off"
    if allow_download:
        try:
            for name in FILES.values():
                if not (cached / name).is_file():
                    fetch(
                        name,
                        mirrors if mirrors is not None else info.mirrors,
                        info.sha256[name.removesuffix(".gz")],
                        cached,
                        connect_timeout=connect_timeout,
                        deadline=deadline,
                        show_progress=show_progress,
                    )
            return cached, "full", "cache"
        except CacheDirError as err:
            raise CacheDirError(
                err.errno,
                f"{err.strerror}. Set LENET_CACHE_DIR to a folder you "
                f"may write to (now {str(cache_dir())!r}), or put the four files in a "
                f"folder and point {info.env_var} at it.",
            ) from None
        except DownloadError as err:
            problem = str(err)
    if allow_sample:
        warnings.warn(
            f"Full {info.name} is not available: {problem}\nUsing the small real "
            f"sample shipped with lenet_common instead: accuracies and other figures "
            f"computed on it are NOT comparable with full {info.name}. "
            + _how_to_get(info),
            SampleDataWarning,
            stacklevel=3,
        )
        return _sample_folder(dataset), "sample", "sample"
    raise DataNotFoundError(
        f"full {info.name} is not available: {problem}\n" + _how_to_get(info)
    )


@dataclass
class RawData:
    """A dataset as stored: uint8 images (N, 28, 28) and uint8 labels (N,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    dataset: str
    source: str  # "full" or "sample"
    location: Path

    @property
    def class_names(self) -> tuple[str, ...]:
        return DATASETS[self.dataset].class_names

    @property
    def origin(self) -> str:
        """Where the files came from, in words, without this machine's paths."""
        if self.source == "sample":
            return "the sample shipped with lenet_common"
        return f"the {self.dataset} files in a folder named {self.location.name!r}"


def _sample_sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    return sums


def _read_verified(path: Path, expected_sha256: str) -> np.ndarray:
    raw = decompressed_bytes(path)
    got = content_sha256(raw)
    if got != expected_sha256:
        raise IDXError(
            f"{path}: content checksum {got[:12]}… does not match the expected "
            f"{expected_sha256[:12]}…: the file is corrupt or is not the file its "
            "name says."
        )
    return parse_idx(raw, name=str(path))


def _repair_advice(origin: str, info: DatasetInfo) -> str:
    """What to do about a damaged file, which depends on where its folder came from."""
    return {
        "cache": "It is in the download cache: delete it and run again to download "
        "it afresh.",
        "data_dir": "Replace it with a good copy (its folder was passed as data_dir).",
        "env": f"Replace it with a good copy, or point {info.env_var} (which names its "
        "folder) elsewhere.",
        "system": "It belongs to a system package: reinstall that package.",
        "sample": "It is part of the sample shipped with lenet_common, which is "
        "damaged: reinstall lenet_common.",
    }[origin]


def _read_folder(folder: Path, info: DatasetInfo, source: str, origin: str) -> RawData:
    sums = _sample_sums(folder) if source == "sample" else info.sha256
    try:
        arrays = {
            role: _read_verified(folder / name, sums[name.removesuffix(".gz")])
            for role, name in FILES.items()
        }
    except IDXError as err:
        raise IDXError(f"{err} {_repair_advice(origin, info)}") from None
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
            raise IDXError(
                f"{folder}: {split} images have shape {images.shape}, expected (N, 28, 28)"
            )
        if images.shape[0] != labels.shape[0]:
            raise IDXError(
                f"{folder}: {images.shape[0]} {split} images but {labels.shape[0]} labels: "
                "the files do not belong together"
            )
    return RawData(dataset=info.name, source=source, location=folder, **arrays)


def _sample_allowed() -> bool:
    """``LENET_ALLOW_SAMPLE=0`` (set by ``make book``) forbids the fallback to the sample."""
    return runtime.env_flag("LENET_ALLOW_SAMPLE", True)


def load_mnist(
    dataset: str = "mnist",
    data_dir: str | Path | None = None,
    *,
    allow_sample: bool | None = None,
    quick: bool | None = None,
    connect_timeout: float | None = None,
    deadline: float | None = None,
) -> RawData:
    """Load MNIST (or ``"fashion-mnist"``) as uint8 arrays, from wherever it is.

    In quick mode (``quick=None`` follows ``LENET_QUICK``) the shipped sample is
    used, unless ``data_dir`` names a folder explicitly. ``allow_sample=None``
    allows the fallback to the sample unless ``LENET_ALLOW_SAMPLE=0``.
    ``connect_timeout`` and ``deadline`` (seconds) bound each download attempt.
    """
    info = _info(dataset)
    if allow_sample is None:
        allow_sample = _sample_allowed()
    quick = runtime.QUICK if quick is None else quick
    if quick and data_dir is None:
        folder, source, origin = _sample_folder(dataset), "sample", "sample"
    else:
        folder, source, origin = _locate(
            dataset,
            data_dir,
            allow_download=True,
            allow_sample=allow_sample,
            connect_timeout=connect_timeout,
            deadline=deadline,
        )
    return _read_folder(folder, info, source, origin)


@dataclass
class LeNetData:
    """The three splits, ready for LeNet-5: padded to 32x32, normalised, float32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float
    normalization: str
    dataset: str
    source: str
    layout: str
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """One line: dataset, source and the sizes of the three splits."""
        shape = "x".join(str(s) for s in self.x_train.shape[1:])
        return (
            f"{self.dataset} ({self.source}): train {len(self.y_train):,}, "
            f"validation {len(self.y_val):,}, test {len(self.y_test):,} images of "
            f"{shape} ({self.layout}, {self.normalization} normalisation)"
        )


def _pixel_stats(images: np.ndarray, chunk: int = 4096) -> tuple[float, float]:
    """Mean and standard deviation of uint8 pixels on a 0..1 scale, chunk by chunk.

    Exact integer sums of the pixels and of their squares keep memory small
    (no float64 copy of the whole training set).
    """
    total = total_sq = 0
    for start in range(0, len(images), chunk):
        block = images[start : start + chunk].astype(np.int64)
        total += int(block.sum())
        total_sq += int((block * block).sum())
    n = images.size
    mean = total / n
    var = total_sq / n - mean * mean
    return mean / 255.0, float(np.sqrt(max(var, 0.0))) / 255.0


def load_lenet_data(
    dataset: str = "mnist",
    *,
    normalization: str = "standard",
    n_val: int | None = None,
    seed: int = 0,
    layout: str = "NCHW",
    data_dir: str | Path | None = None,
    allow_sample: bool | None = None,
    quick: bool | None = None,
    connect_timeout: float | None = None,
    deadline: float | None = None,
) -> LeNetData:
    """Training, validation and test splits, prepared as LeNet-5 expects them.

    Images are zero-padded 28→32 (as in the paper), then normalised:
    ``"standard"`` subtracts the training split's mean and divides by its
    standard deviation (statistics of the training split only, never of the
    validation or test data); ``"paper"`` maps background to -0.1 and ink to
    1.175. The validation split (``n_val`` images; 5,000 of the full 60,000, a sixth of
    a sample: 500 of MNIST's 3,000) is carved from the training set, in the classes' proportions.
    ``connect_timeout`` and ``deadline`` bound downloads (see :func:`load_mnist`).
    """
    if normalization not in ("standard", "paper"):
        raise ValueError(
            f"normalization must be 'standard' or 'paper', got {normalization!r}"
        )
    if layout not in ("NCHW", "NHWC"):
        raise ValueError(
            f"layout must be 'NCHW' (NumPy, PyTorch) or 'NHWC' (Keras), got {layout!r}"
        )
    raw = load_mnist(
        dataset,
        data_dir,
        allow_sample=allow_sample,
        quick=quick,
        connect_timeout=connect_timeout,
        deadline=deadline,
    )
    if n_val is None:  # 5,000 of full MNIST's 60,000; a sixth of a sample
        n_val = len(raw.train_labels) // 6 if raw.source == "sample" else 5_000
    train_idx, val_idx = stratified_split(raw.train_labels, n_val, seed=seed)

    train32 = pad_to_32(raw.train_images[train_idx])
    if normalization == "standard":
        mean, std = _pixel_stats(train32)

        def prepare(images: np.ndarray) -> np.ndarray:
            return standardize(images, mean, std)
    else:
        mean, std = 0.0, 1.0
        prepare = paper_scale

    def shaped(images32: np.ndarray) -> np.ndarray:
        x = prepare(images32)
        return x[:, None, :, :] if layout == "NCHW" else x[:, :, :, None]

    def labels(y: np.ndarray) -> np.ndarray:
        return y.astype(np.int64)

    return LeNetData(
        x_train=shaped(train32),
        y_train=labels(raw.train_labels[train_idx]),
        x_val=shaped(pad_to_32(raw.train_images[val_idx])),
        y_val=labels(raw.train_labels[val_idx]),
        x_test=shaped(pad_to_32(raw.test_images)),
        y_test=labels(raw.test_labels),
        mean=mean,
        std=std,
        normalization=normalization,
        dataset=raw.dataset,
        source=raw.source,
        layout=layout,
        class_names=raw.class_names,
    )
