"""ganlib.server.registry: the cap on training jobs, owner keys, and a class's rules.

The registry only starts, reads and stops its jobs, so these tests give it runs that train
nothing (tests/helpers.py's FakeRun): what a run does when it trains is tests/test_runner.py's.
One test trains a tiny real run: a periodic autosave must leave a checkpoint that a tab
finds after a restart.
"""

from types import SimpleNamespace

import pytest

from ganlib.checkpoints import read_info
from ganlib.server.classroom import Classroom, NotAllowed, Role, owner_for
from ganlib.server.registry import (JobRecord, OwnRunInTheWay, RunRegistry, TooManyRuns,
                                     job_to_preempt, own_job_in_the_way)
from ganlib.training.autosave import autosave_name, find_autosave
from ganlib.training.core import Run, RunStatus
from ganlib.training.runner import TrainingRun
from tests.helpers import FakeRun, record_save, wait_until


def test_the_cap_refuses_a_run_past_the_limit_with_what_to_do():
    registry = RunRegistry(max_active=1)
    run, key = registry.start(FakeRun)
    assert isinstance(run, Run) and run.alive
    with pytest.raises(TooManyRuns, match="Stop a run"):
        registry.start(FakeRun)
    registry.remove(run.run_id)
    assert not run.alive and registry.get(run.run_id) is None
    second, _ = registry.start(FakeRun)          # room again
    second.train(step=100, status="finished")    # a run that ended frees its slot
    third, _ = registry.start(FakeRun)
    registry.stop_all()
    assert not third.alive


def test_only_the_owner_key_controls_a_run():
    registry = RunRegistry(max_active=2)
    run, key = registry.start(FakeRun)
    assert registry.get(run.run_id) is run
    assert registry.can_control(run.run_id, key)
    assert not registry.can_control(run.run_id, None)
    assert not registry.can_control(run.run_id, "guess")
    assert not registry.can_control("run-unknown", key)
    registry.stop_all()


# --- a class: owners, the teacher's preemption, the sweeper ---------------------------------

TEACHER = owner_for("t" * 64, Role.TEACHER)
STUDENT = owner_for("5" * 64, Role.STUDENT)


def class_registry(max_active=1):
    """A class's registry whose saves a FakeRun records (what it decides to save is the point)."""
    return RunRegistry(max_active=max_active, classroom=Classroom(passcode="secret"),
                       save_job=record_save)


def owned_by(owner):
    return lambda: FakeRun(owner_id=owner.stored_owner)


def test_students_start_only_while_allowed_and_within_their_limit():
    registry = class_registry(max_active=3)
    with pytest.raises(NotAllowed, match="ask the teacher"):
        registry.start(owned_by(STUDENT), owner=STUDENT)
    registry.classroom.set_student_runs(TEACHER, True)
    run, _ = registry.start(owned_by(STUDENT), owner=STUDENT)
    assert registry.owner(run.run_id) == STUDENT and registry.started_at(run.run_id)
    with pytest.raises(NotAllowed, match="limit"):
        registry.start(owned_by(STUDENT), owner=STUDENT)
    registry.stop_all()


def test_the_teachers_start_saves_and_stops_the_newest_student_run():
    registry = class_registry(max_active=2)
    registry.classroom.set_student_runs(TEACHER, True)
    other = owner_for("6" * 64, Role.STUDENT)
    older, _ = registry.start(owned_by(STUDENT), owner=STUDENT)
    newest, _ = registry.start(owned_by(other), owner=other)
    third = owner_for("7" * 64, Role.STUDENT)
    with pytest.raises(TooManyRuns):          # a student never preempts
        registry.start(owned_by(third), owner=third)
    demo, _ = registry.start(owned_by(TEACHER), owner=TEACHER)
    assert older.alive and not newest.alive and demo.alive
    assert registry.presenting == demo.run_id
    assert newest.saved == [autosave_name(newest.run_id)] and older.saved == []
    assert registry.owner(newest.run_id) == other           # still the student's run
    notice = registry.notice(newest.run_id)
    assert autosave_name(newest.run_id) in notice and "teacher's demo" in notice
    registry.stop_all()


def test_the_sweeper_saves_and_stops_a_paused_run_nobody_watches():
    registry = class_registry(max_active=2)
    run, _ = registry.start(FakeRun)
    training, _ = registry.start(FakeRun)
    run.pause()
    run.unwatched_s = training.unwatched_s = 30.0
    assert registry.sweep(stop_after_s=60) == []     # not abandoned long enough yet
    run.unwatched_s = training.unwatched_s = 90.0     # a run still training is never swept
    registry.start_sweeper(stop_after_s=60, every_s=0.05)
    wait_until(lambda: registry.notice(run.run_id) is not None, timeout=30,
               what="the sweeper to stop the abandoned run")
    assert registry.active() == [training]
    assert run.saved == [autosave_name(run.run_id)]
    assert "nobody watched" in registry.notice(run.run_id)


def test_the_sweeper_autosaves_an_active_run_periodically_and_a_gone_tab_finds_it(
        tiny_dataset, tiny_config):
    """What a kill -9 or a power cut leaves of a run in a thread: its last periodic autosave,
    under the name a tab that had the run looks for after the restart (ui.state)."""
    registry = RunRegistry(max_active=1, autosave_every_s=0.2)
    run, _ = registry.start(lambda: TrainingRun(tiny_config("gan", steps=None),
                                                dataset=tiny_dataset))
    registry.start_sweeper(stop_after_s=3600, every_s=0.05)
    steps = []

    def saved_twice() -> bool:
        if (saved := find_autosave(run.run_id)) is not None:
            steps.append(saved.step)
        return len(set(steps)) >= 2

    wait_until(saved_twice, what="a second periodic autosave", every_s=0.05)
    assert len(set(steps)) >= 2 and steps == sorted(steps) and steps[0] >= 1, steps
    snap = run.snapshot(watch=False)
    assert snap.status == RunStatus.RUNNING and snap.saved_as is None   # it trains on, unnamed
    assert read_info(f"autosave-{run.run_id}").owner is None
    registry.stop_all()


def test_only_the_teacher_preempts_and_only_the_newest_student_job():
    def record(name, owner):
        return JobRecord(SimpleNamespace(run_id=name), key=name, started_at=0.0, owner=owner)

    other = owner_for("6" * 64, Role.STUDENT)
    solo = owner_for("0" * 64, Role.SOLO)
    active = [record("old-student", STUDENT), record("teacher", TEACHER),
              record("new-student", other), record("outside-a-class", None)]
    assert job_to_preempt(TEACHER, active).job.run_id == "new-student"
    assert job_to_preempt(TEACHER, active[:2]).job.run_id == "old-student"
    assert job_to_preempt(TEACHER, [active[1], active[3]]) is None   # no student job to take
    for starter in (STUDENT, solo, None):
        assert job_to_preempt(starter, active) is None             # nobody else preempts


# --- the teacher's own run in the way; what a refused student reads; the notice's timing ----

def test_the_teachers_second_start_offers_to_stop_and_save_their_own_run():
    """Finding 1 of the lesson: on one slot the teacher's WGAN after the GAN demo was
    refused; now the refusal names their run, and accepting it saves, stops and starts."""
    registry = class_registry()
    demo, _ = registry.start(FakeRun, owner=TEACHER)
    with pytest.raises(OwnRunInTheWay) as refused:
        registry.start(FakeRun, owner=TEACHER)
    assert refused.value.run_id == demo.run_id and demo.run_id in refused.value.label
    assert "GAN_CLASSROOM" not in str(refused.value)
    assert demo.snapshot(watch=False).active and demo.saved == []     # nothing stopped yet
    second, _ = registry.start(FakeRun, owner=TEACHER, replace=demo.run_id)
    assert not demo.alive and second.snapshot(watch=False).active
    assert registry.presenting == second.run_id
    assert demo.saved == [autosave_name(demo.run_id)]
    assert "next run" in registry.notice(demo.run_id)


def test_a_student_refused_for_the_lecturers_demo_is_told_when_to_try_again():
    registry = class_registry()
    registry.classroom.set_student_runs(TEACHER, True)
    demo, _ = registry.start(FakeRun, owner=TEACHER)
    demo.train(step=10)                 # 10 of 100 steps at 10 steps/s (tests/helpers.py)
    with pytest.raises(TooManyRuns) as refused:
        registry.start(FakeRun, owner=STUDENT)
    assert not isinstance(refused.value, OwnRunInTheWay)
    text = str(refused.value)
    assert "lecturer's demonstration" in text and "try again when it ends, in " in text
    assert "GAN_CLASSROOM" not in text and "MAX_RUNS" not in text
    demo.pause()
    with pytest.raises(TooManyRuns, match="when the lecturer stops it"):   # no end in sight
        registry.start(FakeRun, owner=STUDENT)


def test_a_preempted_run_has_its_notice_when_it_stops():
    """Finding 4: the owner's page redraws when the run's status changes, so the notice
    saying where the run was saved must be there by then, not a save later."""
    registry = class_registry()
    registry.classroom.set_student_runs(TEACHER, True)
    student_run, _ = registry.start(FakeRun, owner=STUDENT)
    stop, seen = student_run.stop, []
    student_run.stop = lambda timeout=30.0: (seen.append(registry.notice(student_run.run_id)),
                                             stop(timeout))
    registry.start(FakeRun, owner=TEACHER)
    assert seen and seen[0] and f"autosave-{student_run.run_id}" in seen[0]
    assert student_run.saved == [autosave_name(student_run.run_id)]


def test_only_the_teacher_or_the_lone_user_may_give_up_their_own_oldest_job():
    def record(name, owner):
        return JobRecord(SimpleNamespace(run_id=name), key=name, started_at=0.0, owner=owner)

    solo = owner_for("0" * 64, Role.SOLO)
    active = [record("student", STUDENT), record("outside", None), record("demo", TEACHER),
              record("later-demo", TEACHER)]
    assert own_job_in_the_way(TEACHER, active).job.run_id == "demo"       # the oldest
    assert own_job_in_the_way(STUDENT, active) is None
    assert own_job_in_the_way(None, active) is None
    assert own_job_in_the_way(solo, active) is None                       # not theirs
    assert own_job_in_the_way(solo, [record("mine", solo)]).job.run_id == "mine"
    other_browser = owner_for("1" * 64, Role.SOLO)                       # a watch link's tab
    assert own_job_in_the_way(other_browser, [record("mine", solo)]) is None
    other_teacher = owner_for("2" * 64, Role.TEACHER)                    # the teacher's phone
    assert own_job_in_the_way(other_teacher, active).job.run_id == "demo"
