"""Class soak: a teacher, 10 students and the hostile cases of issue 22 against one server.

`python -m scripts.soak --class --minutes 10` starts the app in classroom mode (a teacher
passcode, a checkpoint quota of `--quota-mb`, a tenth of it each student's share, 2 runs at
once, the shipped demo models) and plays a class on it until the time is up:

- the teacher (a websocket tab, scripts/app_socket.py: its saves must race a student's to
  the millisecond) signs in, starts the GAN demo run, shows it to the class, allows student
  runs, saves the run as "lesson-<n>" every minute (the run autosaves itself meanwhile), and
  checks that it is still signed in, its run still listed and student runs still allowed;
  when the demo's steps are done it saves the run and starts the next one; now and then a
  second teacher browser signs in with the passcode, amid the guessing;
- 3 students in Chromium (Playwright, one context each): one follows the teacher's run
  through the follow link, one explores and opens broken links (`/explorer?seed=²`, seeds of
  5,000 digits: a message, never a traceback), one uploads zips on the Models page until
  its share is full: amplifying zips (150 MB of zeros behind a preview), meta.json with
  `"elapsed_s": NaN` or a date in the year 9999, names and a dataset field full of Markdown,
  links, HTML, `:red[...]` and `$...$` (shown as plain text: no link, no formula);
- 7 students as websocket tabs, far lighter than Chromium on 2 cores: 3 watch (the follow
  link, the Models, Runs and explorer pages), 1 starts its own run and saves it under the
  teacher's name at the same moment as the teacher, 1 guesses the passcode from 4 tabs of
  one browser, 1 from new connections without a cookie (a new browser to the app each time),
  and 1 sends Streamlit's `clear_cache` message without a cookie every 30 s.

At the end the server gets SIGTERM (the active runs are autosaved), then the checks: no
model lost (every model seen during the soak is still there with the same owner, and every
model loads; autosaves are a run's safety copies, which a save of the run replaces, so the
runs are checked instead), no run lost (every run of the teacher's saved under a name once
its steps were done, or autosaved at the end, and the last one listed to the end), every
teacher save succeeded (or lost its name to the student's save of the same moment), the
teacher's state survived every `clear_cache`, the second teacher always got in, one browser
got no more guesses checked than the back-off allows, no page showed an exception, no
traceback in the server log, no hidden leftover folders. And the numbers: each student's
share and what each used (their autosaves aside: those may go into the reserve), wrong
guesses the server checked per minute (per browser and in total), server RSS per session
(its growth after the setup over the sessions opened: websocket connections and pages
loaded in Chromium).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
import threading
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scripts.app_server import CHROMIUM, CHROMIUM_ARGS, AppServer, demo_models, settled
from scripts.app_socket import Tab
from scripts.soak import (FAILURE_MARKERS, leftovers, rewritten, rss_mb, shows_exception,
                          unloadable)

PASSCODE = "soak passcode"
TEACHER = "the-teachers-browser"
LESSON = "lesson"                     # the names the teacher saves under, and a student too
TAKEN = "already exists"              # a save refused: the name is taken
REFUSALS = (TAKEN, "each student may use", "not built its models yet")
SIGNED_IN = "Signed in as the teacher"
WRONG = "That is not the teacher passcode"
LOCKED = "Too many wrong passcodes"
# Text a Markdown renderer would turn into a link, bold HTML, red text and a formula.
MARKUP = ("[evil](http://www.evil-example.com) <b id='planted'>bold</b> :red[alarm] "
          "$x^2$ www.evil-example.com")
BROKEN_LINKS = ("/explorer?seed=%C2%B2", "/explorer?seed=" + "9" * 5000,
                "/explorer?seed=2147483648", "/interpolation?seeds=1,%D9%A3",
                "/train?algorithm=%3Cscript%3E")
CLEAR_CACHE_EVERY_S = 30.0
GUESSER = "a-guessing-student"        # the browser that guesses from 4 tabs


def browser_limit(minutes: float) -> int:
    """The most wrong guesses the server checks of one browser in `minutes` (ganlib.server.
    classroom: 8 in its first minute, then 1 a minute)."""
    return 8 + math.ceil(max(minutes - 1, 0))
ALERT = "[data-testid='stAlertContentSuccess'], [data-testid='stAlertContentError']"


# --- what happened ---------------------------------------------------------------------------

@dataclass
class Class:
    """What the class did and found, written from several threads (under `lock`)."""

    done: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)      # actions that failed to run
    findings: list[str] = field(default_factory=list)    # what the app did wrong
    guesses: list[tuple[float, str, str]] = field(default_factory=list)  # (t, browser, answer)
    sessions: int = 0                                     # sessions opened (pages loaded)
    uploads: int = 0
    models: dict[str, tuple[str | None, bool]] = field(default_factory=dict)  # first seen
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.done[what] += n

    def error(self, what: str, exc: BaseException) -> None:
        with self.lock:
            self.done[f"{what}_failed"] += 1
            self.errors.append(f"{what}: {type(exc).__name__}: {str(exc).splitlines()[:1]}")

    def finding(self, text: str) -> None:
        with self.lock:
            self.findings.append(text)

    def session(self) -> None:
        with self.lock:
            self.sessions += 1

    def tab(self, url: str, cookie: str | None, timeout_s: float) -> Tab:
        self.session()
        return Tab(url, cookie, timeout_s)

    def look(self, checkpoints: Path) -> None:
        """Note every model in `checkpoints` and its owner, as first seen."""
        for name, label in owners(checkpoints).items():
            self.models.setdefault(name, label)


def exceptions_in(tab: Tab) -> int:
    """Exception elements on the page a websocket tab drew (an `st.exception` box)."""
    return sum(type(e).__name__ == "Exception" for e in tab.elements)


def save_answer(tab: Tab) -> tuple[str | None, str]:
    """(the name a save got, from the Train page's "Saved as **name**", unescaped, or None;
    the text of the page's boxes)."""
    boxes = "\n".join(e.body for e in tab.elements if type(e).__name__ == "Alert")
    found = re.search(r"aved as \*\*(.+?)\*\*", boxes)
    name = re.sub(r"\\(.)", r"\1", found[1]).replace("\u2060", "") if found else None
    return name, boxes


# --- the students on websockets, each in a thread ------------------------------------------

class Student(threading.Thread):
    """A websocket student doing `round` over and over until `stop` is set; an action that
    fails is recorded and the next round starts on fresh tabs."""

    def __init__(self, name: str, room: Class, stop: threading.Event,
                 round: Callable[[], None], pause_s: float = 0.0):
        super().__init__(name=name, daemon=True)
        self.room, self.stop, self.round, self.pause_s = room, stop, round, pause_s

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.round()
            except Exception as exc:  # noqa: BLE001 - every failure is a finding to report
                self.room.error(self.name, exc)
            self.stop.wait(self.pause_s)


def guess_round(url: str, room: Class, timeout_s: float, cookie: str | None, tabs: int,
                stop: threading.Event) -> Callable[[], None]:
    """Wrong passcodes from `tabs` tabs submitted at the same moment, a burst a second: of
    one browser (`cookie`), or each of a new one (no cookie: the app gives every session a
    new id)."""
    def one_round() -> None:
        opened = [room.tab(url, cookie, timeout_s).show("theory") for _ in range(tabs)]
        try:
            for _ in range(1 if cookie is None else 20):
                for tab in opened:
                    tab.ask("theory", **{"Teacher passcode": {"string_value": "guess"},
                                         "Sign in": {"trigger_value": True}})
                for tab in opened:
                    text = tab.drawn().text()
                    answer = "checked" if WRONG in text else "refused" if LOCKED in text \
                        else "other"
                    with room.lock:
                        room.guesses.append((time.monotonic(), cookie or tab.session_id,
                                             answer))
                if stop.wait(1.0):
                    return
        finally:
            for tab in opened:
                tab.close()
    return one_round


def clear_cache_round(url: str, room: Class, timeout_s: float) -> Callable[[], None]:
    def one_round() -> None:
        attacker = room.tab(url, None, timeout_s)
        attacker.clear_cache()
        attacker.heartbeat()
        attacker.close()
        room.count("clear_cache")
    return one_round


def watch_round(url: str, room: Class, timeout_s: float) -> Callable[[], None]:
    """3 students (3 tabs) looking at the follow link and the pages a class opens."""
    pages = [("train", "follow=teacher"), ("models", ""), ("runs", ""), ("explorer", "")]
    tabs: list[Tab] = []

    def one_round() -> None:
        if not tabs:
            tabs.extend(room.tab(url, f"a-watching-student-{n}", timeout_s) for n in range(3))
        try:
            for n, tab in enumerate(tabs):
                tab.ask(*pages[(room.done["watch"] + n) % len(pages)])
            for tab in tabs:
                if exceptions_in(tab.drawn()):
                    room.finding(f"an exception on a watcher's page: {tab.text()[:200]}")
                room.count("watch")
        except Exception:
            for tab in tabs:
                tab.close()
            tabs.clear()
            raise
    return one_round


# --- the teacher and the saving student (websockets, in the main thread) --------------------

def teacher_run(teacher: Tab, timeout_s: float, known: list[str]) -> str:
    """Start the GAN demo run, show it to the class, allow student runs; the run's id (the
    teacher's run on the Runs page that is not in `known`)."""
    teacher.show()
    teacher.show(**{"demo-gan": {"trigger_value": True}})

    def new_run() -> str | None:
        rows = runs_rows(teacher.show("runs"))
        return next((run_id for run_id, row in rows.items()
                     if run_id not in known and "Teacher · running" in row), None)
    run_id = until(new_run, timeout_s, "the teacher's new run training on the Runs page")
    teacher.show("runs", **{f"runs-present-{run_id}": {"trigger_value": True},
                            "runs-allow-students": {"bool_value": True}})
    return run_id


def runs_rows(tab: Tab) -> dict[str, str]:
    """The Runs page's rows, by run id: "**label** · `id`  \nowner · status · step ..."."""
    rows = {}
    for element in tab.elements:
        if found := re.search(r"`(run-[0-9a-f]+)`", getattr(element, "body", "")):
            rows[found[1]] = element.body
    return rows


def teacher_state(teacher: Tab, run_id: str) -> tuple[list[str], str]:
    """(what is wrong with the teacher's state: signed out, the run gone, student runs off;
    the run's status: running, paused, finished...)."""
    text = teacher.show("runs").text()
    wrong = [] if SIGNED_IN in text else ["the teacher was signed out"]
    row = runs_rows(teacher).get(run_id, "")
    status = next((s for s in ("running", "paused", "finished") if f" · {s} · " in row), "")
    if not status:
        wrong.append(f"the teacher's run is no longer listed: {row!r}")
    toggle = next((e for e in teacher.elements
                   if getattr(e, "label", "") == "Allow student runs"), None)
    if toggle is None or not toggle.default:
        wrong.append("student runs were turned off")
    return wrong, status


def student_run(student: Tab, timeout_s: float) -> None:
    """Start the saving student's own run from Home (a later visit: the first lands on the
    teacher's run), and wait for its Train page to offer Save."""
    until(lambda: "demo-gan" in student.show().ids(), timeout_s, "Home's demo buttons")
    student.show(**{"demo-gan": {"trigger_value": True}})
    until(lambda: "train-save" in student.show("train").ids(), timeout_s,
          "the student's own run")


def race(teacher: Tab, student: Tab, room: Class, name: str, run_id: str) -> str | None:
    """The teacher (on its run `run_id`) and a student (on its own) press Save with the same
    new name at the same moment. The Train page never replaces a model: one gets the name,
    the other the next free one, or, when the first save was done before the second began,
    a refusal. The name the teacher's save got."""
    teacher.show("train", f"run={run_id}")
    student.show("train")
    save = {"train-save-name": {"string_value": name}, "train-save": {"trigger_value": True}}
    teacher.ask("train", f"run={run_id}", **save)
    student.ask("train", **save)
    (got, boxes), (theirs, answer) = save_answer(teacher.drawn()), save_answer(student.drawn())
    if got is not None:
        room.count("teacher_saved" if got == name else "teacher_saved_under_the_next_name")
    elif TAKEN in boxes and theirs == name:
        room.count("teacher_save_refused_name_just_taken")
    else:
        room.finding(f"the teacher's save was refused: {boxes[:300]}")
    if theirs:
        room.count("student_saved")
    else:
        why = next((r for r in REFUSALS if r in answer), answer[-60:] or "no answer")
        room.count(f"student_save_refused ({why})")
    return got


def second_teacher(url: str, room: Class, timeout_s: float, n: int) -> None:
    """The teacher signs in on another browser amid the guessing, then out again."""
    laptop = room.tab(url, f"the-teachers-laptop-{n}", timeout_s)
    try:
        if SIGNED_IN not in laptop.sign_in(PASSCODE):
            room.finding("the teacher's correct passcode was refused during the guessing")
        else:
            room.count("teacher_signed_in")
            laptop.show(**{"teacher-sign-out": {"trigger_value": True}})
    finally:
        laptop.close()


class TooLong(Exception):
    """What the soak waited for did not come (the tabs are still in step with the server)."""


def until(condition: Callable[[], object], timeout_s: float, what: str):
    """`condition()`'s first true value; TooLong, naming `what`, after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise TooLong(f"{what}: not within {timeout_s:g} s")
        time.sleep(1.0)                     # (polling the condition, not waiting blind)
    return result


# --- the students in Chromium ----------------------------------------------------------------

def upload_plan(good: bytes) -> list[tuple[str, bytes]]:
    """The uploading student's zips, in order: names and fields full of markup first, then
    the hostile ones, then good copies until the share is full."""
    meta = json.loads(next(iter(_members(good, "meta.json"))))
    config = json.loads(next(iter(_members(good, "config.json"))))
    png = next(iter(_members(good, "preview.png")))

    def meta_with(**change) -> bytes:
        return json.dumps({**meta, **change}).encode()
    return [
        ("markup-name", rewritten(good, {}, folder="www.evil-example.com")),
        ("markup-config", rewritten(good, {"config.json": json.dumps(
            {**config, "dataset": MARKUP}).encode()}, folder="_em_")),
        ("amplifying", rewritten(good, {"preview.png": png + bytes(150 * 2**20)})),
        ("nan-time", rewritten(good, {"meta.json": meta_with(elapsed_s=math.nan)})),
        ("year-9999", rewritten(good, {"meta.json": meta_with(
            created="9999-12-31T23:59:59+00:00")})),
        *[("good", good)] * 3,
    ]


def _members(data: bytes, name: str) -> Iterator[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        yield from (archive.read(i) for i in archive.infolist() if i.filename.endswith(name))


def upload(page, url: str, kind: str, data: bytes, room: Class) -> None:
    """Upload a zip on the Models page; the answer counted, the page checked."""
    page.goto(f"{url}/models")
    room.session()
    settled(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        files=[{"name": f"{kind}.zip", "mimeType": "application/zip", "buffer": data}])
    answer = page.locator(ALERT).first
    answer.wait_for()
    settled(page)
    accepted = "Added" in answer.inner_text()
    room.count(f"upload_{kind}_{'accepted' if accepted else 'refused'}")
    if accepted and kind not in ("good", "markup-name", "markup-config"):
        room.finding(f"a {kind} upload was accepted")
    plain_text(page, room)


def plain_text(page, room: Class) -> None:
    """The Models page as everyone sees it: no exception, and markup in a name or a field
    shown as text (no link to the planted site, no formula, no planted HTML)."""
    if shows_exception(page):
        room.finding("an exception on the Models page")
    for selector, what in (("a[href*='evil-example']", "a link"), (".katex", "a formula"),
                           ("#planted", "planted HTML")):
        if page.locator(selector).count():
            room.finding(f"the Models page rendered {what} from a file")


def broken_link(page, url: str, link: str, room: Class) -> None:
    page.goto(url + link)
    room.session()
    settled(page)
    if shows_exception(page):
        room.finding(f"an exception for the link {link[:40]}")
    elif not page.locator("[data-testid='stAlertContentWarning']").count():
        room.finding(f"no message for the broken link {link[:40]}")
    room.count("broken_link")


# --- the lesson ------------------------------------------------------------------------------

def lesson(server: AppServer, args: argparse.Namespace, room: Class) -> dict:
    """Play the class for `args.minutes`; what the teacher's run and the RSS did."""
    from playwright.sync_api import sync_playwright

    from ganlib.checkpoints import export_zip

    url, timeout_s = server.url, args.timeout_s
    teacher = room.tab(url, TEACHER, timeout_s)
    if SIGNED_IN not in teacher.sign_in(PASSCODE):
        raise RuntimeError("the teacher could not sign in")
    runs = [teacher_run(teacher, timeout_s, [])]
    kept: dict[str, str] = {}        # a finished run of the teacher's: the model saved of it
    saver = room.tab(url, "the-saving-student", timeout_s)
    student_run(saver, timeout_s)
    race(teacher, saver, room, f"{LESSON}-0", runs[-1])
    room.look(server.checkpoints)
    rss = {"after_setup": rss_mb(server.pid), "peak": 0.0}

    stop = threading.Event()
    students = [
        Student("guesser-tabs", room, stop,
                guess_round(url, room, timeout_s, GUESSER, 4, stop)),
        Student("guesser-fresh", room, stop, guess_round(url, room, timeout_s, None, 4, stop)),
        Student("clear-cache", room, stop, clear_cache_round(url, room, timeout_s),
                CLEAR_CACHE_EVERY_S),
        Student("watchers", room, stop, watch_round(url, room, timeout_s), 3.0),
    ]
    plan = upload_plan(export_zip("gan-quick-demo", server.checkpoints))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = {}
        for who in ("follower", "explorer", "uploader"):
            context = browser.new_context(viewport={"width": 1300, "height": 900})
            context.set_default_timeout(timeout_s * 1000)
            pages[who] = context.new_page()
        pages["follower"].goto(f"{url}/?follow=teacher")
        room.session()
        for student in students:
            student.start()
        # (action, every so many seconds): the most overdue runs next.
        schedule: dict[str, float] = {"teacher": 20, "race": 60, "second-teacher": 90,
                                      "upload": 25, "link": 40, "follower": 15}
        last = dict.fromkeys(schedule, time.monotonic())
        deadline = time.monotonic() + 60 * args.minutes
        n = 0
        while time.monotonic() < deadline:
            action = max(schedule, key=lambda a: time.monotonic() - last[a] - schedule[a])
            wait = schedule[action] - (time.monotonic() - last[action])
            if wait > 0:
                time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
                if time.monotonic() >= deadline:
                    break
            last[action] = time.monotonic()
            n += 1
            try:
                if action == "teacher":
                    wrong, status = teacher_state(teacher, runs[-1])
                    for problem in wrong:
                        room.finding(problem)
                    room.count("teacher_checked")
                    if status == "finished":      # the demo's steps are done: save, next run
                        if saved := race(teacher, saver, room, f"{LESSON}-{n}", runs[-1]):
                            kept[runs[-1]] = saved
                        runs.append(teacher_run(teacher, timeout_s, runs))
                elif action == "race":
                    race(teacher, saver, room, f"{LESSON}-{n}", runs[-1])
                elif action == "second-teacher":
                    second_teacher(url, room, timeout_s, n)
                elif action == "upload":              # the plan, again and again
                    kind, data = plan[room.uploads % len(plan)]
                    room.uploads += 1
                    upload(pages["uploader"], url, kind, data, room)
                elif action == "link":
                    broken_link(pages["explorer"], url, BROKEN_LINKS[n % len(BROKEN_LINKS)],
                                room)
                elif action == "follower":
                    if shows_exception(pages["follower"]):
                        room.finding("an exception on the follower's page")
                    room.count("follower_checked")
            except TooLong as exc:
                room.error(action, exc)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding to report
                room.error(action, exc)
                if action in ("teacher", "race"):    # a late answer would follow: fresh tabs
                    teacher.close()
                    saver.close()
                    teacher, saver = (room.tab(url, TEACHER, timeout_s),
                                      room.tab(url, "the-saving-student", timeout_s))
            room.look(server.checkpoints)
            rss["peak"] = max(rss["peak"], rss_mb(server.pid))
        stop.set()
        for student in students:
            student.join(timeout_s)
        final, status = teacher_state(teacher, runs[-1])
        for wrong in final:
            room.finding(f"at the end: {wrong}")
        if status == "finished" and (saved := race(teacher, saver, room, f"{LESSON}-end",
                                                   runs[-1])):
            kept[runs[-1]] = saved
        browser.close()
    teacher.close()
    saver.close()
    rss["end"] = rss_mb(server.pid)
    return {"runs": runs, "kept": kept, "run_alive_at_end": not final, "rss": rss}


# --- the numbers and the checks ----------------------------------------------------------------

def owners(checkpoints: Path) -> dict[str, tuple[str | None, bool]]:
    """Every model folder: (owner, whether it is an autosave)."""
    from ganlib.checkpoints.space import holdings
    return {h.name: (h.owner, h.autosave) for h in holdings(checkpoints) if not h.in_progress}


def guess_numbers(guesses: list[tuple[float, str, str]]) -> dict:
    """Wrong guesses the server checked (not refused by a lock), per minute: in total, in the
    busiest minute, and per browser (the guessing browser's own, and the most any one of the
    cookie-less sessions got), over the minutes the guessing lasted."""
    times = [t for t, *_ in guesses]
    minutes = max((max(times) - min(times)) / 60, 1 / 60) if times else 1.0
    checked = sorted(t for t, _, answer in guesses if answer == "checked")
    by_browser = Counter(b for _, b, answer in guesses if answer == "checked")
    busiest = max((sum(1 for u in checked if t <= u < t + 60) for t in checked), default=0)
    tabs = by_browser.pop(GUESSER, 0)
    return {"minutes": round(minutes, 2), "sent": len(guesses), "checked": len(checked),
            "refused": sum(a == "refused" for *_, a in guesses),
            "other_answers": sum(a == "other" for *_, a in guesses),
            "checked_per_minute": round(len(checked) / minutes, 1),
            "checked_in_busiest_minute": busiest,
            "one_browser_4_tabs": {"checked": tabs, "per_minute": round(tabs / minutes, 1),
                                   "at_most": browser_limit(minutes)},
            "cookieless_browsers": {"browsers": len(by_browser),
                                    "most_checked_per_browser": max(by_browser.values(),
                                                                    default=0)}}


def soak(args: argparse.Namespace, work: Path) -> dict:
    """Run the server in `work` under the class, stop it, check; the summary."""
    from ganlib.checkpoints.space import holdings
    from ganlib.settings import Settings

    checkpoints, log = demo_models(work / "checkpoints"), work / "server.log"
    env = {"GAN_CLASSROOM_TEACHER_PASSCODE": PASSCODE,
           "GAN_CLASSROOM_IDLE_PAUSE_S": str(args.idle_pause_s),
           "GAN_CLASSROOM_MAX_RUNS": str(args.max_runs),
           "GAN_CLASSROOM_CHECKPOINT_QUOTA_MB": str(args.quota_mb)}
    share_mb = args.quota_mb * 2**20 * Settings().student_share / 1e6     # the default share
    room = Class()
    started = time.monotonic()
    with AppServer(checkpoints, log, env) as server:
        rss_start = rss_mb(server.pid)
        try:
            result = lesson(server, args, room)
        except Exception as exc:  # noqa: BLE001 - the class could not start: still report
            room.error("setup", exc)
            now = rss_mb(server.pid)
            result = {"runs": [], "kept": {}, "run_alive_at_end": False,
                      "rss": {"after_setup": now, "peak": now, "end": now}}
        exit_code = server.terminate()
    minutes = (time.monotonic() - started) / 60
    seen, after = room.models, owners(checkpoints)
    # An autosave is a run's safety copy: a save of the run under a name replaces it, so
    # the runs are checked instead (each saved under a name, or autosaved at the end).
    lost = [name for name, (_, autosave) in seen.items() if name not in after and not autosave]
    changed = [name for name, (owner, _) in seen.items()
               if name in after and after[name][0] != owner]
    runs = {run: result["kept"].get(run) if result["kept"].get(run) in after
            else f"autosave-{run}" if f"autosave-{run}" in after else None
            for run in result["runs"]}
    loaded, problems = unloadable(checkpoints)
    use = defaultdict(int)            # a student's autosaves may go into the reserve
    for holding in holdings(checkpoints):
        if holding.owner is not None and not holding.autosave:
            use[holding.owner[:4]] += holding.size
    text = log.read_text(errors="replace")
    rss = result["rss"]
    sessions = room.sessions
    summary = {
        "minutes": round(minutes, 2),
        "actions": dict(sorted(room.done.items())),
        "action_errors": room.errors[:20],
        "findings": room.findings[:40],
        "server_exit_code": exit_code,
        "quota_mb": round(args.quota_mb * 2**20 / 1e6, 1),
        "share_per_student_mb": round(share_mb, 1),
        "used_per_student_mb": {who: round(n / 1e6, 1) for who, n in sorted(use.items())},
        "guesses": guess_numbers(room.guesses),
        "rss_mb": {"start": round(rss_start), "after_setup": round(rss["after_setup"]),
                   "peak": round(max(rss["peak"], rss["end"])), "end": round(rss["end"]),
                   "sessions": sessions,
                   "per_session": round((rss["end"] - rss["after_setup"]) / max(sessions, 1),
                                        2)},
        "models_lost": lost, "owners_changed": changed,
        "teacher_run_alive_at_end": result["run_alive_at_end"],
        "teacher_runs_kept_as": runs,
        "models_loaded": loaded, "model_problems": problems,
        "log_failures": [line for line in text.splitlines()
                         if any(m in line for m in FAILURE_MARKERS)][:20],
        "leftovers": leftovers(checkpoints),
    }
    guesses = summary["guesses"]["one_browser_4_tabs"]
    if guesses["checked"] > guesses["at_most"]:
        room.finding(f"one browser got {guesses['checked']} wrong guesses checked")
    summary["findings"] = room.findings[:40]
    summary["ok"] = bool(
        exit_code == 0 and not room.findings and not room.errors and not lost and not changed
        and result["run_alive_at_end"] and runs and all(runs.values()) and not problems
        and not summary["log_failures"] and not summary["leftovers"]
        and all(n <= share_mb * 1e6 for n in use.values()))
    return summary
