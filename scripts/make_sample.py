"""Make the small real samples shipped inside lenet_common (reproducibly).

From the full files, take a class-balanced, seeded random choice of training
and test images (kept in their original order) and write them as IDX .gz
files with the full files' names, plus a SHA256SUMS of their content:

    python scripts/make_sample.py --mnist ../shared/data/mnist \
        --fashion /usr/share/datasets/fashion-mnist

Running it again on the same files writes byte-identical samples.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from lenet_common.data.idx import encode_idx, write_idx
from lenet_common.data.mnist import DATASETS, FILES, SAMPLE_DIR, _read_folder

# images per class: (train, test). MNIST's sample is what quick mode trains on;
# Fashion-MNIST's, for the exercises, is smaller (its images compress less).
PER_CLASS = {"mnist": (300, 100), "fashion-mnist": (150, 50)}
SEED = 1998


def balanced_choice(
    labels: np.ndarray, per_class: int, rng: np.random.Generator
) -> np.ndarray:
    """``per_class`` indices of each class, chosen at random, sorted."""
    picks = [
        rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
        for c in range(10)
    ]
    return np.sort(np.concatenate(picks))


def make(dataset: str, source_dir: Path) -> None:
    # verifies the checksums; a bad file is the one named on the command line
    raw = _read_folder(source_dir, DATASETS[dataset], "full", origin="data_dir")
    rng = np.random.default_rng(SEED)
    n_train, n_test = PER_CLASS[dataset]
    tr = balanced_choice(raw.train_labels, n_train, rng)
    te = balanced_choice(raw.test_labels, n_test, rng)
    out = SAMPLE_DIR / dataset
    out.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": raw.train_images[tr],
        "train_labels": raw.train_labels[tr],
        "test_images": raw.test_images[te],
        "test_labels": raw.test_labels[te],
    }
    lines = []
    for role, name in FILES.items():
        write_idx(out / name, arrays[role])
        lines.append(
            f"{hashlib.sha256(encode_idx(arrays[role])).hexdigest()}  {name.removesuffix('.gz')}"
        )
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    size = sum((out / n).stat().st_size for n in FILES.values())
    print(
        f"{dataset}: {len(tr)} train + {len(te)} test images, {size / 1024:.0f} KiB in {out}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mnist", type=Path, help="folder with the full MNIST files")
    parser.add_argument(
        "--fashion", type=Path, help="folder with the full Fashion-MNIST files"
    )
    args = parser.parse_args()
    if args.mnist:
        make("mnist", args.mnist)
    if args.fashion:
        make("fashion-mnist", args.fashion)


if __name__ == "__main__":
    main()
