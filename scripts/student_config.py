"""Write the student edition's configuration: the book's, with solutions hidden.

    python scripts/student_config.py _config.yml _build/student/_config.yml
"""

import sys
from pathlib import Path

import yaml

source, target = Path(sys.argv[1]), Path(sys.argv[2])
config = yaml.safe_load(source.read_text())
config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
config["title"] = config.get("title", "") + " (student edition)"
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(yaml.safe_dump(config, sort_keys=False))
