"""The class challenge: every student trains under the same rules, one classifier scores.

A lecturer opens a challenge (a `ChallengeSpec`, usually from one of `CHALLENGE_PRESETS`):
which algorithms students may pick, which settings they may change (the rest come from the
preset), a budget per entry, how many entries each student has, and when it ends. This module
holds the rules, free of any server: they are what a test, the page and the benchmark agree on.

Fairness is the point of a class competition, so:
- the budget is work, not time: images the generator has made for its updates (generator
  steps x generator batch, `steps_for_budget`). An entry that waited in a queue or trained
  beside others does the same work and gets the same score;
- every entry is scored the same way at its end: SCORE_SAMPLES samples from the fixed noise
  SCORE_SEED through the shipped classifier (ganlib.quality), whatever seed the student chose;
- ties have one rule (`leaderboard`): equal scores share a place, and the entry that
  finished first is listed first.

The whole challenge (spec, entries, names) is one JSON document (`save_state`, `load_state`),
written atomically and checked when read: a broken file gives a message, never a crash.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig, make_config
from ganlib.errors import GanlibError
from ganlib.messages import N_, _
from ganlib.quality import Quality

if TYPE_CHECKING:
    import keras

# Every entry is scored on this many samples of this noise (ganlib.quality.measure).
SCORE_SAMPLES = 500
SCORE_SEED = 2024
TITLE_MAX = 80
GOAL_MAX = 400
NAME_MIN, NAME_MAX = 2, 24
MAX_ENTRIES = 20
BUDGET_RANGE = (1_000, 10_000_000)      # images seen per entry
# The settings a challenge may let students change; each only for the rules it applies to.
CHANGEABLE: tuple[str, ...] = ("g_lr", "d_lr", "batch_size", "latent_dim", "beta_1",
                               "n_critic", "clip_value", "gp_weight", "seed")
_RULE_SETTINGS = {name for info in ALGORITHM_INFO.values() for name in info.settings}
FILE_VERSION = 1


class ChallengeError(GanlibError):
    """A challenge's rules were broken (a too long title, a setting that is not open, the
    bell has rung); the message says what to do."""


class Scoring(StrEnum):
    """How entries are compared."""

    QUALITY = N_("quality")   # classes drawn, then FD as a multiple of real images' (lower)
    CLASSES = N_("classes")   # classes drawn only


@dataclass(frozen=True)
class ChallengePreset:
    """A ready lesson: its title and goal, the rules' starting presets and the open settings."""

    name: str
    title: str
    goal: str
    bases: Mapping[str, str]            # algorithm -> its preset in ganlib.algorithms
    changeable: tuple[str, ...]
    budget_images: int
    scoring: Scoring
    minutes: int


CHALLENGE_PRESETS: dict[str, ChallengePreset] = {
    # The quick presets train digits of nearly every class in a minute on a quiet 2-core CPU:
    # 3,600 GAN steps of 32 images (ganlib.algorithms).
    "best-digits": ChallengePreset(
        "best-digits", N_("Best digits in a minute"),
        N_("Any algorithm: draw the most kinds of digit, as close to real ones as you can, "
           "with a minute's worth of training."),
        bases={"gan": "quick", "wgan": "quick", "wgan-gp": "quick"},
        changeable=("g_lr", "d_lr", "batch_size", "latent_dim", "seed"),
        budget_images=115_200, scoring=Scoring.QUALITY, minutes=20),
    # The GAN's mode-collapse preset covers 2-3 of 10 classes after its 1,000 steps of 64
    # images (docs/mode-collapse.md); a WGAN on the same budget is the rescue.
    "collapse-rescue": ChallengePreset(
        "collapse-rescue", N_("Make the GAN collapse, then rescue it"),
        N_("First make the GAN draw only a few kinds of digit, then rescue it with a WGAN. "
           "Scored on how many kinds of digit your model draws."),
        bases={"gan": "mode-collapse", "wgan": "quick"},
        changeable=("g_lr", "d_lr", "latent_dim", "n_critic", "clip_value"),
        budget_images=64_000, scoring=Scoring.CLASSES, minutes=20),
}


def steps_for_budget(budget_images: int, generator_batch: int) -> int:
    """Generator steps that make `budget_images` images (rounded up: never less work)."""
    return max(1, math.ceil(budget_images / generator_batch))


def images_seen(step: int, config: TrainConfig) -> int:
    """The work a run has done at `step`, in the budget's unit."""
    return step * config.generator_batch_size


def applies(setting: str, algorithm: str) -> bool:
    """Whether `setting` means anything to `algorithm` (n_critic does not to the GAN)."""
    return setting not in _RULE_SETTINGS or setting in ALGORITHM_INFO[algorithm].settings


@dataclass(frozen=True)
class ChallengeSpec:
    """What the lecturer opened. Built with `open_spec`, validated either way."""

    preset: str
    title: str
    goal: str
    algorithms: tuple[str, ...]
    changeable: tuple[str, ...]
    budget_images: int
    entries_per_student: int
    ends_at: float                      # time.time() of the bell

    def __post_init__(self) -> None:
        _validate_spec(self)

    @property
    def scoring(self) -> Scoring:
        return CHALLENGE_PRESETS[self.preset].scoring

    def open_at(self, now: float) -> bool:
        """Whether entries are still taken at `now`."""
        return now < self.ends_at

    def settings_for(self, algorithm: str) -> tuple[str, ...]:
        """The settings a student may change for `algorithm`."""
        return tuple(s for s in self.changeable if applies(s, algorithm))

    def base_config(self, algorithm: str) -> TrainConfig:
        """The fixed part of an entry of `algorithm`, with the budget as its steps."""
        if algorithm not in self.algorithms:
            raise ChallengeError(_("This challenge takes entries of {allowed} only.").format(
                allowed=", ".join(a.upper() for a in self.algorithms)))
        config = make_config(algorithm, CHALLENGE_PRESETS[self.preset].bases[algorithm])
        return config.replace(steps=steps_for_budget(self.budget_images,
                                                     config.generator_batch_size))

    def entry_config(self, algorithm: str, changes: Mapping[str, Any]) -> TrainConfig:
        """An entry's configuration: the preset, the student's changes to open settings, and
        as many steps as the budget allows at the entry's batch size. Raises ChallengeError
        for a setting that is not open, ConfigError for a value out of range."""
        base = self.base_config(algorithm)
        closed = sorted(set(changes) - set(self.settings_for(algorithm)))
        if closed:
            raise ChallengeError(_("These settings are fixed in this challenge: {names}.").format(
                names=", ".join(closed)))
        config = base.replace(**changes)
        return config.replace(steps=steps_for_budget(self.budget_images,
                                                     config.generator_batch_size))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "algorithms": list(self.algorithms),
                "changeable": list(self.changeable)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChallengeSpec:
        return cls(**{**data, "algorithms": tuple(data["algorithms"]),
                      "changeable": tuple(data["changeable"])})


def open_spec(preset: str, *, ends_at: float, title: str | None = None, goal: str | None = None,
              algorithms: Sequence[str] | None = None, changeable: Sequence[str] | None = None,
              budget_images: int | None = None, entries_per_student: int = 3
              ) -> ChallengeSpec:
    """A challenge from `preset` with the lecturer's changes (None keeps the preset's).

    A preset's own title and goal are kept as their untranslated messages, so that each
    student reads them in their own language (a page shows `_(spec.title)`; a title the
    lecturer typed is no message and shows as typed)."""
    if preset not in CHALLENGE_PRESETS:
        raise ChallengeError(_("Unknown challenge preset {name!r}: choose one of {names}.").format(
            name=preset, names=", ".join(CHALLENGE_PRESETS)))
    base = CHALLENGE_PRESETS[preset]
    return ChallengeSpec(
        preset=preset, title=base.title if title is None else title,
        goal=base.goal if goal is None else goal,
        algorithms=tuple(base.bases) if algorithms is None else tuple(algorithms),
        changeable=base.changeable if changeable is None else tuple(changeable),
        budget_images=base.budget_images if budget_images is None else budget_images,
        entries_per_student=entries_per_student, ends_at=ends_at)


def _validate_spec(spec: ChallengeSpec) -> None:
    if spec.preset not in CHALLENGE_PRESETS:
        raise ChallengeError(_("Unknown challenge preset {name!r}.").format(name=spec.preset))
    for text, most, what in ((spec.title, TITLE_MAX, N_("title")), (spec.goal, GOAL_MAX,
                                                                      N_("goal"))):
        if not isinstance(text, str) or not text.strip() or len(text) > most:
            raise ChallengeError(_("The challenge's {what} must be 1 to {most} characters.")
                                 .format(what=_(what), most=most))
    bases = CHALLENGE_PRESETS[spec.preset].bases
    if not spec.algorithms or any(a not in bases for a in spec.algorithms):
        raise ChallengeError(_("Choose the algorithms from {names}.").format(
            names=", ".join(a.upper() for a in bases)))
    if any(s not in CHANGEABLE for s in spec.changeable):
        raise ChallengeError(_("Students may change only these settings: {names}.").format(
            names=", ".join(CHANGEABLE)))
    lo, hi = BUDGET_RANGE
    if isinstance(spec.budget_images, bool) or not isinstance(spec.budget_images, int) \
            or not lo <= spec.budget_images <= hi:
        raise ChallengeError(_("The budget must be {lo} to {hi} images.").format(lo=lo, hi=hi))
    if isinstance(spec.entries_per_student, bool) or not isinstance(spec.entries_per_student,
                                                                    int) \
            or not 1 <= spec.entries_per_student <= MAX_ENTRIES:
        raise ChallengeError(_("Entries per student must be 1 to {most}.").format(
            most=MAX_ENTRIES))
    if not isinstance(spec.ends_at, (int, float)) or not math.isfinite(spec.ends_at):
        raise ChallengeError(_("The challenge needs an end time."))


def clean_display_name(text: str) -> str:
    """A student's display name as the board shows it: spaces collapsed, NAME_MIN to
    NAME_MAX characters, with a letter or digit, and no invisible or control characters
    (a name is shown on the projector, escaped as plain text there: ui.text.plain)."""
    name = " ".join(str(text).split())
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ChallengeError(_("A name cannot hold invisible or control characters."))
    if not NAME_MIN <= len(name) <= NAME_MAX or not any(c.isalnum() for c in name):
        raise ChallengeError(_("A name needs {lo} to {hi} characters, with a letter or a "
                               "digit.").format(lo=NAME_MIN, hi=NAME_MAX))
    return name


class EntryStatus(StrEnum):
    QUEUED = N_("queued")        # waiting for room (a restart or the lecturer's demo also
                                 # sends a running entry back here, to train again)
    RUNNING = N_("running")
    SCORED = N_("scored")
    FAILED = N_("failed")        # diverged or broke: it counts as an entry, with no score
    REMOVED = N_("removed")      # by the lecturer: not on the board, not counted


@dataclass(frozen=True)
class Entry:
    """One student's entry and what became of it."""

    entry_id: str
    student_id: str
    algorithm: str
    changes: Mapping[str, Any]
    submitted_at: float
    status: EntryStatus = EntryStatus.QUEUED
    run_id: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    images_seen: int = 0
    score: Mapping[str, float] | None = None     # Quality.as_dict()
    model: str | None = None                     # the saved model, when it could be saved
    note: str | None = None                      # why it failed, or why it was not saved

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", EntryStatus(self.status))

    @property
    def quality(self) -> Quality | None:
        return Quality.from_scores(self.score) if self.score else None

    @property
    def counts(self) -> bool:
        """Whether it uses one of the student's entries."""
        return self.status is not EntryStatus.REMOVED

    @property
    def waiting_or_training(self) -> bool:
        return self.status in (EntryStatus.QUEUED, EntryStatus.RUNNING)

    def changed(self, **fields: Any) -> Entry:
        return replace(self, **fields)


def score_key(quality: Quality, scoring: Scoring) -> tuple:
    """Sorts best first under `scoring`."""
    return quality.rank if scoring is Scoring.QUALITY else (-quality.classes_covered,)


@dataclass(frozen=True)
class BoardRow:
    place: int           # equal scores share a place (1, 2, 2, 4)
    entry: Entry
    name: str
    hidden: bool


def leaderboard(entries: Iterable[Entry], names: Mapping[str, str], hidden: Iterable[str],
                scoring: Scoring) -> list[BoardRow]:
    """The best scored entry of each student, best first.

    Ties: equal scores share a place, and among them the entry that finished first comes
    first (then the one submitted first): who got there first is what a class accepts. A
    student's own tie between two entries keeps the earlier one. An empty list when nothing
    is scored yet."""
    def order(entry: Entry) -> tuple:
        return (*score_key(entry.quality, scoring), entry.finished_at or 0.0,
                entry.submitted_at, entry.entry_id)

    best: dict[str, Entry] = {}
    for entry in sorted((e for e in entries if e.status is EntryStatus.SCORED and e.quality),
                        key=order):
        best.setdefault(entry.student_id, entry)
    ranked = sorted(best.values(), key=order)
    hidden = set(hidden)
    rows, place = [], 0
    for index, entry in enumerate(ranked):
        if index == 0 or score_key(entry.quality, scoring) != score_key(
                ranked[index - 1].quality, scoring):
            place = index + 1
        rows.append(BoardRow(place, entry, names.get(entry.student_id, default_name(
            entry.student_id)), entry.student_id in hidden))
    return rows


def default_name(student_id: str) -> str:
    """What the board calls a student who chose no name (as the classroom labels them)."""
    return _("Student {id}").format(id=student_id[:4])


def settings_text(entry: Entry) -> str:
    """An entry's choices in one line: "GAN · g_lr=0.003, seed=4"."""
    changes = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in sorted(entry.changes.items()))
    return " · ".join(part for part in (entry.algorithm.upper(), changes) if part)


_FORMULA_START = tuple("=+-@\t\r")


def board_csv(rows: Sequence[BoardRow]) -> str:
    """The board as CSV for the lecturer (hidden names too: it is their table). A cell that
    a spreadsheet would run as a formula is prefixed with a quote."""
    def cell(value: object) -> object:
        return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) \
            else value

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["place", "name", "hidden", "algorithm", "settings", "classes_covered",
                     "classes_present", "fd_ratio", "images_seen", "model"])
    for row in rows:
        quality = row.entry.quality
        writer.writerow([cell(v) for v in (
            row.place, row.name, row.hidden, row.entry.algorithm, settings_text(row.entry),
            quality.classes_covered, quality.classes_present, round(quality.fd_ratio, 3),
            row.entry.images_seen, row.entry.model or "")])
    return out.getvalue()


def wait_estimate(position: int, first_left_s: float, entry_s: float | None) -> float | None:
    """Seconds until the entry at `position` (1: next) starts, when entries start one at a
    time: what stands before the queue (`first_left_s`: the running entry's or the lecturer's
    run's time left) and an entry's typical duration for each one ahead; None while no entry
    has finished to tell the duration (an honest "not known yet" over a guess)."""
    if entry_s is None:
        return None
    return first_left_s + (position - 1) * entry_s


def score_generator(generator: keras.Model, config: TrainConfig) -> Quality | None:
    """An entry's score: the same SCORE_SAMPLES samples of the noise SCORE_SEED for every
    entry, whatever seed the student chose (None without a classifier for its data)."""
    from ganlib.quality import measure

    return measure(generator, config, noise_seed=SCORE_SEED, samples=SCORE_SAMPLES)


# --- the challenge as one JSON document ----------------------------------------------------

@dataclass
class ChallengeState:
    """Everything a challenge keeps: the spec, the entries (oldest first), the names the
    students chose, the students whose name the lecturer hid."""

    spec: ChallengeSpec
    entries: list[Entry] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"version": FILE_VERSION, "spec": self.spec.to_dict(),
                "entries": [{**asdict(e), "changes": dict(e.changes),
                             "score": dict(e.score) if e.score else None}
                            for e in self.entries],
                "names": dict(self.names), "hidden": sorted(self.hidden)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChallengeState:
        if data.get("version") != FILE_VERSION:
            raise ChallengeError(_("unknown version {version!r}").format(
                version=data.get("version")))
        names = {str(k): clean_display_name(v) for k, v in dict(data["names"]).items()}
        return cls(spec=ChallengeSpec.from_dict(data["spec"]),
                   entries=[Entry(**e) for e in data["entries"]], names=names,
                   hidden={str(h) for h in data["hidden"]})


def save_state(path: str | Path, state: ChallengeState) -> None:
    """Write the challenge to `path` atomically: a crash mid-write leaves the old file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state.to_dict(), out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def load_state(path: str | Path) -> ChallengeState | None:
    """The challenge saved at `path`; None when there is none. Raises ChallengeError naming
    the file when it cannot be read (the server then starts without it and says so)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ChallengeError(_("The saved challenge {path} cannot be read: {error}.").format(
            path=path, error=exc.strerror or exc))
    try:
        return ChallengeState.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError, GanlibError) as exc:
        detail = exc if isinstance(exc, (GanlibError, json.JSONDecodeError)) else \
            f"{type(exc).__name__}: {exc}"
        raise ChallengeError(_("The saved challenge {path} is damaged ({detail}); move it "
                               "away to open a new challenge.").format(path=path,
                                                                        detail=detail))

