"""ganlib.server.live_feed: each wanted run's document and grid, written once per run update."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from ganlib.server import live_feed
from ganlib.server.live_feed import CLASSROOM, KEEP_GRIDS, LiveFeed, sweep_stale
from tests.helpers import FakeRun, wait_until


def running(run_id: str = "run-a") -> FakeRun:
    """A run at step 10 of 100, its samples drawn at step 10."""
    return FakeRun(run_id).start()


def grid(snap) -> bytes:
    return f"png of {snap.run_id} at {snap.samples_step}".encode()


@pytest.fixture
def feeds(tmp_path):
    """A factory of feeds under one root, without their threads (a test calls tick())."""
    made = []

    def make(**options) -> LiveFeed:
        made.append(LiveFeed(tmp_path / "live", grid=grid, **options))
        return made[-1]

    yield make
    for feed in made:
        feed.close()


def document(feed: LiveFeed, name: str) -> dict:
    return json.loads((feed.folder / name).read_text())


def files(feed: LiveFeed) -> set[str]:
    return {p.name for p in feed.folder.iterdir()}


def test_a_wanted_run_is_written_at_once_then_only_when_it_changes(feeds):
    feed, run = feeds(presenting=lambda: "run-a"), running()
    name = feed.want(run)
    assert document(feed, name) == {
        "run": "run-a", "status": "running", "step": 10, "total_steps": 100,
        "samples_step": 10, "grid": "run-a-10.png", "presenting": "run-a"}
    assert (feed.folder / "run-a-10.png").read_bytes() == b"png of run-a at 10"
    writes = feed.writes
    feed.tick()
    feed.tick()
    assert feed.writes == writes + 1            # the classroom document, once; the run: no
    run.train(step=12)
    feed.tick()
    assert document(feed, name)["step"] == 12 and feed.writes == writes + 2
    # A wanted run is being watched (its browser polls it): it must not look abandoned.
    assert run.watched == 4


def test_only_the_last_grids_stay_and_no_half_written_file_is_left(feeds):
    feed, run = feeds(), running()
    feed.want(run)
    for step in (20, 30, 40):
        run.train(step=step, samples_step=step)
        feed.tick()
    assert document(feed, "run-a.json")["grid"] == "run-a-40.png"
    assert files(feed) == {"run-a.json", CLASSROOM, "run-a-40.png", "run-a-30.png"}
    assert KEEP_GRIDS == 2


def test_a_run_nobody_wants_leaves_the_feed_with_its_files(feeds, monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(live_feed, "time", SimpleNamespace(monotonic=lambda: clock.now))
    feed = feeds(want_for_s=15)
    kept, dropped = running("run-kept"), running("run-dropped")
    feed.want(kept)
    feed.want(dropped)
    clock.now += 20                             # nobody asked for either in 15 s...
    feed.want(kept)                             # ...but for this one, now
    feed.tick()
    assert files(feed) == {"run-kept.json", "run-kept-10.png", CLASSROOM}
    watched = dropped.watched
    feed.tick()
    assert dropped.watched == watched, "a run nobody wants is no longer counted as watched"
    feed.want(dropped)                          # asked for again: written again at once
    assert "run-dropped.json" in files(feed)


def test_the_classroom_document_names_the_presented_job(feeds):
    presenting = [None]
    feed = feeds(presenting=lambda: presenting[0])
    assert document(feed, feed.classroom()) == {"presenting": None}
    presenting[0] = "run-b"
    feed.tick()
    assert document(feed, CLASSROOM) == {"presenting": "run-b"}


def test_feeds_sharing_a_root_keep_to_their_own_folders_and_clean_up(feeds, tmp_path):
    first, second = feeds(), feeds()
    first.want(running("run-a"))
    second.want(running("run-b"))
    third = feeds()                     # a new feed sweeps only dead processes' folders
    assert first.folder != second.folder != third.folder
    assert files(first) == {"run-a.json", "run-a-10.png"}
    assert files(second) == {"run-b.json", "run-b-10.png"}
    first.close()
    assert not first.folder.exists() and second.folder.is_dir()


def test_a_killed_servers_folder_is_swept_at_the_next_start(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    stale = tmp_path / f"{ended.stdout.strip()}-abcdef"
    (stale / "x").mkdir(parents=True)
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    assert sweep_stale(tmp_path) == [stale]
    assert not stale.exists() and unrelated.is_dir()


def test_the_thread_writes_while_the_run_trains_and_close_removes_everything(tmp_path):
    feed, run = LiveFeed(tmp_path, grid=grid, every_s=0.05).start(), running()
    try:
        feed.want(run)
        run.train(step=50, samples_step=50)
        wait_until(lambda: document(feed, "run-a.json")["step"] == 50, timeout=30,
                   what="the feed's thread to write the update", every_s=0.02)
    finally:
        feed.close()
    assert not feed.folder.exists() and not feed._thread.is_alive()


def test_bad_periods_are_refused_with_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="positive periods"):
        LiveFeed(tmp_path, grid=grid, every_s=0)
