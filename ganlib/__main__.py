"""`python -m ganlib ...`: the command line (see ganlib.cli)."""

import os
import sys

# TensorFlow's C++ start-up and graph-optimiser chatter means nothing to a student; real
# errors still reach the user as ganlib's one-line messages. Set it to 0 to see everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from ganlib.cli import main  # noqa: E402  (after the environment is set)

sys.exit(main())
