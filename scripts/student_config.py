"""Write the student edition's configuration: the book's, without the solutions.

    python scripts/student_config.py _config.yml _build/student/_config.yml

It adds the local extension ``drop_solutions`` (in this folder), which removes
every solution from the pages (see that file for why not ``hide_solutions``).
"""

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

source, target = Path(sys.argv[1]), Path(sys.argv[2])
config = yaml.safe_load(source.read_text())
sphinx = config.setdefault("sphinx", {})
extensions = sphinx.setdefault("local_extensions", {})
for name, folder in extensions.items():  # relative to the book's config, which stays put
    extensions[name] = str((source.parent / folder).resolve())
extensions["drop_solutions"] = str(HERE)
config["title"] = config.get("title", "") + " (student edition)"
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(yaml.safe_dump(config, sort_keys=False))
