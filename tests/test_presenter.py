"""Presenter view through AppTest: the switch, its place in the URL, and what it moves out of
the way. (That the grid and the chart fit a projector's screen is measured in a real browser:
tests/test_browser_presenter.py.)"""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from ganlib.training.runner import TrainingRun
from ui import charts, presenter, state
from ui.pages import PAGES

pytestmark = pytest.mark.usefixtures("fresh_registry")


def test_the_switch_writes_present_1_into_the_url_which_survives_a_page_switch(open_app):
    at = open_app()
    assert "present" not in at.query_params and not at.toggle(key=presenter.SWITCH).value
    # (AppTest shows the sidebar's widgets on the first run only: the switch is used once.)
    at.toggle(key=presenter.SWITCH).set_value(True).run()
    assert at.query_params["present"] == "1"
    at.switch_page(PAGES.theory.path).run()              # a page switch clears the URL...
    assert at.query_params["present"] == "1"             # ...and the session puts it back
    assert at.session_state[presenter.ACTIVE]


def test_a_link_with_present_1_opens_a_run_in_presenter_view_with_the_settings_tucked_away(
        tiny_dataset, tiny_config, open_app):
    run, key = state.registry().start(
        lambda: TrainingRun(tiny_config("gan", steps=3), dataset=tiny_dataset))
    run.wait_for(lambda s: not s.active, timeout=60)
    at = open_app(PAGES.train, query={"run": run.run_id, "key": key, "present": "1"})
    assert not at.exception
    assert at.query_params["present"] == "1" and at.query_params["run"] == run.run_id
    assert at.session_state[presenter.ACTIVE]
    assert not at.title and not at.metric          # a one-line header, not the big numbers
    assert at.get("image") and at.get("plotly_chart")
    # Every setting is in the collapsed "New run" panel; beside the grid only Step's N.
    panel = next(e for e in at.expander if e.label == "New run")
    assert not panel.proto.expanded
    inside = {n.key for n in panel.number_input} | {t.key for t in panel.text_input}
    assert {"train-latent_dim", "train-batch_size", "train-d_lr"} <= inside
    assert {n.key for n in at.number_input} - inside == {"train-step-n"}
    assert {t.key for t in at.text_input} - inside == set()
    assert "train-save-name" not in {t.key for t in at.text_input}   # Save uses the default


def test_the_playgrounds_settings_are_tucked_away_in_presenter_view(open_app):
    at = open_app(PAGES.playground, query={"present": "1"})
    panel = next(e for e in at.expander if e.label == "Settings and data")
    assert not panel.proto.expanded
    assert {"pg-data", "pg-algorithm"} <= {s.key for s in panel.selectbox}
    assert at.get("vega_lite_chart")


def test_projector_charts_are_copies_in_large_text():
    figure = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))
    figure.update_layout(height=440, font=dict(size=14))
    big = charts.for_projector(figure, 400)
    assert big.layout.height == 400 and figure.layout.height == 440     # the original stays
    assert big.layout.xaxis.tickfont.size >= 18 and big.layout.yaxis.tickfont.size >= 18
    assert big.layout.font.size > figure.layout.font.size
