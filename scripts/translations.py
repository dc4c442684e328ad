"""Bring every translation catalog up to date with the strings in the code.

Extracts every string marked with _(), N_() or ngettext() (babel.cfg says where) and merges
it into locale/<language>/LC_MESSAGES/ganclassroom.po (made when missing): new strings arrive
with an empty translation, changed ones as "fuzzy" guesses, and strings no longer in the code
are dropped. A translator then fills those in (the tests fail until every entry is translated
and none is fuzzy).

    python -m scripts.translations
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ganlib.messages import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, catalog_path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("app.py", "pages", "ui", "ganlib")


def pybabel(*args: str) -> None:
    """Run Babel's command line from this interpreter's environment."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT,
                   check=True, capture_output=True, text=True)


def extract(template: Path) -> None:
    """Write every marked string of the code into the template `template` (.pot)."""
    pybabel("extract", "-F", "babel.cfg", "--no-location", "--sort-output",
            "-k", "N_", "-k", "LazyText", "-k", "_setting:2", "-o", str(template), *SOURCES)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / f"{DOMAIN}.pot"
        extract(template)
        for language in LANGUAGES:
            if language != SOURCE_LANGUAGE:
                command = "update" if catalog_path(language).exists() else "init"
                # --ignore-obsolete: a string gone from the code leaves the catalog too.
                pybabel(command, "--no-wrap", "-i", str(template), "-d", str(LOCALE_DIR),
                        "-D", DOMAIN, "-l", language,
                        *(["--ignore-obsolete"] if command == "update" else []))
                print(f"{command}: {catalog_path(language)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
