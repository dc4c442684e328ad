"""Streamlit-side helpers shared by the pages: app state, page definitions, charts, widgets.

Everything that trains, samples or saves lives in ganlib; this package only connects
Streamlit's session and caches to it.
"""
