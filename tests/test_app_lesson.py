"""The lesson flow through AppTest: "try it" links that set pages up, the messages after a
run finishes and after it is saved, and the fixes a teacher met walking through the pages
(the "real vs real" label on log axes, the playground's points above the arrows)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlib.server.shared import release_all
from ui import charts, state
from ui.content import sections
from ui.pages import PAGES
from ui.text import plain
from tests.test_app_train import poll

pytestmark = pytest.mark.usefixtures("fresh_registry")


def successes(at: AppTest) -> str:
    return " ".join(s.value for s in at.success)


# --- "try it" links ----------------------------------------------------------------------------

def test_every_try_it_link_of_the_theory_page_carries_its_settings(open_app):
    at = open_app(PAGES.theory)
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    wanted = {"Train the GAN article's model": ("train", "algorithm=gan&preset=article"),
              "GAN · mode-collapse on the Compare page": ("compare", "lineup=mode-collapse"),
              "2D playground: ring + GAN, 3 generator updates per step":
                  ("playground", "data=ring&algorithm=gan&g_updates=3")}
    for label, (page, query) in wanted.items():
        assert links[label].page == page and query in links[label].query_string, label
    try_boxes = [text for name, text in sections("theory").items() if name.endswith("-try")]
    assert all("?" in text for text in try_boxes), "a try-it box links without settings"


@pytest.mark.parametrize("query, fields", [
    ({"algorithm": "gan", "preset": "article"}, {"algorithm": "gan", "preset": "article",
                                                  "batch_size": 8, "g_loss": "non-saturating"}),
    ({"algorithm": "gan", "preset": "quick", "g_loss": "minimax"},
     {"preset": "quick", "g_loss": "minimax"}),
    ({"algorithm": "wgan", "preset": "article"}, {"algorithm": "wgan", "n_critic": 5,
                                                   "optimizer": "rmsprop"}),
])
def test_a_train_link_fills_the_form_once(open_app, query, fields):
    at = open_app(PAGES.train, query=query)
    for name, value in fields.items():
        assert at.session_state[f"train-{name}"] == value, name
    assert not set(query) & set(at.query_params)            # applied, then out of the URL
    at.selectbox(key="train-preset").set_value("quick").run()  # the user's change stays
    assert at.session_state["train-preset"] == "quick"


def test_a_link_with_settings_the_page_cannot_use_says_so(open_app):
    at = open_app(PAGES.train, query={"algorithm": "gan", "preset": "huge"})
    assert "could not be applied" in at.warning[0].value and "huge" in at.warning[0].value
    assert at.session_state["train-preset"] == "quick"
    at = open_app(PAGES.compare, query={"lineup": "everything"})
    assert plain("lineup=everything") in at.warning[0].value              # shown as text


def test_compare_and_playground_links_choose_what_they_name(open_app):
    at = open_app(PAGES.compare, query={"lineup": "mode-collapse"})
    assert at.radio(key="compare-lineup").value == "mode-collapse"
    at = open_app(PAGES.playground, query={"data": "grid", "algorithm": "wgan-gp",
                                           "g_updates": "3"}, timeout=90)
    assert at.selectbox(key="pg-data").value == "grid"
    assert at.selectbox(key="pg-algorithm").value == "wgan-gp"
    assert at.number_input(key="pg-g_updates_per_step").value == 3
    assert at.number_input(key="pg-d_updates_per_step").value == 5   # WGAN-GP's defaults


# --- the fixes ---------------------------------------------------------------------------------

def test_the_playground_draws_its_points_above_the_arrows(open_app):
    at = open_app(PAGES.playground, timeout=90)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    layers = [layer["data"]["name"] for layer in spec["layer"]]
    assert layers[-1] == "points" and layers.index("arrows") < layers.index("points")


@pytest.mark.parametrize("draw", ["run", "comparison"])
def test_the_real_vs_real_label_sits_at_its_value_on_a_log_axis(draw):
    """Plotly places annotations on a log axis by log10(y), the line by y."""
    reference = (6.9, "real vs real")
    if draw == "run":
        history = {"step": np.arange(5.0), "fd": np.array([90.0, 40, 20, 12, 9])}
        figure = charts.metric_figure(history, [("fd", "FD")], title="t", y_title="FD",
                                      uirevision="r", reference=reference, log_y=True)
    else:
        figure = charts.comparison_figure(SimpleNamespace(runs=(), run_id="c"), "fd",
                                          title="t", y_title="FD", reference=reference,
                                          log_y=True)
    (label,) = [a for a in figure.layout.annotations if a.text == "real vs real"]
    assert label.y == pytest.approx(math.log10(6.9))
    assert figure.layout.shapes[0].y0 == 6.9
    linear = charts.metric_figure({"step": np.arange(2.0), "fd": np.ones(2)}, [("fd", "FD")],
                                  title="t", y_title="FD", uirevision="r", reference=reference)
    assert linear.layout.annotations[0].y == 6.9


def test_after_a_run_finishes_and_after_it_is_saved_the_page_says_what_to_do(open_app):
    at = open_app(PAGES.train)
    at.number_input(key="train-batch_size").set_value(8)
    at.number_input(key="train-steps").set_value(2)
    at.button(key="train-start").click().run()
    poll(at, lambda at: "finished" in successes(at).lower() or "Save it" in successes(at))
    assert "Save it with the **Save** button above" in successes(at)
    assert "below" not in successes(at)

    at.text_input(key="train-save-name").set_value("lesson-model")
    at.button(key="train-save").click().run()
    assert f"Saved as **{plain('lesson-model')}**" in successes(at)
    assert at.session_state[state.MODEL] == "lesson-model"   # the explorer opens on it
    at.run()
    assert "Save it with" not in successes(at)
    assert f"Saved as **{plain('lesson-model')}**: the Latent explorer" in successes(at)

    at.switch_page(PAGES.explorer.path).run()
    assert at.selectbox(key="explorer-generator").value == "lesson-model"
    release_all()
    st.cache_resource.clear()


def test_the_wasserstein_estimate_has_an_axis_of_its_own_and_legends_clear_the_titles():
    """On the losses' axis (−400 … 0 for a WGAN's generator) the estimate looked flat."""
    steps = np.arange(1.0, 1001.0)
    estimate = np.concatenate([np.full(20, 40.0), np.linspace(3.7, 2.0, 980)])   # first swing
    history = {"step": steps, "d_loss": -estimate, "g_loss": np.linspace(-400, -50, 1000),
               "wasserstein": estimate}
    figure = charts.metric_figure(history, [("d_loss", "critic"), ("g_loss", "generator"),
                                            ("wasserstein", "estimate")], title="t",
                                  y_title="loss", uirevision="r",
                                  right_axis=("wasserstein", "estimate"))
    assert [trace.yaxis for trace in figure.data] == ["y", "y", "y2"]
    axis = figure.layout.yaxis2
    assert axis.overlaying == "y" and axis.side == "right" and axis.title.text == "estimate"
    assert 1.9 < axis.range[0] < 2.0 and 3.7 < axis.range[1] < 3.8     # the fall fills it
    assert figure.layout.legend.y < 0                       # under the plot, in its rows
    # The Compare charts: one row of short names, on a line of its own under the title.
    run = SimpleNamespace(config=SimpleNamespace(algorithm="wgan-gp"),
                          history={"step": steps, "time": steps / 10, "wasserstein": estimate})
    compare = charts.comparison_figure(SimpleNamespace(runs=(run,), run_id="c"), "loss_signal",
                                       title="t", y_title="loss")
    assert [trace.name for trace in compare.data] == ["WGAN-GP"]
    assert compare.data[0].hovertemplate.startswith("Wasserstein estimate")
    assert compare.layout.legend.yanchor == "bottom" and compare.layout.legend.y == 1
    assert compare.layout.title.yanchor == "top" and compare.layout.margin.t >= 80
