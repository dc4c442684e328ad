"""Save runs nobody saved: every few minutes, when the server stops, when a run is left behind.

A classroom server restarts (an update, a crash, the end of the day) while runs train; their
progress would be gone without a word. Autosaving each one under `autosave-<run id>` lets a
tab that followed the run find it again on the Models page, and never overwrites a model a
person named, because only the run's own autosave name is ever reused.

A kill -9, a crash or a power cut leaves no time to save, so an active run is also autosaved
every AUTOSAVE_EVERY_S while it trains (`AutosaveClock` is the rule): by the registry's
sweeper for runs in threads (`PeriodicAutosave`), by the Ray backend for runs on a cluster,
whose worker may die.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ganlib.checkpoints import CheckpointInfo, read_info
from ganlib.errors import GanlibError
from ganlib.training.core import Run, RunSnapshot, RunStatus, autosave_name
from ganlib.training.runner import save_state

# An autosave builds the networks and writes a few MB: about a second of a core, at most once
# per run in this time; a crash loses at most this much training.
AUTOSAVE_EVERY_S = 120.0

log = logging.getLogger(__name__)

# One autosave at a time in this process, each reading the run inside it: when a periodic
# autosave and the shutdown's save the same run at once, the newer weights are written last.
_saving = threading.Lock()


def runs_of(job: object) -> list[Run]:
    """A run itself, or each run of a comparison (a job with `runs`)."""
    return [job] if isinstance(job, Run) else list(job.runs)


def autosave_run(run: Run, root: str | Path | None = None) -> CheckpointInfo:
    """Save `run`'s current step as `autosave-<run id>`, replacing its previous autosave.

    Not `run.save`: an autosave does not become what the run was "saved as", which is the
    name a person chose. The weights are copied between two steps (the run waits one step
    at most) and written while it trains on.
    """
    with _saving:
        return save_state(autosave_name(run.run_id), *run.checkpoint_state(),
                          owner=run.owner_id, root=root, overwrite=True, autosave=True)


def autosave(job: object, root: str | Path | None = None, unsaved_only: bool = False
             ) -> list[CheckpointInfo]:
    """Save a run, or each run of a comparison, that has built its networks, as
    `autosave-<run id>`; the checkpoints written. With `unsaved_only`, only the runs whose
    current step nobody saved (an ended run that someone saved at its end is kept already).

    Never raises for one run: this runs while the server shuts down, where an error would
    lose every run after it. A failure is logged (with its traceback) instead.
    """
    saved = []
    for run in runs_of(job):
        snap = run.snapshot(watch=False)
        if not _worth_saving(snap) or (unsaved_only and snap.saved_step >= snap.step):
            continue
        try:
            saved.append(autosave_run(run, root))
        except Exception:  # noqa: BLE001 - one broken run must not stop the others' saves
            log.exception("Could not autosave run %s", run.run_id)
    for info in saved:
        log.warning("Autosaved run as %s (%s)", info.name, info.path)
    return saved


def _worth_saving(snap: RunSnapshot) -> bool:
    """Whether the run has networks to save: it drew its first samples right after building
    them, and a diverged run's weights are NaN (the command line does not save those either)."""
    return snap.samples is not None and snap.status != RunStatus.DIVERGED


@dataclass
class AutosaveClock:
    """When one run's next periodic autosave is due: `every_s` after its last one (or after
    the clock started), and only if it trained since: a run that has not moved on is saved
    already."""

    every_s: float = AUTOSAVE_EVERY_S
    step: int = 0                   # the step of its last autosave (or where the clock started)
    at: float = field(default_factory=time.monotonic)

    def due(self, step: int) -> bool:
        return step > self.step and time.monotonic() - self.at >= self.every_s

    def saved(self, step: int) -> None:
        self.step, self.at = step, time.monotonic()

    def wait_again(self) -> None:
        """A save failed (a full disk, say): try again in `every_s`, not at once."""
        self.at = time.monotonic()


class PeriodicAutosave:
    """Autosaves the active runs of a server's jobs every `every_s` they train (the registry's
    sweeper calls `tick`): what a kill -9 or a power cut leaves of a run in a thread."""

    def __init__(self, every_s: float = AUTOSAVE_EVERY_S, root: str | Path | None = None):
        self.every_s = every_s
        self.root = root
        self._clocks: dict[str, AutosaveClock] = {}

    def tick(self, jobs: Iterable[object]) -> list[CheckpointInfo]:
        """Autosave the runs of `jobs` that are due; the checkpoints written. A run's clock
        starts at the first tick that sees it. Never raises for one run (the caller is the
        sweeper's thread, which must go on): a failure is logged and tried again later."""
        clocks: dict[str, AutosaveClock] = {}
        saved = []
        for run in (run for job in jobs for run in runs_of(job)):
            snap = run.snapshot(watch=False)
            clock = clocks[run.run_id] = (self._clocks.get(run.run_id)
                                          or AutosaveClock(self.every_s, snap.step))
            if not (snap.active and _worth_saving(snap) and clock.due(snap.step)):
                continue
            try:
                info = autosave_run(run, self.root)
            except Exception:  # noqa: BLE001 - one broken run must not stop the others' saves
                log.exception("Could not autosave run %s", run.run_id)
                clock.wait_again()
                continue
            clock.saved(info.step)
            saved.append(info)
        self._clocks = clocks          # the runs that ended or left are forgotten
        return saved


def find_autosave(run_id: str, root: str | Path | None = None) -> CheckpointInfo | None:
    """The autosave of a run that is gone (the server restarted), if one was made and reads.

    `run_id` may come from a link: anything that is not a saved checkpoint's id is None.
    """
    try:
        return read_info(autosave_name(run_id), root)
    except GanlibError:
        return None
