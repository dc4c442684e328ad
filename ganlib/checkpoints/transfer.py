"""Checkpoints as zip files: export for a download, import for a browser's upload.

An upload is the one way a stranger's bytes reach the checkpoints folder, so everything
about it is checked before it is written, and again while it is: its size and what it
unpacks to, the names and sizes of its entries, its preview (re-encoded from its pixels)
and its networks (loaded in safe mode like any checkpoint). Only then is it renamed into
the folder.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from ganlib.archives import ZIP_READ_ERRORS, unsafe_entry_reason
from ganlib.checkpoints.reading import (CHECKPOINT_FILES, MAX_PREVIEW_BYTES, MAX_PREVIEW_SIDE,
                                        CheckpointInfo, _Damaged, _load, _one_line, _read_info,
                                        _read_meta, _reading, _zip_size, read_info)
from ganlib.checkpoints.space import tree_bytes, check_room
from ganlib.checkpoints.upkeep import (_NAME, _folder, checkpoint_root, is_disk_full,
                                       scratch_folder, valid_name)
from ganlib.checkpoints.writing import _place, _write_json
from ganlib.errors import CheckpointError
from ganlib.images import PictureError, open_picture, png_bytes
from ganlib.messages import _
from ganlib.units import format_size

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
# The small files of a checkpoint are small: config.json and meta.json take a few KB (the
# preview's limits are reading's: one on disk must keep to them too).
MAX_JSON_BYTES = 256 * 2**10
_MEMBER_LIMITS = {"config.json": MAX_JSON_BYTES, "meta.json": MAX_JSON_BYTES,
                  "preview.png": MAX_PREVIEW_BYTES}


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
    larger than it can be (_MEMBER_LIMITS); more than the room the uploader has
    (ganlib.checkpoints.space: a student's share, the quota). Sizes are checked
    from the zip's directory before anything is written, and again while each entry is
    copied. What passes is unpacked into a hidden folder, its preview re-encoded from its
    pixels, loaded in safe mode like any checkpoint, and only then renamed into the root.
    The name is `name`, else the zip's folder, else meta.json's name; if it is taken, "-2",
    "-3", ... is added. The returned info has the name it got. Its owner is `owner` (a
    student's id, None for the teacher), never the one the zip claims, and it has no
    quality until measured here (nor may one be claimed). A full disk is said to be one,
    not blamed on the zip.
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
    refused = _("The upload is refused")
    with archive:
        top, members = _upload_members(archive, limit)
        check_room(folder, sum(info.file_size for info in members.values()), owner=owner,
                   autosave=False, refused=refused)
        try:
            with scratch_folder(folder, ".tmp-import-") as scratch:
                for filename, info in members.items():
                    # Written under our own file name: nothing in the zip chooses a path.
                    with archive.open(info) as source, open(scratch / filename, "wb") as sink:
                        _copy_capped(source, sink, info.file_size, filename)
                if "preview.png" in members:
                    _reencode_preview(scratch / "preview.png")
                inner = sum(_zip_size(scratch / f) for f in members
                            if f.endswith((".keras", ".npz")))
                if inner > limit:
                    raise _Damaged(_("its model and array files unpack to {size}, more than the "
                                     "{limit} allowed").format(size=format_size(inner),
                                                               limit=format_size(limit)))
                _load(scratch, with_critic=True)
                meta = _read_meta(scratch)
                wanted = next(n for n in (name, top, meta.get("name"), "imported")
                              if isinstance(n, str) and _NAME.fullmatch(n))
                # Who it is, this server says: never the zip (a student must not upload a
                # model as the teacher's, nor one that counts as an autosave).
                meta.pop("owner", None)
                meta.pop("autosave", None)
                if owner:
                    meta["owner"] = owner
                # The Models page ranks by quality: a zip's claim of one is no measurement
                # (ganlib.quality measures it here, on demand).
                meta.pop("quality", None)
                _write_json(scratch / "meta.json", meta)
                # Checked again now that it is unpacked: other uploads may have come meanwhile.
                check_room(folder, tree_bytes(scratch), owner=owner, autosave=False,
                           refused=refused, leaving=[scratch])
                final = _place(scratch, wanted, meta)
        except OSError as exc:
            if not is_disk_full(exc):
                raise _unusable(exc) from None
            raise CheckpointError(_("The upload could not be stored: the server's disk is "
                                    "full. Nothing is wrong with the zip; ask the teacher to "
                                    "delete models that are no longer needed, or the "
                                    "server's administrator to free space, then upload it "
                                    "again.")) from None
        except (_Damaged, *ZIP_READ_ERRORS) as exc:
            raise _unusable(exc) from None
    return read_info(folder / final)


def _unusable(exc: BaseException) -> CheckpointError:
    return CheckpointError(_("The uploaded checkpoint cannot be used: {problem}. Upload a zip "
                             "downloaded from the Models page of a working checkpoint.").format(
                               problem=_one_line(exc)))


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
