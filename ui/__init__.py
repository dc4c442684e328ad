"""Streamlit-side helpers shared by the pages: app state, charts, widgets.

Everything that trains, samples or saves lives in ganlib; this package only connects
Streamlit's session and caches to it. Importing it also applies two fixes to Streamlit
(see `streamlit_fixes`), which is why every page imports something from here.
"""

from ui import streamlit_fixes

streamlit_fixes.apply()
