"""Soak test: a classroom day, accelerated, against a real server; a JSON summary on stdout.

Starts `streamlit run app.py` on 127.0.0.1 (a free port, checkpoints in a temporary folder,
runs that pause themselves after a few idle seconds) and drives it from Debian's Chromium
through Playwright for `--minutes`: students start the demo runs, watch them through watch
links, reload, pause, save under a name, abandon them (close the tab: the run pauses itself
and is later stopped by its owner link), open the Models page, and upload good and bad model
zips (through `ganlib.checkpoints.import_zip`, what the Models page's uploader calls).
An action that fails in the browser (a page that never comes) is recorded and the day goes
on. At the end the server gets SIGTERM, then the checks: no failed action, no traceback or
exception in the server log, the server's RSS (read after every action) under
`--max-rss-mb`, no hidden `.tmp-`/`.old-` folders left, every saved model (and every
autosave of the shutdown) loads. Exit code 1 if a check failed. The temporary folder is
removed however the soak ends (`--keep` copies it first).

With `--class` it plays a class in classroom mode instead: a teacher, 10 students and the
hostile cases of issue 22 (scripts/class_soak.py, which shares these checks).

Not part of the test run (it takes minutes): `python -m scripts.soak --minutes 8`, or
`python -m scripts.soak --class --minutes 10` (tests/test_scripts.py plays a class for a few
seconds). Needs `chromium` (apt-get install chromium), playwright and websockets
(requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scripts.app_server import CHROMIUM, CHROMIUM_ARGS, AppServer, settled

# What a log line of a failure looks like: Python's traceback header and Streamlit's
# "Uncaught exception" logging both contain one of these.
FAILURE_MARKERS = ("Traceback", "Exception", "Error:")
LEFTOVER_PREFIXES = (".tmp-", ".old-")
# Streamlit's st.error box: how Home says it refused to start a run.
REFUSED = "[data-testid='stAlertContentError']"


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid` in MB (10^6 bytes), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


# --- the browser side ----------------------------------------------------------------------

def start_demo(page, url: str, algorithm: str) -> str | None:
    """Press Home's demo button; the Train page's URL (with the owner key), or None when the
    server refused another run (its cap)."""
    page.goto(url)
    settled(page)
    page.locator(f".st-key-demo-{algorithm} button").click()
    # Whichever comes first, however long a busy server takes: the Train page, or Home's
    # error (the cap). A fixed 30-s wait for the Train page read a slow start as a refusal.
    page.wait_for_function(
        f"() => location.pathname.endsWith('/train') || !!document.querySelector(\"{REFUSED}\")")
    if page.locator(REFUSED).count():
        return None
    page.wait_for_url("**/train?**run=*")
    page.wait_for_selector("[data-testid='stImage'] img")
    return page.url


def click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").click()
    settled(page)


def shows_exception(page) -> bool:
    return page.locator("[data-testid='stException']").count() > 0


# --- uploads -------------------------------------------------------------------------------

def rewritten(good: bytes, replace: dict[str, bytes], folder: str | None = None) -> bytes:
    """The model zip `good` with the files named in `replace` replaced, and its folder
    renamed to `folder` (the name the upload asks for) if given."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            top, name = item.filename.rsplit("/", 1)
            content = replace.get(name, source.read(item))
            item.filename = f"{folder or top}/{name}"
            target.writestr(item, content)
    return out.getvalue()


def upload_cases(good: bytes) -> dict[str, bytes]:
    """A good model zip, and the bad ones a careless or hostile user sends."""
    return {"good": good,
            "random-bytes": random.randbytes(20_000),
            "preview-html": rewritten(good, {"preview.png": b"<html>not an image</html>"}),
            "broken-meta": rewritten(good, {"meta.json": b"{not json"}),
            "truncated": good[: len(good) // 2]}


def upload(checkpoints: Path, data: bytes) -> bool:
    """Whether the upload was accepted."""
    from ganlib.errors import GanlibError
    from ganlib.checkpoints import import_zip
    try:
        import_zip(data, checkpoints)
    except GanlibError:
        return False
    return True


# --- the day -------------------------------------------------------------------------------

@dataclass
class Day:
    """What the classroom traffic did: actions by name, the actions that failed (a page
    that never came, a button that never appeared: each is a finding), the server's peak RSS."""

    done: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    rss_peak_mb: float = 0.0


def classroom(server: AppServer, minutes: float, seed: int, timeout_s: float = 60.0) -> Day:
    """Random classroom actions until the time is up. An action that fails is recorded and
    the day goes on: one slow page must not cut a long soak short and hide the rest."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    rng = random.Random(seed)
    day = Day()
    owned: list[str] = []          # owner URLs of runs started (some abandoned)
    deadline = time.monotonic() + 60 * minutes
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        context.set_default_timeout(timeout_s * 1000)
        teacher = context.new_page()
        while time.monotonic() < deadline:
            action = rng.choice(["start", "start", "watch", "reload", "pause", "save",
                                 "abandon", "models", "upload"])
            try:
                act(action, server, context, teacher, owned, day.done, rng)
            except PlaywrightError as exc:
                day.done[f"{action}_failed"] += 1
                day.errors.append(f"{action}: {str(exc).splitlines()[0]}")
                teacher.close()                       # start the next action on a fresh tab
                teacher = context.new_page()
            day.rss_peak_mb = max(day.rss_peak_mb, rss_mb(server.pid))
        context.close()
        browser.close()
    return day


def act(action: str, server: AppServer, context, teacher, owned: list[str], done: Counter,
        rng: random.Random) -> None:
    """One classroom action; counted in `done` when it was done."""
    from ganlib.checkpoints import export_zip, list_checkpoints

    if action == "start":
        link = start_demo(teacher, server.url, rng.choice(["gan", "wgan"]))
        if link is None:                    # the cap: stop the oldest run first
            done["start_refused"] += 1
            if owned:
                teacher.goto(owned.pop(0))
                settled(teacher)
                stop = teacher.locator(".st-key-train-stop button")
                if stop.count() and stop.is_enabled():      # not drawn once ended
                    click(teacher, "train-stop")
                    done["stop"] += 1
            return
        owned.append(link)
    elif action == "watch" and owned:
        watcher = context.new_page()
        watcher.goto(owned[-1].split("&key=")[0])
        settled(watcher)
        time.sleep(rng.uniform(1, 4))
        watcher.close()
    elif action == "reload" and owned:
        teacher.goto(owned[-1])
        settled(teacher)
        teacher.reload()
        settled(teacher)
    elif action in ("pause", "save") and owned:
        teacher.goto(owned[-1])
        settled(teacher)
        if action == "pause" and teacher.locator(".st-key-train-pause button").count():
            click(teacher, "train-pause")
        elif action == "save" and teacher.locator(".st-key-train-save").count():
            teacher.locator(".st-key-train-save-name input").fill(f"soak-{done['save']}")
            click(teacher, "train-save")
    elif action == "abandon":
        # A tab opened on the run and closed: nobody watches, the run pauses itself.
        tab = context.new_page()
        try:
            link = start_demo(tab, server.url, "gan")
        finally:
            tab.close()
        if link is not None:
            owned.append(link)
    elif action == "models":
        teacher.goto(f"{server.url}/models")
        settled(teacher)
    elif action == "upload":
        saved = [i for i in list_checkpoints(server.checkpoints)[0]
                 if not i.name.startswith("upload-")]
        if not saved:
            return
        cases = upload_cases(export_zip(saved[0].name, server.checkpoints))
        kind = rng.choice(sorted(cases))
        accepted = upload(server.checkpoints, cases[kind])
        done[f"upload_{kind}_{'accepted' if accepted else 'refused'}"] += 1
    else:
        return
    done[action] += 1
    if shows_exception(teacher):
        done["pages_with_exception"] += 1


def leftovers(checkpoints: Path) -> list[str]:
    return sorted(p.name for p in checkpoints.iterdir() if p.name.startswith(LEFTOVER_PREFIXES))


def unloadable(checkpoints: Path) -> tuple[int, list[str]]:
    """(models that load, problems): every checkpoint folder must load whole."""
    from ganlib.checkpoints import list_checkpoints, load_checkpoint

    infos, broken = list_checkpoints(checkpoints)
    problems = [f"{problem.name}: {problem.reason}" for problem in broken]
    loaded = 0
    for info in infos:
        try:
            load_checkpoint(info.name, checkpoints)
            loaded += 1
        except Exception as exc:  # noqa: BLE001 - every failure is a finding to report
            problems.append(f"{info.name}: {exc}")
    return loaded, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="how long the classroom traffic lasts [default: %(default)g]")
    parser.add_argument("--idle-pause-s", type=float, default=15.0,
                        help="seconds after which an unwatched run pauses itself "
                             "(300 on a real server) [default: %(default)g]")
    parser.add_argument("--max-runs", type=int, default=2,
                        help="runs the server trains at once [default: %(default)d]")
    parser.add_argument("--max-rss-mb", type=float, default=3000.0,
                        help="the server's resident memory allowed during and after "
                             "the traffic "
                             "[default: %(default)g]")
    parser.add_argument("--timeout-s", type=float, default=60.0,
                        help="how long a page may take before its action counts as failed "
                             "(raise it on a machine busy with other work) "
                             "[default: %(default)g]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the checkpoints and the server log in this folder")
    parser.add_argument("--class", dest="classroom", action="store_true",
                        help="play a class in classroom mode instead: a teacher, 10 students "
                             "and the hostile cases (scripts/class_soak.py)")
    parser.add_argument("--quota-mb", type=float, default=100.0,
                        help="with --class: the server's checkpoint quota, a tenth of it "
                             "each student's share [default: %(default)g]")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        return _fail("Debian's chromium is not installed: apt-get install chromium")

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        if args.classroom:
            from scripts import class_soak         # (it uses this module's checks)
            summary = class_soak.soak(args, work)
        else:
            summary = soak(args, work)
    finally:                      # the logs are kept and the folder removed, whatever failed
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


def soak(args: argparse.Namespace, work: Path) -> dict:
    """Run the server in `work` under the classroom traffic, stop it, check; the summary."""
    checkpoints, log = work / "checkpoints", work / "server.log"
    checkpoints.mkdir()
    env = {"GAN_CLASSROOM_IDLE_PAUSE_S": str(args.idle_pause_s),
           "GAN_CLASSROOM_MAX_RUNS": str(args.max_runs)}
    started = time.monotonic()
    with AppServer(checkpoints, log, env) as server:
        rss_start = rss_mb(server.pid)
        day = classroom(server, args.minutes, args.seed, args.timeout_s)
        rss_end = rss_mb(server.pid)
        exit_code = server.terminate()
    text = log.read_text()
    loaded, problems = unloadable(checkpoints)
    rss_peak = max(day.rss_peak_mb, rss_end)
    summary = {
        "minutes": round((time.monotonic() - started) / 60, 2),
        "actions": dict(sorted(day.done.items())),
        "action_errors": day.errors[:20],
        "server_exit_code": exit_code,
        "rss_mb": {"start": round(rss_start), "peak": round(rss_peak), "end": round(rss_end),
                   "max": args.max_rss_mb},
        "log_failures": [line for line in text.splitlines()
                         if any(m in line for m in FAILURE_MARKERS)][:20],
        "leftovers": leftovers(checkpoints),
        "models_loaded": loaded,
        "autosaves": sorted(p.name for p in checkpoints.glob("autosave-*")),
        "model_problems": problems,
        "bad_uploads_accepted": sum(n for k, n in day.done.items()
                                    if k.endswith("_accepted") and "good" not in k),
    }
    summary["ok"] = bool(
        exit_code == 0 and not summary["log_failures"] and rss_peak <= args.max_rss_mb
        and not day.errors and not summary["leftovers"] and not problems
        and not summary["bad_uploads_accepted"] and not day.done["pages_with_exception"])
    return summary


def _fail(message: str) -> int:
    print(f"soak: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
