"""The app's start: one definition of every page, deep links, and the fix app.py applies."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from ganlib.training.runner import TrainingRun
from ui import state, streamlit_fixes
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_file_is_defined_once_with_its_own_address():
    assert sorted(Path(page.path).name for page in PAGES) == sorted(
        path.name for path in (ROOT / "pages").glob("*.py"))
    assert len({page.url_path for page in PAGES}) == len(PAGES)
    assert all(page.title and page.icon and page.section for page in PAGES)


@pytest.mark.usefixtures("fresh_registry")
def test_a_deep_link_opened_first_on_a_fresh_server_still_runs_app_py(tiny_dataset, tiny_config):
    """A shared watch link, the first request after the server started: Streamlit's folder
    mode would run pages/train.py alone; the page has app.py run first, which adopts the run."""
    run, _ = state.registry().start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset), paused=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["run"] = run.run_id
    at.switch_page(PAGES.train.path).run()           # before any run: as a fresh server sees it
    assert not at.exception
    assert at.title[0].value == "Train"
    assert any("watching this run (read-only)" in c.proto.help for c in at.caption)


def test_app_py_stops_streamlit_clearing_keras_after_each_run(open_app, monkeypatch):
    """Without this, training slows from ~17 to ~1 step/s while a page refreshes (see
    ui/streamlit_fixes.py). Fails when Streamlit renames the function it replaces."""
    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: None)
    open_app()
    assert script_runner._clean_problem_modules is streamlit_fixes.close_matplotlib_figures
