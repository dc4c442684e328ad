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
newest student job is saved and stopped), and a sweeper saves and stops jobs left paused
and unwatched, so nothing holds a slot forever and nothing is lost.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from ganlib import settings
from ganlib.errors import GanlibError
from ganlib.messages import LazyText, _
from ganlib.server.classroom import Classroom, Owner, Role

log = logging.getLogger(__name__)


class JobSnapshot(Protocol):
    """What the registry reads of a job's state (ganlib.training.runner.RunSnapshot,
    ganlib.training.compare.ComparisonSnapshot)."""

    @property
    def status(self) -> str: ...

    @property
    def active(self) -> bool: ...


class Job(Protocol):
    """Anything that trains in the background and counts against the server's cap: a
    `TrainingRun`, or a `Comparison` of several runs (which counts as one job)."""

    run_id: str

    def start(self, paused: bool = False) -> Job: ...

    def stop(self, timeout: float | None = 30.0) -> None: ...

    def snapshot(self, watch: bool = True) -> JobSnapshot: ...

    @property
    def unwatched_s(self) -> float: ...


# Saves a job's weights (ganlib.training.autosave.autosave): injected, so that tests choose the folder.
SaveJob = Callable[[Job], Sequence[object]]


def default_max_active() -> int:
    """One run per two cores, at least one: a run already uses both cores of a laptop."""
    return max(1, (os.cpu_count() or 2) // 2)


class TooManyRuns(GanlibError):
    """Starting another run would slow every run on this server."""


class RunRegistry:
    """Jobs by id, with owner keys and a cap on simultaneous training."""

    def __init__(self, max_active: int | None = None, keep_ended: int = 20,
                 classroom: Classroom | None = None, save_job: SaveJob | None = None,
                 queues: bool = False):
        self.max_active = max_active or default_max_active()
        # True on a Ray cluster (ganlib.training.backends): a job that cannot train yet waits in the
        # backend's queue, so the cluster's size is the cap, never max_active.
        self.queues = queues
        self.keep_ended = keep_ended
        self.classroom = classroom
        self.save_job = save_job
        self._closed = threading.Event()          # set by stop_all: the sweeper ends
        self._lock = threading.Lock()
        self._runs: dict[str, Job] = {}
        self._keys: dict[str, str] = {}
        self._owners: dict[str, Owner] = {}
        self._started: dict[str, float] = {}
        self._notices: dict[str, str] = {}
        self.presenting: str | None = None    # the job the teacher shows the class now

    def start(self, make_run: Callable[[], Job], paused: bool = False,
              owner: Owner | None = None) -> tuple[Job, str]:
        """Create a run with `make_run()` and start it, if the cap allows; (run, owner key).

        With an `owner` in a class: a student's start needs the classroom's permission and a
        free slot; a teacher's start takes the newest student job's slot when none is free
        (that job is saved and stopped, and its owner told why).
        """
        victim = None
        with self._lock:
            active = [r for r in self._runs.values() if r.snapshot(watch=False).active]
            if owner is not None and self.classroom is not None:
                self.classroom.check_student_start(
                    owner, sum(self._owner_id(r.run_id) == owner.id for r in active))
            full = not self.queues and len(active) >= self.max_active
            if full and owner is not None \
                    and owner.role is Role.TEACHER:
                victim = next((r for r in reversed(active)
                               if self._owners.get(r.run_id, owner).role is Role.STUDENT), None)
            if full and victim is None:
                log.warning("A run was refused: %d train, the most this server allows (%s "
                            "sets it).", len(active), settings.name_of("max_runs"))
                raise TooManyRuns(_(
                    "This server already trains {count} run(s), as many as it can at once. "
                    "Stop a run on the Train page, or wait for one to finish, then start "
                    "again.").format(count=len(active)))
            run = make_run()
            key = secrets.token_urlsafe(12)
            self._runs[run.run_id] = run
            self._keys[run.run_id] = key
            self._started[run.run_id] = time.time()
            if owner is not None:
                self._owners[run.run_id] = owner
                if owner.role is Role.TEACHER:
                    self.presenting = run.run_id
            self._forget_old_ended()
        if victim is not None:
            self._save_and_stop(victim, LazyText("to make room for the teacher's demo"))
        run.start(paused=paused)
        return run, key

    def owner(self, run_id: str) -> Owner | None:
        """Who started the job (None: started outside a class, or unknown)."""
        with self._lock:
            return self._owners.get(run_id)

    def _owner_id(self, run_id: str) -> str | None:
        owner = self._owners.get(run_id)
        return owner.id if owner else None

    def started_at(self, run_id: str) -> float | None:
        """When the job started (time.time())."""
        with self._lock:
            return self._started.get(run_id)

    def notice(self, run_id: str) -> str | None:
        """Why the registry stopped this job (preempted, abandoned), for its owner to read."""
        with self._lock:
            return self._notices.get(run_id)

    def _save_and_stop(self, job: Job, why: str) -> None:
        """Stop a job, save its weights with `save_job` and leave its owner a notice."""
        job.stop()
        saved = list(self.save_job(job)) if self.save_job is not None else []
        names = ", ".join(getattr(info, "name", str(info)) for info in saved)
        # LazyText: its owner reads it in their language (this may be the sweeper's thread).
        text = (LazyText("Your run was saved as {names} and stopped {why}. Find it on the "
                         "Models page.", names=names, why=why)
                if names else LazyText("Your run was stopped {why} (it had nothing to save "
                                       "yet).", why=why))
        with self._lock:
            self._notices[job.run_id] = text
        log.warning("Stopped %s %s (saved: %s)", job.run_id, why, names or "nothing")

    def sweep(self, stop_after_s: float) -> list[str]:
        """Save and stop every job paused and unwatched for more than `stop_after_s`
        seconds (its tab is gone): it frees its slot. The ids of the jobs stopped."""
        stale = [job for job in self.active()
                 if job.snapshot(watch=False).status == "paused"
                 and job.unwatched_s > stop_after_s]
        for job in stale:
            self._save_and_stop(job, LazyText("because nobody watched it"))
        return [job.run_id for job in stale]

    def start_sweeper(self, stop_after_s: float, every_s: float = 2.0) -> threading.Thread:
        """A daemon thread that calls `sweep` every `every_s` seconds until `stop_all`
        (a released registry must not be kept alive, and swept, by its own sweeper)."""
        def loop() -> None:
            while not self._closed.wait(every_s):
                try:
                    self.sweep(stop_after_s)
                except Exception:  # noqa: BLE001 - the sweeper must outlive one bad job
                    log.exception("The run sweeper failed once")
        thread = threading.Thread(target=loop, name="run-sweeper", daemon=True)
        thread.start()
        return thread

    def get(self, run_id: str | None) -> Job | None:
        with self._lock:
            return self._runs.get(run_id or "")

    def can_control(self, run_id: str, key: str | None) -> bool:
        with self._lock:
            expected = self._keys.get(run_id)
        return bool(key) and expected is not None and secrets.compare_digest(expected, key)

    def runs(self) -> list[Job]:
        """All runs, newest first."""
        with self._lock:
            return list(reversed(self._runs.values()))

    def active(self) -> list[Job]:
        """The runs still training or paused, newest first."""
        return [run for run in self.runs() if run.snapshot(watch=False).active]

    def remove(self, run_id: str) -> None:
        """Stop a run and forget it."""
        with self._lock:
            run = self._runs.pop(run_id, None)
            for facts in (self._keys, self._owners, self._started, self._notices):
                facts.pop(run_id, None)
        if run is not None:
            run.stop()

    def stop_all(self) -> None:
        """Stop every run and wait for their threads (the server is shutting down)."""
        self._closed.set()
        for run in self.runs():
            run.stop()

    def _forget_old_ended(self) -> None:
        ended = [rid for rid, run in self._runs.items() if not run.snapshot(watch=False).active]
        for run_id in ended[: max(0, len(ended) - self.keep_ended)]:
            del self._runs[run_id]
            del self._keys[run_id]
            for facts in (self._owners, self._started, self._notices):
                facts.pop(run_id, None)
