"""Write the student edition's configuration: the book's, for the notebooks in student/.

    python scripts/student_config.py _config.yml _build/student/_config.yml

The student edition is built from ``student/`` (``--toc student/_toc.yml``;
``scripts/make_student.py`` writes those notebooks without solutions), so
its Colab, Binder and download buttons serve the student notebooks. The
configuration differs only where it must: its title, no "edit this page"
button (student/ is generated), and local extension paths made absolute
because the file is written elsewhere.
"""

import sys
from pathlib import Path

import yaml

source, target = Path(sys.argv[1]), Path(sys.argv[2])
config = yaml.safe_load(source.read_text())
config["title"] = config.get("title", "") + " (student edition)"
config.setdefault("html", {})["use_edit_page_button"] = False
sphinx = config.setdefault("sphinx", {})
extensions = sphinx.get("local_extensions") or {}
sphinx["local_extensions"] = {
    name: str((source.parent / path).resolve()) for name, path in extensions.items()
}
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text(yaml.safe_dump(config, sort_keys=False))
