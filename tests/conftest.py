"""Shared fixtures: tiny data and configurations so every test trains in seconds."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")   # keep TensorFlow's start-up chatter out

import numpy as np
import pytest
# Import TensorFlow now, in the main thread, not first inside a run's thread: its import goes
# through pytest's assertion rewriter (tensorflow/python/platform/test.py matches test*.py),
# and CPython 3.11's parser fails with "AST constructor recursion depth mismatch" when it
# compiles in two threads at once (AppTest compiles page scripts meanwhile).
import tensorflow  # noqa: F401

from ganlib.config import make_config
from ganlib.data import Dataset, load_dataset


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


@pytest.fixture
def fresh_registry():
    """An empty app run registry for each page test; every run it started stops after it."""
    import streamlit as st

    st.cache_resource.clear()
    yield
    st.cache_resource.clear()          # on_release stops every run
