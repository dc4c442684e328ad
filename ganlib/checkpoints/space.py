"""The checkpoint quota, shared out: how much each person's models use, and what a save or
an upload may add.

One server, one disk, one class: with a single quota for everybody, one student's uploads
filled it in minutes, and then every save was refused, the teacher's and the autosaves too
(a run was lost at shutdown). So the quota is shared out (docs/decisions.md):
- every model counts against its owner, as its meta.json records it (none: the teacher's);
- a student's saves and uploads may fill their share of the quota (`student_share`), and the
  students' together the quota less a reserve (`checkpoint_reserve`);
- the teacher's saves and uploads, and every autosave, may fill the whole quota: the reserve
  is theirs, so a full share or a full class never stops them;
- an autosave of a student's run that does not fit the student's room first takes the room of
  that student's own older autosaves, oldest first (an autosave is a safety copy, and the
  newest is the one that matters); only what still does not fit goes into the reserve.
Work in progress (hidden folders) is nobody's but fills the quota like the rest.

A server without a teacher passcode has no students: everything is its one user's, who has
the whole quota.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ganlib import settings
from ganlib.checkpoints.upkeep import checkpoint_root
from ganlib.errors import CheckpointError
from ganlib.messages import _
from ganlib.units import format_size

log = logging.getLogger(__name__)


def checkpoint_quota() -> int:
    """The most bytes the checkpoints folder may hold, uploads from every browser and saves
    together, so that a classroom cannot fill the server's disk (a setting in MB, as people
    think of disk space: ganlib.settings)."""
    return int(settings.get().checkpoint_quota_mb * 2**20)


def student_share() -> int:
    """The most bytes one student's models may use (a share of the quota)."""
    return int(settings.get().student_share * checkpoint_quota())


def students_room() -> int:
    """The most bytes all students' models may use together: the quota less the reserve
    kept for the teacher and for autosaves."""
    return int((1 - settings.get().checkpoint_reserve) * checkpoint_quota())


@dataclass(frozen=True)
class Holding:
    """One entry of the checkpoints folder, as the quota sees it."""

    name: str
    size: int                 # bytes of all its files
    owner: str | None         # a student's browser id; None: the teacher's (or nobody's)
    autosave: bool            # an autosave: a safety copy of a run, not a model a person named
    saved_at: float           # when its meta.json was written (to find the oldest autosave)

    @property
    def in_progress(self) -> bool:
        return self.name.startswith(".")


def holdings(folder: Path, leaving: Sequence[Path] = ()) -> list[Holding]:
    """Every entry of `folder` but those in `leaving` (folders about to go: the model a save
    replaces or makes redundant)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path in leaving:
            continue
        owner, autosave, saved_at = read_label(path)
        found.append(Holding(path.name, tree_bytes(path), owner, autosave, saved_at))
    return found


def usage(owner: str | None, root: str | Path | None = None) -> int:
    """Bytes the models of `owner` (a student's id; None: the teacher's) use."""
    return sum(h.size for h in holdings(checkpoint_root(root))
               if h.owner == owner and not h.in_progress)


def quota_used(root: str | Path | None = None) -> int:
    """Bytes the checkpoints folder holds, everybody's together."""
    return sum(h.size for h in holdings(checkpoint_root(root)))


def autosaves_to_drop(folder: Path, adding: int, owner: str | None,
                      leaving: Sequence[Path] = ()) -> list[str]:
    """The names of `owner`'s older autosaves that must go, oldest first, for a new autosave
    of `adding` bytes to fit the student's share and the students' room (none for the
    teacher, or when it fits). What still does not fit goes into the reserve."""
    if owner is None:
        return []
    held = holdings(folder, leaving)
    own = sum(h.size for h in held if h.owner == owner)
    students = sum(h.size for h in held if h.owner is not None)
    dropped = []
    for old in sorted((h for h in held if h.owner == owner and h.autosave),
                      key=lambda h: h.saved_at):
        if own + adding <= student_share() and students + adding <= students_room():
            break
        dropped.append(old.name)
        own, students = own - old.size, students - old.size
    return dropped


def check_room(folder: Path, adding: int, *, owner: str | None, autosave: bool, refused: str,
               leaving: Sequence[Path] = ()) -> None:
    """CheckpointError (starting with `refused`, saying what to delete) unless `adding` more
    bytes of `owner`'s fit: within the quota always, and for a student's save or upload
    (not an autosave) within their share and the students' room too."""
    held = holdings(folder, leaving)
    used, quota = sum(h.size for h in held), checkpoint_quota()
    if used + adding > quota:
        log.warning("%s is full: %s of its quota of %s (%s) used, %s refused.", folder,
                    format_size(used), format_size(quota),
                    settings.name_of("checkpoint_quota_mb"), format_size(adding))
        raise CheckpointError(_("{refused}: it takes {adding}, and the models on this server "
                                "already use {used} of their quota of {quota}. Delete models "
                                "that are no longer needed on the Models page, then try "
                                "again.").format(
                                  refused=refused, adding=format_size(adding),
                                  used=format_size(used), quota=format_size(quota)))
    if owner is None or autosave:
        return
    own = sum(h.size for h in held if h.owner == owner)
    if own + adding > student_share():
        raise CheckpointError(_("{refused}: it takes {adding}, and your models use {used} of "
                                "the {share} each student may use. Delete models of yours that "
                                "you no longer need on the Models page, then try again.").format(
                                  refused=refused, adding=format_size(adding),
                                  used=format_size(own), share=format_size(student_share())))
    students = sum(h.size for h in held if h.owner is not None)
    if students + adding > students_room():
        log.warning("The students' models in %s use %s of the %s they may (%s keeps the rest "
                    "for the teacher and autosaves); %s refused.", folder,
                    format_size(students), format_size(students_room()),
                    settings.name_of("checkpoint_reserve"), format_size(adding))
        raise CheckpointError(_("{refused}: it takes {adding}, and the students' models already "
                                "use {used} of the {room} that students may fill (the rest is "
                                "kept for the teacher and for autosaves). Ask the teacher to "
                                "delete models that are no longer needed.").format(
                                  refused=refused, adding=format_size(adding),
                                  used=format_size(students), room=format_size(students_room())))


def read_label(path: Path) -> tuple[str | None, bool, float]:
    """(owner, autosave, when meta.json was written) of a model folder, as far as its
    meta.json says, leniently: the quota must count a broken folder too. (None, False, 0)
    for work in progress and what cannot be read."""
    meta_file = path / "meta.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        saved_at = meta_file.stat().st_mtime
    except (OSError, ValueError):
        return None, False, 0.0
    if path.name.startswith(".") or not isinstance(meta, dict):
        return None, False, saved_at
    owner = meta.get("owner")
    return (owner if isinstance(owner, str) else None), meta.get("autosave") is True, saved_at


def tree_bytes(path: Path) -> int:
    """Bytes of every file under `path` (or of `path`, a file)."""
    if not path.is_dir():
        try:
            return path.lstat().st_size
        except OSError:                  # removed meanwhile by another process
            return 0
    total = 0
    for folder, _subfolders, files in os.walk(path):
        for file in files:
            try:
                total += os.lstat(os.path.join(folder, file)).st_size
            except OSError:              # removed meanwhile by another process
                pass
    return total
