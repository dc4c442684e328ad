"""Reading checkpoints: their metadata fast, their networks in Keras safe mode, and the
list of a folder with the broken ones reported beside the good ones.

Two promises, and why:
- A load never runs code from the file. Checkpoints can be uploaded from a browser, and a
  .keras file can carry a Lambda layer with arbitrary Python; Keras safe mode refuses to
  deserialise it. Our networks use only standard layers, so safe mode costs nothing.
- A broken checkpoint is a message, not a traceback: every reading failure becomes a
  `CheckpointError` naming the folder, what is wrong and what to do, and
  `list_checkpoints` reports broken folders beside the good ones instead of failing.

Keras is imported only when a model is loaded, so listing checkpoints and reading their
metadata never waits for TensorFlow to start. The layout of a folder is described in the
package's docstring (ganlib.checkpoints); its file names are defined here.
"""

from __future__ import annotations

import json
import logging
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlib import __version__
from ganlib.archives import ZIP_READ_ERRORS
from ganlib.checkpoints.upkeep import _NAME, _folder, checkpoint_root, sweep_leftovers
from ganlib.config import TrainConfig
from ganlib.errors import CheckpointError
from ganlib.images import PictureError, open_picture
from ganlib.messages import _, ngettext
from ganlib.units import format_size

if TYPE_CHECKING:
    import keras

log = logging.getLogger(__name__)

FORMAT = 1                      # meta.json "format": bump when the layout changes
MODEL_FILES = ("generator.keras", "critic.keras")
# The trained generator, beside generator.keras, its average (ganlib.gans), which samples use:
# saved only with averaging, for resuming exactly. Without it the one generator is both.
RAW_GENERATOR = "raw_generator.keras"
REQUIRED_FILES = (*MODEL_FILES, "config.json", "meta.json", "history.npz")
CHECKPOINT_FILES = (*REQUIRED_FILES, "preview.png", "optimizers.npz", RAW_GENERATOR)
KERAS_MEMBERS = ("config.json", "model.weights.h5")   # inside every Keras v3 file
IMAGE_SHAPE = (None, 28, 28, 1)                       # a batch of images, as ganlib uses them
# preview.png is a grid of 64 digits of 28x28 pixels (about 240x240, tens of KB).
MAX_PREVIEW_BYTES = 4 * 2**20
MAX_PREVIEW_SIDE = 2048


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
    quality: dict[str, float] | None = None   # measured at save (ganlib.quality); None: never
    autosave: bool = False       # a run's safety copy (ganlib.training.autosave), not a model
                                 # a person named: it counts apart (ganlib.checkpoints.space)

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
    # The trained generator when `generator` is its average; None without averaging (or
    # before averaging existed), and when loaded with with_critic=False (only resuming
    # needs it).
    raw_generator: keras.Model | None = None


@dataclass(frozen=True)
class BrokenCheckpoint:
    """A folder among the checkpoints that is not a usable one, and why: listed beside the
    good ones, so that it can be deleted, instead of breaking the list."""

    path: Path
    reason: str                  # what is wrong and what to do, naming the folder by its name
                                 # only (the list is shown to everyone; the log has the path)

    @property
    def name(self) -> str:
        return self.path.name

    def __str__(self) -> str:
        return self.reason


class _Damaged(Exception):
    """What is wrong inside a checkpoint folder; the caller words the advice."""


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
        raise CheckpointError(_("Checkpoint '{name}' cannot be used: {reason}. Delete it or save "
                                "it again.").format(
                                  name=path.name, reason=_one_line(exc))) from None


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


def list_checkpoints(root: str | Path | None = None
                     ) -> tuple[list[CheckpointInfo], list[BrokenCheckpoint]]:
    """(the valid checkpoints newest first, the folders that are not valid ones by name).

    Never raises for a broken folder. Hidden folders (a save or delete in progress) and
    plain files (a README) are not checkpoints and are skipped. Listing is where every
    program looks at the folder first, so it also sweeps the leftovers of killed saves. Each
    broken folder is logged once, with its path, for the administrator.
    """
    folder = checkpoint_root(root)
    if not folder.is_dir():
        return [], []
    sweep_leftovers(folder)
    good: list[CheckpointInfo] = []
    broken: list[BrokenCheckpoint] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        if not _NAME.fullmatch(path.name):
            broken.append(BrokenCheckpoint(path, _(
                "Folder '{name}' cannot hold a checkpoint: rename it using only letters, "
                "digits, '-', '_' and '.' (at most 64).").format(name=path.name)))
            continue
        try:
            good.append(read_info(path))
        except CheckpointError as exc:
            broken.append(BrokenCheckpoint(path, _one_line(exc)))
    for problem in broken:
        if (problem.path, problem.reason) not in _logged:
            _logged.add((problem.path, problem.reason))
            log.warning("Broken checkpoint folder %s: %s", problem.path, problem.reason)
    good.sort(key=lambda info: (info.created, info.name), reverse=True)
    return good, broken


_logged: set[tuple[Path, str]] = set()     # the broken folders the log has named already


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
    for name in (*MODEL_FILES, RAW_GENERATOR, "history.npz", "optimizers.npz"):
        if (path / name).is_file():
            _zip_size(path / name, KERAS_MEMBERS if name.endswith(".keras") else ())
    try:
        step = _whole_number(meta["step"], "step", MAX_STEP)
        created = _moment(meta["created"], "created")
        elapsed_s = _number(meta["elapsed_s"], "elapsed_s", 0.0, MAX_ELAPSED_S)
        if not isinstance(meta["metrics"], dict):
            raise _Damaged(_("meta.json's metrics is not a mapping of names to numbers"))
        metrics = {_metric_name(k, "meta.json"): _number(v, f"metrics/{k}", -MAX_METRIC,
                                                         MAX_METRIC)
                   for k, v in meta["metrics"].items()}
    except KeyError as exc:
        raise _Damaged(_("meta.json has a missing field ({exc!r})").format(exc=exc)) from None
    notice, owner = meta.get("dataset_notice"), meta.get("owner")
    quality = meta.get("quality")
    if quality is not None:
        if not isinstance(quality, dict):
            raise _Damaged(_("meta.json's quality is not a mapping of names to numbers"))
        quality = {_metric_name(k, "meta.json"): _number(v, f"quality/{k}", -MAX_METRIC,
                                                          MAX_METRIC)
                   for k, v in quality.items()}
    preview = path / "preview.png"
    if preview.is_file():
        _check_preview(preview)
    return CheckpointInfo(path=path, name=path.name, config=config, step=step, created=created,
                          elapsed_s=elapsed_s, metrics=metrics,
                          preview_png=preview if preview.is_file() else None,
                          dataset_notice=notice if isinstance(notice, str) else None,
                          owner=owner if isinstance(owner, str) else None,
                          autosave=meta.get("autosave") is True, quality=quality)


# --- numbers and names read from files --------------------------------------------------
# Every number a page shows, formats or computes with is checked here, where it is read. A
# NaN in elapsed_s, or a creation date in the year 9999 (already the year 10000 in every
# time zone east of UTC), once passed these and raised in the Models page for every visitor,
# and the model could not even be deleted there. A value out of range makes the checkpoint
# a broken one, with the reason.
MAX_STEP = 10**9                            # generator steps: far more than any run trains
MAX_ELAPSED_S = 10 * 365.25 * 86400         # ten years of training
MAX_METRIC = 1e15                           # no loss, score or norm of a live run comes near
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)     # before any ganlib checkpoint
CLOCK_SKEW = timedelta(days=1)              # a model from a machine whose clock runs ahead
_METRIC_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _quoted(value: object) -> str:
    """`value` as a message may quote it: short, on one line."""
    text = _one_line(repr(value))
    return text if len(text) <= 40 else text[:37] + "..."


def _whole_number(value: Any, field: str, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise _Damaged(_("meta.json's {field} is {value}, not a whole number from 0 to "
                         "{most}").format(field=field, value=_quoted(value), most=most))
    return value


def _number(value: Any, field: str, least: float, most: float) -> float:
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        number = float(value)
        if not (math.isfinite(number) and least <= number <= most):
            raise ValueError
    except (ValueError, OverflowError):          # OverflowError: an int past any float
        raise _Damaged(_("meta.json's {field} is {value}, not a number from {least:g} to "
                         "{most:g}").format(field=field, value=_quoted(value), least=least,
                                            most=most)) from None
    return number


def _moment(value: Any, field: str) -> datetime:
    """A date and time, timezone-aware UTC, from EARLIEST to CLOCK_SKEW ahead of now: one
    that every time zone a browser may be in can show."""
    try:
        moment = datetime.fromisoformat(value)
        moment = (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None
                  else moment.astimezone(timezone.utc))
    except (TypeError, ValueError, OverflowError):
        raise _Damaged(_("meta.json's {field} is {value}, not a date and time").format(
                           field=field, value=_quoted(value))) from None
    if moment < EARLIEST or moment > datetime.now(timezone.utc) + CLOCK_SKEW:
        raise _Damaged(_("meta.json's {field} is {value}, a date in the future or before "
                         "{earliest}").format(field=field, value=_quoted(value),
                                              earliest=EARLIEST.year))
    return moment


def _metric_name(name: Any, file: str) -> str:
    if not isinstance(name, str) or not _METRIC_NAME.fullmatch(name):
        raise _Damaged(_("{file} names a metric {name}: a metric's name is 1 to 64 letters, "
                         "digits, '_', '.' or '-'").format(file=file, name=_quoted(name)))
    return name


def _check_history(history: dict[str, np.ndarray]) -> None:
    """Every column named as a metric, every value a number in range or NaN (a metric not
    measured at that step), every step a whole number."""
    for name, column in history.items():
        _metric_name(name, "history.npz")
        measured = column[~np.isnan(column)]
        if not (np.isfinite(measured).all() and (np.abs(measured) <= MAX_METRIC).all()):
            raise _Damaged(_("history.npz's column {name} holds a value that is infinite or "
                             "beyond {most:g}").format(name=name, most=MAX_METRIC))
    steps = history.get("step", np.zeros(0))
    if not (np.isfinite(steps).all() and (steps >= 0).all() and (steps <= MAX_STEP).all()
            and (steps == np.round(steps)).all()):
        raise _Damaged(_("history.npz's step column holds a value that is not a whole number "
                         "from 0 to {most}").format(most=MAX_STEP))


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
    raw = (_load_model(path / RAW_GENERATOR) if with_critic and (path / RAW_GENERATOR).is_file()
           else None)
    problem = (_shape_problem(generator, critic, info.config.latent_dim)
               or _twin_problem(generator, raw))
    if problem:
        raise _Damaged(problem)
    history = _read_history(path / "history.npz")
    optimizers = path / "optimizers.npz"
    state = _read_optimizer_state(optimizers) if optimizers.is_file() else {}
    return Checkpoint(info=info, generator=generator, critic=critic, history=history,
                      optimizer_state=state, raw_generator=raw)


def _read_history(path: Path) -> dict[str, np.ndarray]:
    try:
        history = {k: v.astype(np.float64) for k, v in _read_arrays(path).items()}
    except (TypeError, ValueError):
        raise _Damaged(_("history.npz holds columns that are not numbers")) from None
    if any(v.ndim != 1 for v in history.values()) or len({len(v) for v in history.values()}) > 1:
        raise _Damaged(_("history.npz does not hold columns of equal length"))
    _check_history(history)
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


def _twin_problem(generator: keras.Model, raw: keras.Model | None) -> str | None:
    """Why `raw` cannot be the trained generator whose average is `generator`, or None: a
    resumed run copies each into the same network, so their weights must have one shape."""
    if raw is None or [tuple(w.shape) for w in raw.weights] == [
            tuple(w.shape) for w in generator.weights]:
        return None
    return _("{raw} is not the same network as generator.keras").format(raw=RAW_GENERATOR)


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
