"""ganlib.training.core: the facts every run shares, wherever it trains (thread or Ray)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from ganlib.checkpoints import valid_name
from ganlib.config import make_config
from ganlib.training.autosave import AutosaveClock
from ganlib.training.core import (NotBuiltYet, RunCore, RunSnapshot, RunStatus,
                                  check_step_count, new_run_id)


def test_the_statuses_are_words_and_only_four_of_them_are_over():
    assert [str(s) for s in RunStatus] == [
        "created", "queued", "running", "paused", "finished", "stopped", "diverged", "failed"]
    assert {s for s in RunStatus if s.active} == {
        RunStatus.CREATED, RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED}
    assert all(s.ended != s.active for s in RunStatus)
    assert {s for s in RunStatus if s.went_wrong} == {RunStatus.DIVERGED, RunStatus.FAILED}
    # A str: comparisons with the word, the live feed's JSON and f-strings see the word.
    assert RunStatus.PAUSED == "paused" and f"{RunStatus.PAUSED}" == "paused"
    assert json.dumps({"status": RunStatus.RUNNING}) == '{"status": "running"}'


def test_a_run_id_is_unguessable_and_names_a_checkpoint():
    ids = {new_run_id() for _ in range(100)}
    assert len(ids) == 100
    for run_id in ids:
        assert re.fullmatch(r"run-[0-9a-f]{8}", run_id)
        assert valid_name(f"autosave-{run_id}")


def test_step_needs_at_least_one_step_and_says_so():
    check_step_count(1)
    with pytest.raises(ValueError, match=r"step\(n\) needs n >= 1, got 0"):
        check_step_count(0)
    assert "not built its models yet" in str(NotBuiltYet())


def test_the_initial_snapshot_is_a_run_before_its_first_step(tiny_dataset):
    config = make_config("wgan", "quick", steps=300, batch_size=16)
    snap = RunSnapshot.initial("run-12345678", config, tiny_dataset)
    assert (snap.status, snap.step, snap.samples, snap.timeline, snap.message) == (
        RunStatus.CREATED, 0, None, (), None)
    assert snap.active and snap.total_steps == 300 and snap.progress == 0.0
    assert (snap.dataset_name, snap.num_images, snap.epoch) == ("tiny", 512, 0.0)
    assert snap.eta_s is None and snap.last("d_loss") is None
    # A resumed run starts where its checkpoint left off; epochs count the critic's batches.
    resumed = RunSnapshot.initial("run-12345678", config, tiny_dataset, step=64, elapsed_s=9.0)
    assert resumed.epoch == 64 * 16 * config.n_critic / 512 and resumed.elapsed_s == 9.0


def test_a_snapshot_takes_a_status_word_and_refuses_an_unknown_one(tiny_dataset):
    snap = RunSnapshot.initial("run-a", make_config(), tiny_dataset)
    assert replace(snap, status="paused").status is RunStatus.PAUSED
    with pytest.raises(ValueError):
        replace(snap, status="sleeping")


class Scripted(RunCore):
    """A run whose snapshots are given in advance (the last one repeats)."""

    def __init__(self, snapshots: list[RunSnapshot]):
        super().__init__(snapshots[0].config, owner_id=None)
        self.snapshots, self.asked = snapshots, 0

    def snapshot(self, watch: bool = True) -> RunSnapshot:
        self.asked += 1
        return self.snapshots[min(self.asked, len(self.snapshots)) - 1]


def test_wait_for_asks_at_least_once_and_gives_up_when_the_run_ends(tiny_dataset):
    created = RunSnapshot.initial("run-a", make_config(), tiny_dataset)
    running = replace(created, status=RunStatus.RUNNING, step=3)
    stopped = replace(running, status=RunStatus.STOPPED)
    assert Scripted([running]).wait_for(lambda s: s.step == 3, timeout=0)
    assert Scripted([created, running]).wait_for(lambda s: s.step == 3, timeout=60)
    ends = Scripted([created, stopped])
    assert not ends.wait_for(lambda s: s.step > 3, timeout=60)     # returns at the end
    assert ends.asked == 2
    run = Scripted([created])
    assert not run.wait(0)
    run._ended.set()
    assert run.wait(0)


def test_an_autosave_is_due_after_its_interval_and_only_if_the_run_moved_on():
    clock = AutosaveClock(every_s=0.0, step=10)
    assert not clock.due(10)                   # nothing new to save
    assert clock.due(11)
    clock.saved(11)
    assert (clock.step, clock.due(11), clock.due(12)) == (11, False, True)
    assert not AutosaveClock(every_s=3600.0, step=0).due(500)   # not yet
