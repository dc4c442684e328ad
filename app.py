"""GAN Classroom: train GANs and WGANs on handwritten digits, watch them learn, explore.

Run with `streamlit run app.py`. This entry point runs before every page: it sets the page
layout, stops with a plain sentence when a server setting is wrong, keeps Streamlit from
resetting Keras under the training threads, keeps the URL and the session pointing at the
same training run, and runs the page the URL names.
"""

import streamlit as st

st.set_page_config(page_title="GAN Classroom", page_icon=":material/draw:", layout="wide")

from ui import i18n, pages, presenter, roles, server_settings, state, streamlit_fixes  # noqa: E402  (set_page_config must come first)

i18n.choose_language()
server_settings.check()
streamlit_fixes.keep_keras_session()
streamlit_fixes.ignore_unknown_widget_ids()
state.sync_url()
presenter.choose()
presenter.switch()          # first under the menu: at 720 pixels the bottom of the sidebar is cut
roles.sidebar()
i18n.language_switch()
pages.run_app()
