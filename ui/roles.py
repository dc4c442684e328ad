"""Who this browser is in the class: its id, its role, and the teacher's sign-in form.

The rights themselves are decided in ganlib.server.classroom; this module only finds out who is
asking, and hands pages the server's `Action`, `may` and `require` (pages reach the classroom
server only through ui/). The browser id never goes into the URL: a link read off the
projector carries no rights.
"""

from __future__ import annotations

import secrets

import streamlit as st

from ganlib.server.classroom import (Action, Classroom, NotAllowed, Owner, browser_id_from_cookie,
                                     may, require)
from ganlib.server.shared import Shared
from ui import server_settings
from ui.i18n import _

BROWSER = "browser_id"     # session fallback when the browser sends no XSRF cookie (AppTest)
XSRF_COOKIE = "_streamlit_xsrf"

__all__ = ["Action", "may", "require"]     # for pages, which never import the server


_CLASSROOM = Shared(lambda: Classroom.from_settings(server_settings.current()))


def classroom() -> Classroom:
    """The one classroom of this server process: the teachers' browser ids live here, so a
    teacher who refreshes keeps the rights (ganlib.server.shared: no client can clear it)."""
    return _CLASSROOM.get()


def browser_id() -> str:
    """A stable id for this browser: from Streamlit's XSRF cookie (it survives refreshes),
    else a random one kept for the session."""
    try:
        cookie = st.context.cookies.get(XSRF_COOKIE)
    except Exception:  # noqa: BLE001 - no script run context: no cookies
        cookie = None
    if isinstance(cookie, str) and cookie:
        return browser_id_from_cookie(cookie)
    if BROWSER not in st.session_state:
        st.session_state[BROWSER] = secrets.token_hex(32)
    return st.session_state[BROWSER]


def current_owner() -> Owner:
    """Who this browser acts as (solo when the server has no teacher passcode)."""
    return classroom().owner(browser_id())


def _sign_in() -> None:
    room, me = classroom(), browser_id()
    guess = st.session_state.get("teacher-passcode", "")
    try:
        ok = room.sign_in(me, guess)
    except NotAllowed as exc:
        st.session_state["teacher-message"] = str(exc)
        return
    st.session_state["teacher-message"] = None if ok else _("That is not the teacher passcode.")


def sidebar() -> None:
    """The teacher's sign-in (or sign-out) in the sidebar; nothing in single-user mode."""
    room = classroom()
    if room.solo:
        return
    me = current_owner()
    with st.sidebar:
        if me.manages_everything:
            st.caption(_("Signed in as the teacher."))
            st.button(_("Sign out"), key="teacher-sign-out", on_click=room.sign_out,
                      args=(me.id,), icon=":material/logout:")
            return
        st.caption(_("You are {who}.").format(who=me.label))
        with st.expander(_("Teacher sign-in")):
            with st.form("teacher-sign-in", clear_on_submit=True, border=False):
                st.text_input(_("Teacher passcode"), type="password", key="teacher-passcode")
                st.form_submit_button(_("Sign in"), on_click=_sign_in)
            if message := st.session_state.get("teacher-message"):
                st.error(message)
