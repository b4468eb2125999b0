"""Stop early, with a clear message, when this Python is too old for the pins."""

import sys

if sys.version_info < (3, 11):
    sys.exit(
        f"Python {sys.version.split()[0]} is too old for the pinned versions in "
        "requirements.txt (numpy 2.4 needs 3.11 or newer). Install Python 3.11+ and run "
        "`make PYTHON=python3.11 ...` (or the name of your newer Python)."
    )
