"""When the server stops: save every run it holds that nobody saved, instead of losing it.

A classroom server restarts (an update, a crash, the end of the day) while runs train. Each
active run is stopped, then autosaved under `autosave-<run id>` (ganlib.training.autosave),
where a tab that followed it finds it again; so is a run that ended (finished or stopped)
after its last save, whose last steps live only in memory.
"""

from __future__ import annotations

from pathlib import Path

from ganlib.checkpoints import CheckpointInfo
from ganlib.server.registry import RunRegistry
from ganlib.training.autosave import autosave


def stop_and_autosave(registry: RunRegistry, root: str | Path | None = None
                      ) -> list[CheckpointInfo]:
    """Stop every run of the registry and autosave those that were still training or
    paused, and the ended ones whose last step nobody saved (the server is shutting down);
    the checkpoints written.

    Stopping first gives each run its final weights and frees the cores for the saves.
    Calling it again saves nothing: the registry is closed by then, its runs saved once.
    """
    if registry.closed:
        return []
    active = registry.active()
    ended = [job for job in registry.runs() if job not in active]
    registry.stop_all()
    return ([info for job in active for info in autosave(job, root)]
            + [info for job in ended for info in autosave(job, root, unsaved_only=True)])
