"""The Theory page, rendered through Streamlit's AppTest: every section, formula and link."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlib.server.shared import release_all
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent

# The page's sections, in reading order.
HEADINGS = (
    "1. The minimax game",
    "2. The discriminator's and the generator's losses",
    "3. Vanishing gradients and the non-saturating loss",
    "4. Mode collapse",
    "5. The Wasserstein distance and the critic",
    "6. Keeping the critic Lipschitz: clipping or gradient penalty",
    "7. Training the critic: n_critic and RMSprop",
    "8. Averaging the generator",
    "Sources",
)


@pytest.fixture(scope="module")
def page(open_app) -> Iterator[AppTest]:
    """The Theory page, rendered once for every test here (it is static)."""
    release_all()
    st.cache_resource.clear()
    yield open_app(PAGES.theory)
    release_all()                      # the app's registry, should anything have started
    st.cache_resource.clear()


def test_page_renders_without_exception(page):
    assert not page.exception
    assert page.title[0].value.startswith("Theory")


def test_every_section_heading_is_present_in_order(page):
    assert tuple(h.value for h in page.header) == HEADINGS


def test_table_of_contents_links_to_every_heading(page):
    contents = next(m.value for m in page.markdown if m.value.startswith("**Contents**"))
    for header in page.header:
        assert header.proto.anchor, f"{header.value!r} has no anchor"
        assert f"[{header.value}](#{header.proto.anchor})" in contents


def test_the_articles_formulas_are_rendered_as_latex(page):
    formulas = " ".join(latex.value for latex in page.latex)
    for fragment in (r"\min_G \max_D",                          # the minimax game
                     r"\mathrm{BCE}(y, p)",                      # the discriminator's loss
                     r"\inf_{\gamma \in \Pi",                    # earth mover's distance
                     r"\sup_{\lVert c \rVert_L \le 1}",          # the critic's objective
                     r"\nabla_{\hat x}"):                        # the gradient penalty
        assert fragment in formulas
    inline = " ".join(m.value for m in page.markdown)
    assert "$D(G(z)) \\approx 0$" in inline                    # inline maths in the prose


def test_every_page_link_points_to_an_existing_page_file(page):
    links = page.get("page_link")
    assert len(links) >= len(HEADINGS) - 1                    # one per section at least
    for link in links:
        assert not link.proto.external
        assert link.proto.page_script_hash
        assert (ROOT / "pages" / f"{link.proto.page}.py").is_file(), link.proto.page
    assert {link.proto.page for link in links} >= {"train", "compare", "playground"}


def test_saturation_chart_shows_the_vanishing_minimax_gradient(page):
    """The right panel: near D(G(z)) = 0 the minimax gradient is ~0, the non-saturating ~1."""
    figure = json.loads(page.get("plotly_chart")[0].proto.spec)
    slopes = {trace["legendgroup"].split(":")[0]: _values(trace["y"])
              for trace in figure["data"] if trace["xaxis"] == "x2"}
    assert set(slopes) == {"minimax", "non-saturating"}
    assert slopes["minimax"][0] < 0.01 and slopes["non-saturating"][0] > 0.99
    assert slopes["minimax"][-1] > 0.99 and slopes["non-saturating"][-1] < 0.01


def _values(array: list | dict) -> np.ndarray:
    """A Plotly JSON array, plain or typed ({"dtype": "f4", "bdata": base64}), as numpy."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)
