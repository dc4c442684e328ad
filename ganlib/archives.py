"""Zip files from strangers: which entry names are safe, and what reading one may raise.

Two kinds of zip come from users: a checkpoint uploaded from a browser (ganlib.checkpoints)
and a zip of training images (ganlib.data). Both are read entry by entry, so one rule
decides which entry names to trust. A name is refused if it could reach outside a folder
on any system: an absolute path, a '..', a drive letter or any colon, a backslash (a folder
separator on Windows), an empty or '.' part; and so is a link, whose content is a path.
"""

from __future__ import annotations

import stat
import zipfile
import zlib

from ganlib.messages import _

# What reading a damaged zip (or .npz, which is a zip) can raise: an encrypted entry,
# RuntimeError; an unknown compression method, NotImplementedError; a truncated deflate
# stream, zlib.error.
ZIP_READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError, EOFError, ValueError, KeyError, RuntimeError, NotImplementedError,
    zipfile.BadZipFile, zlib.error)


def unsafe_entry_reason(entry: zipfile.ZipInfo) -> str | None:
    """Why `entry` must not be trusted (e.g. "it climbs out with '..'"), or None if its name
    is a plain relative path of folders and a file and it is not a link."""
    name = entry.filename
    if stat.S_ISLNK(entry.external_attr >> 16):
        return _("it is a link")
    if name.startswith("/"):
        return _("it is an absolute path")
    if "\\" in name:
        return _("it contains a backslash")
    if ":" in name:
        return _("it contains a colon (a drive letter)")
    parts = name.removesuffix("/").split("/")      # a folder entry ends in "/"
    if ".." in parts:
        return _("it climbs out with '..'")
    if any(part in ("", ".") for part in parts):
        return _("it has an empty or '.' part")
    return None
