"""Who may do what on a server shared by a teacher and a class (issue 11).

Without a teacher passcode the server is in single-user ("solo") mode: its one user may do
everything, as before. With a passcode, whoever enters it becomes the teacher and everybody
else is a student. Rights are decided here, on the server, from the browser's id: a hidden
button is a convenience, the `require` check is the protection (a crafted request must fail).

The teacher's rights are kept per browser id in the `Classroom` (one per server process), never
in a key in the address bar: a student who reads the URL off the projector gets nothing, and
the teacher keeps the rights across a refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from ganlib.errors import GanlibError
from ganlib.messages import N_, _, ngettext
from ganlib.settings import Settings

# Wrong passcode guesses (docs/decisions.md, "A passcode back-off that never locks out the
# teacher"). Per browser: this many are free, then each one doubles that browser's lock, up to
# the cap: 8 guesses in a browser's first minute, then 1 a minute.
FREE_GUESSES = 3
MAX_LOCK_S = 60.0
# The whole server: this many wrong guesses, refilled one every CLASS_REFILL_S (30 a minute).
# When they are spent every wrong guess locks its browser for MAX_LOCK_S at once: one guess a
# minute a browser, a fresh one included. A correct passcode is never refused for what other
# browsers did.
CLASS_WRONG_GUESSES = 30
CLASS_REFILL_S = 2.0
# A browser's wrong guesses are forgotten this long after its last one (the table stays small).
FORGET_AFTER_S = 3600.0


class NotAllowed(GanlibError):
    """The user's role may not do this; the message says who may."""


class Role(str, Enum):
    SOLO = "solo"         # no passcode configured: the one user may do everything
    TEACHER = "teacher"
    STUDENT = "student"


@dataclass(frozen=True)
class Owner:
    """Who started a job or saved a model: a browser id, its role and a label to show."""

    id: str
    role: Role
    label: str

    @property
    def manages_everything(self) -> bool:
        """The teacher and the solo user may manage every run and model."""
        return self.role is not Role.STUDENT

    @property
    def stored_owner(self) -> str | None:
        """The owner written into what this user saves: a student's id; None for the teacher
        and the solo user (a missing owner means "the teacher's", so old models stay theirs)."""
        return None if self.manages_everything else self.id


def owner_for(browser_id: str, role: Role) -> Owner:
    """The owner a browser acts as; students are told apart by the first 4 hex of their id."""
    labels = {Role.SOLO: _("You"), Role.TEACHER: _("Teacher"),
              Role.STUDENT: _("Student {id}").format(id=browser_id[:4])}
    return Owner(id=browser_id, role=role, label=labels[role])


def browser_id_from_cookie(cookie: str) -> str:
    """A stable id for a browser from Streamlit's XSRF cookie (hashed: the token is a secret
    of the XSRF protection and must not be shown or stored).

    The server re-masks the same token with a fresh random mask on every page load
    ("2|mask|masked token|timestamp", tornado's format), so the id is taken from the unmasked
    token; any other value is hashed as it is.
    """
    value = cookie.strip("\"'")
    parts = value.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            pass
        else:
            value = bytes(m ^ mask[i % len(mask)] for i, m in enumerate(masked)).hex() \
                if mask else value
    return hashlib.sha256(value.encode()).hexdigest()


def passcode_matches(guess: str, passcode: str) -> bool:
    """Constant-time comparison: digests of equal length, so neither the content nor the
    length of the passcode leaks through the time a wrong guess takes."""
    return hmac.compare_digest(hashlib.sha256(guess.encode()).digest(),
                               hashlib.sha256(passcode.encode()).digest())


def lock_seconds(failures: int) -> float:
    """How long guessing is locked after `failures` wrong guesses in a row."""
    if failures < FREE_GUESSES:
        return 0.0
    return min(MAX_LOCK_S, 2.0 ** (failures - FREE_GUESSES))


@dataclass
class _Failures:
    """One browser's wrong guesses."""

    count: int = 0
    last: float = 0.0
    locked_until: float = 0.0

    def record(self, now: float, lock_s: float) -> None:
        self.count += 1
        self.last = now
        self.locked_until = now + lock_s


@dataclass
class _Budget:
    """The server's wrong guesses left: `size` at most, one more every `refill_s`."""

    size: int
    refill_s: float
    left: float = field(init=False)
    updated: float = 0.0

    def __post_init__(self) -> None:
        self.left = float(self.size)

    def take(self, now: float) -> bool:
        """Spend one wrong guess; False when none is left."""
        self.left = min(self.size, self.left + (now - self.updated) / self.refill_s)
        self.updated = now
        if self.left < 1:
            return False
        self.left -= 1
        return True


class Action(str, Enum):
    WATCH = "watch"
    CONTROL = "control"          # pause, resume, step, stop, save a run
    START = "start"              # start a run or a comparison
    MANAGE_MODEL = "manage"      # delete, rename, overwrite a saved model
    SERVER_PATHS = "paths"       # use a file path on the server as a dataset


def _student_may(action: Action, actor: Owner, owner_id: str | None) -> bool:
    if action is Action.WATCH:
        return True
    if action in (Action.CONTROL, Action.MANAGE_MODEL):
        return owner_id is not None and owner_id == actor.id
    return False      # START is decided by the classroom (flag, limit); SERVER_PATHS never


WHO_MAY = {
    Action.CONTROL: N_("Only the teacher, or the student who started it, can control this "
                       "run."),
    Action.START: N_("Student runs are off: ask the teacher to allow them."),
    Action.MANAGE_MODEL: N_("Only the teacher, or the student who saved it, can change or "
                            "delete this model. Save your own copy instead."),
    Action.SERVER_PATHS: N_("Only the teacher can use files on the server as a dataset."),
}


def may(actor: Owner, action: Action, owner_id: str | None = None) -> bool:
    """The rights table: may `actor` do `action` to a thing owned by `owner_id` (None: the
    teacher's or a shipped one)? Starting runs as a student also needs
    `Classroom.check_student_start`."""
    if actor.manages_everything:
        return True
    return _student_may(action, actor, owner_id)


def require(actor: Owner, action: Action, owner_id: str | None = None) -> None:
    """Raise NotAllowed, saying who may, unless `actor` may do `action`."""
    if not may(actor, action, owner_id):
        raise NotAllowed(_(WHO_MAY[action]))


@dataclass
class Classroom:
    """The teacher set, passcode back-off and the class switches of one server process."""

    passcode: str | None
    student_runs: int = 1
    clock: Callable[[], float] = time.monotonic
    allow_student_runs: bool = False
    _teachers: set[str] = field(default_factory=set)
    _failures: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)  # oldest first
    _class_budget: _Budget = field(
        default_factory=lambda: _Budget(CLASS_WRONG_GUESSES, CLASS_REFILL_S))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings) -> Classroom:
        """The classroom the server's settings ask for (no teacher passcode: single-user)."""
        return cls(passcode=settings.teacher_passcode, student_runs=settings.student_runs)

    @property
    def solo(self) -> bool:
        return self.passcode is None

    def role(self, browser_id: str) -> Role:
        if self.solo:
            return Role.SOLO
        with self._lock:
            return Role.TEACHER if browser_id in self._teachers else Role.STUDENT

    def owner(self, browser_id: str) -> Owner:
        return owner_for(browser_id, self.role(browser_id))

    def wait_seconds(self, browser_id: str) -> float:
        """Seconds until this browser may guess again (0: now). Only its own wrong guesses
        lock a browser: a class clown never delays the teacher's browser."""
        with self._lock:
            return self._wait(browser_id, self.clock())

    def _wait(self, browser_id: str, now: float) -> float:
        failures = self._failures.get(browser_id)
        return max(0.0, failures.locked_until - now) if failures else 0.0

    def sign_in(self, browser_id: str, guess: str) -> bool:
        """Make the browser the teacher if `guess` is the passcode. Raises NotAllowed while
        this browser's wrong guesses lock it, with the seconds to wait.

        Checked and counted under one lock: twenty tabs submitting at once get no more
        guesses checked than one tab would. Wrong guesses past the server's budget lock
        their browser for the longest time at once; a correct passcode from a browser that
        is not locked itself always signs in.
        """
        if self.solo:
            return True
        with self._lock:
            now = self.clock()
            self._forget(now)
            if (wait := self._wait(browser_id, now)) > 0:
                raise NotAllowed(_("Too many wrong passcodes: try again in {seconds} s.").format(
                    seconds=math.ceil(wait)))
            if passcode_matches(guess, self.passcode or ""):
                self._teachers.add(browser_id)
                self._failures.pop(browser_id, None)
                return True
            failures = self._failures.pop(browser_id, None) or _Failures()
            within_budget = self._class_budget.take(now)
            failures.record(now, lock_seconds(failures.count + 1) if within_budget
                            else MAX_LOCK_S)
            self._failures[browser_id] = failures         # the newest last
            return False

    def _forget(self, now: float) -> None:
        """Drop the wrong guesses of browsers that have not guessed for FORGET_AFTER_S."""
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if now - oldest.last < FORGET_AFTER_S:
                return
            self._failures.popitem(last=False)

    def sign_out(self, browser_id: str) -> None:
        with self._lock:
            self._teachers.discard(browser_id)

    def set_student_runs(self, actor: Owner, allowed: bool) -> None:
        if not actor.manages_everything:
            raise NotAllowed(_("Only the teacher can allow or stop student runs."))
        self.allow_student_runs = allowed

    def check_student_start(self, actor: Owner, active_own: int) -> None:
        """Raise NotAllowed unless `actor` (with `active_own` active jobs) may start one."""
        if actor.manages_everything:
            return
        if not self.allow_student_runs:
            raise NotAllowed(_(WHO_MAY[Action.START]))
        if active_own >= self.student_runs:
            raise NotAllowed(ngettext(
                "You already have {count} run going, the limit for a student: stop it on the "
                "Train page first.",
                "You already have {count} runs going, the limit for a student: stop one on the "
                "Train page first.", active_own).format(count=active_own))
