"""What the networks learn from: 28x28 grayscale images scaled to [-1, 1].

Both articles train on MNIST. This module turns every source a user may bring into the
one shape the networks expect, `(N, 28, 28, 1)` float32 in `[-1, 1]` (the generator's tanh
range), and refuses anything else with a message that says what to do:

- "mnist-10k" (default): 10,000 real MNIST digits shipped in `ganlib/assets/`, offline.
- "mnist": the full 60,000-digit training set, downloaded and cached by Keras. Offline it
  falls back to the bundled digits and says so in `Dataset.notice`.
- "fashion-mnist": Keras's Fashion-MNIST, else the Debian package's IDX files, else the
  bundled digits (with a notice).
- "idx:<folder>" or a folder holding MNIST-format IDX files (images idx3, labels idx1).
- a `.npz` file with `x` (or `images`) and optionally `y` (or `labels`); never unpickled.
- a folder or `.zip` of PNG/JPEG/BMP/GIF pictures (no labels), made grayscale and 28x28.

Paths name files on the machine that runs ganlib. That is what a user of the command line
wants; a browser user is someone else, so the app passes `allowed_roots`
(`allowed_data_roots()`): only the menu's sources and paths inside those folders are
accepted, and the refusal is the same whether or not the path exists. Every source is
bounded in cost (files scanned, bytes and pixels per image, pixels in all), so a wrong
path or a hostile zip fails in seconds with a message.

Images keep the source's order (the bundled digits are sorted by class); the training run
shuffles them. Loaded datasets are cached and their arrays are read-only, so one copy in
memory serves every caller and none of them can change it for the others.
"""

from __future__ import annotations

import gzip
import io
import logging
import math
import os
import re
import socket
import struct
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from ganlib import settings
from ganlib.archives import ZIP_READ_ERRORS, unsafe_entry_reason
from ganlib.errors import DataError
from ganlib.images import PictureError, open_picture
from ganlib.messages import N_, LazyText, _
from ganlib.units import format_size

log = logging.getLogger(__name__)

BUNDLED_MNIST: Path = Path(__file__).resolve().parent / "assets" / "mnist-10k.npz"
# Where Debian's package dataset-fashion-mnist puts the IDX files (gzipped).
DEBIAN_FASHION_MNIST: Path = Path("/usr/share/datasets/fashion-mnist")

NAMED_SOURCES: tuple[str, ...] = ("mnist-10k", "mnist", "fashion-mnist")
DIGIT_NAMES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_NAMES: tuple[str, ...] = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"),
                                  N_("Coat"), N_("Sandal"), N_("Shirt"), N_("Sneaker"),
                                  N_("Bag"), N_("Ankle boot"))

# Fewer images than this cannot fill even two batches of the presets; a GAN would only
# memorise them.
MIN_IMAGES = 100
# Limits on image folders and zips, so a wrong path (a photo library, a zip bomb) fails
# quickly with a message instead of filling memory.
MAX_IMAGE_FILES = 100_000
MAX_ZIP_BYTES = 200 * 2**20
# A folder is walked at most this far (files of any kind): `/` or a home folder is
# refused in a second instead of being scanned for minutes.
MAX_SCANNED_FILES = 2 * MAX_IMAGE_FILES
# One picture is refused from its size on disk or in the zip's directory, then from the
# width and height in its header, before any pixel is decoded: a 9000x9000 PNG of zeros is
# a few KB but 81 million pixels. All pictures together are bounded too (100,000 MNIST
# digits are 78 million pixels).
MAX_IMAGE_BYTES = 16 * 2**20
MAX_IMAGE_SIDE = 4096
MAX_TOTAL_PIXELS = 400_000_000
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# Seconds a Keras download may wait on one network operation. urlretrieve has no timeout
# of its own, so without this a firewalled machine could hang for minutes before falling
# back to the bundled digits.
DOWNLOAD_TIMEOUT_S = 10.0

# IDX type codes (third byte of the magic number) and their big-endian numpy types.
_IDX_TYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4",
                              0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images to train on, with their labels when the source has them.

    Compared by identity (`eq=False`): element-wise equality of large arrays is never
    what a caller means, and the cache hands out the same object for the same request.
    """

    # Human name of what was actually loaded ("mnist-10k" after an offline fallback).
    name: str
    # (N, 28, 28, 1) float32 in [-1, 1], white strokes (+1) on a black background (-1).
    images: np.ndarray = field(repr=False)
    # (N,) int64 class labels, or None when the source has none (image folders).
    labels: np.ndarray | None = field(repr=False)
    # Names of the classes by label: the digits, Fashion-MNIST's garments, or ().
    class_names: tuple[str, ...]
    # Something the user should read, e.g. that a download failed; None when all went to plan.
    notice: str | None = None

    @property
    def num_images(self) -> int:
        return int(self.images.shape[0])

    def class_counts(self) -> dict[int, int]:
        """Images per class label, e.g. {0: 1001, 1: 1127, ...}; {} when there are no labels."""
        if self.labels is None:
            return {}
        classes, counts = np.unique(self.labels, return_counts=True)
        return {int(c): int(n) for c, n in zip(classes, counts)}


@dataclass(frozen=True)
class DataSource:
    """One entry of a data menu."""

    source: str  # what to pass to load_dataset
    label: str   # what to show, e.g. "MNIST, 10,000 bundled digits (offline)"


def load_dataset(source: str = "mnist-10k", digits: Sequence[int] = (),
                 allowed_roots: Sequence[str | Path] | None = None) -> Dataset:
    """Load a data source (see the module docstring), keeping only the class labels in `digits`.

    An empty `digits` keeps every image. Results are cached: the same request returns the
    same `Dataset`, and a file source is read again only when its size or modification time
    changes. A failed Keras download is not retried until `clear_cache()`.
    With `allowed_roots` (a browser user's request), a path must lie inside one of those
    folders (check_server_path); None allows any path (the command line's own user).
    Raises DataError for anything the user can fix.
    """
    if allowed_roots is not None:
        check_server_path(source, allowed_roots)
    return _filtered(_source_key(source), _normalise_digits(digits))


def allowed_data_roots() -> tuple[Path, ...]:
    """The folders a browser user may take data from, set by the server's administrator
    (ganlib.settings: $GANLIB_DATA_DIRS, else the repository's data/ folder)."""
    return settings.get().data_dirs


def check_server_path(source: str, roots: Sequence[str | Path]) -> None:
    """Refuse a data source that names a path outside `roots` (DataError).

    The menu's sources are always allowed. A path is resolved first (symlinks and '..'
    followed), so a link inside an allowed folder cannot point outside it. The message is
    the same whether or not the path exists: it must not tell a stranger what is on the
    server.
    """
    text = source.strip() if isinstance(source, str) else ""
    if text.lower() in NAMED_SOURCES or text in {s.source for s in data_sources()}:
        return
    path = text[4:] if text.lower().startswith("idx:") else text
    folders = [Path(root).expanduser() for root in roots]
    try:
        resolved = Path(path).expanduser().resolve()
        inside = bool(path) and any(resolved.is_relative_to(root.resolve())
                                    for root in folders)
    except (OSError, RuntimeError, ValueError):     # a loop of links, a NUL byte
        inside = False
    if inside:
        return
    log.warning("A browser asked for the data %r, outside the data folders (%s): %s.", text,
                settings.name_of("data_dirs"), ", ".join(map(str, folders)) or "none")
    if not folders:
        raise DataError(_("This server takes no data files from the browser: choose one of "
                          "the listed datasets, or ask its administrator to name data "
                          "folders."))
    raise DataError(_("Only files and folders inside {folders} can be used from the browser. "
                      "Put the data there (or ask the server's administrator to add its "
                      "folder), or choose one of the listed datasets.").format(
                          folders=", ".join(map(str, folders))))


def data_sources() -> list[DataSource]:
    """What a data menu can offer on this machine, the offline default first."""
    sources = [
        DataSource("mnist-10k", N_("MNIST, 10,000 bundled digits (offline)")),
        DataSource("mnist",
                   N_("MNIST, 60,000 digits (Keras download; bundled digits if offline)")),
        DataSource("fashion-mnist",
                   N_("Fashion-MNIST, 60,000 clothing images (Keras download; bundled MNIST "
                      "digits if offline)")),
    ]
    if DEBIAN_FASHION_MNIST.is_dir() and _find_idx_files(DEBIAN_FASHION_MNIST):
        sources.append(DataSource(f"idx:{DEBIAN_FASHION_MNIST}",
                                  N_("Fashion-MNIST, 60,000 clothing images (Debian package, "
                                     "offline)")))
    return sources


def clear_cache() -> None:
    """Forget every loaded dataset, e.g. to retry a download once the network is back."""
    _filtered.cache_clear()
    _load_source.cache_clear()


# --- resolving a source string ---------------------------------------------------------
# A source becomes a hashable key (kind, target, fingerprint); the fingerprint holds the
# name, size and modification time of each file, so an edited file misses the cache.

_SourceKey = tuple[str, str, tuple]


def _source_key(source: str) -> _SourceKey:
    if not isinstance(source, str) or not source.strip():
        raise DataError(_("The data source is empty.") + " " + _(_ACCEPTED))
    text = source.strip()
    if text.lower() in NAMED_SOURCES:
        return (text.lower(), "", ())
    if text.lower().startswith("idx:"):
        folder = Path(text[4:]).expanduser()
        if not folder.is_dir():
            raise DataError(_("IDX folder not found: {folder}. Give a folder that holds "
                              "MNIST-format files such as train-images-idx3-ubyte.gz.").format(
                                folder=folder))
        if not _find_idx_files(folder):
            raise DataError(_("No IDX image file (a name containing 'idx3', such as "
                              "train-images-idx3-ubyte.gz) in {folder}.").format(folder=folder))
        return ("idx", str(folder.resolve()), _fingerprint(folder))
    path = Path(text).expanduser()
    if not path.exists():
        if path.suffix.lower() in (".npz", ".zip") or "/" in text or "\\" in text:
            raise DataError(_("File or folder not found: {path}. Check the path.").format(
                path=path))
        raise DataError(_("Unknown data source {text!r}.").format(text=text) + " " + _(_ACCEPTED))
    if path.is_dir():
        kind = "idx" if _find_idx_files(path) else "folder"
    elif path.suffix.lower() in (".npz", ".zip"):
        kind = path.suffix.lower()[1:]
    else:
        raise DataError(_("Cannot read {name}: give a .npz file, a .zip of images, or a folder of "
                          "images or IDX files.").format(name=path.name))
    return (kind, str(path.resolve()), _fingerprint(path))


_ACCEPTED = N_("Accepted: mnist-10k (bundled, offline), mnist, fashion-mnist, idx:<folder>, "
               "or the path of a .npz file, a .zip of images, or a folder of images or IDX files.")


def _fingerprint(path: Path) -> tuple:
    files = [path] if path.is_file() else _files_under(path)
    try:
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    except OSError as exc:
        raise DataError(_("Cannot read {path} ({reason}). Check the path and its "
                          "permissions.").format(
                            path=path, reason=_brief(exc))) from None


def _files_under(folder: Path) -> list[Path]:
    """Every file under `folder`, sorted, walking at most MAX_SCANNED_FILES entries."""
    def unreadable(exc: OSError) -> None:
        raise DataError(_("Cannot read {path} ({reason}). Give a folder whose files this server "
                          "may read.").format(
                            path=exc.filename or folder, reason=exc.strerror or exc)) from None

    files: list[Path] = []
    for parent, _folders, names in os.walk(folder, onerror=unreadable):
        files += (Path(parent) / name for name in names)
        if len(files) > MAX_SCANNED_FILES:
            raise DataError(_("{folder} holds more than {max_scanned_files:,} files: it is not a "
                              "dataset. Give a folder that holds only the training images, or a "
                              ".npz or .zip file.").format(
                                folder=folder, max_scanned_files=MAX_SCANNED_FILES))
    return sorted(p for p in files if p.is_file())


def _normalise_digits(digits: Sequence[int]) -> tuple[int, ...]:
    if isinstance(digits, (str, bytes)) or not isinstance(digits, Sequence):
        raise DataError(_("digits must be a list of class labels such as (7,) or (0, 1) (got "
                          "{digits!r}).").format(digits=digits))
    bad = [d for d in digits
           if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d <= 9]
    if bad:
        raise DataError(_("Unknown class label(s) {bad}: classes are whole numbers from "
                          "0 to 9.").format(
                            bad=bad))
    return tuple(sorted({int(d) for d in digits}))


# --- loading (cached) --------------------------------------------------------------------

@lru_cache(maxsize=16)
def _filtered(key: _SourceKey, digits: tuple[int, ...]) -> Dataset:
    dataset = _load_source(*key)
    if not digits:
        return dataset
    if dataset.labels is None:
        raise DataError(_("{name} has no labels, so it cannot be narrowed to classes {digits}. "
                          "Leave the class filter empty.").format(
                            name=dataset.name, digits=list(digits)))
    present = dataset.class_counts()
    missing = [d for d in digits if d not in present]
    if missing:
        raise DataError(_("{dataset} has no images of class(es) {missing}. Classes present: "
                          "{present}.").format(dataset=dataset.name, missing=missing,
                                               present=sorted(present)))
    keep = np.isin(dataset.labels, digits)
    count = int(keep.sum())
    if count < MIN_IMAGES:
        raise DataError(_("Only {count} images of class(es) {digits} in {dataset}; at least "
                          "{needed} are needed. Choose more classes or a larger "
                          "dataset.").format(count=count, digits=list(digits),
                                             dataset=dataset.name, needed=MIN_IMAGES))
    return replace(dataset, images=_read_only(dataset.images[keep]),
                   labels=_read_only(dataset.labels[keep]))


@lru_cache(maxsize=4)
def _load_source(kind: str, target: str, fingerprint: tuple) -> Dataset:
    if kind == "mnist-10k":
        return _load_npz(BUNDLED_MNIST, name="mnist-10k", class_names=DIGIT_NAMES)
    if kind == "mnist":
        return _load_keras_mnist()
    if kind == "fashion-mnist":
        return _load_fashion_mnist()
    path = Path(target)
    if kind == "idx":
        return _load_idx_folder(path)
    if kind == "npz":
        return _load_npz(path, name=path.name, class_names=DIGIT_NAMES)
    if kind == "zip":
        return _load_zip(path)
    return _load_image_folder(path)


# --- Keras downloads ---------------------------------------------------------------------

def _load_keras_mnist() -> Dataset:
    # Keras is imported here, not at the top: importing TensorFlow takes seconds, and the
    # bundled digits need none of it.
    try:
        import keras
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            (x, y), _test = keras.datasets.mnist.load_data()
    except Exception as exc:  # any failure (no network, bad cache, proxy) means: go offline
        return _bundled_with_notice(LazyText(
            "Full MNIST could not be downloaded ({reason}); using the 10,000 bundled digits "
            "instead.", reason=_brief(exc)))
    return _make_dataset("mnist", x, y, DIGIT_NAMES)


def _load_fashion_mnist() -> Dataset:
    try:
        import keras
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            (x, y), _test = keras.datasets.fashion_mnist.load_data()
    except Exception as exc:  # as above: fall back to the copies on this machine
        if DEBIAN_FASHION_MNIST.is_dir() and _find_idx_files(DEBIAN_FASHION_MNIST):
            return _load_idx_folder(DEBIAN_FASHION_MNIST)
        return _bundled_with_notice(LazyText(
            "Fashion-MNIST could not be downloaded ({reason}) and the Debian package "
            "dataset-fashion-mnist is not installed; using the 10,000 bundled MNIST digits "
            "instead.", reason=_brief(exc)))
    return _make_dataset("fashion-mnist", x, y, FASHION_NAMES)


def _bundled_with_notice(notice: str) -> Dataset:
    return replace(_load_source("mnist-10k", "", ()), notice=notice)


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Bound every socket operation started inside, since Keras's download has no timeout.

    The default is process-wide; it only affects sockets created meanwhile, and is restored.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _brief(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


# --- IDX files (the original MNIST format) ---------------------------------------------

def _find_idx_files(folder: Path) -> tuple[Path, Path | None] | None:
    """The (images, labels) IDX files in a folder, preferring the training split."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    images = [p for p in files if "idx3" in p.name]
    if not images:
        return None
    image_file = min(images, key=lambda p: (not p.name.startswith("train"), p.name))
    label_name = image_file.name.replace("images", "labels").replace("idx3", "idx1")
    label_file = folder / label_name
    if not label_file.is_file():
        others = [p for p in files if "idx1" in p.name]
        label_file = others[0] if len(others) == 1 else None
    return image_file, label_file


def _load_idx_folder(folder: Path) -> Dataset:
    found = _find_idx_files(folder)
    if found is None:  # the folder changed since it was resolved
        raise DataError(_("No IDX image file (a name containing 'idx3') in {folder}.").format(
                            folder=folder))
    image_file, label_file = found
    x = _read_idx(image_file)
    y = _read_idx(label_file) if label_file is not None else None
    if folder == DEBIAN_FASHION_MNIST:
        return _make_dataset("fashion-mnist", x, y, FASHION_NAMES)
    return _make_dataset(folder.name, x, y, DIGIT_NAMES if y is not None else ())


def _read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file: 2 zero bytes, a type code, the number of dimensions, then each
    dimension as a big-endian uint32, then the values, big-endian, in C order."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(_("Cannot read {name} ({reason}). Replace the file with an "
                          "intact copy.").format(
                            name=path.name, reason=_brief(exc))) from exc
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        raise DataError(_("{name} is not an IDX file (its first bytes are not an IDX magic "
                          "number). Give MNIST-format files such as "
                          "train-images-idx3-ubyte.gz.").format(
                            name=path.name))
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(_("{name} is truncated: its header is incomplete.").format(name=path.name))
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = header + math.prod(dims) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(_("{name} is truncated or corrupt: its header promises shape {dims} "
                          "({expected} bytes) but the file holds {actual} bytes.").format(
                            name=path.name, dims=dims, expected=expected, actual=len(raw)))
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


# --- .npz files --------------------------------------------------------------------------

def _load_npz(path: Path, name: str, class_names: tuple[str, ...]) -> Dataset:
    # allow_pickle=False: a pickle can run any code when loaded; pixel arrays never need one.
    try:
        archive = np.load(path, allow_pickle=False)
    except ZIP_READ_ERRORS as exc:
        # numpy calls any file that is neither .npy nor .npz "pickled"; a real pickle
        # starts with the PROTO opcode 0x80.
        with open(path, "rb") as f:
            pickled = "pickle" in str(exc) and f.read(1) == b"\x80"
        raise _npz_error(path, exc, pickled) from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(_("{name} holds a single array, not named arrays. Save it with "
                          "np.savez(path, x=images, y=labels).").format(name=path.name))
    with archive:
        keys = set(archive.files)
        x_key = next((k for k in ("x", "images") if k in keys), None)
        y_key = next((k for k in ("y", "labels") if k in keys), None)
        if x_key is None:
            raise DataError(_("{name} has no array named 'x' or 'images' (it has: {arrays}). Save "
                              "it with np.savez(path, x=images, y=labels).").format(
                                name=path.name, arrays=', '.join(sorted(keys)) or _('nothing')))
        try:
            x = archive[x_key]
            y = archive[y_key] if y_key is not None else None
        except ZIP_READ_ERRORS as exc:
            raise _npz_error(path, exc, pickled="allow_pickle" in str(exc)) from exc
    # numpy hands back the raw bytes of a member that is not a .npy array
    stray = next((k for k, a in ((x_key, x), (y_key, y))
                  if a is not None and not isinstance(a, np.ndarray)), None)
    if stray is not None:
        raise DataError(_("Cannot read {name} as a .npz file ({stray} is not a numpy array). Save "
                          "it again with np.savez(path, x=images, y=labels).").format(
                            name=path.name, stray=stray))
    return _make_dataset(name, x, y, class_names if y is not None else ())


def _npz_error(path: Path, exc: BaseException, pickled: bool) -> DataError:
    if pickled:
        return DataError(_("{name} contains pickled (object) data, which is refused because "
                           "loading a pickle can run arbitrary code. Save plain numeric arrays "
                           "with np.savez(path, x=images, y=labels).").format(name=path.name))
    # numpy calls any file that is neither .npy nor .npz "pickled data" and advises
    # allow_pickle=True, which would run code from the file: never quote that advice.
    reason = _("it is not a numpy archive") if "pickle" in str(exc) else _brief(exc)
    return DataError(_("Cannot read {name} as a .npz file ({reason}). The file may be corrupt or "
                       "not a numpy archive; save it again with np.savez.").format(
                         name=path.name, reason=reason))


# --- image folders and zips --------------------------------------------------------------

def _load_image_folder(folder: Path) -> Dataset:
    files = [p for p in _files_under(folder) if _is_image_name(str(p.relative_to(folder)))]
    _check_image_count(len(files), folder.name)
    for p in files:
        _check_image_bytes(p.stat().st_size, str(p.relative_to(folder)))
    budget = _PixelBudget(folder.name)
    pixels = np.stack([_decode_image(p, str(p.relative_to(folder)), budget) for p in files])
    return _images_dataset(folder.name, pixels)


def _load_zip(path: Path) -> Dataset:
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_READ_ERRORS as exc:
        raise DataError(_("Cannot open {name} as a zip file ({reason}). Zip the images "
                          "again.").format(
                            name=path.name, reason=_brief(exc))) from exc
    with archive:
        unsafe = [f"{e.filename!r}: {why}" for e in archive.infolist()
                   if (why := unsafe_entry_reason(e))]
        if unsafe:
            raise DataError(_("{name} is refused: its entries must be plain relative paths, not "
                              "links ({entries}). Zip the images again from their folder.").format(
                                name=path.name, entries='; '.join(unsafe[:3])))
        entries = [e for e in archive.infolist() if not e.is_dir()]
        total = sum(e.file_size for e in entries)  # from the zip's directory, nothing unpacked
        if total > MAX_ZIP_BYTES:
            raise DataError(_("{name} unpacks to {size}, more than the {limit} allowed. Use fewer "
                              "or smaller images.").format(
                                name=path.name, size=format_size(total),
                                limit=format_size(MAX_ZIP_BYTES)))
        images = sorted((e for e in entries if _is_image_name(e.filename)),
                        key=lambda e: e.filename)
        _check_image_count(len(images), path.name)
        for e in images:
            _check_image_bytes(e.file_size, f"{path.name}:{e.filename}")
        budget = _PixelBudget(path.name)
        pixels = np.stack([_decode_image(io.BytesIO(_read_zip_entry(archive, e, path)),
                                         f"{path.name}:{e.filename}", budget) for e in images])
    return _images_dataset(path.name, pixels)


def _read_zip_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, path: Path) -> bytes:
    """The entry's bytes, read no further than its declared size (checked before)."""
    try:
        with archive.open(entry) as source:
            content = source.read(entry.file_size + 1)
    except ZIP_READ_ERRORS as exc:
        raise DataError(_("Cannot unpack {filename} from {name} ({reason}); encrypted or damaged "
                          "zips are not supported. Zip the images again.").format(
                            filename=entry.filename, name=path.name, reason=_brief(exc))) from exc
    _check_image_bytes(len(content), f"{path.name}:{entry.filename}")
    return content


def _is_image_name(relative: str) -> bool:
    parts = re.split(r"[\\/]", relative)
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return not hidden and Path(relative).suffix.lower() in IMAGE_SUFFIXES


def _check_image_count(count: int, name: str) -> None:
    if count < MIN_IMAGES:
        raise DataError(_("{name} holds {count} images ({suffixes}); at least {min_images} are "
                          "needed to train. Add more images.").format(
                            name=name, count=count, suffixes=', '.join(IMAGE_SUFFIXES),
                            min_images=MIN_IMAGES))
    if count > MAX_IMAGE_FILES:
        raise DataError(_("{name} holds {count} images, more than the {max_image_files:,} "
                          "allowed. Use a subset, or save them as a .npz file.").format(
                            name=name, count=count, max_image_files=MAX_IMAGE_FILES))


def _check_image_bytes(size: int, where: str) -> None:
    if size > MAX_IMAGE_BYTES:
        raise DataError(_("{where} is {size}, more than the {limit} one picture may have. Remove "
                          "it, or shrink the pictures (they become 28x28 pixels anyway).").format(
                            where=where, size=format_size(size),
                            limit=format_size(MAX_IMAGE_BYTES)))


class _PixelBudget:
    """Counts the pixels decoded for one dataset, refusing the picture that passes
    MAX_TOTAL_PIXELS before it is decoded."""

    def __init__(self, name: str):
        self.name, self.used = name, 0

    def take(self, width: int, height: int) -> None:
        self.used += width * height
        if self.used > MAX_TOTAL_PIXELS:
            raise DataError(_("The pictures of {name} hold more than {max_total_pixels:,} pixels "
                              "in all. Shrink them first (they become 28x28 pixels anyway), or "
                              "use fewer.").format(
                                name=self.name, max_total_pixels=MAX_TOTAL_PIXELS))


def _decode_image(source: Path | IO[bytes], where: str, budget: _PixelBudget) -> np.ndarray:
    """One picture as a (28, 28) uint8 grayscale array (the first frame of a GIF).

    Non-square pictures are stretched, not cropped, so no stroke is cut off. Its size is
    checked from its header (and charged to `budget`) before any pixel is decoded.
    """
    try:
        with open_picture(source, MAX_IMAGE_SIDE) as picture:
            budget.take(*picture.size)
            gray = picture.convert("L").resize((28, 28), Image.Resampling.LANCZOS)
            return np.asarray(gray, dtype=np.uint8)
    except PictureError as exc:
        raise DataError(_("{where} is not a readable image: it {exc}. Remove or replace "
                          "it.").format(
                            where=where, exc=exc)) from None


def _images_dataset(name: str, pixels: np.ndarray) -> Dataset:
    # MNIST digits are white on black. Scans and drawings are usually dark ink on white:
    # the networks would then learn the background, so such sets are inverted.
    notice = None
    if pixels.mean() > 127.5:
        pixels = 255 - pixels
        notice = LazyText("The images of {name} are mostly bright (dark strokes on a light "
                          "background), so they were inverted to white on black, like MNIST.",
                          name=name)
    return _make_dataset(name, pixels, None, (), notice)


# --- validation and scaling -------------------------------------------------------------

def _make_dataset(name: str, x: np.ndarray, y: np.ndarray | None,
                  class_names: tuple[str, ...], notice: str | None = None) -> Dataset:
    """Check pixels and labels, scale pixels to [-1, 1] and freeze both arrays."""
    images = _scale_pixels(np.asarray(x), name)  # (N, 28, 28, 1) float32
    labels = _check_labels(np.asarray(y), images.shape[0], name) if y is not None else None
    return Dataset(name=name, images=_read_only(images), labels=labels,
                   class_names=class_names, notice=notice)


def _scale_pixels(x: np.ndarray, name: str) -> np.ndarray:
    if not (x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 1)) or x.shape[1:3] != (28, 28):
        raise DataError(_("The images of {name} have shape {shape}; expected (N, 28, 28) or (N, "
                          "28, 28, 1): N grayscale pictures of 28x28 pixels. Resize them "
                          "first.").format(
                            name=name, shape=x.shape))
    if x.shape[0] < MIN_IMAGES:
        raise DataError(_("{name} holds {count} images; at least {min_images} are needed to "
                          "train. Add more images.").format(
                            name=name, count=x.shape[0], min_images=MIN_IMAGES))
    x = x.reshape(x.shape[0], 28, 28, 1)
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(_("The images of {name} are integers from {lo} to {hi}; integer "
                              "pixels must lie in 0..255.").format(
                                name=name, lo=x.min(), hi=x.max()))
        return x.astype(np.float32) / 127.5 - 1.0
    if np.issubdtype(x.dtype, np.floating):
        if not np.isfinite(x).all():
            raise DataError(_("The images of {name} contain NaN or infinite values. Fix or drop "
                              "those images.").format(name=name))
        lo, hi = float(x.min()), float(x.max())
        if 0.0 <= lo and hi <= 1.0:  # [0, 1], the usual float convention
            return x.astype(np.float32) * 2.0 - 1.0
        if -1.0 <= lo and hi <= 1.0:  # already in the tanh range
            return x.astype(np.float32)
        raise DataError(_("The images of {name} are floats from {lo:g} to {hi:g}; float pixels "
                          "must lie in [0, 1] or [-1, 1] (or give uint8 0..255).").format(
                            name=name, lo=lo, hi=hi))
    raise DataError(_("The images of {name} have dtype {dtype}; give uint8 pixels 0..255 or "
                      "floats in [0, 1] or [-1, 1].").format(name=name, dtype=x.dtype))


def _check_labels(y: np.ndarray, count: int, name: str) -> np.ndarray:
    if y.ndim != 1 or y.shape[0] != count:
        raise DataError(_("{name} has {count} images but labels of shape {shape}; give one label "
                          "per image, shape ({count},).").format(
                            name=name, count=count, shape=y.shape))
    whole = np.issubdtype(y.dtype, np.integer) or (
        np.issubdtype(y.dtype, np.floating) and np.isfinite(y).all() and (y % 1 == 0).all())
    if not whole:
        raise DataError(_("The labels of {name} have dtype {dtype} with non-whole values; labels "
                          "must be whole numbers from 0 to 9.").format(name=name, dtype=y.dtype))
    if y.min() < 0 or y.max() > 9:
        raise DataError(_("The labels of {name} run from {lo:g} to {hi:g}; labels must be class "
                          "numbers from 0 to 9.").format(name=name, lo=y.min(), hi=y.max()))
    return _read_only(y.astype(np.int64))


def _read_only(array: np.ndarray) -> np.ndarray:
    # Every array passed here is a fresh copy made by this module; freezing it lets the
    # cache hand the same arrays to every caller without one of them changing the others'.
    array.flags.writeable = False
    return array
