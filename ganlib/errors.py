"""Errors that speak to the user.

Every failure a person can cause (a bad hyperparameter, an unreadable file, a broken
checkpoint) is raised as a `GanlibError` whose message says what was wrong and what to do
instead. The command line prints that message on one line; the app shows it in a box.
Anything else that escapes is a bug in ganlib, and is shown as one.
"""

from __future__ import annotations


class GanlibError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class ConfigError(GanlibError, ValueError):
    """A training setting is out of range or inconsistent with the algorithm."""


class DataError(GanlibError, ValueError):
    """A dataset cannot be loaded: missing, unreadable, wrong shape, too small."""


class CheckpointError(GanlibError):
    """A saved model is missing, partial, corrupt or from an incompatible version."""


class SettingError(GanlibError, ValueError):
    """A server setting (an environment variable or secret, ganlib.settings) cannot be used;
    the message names it, for the administrator."""
