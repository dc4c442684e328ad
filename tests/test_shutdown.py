"""A stopped server or command loses no training: runs are saved, and tabs are told where.

`python -m ganlib train` saves on SIGTERM and SIGHUP as on Ctrl-C; the app server autosaves
every active run when it gets SIGTERM; a tab whose link names a run that is gone says so and
names the autosave. Each was lost silently before (issue 13, item 6).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ganlib.checkpoints import list_checkpoints, load_checkpoint, read_info
from ganlib.config import make_config
from ganlib.server.registry import RunRegistry
from ganlib.server.shutdown import stop_and_autosave
from ganlib.training.autosave import autosave, autosave_name, find_autosave
from ganlib.training.compare import Comparison
from ganlib.training.core import RunStatus
from ganlib.training.runner import TrainingRun
from scripts.soak import start_demo
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer, wait_until


def test_autosave_saves_a_built_run_under_its_own_name_only(tiny_dataset, tiny_config, tmp_path):
    run = TrainingRun(tiny_config(steps=None), dataset=tiny_dataset).start()
    assert run.wait_for(lambda s: s.step >= 2)
    first = autosave(run, tmp_path)
    assert [i.name for i in first] == [autosave_name(run.run_id)] == [f"autosave-{run.run_id}"]
    assert first[0].step >= 2
    run.stop()
    again = autosave(run, tmp_path)            # the same name again: replaced, not "-2"
    assert [i.name for i in again] == [f"autosave-{run.run_id}"]
    assert read_info(again[0].name, tmp_path).step == run.snapshot().step >= first[0].step
    assert run.snapshot().saved_as is None     # an autosave is not the name a person chose
    assert load_checkpoint(again[0].name, tmp_path).generator is not None
    assert find_autosave(run.run_id, tmp_path).name == again[0].name
    assert find_autosave("run-gone", tmp_path) is None
    assert find_autosave("../../etc", tmp_path) is None       # a link's id is never a path


def test_autosave_skips_unbuilt_runs_and_logs_a_failing_one(tiny_dataset, tiny_config,
                                                            tmp_path, caplog, monkeypatch):
    from ganlib.training import autosave as autosaving

    never_started = TrainingRun(tiny_config(), dataset=tiny_dataset)
    assert autosave(never_started, tmp_path) == []
    broken = TrainingRun(tiny_config(), dataset=tiny_dataset).start()
    assert broken.wait(60)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(autosaving, "save_state", full_disk)
    with caplog.at_level(logging.ERROR, logger="ganlib.training.autosave"):
        assert autosave(broken, tmp_path) == []            # logged, not raised
    assert f"Could not autosave run {broken.run_id}" in caplog.text
    assert "No space left" in caplog.text


def test_autosave_saves_each_started_run_of_a_comparison_as_its_owners(tmp_path):
    from ganlib.server.classroom import Role, owner_for

    student = owner_for("5" * 64, Role.STUDENT)
    tiny = [make_config(a, "quick", batch_size=8, digits=(1, 7)) for a in ("gan", "wgan")]
    comparison = Comparison(tiny, budget_s=60, mode="sequential", n_eval_samples=50,
                            owner_id=student.stored_owner).start()
    assert comparison.runs[0].wait_for(lambda s: s.step >= 1)
    comparison.stop()                          # the second run never started: nothing to save
    saved = autosave(comparison, tmp_path)
    assert [i.name for i in saved] == [f"autosave-{comparison.runs[0].run_id}"]
    # A student's comparison stays theirs, as their runs do (it had no owner before).
    assert read_info(saved[0].name, tmp_path).owner == student.id


def test_stop_and_autosave_saves_every_run_whose_last_step_nobody_saved(
        tiny_dataset, tiny_config, tmp_path):
    registry = RunRegistry(max_active=4)
    kept, _ = registry.start(lambda: TrainingRun(tiny_config(steps=2), dataset=tiny_dataset))
    assert kept.wait(60)
    kept.save("kept", root=tmp_path)                           # saved at its end: kept
    ended, _ = registry.start(lambda: TrainingRun(tiny_config(steps=2), dataset=tiny_dataset))
    assert ended.wait(60)                                      # finished, never saved
    running, _ = registry.start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset))
    paused, _ = registry.start(
        lambda: TrainingRun(tiny_config(steps=None), dataset=tiny_dataset), paused=True)
    assert running.wait_for(lambda s: s.step >= 1)
    assert paused.wait_for(lambda s: s.status == RunStatus.PAUSED)
    saved = stop_and_autosave(registry, tmp_path)
    assert sorted(i.name for i in saved) == sorted(
        f"autosave-{r.run_id}" for r in (running, paused, ended))
    assert [i.step for i in saved if i.name == f"autosave-{ended.run_id}"] == [2]
    assert not registry.active()
    assert stop_and_autosave(registry, tmp_path) == []        # once: the registry is closed


# --- the command line --------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_the_cli_saves_its_training_on_sigterm_and_sighup(signum, tmp_path):
    samples = tmp_path / "samples"
    process = subprocess.Popen(
        [sys.executable, "-m", "ganlib", "train", "--batch-size", "8", "--steps", "1000000",
         "--quiet", "--samples-every", "0.5", "--samples-dir", str(samples),
         "--root", str(tmp_path / "checkpoints"), "--out", "killed"],
        cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def progressed() -> bool:
            """A grid after step 0 is written once training has made progress."""
            assert process.poll() is None, process.communicate()
            return any(p.name != "step-000000.png" for p in samples.glob("step-*.png"))
        wait_until(progressed, timeout=120, what="a sample grid after step 0")
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert out.startswith("Interrupted at step ") and "saved as killed" in out
    assert "Traceback" not in err
    checkpoint = load_checkpoint("killed", tmp_path / "checkpoints")
    assert checkpoint.info.step >= 1


# --- the app ---------------------------------------------------------------------------------

@pytest.mark.usefixtures("fresh_registry")
def test_a_link_to_a_gone_run_says_so_and_names_its_autosave(open_app, tiny_dataset, tiny_config):
    gone = open_app(query={"run": "run-gone", "key": "old-key"})
    assert [i.value for i in gone.info if "server" in i.value] == [
        "This run is no longer on the server (the server restarted)."]
    assert "run" not in gone.query_params

    run = TrainingRun(tiny_config(), dataset=tiny_dataset).start()
    assert run.wait(60)
    run.save(autosave_name(run.run_id))        # what the stopped server left behind
    saved = open_app(query={"run": run.run_id})
    assert [i.value for i in saved.info if "server" in i.value] == [
        f"This run ended when the server stopped. Its last autosave is `autosave-{run.run_id}` "
        "(step 5): open it on the Models page to train on from there."]
    saved.run()                                # said once: the tab has left the run
    assert not [i for i in saved.info if "server" in i.value]


def test_the_app_server_autosaves_its_active_run_on_sigterm(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    checkpoints = tmp_path / "checkpoints"
    with AppServer(checkpoints, tmp_path / "server.log") as server:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_default_timeout(90_000)
            link = start_demo(page, server.url, "gan")
            # The sample grid is drawn once the run has built its networks: only then is
            # there something to save (a run stopped before that has nothing to keep).
            page.wait_for_selector("[data-testid='stImage']")
            browser.close()
        assert link is not None
        run_id = link.split("run=")[1].split("&")[0]
        assert server.terminate() == 0
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    infos, problems = list_checkpoints(checkpoints)
    assert [i.name for i in infos] == [f"autosave-{run_id}"] and not problems
    assert load_checkpoint(f"autosave-{run_id}", checkpoints).info.step >= 0
