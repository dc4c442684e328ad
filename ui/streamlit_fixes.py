"""Two places where Streamlit 1.67's defaults break a long-lived training thread.

1. After every script run (every rerun, every fragment refresh), Streamlit calls
   `keras.backend.clear_session()` to free the models a script built. That resets Keras's
   global state for *all* threads: a run building its networks at that moment fails
   ("All layers added to a Sequential model should have unique names"), and the garbage
   collection it triggers held the interpreter for 0.6-1.2 s a time, which cut training
   from ~17 to ~1 step/s while the Train page refreshed every second. Our pages never build
   models in a script run (they are cached resources), so there is nothing to clear: we keep
   Streamlit's matplotlib clean-up and skip the Keras one. `runner.postScriptGC = false` in
   .streamlit/config.toml removes the other full collection per run.
2. A `pages/` folder makes Streamlit start in its old folder-based multipage mode until the
   entry point has called `st.navigation` once. On a freshly started server, a bookmarked or
   shared link such as `/train?run=...` then ran the page file on its own, without `app.py`
   (raw file names in the sidebar, no URL sync). The first import of `ui` switches that mode
   off and reruns, so `app.py` always runs first.

Both touch private Streamlit names; they check before patching and do nothing if a later
Streamlit moves them.
"""

from __future__ import annotations

import sys

import streamlit as st


def _close_matplotlib_figures() -> None:
    """Streamlit's post-run clean-up without the Keras part."""
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def apply() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _close_matplotlib_figures
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()
