"""Save runs nobody saved: when the server stops, or when a run is left behind.

A classroom server restarts (an update, a crash, the end of the day) while runs train; their
progress would be gone without a word. Autosaving each one under `autosave-<run id>` lets a
tab that followed the run find it again on the Models page, and never overwrites a model a
person named, because only the run's own autosave name is ever reused.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ganlib.checkpoints import CheckpointInfo, read_info
from ganlib.errors import GanlibError
from ganlib.training.core import Run

AUTOSAVE_PREFIX = "autosave-"

log = logging.getLogger(__name__)


def autosave_name(run_id: str) -> str:
    """The checkpoint name a run is autosaved as (run ids are valid checkpoint names)."""
    return f"{AUTOSAVE_PREFIX}{run_id}"


def autosave(job: object, root: str | Path | None = None) -> list[CheckpointInfo]:
    """Save a run, or each run of a comparison (a job with `runs`), that has built its
    networks, as `autosave-<run id>`; the checkpoints written.

    Never raises for one run: this runs while the server shuts down, where an error would
    lose every run after it. A failure is logged (with its traceback) instead.
    """
    runs = [job] if isinstance(job, Run) else list(job.runs)
    saved = []
    for run in runs:
        if not _worth_saving(run):
            continue
        try:
            saved.append(run.save(autosave_name(run.run_id), root, overwrite=True))
        except Exception:  # noqa: BLE001 - one broken run must not stop the others' saves
            log.exception("Could not autosave run %s", run.run_id)
    for info in saved:
        log.warning("Autosaved run as %s (%s)", info.name, info.path)
    return saved


def _worth_saving(run: Run) -> bool:
    """Whether the run has networks to save: it drew its first samples right after building
    them, and a diverged run's weights are NaN (the command line does not save those either)."""
    snap = run.snapshot(watch=False)
    return snap.samples is not None and snap.status != "diverged"


def find_autosave(run_id: str, root: str | Path | None = None) -> CheckpointInfo | None:
    """The autosave of a run that is gone (the server restarted), if one was made and reads.

    `run_id` may come from a link: anything that is not a saved checkpoint's id is None.
    """
    try:
        return read_info(autosave_name(run_id), root)
    except GanlibError:
        return None
