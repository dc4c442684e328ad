"""Changing checkpoints, atomically: save, rename and delete.

One promise, and why: a change never destroys what was there. Training for an hour and
then running out of disk while saving must not leave a half-written checkpoint in place of
the good one, so every file goes into a hidden folder beside the target, which is then
swapped in with renames; a delete first renames the folder to a hidden name, and a rename
replaces meta.json in one rename. What a change killed half-way leaves behind is hidden
(`.tmp-*`, `.old-*`), never listed, and swept later (ganlib.checkpoints.upkeep).

And one more: a change never replaces a model it did not start from. Two people pressing
Save with the same name at the same moment both keep their model (`_place`).
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import secrets
import shutil
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlib import __version__
from ganlib.checkpoints.reading import (CHECKPOINT_FILES, FORMAT, RAW_GENERATOR,
                                        CheckpointInfo, _one_line, _read_meta, _reading,
                                        _shape_problem, _twin_problem, read_info)
from ganlib.checkpoints.space import autosaves_to_drop, check_room, read_label, tree_bytes
from ganlib.checkpoints.upkeep import (_folder, checkpoint_root, in_progress, is_disk_full,
                                       scratch_folder, unique_name, valid_name)
from ganlib.config import TrainConfig
from ganlib.errors import CheckpointError
from ganlib.images import png_bytes
from ganlib.messages import _

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)


def save_checkpoint(name: str, *, generator: keras.Model, critic: keras.Model,
                    config: TrainConfig, step: int, raw_generator: keras.Model | None = None,
                    history: Mapping[str, np.ndarray] | None = None,
                    preview: np.ndarray | None = None, elapsed_s: float = 0.0,
                    metrics: Mapping[str, float] | None = None,
                    optimizer_state: Mapping[str, Sequence[np.ndarray]] | None = None,
                    dataset_notice: str | None = None, root: str | Path | None = None,
                    overwrite: bool = True, owner: str | None = None, autosave: bool = False,
                    supersedes: str | None = None,
                    quality: Mapping[str, float] | None = None) -> CheckpointInfo:
    """Save networks and metadata as checkpoint `name`, atomically; the info of what was
    saved, whose `name` says where.

    Everything is written into a hidden folder `root/.tmp-<name>-<random>`, then moved in
    with renames; if any step fails, what was there stays as it was and the hidden folder is
    removed. The last step never replaces a model the save did not start from: with
    `overwrite`, the model of that name and `owner` that was there when the save began is
    replaced (two renames: between them, a few microseconds, the name does not exist);
    without it a name already taken is refused at once. A name taken while the save was
    being written (another save, an upload, a rename, perhaps another process) is never
    replaced: the model is saved under the next free name, `name-2`, and the caller tells
    the user so.

    `owner` is the student who saves (None: the teacher); `autosave` marks a safety copy of a
    run (ganlib.checkpoints.space says how each counts against the quota); `supersedes` names
    the run's own autosave, which this save makes redundant: it is deleted once the save is
    done. `preview` is one (H, W) uint8 picture (ganlib.images.image_grid);
    `optimizer_state` maps an optimiser's name to its variables' values, in order;
    `quality` is what ganlib.quality measured of the generator. `generator` is the one
    samples come from: with averaging (ganlib.gans) the average, and `raw_generator` the
    trained generator, which resuming needs too.
    """
    valid_name(name)
    folder = checkpoint_root(root)
    target = folder / name
    started_from = _identity(target)
    if started_from is not None and not overwrite:
        raise CheckpointError(_("A checkpoint named '{name}' already exists. Choose another "
                                "name, or delete or rename the old one first.").format(
                                  name=name))
    problem = (_shape_problem(generator, critic, config.latent_dim)
               or _twin_problem(generator, raw_generator))
    if problem:
        raise CheckpointError(_("Checkpoint '{name}' was not saved: {problem}.").format(
                                  name=name, problem=problem))
    meta = {"format": FORMAT, "ganlib_version": __version__, "name": name, "step": int(step),
            "created": datetime.now(timezone.utc).isoformat(), "elapsed_s": float(elapsed_s),
            # A metric that is not a number (a run diverging) is left out: a file holding
            # one is a broken checkpoint (ganlib.checkpoints.reading).
            "metrics": {str(k): float(v) for k, v in (metrics or {}).items()
                        if math.isfinite(float(v))}}
    if dataset_notice:
        meta["dataset_notice"] = dataset_notice
    if owner:
        meta["owner"] = owner
    if quality:
        meta["quality"] = {str(k): float(v) for k, v in quality.items()}
    if autosave:
        meta["autosave"] = True
    preview_bytes = png_bytes(preview) if preview is not None else None
    replacing = started_from if overwrite and read_label(target)[0] == owner else None
    redundant = folder / supersedes if supersedes and supersedes != name else None
    try:
        with scratch_folder(folder, f".tmp-{name}-") as scratch:
            generator.save(scratch / "generator.keras")
            critic.save(scratch / "critic.keras")
            if raw_generator is not None:
                raw_generator.save(scratch / RAW_GENERATOR)
            _write_json(scratch / "config.json", config.to_dict())
            np.savez(scratch / "history.npz",
                     **{k: np.asarray(v, dtype=np.float64) for k, v in (history or {}).items()})
            if optimizer_state:
                np.savez(scratch / "optimizers.npz",
                         **{f"{group}/{i:04d}": np.asarray(value)
                            for group, values in optimizer_state.items()
                            for i, value in enumerate(values)})
            if preview_bytes is not None:
                (scratch / "preview.png").write_bytes(preview_bytes)
            _write_json(scratch / "meta.json", meta)     # last: only a complete folder has it
            leaving = [target] if replacing else []
            if redundant is not None and _is_autosave_of(redundant, owner):
                leaving.append(redundant)
            _make_room(scratch, owner, autosave, leaving,
                       refused=_("Checkpoint '{name}' was not saved").format(name=name))
            final = _place(scratch, name, meta, replacing)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras and the disk can fail in any way
        kept = (_("The previous version is intact.") if started_from
                else _("Nothing was written."))
        if is_disk_full(exc):
            raise CheckpointError(_("Checkpoint '{name}' could not be saved: the server's disk is "
                                    "full ({reason}). {kept} Delete models that are no longer "
                                    "needed, or ask the server's administrator to free space, "
                                    "then save again.").format(
                                      name=name, reason=_one_line(exc), kept=kept)) from exc
        raise CheckpointError(_("Checkpoint '{name}' could not be saved ({error}: {reason}). "
                                "{kept} Check that the checkpoints folder is writable, then save "
                                "again.").format(
                                  name=name, error=type(exc).__name__, reason=_one_line(exc),
                                  kept=kept)) from exc
    if redundant is not None and final != supersedes and _is_autosave_of(redundant, owner):
        _delete_quietly(redundant)
    return read_info(folder / final)


def _make_room(scratch: Path, owner: str | None, autosave: bool, leaving: Sequence[Path],
               refused: str) -> None:
    """Refuse the save (CheckpointError) unless it fits the quota as shared out
    (ganlib.checkpoints.space); an autosave first takes the room of its owner's older
    autosaves if it must. `leaving` are folders that go once the save is done."""
    folder, adding = scratch.parent, tree_bytes(scratch)
    if autosave:
        for old in autosaves_to_drop(folder, adding, owner, leaving=[scratch, *leaving]):
            log.warning("Deleted autosave %s to make room for a newer autosave of its owner.",
                        old)
            _delete_quietly(folder / old)
    check_room(folder, adding, owner=owner, autosave=autosave, refused=refused,
               leaving=[scratch, *leaving])


def _is_autosave_of(path: Path, owner: str | None) -> bool:
    """Whether the model at `path` is an autosave of `owner`'s."""
    return read_label(path)[:2] == (owner, True)


def _identity(path: Path) -> tuple[int, int, int, str | None] | None:
    """What tells the model at `path` from any other that takes its name later (None: there
    is none): its folder, when its meta.json was written, and its owner."""
    try:
        folder = path.stat()
    except OSError:
        return None
    try:
        written = (path / "meta.json").stat().st_mtime_ns
    except OSError:                      # a broken folder
        written = 0
    return folder.st_dev, folder.st_ino, written, read_label(path)[0]


# The last step of every change that gives a folder a name (save, upload, rename) holds this:
# looking at what has the name and renaming onto it is one step for this process, and a
# rename never replaces a folder that holds files, which covers other processes.
_NAMING = threading.Lock()


def _place(scratch: Path, name: str, meta: dict[str, Any],
           replacing: tuple[int, int, int, str | None] | None = None) -> str:
    """Move the complete folder `scratch` in as `name`, replacing only the model `replacing`
    (the one a save started from). A name taken by anything else gives the next free name,
    `name-2`, `name-3`, ... (meta.json, which `meta` holds, gets it). The name it got."""
    folder, wanted = scratch.parent, name
    with _NAMING:
        if replacing is not None and _identity(folder / name) == replacing:
            _swap_in(scratch, folder / name)
            return name
        while True:
            if meta.get("name") != name:
                meta["name"] = name
                _write_json(scratch / "meta.json", meta)
            if not (folder / name).exists():
                try:
                    os.rename(scratch, folder / name)
                    return name
                except OSError as exc:   # another process took it since: a rename onto a
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):   # full folder fails
                        raise
            name = unique_name(folder, wanted)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _hidden_beside(path: Path, kind: str) -> Path:
    """A fresh hidden name in the same folder (same file system, so renames are atomic)."""
    return path.with_name(f".{kind}-{path.name}-{secrets.token_hex(4)}")


def _swap_in(scratch: Path, target: Path) -> None:
    """Rename `scratch` to `target`, replacing (and then deleting) the existing `target`,
    which is held `in_progress` meanwhile so that no sweep takes it while it is hidden."""
    with in_progress(target):
        old = _hidden_beside(target, "old")
        os.rename(target, old)
        try:
            os.rename(scratch, target)
        except BaseException:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)


def update_meta(name_or_path: str | Path, changes: Mapping[str, Any],
                root: str | Path | None = None) -> CheckpointInfo:
    """Add or replace fields of a checkpoint's meta.json (a quality measured later), in one
    rename: a failure leaves the old file whole."""
    path = _folder(name_or_path, root)
    with _reading(path):
        meta = _read_meta(path)
    scratch = _hidden_beside(path, "tmp")
    try:
        _write_json(scratch, {**meta, **changes})
        os.replace(scratch, path / "meta.json")
    except OSError as exc:
        scratch.unlink(missing_ok=True)
        raise CheckpointError(_("Checkpoint '{name}' could not be updated ({exc}). Check that "
                                "{parent} is writable.").format(
                                  name=path.name, exc=exc, parent=path.parent)) from None
    return read_info(path)


def _delete_quietly(path: Path) -> None:
    """Delete a model the caller decided is redundant; a failure is only logged (the save
    that made it redundant succeeded)."""
    try:
        delete_checkpoint(path)
    except CheckpointError as exc:
        log.warning("Could not delete %s: %s", path, exc)


def delete_checkpoint(name_or_path: str | Path, root: str | Path | None = None) -> None:
    """Delete a checkpoint folder, broken or not.

    The folder is first renamed to a hidden name, so a failure half-way never leaves a
    half-deleted checkpoint in the list. A folder holding anything a checkpoint never holds
    is refused: this function must not be a way to delete arbitrary folders.
    """
    path = _folder(name_or_path, root)
    if not path.is_dir():
        raise CheckpointError(_("There is no checkpoint '{name}' in {parent} to delete. The "
                                "Models page lists the saved checkpoints.").format(
                                  name=path.name, parent=path.parent))
    strays = sorted(p.name for p in path.iterdir()
                    if p.name not in CHECKPOINT_FILES or not p.is_file() or p.is_symlink())
    if strays:
        raise CheckpointError(_("{path} was not deleted: it holds {strays}, which is not part of "
                                "a checkpoint. If it should go, delete it by hand.").format(
                                  path=path, strays=', '.join(strays[:5])))
    trash = _hidden_beside(path, "old")
    try:
        os.rename(path, trash)
    except OSError as exc:
        raise CheckpointError(_("Checkpoint '{name}' could not be deleted ({exc}). Check that "
                                "{parent} is writable.").format(
                                  name=path.name, exc=exc, parent=path.parent)) from None
    shutil.rmtree(trash, ignore_errors=True)


def rename_checkpoint(name_or_path: str | Path, new_name: str,
                      root: str | Path | None = None) -> CheckpointInfo:
    """Give a checkpoint a new name (its folder, and meta.json's name).

    An autosave given a name is a model a person named from then on, and counts as one
    against its owner's share (ganlib.checkpoints.space): else renaming autosaves would let
    a student's models grow past the share without end.
    """
    valid_name(new_name)
    path = _folder(name_or_path, root)
    target = path.parent / new_name
    with _reading(path):
        meta = _read_meta(path)
    if meta.pop("autosave", None) is True:
        check_room(path.parent, tree_bytes(path), owner=read_label(path)[0], autosave=False,
                   refused=_("Autosave '{name}' was not renamed").format(name=path.name),
                   leaving=[path])
    try:
        with _NAMING:
            if target.exists():
                raise CheckpointError(_("A checkpoint named '{name}' already exists. Choose "
                                        "another name, or delete that one first.").format(
                                          name=new_name))
            os.rename(path, target)
        # The folder name is what counts; meta.json's copy is replaced in one rename, so a
        # failure cannot leave it half-written.
        meta["name"] = new_name
        with scratch_folder(path.parent, f".tmp-{new_name}-") as scratch:
            _write_json(scratch / "meta.json", meta)
            os.replace(scratch / "meta.json", target / "meta.json")
    except OSError as exc:
        raise CheckpointError(_("Checkpoint '{name}' could not be renamed to '{new_name}' "
                                "({exc}). Check that the checkpoints folder is "
                                "writable.").format(
                                  name=path.name, new_name=new_name, exc=exc)) from None
    return read_info(target)
