"""ganlib.server.registry: the cap on training jobs, owner keys, and a class's rules.

The registry only starts, reads and stops its jobs, so these tests give it runs that train
nothing (tests/helpers.py's FakeRun): what a run does when it trains is tests/test_runner.py's.
"""

import pytest

from ganlib.server.classroom import Classroom, NotAllowed, Role, owner_for
from ganlib.server.registry import RunRegistry, TooManyRuns
from ganlib.training.autosave import autosave, autosave_name
from ganlib.training.core import Run
from tests.helpers import FakeRun, wait_until


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
    """A class's registry that autosaves as the app's does (a FakeRun records its saves)."""
    return RunRegistry(max_active=max_active, classroom=Classroom(passcode="secret"),
                       save_job=autosave)


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
    registry.stop_all()
