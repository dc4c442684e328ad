"""Where Streamlit 1.67 breaks the app, and the fixes app.py applies.

A long-lived training thread (`keep_keras_session`):

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

A crafted widget state (`ignore_unknown_widget_ids`): a client may send any id in a rerun's
widget states, and one that is no widget's id ("Teacher passcode", a label) in a session's
first rerun made Streamlit raise a KeyError from the sign-in's `st.text_input` (on Home in
every rerun after it too), with a traceback in the server's log each time (found by the
class soak, scripts/class_soak.py). Such states are now dropped before a rerun reads them: no
widget could have sent them. The patch is made by the process's first script run, so it
covers every session after that one.
"""

from __future__ import annotations

import functools
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


def ignore_unknown_widget_ids() -> None:
    """Drop a rerun's widget states whose id no widget can have (see above), in every
    session of this process from now on."""
    try:
        from streamlit.proto.WidgetStates_pb2 import WidgetStates
        from streamlit.runtime.state.common import is_element_id
        from streamlit.runtime.state.session_state import (STREAMLIT_INTERNAL_KEY_PREFIX,
                                                           SessionState)
    except ImportError:
        return

    def possible(widget_id: str) -> bool:
        """An element's id, or Streamlit's own (a components-v2 element's events)."""
        return is_element_id(widget_id) or widget_id.startswith(STREAMLIT_INTERNAL_KEY_PREFIX)

    rerun = SessionState.on_script_will_rerun
    if getattr(rerun, "drops_unknown_ids", False):
        return

    @functools.wraps(rerun)
    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        if fresh_widget_states is not None and not all(
                possible(state.id) for state in fresh_widget_states.widgets):
            kept = WidgetStates()
            kept.widgets.extend(state for state in fresh_widget_states.widgets
                                if possible(state.id))
            fresh_widget_states = kept
        return rerun(self, fresh_widget_states, *args, **kwargs)
    on_script_will_rerun.drops_unknown_ids = True
    SessionState.on_script_will_rerun = on_script_will_rerun
