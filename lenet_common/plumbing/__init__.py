"""Plumbing no reader needs to open: it keeps the book's code honest and safe.

``checks`` (clear errors for bad inputs), ``atomic`` (writes that leave the
old file intact when they fail), ``fileformat`` (naming a file that is not
what it should be), ``results`` (the stored benchmark results chapters quote),
``machine`` (the record of the machine and its load that goes with a result),
``progress_record`` (progress bars a static page can show) and ``notebooks``
(the cell tooling that the student edition, the grader and ``check_book`` use).
"""
