"""The server's settings as the app reads them: ganlib.settings, with Streamlit's secrets.

ganlib never imports Streamlit, so the secrets file (.streamlit/secrets.toml, which may hold
`teacher_passcode` and `ray_address`) is read here and handed to `ganlib.settings.get`. A
setting that cannot be used stops every page with a plain sentence: the class cannot fix
it, and the variable's name and value go to the server's log for its administrator.
"""

from __future__ import annotations

import logging

import streamlit as st

from ganlib import settings
from ganlib.errors import SettingError
from ganlib.settings import Settings
from ui.i18n import _

log = logging.getLogger(__name__)


def _secrets() -> dict[str, object]:
    """Streamlit secrets, or {} when the server has no secrets file (the usual case)."""
    try:
        return dict(st.secrets)
    except Exception:  # noqa: BLE001 - a missing or unreadable secrets file means "none"
        return {}


def current() -> Settings:
    """This server's settings, the secrets file's included (read once per process)."""
    return settings.get(secrets=_secrets())


def check() -> None:
    """Stop the page, saying so plainly, when a setting cannot be used (app.py, first)."""
    try:
        current()
    except SettingError as exc:
        log.error("The app cannot start: %s", exc)
        st.error(_("This server is not set up correctly, so the app cannot open. Its "
                   "administrator can see what to fix in the server's log."),
                 icon=":material/error:")
        st.stop()
