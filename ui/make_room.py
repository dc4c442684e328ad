"""The teacher's Start on a full server: one click to stop and save their own run, and start.

On a 2-core laptop the server trains one run at a time. A teacher who shows the GAN demo and
then starts the WGAN (or a comparison) would be refused while the GAN still holds the slot;
a student's run makes room by itself (ganlib.server.registry, `job_to_preempt`), but the
teacher's own run is theirs to give up. So the refusal (`OwnRunInTheWay`) becomes an offer
beside the Start button: "Stop and save <run> and start". Its click saves the old run as its
autosave, stops it and starts the new job, in one go. The offer is kept in the session
between the click that was refused and the one that accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import streamlit as st

from ganlib.server.registry import OwnRunInTheWay
from ui import state
from ui.i18n import _

T = TypeVar("T")

OFFER = "make-room-offer"      # session state: the pending Offer


class Offer(NamedTuple):
    """A refused start waiting for "stop and save": where its Start button is, and the job
    in the way."""

    where: str
    run_id: str
    label: str
    message: str


def start_or_offer(where: str, pressed: bool, start: Callable[[str | None], T],
                   place=st) -> T | None:
    """Start a job with `start(replace)` when `pressed` (the Start button `where` was clicked);
    the job, or None when nothing started.

    When the server is full with this user's own job, `start` raises OwnRunInTheWay: the
    offer to stop and save that job is then drawn in `place` (on this and later runs, until
    it is taken or the job ends), and its click calls `start(<that job's id>)`. Other errors
    (TooManyRuns, DataError, ...) are the caller's to show.
    """
    offer: Offer | None = st.session_state.get(OFFER)
    if offer is not None and (offer.where != where or not _still_in_the_way(offer.run_id)):
        offer = None
    replace = None
    if offer is not None:
        place.warning(offer.message, icon=":material/hourglass_top:")
        if place.button(_("Stop and save {job} and start").format(job=offer.label),
                        key=f"{where}-make-room", type="primary", icon=":material/save:"):
            replace = offer.run_id
    if not (pressed or replace):
        return None
    st.session_state.pop(OFFER, None)
    try:
        return start(replace)
    except OwnRunInTheWay as exc:
        st.session_state[OFFER] = Offer(where, exc.run_id, exc.label, str(exc))
        st.rerun()


def _still_in_the_way(run_id: str) -> bool:
    job = state.registry().get(run_id)
    return job is not None and job.snapshot(watch=False).active
