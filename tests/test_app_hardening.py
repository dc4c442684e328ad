"""The Models page under hostile files (issue 13): text from files is shown as text, and a
folder with a broken preview is one listed problem, not a traceback for every visitor."""

from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest
from keras import layers

from ganlib.checkpoints import checkpoint_root, save_checkpoint
from ganlib.config import make_config
from ui.pages import PAGES

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
    assert any(r"\[x\]\(http\:\/\/evil\)" in text for text in shown)
    assert any(r"\!\[\]\(http\:\/\/evil\/img\.png\)" in text for text in shown)
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
