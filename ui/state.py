"""Which run and which model the user is looking at, kept across pages, reruns and refreshes.

- The server's runs live in one `RunRegistry` per process (ganlib.server.shared, never a
  Streamlit cache, which any client may clear): they survive reruns, page switches, browser
  refreshes and "clear cache" messages, and are autosaved when the server stops.
- The run a tab follows is in `st.session_state` and mirrored into the URL
  (`?run=<id>&key=<owner key>`), so a refresh reconnects to the same run with the same rights.
  A watch link carries only `?run=<id>`: the class can follow, not control.
- In a class (a teacher passcode is set, ui.roles) no key goes into the URL: control follows
  the browser's role and the job's owner (ganlib.server.classroom), so a link read off the projector
  carries no rights.
- Networks the pages sample from are cached per checkpoint / per run, never built in a page body.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from ganlib.checkpoints import read_info
from ganlib.config import TrainConfig
from ganlib.data import allowed_data_roots, data_sources, load_dataset
from ganlib.errors import GanlibError
from ganlib.metrics import classifier_for
from ganlib.server.classroom import Action, NotAllowed, may, require
from ganlib.server.registry import J, Job, RunRegistry
from ganlib.server.shared import Shared
from ganlib.server.shutdown import stop_and_autosave
from ganlib.training.autosave import AUTOSAVE_EVERY_S, autosave, find_autosave
from ganlib.training.backends import THREADS, Backend, backend_for
from ganlib.training.compare import Comparison
from ganlib.training.core import Run, RunSnapshot
from ganlib.training.runner import ResumeState
from ui import roles, server_settings
from ui.i18n import _, format_number

RUN = "run_id"
KEY = "run_key"
MODEL = "model_name"      # the saved model picked for the explorer / interpolation
FOLLOW = "follow_teacher" # this tab shows whatever job the teacher presents (`?follow=teacher`)
COMPARISON = "compare_id"  # the comparison the Compare page shows
PAGE_RUNS = "page_runs"    # how many pages this tab has drawn (app.py counts them)


log = logging.getLogger(__name__)


def _make_backend() -> Backend:
    try:
        return backend_for(server_settings.current().ray_address)
    except GanlibError as exc:
        log.error("Training in this process instead of on Ray: %s", exc)
        return THREADS


_BACKEND = Shared(_make_backend, release=lambda backend: backend.close())


def backend() -> Backend:
    """Where runs train: threads of this process, or the Ray cluster the settings name
    (ganlib.settings, `ray_address`). A cluster that cannot be reached leaves the app
    training here, and the log says why."""
    return _BACKEND.get()


def _make_registry() -> RunRegistry:
    # A run nobody has looked at for idle_pause_s pauses itself (closing every tab never
    # leaves a thread spinning forever), and after idle_stop_s more it is saved and stopped,
    # which frees its slot (its owner finds it on the Models page as autosave-<run id>).
    chosen = server_settings.current()
    runs = RunRegistry(max_active=chosen.max_runs, classroom=roles.classroom(),
                       save_job=autosave, queues=backend().queues,
                       autosave_every_s=None if backend().autosaves else AUTOSAVE_EVERY_S)
    runs.start_sweeper(stop_after_s=chosen.idle_pause_s + chosen.idle_stop_s)
    threading.Thread(target=_autosave_at_exit, args=(weakref.ref(runs),),
                     name="autosave-at-exit", daemon=False).start()
    return runs


_REGISTRY = Shared(_make_registry, release=lambda registry: registry.stop_all())


def registry() -> RunRegistry:
    """The server's runs, one registry per process."""
    return _REGISTRY.get()


def _autosave_at_exit(runs: weakref.ref[RunRegistry]) -> None:
    """When the server stops, autosave its active runs instead of losing them.

    Streamlit returns from the main thread on SIGTERM and Ctrl-C, while the (daemon) training
    threads still run. Python waits for this non-daemon thread (said explicitly: a thread
    started from Streamlit's daemon script thread would be a daemon) before its exit handlers: an
    `atexit` handler would run after those of h5py and optree, which leave Keras unable to
    build or save a model. A weak reference: a registry released earlier stopped its runs.
    """
    threading.main_thread().join()
    if (alive := runs()) is not None:
        stop_and_autosave(alive)


def sync_url() -> None:
    """Adopt a run from the URL (refresh, watch link) and keep the URL naming the run."""
    st.session_state[PAGE_RUNS] = st.session_state.get(PAGE_RUNS, 0) + 1
    params = st.query_params
    if params.get("follow") == "teacher":
        st.session_state[FOLLOW] = True
    if params.get("run") and params.get("run") != st.session_state.get(RUN):
        st.session_state[RUN] = params.get("run")
        st.session_state[KEY] = params.get("key")
    run_id = st.session_state.get(RUN)
    if run_id and current_run() is None:
        st.session_state.pop(RUN, None)      # the server restarted: that run is gone
        st.session_state.pop(KEY, None)
        if registry().get(run_id) is None:   # (not a comparison, which has its own page)
            st.info(_gone_message(run_id), icon=":material/restart_alt:")
        run_id = None
    if run_id:
        params["run"] = run_id
        if st.session_state.get(KEY) and roles.classroom().solo:
            params["key"] = st.session_state[KEY]
        else:
            params.pop("key", None)       # in a class a key means nothing: keep it off screen
    else:
        params.pop("run", None)
        params.pop("key", None)


def _gone_message(run_id: str) -> str:
    """What a tab whose link names a run this server does not have is told, instead of a
    silently empty Train form."""
    saved = find_autosave(run_id)
    if saved is None:
        return _("This run is no longer on the server (the server restarted).")
    return _("This run ended when the server stopped. Its last autosave is `{name}` (step "
             "{step}): open it on the Models page to train on from there.").format(
                 name=saved.name, step=format_number(saved.step))


def current_run() -> Run | None:
    """The run this tab follows (a comparison's id in the URL is not a run to follow)."""
    job = registry().get(st.session_state.get(RUN))
    return job if isinstance(job, Run) else None


def can_control(run: Run | None) -> bool:
    """Whether this browser may pause, step, stop and save `run`: in a class by its role and
    the run's owner; alone, by the owner key of the tab that started it (as before classes)."""
    if run is None:
        return False
    if not roles.classroom().solo:
        owner = registry().owner(run.run_id)
        return may(roles.current_owner(), Action.CONTROL, owner.id if owner else None)
    return registry().can_control(run.run_id, st.session_state.get(KEY))


def following_teacher() -> bool:
    """Whether this tab follows the teacher: by the follow link, or as a student who has not
    picked a run (a student who opens the app sees the teacher's demo)."""
    if roles.classroom().solo or roles.current_owner().manages_everything:
        return False
    return bool(st.session_state.get(FOLLOW)) or not st.session_state.get(RUN)


def teacher_shows() -> Job | None:
    """The job (a run or a comparison) the teacher presents now, for a tab that follows the
    teacher; None when it does not follow, or the teacher presents nothing."""
    if not following_teacher():
        return None
    return registry().get(registry().presenting)


def show(job: Job) -> bool:
    """Point this follower's tab at `job`: a run is what the Train page shows, a comparison
    what the Compare page shows. Whether that changed what the tab shows (ui.following
    decides the page)."""
    st.session_state[FOLLOW] = True
    if isinstance(job, Run):
        if job.run_id == st.session_state.get(RUN):
            return False
        follow(job, None)
        return True
    changed = st.session_state.get(COMPARISON) != job.run_id
    st.session_state[COMPARISON] = job.run_id
    return changed


def lands_on_teacher() -> Job | None:
    """The job a student's tab, just opened on the app's address, goes straight to: the one
    the teacher is showing, while it trains. In class a student opens the app to see the
    demo, and should not have to find it. Only on the tab's first page, so a student who
    comes back to Home stays."""
    if st.session_state.get(PAGE_RUNS, 0) > 1:
        return None
    presented = teacher_shows()
    if presented is None or not presented.snapshot(watch=False).active:
        return None
    return presented


def notice_for_me(job_id: str) -> str | None:
    """Why the server stopped this job and where it saved it, for the job's owner only: it
    speaks to them ("Your run was saved as ..."), and is not the business of a class
    watching the run or of the other students on the Runs page."""
    owner = registry().owner(job_id)
    if owner is not None and owner.id != roles.current_owner().id:
        return None
    return registry().notice(job_id)


def follow_link() -> str:
    """A relative link that shows whatever the teacher presents, switching with it."""
    return "?follow=teacher"


def check_control(run: Run) -> None:
    """Refuse (NotAllowed) a control this browser may not use: every control callback calls
    it, since a hidden button is no protection against a crafted request."""
    if not can_control(run):
        raise NotAllowed(_("Only the teacher, or the student who started it, can control "
                           "this run."))


def follow(run: Run, key: str | None) -> None:
    """Make `run` this tab's run (with control when `key` is its owner key)."""
    st.session_state[RUN] = run.run_id
    st.session_state[KEY] = key
    st.query_params["run"] = run.run_id
    if key and roles.classroom().solo:
        st.query_params["key"] = key
    else:
        st.query_params.pop("key", None)


def start_job(make_job: Callable[..., J], *args: Any, replace: str | None = None,
              **options: Any) -> tuple[J, str]:
    """Start a job (a run or a comparison) for this browser on this server; (job, owner key).

    Every job a browser starts is made the same way, so Train, the Home demos, Models'
    resume and Compare cannot drift apart: `make_job(*args, **options)` also gets this
    browser's `priority` (the teacher's go first on a cluster), `owner_id` (written into what
    the job saves) and the pause for a job nobody watches; the registry then applies the
    cap and the classroom's rules to this browser as its owner. Raises TooManyRuns or
    NotAllowed, whose messages say what to do; `replace` names this browser's own job to
    save and stop when the server is full (ui.make_room).
    """
    me = roles.current_owner()
    return registry().start(
        lambda: make_job(*args, priority=me.manages_everything, owner_id=me.stored_owner,
                         pause_when_unwatched_s=server_settings.current().idle_pause_s,
                         **options),
        owner=me, replace=replace)


def start_run(config: TrainConfig, resume: ResumeState | None = None,
              replace: str | None = None) -> Run:
    """Start training `config` (from where a checkpoint left off, with `resume`) on this
    server, with live quality metrics, and follow it with control.

    Raises TooManyRuns when the server trains its limit already, and DataError when the
    dataset cannot be loaded: both GanlibErrors whose message says what to do.
    """
    if config.dataset not in {source.source for source in data_sources()}:
        require(roles.current_owner(), Action.SERVER_PATHS)   # a student never names a server path
    # A browser user may name only paths inside the admin's data folders (docs/decisions.md).
    dataset = load_dataset(config.dataset, config.digits, allowed_roots=allowed_data_roots())
    run, key = start_job(backend().make_run, config, dataset=dataset, evaluation_samples=500,
                         resume=resume, replace=replace)
    st.session_state.pop(FOLLOW, None)      # a student's own run: stop following the teacher
    follow(run, key)
    return run


def start_comparison(configs: Sequence[TrainConfig], replace: str | None = None,
                     **options: Any) -> Comparison:
    """Start comparing `configs` (Comparison's `options`: budget, mode) for this browser, on
    this server's backend and at its time scale, and show it on the Compare page. Raises as
    `start_job`."""
    comparison, _key = start_job(Comparison, configs, backend=backend(),
                                 time_scale=server_settings.current().compare_time_scale,
                                 replace=replace, **options)
    st.session_state.pop(FOLLOW, None)      # their own comparison: stop following the teacher
    st.session_state[COMPARISON] = comparison.run_id
    return comparison


def start_refusal() -> str | None:
    """Why this browser may not start a run now (a student while student runs are off, or
    at their limit), or None: the start form is not drawn for whom it would refuse."""
    me = roles.current_owner()
    own = sum(1 for job in registry().active()
              if (owner := registry().owner(job.run_id)) is not None and owner.id == me.id)
    try:
        roles.classroom().check_student_start(me, own)
    except NotAllowed as exc:
        return str(exc)
    return None


def has_metrics(snap: RunSnapshot) -> bool:
    """Whether a classifier ships for the run's data (so quality metrics will come)."""
    return classifier_for(snap.dataset_name) is not None


def watch_link(run: Run) -> str:
    """A relative link that lets another browser watch (not control) the run."""
    return f"?run={run.run_id}"


def remember_model(name: str) -> None:
    """Make the saved model `name` the one the Latent explorer and Interpolation open on:
    the model the user saved or picked last, not whatever run happens to be live."""
    st.session_state[MODEL] = name


@st.cache_resource(max_entries=6)
def _checkpoint_sampler(path: str, modified: float):
    from ganlib.sampling import Sampler
    return Sampler.from_checkpoint(path)


def checkpoint_sampler(name: str):
    """The generator of a saved model, reloaded only when the checkpoint changes on disk."""
    info = read_info(name)
    return _checkpoint_sampler(str(info.path), (Path(info.path) / "meta.json").stat().st_mtime)


@st.cache_resource(max_entries=4)
def _run_sampler(run_id: str):
    from ganlib.sampling import Sampler
    return Sampler.from_run(registry().get(run_id))


def run_sampler(run: Run):
    """A copy of a live run's generator, refreshed to its newest step."""
    sampler = _run_sampler(run.run_id)
    sampler.refresh(run)
    return sampler
