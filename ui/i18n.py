"""The app in the reader's language: which language a browser session gets, and the switch.

The catalogs, `_()` and number formats are ganlib.messages' (ganlib's own errors use the same
catalog); this module re-exports them for the pages and tells ganlib.messages, on import,
to speak the language of the browser session being served. That language is chosen at the
start of every script run: `?lang=` in the URL (a teacher's shared link opens in the class's
language), else the choice made earlier in this session, else the browser's language, else
English; and it is mirrored into the URL, so it survives a refresh and every page link.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import streamlit as st
from babel.dates import format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ganlib.messages import (LANGUAGES, SOURCE_LANGUAGE, N_, _, current_language,
                             format_number, format_percent, ngettext, set_language_lookup)
from ganlib.units import format_size

__all__ = ["N_", "_", "choose_language", "current_language", "file_uploader", "format_moment",
           "format_number", "format_percent", "language_switch", "ngettext",
           "number_separators"]

CHOSEN = "language"          # session state: the language of this browser tab
SWITCH = "language-switch"   # the sidebar menu's own state
PARAM = "lang"               # the URL parameter


def _session_language() -> str | None:
    """The language of the session this thread serves; None outside a script run (a
    training thread, the command line)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(CHOSEN)


set_language_lookup(_session_language)


def format_moment(moment: datetime) -> str:
    """A date and time as the current language writes it, in `moment`'s time zone:
    "28 Nov 2026, 14:05" in English, "28 thg 11 2026, 14:05" in Vietnamese."""
    return format_datetime(moment, "d MMM y, HH:mm", tzinfo=moment.tzinfo,
                           locale=current_language())


def number_separators() -> str:
    """The decimal and thousands separators of the current language, as Plotly's
    `layout.separators` takes them (".," in English, ",." in Vietnamese), so chart axes
    write numbers as the rest of the page does."""
    language = current_language()
    return get_decimal_symbol(language) + get_group_symbol(language)


def browser_language() -> str:
    """The first language the browser asks for that the app speaks, else English."""
    wanted = [st.context.locale or ""]
    wanted += (st.context.headers.get("Accept-Language") or "").split(",")
    for tag in wanted:
        code = tag.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return SOURCE_LANGUAGE


def choose_language() -> None:
    """Settle this session's language (URL, earlier choice, browser) and name it in the URL.
    The entry point's first step after the page config: everything after speaks it."""
    wanted = st.query_params.get(PARAM)
    if wanted in LANGUAGES:
        st.session_state[CHOSEN] = wanted
    elif st.session_state.get(CHOSEN) not in LANGUAGES:
        st.session_state[CHOSEN] = browser_language()
    if wanted != st.session_state[CHOSEN]:
        st.query_params[PARAM] = st.session_state[CHOSEN]


def _switched() -> None:
    st.session_state[CHOSEN] = st.query_params[PARAM] = st.session_state[SWITCH]


def language_switch() -> None:
    """The language menu in the sidebar, each language named in itself."""
    st.session_state[SWITCH] = st.session_state[CHOSEN]
    st.sidebar.selectbox(_("Language"), tuple(LANGUAGES), format_func=LANGUAGES.__getitem__,
                         key=SWITCH, on_change=_switched)


def file_uploader(label: str, *, key: str, types: Sequence[str], max_upload_mb: int | None = None,
                  **options):
    """`st.file_uploader`, its own words in the page's language too.

    Streamlit 1.67 writes "Upload" on the button and "200MB per file • ZIP" under it in
    English, whatever the page's language, and takes no parameter to change them (its
    frontend hard-codes them). Here a style for this uploader alone (`.st-key-<key>`) hides
    those texts and shows the translated ones in their place, at the same size. The English
    page keeps Streamlit's own. Its "Drag and drop a file here", shown only while a file is
    dragged over it, stays English.
    """
    limit = max_upload_mb or st.get_option("server.maxUploadSize")
    if current_language() != SOURCE_LANGUAGE:
        box = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
        button = json.dumps(_("Upload"), ensure_ascii=False)     # a CSS string: quoted
        note = json.dumps(_("{size} per file").format(size=format_size(limit * 2**20))
                          + " • " + ", ".join(t.upper() for t in types), ensure_ascii=False)
        st.html(f"""<style>
{box} button [data-testid='stMarkdownContainer'] p,
{box} [data-testid='stFileUploaderDropzoneInstructions'] span {{ font-size: 0; }}
{box} button [data-testid='stMarkdownContainer'] p::after {{
  content: {button}; font-size: 0.875rem; }}
{box} [data-testid='stFileUploaderDropzoneInstructions'] span::after {{
  content: {note}; font-size: 0.875rem; }}
</style>""")
    return st.file_uploader(label, type=list(types), key=key, max_upload_size=limit, **options)
