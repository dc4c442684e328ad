"""The training runs of one server: a cap on how many train at once, and who controls each.

A 2-core laptop trains one run well and two runs badly, and a classroom server shared by
thirty students must not slow to a crawl because everybody pressed Start. So the registry
refuses to start a run past `max_active` with a message that says what to do, instead of
making every run slower.

Control and watching are separate: starting a run returns an owner key. Whoever holds the
key (the page that started it, a refreshed tab whose link carries it) may pause, step,
stop and save; anyone who knows only the run id may watch. A teacher shares the watch link.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from typing import Protocol

from ganlib.errors import GanlibError


class JobSnapshot(Protocol):
    """What the registry reads of a job's state (ganlib.runner.RunSnapshot,
    ganlib.compare.ComparisonSnapshot)."""

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


def default_max_active() -> int:
    """One run per two cores, at least one: a run already uses both cores of a laptop."""
    return max(1, (os.cpu_count() or 2) // 2)


class TooManyRuns(GanlibError):
    """Starting another run would slow every run on this server."""


class RunRegistry:
    """Jobs by id, with owner keys and a cap on simultaneous training."""

    def __init__(self, max_active: int | None = None, keep_ended: int = 20):
        self.max_active = max_active or default_max_active()
        self.keep_ended = keep_ended
        self._lock = threading.Lock()
        self._runs: dict[str, Job] = {}
        self._keys: dict[str, str] = {}

    def start(self, make_run: Callable[[], Job], paused: bool = False) -> tuple[Job, str]:
        """Create a run with `make_run()` and start it, if the cap allows; (run, owner key)."""
        with self._lock:
            active = [r for r in self._runs.values() if r.snapshot(watch=False).active]
            if len(active) >= self.max_active:
                raise TooManyRuns(
                    f"This server already trains {len(active)} run(s), its limit "
                    f"(max {self.max_active}, set GAN_CLASSROOM_MAX_RUNS to change it). Stop a "
                    "run on the Train page, or wait for one to finish, then start again.")
            run = make_run()
            key = secrets.token_urlsafe(12)
            self._runs[run.run_id] = run
            self._keys[run.run_id] = key
            self._forget_old_ended()
        run.start(paused=paused)
        return run, key

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

    def remove(self, run_id: str) -> None:
        """Stop a run and forget it."""
        with self._lock:
            run = self._runs.pop(run_id, None)
            self._keys.pop(run_id, None)
        if run is not None:
            run.stop()

    def stop_all(self) -> None:
        """Stop every run and wait for their threads (the server is shutting down)."""
        for run in self.runs():
            run.stop()

    def _forget_old_ended(self) -> None:
        ended = [rid for rid, run in self._runs.items() if not run.snapshot(watch=False).active]
        for run_id in ended[: max(0, len(ended) - self.keep_ended)]:
            del self._runs[run_id]
            del self._keys[run_id]
