"""Presenter view: the Train, Compare and 2D playground pages laid out for a projector.

A teacher shows a run to a class on a 1280 x 720 projector (or a 1920 x 1080 screen at 150 %
scaling, the same 1280 x 720 CSS pixels). The normal layout puts about 590 pixels of header,
controls and metrics above the samples there; in presenter view a page shows what the class
looks at (the sample grid beside the live chart) without scrolling, in text readable from the
back of the room, with the sidebar and the settings out of the way.

One switch, in the sidebar. It is remembered in the URL as `?present=1`, so a bookmarked or
shared link opens in presenter view, and it survives a refresh and the menu's page links
(Streamlit clears the URL's parameters on a page switch: the choice is kept in the session
and written back on every run, beside `?run=`). This module is the only place that reads
the switch, and holds the view's CSS.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import plotly.graph_objects as go
import streamlit as st

from ui import charts
from ui.i18n import _

PARAM = "present"              # the URL parameter: ?present=1 on, ?present=0 off
ACTIVE = "presenter-view"      # session state: whether this tab is in presenter view
SWITCH = "presenter-switch"    # the toggle's key (a widget's state goes when it is not drawn)

# Keys of the containers whose sample grids the CSS below fits to the screen's height.
GRID = "presenter-grid"        # Train: one grid beside the chart
GRIDS = "presenter-grids"      # Compare: a row of one grid per model

# Heights, in pixels, of the charts beside or under the grids: what fits under the compact
# header at 720 CSS pixels.
TRAIN_CHART_HEIGHT = 420
COMPARE_CHART_HEIGHT = 230     # lower than Train's: the three grids above come first
PLAYGROUND_MAP_SIZE = 360       # the playground's square map (440 outside presenter view)
PLAYGROUND_LOSS_HEIGHT = 160     # the plot itself; its title, legend and axes come on top
PLAYGROUND_SIDE_WIDTH = 540      # the numbers and the losses beside the map (360 outside)

# Scoped by being sent only in presenter view. Streamlit's 6rem top padding becomes just
# the toolbar's height; text is larger; the grids are capped at what is left of the screen's
# height once the header (about 250 px on Train) is drawn, so they shrink with the screen
# instead of pushing the chart below the fold.
_CSS = f"""<style>
[data-testid="stMainBlockContainer"] {{
    padding-top: 3.75rem; padding-bottom: 1rem; padding-left: 1.5rem; padding-right: 1.5rem;
}}
[data-testid="stMainBlockContainer"] h1 {{ padding: 0.25rem 0; font-size: 2rem; }}
[data-testid="stMainBlockContainer"] h3 {{ padding: 0.25rem 0; font-size: 1.4rem; }}
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"],
[data-testid="stMainBlockContainer"] [data-testid="stImageCaption"],
[data-testid="stMetricLabel"] p {{ font-size: 1.2rem; }}
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {{ font-size: 2.25rem; }}
[data-testid="stTab"] p {{ font-size: 1.15rem; }}
.st-key-{GRID} img, .st-key-{GRIDS} img {{
    width: auto !important; max-width: 100%; object-fit: contain;
}}
.st-key-{GRID} img {{ height: calc(100vh - 250px) !important; }}
/* The grids fill the screen already: their full-screen button would only cover the line
   above them (the time left, in Vietnamese). */
.st-key-{GRID} [data-testid="stElementToolbar"], .st-key-{GRIDS} [data-testid="stElementToolbar"] {{
    display: none;
}}
.st-key-{GRIDS} img {{ height: calc(100vh - 480px) !important; }}
</style>"""


def active() -> bool:
    """Whether this tab is in presenter view (set by `choose`)."""
    return bool(st.session_state.get(ACTIVE))


def choose() -> None:
    """Take the switch from the URL (else keep this session's), write it back to the URL,
    and set the page up for it: the entry point's step before any page draws."""
    wanted = st.query_params.get(PARAM)
    if wanted in ("0", "1"):
        st.session_state[ACTIVE] = wanted == "1"
    if active():
        st.query_params[PARAM] = "1"
        # Collapses the sidebar when presenter view starts; it can still be opened to switch
        # presenter view off.
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(_CSS)          # style only: Streamlit adds it without taking any space
    else:
        st.query_params.pop(PARAM, None)


def _switched() -> None:
    st.session_state[ACTIVE] = st.session_state[SWITCH]
    st.query_params[PARAM] = "1" if active() else "0"


def switch() -> None:
    """The presenter-view toggle in the sidebar."""
    st.session_state[SWITCH] = active()
    st.sidebar.toggle(_("Presenter view"), key=SWITCH, on_change=_switched,
                      help=_("For a projector: the samples and the live chart fill the screen "
                             "in large text, the settings move out of the way. A link with "
                             "?present=1 opens in presenter view."))


def figure(fig: go.Figure, height: int) -> go.Figure:
    """`fig` as a page draws it: in presenter view a copy `height` pixels tall in large
    text (the original may be shared with other viewers), else `fig` itself."""
    return charts.for_projector(fig, height) if active() else fig


def vega(spec: dict, **fit: object) -> dict:
    """A Vega-Lite spec as a page draws it: in presenter view with `fit` (width, height,
    autosize) and large axis and legend text (the Plotly charts' sizes), else `spec`."""
    if not active():
        return spec
    fonts = charts.PROJECTOR_FONTS
    config = spec.get("config", {})
    return {**spec, **fit, "config": {
        **config,
        "axis": {**config.get("axis", {}), "labelFontSize": fonts["ticks"],
                 "titleFontSize": fonts["text"]},
        "legend": {**config.get("legend", {}), "labelFontSize": fonts["legend"],
                   "titleFontSize": fonts["legend"]},
        # Streamlit's theme puts 26 px between a chart's title and its legend.
        "title": {**config.get("title", {}), "fontSize": fonts["title"], "offset": 6},
    }}


def tucked_away(label: str) -> AbstractContextManager:
    """Where settings go: in presenter view a collapsed expander named `label`, else the
    page itself (widgets in a collapsed expander still give their values)."""
    return st.expander(label, icon=":material/tune:") if active() else nullcontext()
