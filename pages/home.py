"""Home: what GAN Classroom is, GAN vs WGAN on one screen, and the two demos in one click.

Its prose is content/<language>/home.md.
"""

import streamlit as st

from ganlib.config import make_config
from ganlib.errors import GanlibError
from ui import content, following, make_room, state
from ui.i18n import _
from ui.pages import PAGES, require_entry_point

require_entry_point()

# In a class, a student who opens the app while the teacher trains lands on that run; back
# here later, the link takes them there again.
following.land()
if state.following_teacher():
    st.page_link(PAGES.train.page(), label=_("Follow the teacher's run"),
                 query_params={"follow": "teacher"}, icon=":material/cast_for_education:")

text = content.sections("home")
content.show(text["intro"])

# --- one-click demos --------------------------------------------------------------------
st.subheader(_("Start a demo"))
DEMOS = (
    ("gan", _("Train the GAN article's model (quick preset)"),
     _("A discriminator with a sigmoid output and binary cross-entropy, Adam, label "
       "smoothing. On an idle 2-core CPU, digits of all ten classes within about 20 s; "
       "after its minute of training, a Fréchet distance near 10x that of real digits.")),
    ("wgan", _("Train the WGAN article's model (quick preset)"),
     _("A critic with a linear output and the Wasserstein loss, RMSprop, weight clipping, "
       "2 critic updates per generator update. On an idle 2-core CPU, digits of nine or "
       "ten classes within about 20 s; after its minute, a Fréchet distance near 15x that "
       "of real digits.")),
)
for column, (algorithm, label, blurb) in zip(st.columns(2), DEMOS):
    with column.container(border=True):
        pressed = st.button(label, key=f"demo-{algorithm}", type="primary",
                            icon=":material/play_arrow:", width="stretch")
        try:
            started = make_room.start_or_offer(
                f"demo-{algorithm}", pressed,
                lambda replace, algorithm=algorithm: state.start_run(
                    make_config(algorithm, "quick"), replace=replace))
        except GanlibError as exc:
            st.error(str(exc))
        else:
            if started is not None:
                st.switch_page(PAGES.train.page())
        st.caption(blurb)

run = state.current_run()
if run is not None:
    st.page_link(PAGES.train.page(), label=_("Back to your run {run} ({status})").format(
        run=run.run_id, status=_(run.snapshot(watch=False).status)),
        icon=":material/arrow_forward:")

# --- GAN vs WGAN ------------------------------------------------------------------------
st.subheader(_("GAN or WGAN: what changes"))
gan, wgan = st.columns(2)
with gan.container(border=True):
    content.show(text["gan"])
with wgan.container(border=True):
    content.show(text["wgan"])

# --- how to use ------------------------------------------------------------------------
st.subheader(_("How to use it"))
STEPS = (
    (PAGES.train, _("1. Train"), _("Start a run, watch losses and samples live, save the model.")),
    (PAGES.explorer, _("2. Explore"), _("Move through a saved generator's latent space.")),
    (PAGES.interpolation, _("3. Interpolate"), _("Morph one generated digit into another.")),
    (PAGES.models, _("4. Models"), _("Rename, delete, export and import saved models.")),
)
for column, (app_page, title, what) in zip(st.columns(4), STEPS):
    with column:
        st.page_link(app_page.page(), label=title, icon="")   # the step's number, no icon
        st.caption(what)

st.divider()
st.caption(text["licence"])
