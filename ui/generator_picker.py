"""The "which generator?" menu the Latent explorer and Interpolation pages start with.

It offers the run this tab follows (its generator as of the newest step, while it trains)
and every saved model. The choice lives in `st.session_state[state.MODEL]`, not in the
menu's own widget state, which Streamlit drops on pages that do not draw the menu: so the
Models page's "Open in explorer", the Train page's Save and a pick made on one page carry
over to the other. A saved model's name is also in the URL (`?model=`), so a shared link
opens the same model.
"""

from __future__ import annotations

import streamlit as st

from ganlib.checkpoints import CheckpointInfo, list_checkpoints
from ganlib.errors import ConfigError, GanlibError
from ganlib.messages import shortened
from ganlib.quality import Quality
from ganlib.sampling import Sampler
from ganlib.training.core import AUTOSAVE_PREFIX
from ui import links, state
from ui.i18n import _, format_number
from ui.pages import PAGES
from ui.text import plain

# Stands for "the run this tab follows" in st.session_state[state.MODEL]. A checkpoint name
# cannot start with ':', so this never names a saved model.
LIVE_RUN = ":live-run"
PARAM = "model"             # the URL parameter naming the saved model on screen


def pick_generator(key: str) -> Sampler | None:
    """Draw the generator menu (widget key `key`) and return the chosen generator's Sampler.

    It opens on the model the URL names (a shared link), else the one last saved or picked
    in this session, else the best finished model (`first_choice`). With nothing to offer,
    or when the choice cannot be loaded, it says what to do and returns None.
    """
    run = state.current_run()
    if run is not None and run.config.architecture == "mlp-2d":
        run = None                          # a 2D playground run draws points, not digits
    infos = list_checkpoints()[0]
    labels = {info.name: _("{name} · {algorithm} · step {step}").format(
                  name=info.name, algorithm=info.algorithm.upper(),
                  step=format_number(info.step))
              for info in infos}
    if run is not None:
        labels = {LIVE_RUN: _("The run you follow, live ({run}, {algorithm})").format(
                      run=run.run_id, algorithm=run.config.algorithm.upper()), **labels}
    if not labels:
        st.info(_("There is no generator to explore yet. Train one on the **Train** page (and "
                  "save it there), or upload a saved model on the **Models** page."),
                icon=":material/info:")
        st.page_link(PAGES.train.page(), label=_("Train a model"))
        return None

    if state.MODEL not in st.session_state and (
            wanted := links.read(PARAM, lambda name: _offered(name, labels), None)):
        state.remember_model(wanted)
    if st.session_state.get(state.MODEL) not in labels:
        st.session_state[state.MODEL] = first_choice(infos) or next(iter(labels))
    st.session_state[key] = st.session_state[state.MODEL]
    choice = st.selectbox(_("Generator"), list(labels), format_func=labels.get, key=key,
                          on_change=_remember, args=(key,),
                          help=_("A saved model (the Models page lists them), or the run you "
                                 "follow, sampled at its newest step."))
    if choice == LIVE_RUN:
        st.query_params.pop(PARAM, None)       # a live run changes: no link can reopen it
    else:
        st.query_params[PARAM] = choice
    try:
        sampler = (state.run_sampler(run) if choice == LIVE_RUN
                   else state.checkpoint_sampler(choice))
    except GanlibError as exc:              # a broken checkpoint; a run still building
        st.error(str(exc))
        return None
    st.caption(_("{label} · trained {steps} steps · z has {size} numbers").format(
        label=plain(sampler.config.label), steps=format_number(sampler.step),
        size=sampler.latent_dim))
    return sampler


def _offered(name: str, labels: dict[str, str]) -> str:
    """A link's model name, when the menu offers it (a parser for ui.links.read)."""
    if name not in labels:
        raise ConfigError(_("This server has no model named {name} (renamed or "
                            "deleted?).").format(name=shortened(name)))
    return name


def first_choice(infos: list[CheckpointInfo]) -> str | None:
    """The model to open on when nobody chose one: a finished one, not a run caught half-way.
    A class opens the explorer to see what a GAN learned, and a half-trained WGAN (a live run,
    an autosave) draws smudges; so the best model someone saved by name (ganlib.quality:
    most classes drawn, then closest to real digits), else the newest such; autosaves and
    the live run only when there is nothing else. `infos` are newest first."""
    named = [info for info in infos if not info.name.startswith(AUTOSAVE_PREFIX)]
    measured = [(quality.rank, info.name) for info in named
                if (quality := Quality.of(info)) is not None]
    if measured:
        return min(measured)[1]
    return named[0].name if named else (infos[0].name if infos else None)


def _remember(key: str) -> None:
    state.remember_model(st.session_state[key])
