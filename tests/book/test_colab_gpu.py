"""The chapters that train on a GPU ask Colab for one, in both editions.

A chapter trains on a GPU when its code picks a device with
``lenet_common.runtime``'s ``torch_device`` or ``tf_device``. Colab reads the
notebook-level metadata ``accelerator`` and ``colab.gpuType`` (as Colab itself
writes them when a notebook is saved with a GPU runtime) and opens such a
notebook on a GPU runtime. The other chapters do not ask for one: a GPU
runtime is scarce on Colab's free tier.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_student  # noqa: E402

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
PICKS_A_DEVICE = re.compile(r"\b(torch_device|tf_device)\(")


def _code(nb: dict) -> str:
    return "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
    )


def trains_on_gpu(path: Path) -> bool:
    return bool(
        PICKS_A_DEVICE.search(_code(json.loads(path.read_text(encoding="utf-8"))))
    )


def asks_for_gpu(metadata: dict) -> bool:
    return metadata.get("accelerator") == "GPU" and bool(
        metadata.get("colab", {}).get("gpuType")
    )


def test_the_keras_pytorch_1998_and_speed_chapters_run_on_a_gpu():
    # the rule finds the chapters the book says train (or measure speed) on a GPU
    assert {p.stem for p in CHAPTERS if trains_on_gpu(p)} == {
        "04_keras",
        "05_pytorch",
        "07_lenet1998",
        "appendix_speed",
    }


@pytest.mark.parametrize("edition", ["book", "student"])
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_a_chapter_asks_colab_for_a_gpu_when_it_trains_on_one(edition, chapter):
    path = ROOT / edition / chapter.name
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    if trains_on_gpu(chapter):
        assert asks_for_gpu(meta), (
            f"{edition}/{chapter.name} trains on a GPU but its metadata asks Colab for none: "
            'set "accelerator": "GPU" and "colab": {"gpuType": "T4"} in book/, '
            "then run make student"
        )
        assert meta["colab"]["gpuType"] == "T4"  # the GPU of Colab's free tier
    else:
        assert "accelerator" not in meta and "gpuType" not in meta.get("colab", {}), (
            f"{edition}/{chapter.name} asks Colab for a GPU it does not use"
        )


def test_the_student_edition_keeps_the_gpu_request(tmp_path):
    nb = json.loads((ROOT / "book" / "05_pytorch.ipynb").read_text(encoding="utf-8"))
    nb["metadata"]["colab"]["gpuType"] = (
        "L4"  # whatever the chapter says is carried over
    )
    source = tmp_path / "05_pytorch.ipynb"
    source.write_text(json.dumps(nb), encoding="utf-8")
    student = json.loads(make_student.student_notebook(source))["metadata"]
    assert student["accelerator"] == "GPU"
    assert student["colab"]["gpuType"] == "L4"
    assert student["lenet_book"]["edition"] == "student"
