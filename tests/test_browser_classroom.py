"""Classroom mode in a real headless Chromium: a teacher and a student, each in their own
browser context (their own cookies), on one server started with a teacher passcode.

The server and its models folder are this module's own (a fresh copy of the demo models);
its tests follow one class through the day, in order. Screenshots go to
test-artifacts/screenshots/classroom-*.png.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import (NEEDS_CHROMIUM, TEACHER_PASSCODE, click_and_rerun, demo_app,
                           new_tab, shoot, sign_in_as_teacher, wait_until)

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

DEMO = "gan-quick-demo"
GRID = "[data-testid='stImage'] img"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(its URL, its models folder)."""
    with demo_app(tmp_path_factory.mktemp("classroom"),
                  GAN_CLASSROOM_TEACHER_PASSCODE=TEACHER_PASSCODE, GAN_CLASSROOM_MAX_RUNS="1",
                  GAN_CLASSROOM_IDLE_PAUSE_S="4", GAN_CLASSROOM_IDLE_STOP_S="2") as app:
        yield app.url, app.checkpoints


@pytest.fixture(scope="module")
def teacher(browser, server):
    page = new_tab(browser)
    sign_in_as_teacher(page, server[0])
    return page


@pytest.fixture(scope="module")
def student(browser, server):
    page = new_tab(browser)
    page.goto(server[0])
    page.get_by_text(re.compile("You are Student")).wait_for()
    return page


def test_a_student_cannot_manage_the_shipped_models_the_teacher_can(teacher, student, server):
    teacher.goto(f"{server[0]}/models")
    teacher.get_by_role("heading", name=DEMO, exact=True).wait_for()
    teacher.get_by_role("button", name="Delete").first.wait_for(timeout=10_000)
    assert teacher.get_by_role("button", name="Delete").count() >= 1
    student.goto(f"{server[0]}/models")
    student.get_by_role("heading", name=DEMO, exact=True).wait_for()
    student.get_by_text("Only the teacher can rename or delete this model.").first.wait_for()
    assert student.get_by_role("button", name="Delete").count() == 0
    assert student.get_by_role("button", name="Rename").count() == 0
    assert (server[1] / DEMO).is_dir()


def test_a_follower_sees_the_teachers_run_without_controls_even_with_a_crafted_key(
        teacher, student, server):
    student.goto(f"{server[0]}/train?follow=teacher")
    student.get_by_text("Following the teacher").wait_for()
    teacher.goto(server[0])
    teacher.get_by_role("button", name=re.compile("Train the GAN article")).click()
    teacher.get_by_role("button", name="Stop").wait_for()
    assert "key=" not in teacher.url
    run_id = re.search(r"run=(run-[0-9a-f]+)", teacher.url).group(1)
    # The follower switches without reloading.
    student.get_by_text(re.compile("Read-only")).wait_for()
    assert run_id in student.url
    assert student.get_by_role("button", name="Stop").count() == 0
    shoot(student, "classroom-student-train")
    student.goto(f"{server[0]}/train?run={run_id}&key=guessed")      # a crafted URL
    student.get_by_text(re.compile("Read-only")).wait_for()
    assert student.get_by_role("button", name="Stop").count() == 0
    # The student is not allowed to start while student runs are off.
    assert student.get_by_text("Student runs are off").count() >= 1
    teacher.goto(f"{server[0]}/runs")
    teacher.get_by_role("button", name="Stop").first.wait_for()
    shoot(teacher, "classroom-teacher-runs")
    student.goto(f"{server[0]}/runs")
    student.get_by_text(run_id).first.wait_for()
    assert student.get_by_role("button", name="Stop").count() == 0
    click_and_rerun(teacher, teacher.get_by_role("button", name="Stop").first)
    assert teacher.get_by_role("button", name="Stop").count() == 0      # nothing left training


def test_the_teachers_start_saves_and_stops_a_students_run_then_an_abandoned_run_is_saved(
        teacher, student, server):
    teacher.goto(f"{server[0]}/runs")
    click_and_rerun(teacher, teacher.get_by_text("Allow student runs"))
    student.goto(server[0])
    student.get_by_role("button", name=re.compile("Train the WGAN article")).click()
    student.get_by_role("button", name="Stop").wait_for()       # their own run: controls
    student_run = re.search(r"run=(run-[0-9a-f]+)", student.url).group(1)
    # Once its networks are built it draws its first samples: only then is there something
    # to save when the teacher's run takes its place.
    student.locator(GRID).first.wait_for()
    teacher.goto(server[0])
    teacher.get_by_role("button", name=re.compile("Train the GAN article")).click()
    teacher.get_by_role("button", name="Stop").wait_for()
    # The student's own page says at once (no reload) where their run went.
    student.get_by_text(f"Your run was saved as autosave-{student_run}").wait_for()
    assert (server[1] / f"autosave-{student_run}").is_dir()
    assert student.get_by_text("Stopped by the user").count() == 0
    # The teacher leaves the run: it pauses, then is saved and stopped (short test times).
    teacher_run = re.search(r"run=(run-[0-9a-f]+)", teacher.url).group(1)
    teacher.goto(f"{server[0]}/models")
    wait_until(lambda: (server[1] / f"autosave-{teacher_run}").is_dir(), timeout=120,
               what="the abandoned run's autosave")
