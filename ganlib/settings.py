"""Every setting a server's administrator can make: its environment variable, its default,
how its text is read, and what it does; read once per process.

The variables are the README's "Settings for a classroom server" table, in its order (the
table is made from this module: `markdown_table`, checked by tests/test_settings.py). Their
names never change: administrators have them in scripts. Two may instead come from the
app's secrets file, `.streamlit/secrets.toml` (the variable wins): the app reads that file
through Streamlit and passes it in (`get(secrets=...)`), as this library never imports
Streamlit.

A value that cannot be used is a `SettingError` naming the variable, what it holds and what
to write instead, never a silent fallback to the default. The names are for administrators:
the app shows its users plain sentences, and the server's log and the README name the
variables.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganlib.errors import SettingError
from ganlib.messages import _

REPOSITORY = Path(__file__).resolve().parent.parent
SECRETS_FILE = ".streamlit/secrets.toml"

Parser = Callable[[str], Any]    # raises ValueError(what the text should be) for bad text


# --- one parser per kind of value ----------------------------------------------------------

def whole_number(minimum: int) -> Parser:
    """A whole number of at least `minimum`."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ValueError(_("a whole number of at least {minimum}").format(minimum=minimum))
        return value
    return parse


def number(above: float, at_most: float = math.inf) -> Parser:
    """A number above `above` and at most `at_most` (never infinite or NaN)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (above < value <= at_most and math.isfinite(value)):
            raise ValueError(_("a number above {above:g}").format(above=above)
                             if at_most == math.inf else
                             _("a number above {above:g} and at most {at_most:g}").format(
                                 above=above, at_most=at_most))
        return value
    return parse


def one_of(*choices: str) -> Parser:
    """One of `choices`, in any case."""
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(_("one of {choices}").format(choices=", ".join(choices)))
        return value
    return parse


def folder(text: str) -> Path:
    """A folder's path; `~` is the user's home."""
    return Path(text.strip()).expanduser()


def folders(text: str) -> tuple[Path, ...]:
    """Folders' paths separated by os.pathsep (":" on Linux and macOS); blank parts skipped."""
    return tuple(folder(part) for part in text.split(os.pathsep) if part.strip())


def text(value: str) -> str:
    """Any text, without the spaces around it."""
    return value.strip()


# --- the settings --------------------------------------------------------------------------

_BLANK_IS_DEFAULT = object()


@dataclass(frozen=True)
class Setting:
    """How one field of `Settings` is set: its variable, how its text is read, and what the
    README says of it."""

    name: str                          # the environment variable
    parse: Parser
    default_text: str                  # the default, as the README writes it
    help: str                          # what it does, as the README writes it
    secret: str | None = None          # the key that may give it in the secrets file
    blank: Any = _BLANK_IS_DEFAULT     # the value of a variable set to nothing


def _variable(name: str, default: Any, parse: Parser, default_text: str, help_text: str,
             **more: Any) -> Any:
    return dataclasses.field(default=default, metadata={
        "setting": Setting(name, parse, default_text, help_text, **more)})


@dataclass(frozen=True)
class Settings:
    """The values in effect. Read them with `get()`; `load` is for tests and tools."""

    max_runs: int | None = _variable(
        "GAN_CLASSROOM_MAX_RUNS", None, whole_number(1), "one per 2 CPU cores",
        "runs that may train at once; starting another gives a clear message")
    idle_pause_s: float = _variable(
        "GAN_CLASSROOM_IDLE_PAUSE_S", 300.0, number(above=0), "300",
        "a run nobody has watched for this long pauses itself")
    idle_stop_s: float = _variable(
        "GAN_CLASSROOM_IDLE_STOP_S", 900.0, number(above=0), "900",
        "a paused run nobody has watched for this long more is saved as "
        "`autosave-<run id>` and stopped, freeing its slot")
    compare_time_scale: float = _variable(
        "GAN_CLASSROOM_COMPARE_TIME_SCALE", 1.0, number(above=0, at_most=1), "1",
        "shortens every comparison on the Compare page to this share of the time chosen (0.1: "
        "a tenth, judged ten times as often), for tests and rehearsals; the page still offers "
        "the real times and says it shortens them")
    teacher_passcode: str | None = _variable(
        "GAN_CLASSROOM_TEACHER_PASSCODE", None, text, "unset",
        "turns on classroom mode (see \"Teaching a class\"); unset: single-user mode",
        secret="teacher_passcode")
    student_runs: int = _variable(
        "GAN_CLASSROOM_STUDENT_RUNS", 1, whole_number(0), "1",
        "runs each student may train at once, while the teacher allows student runs")
    ray_address: str | None = _variable(
        "GAN_CLASSROOM_RAY_ADDRESS", None, text, "unset",
        "train every run on this Ray cluster (see \"Running on a Ray cluster\"); unset: in the "
        "app's process", secret="ray_address")
    ray_cpus_per_run: float = _variable(
        "GAN_CLASSROOM_RAY_CPUS_PER_RUN", 2.0, number(above=0), "2",
        "CPUs each run asks of the Ray cluster (a run also asks for one GPU where the cluster "
        "has GPUs)")
    checkpoints: Path = _variable(
        "GANLIB_CHECKPOINTS", REPOSITORY / "checkpoints", folder, "`checkpoints/`",
        "where models are saved")
    checkpoint_quota_mb: float = _variable(
        "GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", 2000.0, number(above=0), "2000",
        "the most MB that folder may hold; a save or upload past it is refused with what to "
        "delete")
    student_share: float = _variable(
        "GAN_CLASSROOM_STUDENT_SHARE", 0.1, number(above=0, at_most=1), "0.1",
        "the share of that quota each student's saves and uploads may fill (0.1: a tenth); "
        "the Models page tells each student how much of it they use")
    checkpoint_reserve: float = _variable(
        "GAN_CLASSROOM_CHECKPOINT_RESERVE", 0.25, number(above=0, at_most=0.9), "0.25",
        "the share of that quota students' saves and uploads never fill: it is kept for the "
        "teacher and for autosaves, so that a full class never stops them")
    data_dirs: tuple[Path, ...] = _variable(
        "GANLIB_DATA_DIRS", (REPOSITORY / "data",), folders, "`data/`",
        "folders (separated by `:`) whose files a browser user may train on by typing a path; "
        "empty: none. The command line reads any path", blank=())
    digits: str = _variable(
        "GAN_CLASSROOM_DIGITS", "browser", one_of("browser", "server"), "browser",
        "where the Latent explorer and Interpolation draw their digits: `browser` (each "
        "student's device runs the generator, and the digit follows a slider while it moves) "
        "or `server` (every digit drawn by this server, as for a browser that cannot)")


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"]
                                for f in dataclasses.fields(Settings)}


def name_of(field: str) -> str:
    """The environment variable of the setting `field` (e.g. "max_runs"), for the log."""
    return SETTINGS[field].name


def load(environ: Mapping[str, str],
         secrets: Mapping[str, object] | None = None) -> Settings:
    """The settings `environ` (and `secrets`, the secrets file's keys) give, checked:
    SettingError for the first value that cannot be used."""
    values = {}
    for field, setting in SETTINGS.items():
        raw, source = environ.get(setting.name), setting.name
        if (raw is None or not raw.strip()) and setting.secret and secrets:
            given = secrets.get(setting.secret)
            if given is not None and str(given).strip():
                raw, source = str(given), f"{setting.secret} ({SECRETS_FILE})"
        if raw is None or (not raw.strip() and setting.blank is _BLANK_IS_DEFAULT):
            continue
        if not raw.strip():
            values[field] = setting.blank
            continue
        try:
            values[field] = setting.parse(raw)
        except ValueError as exc:
            raise SettingError(_("{source} is {value!r}, but it must be {expected}. Set it to "
                                 "such a value, or unset it for the default ({default}).").format(
                                   source=source, value=raw, expected=exc,
                                   default=setting.default_text)) from None
    return Settings(**values)


_loaded: dict[tuple, Settings] = {}


def get(secrets: Mapping[str, object] | None = None) -> Settings:
    """The settings of this process, read from its environment (and `secrets`) the first
    time and the same ever after; SettingError if one cannot be used."""
    key = tuple((s.secret, str((secrets or {}).get(s.secret, "")))
                for s in SETTINGS.values() if s.secret)
    if key not in _loaded:
        _loaded[key] = load(os.environ, secrets)
    return _loaded[key]


def reset() -> None:
    """Forget what `get` read, so that the next call reads the environment again (tests)."""
    _loaded.clear()


def markdown_table() -> str:
    """The README's table of settings, which must read exactly this."""
    rows = ["| environment variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS.values():
        meaning = setting.help
        if setting.secret:
            meaning += (f"; may instead be `{setting.secret}` in `{SECRETS_FILE}` "
                        f"(the variable wins)")
        rows.append(f"| `{setting.name}` | {setting.default_text} | {meaning} |")
    return "\n".join(rows)
