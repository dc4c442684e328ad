"""The class challenge on one server: the entry queue, scoring at each entry's end, the board.

A `ChallengeHost` (one per server process) keeps the challenge the lecturer opened
(ganlib.challenge holds its rules) and runs the students' entries through the server's
`RunRegistry`, so an entry is a run like any other: its student watches it train on the Train
page, and the lecturer can see it on the Runs page.

Where entries run:
- in this process (threads): one entry at a time, and only when the registry has a free
  slot, so an entry queues behind the lecturer's runs. The lecturer is never blocked: their
  start takes the entry's slot (the registry's preemption), and an entry stopped that way (or
  by a server restart) goes back to the front of the queue and trains again from its start.
  Its settings and seed are the same, so is its score.
- on a Ray cluster (the registry queues): every waiting entry is handed over at once, and
  the cluster trains one per free place.

The bell: entries submitted before it all train and count, those running or still queued
too (each has the same fixed budget, so none gains by ending late); after it no entry is
taken. The board is final once the last of them is scored (`final`).

Each entry is scored when it ends, on the challenge's fixed noise (ganlib.challenge), before
its model is saved, so the board changes within a tick of the end; then the model is saved
under the student's name with its score in meta.json, within the student's share of the
quota (a save the share refuses leaves the entry scored, with a note). Everything is kept in
one JSON file beside the models, written after each change: the challenge and its board
survive a restart.
"""

from __future__ import annotations

import logging
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ganlib.challenge import (SCORE_SAMPLES, SCORE_SEED, BoardRow, ChallengeError,
                              ChallengeSpec, ChallengeState, Entry, EntryStatus, board_csv,
                              clean_display_name, default_name, images_seen, leaderboard,
                              load_state, save_state, score_generator, wait_estimate)
from ganlib.errors import GanlibError
from ganlib.messages import _, ngettext
from ganlib.quality import Quality
from ganlib.server.classroom import NotAllowed, Owner, Role
from ganlib.server.registry import RunRegistry, TooManyRuns
from ganlib.training.core import Run, RunStatus

log = logging.getLogger(__name__)

FILE = "challenge.json"
# What `RunRegistry.presenting` holds while the lecturer shows the class the board (no job's
# id looks like it): followers go to the board as they go to a presented run (ui.following).
BOARD = "challenge-board"
THUMBS = "thumbs"
META_KEY = "challenge"        # the score's key in the saved model's meta.json

# Makes an entry's run (not started) of a configuration for a student's id.
MakeEntryRun = Callable[[Any, str], Run]


@dataclass(frozen=True)
class Finished:
    """What the end of an entry gave: its score, its saved model, its thumbnail (PNG)."""

    quality: Quality | None
    thumbnail: bytes | None


# Scores an ended entry's run: (quality, thumbnail); then saves its model: (name or None, note).
ScoreEntry = Callable[[Run], Finished]
SaveEntry = Callable[[Run, str, Mapping[str, Any]], str]


def score_run(run: Run) -> Finished:
    """Score a run's generator on the challenge's fixed noise, and draw its thumbnail."""
    from ganlib.images import image_grid, png_bytes
    from ganlib.models import build_generator

    weights, snap = run.checkpoint_state()
    generator = build_generator(snap.config)
    generator.set_weights(weights.generator)
    thumbnail = png_bytes(image_grid(snap.samples[:16], cols=4)) \
        if snap.samples is not None else None
    return Finished(score_generator(generator, snap.config), thumbnail)


def save_run(run: Run, name: str, record: Mapping[str, Any]) -> str:
    """Save an entry's model as `name` (or a free name near it) with its challenge record
    in meta.json; the name it got. Raises GanlibError (a full share, a full disk)."""
    from ganlib.checkpoints import update_meta
    from ganlib.training.runner import save_state as save_run_state

    info = save_run_state(name, *run.checkpoint_state(), owner=run.owner_id, overwrite=False)
    update_meta(info.name, {META_KEY: dict(record)})
    return info.name


@dataclass(frozen=True)
class Place:
    """Where one of a student's entries is: its place in the queue (1: next; None once it
    trains or ended) and an honest wait (None: not known yet)."""

    entry: Entry
    position: int | None
    wait_s: float | None


def entry_owner(entry: Entry, name: str) -> Owner:
    """Who an entry's run belongs to in the registry: the challenge, not the student, so
    that only the lecturer controls it (a student who paused their entry would hold the
    queue up), and a student job, so that the lecturer's demo may take its slot."""
    return Owner(f"challenge-{entry.entry_id}", Role.STUDENT, name)


def _teacher_only(actor: Owner, what: str) -> None:
    if not actor.manages_everything:
        raise NotAllowed(what)


class ChallengeHost:
    """The challenge of one server: its state, its entries' runs, and the thread that moves
    the queue and scores what ended."""

    def __init__(self, registry: RunRegistry, folder: str | Path, make_run: MakeEntryRun,
                 score: ScoreEntry = score_run, save: SaveEntry = save_run,
                 clock: Callable[[], float] = time.time, tick_s: float = 0.25):
        self.registry = registry
        self.folder = Path(folder)
        self._make_run, self._score, self._save, self._clock = make_run, score, save, clock
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}          # entry id -> its run while it trains
        self.problem: str | None = None          # why the saved challenge could not be read
        self.version = 0                         # bumped on every change (pages redraw)
        try:
            self._state = load_state(self.folder / FILE)
        except ChallengeError as exc:
            log.error("%s", exc)
            self._state, self.problem = None, str(exc)
        if self._state is not None:              # after a restart: what trained, trains again
            self._state.entries = [_requeued(e) if e.status is EntryStatus.RUNNING else e
                                   for e in self._state.entries]
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(tick_s,),
                                        name="challenge", daemon=True)
        self._thread.start()

    # --- reading ------------------------------------------------------------------------

    @property
    def spec(self) -> ChallengeSpec | None:
        with self._lock:
            return self._state.spec if self._state else None

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._state.entries) if self._state else []

    def name_of(self, student_id: str) -> str:
        with self._lock:
            names = self._state.names if self._state else {}
            return names.get(student_id) or default_name(student_id)

    def hidden(self, student_id: str) -> bool:
        with self._lock:
            return bool(self._state) and student_id in self._state.hidden

    def board(self) -> list[BoardRow]:
        with self._lock:
            if self._state is None:
                return []
            state = self._state
            return leaderboard(state.entries, state.names, state.hidden, state.spec.scoring)

    def board_csv(self) -> str:
        return board_csv(self.board())

    @property
    def final(self) -> bool:
        """The bell has rung and every entry submitted before it is scored (or failed)."""
        with self._lock:
            return (self._state is not None and not self._state.spec.open_at(self._clock())
                    and not any(e.waiting_or_training for e in self._state.entries))

    def thumbnail(self, entry_id: str) -> bytes | None:
        path = self.folder / THUMBS / f"{entry_id}.png"
        try:
            return path.read_bytes()
        except OSError:
            return None

    def run_of(self, entry: Entry) -> Run | None:
        """The run of an entry that trains now (to watch it live)."""
        job = self.registry.get(entry.run_id) if entry.run_id else None
        return job if isinstance(job, Run) else None

    def entries_left(self, student_id: str) -> int:
        with self._lock:
            if self._state is None:
                return 0
            used = sum(e.counts and e.student_id == student_id for e in self._state.entries)
            return max(0, self._state.spec.entries_per_student - used)

    def places(self, student_id: str) -> list[Place]:
        """The student's entries, newest first, each with its queue place and wait."""
        with self._lock:
            entries = self.entries()
            queued = sorted((e for e in entries if e.status is EntryStatus.QUEUED),
                            key=lambda e: e.submitted_at)
            first_left, entry_s = self._timing(entries)
        places = []
        for entry in reversed(entries):
            if entry.student_id != student_id or entry.status is EntryStatus.REMOVED:
                continue
            position = queued.index(entry) + 1 if entry in queued else None
            run = self.run_of(entry)
            if run is not None and (cluster := run.snapshot(watch=False).queue_position):
                position = cluster                 # waiting for a place on the cluster
            wait = None
            if position is not None and not self.registry.queues and first_left is not None:
                wait = wait_estimate(position, first_left, entry_s)
            places.append(Place(entry, position, wait))
        return places

    def _timing(self, entries: list[Entry]) -> tuple[float | None, float | None]:
        """(seconds until the queue's next entry can start, an entry's typical seconds):
        measured, never guessed; None where nothing tells it yet."""
        durations = [e.finished_at - e.started_at for e in entries
                     if e.status is EntryStatus.SCORED and e.started_at and e.finished_at]
        running = [r.snapshot(watch=False) for e in entries
                   if e.status is EntryStatus.RUNNING and (r := self.run_of(e)) is not None]
        entry_s = statistics.median(durations) if durations else None
        if entry_s is None and running and running[0].steps_per_s > 0:
            entry_s = running[0].total_steps / running[0].steps_per_s
        if running:
            return running[0].eta_s, entry_s
        if len(self.registry.active()) < self.registry.max_active:
            return 0.0, entry_s
        etas = [getattr(job.snapshot(watch=False), "eta_s", None)
                for job in self.registry.active()]
        known = [eta for eta in etas if eta is not None]
        return (min(known) if known else None), entry_s

    # --- the lecturer ---------------------------------------------------------------------

    def open(self, actor: Owner, spec: ChallengeSpec) -> None:
        """Open a challenge; the previous one's file is kept beside it, renamed."""
        _teacher_only(actor, _("Only the teacher can open a challenge."))
        with self._lock:
            if self._state is not None and self._state.spec.open_at(self._clock()):
                raise ChallengeError(_("A challenge is open already: close it first."))
            if self._state is not None and any(e.waiting_or_training
                                               for e in self._state.entries):
                raise ChallengeError(_("Entries of the last challenge are still training: "
                                       "open the next one when they are scored."))
            old = self.folder / FILE
            if old.exists():
                old.replace(self.folder / f"challenge-{int(self._clock())}.json")
            self._state = ChallengeState(spec)
            self.problem = None
            self._changed()

    def close(self, actor: Owner) -> None:
        """Ring the bell now (entries already in train on and count)."""
        _teacher_only(actor, _("Only the teacher can close the challenge."))
        with self._lock:
            if self._state is not None and self._state.spec.open_at(self._clock()):
                self._state.spec = replace(self._state.spec, ends_at=self._clock())
                self._changed()

    def hide(self, actor: Owner, student_id: str, hidden: bool = True) -> None:
        _teacher_only(actor, _("Only the teacher can hide a name."))
        with self._lock:
            if self._state is not None:
                (self._state.hidden.add if hidden else self._state.hidden.discard)(student_id)
                self._changed()

    def remove(self, actor: Owner, entry_id: str) -> None:
        """Take an entry off the board (stopped if it trains); it no longer counts."""
        _teacher_only(actor, _("Only the teacher can remove an entry."))
        with self._lock:
            entry = self._entry(entry_id)
            self._put(entry.changed(status=EntryStatus.REMOVED))
            run = self._runs.pop(entry_id, None)
        if run is not None:
            run.stop()

    # --- students (and the lecturer's renaming) ----------------------------------------

    def set_name(self, actor: Owner, name: str, student_id: str | None = None) -> str:
        """Set a display name: a student their own, the lecturer anybody's. Names are
        unique (ignoring case). The name as kept."""
        target = student_id or actor.id
        if target != actor.id:
            _teacher_only(actor, _("Only the teacher can rename a student."))
        clean = clean_display_name(name)
        with self._lock:
            if self._state is None:
                raise ChallengeError(_("There is no challenge now."))
            taken = {n.casefold() for sid, n in self._state.names.items() if sid != target}
            if clean.casefold() in taken:
                raise ChallengeError(_("Somebody has that name already: choose another."))
            self._state.names[target] = clean
            self._changed()
        return clean

    def submit(self, actor: Owner, algorithm: str, changes: Mapping[str, Any]) -> Entry:
        """Queue an entry of `actor`'s with their settings; raises ChallengeError (closed,
        no entries left, a fixed setting) or ConfigError (a value out of range)."""
        with self._lock:
            if self._state is None:
                raise ChallengeError(_("There is no challenge now."))
            spec = self._state.spec
            if not spec.open_at(self._clock()):
                raise ChallengeError(_("The challenge has ended: no more entries."))
            if actor.role is Role.STUDENT and self.entries_left(actor.id) < 1:
                raise ChallengeError(ngettext(
                    "You have used your {count} entry.", "You have used your {count} entries.",
                    spec.entries_per_student).format(count=spec.entries_per_student))
            spec.entry_config(algorithm, changes)          # refuses what the rules refuse
            entry = Entry(f"e{secrets.token_hex(4)}", actor.id, algorithm, dict(changes),
                          submitted_at=self._clock())
            self._state.entries.append(entry)
            self._changed()
        self.pump()
        return entry

    # --- the queue ------------------------------------------------------------------------

    def pump(self) -> None:
        """Score what ended, send back what was stopped, start what there is room for."""
        with self._lock:
            if self._state is None:
                return
            running = [e for e in self._state.entries if e.status is EntryStatus.RUNNING]
        for entry in running:
            self._check(entry)
        self._start_waiting()

    def _check(self, entry: Entry) -> None:
        run = self._runs.get(entry.entry_id)
        snap = run.snapshot(watch=False) if run is not None else None
        if snap is None or snap.status is RunStatus.STOPPED:
            with self._lock:                 # the lecturer's demo took its place: again
                self._runs.pop(entry.entry_id, None)
                if self._entry(entry.entry_id).status is EntryStatus.RUNNING:
                    self._put(_requeued(entry))
            return
        if not snap.status.ended:
            return
        finished_at = self._clock()
        work = images_seen(snap.step, snap.config)
        if snap.status is not RunStatus.FINISHED:
            self._end(entry, status=EntryStatus.FAILED, finished_at=finished_at,
                      images_seen=work, note=str(snap.message or snap.status))
            return
        try:
            done = self._score(run)
        except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the queue
            log.exception("Scoring entry %s failed", entry.entry_id)
            self._end(entry, status=EntryStatus.FAILED, finished_at=finished_at,
                      images_seen=work, note=str(exc))
            return
        if done.thumbnail is not None:
            (self.folder / THUMBS).mkdir(parents=True, exist_ok=True)
            (self.folder / THUMBS / f"{entry.entry_id}.png").write_bytes(done.thumbnail)
        if done.quality is None:
            self._end(entry, status=EntryStatus.FAILED, finished_at=finished_at,
                      images_seen=work, note=_("No classifier could score this data."))
            return
        scored = self._end(entry, status=EntryStatus.SCORED, finished_at=finished_at,
                           images_seen=work, score=done.quality.as_dict())
        if scored is None:
            return                            # removed meanwhile
        record = {"title": self.spec.title, "entry": entry.entry_id,
                  "score": done.quality.as_dict(), "scoring": str(self.spec.scoring),
                  "samples": SCORE_SAMPLES, "noise_seed": SCORE_SEED}
        try:
            model, note = self._save(run, f"challenge-{entry.entry_id}", record), None
        except GanlibError as exc:
            model, note = None, _("Scored, but not saved: {why}").format(why=exc)
        with self._lock:
            current = self._entry(entry.entry_id)
            if current.status is EntryStatus.SCORED:
                self._put(current.changed(model=model, note=note))

    def _end(self, entry: Entry, **fields: Any) -> Entry | None:
        with self._lock:
            self._runs.pop(entry.entry_id, None)
            current = self._entry(entry.entry_id)
            if current.status is not EntryStatus.RUNNING:
                return None
            ended = current.changed(**fields)
            self._put(ended)
            return ended

    def _start_waiting(self) -> None:
        while True:
            with self._lock:
                queued = sorted((e for e in self._state.entries
                                 if e.status is EntryStatus.QUEUED),
                                key=lambda e: e.submitted_at)
                if not queued or not self._room():
                    return
                entry = queued[0]
                name = self.name_of(entry.student_id)
                config = self._state.spec.entry_config(entry.algorithm, entry.changes)
                try:
                    run, _key = self.registry.start(
                        lambda: self._make_run(config, entry.student_id),
                        owner=entry_owner(entry, name), admitted=True)
                except TooManyRuns:
                    return                    # the lecturer started a run meanwhile
                except GanlibError as exc:    # the data went away, say
                    self._put(entry.changed(status=EntryStatus.FAILED, note=str(exc),
                                            finished_at=self._clock()))
                    continue
                self._runs[entry.entry_id] = run
                self._put(entry.changed(status=EntryStatus.RUNNING, run_id=run.run_id,
                                        started_at=self._clock()))

    def _room(self) -> bool:
        """Whether another entry may start: always on a cluster (it queues); here, when no
        entry trains and the registry has a free slot."""
        if self.registry.queues:
            return True
        if self._runs:
            return False
        return len(self.registry.active()) < self.registry.max_active

    # --- bookkeeping ----------------------------------------------------------------------

    def _entry(self, entry_id: str) -> Entry:
        found = next((e for e in self._state.entries if e.entry_id == entry_id), None) \
            if self._state else None
        if found is None:
            raise ChallengeError(_("That entry is not in this challenge."))
        return found

    def _put(self, entry: Entry) -> None:
        self._state.entries = [entry if e.entry_id == entry.entry_id else e
                               for e in self._state.entries]
        self._changed()

    def _changed(self) -> None:
        """Keep the change (the caller holds the lock): a restart finds it."""
        self.version += 1
        try:
            save_state(self.folder / FILE, self._state)
        except OSError as exc:
            log.error("The challenge could not be saved to %s: %s", self.folder / FILE, exc)

    def _loop(self, tick_s: float) -> None:
        while not self._closed.wait(tick_s):
            try:
                self.pump()
            except Exception:  # noqa: BLE001 - the queue must outlive one bad tick
                log.exception("The challenge queue failed once")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop moving the queue and wait for its last tick (the server stops; the registry
        stops the runs)."""
        self._closed.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


def _requeued(entry: Entry) -> Entry:
    """An entry sent back to wait, to train again from its start."""
    return entry.changed(status=EntryStatus.QUEUED, run_id=None, started_at=None,
                         images_seen=0)
