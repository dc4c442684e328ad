"""Runs: every run and comparison on this server, who started it, and what can be done.

Everyone sees the list (watching is free); the buttons are drawn only where this browser may
use them (the teacher: every job; a student: their own), and every callback checks again
(ganlib.server.classroom), since a hidden button is no protection against a crafted request.
"""

import time

import streamlit as st

from ganlib.errors import GanlibError
from ganlib.messages import LazyText
from ganlib.training.autosave import autosave
from ganlib.training.compare import Comparison
from ganlib.training.core import Run, RunStatus
from ui import roles, state
from ui.i18n import _, format_number, ngettext
from ui.pages import PAGES, require_entry_point
from ui.roles import Action, may, require
from ui.state import Job
from ui.text import plain
from ui.widgets import format_duration

require_entry_point()

MESSAGE = "runs-message"      # (kind, text, until): the outcome of the last action
MESSAGE_S = 15.0              # how long it stays above the list (redrawn every 2 s)


def checked(job: Job) -> None:
    """Refuse (NotAllowed) unless this browser may control `job`."""
    owner = state.registry().owner(job.run_id)
    require(roles.current_owner(), Action.CONTROL, owner.id if owner else None)


def act(job: Job, what: str) -> None:
    """Pause, resume, stop or save `job`, after checking the right to; the outcome is shown
    (beside the list, which is a fragment: a button in it redraws only the list)."""
    try:
        checked(job)
        if what == "save":
            names = ", ".join(info.name for info in autosave(job)) or _("nothing (no step yet)")
            say("success", _("Saved {run} as {names}: it is on the Models page.").format(
                run=job.run_id, names=plain(names)))
        elif what == "stop":
            stop(job)
        elif what == "pause" and isinstance(job, Run):
            job.pause()
        elif isinstance(job, Run):
            job.resume()
    except GanlibError as exc:
        say("error", str(exc))


def say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text, time.monotonic() + MESSAGE_S)


def stop(job: Job) -> None:
    """Stop `job`. Someone else's (the teacher stopping a student's run) is saved first, and
    its owner told so and where, on their own page."""
    owner = state.registry().owner(job.run_id)
    if not roles.classroom().solo and owner is not None and owner.id != roles.current_owner().id:
        state.registry().save_and_stop(job.run_id, LazyText("by the teacher"))
    else:
        job.stop(timeout=10.0)


def show_to_class(job: Job) -> None:
    me = roles.current_owner()
    if me.manages_everything:
        state.registry().presenting = job.run_id


def allow_student_runs() -> None:
    try:
        roles.classroom().set_student_runs(roles.current_owner(),
                                           st.session_state["runs-allow-students"])
    except GanlibError as exc:
        say("error", str(exc))


def describe(job: Job) -> tuple[str, str, int]:
    """What the job trains, its status and its step (a comparison: its furthest run)."""
    snap = job.snapshot(watch=False)
    if isinstance(job, Comparison):
        return (_("Comparison of {count} models").format(count=len(snap.runs)), snap.status,
                max((run.step for run in snap.runs), default=0))
    return snap.config.label, snap.status, snap.step


def job_row(job: Job) -> None:
    registry = state.registry()
    owner = registry.owner(job.run_id)
    me = roles.current_owner()
    label, status, step = describe(job)
    started = registry.started_at(job.run_id)
    active = job.snapshot(watch=False).active
    with st.container(border=True):
        about, actions = st.columns([3, 2], vertical_alignment="center")
        about.markdown(f"**{plain(label)}** · `{job.run_id}`  \n" + _(
            "{owner} · {status} · step {step} · started {started} ago · last viewed {viewed} "
            "ago").format(owner=owner.label if owner else _("You"), status=_(status),
                          step=format_number(step),
                          started=format_duration(time.time() - started if started else None),
                          viewed=format_duration(job.unwatched_s)))
        if notice := state.notice_for_me(job.run_id):
            about.caption(notice)
        if isinstance(job, Run) and (saved := job.snapshot(watch=False).saved_as):
            about.caption(_("Saved as {name}.").format(name=plain(saved)))   # (if its tab left)
        buttons = actions.columns(4)
        if isinstance(job, Run):
            buttons[0].link_button(_("Watch"), f"{PAGES.train.url_path}{state.watch_link(job)}",
                                   width="stretch")
        if not (active and may(me, Action.CONTROL, owner.id if owner else None)):
            return
        if isinstance(job, Run):
            paused = status == RunStatus.PAUSED
            buttons[1].button(_("Resume") if paused else _("Pause"),
                              key=f"runs-pause-{job.run_id}",
                              on_click=act, args=(job, "resume" if paused else "pause"),
                              width="stretch")
        buttons[2].button(_("Stop"), key=f"runs-stop-{job.run_id}", on_click=act,
                          args=(job, "stop"), width="stretch")
        buttons[3].button(_("Save"), key=f"runs-save-{job.run_id}", on_click=act,
                          args=(job, "save"), width="stretch")
        if me.manages_everything and not roles.classroom().solo:
            shown = registry.presenting == job.run_id
            actions.button(_("Shown to the class") if shown else _("Show this run to the class")
                           if isinstance(job, Run) else _("Show this comparison to the class"),
                           key=f"runs-present-{job.run_id}", disabled=shown,
                           on_click=show_to_class, args=(job,), icon=":material/cast:")


@st.fragment(run_every=2.0)
def job_list() -> None:
    kind, text, until = st.session_state.get(MESSAGE) or (None, None, 0.0)
    if time.monotonic() < until:
        {"success": st.success, "error": st.error}[kind](text)
    jobs = state.registry().runs()
    if not jobs:
        st.info(_("No runs on this server yet. Start one on the Train or Compare page."),
                icon=":material/info:")
    for job in jobs:
        job_row(job)


st.title(_("Runs on this server"))
st.caption(_("Every run and comparison on this server, newest first. A run nobody watches "
             "pauses, then is saved (as autosave-<run id>, on the Models page) and stopped."))
if roles.current_owner().manages_everything and not roles.classroom().solo:
    st.toggle(_("Allow student runs"), value=roles.classroom().allow_student_runs,
              key="runs-allow-students", on_change=allow_student_runs,
              help=ngettext("Each student may then train up to {count} run at once, in a free "
                            "slot. Your own start always gets a slot: the newest student run "
                            "is saved and stopped to make room.",
                            "Each student may then train up to {count} runs at once, in a free "
                            "slot. Your own start always gets a slot: the newest student run "
                            "is saved and stopped to make room.",
                            roles.classroom().student_runs).format(
                  count=roles.classroom().student_runs))
job_list()
