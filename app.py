"""GAN Classroom: train GANs and WGANs on handwritten digits, watch them learn, explore.

Run with `streamlit run app.py`. This entry point runs before every page: it sets the page
layout, keeps the URL and the session pointing at the same training run, and lists the pages.
"""

import streamlit as st

st.set_page_config(page_title="GAN Classroom", page_icon=":material/draw:", layout="wide")

from ui import state  # noqa: E402  (set_page_config must come first)

state.sync_url()

pages = {
    "Learn": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/theory.py", title="Theory", icon=":material/function:"),
    ],
    "Train": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/compare.py", title="Compare GAN vs WGAN", icon=":material/compare:"),
        st.Page("pages/playground.py", title="2D playground", icon=":material/scatter_plot:"),
    ],
    "Explore": [
        st.Page("pages/explorer.py", title="Latent explorer", icon=":material/tune:"),
        st.Page("pages/interpolation.py", title="Interpolation", icon=":material/timeline:"),
        st.Page("pages/models.py", title="Models", icon=":material/inventory_2:"),
    ],
}
st.navigation(pages).run()
