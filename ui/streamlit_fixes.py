"""Where Streamlit 1.67's defaults break a long-lived training thread; app.py applies the fix.

After every script run (every rerun, every fragment refresh), Streamlit calls
`keras.backend.clear_session()` to free the models a script built. That resets Keras's
global state for *all* threads: a run building its networks at that moment fails ("All
layers added to a Sequential model should have unique names"), and the garbage collection
it triggers held the interpreter for 0.6-1.2 s a time, which cut training from ~17 to ~1
step/s while the Train page refreshed every second. Our pages never build models in a
script run (they are cached resources), so there is nothing to clear: we keep Streamlit's
matplotlib clean-up and skip the Keras one. `runner.postScriptGC = false` in
.streamlit/config.toml removes the other full collection per run.

This replaces a private Streamlit function; if a later Streamlit moves it, nothing is
patched (the app still works, training is only slower while a page refreshes) and
tests/test_app_pages.py fails to say so.
"""

from __future__ import annotations

import sys


def close_matplotlib_figures() -> None:
    """Streamlit's post-run clean-up without the Keras part."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def keep_keras_session() -> None:
    """Stop Streamlit from clearing Keras's session after each script run (see above)."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = close_matplotlib_figures
