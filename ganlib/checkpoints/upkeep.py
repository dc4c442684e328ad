"""The checkpoints folder and its upkeep: where it is, which names it accepts, the hold that
marks work in progress, and the sweep of what killed saves left behind.

This is the bottom of the package: reading, writing and transfer all find checkpoints
through it, and listing sweeps the folder, so it imports none of them.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ganlib import settings
from ganlib.errors import CheckpointError
from ganlib.messages import _

try:
    import fcntl
except ImportError:                      # Windows
    fcntl = None

# Where there is no flock (Windows), a hidden .tmp-*/.old-* entry of the root that has not
# changed for this long is taken for the leftover of a save or delete killed half-way.
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


# --- work in progress, and the leftovers of killed work -----------------------------------

def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, says the disk (or the user's disk quota)
    is full: then the message must say so, not blame the model or the upload."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextmanager
def in_progress(path: Path) -> Iterator[None]:
    """Hold `path` (a hidden folder or file being written, or a model being replaced) as work
    of this live process: `sweep_leftovers` never removes it meanwhile.

    The hold is an exclusive flock(2) on the entry itself. The kernel drops it when the
    process ends however it ends (kill -9 included), and it follows the entry through
    renames, so "is anybody still working on this?" is answered without reading a clock:
    a wall clock that jumps (NTP, a laptop waking up, a file dated in the future) can
    neither sweep work in progress nor keep a leftover forever. Systems without flock
    (Windows) fall back on the age of the entry (`_unchanged_for_a_while`).
    """
    fd = _hold(path)
    try:
        yield
    finally:
        _release(fd)


def _hold(path: Path) -> int | None:
    """Take the hold on `path` (waiting while a sweep holds it); FileNotFoundError if it is
    gone. The file descriptor to release, None without flock."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)                       # closing releases the hold


@contextmanager
def scratch_folder(folder: Path, prefix: str) -> Iterator[Path]:
    """A fresh hidden folder `folder/<prefix><random>`, held `in_progress` while the caller
    writes into it; removed afterwards unless the caller renamed it away."""
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
        try:
            fd = _hold(scratch)
        except FileNotFoundError:
            continue              # a sweep removed it before the hold was taken: another one
        if scratch.is_dir():
            break
        _release(fd)              # a sweep removed it while the hold was waited for
    try:
        yield scratch
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
        _release(fd)


def sweep_leftovers(root: str | Path | None = None) -> list[str]:
    """Remove what saves and deletes killed half-way left in the root (hidden `.tmp-*` and
    `.old-*` entries), returning their names.

    An entry held `in_progress` by a live process (in this one or another) is never touched,
    whatever its dates say; one nobody holds is a leftover and goes, removed while the sweep
    holds it. Nothing else is: hidden entries a person made stay.
    """
    folder = checkpoint_root(root)
    removed = []
    try:
        candidates = [p for p in folder.iterdir() if _LEFTOVER.fullmatch(p.name)]
    except OSError:
        return removed
    for path in candidates:
        try:
            if _remove_if_abandoned(path):
                removed.append(path.name)
        except OSError:                  # swept by another process meanwhile, or not ours
            continue
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    """Remove `path` if no live process holds it (`in_progress`); whether it did."""
    if fcntl is None:
        if not _unchanged_for_a_while(path):
            return False
        _remove(path)
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        _remove(path)
        return True
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _unchanged_for_a_while(path: Path) -> bool:
    """Without flock: whether `path` has not changed for LEFTOVER_AGE_S (a save writes a file
    every few seconds at most)."""
    changed = max([path.lstat().st_mtime] + ([p.lstat().st_mtime for p in path.iterdir()]
                                             if path.is_dir() else []))
    return time.time() - changed >= LEFTOVER_AGE_S
