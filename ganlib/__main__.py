"""`python -m ganlib ...`: the command line (see ganlib.cli)."""

import sys

from ganlib.cli import main

sys.exit(main())
