"""Shared fixtures: tiny data and configurations so every test trains in seconds."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up chatter out

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
# Import TensorFlow now, in the main thread, not first inside a run's thread: its import goes
# through pytest's assertion rewriter (tensorflow/python/platform/test.py matches test*.py),
# and CPython 3.11's parser fails with "AST constructor recursion depth mismatch" when it
# compiles in two threads at once (AppTest compiles page scripts meanwhile).
import tensorflow  # noqa: F401

from ganlib import settings
from ganlib.config import make_config
from ganlib.data import Dataset, load_dataset
from ui.pages import AppPage

pytest.register_assert_rewrite("tests.helpers")
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, demo_app  # noqa: E402


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    """512 bundled digits (a slice of every class), enough for a few batches."""
    full = load_dataset("mnist-10k")
    index = np.linspace(0, len(full.images) - 1, 512).astype(int)
    images = full.images[index]
    return Dataset(name="tiny", images=images, labels=full.labels[index],
                   class_names=full.class_names, notice=None)


@pytest.fixture
def tiny_config():
    """A factory: the quick preset with a small batch and few steps."""
    def make(algorithm: str = "gan", preset: str = "quick", **overrides):
        values = dict(batch_size=8, steps=5)
        values.update(overrides)
        return make_config(algorithm, preset, **values)
    return make


@pytest.fixture(autouse=True)
def isolated_checkpoints(tmp_path, monkeypatch):
    """Never write into the repository's checkpoints/ folder from a test."""
    monkeypatch.setenv("GANLIB_CHECKPOINTS", str(tmp_path / "checkpoints"))


@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test reads the settings of its own environment: ganlib.settings reads them once
    per process, so a test that changes one after they were read calls settings.reset()."""
    settings.reset()
    yield
    settings.reset()


@pytest.fixture
def fresh_registry():
    """An empty app run registry for each page test; every run it started stops after it."""
    import streamlit as st

    from ganlib.server.shared import release_all

    release_all()
    st.cache_resource.clear()
    yield
    release_all()                      # stops every run
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def open_app():
    """A factory: the app as a browser opens it, through AppTest, on `page` (else Home).

    `query` are the URL's parameters and `session` values already in the session when app.py
    first runs; the page is then reached as its menu link reaches it.
    """
    def open_(page: AppPage | None = None, *, query: dict[str, str] | None = None,
              session: dict[str, object] | None = None, timeout: float = 60) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        for key, value in (session or {}).items():
            at.session_state[key] = value
        at.run()
        if page is not None:
            at.switch_page(page.path).run()
        assert not at.exception
        return at
    return open_


# --- the real-browser test modules share these (each module gets its own server and browser) --
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An app server of its own for one browser test module, as a class would start it: its
    URL."""
    with demo_app(tmp_path_factory.mktemp("server")) as app:
        yield app.url


@pytest.fixture
def own_server(tmp_path):
    """An app server for one test alone (its URL), for a test whose result depends on what
    the models folder holds: the shipped demo models, and nothing an earlier test saved."""
    with demo_app(tmp_path / "server") as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per module; each test opens its own contexts in it."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (requirements-dev.txt)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
