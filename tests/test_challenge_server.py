"""The class challenge on a server (ganlib.server.challenge): the queue, scoring, the bell,
the lecturer's rights and a restart. Fake runs (no TensorFlow) but for one tiny real entry."""

from __future__ import annotations

import json

import pytest

from ganlib.challenge import EntryStatus, open_spec
from ganlib.checkpoints import read_info
from ganlib.errors import CheckpointError, ConfigError
from ganlib.quality import Quality
from ganlib.server.challenge import ChallengeHost, Finished
from ganlib.server.classroom import Classroom, NotAllowed, Role, owner_for
from ganlib.server.registry import RunRegistry
from ganlib.training.core import RunStatus
from tests.helpers import FakeRun, record_save, wait_until

TEACHER = owner_for("t" * 64, Role.TEACHER)
ANA, BO, CY = (owner_for(c * 64, Role.STUDENT) for c in "abc")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def fake_score(run):
    """A score that follows the entry's g_lr: higher is better here, all classes drawn."""
    lr = run.config.g_lr
    return Finished(Quality(10, 10, round(1.0 / lr, 3)), b"png")


class Host:
    """A host on fake runs, moved by hand (`pump`), with its registry and clock."""

    def __init__(self, folder, max_active=1, queues=False, save=None, score=fake_score):
        self.clock = Clock()
        self.registry = RunRegistry(max_active=max_active, queues=queues,
                                    classroom=Classroom(passcode="pw"), save_job=record_save)
        self.saved = []
        self.host = ChallengeHost(self.registry, folder, self.make_run, score=score,
                                  save=save or self.save, clock=self.clock, tick_s=3600)

    def make_run(self, config, owner_id):
        run = FakeRun(owner_id=owner_id)
        run.config = config
        run.snap = run.snap.__class__(**{**run.snap.__dict__, "config": config})
        return run

    def save(self, run, name, record):
        self.saved.append((name, record))
        return name

    def finish(self, entry_id):
        run = self.host.run_of(self.entry(entry_id))
        run.train(run.config.steps, status=RunStatus.FINISHED)
        self.host.pump()

    def entry(self, entry_id):
        return next(e for e in self.host.entries() if e.entry_id == entry_id)


@pytest.fixture
def h(tmp_path):
    made = Host(tmp_path / "challenge")
    made.host.open(TEACHER, open_spec("best-digits", ends_at=made.clock.now + 600))
    yield made
    made.host.stop()
    made.registry.stop_all()


def test_only_the_lecturer_opens_closes_hides_removes_and_renames(h):
    with pytest.raises(NotAllowed):
        h.host.open(ANA, open_spec("best-digits", ends_at=2e9))
    entry = h.host.submit(ANA, "gan", {})
    for act in (lambda: h.host.close(ANA), lambda: h.host.hide(ANA, BO.id),
                lambda: h.host.remove(ANA, entry.entry_id),
                lambda: h.host.set_name(ANA, "Bobby", student_id=BO.id)):
        with pytest.raises(NotAllowed):
            act()
    assert h.host.set_name(TEACHER, "  Bo  B ", student_id=BO.id) == "Bo B"


def test_entries_queue_one_at_a_time_with_an_honest_wait(h):
    first = h.host.submit(ANA, "gan", {"g_lr": 0.003})
    second = h.host.submit(BO, "gan", {"g_lr": 0.002})
    third = h.host.submit(CY, "gan", {"g_lr": 0.001})
    assert h.entry(first.entry_id).status is EntryStatus.RUNNING
    [bo] = h.host.places(BO.id)
    [cy] = h.host.places(CY.id)
    assert (bo.position, cy.position) == (1, 2)
    assert bo.wait_s is not None          # from the running entry's speed
    h.clock.now += 30                     # the first entry took 30 s
    h.finish(first.entry_id)
    assert h.entry(first.entry_id).status is EntryStatus.SCORED
    assert h.entry(second.entry_id).status is EntryStatus.RUNNING
    [cy] = h.host.places(CY.id)
    assert cy.position == 1 and cy.wait_s == pytest.approx(
        h.host.run_of(h.entry(second.entry_id)).snapshot().eta_s)
    h.finish(second.entry_id)
    h.finish(third.entry_id)
    board = h.host.board()
    assert [row.entry.entry_id for row in board] == [first.entry_id, second.entry_id,
                                                     third.entry_id]
    name, record = h.saved[0]
    assert name == f"challenge-{first.entry_id}" and record["samples"] == 500
    assert h.host.thumbnail(first.entry_id) == b"png"


def test_the_lecturers_demo_takes_the_slot_and_the_entry_trains_again_after_it(h):
    entry = h.host.submit(ANA, "gan", {})
    demo, _key = h.registry.start(FakeRun, owner=TEACHER)
    h.host.pump()
    assert h.entry(entry.entry_id).status is EntryStatus.QUEUED
    [place] = h.host.places(ANA.id)
    assert place.position == 1
    demo.stop()
    h.host.pump()
    assert h.entry(entry.entry_id).status is EntryStatus.RUNNING


def test_a_student_cannot_control_their_entry_so_cannot_hold_the_queue(h):
    entry = h.host.submit(ANA, "gan", {})
    assert h.registry.owner(h.entry(entry.entry_id).run_id).id != ANA.id


def test_rules_refuse_extra_entries_fixed_settings_and_late_ones(h):
    for _ in range(3):
        h.host.submit(ANA, "gan", {})
    with pytest.raises(Exception, match="used your 3"):
        h.host.submit(ANA, "gan", {})
    with pytest.raises(Exception, match="fixed"):
        h.host.submit(BO, "gan", {"optimizer": "rmsprop"})
    with pytest.raises(ConfigError):
        h.host.submit(BO, "gan", {"g_lr": 9.0})
    h.host.close(TEACHER)
    with pytest.raises(Exception, match="ended"):
        h.host.submit(BO, "gan", {})


def test_entries_submitted_before_the_bell_all_count_then_the_board_is_final(h):
    running = h.host.submit(ANA, "gan", {"g_lr": 0.001})
    waiting = h.host.submit(BO, "gan", {"g_lr": 0.003})
    h.host.close(TEACHER)
    assert not h.host.final
    h.finish(running.entry_id)
    assert not h.host.final
    h.finish(waiting.entry_id)
    assert h.host.final
    assert [row.entry.student_id for row in h.host.board()] == [BO.id, ANA.id]


def test_a_removed_entry_stops_and_no_longer_counts(h):
    entry = h.host.submit(ANA, "gan", {})
    run = h.host.run_of(h.entry(entry.entry_id))
    h.host.remove(TEACHER, entry.entry_id)
    h.host.pump()
    assert not run.alive and h.entry(entry.entry_id).status is EntryStatus.REMOVED
    assert h.host.entries_left(ANA.id) == 3


def test_names_are_unique_and_hidden_names_are_marked(h):
    h.host.set_name(ANA, "Ana")
    with pytest.raises(Exception, match="already"):
        h.host.set_name(BO, "ana")
    entry = h.host.submit(ANA, "gan", {})
    h.finish(entry.entry_id)
    h.host.hide(TEACHER, ANA.id)
    [row] = h.host.board()
    assert row.name == "Ana" and row.hidden
    assert "Ana,True" in h.host.board_csv()


def test_a_save_the_quota_refuses_leaves_the_entry_scored_with_a_note(tmp_path):
    def refuse(run, name, record):
        raise CheckpointError("your share is full")
    made = Host(tmp_path / "c", save=refuse)
    made.host.open(TEACHER, open_spec("best-digits", ends_at=2e9))
    entry = made.host.submit(ANA, "gan", {})
    made.finish(entry.entry_id)
    done = made.entry(entry.entry_id)
    assert done.status is EntryStatus.SCORED and done.model is None
    assert "share is full" in done.note
    assert made.host.board()[0].entry.entry_id == entry.entry_id
    made.registry.stop_all()


def test_a_diverged_entry_counts_but_is_off_the_board(h):
    entry = h.host.submit(ANA, "gan", {})
    run = h.host.run_of(h.entry(entry.entry_id))
    run.train(3, status=RunStatus.DIVERGED)
    h.host.pump()
    assert h.entry(entry.entry_id).status is EntryStatus.FAILED
    assert h.host.board() == [] and h.host.entries_left(ANA.id) == 2


def test_the_challenge_and_its_board_survive_a_restart(h, tmp_path):
    done = h.host.submit(ANA, "gan", {})
    h.finish(done.entry_id)
    h.host.set_name(ANA, "Ana")
    training = h.host.submit(BO, "gan", {})
    h.host.stop()
    h.registry.stop_all()
    again = Host(tmp_path / "challenge")
    try:
        assert again.host.spec == h.host.spec
        assert [r.name for r in again.host.board()] == ["Ana"]
        # the entry that was training trains again, from its start
        assert again.entry(training.entry_id).status is EntryStatus.QUEUED
        again.host.pump()
        assert again.entry(training.entry_id).status is EntryStatus.RUNNING
    finally:
        again.host.stop()
        again.registry.stop_all()


def test_a_damaged_file_is_reported_not_a_crash(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "challenge.json").write_text("{not json", encoding="utf-8")
    made = Host(folder)
    assert made.host.spec is None and "damaged" in made.host.problem
    made.host.open(TEACHER, open_spec("best-digits", ends_at=2e9))   # a new one replaces it
    assert made.host.problem is None
    assert json.loads((folder / "challenge.json").read_text())["version"] == 1
    made.registry.stop_all()


def test_on_a_cluster_every_waiting_entry_is_handed_over_at_once(tmp_path):
    made = Host(tmp_path / "c", queues=True)
    made.host.open(TEACHER, open_spec("best-digits", ends_at=2e9))
    entries = [made.host.submit(s, "gan", {}) for s in (ANA, BO, CY)]
    assert all(made.entry(e.entry_id).status is EntryStatus.RUNNING for e in entries)
    made.registry.stop_all()


def test_one_tiny_real_entry_is_scored_and_saved_with_its_score(tmp_path, tiny_dataset):
    from ganlib.training.backends import THREADS

    registry = RunRegistry(max_active=1)
    host = ChallengeHost(registry, tmp_path / "c", tick_s=0.05,
                         make_run=lambda config, owner_id: THREADS.make_run(
                             config.replace(dataset="mnist-10k"), dataset=tiny_dataset,
                             owner_id=owner_id))
    try:
        host.open(TEACHER, open_spec("best-digits", ends_at=2e9, budget_images=1000))
        entry = host.submit(ANA, "gan", {"batch_size": 100})
        wait_until(lambda: host.entries()[0].model is not None, timeout=120,
                   what="the entry to be scored and saved")
        done = host.entries()[0]
        assert done.status is EntryStatus.SCORED and done.images_seen == 1000
        info = read_info(done.model)
        assert info.owner == ANA.id
        meta = json.loads((info.path / "meta.json").read_text())
        assert meta["challenge"]["score"] == dict(done.score)
        assert host.thumbnail(entry.entry_id).startswith(b"\x89PNG")
    finally:
        host.stop()
        registry.stop_all()
