"""Words of each chapter's main prose, and the share of it on speed.

Main prose: the markdown cells of a chapter, less exercise statements
(``:::{exercise}``) and everything between ``solution-start`` and
``solution-end``. A paragraph (a block between blank lines, or one item of
a list) counts as
being on speed, devices or benchmarks when it contains one of SPEED_WORDS
(case-insensitive). Issue 23 asks for these figures per chapter, before and
after the speed material moved to its appendix.

    python scripts/speed_share.py [book/03_numpy_lenet.ipynb ...]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Words that mark a paragraph as being about speed, devices' performance or
# speed benchmarks. Plain "GPU", "device", "fast" and "slow" are left out:
# the chapters name the device they train on, and "how fast the rate
# changes" is not about speed.
SPEED_WORDS = (
    "speed",
    "faster",
    "slower",
    "images/s",
    "images per second",
    "per second",
    "seconds per",
    "time per epoch",
    "thread",
    "GIL",
    "global interpreter lock",
    "page fault",
    "BLAS",
    "oneDNN",
    "XLA",
    "jit_compile",
    "port.cc",
    "CUDA graph",
    "launch",
    "torch.compile",
    "steps_per_execution",
    "batches per call",
    "per compiled call",
    "load average",
    "bf16",
    "bfloat16",
    "16-bit float",
    "autocast",
    "channels-last",
    "throughput",
    "bench_numpy_vs_torch",
    "bench_keras_cpu",
    "bench_gpu",
    "bench_frameworks",
)
_PATTERN = re.compile(
    "|".join(r"\b" + re.escape(word) for word in SPEED_WORDS), re.IGNORECASE
)


_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def main_prose(path: Path) -> list[str]:
    """The markdown of a chapter's main text, exercises and solutions left out."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts, in_solution = [], False
    for cell in cells:
        source = "".join(cell["source"])
        stripped = source.strip()
        if cell["cell_type"] == "markdown" and "{solution-start}" in stripped:
            in_solution = True
            continue
        if cell["cell_type"] == "markdown" and "{solution-end}" in stripped:
            in_solution = False
            continue
        if in_solution or cell["cell_type"] != "markdown":
            continue
        if stripped.startswith(":::{exercise}"):
            continue
        texts.append(source)
    return texts


def _paragraphs(text: str) -> list[str]:
    """Blocks between blank lines, each list item a block of its own."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        blocks += re.split(r"\n(?=\s*(?:[-*+]|\d+\.) )", block)
    return blocks


def words(text: str) -> int:
    """Words of a markdown text: runs of letters or digits."""
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'.,/_-]*", text))


def measure(path: Path) -> tuple[int, int]:
    """(words of main prose, words in paragraphs on speed)."""
    total = speed = 0
    for text in main_prose(path):
        text = _LINK_TARGET.sub("]", text)  # a link's address is not prose
        for paragraph in _paragraphs(text):
            n = words(paragraph)
            total += n
            if _PATTERN.search(paragraph):
                speed += n
    return total, speed


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(Path("book").glob("*.ipynb"))
    print(f"{'chapter':32} {'words':>6} {'speed':>6} {'share':>6}")
    for path in paths:
        total, speed = measure(path)
        share = speed / total if total else 0.0
        print(f"{path.name:32} {total:6d} {speed:6d} {share:6.1%}")


if __name__ == "__main__":
    main(sys.argv[1:])
