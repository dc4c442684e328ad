"""The Latent explorer, Interpolation and Models pages, driven through AppTest on a tiny model."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from ganlib import settings
from ganlib.training import backends
from ganlib.checkpoints import (checkpoint_root, export_zip, list_checkpoints, load_checkpoint,
                                read_info, save_checkpoint)
from ganlib.config import make_config
from ganlib.gans import build_gan
from ganlib.images import image_grid
from ganlib.browser_export import UnsupportedNetwork
from ganlib.latent import latent_vectors, neighbour_noise
from ganlib.sampling import Sampler
from ganlib.server.shared import release_all
from ganlib.training.runner import TrainingRun
from ui import browser_generator, state
from ui.browser_generator import OFF
from ui.generator_picker import LIVE_RUN
from ui.pages import PAGES
from ui.text import plain

ROOT = Path(__file__).resolve().parent.parent
NAME = "tiny-gan"
LATENT_DIM = 16            # two groups of 8 latent sliders


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    """A tiny quick GAN saved once per module (each test gets a copy).

    Its generator's kernels are scaled up: freshly initialised, it draws near-uniform grey
    whatever z is, and these tests need digits that visibly depend on z.
    """
    config = make_config("gan", "quick", latent_dim=LATENT_DIM, batch_size=8, steps=2)
    model = build_gan(config)
    for layer in model.generator.layers:
        if hasattr(layer, "kernel"):
            layer.kernel.assign(layer.kernel * 20.0)
    samples = model.generator(latent_vectors(0, 16, LATENT_DIM), training=False).numpy()
    history = {"step": np.array([1.0, 2.0]), "time": np.array([0.1, 0.2]),
               "d_loss": np.array([1.4, 1.3]), "g_loss": np.array([0.7, 0.8])}
    root = tmp_path_factory.mktemp("saved")
    save_checkpoint(NAME, generator=model.generator, critic=model.discriminator, config=config,
                    step=2, history=history, preview=image_grid(samples), elapsed_s=0.2,
                    root=root)
    return root / NAME


@pytest.fixture(autouse=True)
def drawn_on_server(monkeypatch):
    """These tests check the digits the server draws (AppTest runs no browser): the pages'
    fallback, and what a browser-drawn page's downloads and URL must match. Tests of the
    browser-drawn pages set GAN_CLASSROOM_DIGITS back."""
    monkeypatch.setenv("GAN_CLASSROOM_DIGITS", "server")
    settings.reset()


@pytest.fixture(autouse=True)
def checkpoint(isolated_checkpoints, saved_model) -> Path:
    """A copy of the tiny model in this test's checkpoints folder; caches empty around each
    test (their release stops every run a test started)."""
    shutil.copytree(saved_model, checkpoint_root() / NAME)
    release_all()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield checkpoint_root() / NAME
    release_all()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def shown(monkeypatch) -> list[tuple[np.ndarray, str | None]]:
    """(picture, caption) of every st.image call: AppTest keeps only the media URLs."""
    calls: list[tuple[np.ndarray, str | None]] = []
    original = st.image

    def spy(image, caption=None, *args, **kwargs):
        calls.append((image, caption))
        return original(image, caption, *args, **kwargs)

    monkeypatch.setattr(st, "image", spy)
    return calls


def picture(shown: list, caption: str) -> np.ndarray:
    """The last picture drawn whose caption starts with `caption`."""
    found = [image for image, text in shown if text and text.startswith(caption)]
    assert found, f"no picture captioned {caption!r}"
    return np.asarray(found[-1])


def bars(at: AppTest) -> np.ndarray:
    """The y values of the first chart's first trace (Plotly sends numpy as base64)."""
    y = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    return np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) \
        else np.asarray(y)


@pytest.fixture(scope="module")
def digit(saved_model):
    """digit(seed, scale): what the saved generator draws for `seed`, as the pages draw it."""
    sampler = Sampler.from_checkpoint(saved_model)
    return lambda seed, scale: image_grid(sampler.generate(latent_vectors(seed, 1, LATENT_DIM)),
                                          scale=scale)


def frames(strip: np.ndarray, pad: int = 2) -> list[np.ndarray]:
    """The square frames of a one-row strip drawn by image_grid."""
    size = strip.shape[0]
    return [strip[:, left:left + size] for left in range(0, strip.shape[1], size + pad)]


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal pixels, but for float rounding between a batch of one and a longer batch."""
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1


# --- Latent explorer -----------------------------------------------------------------------

def test_the_explorer_shows_the_seeds_digit_its_vector_and_every_control(shown, digit, open_app):
    at = open_app(PAGES.explorer)
    assert at.selectbox(key="explorer-generator").value == NAME
    np.testing.assert_array_equal(bars(at), latent_vectors(0, 1, LATENT_DIM)[0])
    assert close(picture(shown, "Seed 0"), digit(0, scale=10))
    assert picture(shown, "Top left").shape[1] > picture(shown, "Top left").shape[0]  # neighbours
    assert at.button(key="explorer-random") and at.button(key="explorer-reset")
    keys = {s.key for s in at.slider}
    assert {f"explorer-z{i}" for i in range(8)} | {f"explorer-direction{k}" for k in range(5)} \
        | {f"explorer-like{k}" for k in range(10)} | {"explorer-radius"} <= keys
    assert [b.key for b in at.button if b.key.startswith("explorer-thumbnails-")][:8] == [
        f"explorer-thumbnails-{i}" for i in range(8)]
    assert "explorer-z8" not in keys
    assert all((s.min, s.max) == (-3.0, 3.0) for s in at.slider if s.key != "explorer-radius")

    at.selectbox(key="explorer-group").set_value(8).run()          # the other dimensions
    keys = {s.key for s in at.slider}
    assert {f"explorer-z{i}" for i in range(8, 16)} <= keys and "explorer-z0" not in keys


def test_sliders_move_z_and_the_digit_and_reset_restores_the_seeds_vector(shown, open_app):
    at = open_app(PAGES.explorer)
    seed_z, seed_digit = bars(at).copy(), picture(shown, "Seed 0")

    at.slider(key="explorer-z3").set_value(2.5).run()
    z = bars(at)
    assert z[3] == pytest.approx(2.5) and np.array_equal(np.delete(z, 3), np.delete(seed_z, 3))
    moved = picture(shown, "Seed 0, moved")
    assert np.abs(moved.astype(int) - seed_digit.astype(int)).mean() > 1.0

    at.slider(key="explorer-direction0").set_value(1.5).run()       # along a unit direction
    assert np.linalg.norm(bars(at) - z) == pytest.approx(1.5, rel=1e-4)
    assert not np.array_equal(picture(shown, "Seed 0, moved"), moved)

    at.switch_page(PAGES.models.path).run()                         # z outlives a page visit
    at.switch_page(PAGES.explorer.path).run()
    assert at.slider(key="explorer-z3").value == 2.5
    assert at.slider(key="explorer-direction0").value == 1.5

    at.button(key="explorer-reset").click().run()
    np.testing.assert_array_equal(bars(at), seed_z)
    np.testing.assert_array_equal(picture(shown, "Seed 0"), seed_digit)
    assert at.slider(key="explorer-direction0").value == 0.0
    assert at.slider(key="explorer-z3").value == pytest.approx(float(np.clip(seed_z[3], -3, 3)))


def test_a_seed_or_the_random_button_shows_that_seeds_vector(shown, digit, open_app):
    at = open_app(PAGES.explorer)
    at.number_input(key="explorer-seed").set_value(42).run()
    np.testing.assert_array_equal(bars(at), latent_vectors(42, 1, LATENT_DIM)[0])
    assert close(picture(shown, "Seed 42"), digit(42, scale=10))

    at.button(key="explorer-random").click().run()
    seed = at.number_input(key="explorer-seed").value
    np.testing.assert_array_equal(bars(at), latent_vectors(seed, 1, LATENT_DIM)[0])
    assert picture(shown, "Seed").shape == (280, 280)


def test_a_thumbnail_picks_its_seed(shown, digit, open_app):
    at = open_app(PAGES.explorer)
    at.button(key="explorer-thumbnails-forward").click().run()           # seeds 8 to 15
    at.button(key="explorer-thumbnails-5").click().run()
    assert at.number_input(key="explorer-seed").value == 13
    assert close(picture(shown, "Seed 13"), digit(13, scale=10))


def test_the_url_holds_the_digit_and_a_pasted_url_reopens_it(shown, open_app):
    at = open_app(PAGES.explorer)
    at.number_input(key="explorer-seed").set_value(5).run()
    at.slider(key="explorer-z3").set_value(2.5).run()
    at.slider(key="explorer-direction1").set_value(-1.2).run()
    at.slider(key="explorer-like8").set_value(0.7).run()
    url = {name: at.query_params[name] for name in ("model", "seed", "z", "pc", "like")}
    assert url == {"model": NAME, "seed": "5", "z": "3:2.5", "pc": "1:-1.2", "like": "8:0.7"}
    drawn, vector = picture(shown, "Seed 5, moved"), bars(at)

    shown.clear()
    again = open_app(PAGES.explorer, query=url)                         # a new session
    np.testing.assert_array_equal(picture(shown, "Seed 5, moved"), drawn)
    np.testing.assert_array_equal(bars(again), vector)
    assert again.slider(key="explorer-like8").value == pytest.approx(0.7)

    again = open_app(PAGES.explorer, query={"seed": "5", "z": "3:lots"})
    assert plain("'3:lots' is not an edit") in again.warning[0].value      # shown as text
    assert plain("e.g. 3:2.5") in again.warning[0].value


def test_more_like_a_digit_and_the_walk_change_what_the_classifier_reads(shown, open_app):
    at = open_app(PAGES.explorer)
    at.slider(key="explorer-like7").set_value(3.0).run()
    assert "moved by the sliders" in [text for _, text in shown if text
                                      and text.startswith("Seed 0")][-1]
    into = at.session_state["explorer-into"]
    beliefs = [text for _, text in shown if text and text.startswith("The classifier's belief")]
    assert f"belief in {into}," in beliefs[-1] and len(beliefs[-1].split(" · ")) == 9
    strip = picture(shown, "The classifier's belief")
    assert strip.shape[0] == 28 * 4 and len(frames(strip)) == 9
    start, end = frames(strip)[0], frames(strip)[-1]
    assert np.abs(picture(shown, "Seed 0, moved")[::10, ::10].astype(int)
                  - start[::4, ::4].astype(int)).max() <= 1            # the walk starts here

    at.button(key="explorer-walk-keep").click().run()                    # explore the end
    assert at.slider(key="explorer-like7").value == 0.0
    assert np.abs(picture(shown, "Seed 0, moved")[::10, ::10].astype(int)
                  - end[::4, ::4].astype(int)).max() <= 1              # same digit, other scale


def test_without_a_classifier_for_its_images_the_explorer_keeps_the_other_sliders(
        monkeypatch, open_app):
    import ganlib.metrics
    monkeypatch.setattr(ganlib.metrics, "classifier_for", lambda dataset_name: None)
    at = open_app(PAGES.explorer)
    keys = {s.key for s in at.slider}
    assert "explorer-like0" not in keys and "explorer-direction0" in keys
    assert any("No shipped classifier" in c.value for c in at.caption)


def test_the_explorer_opens_on_the_model_saved_or_picked_last_not_the_live_run(
        tiny_dataset, tiny_config, open_app):
    run, key = state.registry().start(
        lambda: TrainingRun(tiny_config(latent_dim=LATENT_DIM, steps=None), dataset=tiny_dataset),
        paused=True)
    at = open_app(PAGES.explorer, query={"run": run.run_id, "key": key},
                  session={state.MODEL: NAME})
    assert at.selectbox(key="explorer-generator").value == NAME
    assert at.query_params["model"] == NAME
    at.selectbox(key="explorer-generator").set_value(LIVE_RUN).run()
    assert "model" not in at.query_params                               # a live run: no link
    at.switch_page(PAGES.interpolation.path).run()
    assert at.selectbox(key="interpolation-generator").value == LIVE_RUN


def test_the_run_this_tab_follows_can_be_explored_live(tiny_dataset, tiny_config, shown, open_app):
    run, key = state.registry().start(
        lambda: TrainingRun(tiny_config(latent_dim=LATENT_DIM, steps=None), dataset=tiny_dataset),
        paused=True)
    assert run.wait_for(lambda snap: snap.status == "paused", timeout=60)
    at = open_app(PAGES.explorer, query={"run": run.run_id, "key": key})
    # It opens on a finished model, not on a run caught half-way; the run is one pick away.
    assert at.selectbox(key="explorer-generator").value == NAME
    at.selectbox(key="explorer-generator").set_value(LIVE_RUN).run()
    assert "trained 0 steps" in at.caption[0].value
    paused_generator = run.model.generator                               # safe: nothing trains
    assert close(picture(shown, "Seed 0"), image_grid(
        paused_generator(latent_vectors(0, 1, LATENT_DIM), training=False).numpy(), scale=10))

    at.selectbox(key="explorer-generator").set_value(NAME).run()         # a saved model
    assert at.session_state[state.MODEL] == NAME and "trained 2 steps" in at.caption[0].value


# --- Interpolation -------------------------------------------------------------------------

def test_both_paths_start_end_and_stop_at_the_typed_seeds_digits(shown, digit, open_app):
    at = open_app(PAGES.interpolation)
    at.text_input(key="interpolation-seeds").set_value("5, 11 , 2").run()
    at.slider(key="interpolation-steps").set_value(6).run()
    assert not at.error
    for method in ("Linear", "Spherical"):
        strip = picture(shown, method)
        scale = strip.shape[0] // 28
        path = frames(strip)
        assert len(path) == 2 * (6 - 1) + 1                          # joints are not repeated
        for index, seed in ((0, 5), (5, 11), (10, 2)):
            assert close(path[index], digit(seed, scale)), f"{method} frame {index}"
    assert len(at.get("download_button")) == 4                       # GIF and PNG, per method
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    linear, spherical, typical = figure["data"]
    assert (linear["name"].split()[0], spherical["name"].split()[0]) == ("Linear", "Spherical")
    assert typical["name"].startswith("√d = 4.0") and typical["line"]["dash"] == "dash"


def test_clicked_thumbnails_become_the_paths_stops(shown, digit, open_app):
    at = open_app(PAGES.interpolation)
    at.text_input(key="interpolation-seeds").set_value("9").run()       # one stop so far
    assert "at least 2 seeds" in at.error[0].value
    at.button(key="interpolation-thumbnails-4").click().run()           # seed 4 comes next
    assert at.text_input(key="interpolation-seeds").value == "9, 4"
    strip = picture(shown, "Spherical")
    assert close(frames(strip)[0], digit(9, strip.shape[0] // 28))
    assert close(frames(strip)[-1], digit(4, strip.shape[0] // 28))
    assert picture(shown, "Spherical").shape and "seed 9 → seed 4" in \
        [text for _, text in shown if text and text.startswith("Spherical")][-1]
    at.button(key="interpolation-thumbnails-forward").click().run()     # seeds 8 to 15
    at.button(key="interpolation-thumbnails-3").click().run()
    assert at.text_input(key="interpolation-seeds").value == "9, 4, 11"
    assert at.query_params["seeds"] == "9, 4, 11"


def test_the_link_sets_seeds_path_and_size_and_presenter_view_starts_projector_sized(
        shown, open_app):
    at = open_app(PAGES.interpolation, query={"seeds": "2,6", "method": "linear",
                                              "steps": "5", "size": "small"})
    captions = [text for _, text in shown if text]
    assert any(text.startswith("Linear (straight line): seed 2 → seed 6") for text in captions)
    assert not any(text.startswith("Spherical") for text in captions)    # linear only
    assert len(frames(picture(shown, "Linear"))) == 5
    gif = next(image for image, text in shown if text and "back and forth" in text)
    assert Image.open(io.BytesIO(gif)).size == (28 * 8, 28 * 8)          # small: 224 px
    assert at.query_params["method"] == "linear" and at.query_params["steps"] == "5"

    shown.clear()
    at = open_app(PAGES.interpolation, query={"present": "1"})
    gif = next(image for image, text in shown if text and "back and forth" in text)
    assert Image.open(io.BytesIO(gif)).size == (28 * 20, 28 * 20)        # projector: 560 px
    assert at.query_params["size"] == "projector"


def test_bad_seed_text_says_what_to_type(shown, open_app):
    at = open_app(PAGES.interpolation)
    shown.clear()
    for text, words in (("3, x, 42", "'x' is not a seed"), ("3, -4", "'-4' is not a seed"),
                        ("7", "at least 2 seeds")):
        at.text_input(key="interpolation-seeds").set_value(text).run()
        assert words in at.error[0].value and "e.g. 3, 17, 42" in at.error[0].value
    assert not [text for _, text in shown if text and text.startswith("Linear")]


# --- Models --------------------------------------------------------------------------------

def test_the_list_shows_each_model_and_opens_it_in_the_explorer(checkpoint, open_app):
    (checkpoint.parent / "broken").mkdir()
    at = open_app(PAGES.models)
    assert [h.value for h in at.subheader][:1] == [plain(NAME)]
    about = " ".join(m.value for m in at.markdown)
    assert "GAN (binary cross-entropy)" in about and "2 steps" in about and "classes all" in about
    assert "broken" in at.warning[0].value and "missing" in at.warning[0].value

    at.button(key=f"models-open-{NAME}").click().run()
    assert at.session_state[state.MODEL] == NAME
    assert at.title[0].value == "Latent explorer"


def test_rename_checks_the_name_and_renames(checkpoint, open_app):
    at = open_app(PAGES.models)
    at.text_input(key=f"models-name-{NAME}").set_value("../elsewhere")
    at.button(key=f"models-rename-{NAME}").click().run()
    assert "not a valid checkpoint name" in at.error[0].value
    assert [info.name for info in list_checkpoints()[0]] == [NAME]

    at.text_input(key=f"models-name-{NAME}").set_value("my-first-gan")
    at.button(key=f"models-rename-{NAME}").click().run()
    assert [info.name for info in list_checkpoints()[0]] == ["my-first-gan"]
    assert "Renamed" in at.success[0].value
    assert at.subheader[0].value == plain("my-first-gan")


def test_delete_asks_for_confirmation_first(checkpoint, open_app):
    at = open_app(PAGES.models)
    at.button(key=f"models-delete-{NAME}").click().run()
    assert checkpoint.is_dir() and f"Delete '{plain(NAME)}'" in at.warning[0].value
    at.button(key=f"models-cancel-{NAME}").click().run()
    assert checkpoint.is_dir() and not at.warning

    at.button(key=f"models-delete-{NAME}").click().run()
    at.button(key=f"models-confirm-{NAME}").click().run()
    assert not checkpoint.exists() and f"Deleted '{plain(NAME)}'" in at.success[0].value
    assert "No saved models yet" in at.info[0].value


def test_an_upload_is_checked_before_it_is_added(checkpoint, open_app):
    at = open_app(PAGES.models)
    at.file_uploader[0].upload("model.zip", b"these bytes are not a zip", "application/zip")
    at.run()
    assert "not a zip file" in at.error[0].value
    assert len(list_checkpoints()[0]) == 1

    at.file_uploader[0].upload("model.zip", export_zip(NAME), "application/zip")
    at.run()
    assert f"Added '{plain(NAME + '-2')}'" in at.success[0].value
    assert {plain(NAME), plain(f"{NAME}-2")} <= {h.value for h in at.subheader}


def test_resume_training_starts_a_run_where_the_model_left_off(monkeypatch, checkpoint, open_app):
    started: list[TrainingRun] = []

    class UnstartedRun(TrainingRun):
        """Records the run the page starts, without training (test_runner tests resuming)."""

        def start(self, paused: bool = False) -> TrainingRun:
            started.append(self)
            return self

    monkeypatch.setattr(backends, "TrainingRun", UnstartedRun)   # the thread backend's
    at = open_app(PAGES.models)
    at.number_input(key=f"models-extra-{NAME}").set_value(300)
    at.button(key=f"models-resume-{NAME}").click().run()
    assert at.title[0].value == "Train"
    (run,) = started
    assert state.registry().get(run.run_id) is run
    assert at.session_state[state.RUN] == run.run_id      # followed, with the owner key
    assert state.registry().can_control(run.run_id, at.session_state[state.KEY])
    assert run.config == read_info(NAME).config.replace(steps=2 + 300)
    assert run.snapshot(watch=False).step == 2
    saved = load_checkpoint(NAME)
    resume = run._resume
    for got, want in zip(resume.generator_weights, saved.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(resume.critic_weights) == len(saved.critic.get_weights())
    np.testing.assert_array_equal(resume.history["d_loss"], [1.4, 1.3])


# --- drawn in the browser (AppTest runs no JavaScript: what the browser is given) -----------

def browser_parts(at: AppTest) -> dict[str, dict]:
    """The data of each part of the browser-drawn page, by part name."""
    parts = [json.loads(e.proto.json) for e in at.get("bidi_component")
             if e.proto.component_name == "gan_classroom.browser_view"]
    return {part["part"]: part for part in parts}


def decoded(text: str, dtype: str = "<f4") -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype)


@pytest.fixture
def in_the_browser(monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_DIGITS", "browser")
    settings.reset()


def test_the_explorer_hands_the_browser_the_generator_and_the_state(in_the_browser, shown,
                                                                     open_app):
    at = open_app(PAGES.explorer, query={"seed": "5", "z": "3:2.5", "like": "8:0.7"})
    parts = browser_parts(at)
    assert set(parts) == {"digit", "like", "walk", "directions", "numbers", "neighbours"}
    data = parts["digit"]
    module = ROOT / "static" / data["module"].removeprefix("app/static/")
    assert module.read_text() == (ROOT / "static" / "gan" / "explorer.js").read_text()
    for network in (data["generator"], data["classifier"]):    # files Streamlit serves
        description = ROOT / "static" / network.removeprefix("app/static/")
        assert json.loads(description.read_text())["format"] == "gan-classroom-network"
    own = latent_vectors(5, 1, LATENT_DIM)[0]
    np.testing.assert_array_equal(decoded(data["seed_z"]), own)
    z = np.array(data["state"]["z"], np.float32)
    assert z[3] == np.float32(2.5) and np.array_equal(np.delete(z, 3), np.delete(own, 3))
    assert data["state"]["like"][8] == pytest.approx(0.7)
    np.testing.assert_array_equal(decoded(data["noise"], "<f8"),
                                  neighbour_noise(5, 16, LATENT_DIM).ravel())
    assert decoded(data["class_weights"]).shape == (10 * LATENT_DIM,)
    assert "Seed 5" in data["text"]["seed"].format(seed=5)
    assert not [text for _, text in shown if text and text.startswith("Seed")]   # not drawn here
    assert not at.slider                                           # the browser's sliders
    assert {b.proto.label for b in at.get("download_button")} == {"GIF", "PNG strip"}
    assert at.query_params["z"] == "3:2.5"


def test_a_browser_that_cannot_run_the_generator_gets_the_servers_drawing(
        in_the_browser, shown, open_app):
    at = open_app(PAGES.explorer, session={OFF: "it has no module Web Workers"})
    assert not browser_parts(at)
    assert at.slider(key="explorer-z0") and picture(shown, "Seed 0").shape == (280, 280)
    assert any("Your browser cannot run the generator (it has no module Web Workers)" in c.value
               for c in at.caption)


def test_a_generator_the_browser_cannot_run_is_drawn_by_the_server(in_the_browser, monkeypatch,
                                                                    shown, open_app):
    def refuse(*args, **kwargs):
        raise UnsupportedNetwork("The browser cannot run a Lambda layer (odd).")

    monkeypatch.setattr(browser_generator.STORE, "export", refuse)
    for page in (PAGES.explorer, PAGES.interpolation):
        at = open_app(page)
        assert not browser_parts(at)
        assert any("drawn by the server, not in your browser: The browser cannot run a Lambda"
                   in c.value for c in at.caption)
    assert picture(shown, "Seed 0").shape == (280, 280) and picture(shown, "Linear").size


def test_interpolation_hands_the_browser_the_stops_and_keeps_the_downloads(in_the_browser,
                                                                            shown, open_app):
    at = open_app(PAGES.interpolation, query={"seeds": "2,6,9", "method": "spherical",
                                              "steps": "5", "size": "small"})
    data = browser_parts(at)["animations"]
    assert set(browser_parts(at)) == {"animations", "strips"}
    stops = decoded(data["stops"]).reshape(3, LATENT_DIM)
    for row, seed in zip(stops, (2, 6, 9)):
        np.testing.assert_array_equal(row, latent_vectors(seed, 1, LATENT_DIM)[0])
    assert (data["steps"], data["scale"]) == (5, 8)
    assert [m["id"] for m in data["methods"]] == ["spherical"]
    assert data["text"]["stops"] == "seed 2 → seed 6 → seed 9"
    assert not [text for _, text in shown if text and "back and forth" in text]   # no GIF drawn
    assert len(at.get("download_button")) == 2                    # GIF and PNG, made on demand
    assert at.get("plotly_chart")                                  # the norms: still the server's


def test_without_a_classifier_the_browser_gets_no_walk_and_no_more_like_sliders(
        in_the_browser, monkeypatch, open_app):
    import ganlib.metrics
    monkeypatch.setattr(ganlib.metrics, "classifier_for", lambda dataset_name: None)
    at = open_app(PAGES.explorer)
    parts = browser_parts(at)
    assert set(parts) == {"digit", "directions", "numbers", "neighbours"}
    assert parts["digit"]["classifier"] is None and parts["digit"]["class_weights"] is None
    assert any("No shipped classifier" in c.value for c in at.caption)
