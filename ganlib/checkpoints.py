"""Saved models: one folder per checkpoint, written atomically, loaded in Keras safe mode.

    checkpoints/<name>/
        generator.keras  critic.keras    the networks, Keras v3 format
        config.json                      TrainConfig.to_dict(): how to rebuild the run
        meta.json                        format, ganlib version, name, step, created (UTC),
                                         elapsed_s, last metrics, dataset notice
        history.npz                      the metric history, one float64 column per name
        preview.png                      a grid of samples (optional)
        optimizers.npz                   the optimisers' variables, to resume training (optional)

Three promises, and why:
- A save never destroys what was there. Training for an hour and then running out of disk
  while saving must not leave a half-written checkpoint in place of the good one, so every
  file goes into a hidden folder beside the target, which is then swapped in with renames.
- A load never runs code from the file. Checkpoints can be uploaded from a browser, and a
  .keras file can carry a Lambda layer with arbitrary Python; Keras safe mode refuses to
  deserialise it. Our networks use only standard layers, so safe mode costs nothing.
- A broken checkpoint is a message, not a traceback: every reading failure becomes a
  `CheckpointError` naming the folder, what is wrong and what to do, and
  `list_checkpoints` reports broken folders beside the good ones instead of failing.

Keras is imported only when a model is loaded, so listing checkpoints and reading their
metadata never waits for TensorFlow to start.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ganlib import __version__
from ganlib.archives import ZIP_READ_ERRORS, unsafe_entry_reason
from ganlib.config import TrainConfig
from ganlib.errors import CheckpointError, ConfigError
from ganlib.images import PictureError, open_picture, png_bytes
from ganlib.messages import _, ngettext
from ganlib.units import format_size

if TYPE_CHECKING:
    import keras

FORMAT = 1                      # meta.json "format": bump when the layout changes
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"
MODEL_FILES = ("generator.keras", "critic.keras")
REQUIRED_FILES = (*MODEL_FILES, "config.json", "meta.json", "history.npz")
CHECKPOINT_FILES = (*REQUIRED_FILES, "preview.png", "optimizers.npz")
KERAS_MEMBERS = ("config.json", "model.weights.h5")   # inside every Keras v3 file
IMAGE_SHAPE = (None, 28, 28, 1)                       # a batch of images, as ganlib uses them
# The largest checkpoint zip a browser may upload. Streamlit refuses larger uploads before
# they reach us by .streamlit/config.toml's maxUploadSize, in MB, which cannot import this:
# tests/test_checkpoints.py checks that the two agree.
MAX_UPLOAD_BYTES = 50 * 2**20
# An upload may unpack to at most this many times its own size (the bytes actually sent),
# but always to MIN_UNPACK_BYTES: a tiny zip's own overhead would otherwise dominate.
# Weights barely compress, so a genuine checkpoint unpacks to about its own size; a zip
# bomb, or a valid preview.png followed by 150 MB of zeros, unpacks to hundreds of times.
MAX_UNPACK_RATIO = 4
MIN_UNPACK_BYTES = 2**20
# The small files of a checkpoint are small: config.json and meta.json take a few KB, and
# preview.png is a grid of 64 digits of 28x28 pixels (about 240x240, tens of KB).
MAX_JSON_BYTES = 256 * 2**10
MAX_PREVIEW_BYTES = 4 * 2**20
MAX_PREVIEW_SIDE = 2048
_MEMBER_LIMITS = {"config.json": MAX_JSON_BYTES, "meta.json": MAX_JSON_BYTES,
                  "preview.png": MAX_PREVIEW_BYTES}
# The checkpoints folder may hold at most this many MB in all (uploads from every browser
# and saves together), so a classroom cannot fill the server's disk. In MB, as people
# think of disk space; 2,000 MB hold hundreds of Quick-preset models.
QUOTA_ENV = "GAN_CLASSROOM_CHECKPOINT_QUOTA_MB"
DEFAULT_QUOTA_MB = 2000
# A hidden .tmp-*/.old-* entry of the root that has not changed for this long is the
# leftover of a save or delete killed half-way (kill -9, power cut), never one in
# progress: a save writes a file every few seconds at most.
LEFTOVER_AGE_S = 120.0
_LEFTOVER = re.compile(r"\.(tmp|old)-.+")
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint is, read from its small files only (no network is loaded)."""

    path: Path
    name: str                    # the folder's name: what the checkpoint is called by
    config: TrainConfig
    step: int                    # generator iterations trained
    created: datetime            # when it was saved, timezone-aware UTC
    elapsed_s: float             # training time, excluding pauses
    metrics: dict[str, float]    # the last value of each metric when it was saved
    preview_png: Path | None
    dataset_notice: str | None = None   # what the data loader wanted the user to know
    owner: str | None = None     # the browser id of the student who saved it; None: the
                                 # teacher's, or shipped (ganlib.server.classroom decides rights)

    @property
    def algorithm(self) -> str:
        return self.config.algorithm

    @property
    def size_bytes(self) -> int:
        """Bytes on disk, all files together."""
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the networks, the history and, for resuming, optimiser state."""

    info: CheckpointInfo
    generator: keras.Model                      # (N, latent_dim) -> (N, 28, 28, 1)
    critic: keras.Model | None                  # None when loaded with with_critic=False
    history: dict[str, np.ndarray]              # float64 columns of equal length
    optimizer_state: dict[str, list[np.ndarray]]   # {} when none was saved


class _Damaged(Exception):
    """What is wrong inside a checkpoint folder; the caller words the advice."""


# --- names and places ----------------------------------------------------------------------

def checkpoint_root(root: str | Path | None = None) -> Path:
    """The folder holding checkpoints: `root`, else $GANLIB_CHECKPOINTS, else checkpoints/."""
    if root is not None:
        return Path(root)
    env = os.environ.get("GANLIB_CHECKPOINTS")
    return Path(env).expanduser() if env else DEFAULT_ROOT


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


def _folder(name_or_path: str | Path, root: str | Path | None) -> Path:
    """A bare name lives under the root; a Path, or a string with a slash, is the folder."""
    if isinstance(name_or_path, Path) or (isinstance(name_or_path, str) and (
            "/" in name_or_path or os.sep in name_or_path)):
        return Path(name_or_path)
    return checkpoint_root(root) / valid_name(name_or_path)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn every failure to read the checkpoint at `path` into a CheckpointError."""
    if not path.is_dir():
        raise CheckpointError(_("There is no checkpoint '{name}' in {parent}. Check the name: the "
                                "Models page lists the saved checkpoints.").format(
                                  name=path.name, parent=path.parent))
    try:
        held = {entry.name for entry in path.iterdir()}
    except OSError:
        held = set()                    # reading below says what is wrong
    if held and not held & set(CHECKPOINT_FILES):     # e.g. /etc, given by mistake
        raise CheckpointError(_("{path} is not a checkpoint folder: it holds none of a "
                                "checkpoint's files ({files}). Give the name or the folder of a "
                                "saved checkpoint (the Models page lists them).").format(
                                  path=path, files=', '.join(REQUIRED_FILES)))
    try:
        yield
    except (_Damaged, OSError) as exc:
        raise CheckpointError(_("Checkpoint '{name}' ({path}) cannot be used: {reason}. Delete it "
                                "or save it again.").format(
                                  name=path.name, path=path, reason=_one_line(exc))) from None


# --- reading -------------------------------------------------------------------------------

def read_info(name_or_path: str | Path, root: str | Path | None = None) -> CheckpointInfo:
    """The metadata of a checkpoint, checked without loading any network (fast).

    Besides parsing meta.json and config.json, this checks that every required file is
    there and that each zip file (.keras, .npz) has an intact directory: a truncated file
    is found here, so the list of checkpoints can report it.
    """
    path = _folder(name_or_path, root)
    with _reading(path):
        return _read_info(path)


def load_checkpoint(name_or_path: str | Path, root: str | Path | None = None, *,
                    with_critic: bool = True) -> Checkpoint:
    """Load a checkpoint in Keras safe mode (nothing in the files is executed).

    `with_critic=False` skips the critic: sampling needs only the generator. Resuming
    training needs both, and the optimiser state.
    """
    path = _folder(name_or_path, root)
    with _reading(path):
        return _load(path, with_critic)


def list_checkpoints(root: str | Path | None = None) -> tuple[list[CheckpointInfo], list[str]]:
    """(the valid checkpoints newest first, one line per folder that is not a valid one).

    Never raises for a broken folder. Hidden folders (a save or delete in progress) and
    plain files (a README) are not checkpoints and are skipped. Listing is where every
    program looks at the folder first, so it also sweeps the leftovers of killed saves.
    """
    folder = checkpoint_root(root)
    if not folder.is_dir():
        return [], []
    sweep_leftovers(folder)
    good: list[CheckpointInfo] = []
    problems: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        if not _NAME.fullmatch(path.name):
            problems.append(_("Folder {path} cannot hold a checkpoint: rename it using only "
                              "letters, digits, '-', '_' and '.' (at most 64).").format(
                                path=path))
            continue
        try:
            good.append(read_info(path))
        except CheckpointError as exc:
            problems.append(_one_line(exc))
    good.sort(key=lambda info: (info.created, info.name), reverse=True)
    return good, problems


def resume_budget(info: CheckpointInfo, more_steps: int | None = None,
                  more_seconds: float | None = None) -> tuple[TrainConfig, float | None]:
    """(configuration, time limit in seconds or None) to train `info`'s run on from where
    it stopped, for `more_steps` more steps or `more_seconds` more seconds.

    A resumed run counts its steps and its training time from the first step of the
    original run, so both budgets become totals: the saved step plus `more_steps`, the
    saved training time plus `more_seconds`. With only a time, the run has no step budget
    and the time ends it. With neither, the saved step budget goes on; a run that has used
    it all (or never had one) is refused with what to do.
    """
    if more_steps is not None and (isinstance(more_steps, bool) or not isinstance(
            more_steps, int) or more_steps < 1):
        raise ConfigError(_("The number of steps to train on must be a whole number of at least 1 "
                            "(got {more_steps!r}).").format(more_steps=more_steps))
    if more_seconds is not None and not more_seconds > 0:
        raise ConfigError(_("The time to train on must be a number of seconds above 0 (got "
                            "{more_seconds!r}).").format(more_seconds=more_seconds))
    config = info.config
    if more_steps is not None:
        config = config.replace(steps=info.step + more_steps)
    elif more_seconds is not None:
        config = config.replace(steps=None)
    elif config.steps is None or config.steps <= info.step:
        raise ConfigError(_("{name} has already trained the {step} steps it was set to. Say how "
                            "much more to train: a number of steps, or of seconds.").format(
                              name=info.name, step=info.step))
    time_limit = None if more_seconds is None else info.elapsed_s + more_seconds
    return config, time_limit


def _read_info(path: Path) -> CheckpointInfo:
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise _Damaged(ngettext("{files} is missing", "{files} are missing", len(missing)).format(
                           files=', '.join(missing)))
    meta = _read_meta(path)
    try:
        config = TrainConfig.from_dict(_read_json(path / "config.json"))
    except (TypeError, ValueError) as exc:     # ConfigError is a ValueError
        raise _Damaged(_("config.json is not a valid configuration ({exc})").format(
                           exc=exc)) from None
    for name in (*MODEL_FILES, "history.npz", "optimizers.npz"):
        if (path / name).is_file():
            _zip_size(path / name, KERAS_MEMBERS if name in MODEL_FILES else ())
    try:
        step = meta["step"]
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"step is {step!r}, not a whole number")
        created = datetime.fromisoformat(meta["created"])
        created = (created.replace(tzinfo=timezone.utc) if created.tzinfo is None
                   else created.astimezone(timezone.utc))
        elapsed_s = float(meta["elapsed_s"])
        metrics = {str(k): float(v) for k, v in meta["metrics"].items()}
        notice = meta.get("dataset_notice")
        owner = meta.get("owner")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _Damaged(_("meta.json has a missing or malformed field ({exc!r})").format(
                           exc=exc)) from None
    preview = path / "preview.png"
    if preview.is_file():
        _check_preview(preview)
    return CheckpointInfo(path=path, name=path.name, config=config, step=step, created=created,
                          elapsed_s=elapsed_s, metrics=metrics,
                          preview_png=preview if preview.is_file() else None,
                          dataset_notice=notice if isinstance(notice, str) else None,
                          owner=owner if isinstance(owner, str) else None)


def _check_preview(path: Path) -> None:
    """A preview that is not a PNG picture of sane size would break every page showing it,
    for every visitor: it makes the checkpoint a broken one (checked from the header)."""
    size = path.stat().st_size
    if size > MAX_PREVIEW_BYTES:
        raise _Damaged(_("preview.png is {size}, more than the {limit} a preview may have").format(
                           size=format_size(size), limit=format_size(MAX_PREVIEW_BYTES)))
    try:
        with open_picture(path, MAX_PREVIEW_SIDE, formats=("PNG",)):
            pass
    except PictureError as exc:
        raise _Damaged(_("preview.png {exc}").format(exc=exc)) from None


def _reencode_preview(path: Path) -> None:
    """Replace an uploaded preview.png by a PNG made from its decoded pixels: whatever
    else the file carried (bytes after the image, text chunks) is dropped."""
    try:
        with open_picture(path, MAX_PREVIEW_SIDE, formats=("PNG",)) as picture:
            pixels = np.asarray(picture.convert("L" if picture.mode in ("1", "L", "I", "I;16")
                                                else "RGB"))
    except PictureError as exc:
        raise _Damaged(_("preview.png {exc}").format(exc=exc)) from None
    path.write_bytes(png_bytes(pixels))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:                  # bad JSON, or bytes that are not UTF-8
        raise _Damaged(_("{name} is not valid JSON ({exc})").format(
                           name=path.name, exc=exc)) from None


def _read_meta(path: Path) -> dict[str, Any]:
    meta = _read_json(path / "meta.json")
    if not isinstance(meta, dict):
        raise _Damaged(_("meta.json does not hold a mapping of fields"))
    if meta.get("format") != FORMAT:
        raise _Damaged(_("it was saved by ganlib {saved_by} in checkpoint format {saved!r}, and "
                         "this ganlib ({version}) reads format {format} only").format(
                           saved_by=meta.get("ganlib_version", _("(unknown)")),
                           saved=meta.get("format"), version=__version__, format=FORMAT))
    return meta


def _zip_size(path: Path, members: Sequence[str] = ()) -> int:
    """Bytes the zip file at `path` unpacks to, after checking its directory and members."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except ZIP_READ_ERRORS as exc:
        raise _Damaged(_("{name} is truncated or not a zip file as it should be "
                         "({reason})").format(
                           name=path.name, reason=_one_line(exc))) from None
    lacking = [m for m in members if m not in {info.filename for info in infos}]
    if lacking:
        raise _Damaged(_("{name} is not a complete Keras model file (it lacks {lacking})").format(
                           name=path.name, lacking=', '.join(lacking)))
    return sum(info.file_size for info in infos)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ZIP_READ_ERRORS as exc:
        # numpy calls any file that is not .npy/.npz "pickled data" and advises allow_pickle,
        # which would run code from the file: never quote that advice.
        reason = _("it is not a numpy archive") if "pickle" in str(exc) else _one_line(exc)
        raise _Damaged(_("{name} is damaged ({reason})").format(
                           name=path.name, reason=reason)) from None
    # numpy hands back the raw bytes of a member that is not a .npy array.
    strays = [key for key, value in arrays.items() if not isinstance(value, np.ndarray)]
    if strays:
        raise _Damaged(_("{name} is damaged ({stray} is not a numpy array)").format(
                           name=path.name, stray=strays[0]))
    return arrays


def _load(path: Path, with_critic: bool) -> Checkpoint:
    info = _read_info(path)
    generator = _load_model(path / "generator.keras")
    critic = _load_model(path / "critic.keras") if with_critic else None
    problem = _shape_problem(generator, critic, info.config.latent_dim)
    if problem:
        raise _Damaged(problem)
    history = _read_history(path / "history.npz")
    optimizers = path / "optimizers.npz"
    state = _read_optimizer_state(optimizers) if optimizers.is_file() else {}
    return Checkpoint(info=info, generator=generator, critic=critic, history=history,
                      optimizer_state=state)


def _read_history(path: Path) -> dict[str, np.ndarray]:
    try:
        history = {k: v.astype(np.float64) for k, v in _read_arrays(path).items()}
    except (TypeError, ValueError):
        raise _Damaged(_("history.npz holds columns that are not numbers")) from None
    if any(v.ndim != 1 for v in history.values()) or len({len(v) for v in history.values()}) > 1:
        raise _Damaged(_("history.npz does not hold columns of equal length"))
    return history


def _load_model(path: Path) -> keras.Model:
    import keras

    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises any kind for a bad or unsafe file
        raise _Damaged(_("{name} cannot be loaded in safe mode ({error}: {reason})").format(
                           name=path.name, error=type(exc).__name__,
                           reason=_one_line(exc))) from None


def _shape_problem(generator: keras.Model, critic: keras.Model | None,
                   latent_dim: int) -> str | None:
    """Why these networks cannot be a checkpoint's, or None if they can.

    The generator must map (N, latent_dim) to (N, 28, 28, 1) and the critic take
    (N, 28, 28, 1): every page feeds them that, and a mismatch would fail far from here.
    """
    def shapes(model: keras.Model) -> tuple[tuple | None, tuple | None]:
        try:
            return tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)
        except (AttributeError, IndexError, TypeError, ValueError):
            return None, None

    given_in, given_out = shapes(generator)
    if (given_in, given_out) != ((None, latent_dim), IMAGE_SHAPE):
        return _("the generator maps {given_in} to {given_out}, but it must map {wanted_in} (the "
                 "configuration's latent_dim) to {wanted_out}").format(
                   given_in=given_in, given_out=given_out, wanted_in=(None, latent_dim),
                   wanted_out=IMAGE_SHAPE)
    if critic is not None and shapes(critic)[0] != IMAGE_SHAPE:
        return _("the critic takes {given}, but it must take images {wanted}").format(
            given=shapes(critic)[0], wanted=IMAGE_SHAPE)
    return None


def _read_optimizer_state(path: Path) -> dict[str, list[np.ndarray]]:
    """optimizers.npz holds one array per variable, named "<optimizer>/<index>"."""
    slots: dict[str, dict[int, np.ndarray]] = {}
    for key, value in _read_arrays(path).items():
        group, _slash, index = key.rpartition("/")
        if not group or not (index.isascii() and index.isdigit()):
            raise _Damaged(_("optimizers.npz holds an unexpected array {key!r}").format(key=key))
        slots.setdefault(group, {})[int(index)] = value
    if any(sorted(values) != list(range(len(values))) for values in slots.values()):
        raise _Damaged(_("optimizers.npz lacks some optimiser variables"))
    return {group: [values[i] for i in range(len(values))] for group, values in slots.items()}


# --- writing -------------------------------------------------------------------------------

def save_checkpoint(name: str, *, generator: keras.Model, critic: keras.Model,
                    config: TrainConfig, step: int,
                    history: Mapping[str, np.ndarray] | None = None,
                    preview: np.ndarray | None = None, elapsed_s: float = 0.0,
                    metrics: Mapping[str, float] | None = None,
                    optimizer_state: Mapping[str, Sequence[np.ndarray]] | None = None,
                    dataset_notice: str | None = None, root: str | Path | None = None,
                    overwrite: bool = True, owner: str | None = None) -> CheckpointInfo:
    """Save networks and metadata as checkpoint `name`, atomically.

    Everything is written into a hidden folder `root/.tmp-<name>-<random>`, then swapped in
    with two renames (old -> `.old-...`, new -> `name`) and the old folder deleted. If any
    step fails, the previous checkpoint of that name stays as it was and the hidden folder
    is removed. (Between the two renames, a few microseconds, the name does not exist:
    directories cannot be swapped in one portable system call.)

    `preview` is one (H, W) uint8 picture (ganlib.images.image_grid); `optimizer_state`
    maps an optimiser's name to its variables' values, in order.
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


def checkpoint_quota() -> int:
    """The most bytes the checkpoints folder may hold: $GAN_CLASSROOM_CHECKPOINT_QUOTA_MB,
    else DEFAULT_QUOTA_MB."""
    text = os.environ.get(QUOTA_ENV, "").strip()
    if not text:
        return DEFAULT_QUOTA_MB * 2**20
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if not 0 < megabytes < float("inf"):
        raise CheckpointError(_("{quota_env} is {text!r}: set it to the number of MB the "
                                "checkpoints folder may hold (e.g. {default_quota_mb}), or unset "
                                "it.").format(
                                  quota_env=QUOTA_ENV, text=text,
                                  default_quota_mb=DEFAULT_QUOTA_MB))
    return int(megabytes * 2**20)


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
        raise CheckpointError(_("{refused}: it takes {adding} and the checkpoints folder holds "
                                "{used} of its quota of {quota} ({quota_env}). Delete models that "
                                "are no longer needed (on the Models page, or their folders in "
                                "{folder}), then try again.").format(
                                  refused=refused, adding=format_size(adding),
                                  used=format_size(used), quota=format_size(quota),
                                  quota_env=QUOTA_ENV, folder=folder))


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


# --- zip export and import (download / upload) ---------------------------------------------

def export_zip(name_or_path: str | Path, root: str | Path | None = None) -> bytes:
    """The checkpoint's files as a zip, inside one folder named after it (for download)."""
    path = _folder(name_or_path, root)
    buffer = io.BytesIO()
    with _reading(path):
        _read_info(path)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(path.iterdir()):
                if file.name in CHECKPOINT_FILES:
                    archive.write(file, f"{path.name}/{file.name}")
    return buffer.getvalue()


def import_zip(data: bytes, root: str | Path | None = None, *, name: str | None = None,
               max_bytes: int = MAX_UPLOAD_BYTES, owner: str | None = None) -> CheckpointInfo:
    """Add a checkpoint from a zip (a browser upload), after checking it thoroughly.

    Refused: anything that is not a zip; more than `max_bytes`, or contents that would
    unpack to more than MAX_UNPACK_RATIO times the upload's size (a zip bomb); any file a
    checkpoint does not have, unsafe names (ganlib.archives) and duplicates; a small file
    larger than it can be (_MEMBER_LIMITS); more than the folder's quota. Sizes are checked
    from the zip's directory before anything is written, and again while each entry is
    copied. What passes is unpacked into a hidden folder, its preview re-encoded from its
    pixels, loaded in safe mode like any checkpoint, and only then renamed into the root.
    The name is `name`, else the zip's folder, else meta.json's name; if it is taken, "-2",
    "-3", ... is added. The returned info has the name it got. Its owner is `owner`, never
    the one the zip claims (a student must not upload a model as the teacher's).
    """
    if name is not None:
        valid_name(name)
    if len(data) > max_bytes:
        raise CheckpointError(_("The upload is {size}, more than the {limit} a checkpoint may "
                                "have here.").format(size=format_size(len(data)),
                                                     limit=format_size(max_bytes)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_READ_ERRORS as exc:
        raise CheckpointError(_("The upload is not a zip file ({problem}). Upload a checkpoint "
                                "zip downloaded from the Models page.").format(
                                    problem=exc)) from None
    limit = max(MAX_UNPACK_RATIO * len(data), MIN_UNPACK_BYTES)
    folder = checkpoint_root(root)
    scratch: Path | None = None
    with archive:
        top, members = _upload_members(archive, limit)
        _check_quota(folder, sum(info.file_size for info in members.values()),
                     _("The upload is refused"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=".tmp-import-", dir=folder))
            for filename, info in members.items():
                # Written under our own file name: nothing in the zip chooses a path.
                with archive.open(info) as source, open(scratch / filename, "wb") as sink:
                    _copy_capped(source, sink, info.file_size, filename)
            if "preview.png" in members:
                _reencode_preview(scratch / "preview.png")
            inner = sum(_zip_size(scratch / f) for f in members if f.endswith((".keras", ".npz")))
            if inner > limit:
                raise _Damaged(_("its model and array files unpack to {size}, more than the "
                                 "{limit} allowed").format(size=format_size(inner),
                                                           limit=format_size(limit)))
            _load(scratch, with_critic=True)
            meta = _read_meta(scratch)
            wanted = next(n for n in (name, top, meta.get("name"), "imported")
                          if isinstance(n, str) and _NAME.fullmatch(n))
            final = unique_name(folder, wanted)
            meta["name"] = final
            meta.pop("owner", None)
            if owner:
                meta["owner"] = owner
            _write_json(scratch / "meta.json", meta)
            os.rename(scratch, folder / final)
        except (_Damaged, *ZIP_READ_ERRORS) as exc:
            raise CheckpointError(_("The uploaded checkpoint cannot be used: {problem}. Upload "
                                    "a zip downloaded from the Models page of a working "
                                    "checkpoint.").format(problem=_one_line(exc))) from None
        finally:
            if scratch is not None and scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
    return read_info(folder / final)


def _upload_members(archive: zipfile.ZipFile,
                    limit: int) -> tuple[str | None, dict[str, zipfile.ZipInfo]]:
    """(the one top-level folder or None, checkpoint file name -> entry), or CheckpointError.

    Only the zip's directory is read: the declared sizes are checked here, and the copy
    (_copy_capped) holds each entry to its declared size.
    """
    def refuse(why: str) -> CheckpointError:
        return CheckpointError(_("The upload is refused: {why}. A checkpoint zip holds only "
                                 "{files}, optionally inside one folder.").format(
                                   why=why, files=', '.join(CHECKPOINT_FILES)))

    folders: set[str | None] = set()
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        unsafe = unsafe_entry_reason(info)
        if unsafe:
            raise refuse(_("it holds the unsafe path {filename!r} ({unsafe})").format(
                             filename=info.filename, unsafe=unsafe))
        parts = info.filename.removesuffix("/").split("/")
        if info.is_dir():
            if len(parts) > 1:
                raise refuse(_("it holds a nested folder {filename!r}").format(
                                 filename=info.filename))
            folders.add(parts[0])
            continue
        if len(parts) > 2 or parts[-1] not in CHECKPOINT_FILES:
            raise refuse(_("it holds {filename!r}").format(filename=info.filename))
        if parts[-1] in members:
            raise refuse(_("it holds {name} twice").format(name=parts[-1]))
        folders.add(parts[0] if len(parts) == 2 else None)
        members[parts[-1]] = info
    if len(folders) > 1:
        raise refuse(_("its files are spread over several folders"))
    for filename, info in members.items():
        most = _MEMBER_LIMITS.get(filename)
        if most is not None and info.file_size > most:
            raise refuse(_("its {filename} is {size}, more than the {limit} such a file may "
                           "have").format(
                             filename=filename, size=format_size(info.file_size),
                             limit=format_size(most)))
    unpacked = sum(info.file_size for info in members.values())
    if unpacked > limit:
        raise refuse(_("it would unpack to {size}, more than the {limit} allowed").format(
                         size=format_size(unpacked), limit=format_size(limit)))
    return (folders.pop() if folders else None), members


def _copy_capped(source: IO[bytes], sink: IO[bytes], declared: int, filename: str) -> None:
    """Copy an entry in chunks, refusing it as soon as it yields more than it declared."""
    copied = 0
    while chunk := source.read(2**20):
        copied += len(chunk)
        if copied > declared:
            raise _Damaged(_("{filename} holds more bytes than its zip entry declares").format(
                               filename=filename))
        sink.write(chunk)


def unique_name(folder: Path, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, ... : the first not taken in `folder`."""
    candidate, n = wanted, 2
    while (folder / candidate).exists():
        suffix = f"-{n}"
        candidate, n = wanted[:64 - len(suffix)] + suffix, n + 1
    return candidate
