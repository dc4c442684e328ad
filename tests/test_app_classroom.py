"""Classroom mode in the app (AppTest): the teacher's sign-in, and what students may not do,
refused on the server even when a request is crafted (URL key, session state)."""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlib.checkpoints import (checkpoint_root, list_checkpoints, save_checkpoint,
                                student_share, usage)
from ganlib.config import make_config
from ganlib.gans import build_gan
from ganlib import settings
from ganlib.server.classroom import Role, owner_for
from ganlib.server.shared import release_all
from ganlib.training.runner import TrainingRun
from ganlib.units import format_size
from ui import roles, state
from ui.pages import PAGES
from tests.helpers import FakeRun
from tests.test_app_train import live_grid

PASSCODE_ENV = "GAN_CLASSROOM_TEACHER_PASSCODE"
PASSCODE = "correct horse"
NAME = "teachers-gan"
TEACHER = owner_for("t" * 64, Role.TEACHER)


@pytest.fixture(autouse=True)
def classroom(monkeypatch):
    """A server started with a teacher passcode; caches empty around each test."""
    monkeypatch.setenv(PASSCODE_ENV, PASSCODE)
    release_all()
    st.cache_resource.clear()
    yield
    release_all()                      # stops every run a test started
    st.cache_resource.clear()


def save_model(name: str, owner: str | None = None) -> None:
    config = make_config("gan", "quick", batch_size=8, steps=1)
    model = build_gan(config)
    save_checkpoint(name, generator=model.generator, critic=model.discriminator, config=config,
                    step=1, history={"step": np.array([1.0])}, owner=owner)


def sign_in_form() -> None:
    """The sidebar alone: AppTest reruns only the page after its first run, not app.py."""
    from ui import roles

    roles.sidebar()


def sign_in(at, passcode: str):
    at.text_input(key="teacher-passcode").input(passcode)
    at.button[[b.label for b in at.button].index("Sign in")].click().run()
    return at


def test_wrong_passcodes_are_refused_then_slowed_and_the_right_one_makes_a_teacher():
    clock = [1000.0]
    roles.classroom().clock = lambda: clock[0]  # the test decides when a second has passed
    at = AppTest.from_function(sign_in_form, default_timeout=30)
    at.run()
    assert any("You are Student" in c.value for c in at.caption)
    for _ in range(3):
        sign_in(at, "guess")
    assert "not the teacher passcode" in at.error[0].value
    sign_in(at, PASSCODE)                       # locked for a second after three misses
    assert "try again in 1 s" in at.error[0].value
    assert roles.classroom().role(at.session_state[roles.BROWSER]) is Role.STUDENT
    clock[0] += 1                               # the lock has run out
    sign_in(at, PASSCODE)
    assert any("Signed in as the teacher" in c.value for c in at.caption)
    assert PASSCODE not in str(dict(at.query_params))


def test_a_student_cannot_rename_or_delete_the_teachers_model_even_by_session_state(open_app):
    save_model(NAME)
    at = open_app(PAGES.models)
    assert not [b for b in at.button if b.key in (f"models-delete-{NAME}",
                                                   f"models-rename-{NAME}")]
    assert any("Only the teacher" in c.value for c in at.caption)
    at.session_state["models-confirm-delete"] = NAME      # a crafted "confirm delete"
    at.run()
    assert not [b for b in at.button if b.key == f"models-confirm-{NAME}"]
    assert (checkpoint_root() / NAME).is_dir()


def test_a_student_manages_their_own_models_and_the_teacher_everything(open_app):
    student = open_app(PAGES.models)
    mine = "students-gan"
    save_model(mine, owner=student.session_state[roles.BROWSER])
    save_model(NAME)
    student.run()
    assert student.button(key=f"models-delete-{mine}")
    assert not [b for b in student.button if b.key == f"models-delete-{NAME}"]
    student.button(key=f"models-delete-{mine}").click().run()
    student.button(key=f"models-confirm-{mine}").click().run()
    assert [info.name for info in list_checkpoints()[0]] == [NAME]

    teacher = open_app(session={roles.BROWSER: TEACHER.id})
    roles.classroom().sign_in(TEACHER.id, PASSCODE)
    teacher.switch_page(PAGES.models.path).run()
    assert teacher.button(key=f"models-delete-{NAME}")


def test_a_student_cannot_control_the_teachers_run_even_with_its_key(open_app):
    run, key = state.registry().start(FakeRun, paused=True, owner=TEACHER)
    student = open_app(PAGES.train, query={"run": run.run_id, "key": key})
    assert any("Read-only" in c.value for c in student.caption)
    assert not [b for b in student.button if b.key in ("train-pause", "train-resume",
                                                         "train-stop", "train-save")]
    assert "key" not in student.query_params
    assert run.snapshot(watch=False).status in ("created", "paused")     # untouched


def test_students_get_no_start_form_while_student_runs_are_off(open_app):
    at = open_app(PAGES.train)
    assert any("Student runs are off" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "train-start"]
    roles.classroom().allow_student_runs = True
    at.run()
    assert at.button(key="train-start")


def test_the_runs_panel_gives_the_teacher_every_control_and_a_student_only_their_own(open_app):
    student = open_app(PAGES.runs)
    pupil = roles.classroom().owner(student.session_state[roles.BROWSER])
    roles.classroom().allow_student_runs = True
    state.registry().max_active = 2
    theirs, _ = state.registry().start(FakeRun, paused=True, owner=TEACHER)
    mine, _ = state.registry().start(FakeRun, paused=True, owner=pupil)
    student.run()
    keys = {b.key for b in student.button}
    assert f"runs-stop-{mine.run_id}" in keys and f"runs-stop-{theirs.run_id}" not in keys
    assert not [t for t in student.toggle if t.key == "runs-allow-students"]

    teacher = open_app(session={roles.BROWSER: TEACHER.id})
    roles.classroom().sign_in(TEACHER.id, PASSCODE)
    teacher.switch_page(PAGES.runs.path).run()
    teacher.toggle(key="runs-allow-students").set_value(False).run()
    assert not roles.classroom().allow_student_runs
    teacher.button(key=f"runs-stop-{mine.run_id}").click().run()
    assert not mine.snapshot(watch=False).active
    assert theirs.snapshot(watch=False).active


def test_a_follower_switches_to_the_teachers_next_run_without_reloading(open_app):
    state.registry().max_active = 2
    student = open_app(PAGES.train, query={"follow": "teacher"})
    # Before the teacher's first run the browser polls the classroom's document: the
    # component asks for a rerun once it names a job.
    assert live_grid(student)["feed"].endswith("/classroom.json")
    assert (live_grid(student)["run"], live_grid(student)["presenting"]) == (None, None)
    first, _ = state.registry().start(FakeRun, paused=True, owner=TEACHER)
    student.run()                      # the rerun the component asks for
    assert student.session_state[state.RUN] == first.run_id
    grid = live_grid(student)
    assert (grid["run"], grid["follow"], grid["presenting"]) == (first.run_id, True,
                                                                  first.run_id)
    second, _ = state.registry().start(FakeRun, paused=True, owner=TEACHER)
    assert state.registry().presenting == second.run_id
    student.run()                      # the rerun the component asks for on the change
    assert student.session_state[state.RUN] == second.run_id
    assert student.query_params["run"] == second.run_id


def test_students_cannot_name_a_file_on_the_server_as_data(open_app, monkeypatch):
    at = open_app(PAGES.train)
    roles.classroom().allow_student_runs = True
    at.run()
    assert "other" not in at.selectbox(key="train-dataset").options
    from ganlib.server.classroom import NotAllowed
    monkeypatch.setattr(roles, "current_owner", lambda: owner_for("5" * 64, Role.STUDENT))
    with pytest.raises(NotAllowed, match="Only the teacher"):
        state.start_run(make_config("gan", "quick", dataset="/usr/share"))


def test_a_student_who_opens_the_app_lands_on_the_teachers_run_once(open_app):
    run, _ = state.registry().start(FakeRun, paused=True, owner=TEACHER)
    student = open_app()                         # the app's address, Home
    assert student.session_state[state.RUN] == run.run_id
    assert student.query_params["run"] == run.run_id
    assert any("Read-only" in c.value for c in student.caption)       # the Train page, watching
    student.switch_page(PAGES.home.path).run()   # back to Home later: it stays there
    assert not student.exception
    assert [s.value for s in student.subheader][:1] == ["Start a demo"]


def test_without_a_teachers_run_a_student_stays_on_home_with_a_follow_link(open_app):
    student = open_app()
    assert state.RUN not in student.session_state
    assert [s.value for s in student.subheader][:1] == ["Start a demo"]
    links = {link.proto.label: link.proto for link in student.get("page_link")}
    link = links["Follow the teacher's run"]
    assert (link.page, link.query_string) == ("train", "follow=teacher")


def test_the_teacher_and_a_lone_user_get_no_follow_link(open_app, monkeypatch):
    teacher = open_app(session={roles.BROWSER: TEACHER.id})
    roles.classroom().sign_in(TEACHER.id, PASSCODE)
    teacher.run()
    assert "Follow the teacher's run" not in {link.proto.label for link in teacher.get("page_link")}
    monkeypatch.delenv(PASSCODE_ENV)             # a server without a passcode: single-user
    settings.reset()
    release_all()
    st.cache_resource.clear()
    alone = open_app()
    assert "Follow the teacher's run" not in {link.proto.label for link in alone.get("page_link")}


def test_clearing_streamlits_caches_leaves_the_classroom_as_it_was(tiny_dataset, tiny_config):
    """Any client can clear every Streamlit cache with one websocket message: the class's
    state is the process's (ganlib.server.shared), not a cache. tests/test_crafted_messages.py
    sends that message to a real server."""
    from ui import live_view

    room, runs = roles.classroom(), state.registry()
    feed, backend = live_view.feed(), state.backend()
    room.sign_in(TEACHER.id, PASSCODE)
    room.allow_student_runs = True
    assert not room.sign_in("guesser", "wrong")
    run, _ = runs.start(lambda: TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset),
                        paused=True, owner=TEACHER)
    st.cache_resource.clear()
    st.cache_data.clear()
    assert roles.classroom() is room and state.registry() is runs
    assert live_view.feed() is feed and state.backend() is backend
    assert room.role(TEACHER.id) is Role.TEACHER and room.allow_student_runs
    assert room._failures["guesser"].count == 1
    assert runs.get(run.run_id) is run and run.snapshot(watch=False).active


def test_a_student_sees_what_they_use_of_their_share_and_no_server_path(open_app):
    """The Models page tells a student the room they have; a broken folder is named, never
    located on the server, and only the teacher may delete it."""
    student = open_app(PAGES.models)
    mine = student.session_state[roles.BROWSER]
    save_model("students-gan", owner=mine)
    (checkpoint_root() / "broken").mkdir()
    student.run()
    used = format_size(usage(mine))
    assert f"Your models use {used} of your {format_size(student_share())}" in \
        " ".join(c.value for c in student.caption)
    texts = " ".join(e.value for kind in ("markdown", "caption", "warning")
                     for e in student.get(kind))
    assert "broken" in texts and str(checkpoint_root()) not in texts
    assert not [b for b in student.button if b.key == "models-delete-broken-broken"]

    teacher = open_app(session={roles.BROWSER: TEACHER.id})
    roles.classroom().sign_in(TEACHER.id, PASSCODE)
    teacher.switch_page(PAGES.models.path).run()
    assert any("of their quota of" in c.value for c in teacher.caption)
    teacher.button(key="models-delete-broken-broken").click().run()
    assert not (checkpoint_root() / "broken").exists()
