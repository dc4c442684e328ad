"""The Class challenge page (AppTest): the lecturer's rights, a student's entry form and its
limits, names shown as text, the empty board, ties, hidden names and presenter view."""

from __future__ import annotations

import pytest
import streamlit as st

from ganlib.challenge import (ChallengeState, Entry, EntryStatus, load_state, open_spec,
                              save_state)
from ganlib.checkpoints import checkpoint_root
from ganlib.server.shared import release_all
from ui import challenge, roles
from ui.pages import PAGES
from ui.roles import BROWSER

PASSCODE_ENV = "GAN_CLASSROOM_TEACHER_PASSCODE"
LECTURER, ANA, BO = "t" * 64, "a" * 64, "b" * 64


@pytest.fixture(autouse=True)
def classroom(monkeypatch):
    monkeypatch.setenv(PASSCODE_ENV, "pw")
    release_all()
    st.cache_resource.clear()
    yield
    release_all()
    st.cache_resource.clear()


def as_(open_app, browser, query=None):
    if browser == LECTURER:
        roles.classroom()._teachers.add(LECTURER)
    return open_app(PAGES.challenge, session={BROWSER: browser}, query=query)


def scored(n, student, classes, fd, finished):
    return Entry(f"e{n}", student, "gan", {"g_lr": 0.003}, submitted_at=n,
                 status=EntryStatus.SCORED, finished_at=finished, images_seen=1000,
                 score={"classes_covered": classes, "classes_present": 10, "fd_ratio": fd})


def prepare(entries=(), names=None, hidden=(), **spec):
    """A challenge already on disk, as a restarted server finds it."""
    state = ChallengeState(open_spec("best-digits", ends_at=2e9, **spec), list(entries),
                           dict(names or {}), set(hidden))
    save_state(checkpoint_root() / challenge.FOLDER / "challenge.json", state)


def texts(at):
    return " ".join(str(e.value) for e in [*at.markdown, *at.info, *at.caption, *at.error,
                                            *at.success])


def test_a_student_neither_opens_nor_closes_and_waits_for_the_lecturer(open_app):
    at = as_(open_app, ANA)
    assert "There is no challenge now" in texts(at)
    assert not [b for b in at.button if "Open the challenge" in b.label]
    prepare()
    release_all()
    at = as_(open_app, ANA)
    assert not [b for b in at.button if "bell" in b.label]
    assert [b for b in at.button if b.label == "Submit my entry"]


def test_the_lecturer_opens_a_challenge_from_a_preset_and_rings_the_bell(open_app):
    at = as_(open_app, LECTURER)
    at.text_input[0].input("Digits race")
    [opened] = [b for b in at.button if b.label == "Open the challenge"]
    opened.click().run()
    assert challenge.host().spec.title == "Digits race"
    assert "No entry is scored yet" in texts(at)
    [bell] = [b for b in at.button if "bell" in b.label]
    bell.click().run()
    assert not challenge.host().spec.open_at(2e9 - 1) and "ended" in texts(at)


def test_an_empty_goal_is_refused_with_what_to_do(open_app):
    at = as_(open_app, LECTURER)
    at.text_area[0].input(" ")
    [b for b in at.button if b.label == "Open the challenge"][0].click().run()
    assert "goal must be 1 to" in texts(at)
    assert challenge.host().spec is None


def test_a_student_sees_only_the_open_settings_and_their_entries_left(open_app):
    prepare(changeable=("g_lr", "seed"), entries_per_student=2,
            entries=[scored(1, ANA, 9, 10.0, 5.0)])
    at = as_(open_app, ANA)
    # labelled and explained as in the settings form
    assert [t.label for t in at.text_input][-1] == "G learning rate (g_lr)"
    assert [n.label for n in at.number_input] == ["Seed"]
    assert "1 entry left" in texts(at)


def test_a_student_who_used_every_entry_gets_no_form(open_app):
    prepare(entries_per_student=1, entries=[scored(1, ANA, 9, 10.0, 5.0)])
    at = as_(open_app, ANA)
    assert "used all your entries" in texts(at)
    assert not [b for b in at.button if b.label == "Submit my entry"]


def test_names_are_shown_as_text_and_a_hidden_name_only_to_the_lecturer(open_app):
    evil = "[x](http://evil.example)"
    prepare(entries=[scored(1, ANA, 9, 10.0, 5.0), scored(2, BO, 8, 10.0, 6.0)],
            names={ANA: evil, BO: "Bo"}, hidden={BO})
    at = as_(open_app, ANA)
    board = texts(at)
    assert "\\[x\\]\\(http" in board and "](http://evil" not in board
    assert "(name hidden)" in board and "**Bo**" not in board
    release_all()
    at = as_(open_app, LECTURER)
    assert "**Bo · hidden from the class**" in texts(at)


def test_a_student_chooses_a_name_and_a_bad_one_is_refused(open_app):
    prepare()
    at = as_(open_app, ANA)
    at.text_input[0].input("x")
    [b for b in at.button if b.label == "Use this name"][0].click().run()
    assert "2 to 24 characters" in texts(at)
    at.text_input[0].input("Ana")
    [b for b in at.button if b.label == "Use this name"][0].click().run()
    assert challenge.host().name_of(ANA) == "Ana"


def test_ties_share_a_place_and_the_empty_board_says_so(open_app):
    prepare()
    at = as_(open_app, ANA)
    assert "No entry is scored yet" in texts(at)
    release_all()
    prepare(entries=[scored(1, ANA, 9, 10.0, 6.0), scored(2, BO, 9, 10.0, 5.0)])
    at = as_(open_app, ANA)
    places = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert places == ["### 1", "### 1"]


def test_the_lecturer_removes_an_entry_and_the_csv_is_theirs_only(open_app):
    prepare(entries=[scored(1, ANA, 9, 10.0, 6.0)])
    at = as_(open_app, ANA)
    assert not at.get("download_button")
    release_all()
    at = as_(open_app, LECTURER)
    assert at.get("download_button")
    [b for b in at.button if b.label == "Remove"][0].click().run()
    state = load_state(checkpoint_root() / challenge.FOLDER / "challenge.json")
    assert state.entries[0].status is EntryStatus.REMOVED
    assert "No entry is scored yet" in texts(at)


def test_presenter_view_shows_the_board_alone(open_app):
    prepare(entries=[scored(1, ANA, 9, 10.0, 6.0)])
    at = as_(open_app, LECTURER, query={"present": "1"})
    assert not [b for b in at.button if b.label in ("Submit my entry", "Remove")]
    assert any(m.value.startswith("#### 1. ") for m in at.markdown)     # a card: place, name


def test_a_hidden_name_stays_hidden_on_the_lecturers_projector(open_app):
    prepare(entries=[scored(1, ANA, 9, 10.0, 6.0)], names={ANA: "Ana"}, hidden={ANA})
    assert "Ana" in texts(as_(open_app, LECTURER))                    # their own table
    release_all()
    shown = texts(as_(open_app, LECTURER, query={"present": "1"}))    # the class's view
    assert "Ana" not in shown and "(name hidden)" in shown


def test_the_page_is_in_vietnamese_too(open_app):
    prepare(changeable=("g_lr",))         # the preset's title and goal, as the lecturer left them
    at = open_app(PAGES.challenge, session={BROWSER: ANA}, query={"lang": "vi"})
    assert "Submit my entry" not in [b.label for b in at.button]
    assert at.title[0].value not in ("Best digits in a minute", "")     # in the student's language
    field = at.text_input(key="challenge-gan-g_lr")
    assert field.value == "0,003"                    # a decimal as Vietnamese writes it
    field.set_value("0,0005")               # in a form: sent with its submit button
    [b for b in at.button if b.proto.type == "primary"][0].click().run()
    entry, = challenge.host().entries()
    assert entry.changes == {"g_lr": 0.0005}


def test_a_title_the_lecturer_typed_is_shown_as_typed_in_every_language(open_app):
    prepare(title="Cuộc đua chữ số")
    at = open_app(PAGES.challenge, session={BROWSER: ANA}, query={"lang": "en"})
    assert at.title[0].value == "Cuộc đua chữ số"


def test_followers_follow_the_board_the_lecturer_shows_until_they_enter_themselves(open_app):
    from ui import state

    prepare(title="Digits race")
    follower = open_app(PAGES.train, session={BROWSER: ANA}, query={"follow": "teacher"})
    assert [t.value for t in follower.title] == ["Train"]
    lecturer = as_(open_app, LECTURER)
    [b for b in lecturer.button if b.label == "Show the board to the class"][0].click().run()
    assert challenge.board_presented()
    assert "The class follows this board." in texts(lecturer)
    follower.run()                         # the rerun the live grid asks for on the change
    assert [t.value for t in follower.title] == ["Digits race"]
    # (AppTest stays on the page it ran: the tab as the browser has it now, on the board)
    follower = open_app(PAGES.challenge, session={BROWSER: ANA}, query={"follow": "teacher"})
    assert follower.session_state[state.FOLLOW]
    [b for b in follower.button if b.label == "Submit my entry"][0].click().run()
    assert challenge.host().entries()
    assert state.FOLLOW not in follower.session_state      # on their own now: the next
    assert "follow" not in follower.query_params           # demo does not take them away
