"""A follower's tab shows whatever the teacher presents: a run on Train, a comparison on Compare,
the class challenge's board on its page.

A student who follows the teacher (the follow link, or a student who has not picked a run of
their own: ui.state.following_teacher) must see the demo the class is talking about,
whichever page shows it: when the teacher starts a comparison after a run, or shows a run
again after it, the follower's tab goes to that page by itself. The browser learns of the
change from the live feed (ui.live_view: the documents name the job presented) and asks for
a rerun; `keep_up` then moves the tab.
"""

from __future__ import annotations

import streamlit as st

from ganlib.training.compare import Comparison
from ui import challenge, state
from ui.pages import PAGES, AppPage

QUERY = {"follow": "teacher"}      # kept across the switches: a refresh still follows


def page_for(job: state.Job) -> AppPage:
    """The page that shows `job`: Compare for a comparison, Train for a run."""
    return PAGES.compare if isinstance(job, Comparison) else PAGES.train


def keep_up(here: AppPage, redraw: bool = True) -> None:
    """On page `here`, for a tab that follows the teacher: point the tab at the job the
    teacher presents now (or the challenge's board), and go to the page that shows it, or (`redraw`: from a live
    fragment) redraw this page when the job changed. Nothing for anyone else; off the Train
    page only for a tab that chose to follow (a student who opened Compare to run their own
    comparison is not taken away from it)."""
    if here != PAGES.train and not st.session_state.get(state.FOLLOW):
        return
    if challenge.board_presented() and state.following_teacher():
        if here != PAGES.challenge:
            st.switch_page(PAGES.challenge.page(), query_params=QUERY)
        return
    job = state.teacher_shows()
    if job is None:
        return
    changed = state.show(job)
    if page_for(job) != here:
        st.switch_page(page_for(job).page(), query_params=QUERY)
    if changed and redraw:
        st.rerun()


def land() -> None:
    """A student's tab just opened on the app's address goes to what the teacher shows."""
    if (job := state.lands_on_teacher()) is not None:
        state.show(job)
        st.switch_page(page_for(job).page(), query_params=QUERY)
