"""The Models page under hostile files (issue 13): text from files is shown as text, and a
folder with a broken preview is one listed problem, not a traceback for every visitor."""

from __future__ import annotations

import math
import re
import shutil

import keras
import numpy as np
import pytest
from keras import layers

from ganlib.checkpoints import checkpoint_root, export_zip, import_zip, save_checkpoint
from ganlib.config import make_config
from ganlib.data import BUNDLED_MNIST
from ganlib.gans import build_gan
from ganlib.training import backends
from ganlib.training.runner import TrainingRun
from tests.test_checkpoints import edit_json
from ui import state
from ui.pages import PAGES
from ui.text import plain

LINK = "[x](http://evil)"
IMAGE = "![](http://evil/img.png)"


@pytest.fixture
def hostile_models(isolated_checkpoints):
    """A model whose config.json and meta.json carry Markdown, and a copy whose preview.png
    is an HTML page."""
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((64,)), layers.Dense(49, activation="tanh"),
                                  layers.Reshape((7, 7, 1)), layers.UpSampling2D(4)])
    critic = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Dense(1)])
    save_checkpoint("hostile", generator=generator, critic=critic,
                    config=make_config("gan", "quick", dataset=LINK), step=1,
                    preview=np.zeros((30, 30), np.uint8), dataset_notice=IMAGE)
    root = checkpoint_root()
    shutil.copytree(root / "hostile", root / "html-preview")
    (root / "html-preview" / "preview.png").write_bytes(b"<html><body>hi</body></html>")
    return root


def test_markdown_from_files_is_shown_as_text_and_a_bad_preview_breaks_nothing(
        hostile_models, open_app):
    at = open_app(PAGES.models)                     # asserts that no exception shows
    assert [h.value for h in at.subheader][:1] == ["hostile"]
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not any(LINK in text or IMAGE in text for text in shown)
    assert any(plain(LINK) in text for text in shown)
    assert any(plain(IMAGE) in text for text in shown)
    assert "html\\-preview" in at.warning[0].value and "preview\\.png" in at.warning[0].value
    assert at.file_uploader                         # the uploader is still there for everyone


@pytest.mark.parametrize("path", ["/", "/root", "/usr/share", "/no/such/folder"])
def test_the_train_page_takes_no_path_outside_the_data_folders(path, open_app, monkeypatch,
                                                              tmp_path, fresh_registry):
    """The issue's `/` gave a PermissionError traceback and `/root` a 12.8 s scan."""
    from ui import state

    monkeypatch.setenv("GANLIB_DATA_DIRS", str(tmp_path))
    at = open_app(PAGES.train)
    at.selectbox(key="train-dataset").set_value("other").run()
    at.text_input(key="train-dataset_path").set_value(path).run()
    at.button(key="train-start").click().run()
    assert not at.exception and not state.registry().runs()
    assert [e.value for e in at.error] == [
        f"Only files and folders inside {tmp_path} can be used from the browser. Put the "
        f"data there (or ask the server's administrator to add its folder), or choose one "
        f"of the listed datasets."]


def test_browsers_get_no_tracebacks():
    """Tracebacks show the server's paths; a class sees a short message, the log the rest."""
    import tomllib
    from pathlib import Path

    config = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    with open(config, "rb") as f:
        assert tomllib.load(f)["client"]["showErrorDetails"] == "none"


# --- every text from a file, planted with markup, is plain text on every page ----------------

# Markdown, a bare link, HTML, and Streamlit's colour and math syntax, one of each, with no "/"
# (it goes into a file name too).
PLANTED = ("[x](javascript:alert) ![](evil.png) <img src=x> :red[red] $x^2$ **bold** "
           "_em_ # heading | a | b | www.evil-example.com a@evil.example.com")
RAW = ["[x](", "![](", "<img", ":red[", "$x^2$", "**bold**", "_em_", "# heading", "| a |",
       "www.evil-example.com", "a@evil.example.com"]


def rendered(at) -> list[str]:
    """Every text the page has Streamlit render as Markdown: bodies, headings, alerts, and
    the labels and help of widgets."""
    texts = []
    for kind in ("markdown", "caption", "subheader", "header", "title", "warning", "error",
                 "info", "success", "toast"):
        texts += [element.value for element in at.get(kind)]
    for kind in ("button", "text_input", "number_input", "selectbox", "slider", "toggle"):
        texts += [getattr(element, field) or "" for element in at.get(kind)
                  for field in ("label", "help")]
    return texts


def assert_plain(at) -> None:
    """No planted markup on the page as itself (an escaped first character defuses it)."""
    assert not at.exception
    for text in rendered(at):
        for raw in RAW:
            for found in re.finditer(re.escape(raw), text):
                assert found.start() and text[found.start() - 1] == "\\", (raw, text)


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """Uploaded models whose every text carries PLANTED: named www.evil-example.com and _em_
    (a name allows no more), trained on a data file named PLANTED, with PLANTED as their
    dataset notice; and a third whose preset is PLANTED (refused as a preset: a broken one)."""
    data = tmp_path / "data"
    data.mkdir()
    source = data / f"{PLANTED}.npz"
    with np.load(BUNDLED_MNIST) as full:
        np.savez(source, x=full["x"][:512], y=full["y"][:512])
    monkeypatch.setenv("GANLIB_DATA_DIRS", str(data))
    config = make_config("gan", "quick", dataset=str(source), batch_size=8, steps=1)
    model = build_gan(config)
    staging = tmp_path / "staging"
    for name in ("www.evil-example.com", "_em_", "preset"):
        save_checkpoint(name, generator=model.generator, critic=model.discriminator,
                        config=config, step=1, history={"step": np.array([1.0])},
                        preview=np.zeros((30, 30), np.uint8), dataset_notice=PLANTED,
                        root=staging)
    edit_json(staging / "preset" / "config.json", lambda c: c.update(preset=PLANTED))
    for name in ("www.evil-example.com", "_em_"):
        import_zip(export_zip(name, staging))
    shutil.copytree(staging / "preset", checkpoint_root() / "preset")   # (an upload refuses it)


def test_markup_planted_in_every_field_of_an_uploaded_model_is_plain_on_every_page(
        planted, open_app, monkeypatch, fresh_registry):
    """The issue: an uploaded model's preset was rendered as Markdown on the Models page, and
    after Resume on the Runs page and the Train header every watcher sees; a model named
    www.evil-example.com was linked in its card's heading."""
    class UnstartedRun(TrainingRun):
        """The run Resume starts, without training: the pages show it all the same."""

        def start(self, paused: bool = False) -> TrainingRun:
            return self
    monkeypatch.setattr(backends, "TrainingRun", UnstartedRun)

    at = open_app(PAGES.models)
    assert_plain(at)
    headings = [h.value for h in at.subheader]
    assert plain("www.evil-example.com") in headings and plain("_em_") in headings
    assert any(plain(PLANTED) in c.value for c in at.caption)          # the dataset notice
    assert "preset" in at.warning[0].value                               # broken, by name
    for page in (PAGES.explorer, PAGES.interpolation):
        at.switch_page(page.path).run()
        assert_plain(at)
        assert any(plain(PLANTED) in c.value for c in at.caption)        # the picker's label
    at.switch_page(PAGES.models.path).run()
    at.number_input(key="models-extra-www.evil-example.com").set_value(5)
    at.button(key="models-resume-www.evil-example.com").click().run()
    assert at.title[0].value == "Train" and state.registry().runs()
    assert_plain(at)
    assert plain(PLANTED) in at.subheader[0].value                       # the run's header
    at.switch_page(PAGES.runs.path).run()
    assert_plain(at)
    assert any(plain(PLANTED) in m.value for m in at.markdown)


def test_a_model_with_an_impossible_number_is_listed_as_broken_and_deleted_from_the_page(
        hostile_models, open_app):
    """The issue's uploads: NaN training time, and a save date in the year 9999 (the year
    10000 east of UTC): the page raised for every visitor, and the model could not be
    deleted there."""
    root = hostile_models
    for name, change in (("nan-time", dict(elapsed_s=math.nan)),
                         ("year-9999", dict(created="9999-12-31T23:59:59+00:00"))):
        shutil.copytree(root / "hostile", root / name)
        edit_json(root / name / "meta.json", lambda meta, change=change: meta.update(change))
    at = open_app(PAGES.models)                     # asserts that no exception shows
    warning = at.warning[0].value
    assert all(plain(name) in warning for name in ("nan-time", "year-9999", "html-preview"))
    assert str(root) not in warning                 # names, never the server's paths
    at.button(key="models-delete-broken-year-9999").click().run()
    at.button(key="models-delete-broken-nan-time").click().run()
    assert not (root / "year-9999").exists() and not (root / "nan-time").exists()
    assert f"Deleted '{plain('nan-time')}'." in [s.value for s in at.success]


def test_a_save_finished_after_its_tab_closed_is_shown_on_the_runs_page(
        tiny_dataset, tiny_config, open_app, fresh_registry):
    """Closing the tab right after Save lost the save; now it finishes on the server, and
    the next visit to the Runs page says under which name."""
    run, _key = state.registry().start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset), paused=True)
    assert run.wait_for(lambda s: s.samples is not None)
    state.registry().save(run, "saved-after-the-tab")       # the tab that asked is gone
    assert run.wait_for(lambda s: s.saved_as is not None)
    at = open_app(PAGES.runs)
    assert f"Saved as {plain('saved-after-the-tab')}." in [c.value for c in at.caption]
