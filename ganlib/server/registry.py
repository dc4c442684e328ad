"""The training runs of one server: a cap on how many train at once, and who controls each.

A 2-core laptop trains one run well and two runs badly, and a classroom server shared by
thirty students must not slow to a crawl because everybody pressed Start. So the registry
refuses to start a run past `max_active` with a message that says what to do, instead of
making every run slower.

Control and watching are separate: starting a run returns an owner key. Whoever holds the
key (the page that started it, a refreshed tab whose link carries it) may pause, step,
stop and save; anyone who knows only the run id may watch. A teacher shares the watch link.
In a class (ganlib.server.classroom) control follows the job's recorded `Owner` instead, and the
registry keeps the class going: the teacher's start never fails for lack of a slot (the
newest student job is saved and stopped; failing that, the teacher's own oldest job, once
they agree: `OwnRunInTheWay`), and a sweeper saves and stops jobs left paused and unwatched,
so nothing holds a slot forever and nothing is lost. A student refused a slot is told when
to try again in a plain sentence; the setting that sets the cap goes to the log only. The
sweeper also autosaves the active runs every few minutes
(ganlib.training.autosave.PeriodicAutosave), so that a crash or a power cut loses minutes,
not the run.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ganlib import settings
from ganlib.errors import GanlibError
from ganlib.messages import LazyText, _, ngettext
from ganlib.server.classroom import Classroom, Owner, Role
from ganlib.training.autosave import PeriodicAutosave
from ganlib.training.core import Run, RunStatus

log = logging.getLogger(__name__)


class JobSnapshot(Protocol):
    """What the registry reads of a job's state (ganlib.training.core.RunSnapshot,
    ganlib.training.compare.ComparisonSnapshot)."""

    @property
    def status(self) -> str: ...

    @property
    def active(self) -> bool: ...


class Job(Protocol):
    """Anything that trains in the background and counts against the server's cap: a
    `Run` (ganlib.training.core), or a `Comparison` of several runs (which counts as one job)."""

    run_id: str

    def start(self, paused: bool = False) -> Job: ...

    def stop(self, timeout: float | None = 30.0) -> None: ...

    def snapshot(self, watch: bool = True) -> JobSnapshot: ...

    @property
    def unwatched_s(self) -> float: ...


J = TypeVar("J", bound=Job)

# Saves a job's weights (ganlib.training.autosave.autosave): injected, so that tests choose the folder.
SaveJob = Callable[[Job], Sequence[object]]


def default_max_active() -> int:
    """One run per two cores, at least one: a run already uses both cores of a laptop."""
    return max(1, (os.cpu_count() or 2) // 2)


class TooManyRuns(GanlibError):
    """Starting another run would slow every run on this server."""


class OwnRunInTheWay(TooManyRuns):
    """The server is full, and the starter's own oldest job (`run_id`) holds a slot: the page
    offers to stop and save it, then start (`RunRegistry.start(..., replace=run_id)`)."""

    def __init__(self, message: str, run_id: str, label: str):
        super().__init__(message)
        self.run_id, self.label = run_id, label


def job_label(job: Job) -> str:
    """What a job trains, for a person: "WGAN · quick (run-1a2b)", "comparison (cmp-3c4d)"."""
    what = job.config.label if isinstance(job, Run) else _("comparison")
    return f"{what} ({job.run_id})"


@dataclass
class JobRecord:
    """What the registry knows of one job, kept and forgotten together."""

    job: Job
    # The owner key: whoever holds it controls the job (outside a class).
    key: str
    # When the job started (time.time()).
    started_at: float
    # Who started it in a class; None outside one.
    owner: Owner | None = None
    # Why the registry stopped it (preempted, abandoned), for its owner to read.
    notice: str | None = None


def job_to_preempt(starter: Owner | None, active: Sequence[JobRecord]) -> JobRecord | None:
    """The job whose slot `starter` takes when the server is full, or None: the start is
    refused.

    Only the teacher preempts: the teacher's demo is what the whole class came to watch, so
    it must never wait for a free slot. It takes the newest student job (`active` is oldest
    first), the one that has trained least and so loses least; that job is saved, not lost.
    A student never preempts, and no teacher's job (or one started outside a class) is ever
    taken.
    """
    if starter is None or starter.role is not Role.TEACHER:
        return None
    return next((record for record in reversed(active)
                 if record.owner is not None and record.owner.role is Role.STUDENT), None)


def own_job_in_the_way(starter: Owner | None, active: Sequence[JobRecord]) -> JobRecord | None:
    """The job the teacher (or the lone user) may give up to start another when the server
    is full and no student job can go: their own oldest, which has trained most and is the
    demo they have moved on from. Only with their confirmation (`OwnRunInTheWay`): stopping a
    demo is theirs to decide. Theirs: started by this browser, or by any teacher's (a teacher
    may have signed in on the projector's laptop and on their phone). None for a student, and
    for jobs started outside a class."""
    if starter is None or not starter.manages_everything:
        return None

    def theirs(owner: Owner | None) -> bool:
        both_teachers = owner is not None and owner.role is starter.role is Role.TEACHER
        return owner is not None and (owner.id == starter.id or both_teachers)

    return next((record for record in active if theirs(record.owner)), None)


def wait_text(seconds: float) -> str:
    """How long until something ends, as a person says it: "less than a minute", "about 3
    minutes"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("less than a minute")
    return ngettext("about {count} minute", "about {count} minutes", minutes).format(
        count=minutes)


class RunRegistry:
    """Jobs by id, with owner keys and a cap on simultaneous training."""

    def __init__(self, max_active: int | None = None, keep_ended: int = 20,
                 classroom: Classroom | None = None, save_job: SaveJob | None = None,
                 queues: bool = False, autosave_every_s: float | None = None):
        self.max_active = max_active or default_max_active()
        # True on a Ray cluster (ganlib.training.backends): a job that cannot train yet waits in the
        # backend's queue, so the cluster's size is the cap, never max_active.
        self.queues = queues
        self.keep_ended = keep_ended
        self.classroom = classroom
        self.save_job = save_job
        # The sweeper autosaves each active run this often; None: never (the Ray backend
        # autosaves its runs itself).
        self._periodic = PeriodicAutosave(autosave_every_s) if autosave_every_s else None
        self._closed = threading.Event()          # set by stop_all: the sweeper ends
        self._lock = threading.Lock()
        self._jobs: dict[str, JobRecord] = {}     # oldest first
        # the job the teacher shows the class now (or the class challenge's board)
        self.presenting: str | None = None
        # Saves a person asked for run here, not in their browser's session (`save`). The
        # executor's threads are joined before the interpreter exits: a save under way
        # when the server stops is finished.
        self._saver = ThreadPoolExecutor(max_workers=2, thread_name_prefix="save")

    def start(self, make_run: Callable[[], J], paused: bool = False,
              owner: Owner | None = None, replace: str | None = None,
              admitted: bool = False) -> tuple[J, str]:
        """Create a run with `make_run()` and start it, if the cap allows; (run, owner key).

        With an `owner` in a class: a student's start needs the classroom's permission and a
        free slot; a teacher's start takes a student job's slot when none is free
        (`job_to_preempt`: that job is saved and stopped, and its owner told why). Failing
        that, the teacher's (or lone user's) start raises `OwnRunInTheWay`, naming their own
        oldest job, and a start with `replace=` that job's id saves and stops it to make room.
        `admitted`: the start was allowed elsewhere (a class challenge's entry,
        ganlib.server.challenge), so the student's switch and run limit do not apply; the cap
        and the teacher's preemption still do.
        """
        with self._lock:
            active = [record for record in self._jobs.values()
                      if record.job.snapshot(watch=False).active]
            if owner is not None and self.classroom is not None and not admitted:
                self.classroom.check_student_start(
                    owner, sum(r.owner is not None and r.owner.id == owner.id for r in active))
            full = not self.queues and len(active) >= self.max_active
            victim = job_to_preempt(owner, active) if full else None
            if full and victim is None:
                own = own_job_in_the_way(owner, active)
                if own is None or own.job.run_id != replace:
                    log.warning("A run was refused: %d train, the most this server allows (%s "
                                "sets it).", len(active), settings.name_of("max_runs"))
                    raise self._refusal(owner, active, own)
                victim = own
            run = make_run()
            record = JobRecord(run, key=secrets.token_urlsafe(12), started_at=time.time(),
                               owner=owner)
            self._jobs[run.run_id] = record
            if owner is not None and owner.role is Role.TEACHER:
                self.presenting = run.run_id
            self._forget_old_ended()
        if victim is not None:
            self._save_and_stop(victim.job, LazyText("to make room for your next run")
                                if victim.owner.manages_everything else
                                LazyText("to make room for the teacher's demo"))
        run.start(paused=paused)
        return run, record.key

    def _refusal(self, starter: Owner | None, active: Sequence[JobRecord],
                 own: JobRecord | None) -> TooManyRuns:
        """Why a start is refused, in words for whoever pressed Start (never a setting's
        name: that is for the administrator, in the log)."""
        if own is not None:
            label = job_label(own.job)
            return OwnRunInTheWay(_(
                "This server trains as many runs as it can at once, and one of them is "
                "yours: {job}. Stop and save it to start this one, or wait for it to "
                "finish.").format(job=label), own.job.run_id, label)
        lecturer = next((r for r in active if r.owner is not None
                         and r.owner.role is Role.TEACHER), None)
        if starter is not None and starter.role is Role.STUDENT and lecturer is not None:
            eta = getattr(lecturer.job.snapshot(watch=False), "eta_s", None)
            if eta is None:
                return TooManyRuns(_(
                    "The server is busy with the lecturer's demonstration; try again when "
                    "the lecturer stops it."))
            return TooManyRuns(_(
                "The server is busy with the lecturer's demonstration; try again when it "
                "ends, in {wait}.").format(wait=wait_text(eta)))
        return TooManyRuns(_(
            "This server already trains {count} run(s), as many as it can at once. "
            "Stop a run on the Train page, or wait for one to finish, then start "
            "again.").format(count=len(active)))

    def _record(self, run_id: str | None) -> JobRecord | None:
        with self._lock:
            return self._jobs.get(run_id or "")

    def owner(self, run_id: str) -> Owner | None:
        """Who started the job (None: started outside a class, or unknown)."""
        record = self._record(run_id)
        return record.owner if record else None

    def started_at(self, run_id: str) -> float | None:
        """When the job started (time.time())."""
        record = self._record(run_id)
        return record.started_at if record else None

    def notice(self, run_id: str) -> str | None:
        """Why the registry stopped this job (preempted, abandoned), for its owner to read."""
        record = self._record(run_id)
        return record.notice if record else None

    def save_and_stop(self, run_id: str, why: str) -> None:
        """Save a job and stop it for someone other than its owner (the teacher's Stop on a
        student's run), leaving its owner a notice that says so and where it was saved."""
        if (job := self.get(run_id)) is not None:
            self._save_and_stop(job, why)

    def _save_and_stop(self, job: Job, why: str) -> None:
        """Save a job's weights with `save_job`, leave its owner a notice, and stop it.

        In that order, so that the notice is there when the job's status changes: the
        owner's page redraws on that change, and must say at once what became of the run.
        A run is paused first, so that what is saved is where it stopped.
        """
        if isinstance(job, Run):
            job.pause()
            job.wait_for(lambda snap: snap.status != RunStatus.RUNNING, timeout=10.0)
        saved = list(self.save_job(job)) if self.save_job is not None else []
        names = ", ".join(getattr(info, "name", str(info)) for info in saved)
        # LazyText: its owner reads it in their language (this may be the sweeper's thread).
        text = (LazyText("Your run was saved as {names} and stopped {why}. Find it on the "
                         "Models page.", names=names, why=why)
                if names else LazyText("Your run was stopped {why} (it had nothing to save "
                                       "yet).", why=why))
        with self._lock:
            if (record := self._jobs.get(job.run_id)) is not None:
                record.notice = text
        job.stop()
        log.warning("Stopped %s %s (saved: %s)", job.run_id, why, names or "nothing")

    def save(self, run: Run, name: str) -> Future:
        """Save `run` as `name`, in a thread of the server; the future gives its
        CheckpointInfo, or raises its GanlibError.

        Not in the thread of the session that asked: that one ends when its browser tab
        closes, and closing the tab right after pressing Save must not lose the save. The run
        keeps the name it got (`saved_as`) for a later visit, and the log says why a save
        nobody waited for failed. A name taken already is refused; one taken while saving
        gives a free name (ganlib.checkpoints.save_checkpoint).
        """
        def log_failure(done: Future) -> None:
            if done.exception() is not None:
                log.warning("Saving run %s as %s failed: %s", run.run_id, name,
                            done.exception())
        future = self._saver.submit(run.save, name, overwrite=False)
        future.add_done_callback(log_failure)
        return future

    def sweep(self, stop_after_s: float) -> list[str]:
        """Save and stop every job paused and unwatched for more than `stop_after_s`
        seconds (its tab is gone): it frees its slot. The ids of the jobs stopped."""
        stale = [job for job in self.active()
                 if job.snapshot(watch=False).status == RunStatus.PAUSED
                 and job.unwatched_s > stop_after_s]
        for job in stale:
            self._save_and_stop(job, LazyText("because nobody watched it"))
        return [job.run_id for job in stale]

    def start_sweeper(self, stop_after_s: float, every_s: float = 2.0) -> threading.Thread:
        """A daemon thread that calls `sweep` every `every_s` seconds until `stop_all`
        (a released registry must not be kept alive, and swept, by its own sweeper), and
        autosaves the active runs that are due (`autosave_every_s`)."""
        def loop() -> None:
            while not self._closed.wait(every_s):
                try:
                    self.sweep(stop_after_s)
                    if self._periodic is not None:
                        self._periodic.tick(self.active())
                except Exception:  # noqa: BLE001 - the sweeper must outlive one bad job
                    log.exception("The run sweeper failed once")
        thread = threading.Thread(target=loop, name="run-sweeper", daemon=True)
        thread.start()
        return thread

    def get(self, run_id: str | None) -> Job | None:
        record = self._record(run_id)
        return record.job if record else None

    def can_control(self, run_id: str, key: str | None) -> bool:
        record = self._record(run_id)
        return bool(key) and record is not None and secrets.compare_digest(record.key, key)

    def runs(self) -> list[Job]:
        """All runs, newest first."""
        with self._lock:
            return [record.job for record in reversed(self._jobs.values())]

    def active(self) -> list[Job]:
        """The runs still training or paused, newest first."""
        return [run for run in self.runs() if run.snapshot(watch=False).active]

    def remove(self, run_id: str) -> None:
        """Stop a run and forget it."""
        with self._lock:
            record = self._forget(run_id)
        if record is not None:
            record.job.stop()

    @property
    def closed(self) -> bool:
        """Whether `stop_all` ran: the server is shutting down, or let this registry go."""
        return self._closed.is_set()

    def stop_all(self) -> None:
        """Stop every run and wait for their threads (the server is shutting down)."""
        self._closed.set()
        for run in self.runs():
            run.stop()

    def _forget(self, run_id: str) -> JobRecord | None:
        """Drop everything known of a job (the caller holds the lock)."""
        if self.presenting == run_id:
            self.presenting = None
        return self._jobs.pop(run_id, None)

    def _forget_old_ended(self) -> None:
        """Keep only the newest `keep_ended` ended jobs (their results stay readable a while)."""
        ended = [run_id for run_id, record in self._jobs.items()
                 if not record.job.snapshot(watch=False).active]
        for run_id in ended[: max(0, len(ended) - self.keep_ended)]:
            self._forget(run_id)
