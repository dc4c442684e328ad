"""When the server stops: save every run still training instead of losing it.

A classroom server restarts (an update, a crash, the end of the day) while runs train. Each
active run is stopped, then autosaved under `autosave-<run id>` (ganlib.training.autosave),
where a tab that followed it finds it again.
"""

from __future__ import annotations

from pathlib import Path

from ganlib.checkpoints import CheckpointInfo
from ganlib.server.registry import RunRegistry
from ganlib.training.autosave import autosave


def stop_and_autosave(registry: RunRegistry, root: str | Path | None = None
                      ) -> list[CheckpointInfo]:
    """Stop every run of the registry and autosave those that were still training or
    paused (the server is shutting down); the checkpoints written.

    Stopping first gives each run its final weights and frees the cores for the saves.
    Calling it again finds no active run and saves nothing.
    """
    active = registry.active()
    registry.stop_all()
    return [info for job in active for info in autosave(job, root)]
