"""The checkpoints folder and its upkeep: where it is, which names it accepts, how much it
may hold, and the sweep of what killed saves left behind.

This is the bottom of the package: reading, writing and transfer all find checkpoints
through it, and listing sweeps the folder, so it imports none of them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ganlib import settings
from ganlib.errors import CheckpointError
from ganlib.messages import _
from ganlib.units import format_size

log = logging.getLogger(__name__)

# A hidden .tmp-*/.old-* entry of the root that has not changed for this long is the
# leftover of a save or delete killed half-way (kill -9, power cut), never one in
# progress: a save writes a file every few seconds at most.
LEFTOVER_AGE_S = 120.0
_LEFTOVER = re.compile(r"\.(tmp|old)-.+")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


def checkpoint_root(root: str | Path | None = None) -> Path:
    """The folder holding checkpoints: `root`, else the setting (ganlib.settings:
    $GANLIB_CHECKPOINTS, else the repository's checkpoints/)."""
    return Path(root) if root is not None else settings.get().checkpoints


def writable_root(root: str | Path | None = None) -> Path:
    """The checkpoint root, created if needed, after checking that files can be written in
    it: CheckpointError if not. A long training checks this first, so that it is not lost
    for a folder it could never be saved in."""
    folder = checkpoint_root(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CheckpointError(_("Checkpoints cannot be written to {folder} ({reason}). Give a "
                                "folder that exists or can be created, and that you may "
                                "write to.").format(
                                  folder=folder, reason=exc.strerror or exc)) from None
    return folder


def valid_name(name: str) -> str:
    """`name` if it can name a checkpoint folder on any system, else CheckpointError.

    1 to 64 ASCII letters, digits, '-', '_' or '.', not starting with a dot (hidden folders
    are the save's scratch space): never a path, so a name cannot escape the root.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise CheckpointError(_("{name!r} is not a valid checkpoint name: use 1 to 64 letters, "
                                "digits, '-', '_' or '.', not starting with a dot "
                                "(e.g. wgan-quick-7).").format(name=name))
    return name


def unique_name(folder: Path, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, ... : the first not taken in `folder`."""
    candidate, n = wanted, 2
    while (folder / candidate).exists():
        suffix = f"-{n}"
        candidate, n = wanted[:64 - len(suffix)] + suffix, n + 1
    return candidate


def _folder(name_or_path: str | Path, root: str | Path | None) -> Path:
    """A bare name lives under the root; a Path, or a string with a slash, is the folder."""
    if isinstance(name_or_path, Path) or (isinstance(name_or_path, str) and (
            "/" in name_or_path or os.sep in name_or_path)):
        return Path(name_or_path)
    return checkpoint_root(root) / valid_name(name_or_path)


# --- quota ---------------------------------------------------------------------------------

def checkpoint_quota() -> int:
    """The most bytes the checkpoints folder may hold, uploads from every browser and saves
    together, so that a classroom cannot fill the server's disk (a setting in MB, as people
    think of disk space: ganlib.settings)."""
    return int(settings.get().checkpoint_quota_mb * 2**20)


def _tree_bytes(path: Path, leaving: Sequence[Path] = ()) -> int:
    """Bytes of every file under `path`, except under the folders in `leaving`."""
    total = 0
    for folder, subfolders, files in os.walk(path):
        if Path(folder) in leaving:
            subfolders.clear()
            continue
        for file in files:
            try:
                total += os.lstat(os.path.join(folder, file)).st_size
            except OSError:              # removed meanwhile by another process
                pass
    return total


def _check_quota(folder: Path, adding: int, refused: str, leaving: Sequence[Path] = ()) -> None:
    """CheckpointError (starting with `refused`) if adding `adding` bytes to the folder
    would pass the quota; `leaving` are folders about to go (the model being replaced)."""
    quota = checkpoint_quota()
    used = _tree_bytes(folder, leaving) if folder.is_dir() else 0
    if used + adding > quota:
        log.warning("%s is full: %s of its quota of %s (%s) used, %s refused.", folder,
                    format_size(used), format_size(quota),
                    settings.name_of("checkpoint_quota_mb"), format_size(adding))
        raise CheckpointError(_("{refused}: it takes {adding} and the checkpoints folder holds "
                                "{used} of its quota of {quota}. Delete models that are no "
                                "longer needed (on the Models page, or their folders in "
                                "{folder}), then try again.").format(
                                  refused=refused, adding=format_size(adding),
                                  used=format_size(used), quota=format_size(quota),
                                  folder=folder))


# --- leftovers -----------------------------------------------------------------------------

def sweep_leftovers(root: str | Path | None = None) -> list[str]:
    """Remove what saves and deletes killed half-way left in the root (hidden `.tmp-*` and
    `.old-*` entries), returning their names.

    Only entries unchanged for LEFTOVER_AGE_S are removed, so a save that another process
    is writing right now is never touched. Nothing else is: hidden entries a person made
    stay.
    """
    folder = checkpoint_root(root)
    removed = []
    try:
        candidates = [p for p in folder.iterdir() if _LEFTOVER.fullmatch(p.name)]
    except OSError:
        return removed
    for path in candidates:
        try:
            changed = max([path.lstat().st_mtime] + ([p.lstat().st_mtime for p in path.iterdir()]
                                                     if path.is_dir() else []))
            if time.time() - changed < LEFTOVER_AGE_S:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:                  # swept by another process meanwhile, or not ours
            continue
        removed.append(path.name)
    return removed
