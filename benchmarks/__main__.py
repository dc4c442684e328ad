"""`python -m benchmarks [--quick] [--out docs/benchmarks] [--only SECTION ...] [--merge]`

Measures ganlib's speed and quality (see benchmarks/__init__.py) and writes the report:
README.md, PNG plots and results.json in `--out`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up chatter out

from benchmarks.run import (DEFAULT_OUT, FULL, OPTIONAL_SECTIONS, QUICK, SECTIONS,  # noqa: E402
                            run_benchmarks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Speed and quality benchmarks of ganlib; writes a Markdown report with "
                    "plots and the raw numbers as JSON. The full run takes about 25 minutes "
                    "on 2 CPU cores: run it on a quiet machine.")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of a few minutes: every section shrunk, 1 seed; "
                             "its numbers only show that the code runs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for README.md, the plots and results.json "
                             f"(default: {DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", choices=SECTIONS + OPTIONAL_SECTIONS,
                        metavar="SECTION",
                        help=f"run only these sections: {', '.join(SECTIONS)}; or "
                             f"{', '.join(OPTIONAL_SECTIONS)} (their Ray parts need "
                             f"requirements-ray.txt)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the sections not run now from OUT/results.json (with "
                             "--only: add one section's numbers to the published report)")
    parser.add_argument("--no-browser", action="store_true",
                        help="skip the real-browser parts of the watching, watchers and "
                             "explorer "
                             "sections")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.no_browser:
        settings = dataclasses.replace(settings, browser=False)
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    run_benchmarks(settings, args.out, args.only or SECTIONS, command=command.strip(),
                   merge=args.merge)
    return 0


if __name__ == "__main__":
    sys.exit(main())
