"""The "which generator?" menu the Latent explorer and Interpolation pages start with.

It offers the run this tab follows (its generator as of the newest step, while it trains)
and every saved model. The choice lives in `st.session_state[state.MODEL]`, not in the
menu's own widget state, which Streamlit drops on pages that do not draw the menu: so the
Models page's "Open in explorer" and a pick made on one page carry over to the other.
"""

from __future__ import annotations

import streamlit as st

from ganlib.checkpoints import list_checkpoints
from ganlib.errors import GanlibError
from ganlib.sampling import Sampler
from ui import state
from ui.pages import PAGES
from ui.text import plain

# Stands for "the run this tab follows" in st.session_state[state.MODEL]. A checkpoint name
# cannot start with ':', so this never names a saved model.
LIVE_RUN = ":live-run"


def pick_generator(key: str) -> Sampler | None:
    """Draw the generator menu (widget key `key`) and return the chosen generator's Sampler.

    Without a choice yet, the followed run comes first, then the newest saved model. With
    nothing to offer, or when the choice cannot be loaded, it says what to do and returns None.
    """
    run = state.current_run()
    if run is not None and run.config.architecture == "mlp-2d":
        run = None                          # a 2D playground run draws points, not digits
    infos, _ = list_checkpoints()
    labels = {info.name: f"{info.name} · {info.algorithm.upper()} · step {info.step:,}"
              for info in infos}
    if run is not None:
        labels = {LIVE_RUN: f"The run you follow, live ({run.run_id}, "
                            f"{run.config.algorithm.upper()})", **labels}
    if not labels:
        st.info("There is no generator to explore yet. Train one on the **Train** page (and "
                "save it there), or upload a saved model on the **Models** page.",
                icon=":material/info:")
        st.page_link(PAGES.train.page(), label="Train a model")
        return None

    if st.session_state.get(state.MODEL) not in labels:
        st.session_state[state.MODEL] = next(iter(labels))
    st.session_state[key] = st.session_state[state.MODEL]
    choice = st.selectbox("Generator", list(labels), format_func=labels.get, key=key,
                          on_change=_remember, args=(key,),
                          help="A saved model (the Models page lists them), or the run you "
                               "follow, sampled at its newest step.")
    try:
        sampler = (state.run_sampler(run) if choice == LIVE_RUN
                   else state.checkpoint_sampler(choice))
    except GanlibError as exc:              # a broken checkpoint; a run still building
        st.error(str(exc))
        return None
    st.caption(f"{plain(sampler.config.label)} · trained {sampler.step:,} steps · "
               f"z has {sampler.latent_dim} numbers")
    return sampler


def _remember(key: str) -> None:
    st.session_state[state.MODEL] = st.session_state[key]
