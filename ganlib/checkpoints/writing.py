"""Changing checkpoints, atomically: save, rename and delete.

One promise, and why: a change never destroys what was there. Training for an hour and
then running out of disk while saving must not leave a half-written checkpoint in place of
the good one, so every file goes into a hidden folder beside the target, which is then
swapped in with renames; a delete first renames the folder to a hidden name, and a rename
replaces meta.json in one rename. What a change killed half-way leaves behind is hidden
(`.tmp-*`, `.old-*`), never listed, and swept later (ganlib.checkpoints.upkeep).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlib import __version__
from ganlib.checkpoints.reading import (CHECKPOINT_FILES, FORMAT, CheckpointInfo, _one_line,
                                        _read_meta, _reading, _shape_problem, read_info)
from ganlib.checkpoints.upkeep import (_check_quota, _folder, _tree_bytes, checkpoint_root,
                                       valid_name)
from ganlib.config import TrainConfig
from ganlib.errors import CheckpointError
from ganlib.images import png_bytes
from ganlib.messages import _

if TYPE_CHECKING:
    import keras


def save_checkpoint(name: str, *, generator: keras.Model, critic: keras.Model,
                    config: TrainConfig, step: int,
                    history: Mapping[str, np.ndarray] | None = None,
                    preview: np.ndarray | None = None, elapsed_s: float = 0.0,
                    metrics: Mapping[str, float] | None = None,
                    optimizer_state: Mapping[str, Sequence[np.ndarray]] | None = None,
                    dataset_notice: str | None = None, root: str | Path | None = None,
                    overwrite: bool = True, owner: str | None = None,
                    quality: Mapping[str, float] | None = None) -> CheckpointInfo:
    """Save networks and metadata as checkpoint `name`, atomically.

    Everything is written into a hidden folder `root/.tmp-<name>-<random>`, then swapped in
    with two renames (old -> `.old-...`, new -> `name`) and the old folder deleted. If any
    step fails, the previous checkpoint of that name stays as it was and the hidden folder
    is removed. (Between the two renames, a few microseconds, the name does not exist:
    directories cannot be swapped in one portable system call.)

    `preview` is one (H, W) uint8 picture (ganlib.images.image_grid); `optimizer_state`
    maps an optimiser's name to its variables' values, in order; `quality` is what
    ganlib.quality measured of the generator.
    """
    valid_name(name)
    folder = checkpoint_root(root)
    target = folder / name
    existed = target.is_dir()
    if existed and not overwrite:
        raise CheckpointError(_("A checkpoint named '{name}' already exists in {folder}. "
                                "Choose another name, or delete or rename the old one "
                                "first.").format(name=name, folder=folder))
    problem = _shape_problem(generator, critic, config.latent_dim)
    if problem:
        raise CheckpointError(_("Checkpoint '{name}' was not saved: {problem}.").format(
                                  name=name, problem=problem))
    meta = {"format": FORMAT, "ganlib_version": __version__, "name": name, "step": int(step),
            "created": datetime.now(timezone.utc).isoformat(), "elapsed_s": float(elapsed_s),
            "metrics": {str(k): float(v) for k, v in (metrics or {}).items()}}
    if dataset_notice:
        meta["dataset_notice"] = dataset_notice
    if owner:
        meta["owner"] = owner
    if quality:
        meta["quality"] = {str(k): float(v) for k, v in quality.items()}
    preview_bytes = png_bytes(preview) if preview is not None else None
    scratch: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=folder))
        generator.save(scratch / "generator.keras")
        critic.save(scratch / "critic.keras")
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
        _check_quota(folder, _tree_bytes(scratch),
                     _("Checkpoint '{name}' was not saved").format(name=name),
                     leaving=(scratch, target))
        _swap_in(scratch, target)
    except CheckpointError:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras and the disk can fail in any way
        kept = _("The previous version is intact.") if existed else _("Nothing was written.")
        raise CheckpointError(_("Checkpoint '{name}' could not be saved ({error}: {reason}). "
                                "{kept} Check that {folder} is writable and the disk has space, "
                                "then save again.").format(
                                  name=name, error=type(exc).__name__, reason=_one_line(exc),
                                  kept=kept, folder=folder)
                              ) from exc
    finally:
        if scratch is not None and scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return read_info(target)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _hidden_beside(path: Path, kind: str) -> Path:
    """A fresh hidden name in the same folder (same file system, so renames are atomic)."""
    return path.with_name(f".{kind}-{path.name}-{secrets.token_hex(4)}")


def _swap_in(scratch: Path, target: Path) -> None:
    """Rename `scratch` to `target`, replacing (and then deleting) an existing `target`."""
    old = None
    if target.exists():
        old = _hidden_beside(target, "old")
        os.rename(target, old)
    try:
        os.rename(scratch, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
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
    """Give a checkpoint a new name (its folder, and meta.json's name)."""
    valid_name(new_name)
    path = _folder(name_or_path, root)
    target = path.parent / new_name
    with _reading(path):
        meta = _read_meta(path)
    if target.exists():
        raise CheckpointError(_("A checkpoint named '{name}' already exists in {folder}. "
                                "Choose another name, or delete that one first.").format(
                                    name=new_name, folder=path.parent))
    try:
        os.rename(path, target)
        # The folder name is what counts; meta.json's copy is replaced in one rename, so a
        # failure cannot leave it half-written.
        meta["name"] = new_name
        scratch = _hidden_beside(target, "tmp")
        _write_json(scratch, meta)
        os.replace(scratch, target / "meta.json")
    except OSError as exc:
        raise CheckpointError(_("Checkpoint '{name}' could not be renamed to '{new_name}' "
                                "({exc}). Check that {parent} is writable.").format(
                                  name=path.name, new_name=new_name, exc=exc,
                                  parent=path.parent)) from None
    return read_info(target)
