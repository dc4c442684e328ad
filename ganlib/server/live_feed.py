"""A live feed of runs as small files, written once per run update whatever the number of viewers.

A class on a run's watch link wants the sample grid and the step to move every second. Drawn
by each student's Streamlit session, that costs the server a script run, its element messages
and the charts' JSON per student per second (about 15 ms: 46 % of a core for thirty students,
docs/benchmarks/README.md, "Cost of a class of watchers"). Here one daemon thread per process
writes, for each run a page asked for lately (`want`), a small JSON document and the grid's PNG
into a folder that a web server serves as plain files; each browser polls the JSON and swaps
the picture itself. The server's work per update is then one snapshot and (once per sample
step) one PNG, and a poll costs it one static file: the same for one viewer or thirty.

The documents, `<run id>.json`:

    {"run": id, "status": "running", "step": 1234, "total_steps": 3000,
     "samples_step": 1230, "grid": "<run id>-1230.png" or null,
     "presenting": the job the teacher presents now, or null}

and `classroom.json`, `{"presenting": ...}`, for a follower who waits for the teacher's first
run. Every file is written beside and renamed into place (a reader never sees half a file);
a document is rewritten only when it changed; the last KEEP_GRIDS grids of a run are kept
(a browser that read the previous document may still be fetching its picture). A run nobody
asked for in `want_for_s` leaves the feed and its files are removed.

The folder is the process's own (`<pid>-<random>` under the root): several servers may share a
root without touching each other's files, the folder is removed when the feed closes or the
process exits, and a new feed removes the folders of processes that no longer exist (a server
that was killed). Nothing secret goes in: a run's id is what its watch link shows already.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:                      # only types: the feed itself needs no TensorFlow
    from ganlib.training.core import Run, RunSnapshot

log = logging.getLogger(__name__)

# Two grids of a run stay: the newest, and the one a browser that read the previous document
# may still be loading.
KEEP_GRIDS = 2
CLASSROOM = "classroom.json"
_FOLDER = re.compile(r"(\d+)-[0-9a-f]+")


class LiveFeed:
    """Writes the live documents and grids of the runs pages want, in a folder of its own.

    `grid(snapshot)` makes the PNG bytes of a snapshot's sample grid (the app passes its
    shared render, so the PNG a controller's page shows is the same bytes, encoded once);
    `presenting()` names the job the teacher presents now (None outside a class). Every
    `every_s` the feed's thread takes a snapshot of each wanted run and writes what changed.
    The snapshot counts as someone watching (`watch=True`): a run a page wants is polled by its
    browser, and must not pause itself as abandoned however rarely the page itself refreshes.
    """

    def __init__(self, root: Path, grid: Callable[[RunSnapshot], bytes],
                 presenting: Callable[[], str | None] = lambda: None,
                 every_s: float = 0.5, want_for_s: float = 15.0):
        if every_s <= 0 or want_for_s <= 0:
            raise ValueError(f"LiveFeed needs positive periods (got every_s={every_s}, "
                             f"want_for_s={want_for_s}).")
        self.grid, self.presenting = grid, presenting
        self.every_s, self.want_for_s = every_s, want_for_s
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        sweep_stale(root)
        self.folder = root / f"{os.getpid()}-{secrets.token_hex(6)}"
        self.folder.mkdir()
        # At exit too: Streamlit's on_release does not run when the server stops.
        self._remove = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self._lock = threading.Lock()          # one writer at a time: the thread, or want()
        self._wanted: dict[str, tuple[Run, float]] = {}
        self._written: dict[str, dict] = {}    # the last document written, per file name
        self._grids: dict[str, list[str]] = {}  # the grid files of each run, oldest first
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self.writes = 0                        # documents written: tests and benchmarks read it

    def want(self, run: Run) -> str:
        """Keep `run` in the feed for the next `want_for_s` seconds; the name of its document in
        `folder`. The first call writes it at once, so a page drawn now finds it."""
        with self._lock:
            first = run.run_id not in self._wanted
            self._wanted[run.run_id] = (run, time.monotonic())
            if first:
                self._update(run, self.presenting())
        return f"{run.run_id}.json"

    def classroom(self) -> str:
        """The name of the classroom document in `folder` (written now if it is not yet)."""
        with self._lock:
            self._write_document(CLASSROOM, {"presenting": self.presenting()})
        return CLASSROOM

    def tick(self) -> None:
        """One pass: drop the runs nobody wanted lately, update the others and the classroom."""
        with self._lock:
            presenting = self.presenting()
            now = time.monotonic()
            for run_id, (run, wanted_at) in list(self._wanted.items()):
                if now - wanted_at > self.want_for_s:
                    self._forget(run_id)
                    continue
                try:
                    self._update(run, presenting)
                except Exception:                        # one failing run must not stop the feed
                    log.exception("The live feed could not update run %s", run_id)
            self._write_document(CLASSROOM, {"presenting": presenting})

    def start(self) -> LiveFeed:
        """Start the feed's daemon thread (once); returns the feed."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="live-feed", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and remove the folder with everything in it."""
        self._closed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        with self._lock:
            self._wanted.clear()
            self._remove()

    def _loop(self) -> None:
        while not self._closed.wait(self.every_s):
            self.tick()

    def _update(self, run: Run, presenting: str | None) -> None:
        if self._closed.is_set():
            return
        snap = run.snapshot(watch=True)
        grid = None
        if snap.samples is not None:
            grid = f"{snap.run_id}-{snap.samples_step}.png"
            grids = self._grids.setdefault(snap.run_id, [])
            if grid not in grids:
                _write_atomic(self.folder / grid, self.grid(snap))
                grids.append(grid)
                while len(grids) > KEEP_GRIDS:
                    (self.folder / grids.pop(0)).unlink(missing_ok=True)
        self._write_document(f"{snap.run_id}.json", {
            "run": snap.run_id, "status": snap.status, "step": snap.step,
            "total_steps": snap.total_steps, "samples_step": snap.samples_step, "grid": grid,
            "presenting": presenting})

    def _write_document(self, name: str, document: dict) -> None:
        if self._written.get(name) == document or self._closed.is_set():
            return
        _write_atomic(self.folder / name, json.dumps(document).encode())
        self._written[name] = document
        self.writes += 1

    def _forget(self, run_id: str) -> None:
        del self._wanted[run_id]
        self._written.pop(f"{run_id}.json", None)
        for name in [f"{run_id}.json", *self._grids.pop(run_id, [])]:
            (self.folder / name).unlink(missing_ok=True)


def _write_atomic(path: Path, content: bytes) -> None:
    """Write beside, then rename into place: a reader sees the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def sweep_stale(root: Path) -> list[Path]:
    """Remove the feed folders under `root` whose process no longer exists (a server killed
    before it could clean up); the folders removed. Live processes' folders stay."""
    removed = []
    for folder in root.iterdir():
        match = _FOLDER.fullmatch(folder.name)
        if match and folder.is_dir() and not _alive(int(match[1])):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True        # another user's process, or not a pid we can ask about: leave it
    return True
