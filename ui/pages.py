"""Every page of the app, defined once: the menu, every link and the tests take pages from here.

A page is an `AppPage` (script, title, icon, section, address). The `st.Page` objects that
navigation, `st.page_link` and `st.switch_page` take are made from it in the script run that
uses them: `st.Page` resolves its script against the running app, and outside a script run
(at import time, in a test) it builds an empty object.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ui.i18n import N_, _

# Set in the session by app.py: the page now running was reached through the entry point.
_ENTERED = "entered_through_app"


class AppPage(NamedTuple):
    """One page: its script (relative to app.py), how the menu shows it, and where (title and
    section in English, translated where shown)."""

    path: str
    title: str
    icon: str
    section: str

    @property
    def url_path(self) -> str:
        """The page's address, /train for pages/train.py."""
        return Path(self.path).stem

    def page(self) -> StreamlitPage:
        """The page as Streamlit's navigation, links and page switches take it."""
        return st.Page(self.path, title=_(self.title), icon=self.icon, url_path=self.url_path,
                       default=self is PAGES.home)


class Pages(NamedTuple):
    """The app's pages, in menu order."""

    home: AppPage
    theory: AppPage
    train: AppPage
    compare: AppPage
    playground: AppPage
    runs: AppPage
    challenge: AppPage
    explorer: AppPage
    interpolation: AppPage
    models: AppPage


PAGES = Pages(
    home=AppPage("pages/home.py", N_("Home"), ":material/home:", N_("Learn")),
    theory=AppPage("pages/theory.py", N_("Theory"), ":material/function:", N_("Learn")),
    train=AppPage("pages/train.py", N_("Train"), ":material/model_training:", N_("Train")),
    compare=AppPage("pages/compare.py", N_("Compare GAN vs WGAN"), ":material/compare:",
                    N_("Train")),
    playground=AppPage("pages/playground.py", N_("2D playground"), ":material/scatter_plot:",
                       N_("Train")),
    runs=AppPage("pages/runs.py", N_("Runs on this server"), ":material/list_alt:",
                 N_("Train")),
    challenge=AppPage("pages/challenge.py", N_("Class challenge"), ":material/emoji_events:",
                      N_("Train")),
    explorer=AppPage("pages/explorer.py", N_("Latent explorer"), ":material/tune:",
                     N_("Explore")),
    interpolation=AppPage("pages/interpolation.py", N_("Interpolation"), ":material/timeline:",
                          N_("Explore")),
    models=AppPage("pages/models.py", N_("Models"), ":material/inventory_2:", N_("Explore")),
)


def navigation() -> dict[str, list[StreamlitPage]]:
    """The menu: each section's pages, sections in the order their first page comes."""
    sections: dict[str, list[StreamlitPage]] = {}
    for app_page in PAGES:
        sections.setdefault(_(app_page.section), []).append(app_page.page())
    return sections


def run_app() -> None:
    """Draw the menu and run the page the URL names: the entry point's last step."""
    st.session_state[_ENTERED] = True
    st.navigation(navigation()).run()


def require_entry_point() -> None:
    """First call of every page script: make sure app.py has run in this session.

    Because a pages/ folder sits beside app.py, a freshly started server is in Streamlit's
    old folder mode until some script calls `st.navigation`: a bookmarked or shared link
    such as /train?run=... then runs the page file alone, without app.py (raw file names in
    the menu, no URL sync). Calling `st.navigation` leaves that mode for the whole server,
    and the rerun then goes through app.py. Streamlit 1.67 has no setting for this, and
    app.py cannot do it: on that first request app.py does not run at all.
    """
    if not st.session_state.get(_ENTERED):
        st.navigation(navigation())
        st.rerun()
