"""Home: what GAN Classroom is, GAN vs WGAN on one screen, and the two demos in one click.

Its prose is content/en/home.md.
"""

import streamlit as st

from ganlib.config import make_config
from ganlib.errors import GanlibError
from ui import content, state
from ui.pages import PAGES, require_entry_point

require_entry_point()

text = content.sections("home")
content.show(text["intro"])

# --- one-click demos --------------------------------------------------------------------
st.subheader("Start a demo")
DEMOS = (
    ("gan", "Train the GAN article's model (quick preset)",
     "A discriminator with a sigmoid output and binary cross-entropy, Adam, label "
     "smoothing. Digits appear within about a minute."),
    ("wgan", "Train the WGAN article's model (quick preset)",
     "A critic with a linear output and the Wasserstein loss, RMSprop, weight clipping, "
     "5 critic updates per generator update. Digits appear within about a minute."),
)
for column, (algorithm, label, blurb) in zip(st.columns(2), DEMOS):
    with column.container(border=True):
        if st.button(label, key=f"demo-{algorithm}", type="primary", icon=":material/play_arrow:",
                     width="stretch"):
            try:
                state.start_run(make_config(algorithm, "quick"))
            except GanlibError as exc:
                st.error(str(exc))
            else:
                st.switch_page(PAGES.train.page())
        st.caption(blurb)

run = state.current_run()
if run is not None:
    st.page_link(PAGES.train.page(), label=f"Back to your run {run.run_id} "
                 f"({run.snapshot(watch=False).status})", icon=":material/arrow_forward:")

# --- GAN vs WGAN ------------------------------------------------------------------------
st.subheader("GAN or WGAN: what changes")
gan, wgan = st.columns(2)
with gan.container(border=True):
    content.show(text["gan"])
with wgan.container(border=True):
    content.show(text["wgan"])

# --- how to use ------------------------------------------------------------------------
st.subheader("How to use it")
STEPS = (
    (PAGES.train, "1. Train", "Start a run, watch losses and samples live, save the model."),
    (PAGES.explorer, "2. Explore", "Move through a saved generator's latent space."),
    (PAGES.interpolation, "3. Interpolate", "Morph one generated digit into another."),
    (PAGES.models, "4. Models", "Rename, delete, export and import saved models."),
)
for column, (app_page, title, what) in zip(st.columns(4), STEPS):
    with column:
        st.page_link(app_page.page(), label=title, icon="")   # the step's number, no icon
        st.caption(what)

st.divider()
st.caption(text["licence"])
