"""A real app server against messages a clever student crafts on Streamlit's websocket.

Anything a client sends is input: Streamlit's "clear cache" message (`BackMsg.clear_cache`),
sent without loading a page or holding a cookie, cleared the `st.cache_resource` the
classroom lived in: it signed the teacher out, stopped every run unsaved, emptied the Runs
list, turned "Allow student runs" off and reset the passcode back-off. Each other field of
`BackMsg` is sent too, and widget states for the teacher's controls from a student's tab
(docs/decisions.md, "The classroom's state is the process's, not a cache").

The tabs here speak the protocol the app's frontend speaks (`rerun_script` with widget
states, read back from the elements the server sends: scripts/app_socket.py): no browser is
needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

pytest.importorskip("websockets.sync.client")
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402

from scripts.app_socket import Tab  # noqa: E402
from tests.helpers import demo_app, wait_until  # noqa: E402

PASSCODE = "correct horse battery"
TIMEOUT_S = 90


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with demo_app(tmp_path_factory.mktemp("server"), GAN_CLASSROOM_TEACHER_PASSCODE=PASSCODE) as app:
        yield app.url


@pytest.fixture(scope="module")
def classroom(server):
    """A teacher signed in, training a run, with student runs allowed; a student whose wrong
    passcodes lock their browser for 8 s (guesses at 0, 0, 0, 1, 3 and 7 s)."""
    teacher = Tab(server, cookie="the-teachers-browser")
    assert "Signed in as the teacher" in teacher.sign_in(PASSCODE)
    teacher.show(**{"demo-gan": {"trigger_value": True}})
    run_id = wait_until(lambda: re.search(r"`(run-[0-9a-f]+)`", teacher.show("runs").text()),
                        TIMEOUT_S, "the run on the Runs page")[1]
    wait_until(lambda: "running" in teacher.show("runs").text(), TIMEOUT_S, "the run to train")
    teacher.show("runs", **{"Allow student runs": {"bool_value": True}})
    student = Tab(server, cookie="a-students-browser")
    wait_until(lambda: (lock := re.search(r"try again in (\d+) s", student.sign_in("guess")))
               and int(lock[1]) > 4, TIMEOUT_S, "a lock of 8 s")
    yield teacher, student, run_id
    teacher.close()
    student.close()


def assert_unchanged(teacher: Tab, student: Tab, run_id: str) -> None:
    # Two wrong guesses in a row: a browser with 6 wrong guesses behind it is refused at
    # least once (a lock that ran out comes back, longer); one whose count was reset is not.
    answers = [student.sign_in("guess") for _ in range(2)]
    assert any("Too many wrong passcodes" in answer for answer in answers)
    assert "Signed in as the teacher" in teacher.show("runs").text()
    line = next((e.body for e in teacher.elements if run_id in getattr(e, "body", "")), "")
    assert "running" in line or "paused" in line, "the run is no longer listed as training"
    toggle = next(e for e in teacher.elements if getattr(e, "label", "") == "Allow student runs")
    assert toggle.default                                      # student runs still allowed


def test_a_clear_cache_message_without_a_page_or_a_cookie_changes_nothing(classroom, server):
    teacher, student, run_id = classroom
    attacker = Tab(server, cookie=None)
    attacker.clear_cache()
    attacker.heartbeat()
    attacker.close()
    assert_unchanged(teacher, student, run_id)


def _flag(name: str):
    return lambda message, session: setattr(message, name, True)


def _upload_urls(message: BackMsg, session: str) -> None:
    message.file_urls_request.request_id = "1"
    message.file_urls_request.session_id = session
    message.file_urls_request.file_names.append("model.zip")


def _install_skills(message: BackMsg, session: str) -> None:
    message.backend_operation_request.request_id = "1"
    message.backend_operation_request.session_id = session
    message.backend_operation_request.install_skills.SetInParent()


# Each other kind of message, and why it stays in its own session (docs/decisions.md).
OTHERS = {
    "debug_shutdown_runtime": _flag("debug_shutdown_runtime"),   # development mode only
    "debug_disconnect_websocket": _flag("debug_disconnect_websocket"),   # likewise
    "set_run_on_save": _flag("set_run_on_save"),       # this session; no file watcher
    "stop_script": _flag("stop_script"),               # this session's script run only
    "load_git_info": _flag("load_git_info"),           # no GitPython: nothing is sent
    "file_urls_request": _upload_urls,                 # upload URLs for this session
    "install_skills": _install_skills,                 # refused on a headless server
}


@pytest.mark.parametrize("build", list(OTHERS.values()), ids=list(OTHERS))
def test_no_other_message_reaches_past_its_own_session(classroom, server, build):
    teacher, student, run_id = classroom
    attacker = Tab(server, cookie="an-attackers-browser").show()
    message = BackMsg()
    build(message, attacker.session_id)
    attacker.send(message)
    attacker.heartbeat()
    attacker.close()
    assert_unchanged(teacher, student, run_id)


def test_a_student_sending_the_teachers_widgets_changes_nothing(classroom):
    teacher, student, run_id = classroom
    ids = teacher.show("runs").ids()
    student.show("runs", **{ids["Allow student runs"]: {"bool_value": False},
                            ids[f"runs-stop-{run_id}"]: {"trigger_value": True},
                            ids["Sign out"]: {"trigger_value": True}})
    assert_unchanged(teacher, student, run_id)


def test_a_widget_state_no_widget_has_is_ignored(server):
    """The class soak's finding: a session whose first rerun named a widget by its label
    ("Teacher passcode"), not its id, got a KeyError from Streamlit, on Home on every page
    after it too, and the server's log a traceback each time."""
    Tab(server, cookie="an-earlier-visitor").show().close()     # the app has run: patched
    for page in ("", "theory"):
        student = Tab(server, cookie=f"a-typing-students-browser-{page}")
        for drawn in (student.show(page, **{"Teacher passcode": {"string_value": "guess"},
                                            "Sign in": {"trigger_value": True},
                                            # Streamlit's own prefix (components v2 events)
                                            "$$STREAMLIT_INTERNAL_KEY_x__events":
                                                {"string_value": "{}"}}),
                      student.show(page)):
            assert not [e for e in drawn.elements if type(e).__name__ == "Exception"]
        student.close()
