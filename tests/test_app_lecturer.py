"""The lesson as a lecturer runs it (AppTest): one slot on a 2-core laptop, a teacher who
shows a run, then another, then a comparison, and a class that follows along.

Each test is one finding of that lesson: the teacher blocked by their own run (1), followers
left behind by a comparison (2), a preempted student not told why (4), a phone's timeline
slider stuck at step 0 (5), and the small things of the Runs, Compare and Models pages (6).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ganlib.checkpoints import checkpoint_root, save_checkpoint
from ganlib.config import make_config
from ganlib.gans import build_gan
from ganlib.server.classroom import Role, owner_for
from ganlib.training.compare import Comparison
from ganlib.server.shared import release_all
from ganlib.training.core import RunStatus
from ganlib.training.runner import TrainingRun
from tests.test_app_classroom import PASSCODE, PASSCODE_ENV, TEACHER
from ui import roles, state
from ui.text import plain
from ui.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def one_slot_classroom(monkeypatch):
    """A class on a 2-core laptop: a teacher passcode, one run at a time, short comparisons."""
    monkeypatch.setenv(PASSCODE_ENV, PASSCODE)
    monkeypatch.setenv("GAN_CLASSROOM_MAX_RUNS", "1")
    monkeypatch.setenv("GAN_CLASSROOM_COMPARE_TIME_SCALE", "0.05")
    release_all()
    st.cache_resource.clear()
    yield
    release_all()                      # stops every run a test started
    st.cache_resource.clear()


def texts(at: AppTest) -> str:
    """Everything the page says, in one string."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
    return "\n".join(str(element.value) for kind in kinds for element in at.get(kind))


def as_teacher(open_app, page=None) -> AppTest:
    teacher = open_app(session={roles.BROWSER: TEACHER.id})
    roles.classroom().sign_in(TEACHER.id, PASSCODE)
    teacher.switch_page((page or PAGES.home).path).run()
    return teacher


def tiny_run(tiny_config, tiny_dataset, owner, algorithm="gan", **options):
    return lambda: TrainingRun(tiny_config(algorithm, steps=None), dataset=tiny_dataset,
                               owner_id=owner.stored_owner, **options)


def tiny_comparison(tiny_config, budget_s=30.0):
    configs = [tiny_config(algorithm, steps=None) for algorithm in ("gan", "wgan", "wgan-gp")]
    return lambda: Comparison(configs, budget_s=budget_s, mode="sequential", n_eval_samples=50)


def page_title(at: AppTest) -> str:
    return at.title[0].value if at.title else ""


# --- 1. the teacher is never blocked by their own run -----------------------------------------

def test_the_teachers_next_demo_and_comparison_stop_and_save_their_run_in_one_click(
        tiny_config, tiny_dataset, open_app):
    first, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER),
                                      owner=TEACHER)
    first.wait_for(lambda s: s.samples is not None, timeout=60)
    teacher = as_teacher(open_app)
    teacher.button(key="demo-wgan").click().run()             # the WGAN after the GAN demo
    assert "one of them is yours" in texts(teacher)
    assert "GAN_CLASSROOM" not in texts(teacher)
    offer = teacher.button(key="demo-wgan-make-room")
    assert offer.label.startswith("Stop and save") and first.run_id in offer.label
    assert first.snapshot(watch=False).active                  # nothing stopped before the click
    offer.click().run()
    assert page_title(teacher) == "Train"
    wgan = state.registry().get(teacher.session_state[state.RUN])
    assert wgan.config.algorithm == "wgan" and wgan.snapshot(watch=False).active
    assert not first.snapshot(watch=False).active
    assert (checkpoint_root() / f"autosave-{first.run_id}").is_dir()

    # Then Compare: the same offer, for the WGAN now.
    wgan.wait_for(lambda s: s.samples is not None, timeout=120)
    teacher.switch_page(PAGES.compare.path).run()
    [b for b in teacher.button if b.label == "Start comparison"][0].click().run()
    teacher.button(key="compare-start-make-room").click().run()
    comparison = state.registry().get(teacher.session_state[state.COMPARISON])
    assert isinstance(comparison, Comparison)
    assert state.registry().presenting == comparison.run_id
    assert not wgan.snapshot(watch=False).active
    assert (checkpoint_root() / f"autosave-{wgan.run_id}").is_dir()


def test_a_refused_student_reads_a_plain_sentence_with_when_to_try_again(
        tiny_config, tiny_dataset, open_app):
    demo, _ = state.registry().start(
        lambda: TrainingRun(tiny_config("gan", steps=100_000), dataset=tiny_dataset),
        owner=TEACHER)
    demo.wait_for(lambda s: s.status == RunStatus.RUNNING and s.steps_per_s > 0, timeout=60)
    roles.classroom().allow_student_runs = True
    student = open_app(PAGES.home)
    student.button(key="demo-gan").click().run()
    said = " ".join(e.value for e in student.error)
    assert "busy with the lecturer's demonstration; try again when it ends, in" in said
    assert "GAN_CLASSROOM" not in texts(student)
    assert not [b for b in student.button if b.key and b.key.endswith("make-room")]


# --- 2. followers follow a comparison, and back -------------------------------------------------

def test_followers_follow_the_teachers_comparison_with_its_grids_and_back_to_a_run(
        tiny_config, tiny_dataset, open_app):
    run, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER), paused=True,
                                    owner=TEACHER)
    student = open_app(PAGES.train, query={"follow": "teacher"})
    assert student.session_state[state.RUN] == run.run_id
    comparison, _ = state.registry().start(tiny_comparison(tiny_config), owner=TEACHER,
                                           replace=run.run_id)
    assert state.registry().presenting == comparison.run_id
    student.run()                          # the rerun the live grid asks for on the change
    assert page_title(student) == "Compare GAN vs WGAN"
    assert student.session_state[state.COMPARISON] == comparison.run_id
    # Its three grids come from the live feed, each with the comparison's run; the ones
    # whose turn has not come say so.
    grids = [e.proto for e in student.get("bidi_component")
             if e.proto.component_name.endswith("live_grid")]
    watched = [json.loads(grid.json)["run"] for grid in grids]
    assert watched == [r.run_id for r in comparison.runs]
    assert all(json.loads(grid.json)["follow"] for grid in grids)
    waiting = [i.value for i in student.info if "waits for its turn" in i.value]
    assert len(waiting) == 2 and waiting[0].startswith("WGAN")
    assert not [b for b in student.button if b.label == "Stop comparison"]
    assert student.dataframe, "the table of final numbers, live"

    # The teacher shows a run again: the follower goes back to Train, on that run.
    again, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER),
                                      paused=True, owner=TEACHER, replace=comparison.run_id)
    student.run()
    assert page_title(student) == "Train"
    assert student.session_state[state.RUN] == again.run_id


def test_the_teacher_shows_a_comparison_to_the_class_from_the_runs_page(
        tiny_config, tiny_dataset, open_app):
    state.registry().max_active = 2
    comparison, _ = state.registry().start(tiny_comparison(tiny_config), owner=TEACHER)
    run, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER), paused=True,
                                    owner=TEACHER)
    assert state.registry().presenting == run.run_id
    teacher = as_teacher(open_app, PAGES.runs)
    show = teacher.button(key=f"runs-present-{comparison.run_id}")
    assert show.label == "Show this comparison to the class"
    show.click().run()
    assert state.registry().presenting == comparison.run_id


# --- 4. a preempted student reads at once, on their own page, where their run went --------------

def test_a_preempted_student_reads_where_their_run_was_saved_and_only_they_do(
        tiny_config, tiny_dataset, open_app):
    roles.classroom().allow_student_runs = True
    student = open_app(PAGES.train)
    pupil = roles.classroom().owner(student.session_state[roles.BROWSER])
    theirs, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, pupil), owner=pupil)
    theirs.wait_for(lambda s: s.samples is not None, timeout=60)
    student = open_app(PAGES.train, query={"run": theirs.run_id},
                       session={roles.BROWSER: pupil.id})
    assert student.button(key="train-stop")                  # their own run: the controls
    state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER), owner=TEACHER)
    student.run()
    notice = " ".join(w.value for w in student.warning)
    assert f"Your run was saved as autosave-{theirs.run_id}" in notice
    assert "Models page" in notice
    assert not [i for i in student.info if "Stopped by the user" in i.value]
    # On the Runs page: their own row says it; another student's page does not.
    student.switch_page(PAGES.runs.path).run()
    assert f"autosave-{theirs.run_id}" in texts(student)
    other = open_app(PAGES.runs)
    assert theirs.run_id in texts(other) and f"autosave-{theirs.run_id}" not in texts(other)


def test_the_teachers_stop_of_a_students_run_saves_it_and_tells_the_student(
        tiny_config, tiny_dataset, open_app):
    roles.classroom().allow_student_runs = True
    pupil = owner_for("5" * 64, Role.STUDENT)
    theirs, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, pupil), owner=pupil)
    theirs.wait_for(lambda s: s.samples is not None, timeout=60)
    teacher = as_teacher(open_app, PAGES.runs)
    teacher.button(key=f"runs-stop-{theirs.run_id}").click().run()
    assert not theirs.snapshot(watch=False).active
    assert (checkpoint_root() / f"autosave-{theirs.run_id}").is_dir()
    assert "by the teacher" in state.registry().notice(theirs.run_id)


# --- 5. a watcher's timeline slider follows the newest grid -------------------------------------

def test_a_watchers_timeline_slider_stands_at_the_newest_step_until_moved(
        tiny_config, tiny_dataset, open_app):
    run, _ = state.registry().start(
        tiny_run(tiny_config, tiny_dataset, TEACHER, sample_every_s=0.01), owner=TEACHER)
    run.wait_for(lambda s: len(s.timeline) >= 3, timeout=60)
    phone = open_app(PAGES.train, query={"follow": "teacher"})
    slider = phone.slider(key=f"train-scrub-{run.run_id}")
    assert slider.value == slider.max > slider.min     # the newest grid, not step 0
    run.pause()
    run.wait_for(lambda s: s.status == RunStatus.PAUSED, timeout=30)
    phone.run()
    newest = run.snapshot(watch=False).timeline[-1][0]
    assert phone.slider(key=f"train-scrub-{run.run_id}").value == newest
    phone.slider(key=f"train-scrub-{run.run_id}").set_value(0).run()     # moved back: stays
    phone.run()
    assert phone.slider(key=f"train-scrub-{run.run_id}").value == 0


# --- 6. the small things ----------------------------------------------------------------------

def test_no_page_writes_a_bare_expression_the_way_a_none_title_appeared():
    """Streamlit writes the value of every bare expression in a page (its "magic"): a
    conditional expression used as a statement put a literal "None" at the top of the Runs
    page after Pause."""
    for script in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.IfExp):
                raise AssertionError(f"{script.name}:{node.lineno} writes its value")


def test_the_runs_page_confirms_a_save_and_never_shows_none(tiny_config, tiny_dataset,
                                                            open_app):
    run, _ = state.registry().start(tiny_run(tiny_config, tiny_dataset, TEACHER),
                                    owner=TEACHER)
    run.wait_for(lambda s: s.samples is not None, timeout=60)
    teacher = as_teacher(open_app, PAGES.runs)
    teacher.button(key=f"runs-pause-{run.run_id}").click().run()
    assert not [m for m in teacher.markdown if m.value.strip("`") == "None"]
    teacher.button(key=f"runs-save-{run.run_id}").click().run()
    # In the browser the button redraws only the list (a fragment, refreshed every 2 s): the
    # confirmation is drawn there, and stays for a few of its refreshes.
    teacher.run()
    assert f"as {plain(f'autosave-{run.run_id}')}" in " ".join(s.value for s in teacher.success)


def save_model(name, owner=None, quality=None):
    config = make_config("gan", "quick", batch_size=8, steps=1)
    model = build_gan(config)
    save_checkpoint(name, generator=model.generator, critic=model.discriminator, config=config,
                    step=1, history={"step": np.array([1.0])}, owner=owner, quality=quality)


def test_the_models_page_shows_owner_and_quality_and_sorts_by_quality(open_app):
    student = open_app(PAGES.models)
    me = student.session_state[roles.BROWSER]
    save_model("teachers-fair", quality={"classes_covered": 8, "classes_present": 10,
                                         "fd_ratio": 4.0})
    save_model("students-best", owner=me, quality={"classes_covered": 10, "classes_present": 10,
                                                   "fd_ratio": 2.5})
    save_model("never-measured", owner="a" * 64)
    student.run()
    said = texts(student)
    assert str(checkpoint_root()) not in said                # a student gets no server path
    assert "Saved by: Teacher" in said and f"Student {me[:4]} (you)" in said
    assert "Saved by: Student aaaa" in said
    assert "10/10 classes · FD 2.5× real" in said and "Quality: —" in said
    student.selectbox(key="models-sort").set_value("Best quality first").run()
    shown = {plain(name): name for name in ("teachers-fair", "students-best", "never-measured")}
    names = [shown[s.value] for s in student.subheader if s.value in shown]
    assert names == ["students-best", "teachers-fair", "never-measured"]

    teacher = as_teacher(open_app, PAGES.models)
    assert str(checkpoint_root()) in texts(teacher)
    teacher.button(key="models-measure-never-measured").click().run()
    assert "Quality: —" not in texts(teacher)
