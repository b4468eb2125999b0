"""Write the configuration of ``make test``'s strict build of the book's pages.

    python scripts/quick_config.py _config.yml _build/quick-pages/_config.yml

The book's configuration with execution turned off: in ``make test``, nbval
has just executed every chapter (quick mode, each cell checked), so the
strict build (``-W -n``) only needs to check the pages themselves. Building
them with execution again would run every chapter a second time for
nothing. Local extension paths are made absolute, because the file is
written elsewhere.
"""

import sys
from pathlib import Path

import yaml

source, target = Path(sys.argv[1]), Path(sys.argv[2])
config = yaml.safe_load(source.read_text())
config.setdefault("execute", {})["execute_notebooks"] = "off"
sphinx = config.setdefault("sphinx", {})
sphinx["local_extensions"] = {
    name: str((source.parent / path).resolve())
    for name, path in (sphinx.get("local_extensions") or {}).items()
}
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(yaml.safe_dump(config, sort_keys=False))
