"""Home: what GAN Classroom is, GAN vs WGAN on one screen, and the two demos in one click."""

import streamlit as st

from ganlib.config import make_config
from ganlib.errors import GanlibError
from ui import state

st.title("GAN Classroom")
st.markdown(
    "Train a **GAN** and a **WGAN** on handwritten digits, right here on this computer, and "
    "watch the generator turn noise into digits step by step. Then explore what it has "
    "learned: move through its latent space, morph one digit into another, and compare the "
    "two training rules side by side.")

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
                st.switch_page("pages/train.py")
        st.caption(blurb)

run = state.current_run()
if run is not None:
    st.page_link("pages/train.py", label=f"Back to your run {run.run_id} "
                 f"({run.snapshot(watch=False).status})", icon=":material/arrow_forward:")

# --- GAN vs WGAN ------------------------------------------------------------------------
st.subheader("GAN or WGAN: what changes")
gan, wgan = st.columns(2)
with gan.container(border=True):
    st.markdown("""
#### GAN — Goodfellow et al., 2014
- **Discriminator** D(x): the probability that an image is real.
- **Output:** a **sigmoid**, between 0 and 1.
- **Loss:** **binary cross-entropy.** D learns to answer 1 for real and 0 for fake; the
  generator learns to make D answer 1 (the non-saturating loss, log D(G(z))).
- **Suffers from:** **vanishing gradients**: once D wins, its sigmoid saturates and the
  generator learns almost nothing. **Mode collapse**: the generator settles on the few
  digits that fool D today. The loss values say little about image quality.
- **The article's remedies:** label smoothing (targets 0.9 / 0.1), Adam with beta_1 = 0.3.
""")
with wgan.container(border=True):
    st.markdown("""
#### WGAN — Arjovsky et al., 2017
- **Critic** c(x): a score, higher for more realistic images; not a probability.
- **Output:** **linear**, any real number.
- **Loss:** the **Wasserstein loss**: the critic maximises E[c(x)] − E[c(G(z))], an estimate
  of the earth mover's distance between real and generated images; the generator raises
  E[c(G(z))].
- **Fixes:** the critic gives useful gradients even when it is far ahead, so it is trained
  more (**n_critic = 5** updates per generator update); less mode collapse; the Wasserstein
  estimate falls as the samples improve.
- **Needs:** a smooth (1-Lipschitz) critic, got by **clipping** every weight to ±0.01 (crude:
  WGAN-GP replaces it with a gradient penalty), and **RMSprop**: momentum made the critic
  unstable.
""")

# --- how to use ------------------------------------------------------------------------
st.subheader("How to use it")
STEPS = (
    ("pages/train.py", "1. Train", "Start a run, watch losses and samples live, save the model."),
    ("pages/explorer.py", "2. Explore", "Move through a saved generator's latent space."),
    ("pages/interpolation.py", "3. Interpolate", "Morph one generated digit into another."),
    ("pages/models.py", "4. Models", "Rename, delete, export and import saved models."),
)
for column, (page, title, text) in zip(st.columns(4), STEPS):
    with column:
        st.page_link(page, label=title)
        st.caption(text)

st.divider()
st.caption("MNIST digits by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, "
           "licensed [CC BY-SA 3.0](https://creativecommons.org/licenses/by-sa/3.0/). "
           "The bundled 10,000-digit subset is shared under the same licence.")
