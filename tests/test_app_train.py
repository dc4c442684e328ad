"""The Home and Train pages, driven through Streamlit's AppTest with tiny real runs."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ganlib import settings
from ganlib.config import make_config
from ganlib.server.classroom import Role
from ganlib.training.runner import TrainingRun
from tests.helpers import wait_until
from ui import live_view, state
from ui.pages import PAGES
from ui.text import plain


pytestmark = pytest.mark.usefixtures("fresh_registry")


def badge(at: AppTest) -> str:
    """The status badge's text, e.g. "running"."""
    found = [m.value for m in at.markdown if "-badge[" in m.value]
    return found[0].split("]")[0].split(" ")[-1] if found else ""


def step(at: AppTest) -> int:
    return int(at.metric[0].value.split("/")[0].replace(",", ""))


def grid_caption(at: AppTest) -> str:
    return at.get("image")[0].proto.imgs[0].caption


def live_grid(at: AppTest) -> dict:
    """What a watcher's live grid component was given (AppTest runs no browser to draw it)."""
    found = [e for e in at.get("bidi_component") if e.proto.component_name.endswith("live_grid")]
    assert len(found) == 1, "a watcher's page should have one live grid"
    return json.loads(found[0].proto.json)


def poll(at: AppTest, done, timeout: float = 60.0) -> None:
    """AppTest ignores run_every: rerun until done(at) is true."""
    def rerun_until_done() -> bool:
        if done(at):
            return True
        at.run()
        return False
    wait_until(rerun_until_done, timeout, what="the page to show what was expected",
               every_s=0.3)
    assert not at.exception


def points(at: AppTest) -> list[int]:
    """How many points each trace of the first chart holds (Plotly sends numpy as base64)."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    counts = []
    for trace in spec["data"]:
        x = trace["x"]
        counts.append(len(np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]))
                      if isinstance(x, dict) else len(x))
    return counts


def start_from_form(at: AppTest, **fields) -> None:
    for name, value in fields.items():
        at.number_input(key=f"train-{name}").set_value(value)
    at.button(key="train-start").click().run()
    assert not at.exception and state.registry().runs(), "Start did not start a run"


# --- Home ------------------------------------------------------------------------------------

def test_home_explains_and_offers_both_demos(open_app):
    at = open_app()
    labels = [b.label for b in at.button]
    assert "Train the GAN article's model (quick preset)" in labels
    assert "Train the WGAN article's model (quick preset)" in labels
    text = " ".join(m.value for m in at.markdown)
    for words in ("Discriminator", "Critic", "sigmoid", "linear", "binary cross-entropy",
                  "Wasserstein loss", "Mode collapse", "vanishing gradients", "n_critic",
                  "RMSprop", "clipping"):
        assert words in text
    assert any("CC BY-SA 3.0" in c.value and "LeCun" in c.value for c in at.caption)


def test_a_demo_button_starts_its_run_and_opens_the_train_page(monkeypatch, open_app):
    monkeypatch.setenv("GAN_CLASSROOM_MAX_RUNS", "1")
    at = open_app()
    at.button(key="demo-gan").click().run()
    assert at.title[0].value == "Train"
    runs = state.registry().runs()
    assert len(runs) == 1 and runs[0].snapshot(watch=False).active
    assert runs[0].config == make_config("gan", "quick")
    assert state.registry().owner(runs[0].run_id).role is Role.SOLO       # ui.state.start_job
    assert runs[0].pause_when_unwatched_s == settings.get().idle_pause_s
    # The server trains one run at most here: a second demo is refused with what to do.
    home = open_app()
    home.button(key="demo-wgan").click().run()
    assert "Stop a run" in home.error[0].value
    assert len(state.registry().runs()) == 1


# --- Train: the form -------------------------------------------------------------------------

def test_the_form_shows_the_fields_of_each_algorithm_and_says_what_is_wrong(open_app):
    at = open_app(PAGES.train)
    keys = {n.key for n in at.number_input} | {t.key for t in at.text_input}
    assert {"train-d_lr", "train-g_lr", "train-batch_size", "train-latent_dim", "train-steps",
            "train-seed", "train-beta_1", "train-beta_2", "train-real_label",
            "train-fake_label"} <= keys
    assert "train-clip_value" not in keys and "train-n_critic" not in keys
    assert at.text_input(key="train-real_label").value == "0.9"     # the GAN quick preset

    at.text_input(key="train-real_label").set_value("0").run()          # = fake_label
    assert "real_label (0.0) must be larger than fake_label" in at.error[0].value
    assert at.button(key="train-start").disabled

    at.selectbox(key="train-algorithm").set_value("wgan").run()      # resets to WGAN quick
    assert not at.error and at.text_input(key="train-d_lr").value == "0.001"
    assert at.number_input(key="train-n_critic").value == 2
    at.text_input(key="train-clip_value").set_value("0").run()
    assert "WGAN needs a clip_value above 0" in at.error[0].value

    at.selectbox(key="train-preset").set_value("article").run()      # the preset resets fields
    assert not at.error
    assert at.text_input(key="train-clip_value").value == "0.01"
    assert at.multiselect(key="train-digits").value == [7]
    at.selectbox(key="train-algorithm").set_value("wgan-gp").run()
    keys = {t.key for t in at.text_input}
    assert "train-gp_weight" in keys and "train-clip_value" not in keys


def test_a_decimal_field_reads_both_ways_of_writing_and_refuses_the_rest(open_app):
    """A typed "2,5e-4" or "0.00025" is the same rate; a word or a number out of range is
    refused beside the field, which keeps the value it had."""
    at = open_app(PAGES.train)
    for typed in ("2,5e-4", "0.00025", " 0,000 25 "):
        at.text_input(key="train-g_lr").set_value(typed).run()
        assert not at.error and at.text_input(key="train-g_lr").value == "0.00025"
    at.text_input(key="train-d_lr").set_value("fast").run()
    assert at.error[0].value.startswith("D learning rate (d_lr): “fast” is not a number.")
    assert "from 0.0000001 to 1" in at.error[0].value
    assert at.text_input(key="train-d_lr").value == "0.0006"           # the GAN quick preset's
    assert not at.button(key="train-start").disabled
    at.text_input(key="train-d_lr").set_value(" ").run()
    assert at.error[0].value.startswith("D learning rate (d_lr) is empty. Type a number from")
    at.text_input(key="train-d_lr").set_value("5").run()
    assert "5 is outside 0.0000001 to 1" in at.error[0].value
    assert at.text_input(key="train-d_lr").value == "0.0006"
    start_from_form(at, batch_size=8, steps=1)
    assert state.registry().runs()[0].config.d_lr == 6e-4



# --- Train: a live run -----------------------------------------------------------------------

def test_a_short_run_draws_its_curves_and_samples_then_finishes(open_app):
    at = open_app(PAGES.train)
    start_from_form(at, batch_size=8, steps=3)
    poll(at, lambda at: badge(at) == "finished")
    assert step(at) == 3
    assert points(at) == [3, 3]                  # d_loss and g_loss, one point per step
    assert at.get("image")                       # the sample grid
    assert at.button(key="train-pause").disabled and at.button(key="train-stop").disabled


def test_the_switch_shows_the_raw_generator_beside_its_average(open_app):
    at = open_app(PAGES.train)
    assert at.text_input(key="train-ema_decay").value == "0.999"     # the quick preset's
    start_from_form(at, batch_size=8, steps=3)
    poll(at, lambda at: badge(at) == "finished")
    switch = at.radio(key="train-generator-view")
    assert switch.value == "averaged" and switch.options == ["averaged", "raw"]
    assert "average" in switch.help
    averaged = at.get("image")[0].proto.imgs[0].url
    assert at.slider                                             # the timeline to scrub
    switch.set_value("raw").run()
    assert at.get("image")[0].proto.imgs[0].url != averaged
    assert grid_caption(at).startswith("Step 3:") and not at.slider
    at.radio(key="train-generator-view").set_value("averaged").run()
    assert at.get("image")[0].proto.imgs[0].url == averaged


def test_without_averaging_there_is_no_switch(open_app):
    at = open_app(PAGES.train)
    at.text_input(key="train-ema_decay").set_value("0")
    start_from_form(at, batch_size=8, steps=2)
    poll(at, lambda at: badge(at) == "finished")
    assert at.get("image") and not [r for r in at.radio if r.key == "train-generator-view"]


def test_pause_freezes_the_run_step_advances_it_and_stop_ends_it(open_app):
    at = open_app(PAGES.train)
    start_from_form(at, batch_size=8, steps=None)
    poll(at, lambda at: badge(at) == "running" and at.get("plotly_chart")
         and points(at)[0] >= 2)
    first = points(at)[0]
    poll(at, lambda at: points(at)[0] > first)   # the chart grows while it trains

    at.button(key="train-pause").click().run()
    assert badge(at) == "paused"
    frozen = step(at)
    time.sleep(0.5)
    at.run()
    assert step(at) == frozen and badge(at) == "paused"

    # Scrubbing back shows the first grid (pure noise, step 0), and stays there while the
    # run moves on; the grid is a PNG (JPEG would blur the pixels).
    at.slider[0].set_value(at.slider[0].min).run()
    assert grid_caption(at).startswith("Step 0:")
    assert at.get("image")[0].proto.imgs[0].url.endswith(".png")

    at.number_input(key="train-step-n").set_value(2)
    at.button(key="train-step").click().run()
    poll(at, lambda at: step(at) == frozen + 2)
    assert badge(at) == "paused" and grid_caption(at).startswith("Step 0:")

    at.text_input(key="train-save-name").set_value("paused-model")
    at.button(key="train-save").click().run()
    assert plain("paused-model") in at.success[0].value
    at.button(key="train-save").click().run()    # the name is taken now
    assert "already exists" in at.error[0].value

    at.button(key="train-stop").click().run()
    assert badge(at) == "stopped"
    assert not state.registry().runs()[0].snapshot(watch=False).active


def test_a_watch_link_shows_the_run_without_controls(tiny_dataset, tiny_config, open_app):
    run, key = state.registry().start(
        lambda: TrainingRun(tiny_config("wgan", steps=None), dataset=tiny_dataset), paused=True)
    assert run.wait_for(lambda s: s.status == "paused", timeout=60)    # built
    watcher = open_app(PAGES.train, query={"run": run.run_id})
    notice = [c for c in watcher.caption if c.value.endswith("Read-only")]
    assert notice and "Only the browser that started it" in notice[0].proto.help
    assert not [b for b in watcher.button if b.key in ("train-pause", "train-resume",
                                                         "train-stop", "train-save")]
    # The grid comes from the live feed, polled by the browser: the page names the run's
    # document, the status it was drawn for, and the translated caption and alt text.
    grid = live_grid(watcher)
    assert (grid["run"], grid["status"], grid["follow"]) == (run.run_id, "paused", False)
    assert grid["alt"] == "64 samples from the generator at step {step}"
    assert grid["caption"].startswith("Step {step}: the same z")
    written = json.loads((live_view.STATIC / grid["feed"].removeprefix("app/static/"))
                         .read_text())
    assert (written["run"], written["status"]) == (run.run_id, "paused")
    assert not watcher.get("image"), "a watcher's grid must not come through Streamlit"
    owner = open_app(PAGES.train, query={"run": run.run_id, "key": key})
    assert owner.button(key="train-stop")
    assert not [c for c in owner.caption if "Read-only" in c.value]
    assert grid_caption(owner).startswith("Step 0:") and not owner.get("bidi_component")
