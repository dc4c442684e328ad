"""The classroom rights table, passcode check and back-off (ganlib/server/classroom.py)."""

import threading
import time
from unittest import mock

import pytest

from ganlib import settings
from ganlib.server import classroom
from ganlib.server.classroom import (Action, Classroom, NotAllowed, Role, browser_id_from_cookie,
                              lock_seconds, may, owner_for, require)

TEACHER = owner_for("t" * 64, Role.TEACHER)
SOLO = owner_for("s" * 64, Role.SOLO)
ALICE = owner_for("a1b2" + "0" * 60, Role.STUDENT)
BOB = owner_for("b" * 64, Role.STUDENT)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_student_labels_show_the_first_four_hex_of_the_id():
    assert ALICE.label == "Student a1b2"
    assert TEACHER.label == "Teacher"


@pytest.mark.parametrize("actor", [TEACHER, SOLO])
@pytest.mark.parametrize("action", list(Action))
def test_teacher_and_solo_may_do_everything_to_anything(actor, action):
    assert may(actor, action, BOB.id)
    assert may(actor, action, None)


def test_students_watch_anything_but_control_and_manage_only_their_own():
    assert may(ALICE, Action.WATCH, TEACHER.id)
    assert may(ALICE, Action.CONTROL, ALICE.id)
    assert not may(ALICE, Action.CONTROL, BOB.id)
    assert not may(ALICE, Action.CONTROL, None)
    assert may(ALICE, Action.MANAGE_MODEL, ALICE.id)
    assert not may(ALICE, Action.MANAGE_MODEL, None)      # shipped / teacher's models
    assert not may(ALICE, Action.SERVER_PATHS, ALICE.id)


def test_require_says_who_may():
    with pytest.raises(NotAllowed, match="teacher"):
        require(ALICE, Action.MANAGE_MODEL, TEACHER.id)
    require(ALICE, Action.CONTROL, ALICE.id)


def test_environment_passcode_wins_over_the_secret_and_empty_means_solo():
    secrets = {"teacher_passcode": "from-secrets"}
    env = "GAN_CLASSROOM_TEACHER_PASSCODE"
    assert settings.load({env: "env"}, secrets).teacher_passcode == "env"
    assert settings.load({}, secrets).teacher_passcode == "from-secrets"
    assert settings.load({env: ""}).teacher_passcode is None
    assert Classroom(passcode=None).role("x") is Role.SOLO


def test_the_classroom_takes_its_passcode_and_student_limit_from_the_settings():
    room = Classroom.from_settings(settings.load({"GAN_CLASSROOM_TEACHER_PASSCODE": "pass",
                                                  "GAN_CLASSROOM_STUDENT_RUNS": "3"}))
    assert (room.passcode, room.student_runs, room.solo) == ("pass", 3, False)
    assert Classroom.from_settings(settings.load({})).solo


def test_the_passcode_is_compared_in_constant_time():
    room = Classroom(passcode="open sesame")
    with mock.patch.object(classroom.hmac, "compare_digest",
                           wraps=classroom.hmac.compare_digest) as compare:
        assert room.sign_in("t", "open sesame")
    compare.assert_called_once()
    assert room.role("t") is Role.TEACHER
    assert room.role("other") is Role.STUDENT
    room.sign_out("t")
    assert room.role("t") is Role.STUDENT


def test_lock_doubles_after_three_wrong_guesses_up_to_a_minute():
    assert [lock_seconds(n) for n in range(6)] == [0, 0, 0, 1, 2, 4]
    assert lock_seconds(50) == 60


def test_wrong_guesses_lock_the_browser_then_unlock():
    clock = Clock()
    room = Classroom(passcode="secret", clock=clock)
    for _ in range(3):
        assert not room.sign_in("guesser", "nope")
    assert room.wait_seconds("guesser") == 1
    with pytest.raises(NotAllowed, match="try again in"):
        room.sign_in("guesser", "secret")
    assert room.wait_seconds("teacher") == 0      # another browser is not locked
    clock.now += 1.5
    assert room.sign_in("guesser", "secret")


def checked(room: Classroom, browser: str, guess: str = "nope") -> bool:
    """Whether the guess was checked (right or wrong), not refused by the back-off."""
    try:
        room.sign_in(browser, guess)
    except NotAllowed:
        return False
    return True


def test_a_students_wrong_guesses_never_delay_the_teachers_passcode_in_another_browser():
    room = Classroom(passcode="secret", clock=Clock())
    for _ in range(5):
        checked(room, "student")
    assert room.wait_seconds("student") > 0
    assert room.wait_seconds("teacher") == 0
    assert room.sign_in("teacher", "secret")
    assert room.role("teacher") is Role.TEACHER


def test_wrong_guesses_from_many_browsers_never_stop_the_passcode_from_a_fresh_browser():
    clock = Clock()
    room = Classroom(passcode="secret", clock=clock)
    for n in range(90):
        assert checked(room, f"browser-{n}")
    assert room.sign_in("fresh", "secret")
    # Past the server's budget of 30 a wrong guess, even a fresh browser's first, locks its
    # browser for a minute; the correct passcode still signs in.
    assert room.wait_seconds("browser-29") == 0
    assert room.wait_seconds("browser-30") == classroom.MAX_LOCK_S
    assert checked(room, "clown") and not checked(room, "clown")
    assert room.sign_in("another-fresh", "secret")
    # The budget comes back at one wrong guess every CLASS_REFILL_S.
    clock.now += classroom.CLASS_REFILL_S
    assert checked(room, "late")
    assert room.wait_seconds("late") == 0


def test_one_browser_gets_8_guesses_in_its_first_minute_then_one_a_minute():
    clock = Clock()
    room = Classroom(passcode="secret", clock=clock)
    times = []
    while clock.now < 1000 + 600:                  # as fast as the back-off lets it
        if checked(room, "guesser"):
            times.append(clock.now - 1000)
        else:
            clock.now += 0.5
    assert sum(t < 60 for t in times) == 8
    assert times[:8] == [0, 0, 0, 1, 3, 7, 15, 31]
    assert all(b - a == pytest.approx(classroom.MAX_LOCK_S, abs=0.5)
               for a, b in zip(times[8:], times[9:]))


def test_a_spent_budget_checks_one_guess_a_minute_per_browser_and_30_a_minute_in_all():
    clock = Clock()
    room = Classroom(passcode="secret", clock=clock)
    for n in range(classroom.CLASS_WRONG_GUESSES):           # the budget, spent at once
        checked(room, f"b{n}")
    locked_for_a_minute = 0
    for n in range(60):                                      # one wrong guess a second
        clock.now += 1
        checked(room, f"c{n}")
        locked_for_a_minute += room.wait_seconds(f"c{n}") == classroom.MAX_LOCK_S
    assert 60 - locked_for_a_minute == 60 / classroom.CLASS_REFILL_S       # 30 a minute


def test_twenty_tabs_guessing_at_once_get_no_more_guesses_checked_than_one(monkeypatch):
    room = Classroom(passcode="secret")
    start = threading.Barrier(20)
    results = []
    compare = classroom.passcode_matches

    def slow_compare(guess: str, passcode: str) -> bool:
        time.sleep(0.001)      # hands the interpreter to the other tabs mid-check
        return compare(guess, passcode)

    def guess():
        start.wait()
        results.append(checked(room, "one-browser"))

    monkeypatch.setattr(classroom, "passcode_matches", slow_compare)
    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == classroom.FREE_GUESSES


def test_a_browser_that_stops_guessing_is_forgotten_after_an_hour():
    clock = Clock()
    room = Classroom(passcode="secret", clock=clock)
    for _ in range(5):
        checked(room, "old")
    clock.now += classroom.FORGET_AFTER_S
    checked(room, "new")
    assert list(room._failures) == ["new"]


def test_student_starts_need_the_switch_and_stay_within_the_limit():
    room = Classroom(passcode="secret", student_runs=1)
    room.check_student_start(TEACHER, active_own=5)
    with pytest.raises(NotAllowed, match="ask the teacher"):
        room.check_student_start(ALICE, active_own=0)
    with pytest.raises(NotAllowed):
        room.set_student_runs(ALICE, True)
    room.set_student_runs(TEACHER, True)
    room.check_student_start(ALICE, active_own=0)
    with pytest.raises(NotAllowed, match="limit"):
        room.check_student_start(ALICE, active_own=1)


def test_the_browser_id_survives_streamlits_fresh_xsrf_mask_on_every_page_load():
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    token = bytes(range(16))
    first, second = (generate_xsrf_token_string(token, 1234) for _ in range(2))
    assert first != second                      # a new mask each time
    assert browser_id_from_cookie(first) == browser_id_from_cookie(second)
    other = generate_xsrf_token_string(bytes(16), 1234)
    assert browser_id_from_cookie(other) != browser_id_from_cookie(first)
