"""The grader's parts: a sandboxed kernel for each submission, and a judge outside it.

``scripts/grade.py`` (``make grade``) runs each student notebook in a kernel
of its own (:mod:`.sandbox`), captures every exercise's answer there as plain
data (:mod:`.wire`, :mod:`.kernel_side`), and decides the verdict in the
grader's own process with the book's checks (:mod:`.judge`). Not imported by
``import lenet_common``.
"""
