"""Cost of a class of watchers: what students on the watch link take from the teacher's run.

In a class the server runs on the teacher's laptop and every student's browser on the
student's own device. The measurement keeps that split on one machine: the app's server
(`streamlit run app.py`) is pinned to core 0 with `taskset`, and Chromium (driven by
Playwright, one browser, one context per watcher) to core 1. Then:

1. a "teacher" page starts the GAN Quick preset on the Train page with no step limit, and
   leaves (so the run trains unwatched);
2. for each number of watchers N (0 first, then more, then 0 again), N pages open the watch
   link `train?run=<id>` and stay, as a student's would: each polls the run's document in
   the live feed once a second and swaps its sample grid (ui/live_grid.js), and its
   Streamlit fragment (numbers, charts) refreshes every ui.live_view.WATCHER_REFRESH_S;
3. after `warmup_s`, one window of `seconds`: the training steps/s (the live grid's step read
   on a separate short-lived page the moment it changes, before and after the window), the
   server process's CPU (utime + stime from /proc), the busy share of each of the two cores
   (/proc/stat: other work on the machine shows here), and in every watcher page, the times
   its live grid's step and picture changed (a 50 ms poll in the page).

What the watchers cost the server is its CPU outside training: the server's CPU in the
window minus that of its training threads (those that worked in the first window without
watchers: the run's and TensorFlow's), less the same without watchers. Counting CPU time,
not lost steps, keeps the number honest on a machine where other work also takes the
server's core. The training steps/s and the share of them lost are reported beside it. The
cost per watcher is the least-squares slope of that CPU over the counts measured (the
browser core may not draw thirty pages a second), and thirty watchers cost thirty times it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.timing import load_average
from benchmarks.watching import browser_unavailable, child_env, metric_value, next_change
from scripts.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer

SERVER_CPUS, BROWSER_CPUS = "0", "1"
# Thirty watchers together should cost the server under a quarter of a core, and each
# watcher should still see the run move about every second.
CLASS_SIZE = 30
TARGET_CORE_SHARE = 0.25
TARGET_UPDATES_PER_S = 0.9
# A server thread that did this share of the server's work without watchers is a training
# thread (the run's own, TensorFlow's, the quality evaluator's), not serving.
TRAINING_THREAD = 0.05
STEPS_FIELD = "Steps (empty: until stopped)"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 180_000          # a page on a busy machine may take long to draw
# A watcher's live grid (ui/live_grid.js): its step is the figure's data-step.
LIVE_GRID = "figure.gc-live"
# The grid of the page's current script run: while a rerun draws it again, Streamlit may still
# show the last run's copy for a moment, inside an element container marked data-stale.
CURRENT_LIVE_GRID = f"{LIVE_GRID}:not([data-stale='true'] *)"
# Installed in every watcher page: when the live grid's step and its picture's address
# change (performance.now() ms); `window.__watch` is emptied at the start of a window.
RECORDER = """() => {
  window.__watch = {steps: [], grids: []};
  let step = null, grid = null;
  setInterval(() => {
    const figure = document.querySelector('%s');
    if (!figure) return;
    const img = figure.querySelector('img');
    if (img.src !== grid) { grid = img.src; window.__watch.grids.push(performance.now()); }
    if (figure.dataset.step !== step) {
      step = figure.dataset.step;
      window.__watch.steps.push(performance.now());
    }
  }, 50);
}""" % LIVE_GRID


def pinning_unavailable() -> str | None:
    """Why the server and the browsers cannot get a core each here, or None when they can."""
    if shutil.which("taskset") is None:
        return "taskset is missing (apt-get install util-linux)."
    if not {0, 1} <= os.sched_getaffinity(0):
        return "This process may not use cores 0 and 1."
    return None


def cost_of_watchers(counts: Sequence[int] = (0, 1, 5, 10), warmup_s: float = 5.0,
                     seconds: float = 20.0, browser: bool = True, root: Path = ROOT,
                     port: int | None = None,
                     progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Measure training and the server with each number of watchers in `counts` (0 first),
    then 0 again; `root` is the app to serve (a checkout of another version, to compare),
    on `port` (None: a free one). `progress` hears of each window as it ends."""
    if not counts or counts[0] != 0 or any(n < 0 for n in counts):
        raise ValueError(f"Watcher counts start with 0 (the baseline) and are never negative "
                         f"(got {list(counts)}).")
    skipped = None if browser else "The browser part was not asked for (browser=False)."
    skipped = skipped or browser_unavailable() or pinning_unavailable()
    result: dict[str, Any] = {"counts": list(counts), "warmup_s": warmup_s, "seconds": seconds,
                              "server_cpus": SERVER_CPUS, "browser_cpus": BROWSER_CPUS,
                              "class_size": CLASS_SIZE, "target_core_share": TARGET_CORE_SHARE,
                              "target_updates_per_s": TARGET_UPDATES_PER_S,
                              "skipped": skipped, "load_average": [load_average()]}
    if skipped:
        return result
    from playwright.sync_api import sync_playwright

    env = {"GAN_CLASSROOM_IDLE_PAUSE_S": "3600"}   # unwatched at N = 0
    windows = []
    with AppServer(env=env, port=port, root=root, cpus=SERVER_CPUS) as server, \
            pinned_chromium(BROWSER_CPUS) as chromium, sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            watch_url = f"{server.url}/train?run={start_run(chrome, server.url)}"
            pages: list = []
            for n in [*counts, 0]:
                while len(pages) > n:
                    pages.pop().context.close()
                pages += [open_watcher(chrome, watch_url) for _ in range(n - len(pages))]
                time.sleep(warmup_s)
                windows.append({"watchers": n, **measure_window(chrome, watch_url, server.pid,
                                                                pages, seconds)})
                progress(f"{n} watchers: {windows[-1]['steps_per_s']:.1f} steps/s, server "
                         f"CPU {windows[-1]['server_cpu']:.2f}")
        finally:
            chrome.close()
    result["windows"] = windows
    result["load_average"].append(load_average())
    result.update(summarize_windows(windows))
    return result


def summarize_windows(windows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Adds to each window its serving CPU and its share of the training lost; the cost per
    watcher (least-squares slope through 0 of the serving CPU above the baseline's), what
    a class would cost, and whether the targets are met.

    The training threads are those that worked in the first window without watchers (the
    run's thread and TensorFlow's); everything else the server did is serving: the
    watchers' script runs, the pictures and charts, the web socket. Measured this way, the
    cost does not depend on how much CPU other work on the machine left the server.
    """
    first = next(w for w in windows if w["watchers"] == 0)
    training = {tid for tid, cores in first["thread_cpu"].items()
                if cores >= TRAINING_THREAD * first["server_cpu"]}
    for window in windows:
        window["serving_cpu"] = window["server_cpu"] - sum(
            cores for tid, cores in window["thread_cpu"].items() if tid in training)
    baseline = [w for w in windows if w["watchers"] == 0]
    steps_0 = statistics.mean(w["steps_per_s"] for w in baseline)
    serving_0 = statistics.mean(w["serving_cpu"] for w in baseline)
    for window in windows:
        window["training_lost"] = 1.0 - window["steps_per_s"] / steps_0
        window["watchers_cpu"] = window["serving_cpu"] - serving_0
    watched = [w for w in windows if w["watchers"] > 0]
    per_watcher = (sum(w["watchers"] * w["watchers_cpu"] for w in watched)
                   / sum(w["watchers"] ** 2 for w in watched)) if watched else None
    slowest = min((w["updates_per_s"]["min"] for w in watched), default=None)
    summary = {"baseline_steps_per_s": steps_0, "baseline_serving_cpu": serving_0,
               "training_threads": len(training), "core_share_per_watcher": per_watcher,
               "class_core_share": None if per_watcher is None else CLASS_SIZE * per_watcher,
               "slowest_updates_per_s": slowest}
    summary["met"] = (per_watcher is not None and summary["class_core_share"] < TARGET_CORE_SHARE
                      and slowest >= TARGET_UPDATES_PER_S)
    return summary


# --- the browser side --------------------------------------------------------------------------

@contextlib.contextmanager
def pinned_chromium(cpus: str) -> Iterator[Path]:
    """An executable that starts Debian's Chromium on `cpus` only (Playwright starts it)."""
    with tempfile.TemporaryDirectory(prefix="benchmark-chromium-") as folder:
        wrapper = Path(folder) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec taskset -c {cpus} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        yield wrapper


def new_context(browser):
    """A browser context of its own (a separate student), patient with a busy machine."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def start_run(browser, url: str) -> str:
    """The teacher: start the GAN Quick preset without a step limit on the Train page, then
    leave; the run's id."""
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{url}/train")
        steps = page.get_by_role("spinbutton", name=STEPS_FIELD, exact=True)
        steps.fill("")
        steps.press("Enter")
        page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")
        page.get_by_role("button", name="Start training").click()
        page.wait_for_url(re.compile(r"[?&]run="))
        metric_value(page, "Step").wait_for()
        return re.search(r"[?&]run=([^&]+)", page.url).group(1)
    finally:
        context.close()


def open_watcher(browser, watch_url: str):
    """One student on the watch link, in a context of its own; the page, once its live grid
    shows a picture, with the recorder installed."""
    context = new_context(browser)
    page = context.new_page()
    page.goto(watch_url)
    page.wait_for_selector(f"{LIVE_GRID} img[src]")
    page.evaluate(RECORDER)
    return page


def read_step(browser, watch_url: str) -> tuple[float, int]:
    """(time, step) of the run, the moment its live grid's step changes on a page opened for
    the reading and closed after it. The grid follows the live feed every second; the Step
    metric only every WATCHER_REFRESH_S, which made each reading wait up to 10 s."""
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(watch_url)
        figure = page.locator(f"{CURRENT_LIVE_GRID}[data-step]")
        figure.wait_for()
        return next_change(lambda: (int(figure.get_attribute("data-step")), None), poll_s=0.02)
    finally:
        context.close()


def measure_window(browser, watch_url: str, server_pid: int, pages: Sequence,
                   seconds: float) -> dict[str, Any]:
    """Steps/s, the server's CPU (all of it, and per thread alive through the window), how
    busy each core was and every page's updates, over one window of `seconds`."""
    t0, step0 = read_step(browser, watch_url)
    threads0 = thread_cpu_s(server_pid)
    cpu0, cores0, wall0 = process_cpu_s(server_pid), core_times(), time.monotonic()
    for page in pages:
        page.evaluate("() => { window.__watch = {steps: [], grids: []}; }")
    time.sleep(seconds)
    cpu1, cores1, wall1 = process_cpu_s(server_pid), core_times(), time.monotonic()
    threads1 = thread_cpu_s(server_pid)
    records = [page.evaluate("() => window.__watch") for page in pages]
    t1, step1 = read_step(browser, watch_url)
    wall = wall1 - wall0
    busy = {cpu: (cores1[cpu][0] - cores0[cpu][0]) / max(1e-9, cores1[cpu][1] - cores0[cpu][1])
            for cpu in (SERVER_CPUS, BROWSER_CPUS)}
    return {"steps_per_s": (step1 - step0) / (t1 - t0), "steps_window_s": t1 - t0,
            "server_cpu": (cpu1 - cpu0) / wall, "server_core_busy": busy[SERVER_CPUS],
            "thread_cpu": {tid: (threads1[tid] - before) / wall
                           for tid, before in threads0.items() if tid in threads1},
            "browser_core_busy": busy[BROWSER_CPUS],
            **page_updates(records, seconds)}


def page_updates(records: Sequence[dict[str, list[float]]], seconds: float) -> dict[str, Any]:
    """Per page: Step updates per second, and the longest gap between two; grid updates per
    second. Summarised over the pages (median, min, max)."""
    if not records:
        return {"updates_per_s": None, "grid_updates_per_s": None, "longest_gap_s": None}

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    gaps = [max((b - a) / 1e3 for a, b in zip(r["steps"], r["steps"][1:]))
            if len(r["steps"]) > 1 else seconds for r in records]
    return {"updates_per_s": spread([len(r["steps"]) / seconds for r in records]),
            "grid_updates_per_s": spread([len(r["grids"]) / seconds for r in records]),
            "longest_gap_s": spread(gaps)}


# --- CPU time from /proc -----------------------------------------------------------------------

def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads, ended ones too) the process `pid` has used."""
    return process_cpu_s_of(Path(f"/proc/{pid}/stat"))


def process_cpu_s_of(stat: Path) -> float:
    """utime + stime of a /proc/.../stat file, in seconds."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of the process `pid`, by thread id."""
    times = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):                     # a thread that just ended
            times[task.name] = process_cpu_s_of(task / "stat")
    return times


def core_times() -> dict[str, tuple[int, int]]:
    """Per core ("0", "1", ...): (busy, total) clock ticks since boot, from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks = [int(v) for v in values]
            idle = ticks[3] + ticks[4]                                # idle + iowait
            times[name[3:]] = (sum(ticks) - idle, sum(ticks))
    return times


# --- students playing the 2D playground ---------------------------------------------------------

PLAYER_FRAME_S = 0.3          # pages/playground.py: FRAME_S
PLAYER_STEPS = 50             # the page's default steps per frame


def playground_players(players: int = 3, warmup_s: float = 5.0,
                       seconds: float = 20.0) -> dict[str, Any]:
    """Training steps/s of the GAN Quick preset (a `TrainingRun` as the app starts it) while
    `players` threads play the 2D playground as its page does, all in one process on one
    core (a fresh process pinned to core 0 with `taskset`, as the server is above).

    Each player, every PLAYER_FRAME_S: PLAYER_STEPS steps, then what a frame draws (the
    samples, the 60 x 60 map, 60 arrows, the mode count). Windows: nobody playing; playing
    without the gate (every frame computing at once, as before ganlib.playground.COMPUTE_GATE);
    playing through the gate; nobody again.
    """
    if shutil.which("taskset") is None:
        return {"skipped": pinning_unavailable()}
    code = ("import json; from benchmarks.watchers import play_in_this_process; "
            f"print(json.dumps(play_in_this_process({players!r}, {warmup_s!r}, {seconds!r})))")
    done = subprocess.run(["taskset", "-c", SERVER_CPUS, sys.executable, "-c", code], cwd=ROOT,
                          env=child_env(), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"The playground players failed:\n{done.stderr[-2000:]}")
    return {"skipped": None, **json.loads(done.stdout.strip().splitlines()[-1])}


def play_in_this_process(players: int, warmup_s: float, seconds: float) -> dict[str, Any]:
    """The measurement of `playground_players`, in the calling process."""
    import threading

    from ganlib import playground as pg
    from ganlib.config import make_config
    from ganlib.data import load_dataset
    from ganlib.metrics import evaluator_for
    from ganlib.training.runner import TrainingRun

    class NoGate(pg.ComputeGate):
        def turn(self):
            return contextlib.nullcontext()

    config = make_config("gan", "quick").replace(steps=None)
    dataset = load_dataset(config.dataset, config.digits)
    run = TrainingRun(config, dataset=dataset, evaluator=evaluator_for(dataset)).start()
    playing, frames, stop = threading.Event(), [0] * players, threading.Event()

    # Built before the first window: building is not playing.
    models = [pg.Playground("gan", pg.mixture("ring"), modes=pg.mixture_modes("ring"))
              for _ in range(players)]

    def play(i: int) -> None:
        model = models[i]
        while not stop.is_set():
            if not playing.wait(0.1):
                continue
            model.step(PLAYER_STEPS)
            samples = model.samples()
            model.field(60)
            model.generator_gradients(samples[:60])
            model.mode_coverage()
            frames[i] += 1
            time.sleep(PLAYER_FRAME_S)

    threads = [threading.Thread(target=play, args=(i,), daemon=True) for i in range(players)]
    for thread in threads:
        thread.start()
    gate = pg.COMPUTE_GATE
    windows = []
    try:
        while run.snapshot(watch=False).step == 0:
            time.sleep(0.1)
        for arm in ("nobody", "no gate", "gate", "nobody"):
            pg.COMPUTE_GATE = NoGate() if arm == "no gate" else gate
            if arm == "nobody":
                playing.clear()
            else:
                playing.set()
            time.sleep(warmup_s)
            step0, frames0, t0 = run.snapshot(watch=False).step, sum(frames), time.monotonic()
            time.sleep(seconds)
            step1, frames1, t1 = run.snapshot(watch=False).step, sum(frames), time.monotonic()
            windows.append({"arm": arm, "steps_per_s": (step1 - step0) / (t1 - t0),
                            "frames_per_s_each": (frames1 - frames0) / (t1 - t0) / players})
    finally:
        stop.set()
        playing.set()
        for thread in threads:
            thread.join()
        run.stop()
    return {"players": players, "warmup_s": warmup_s, "seconds": seconds,
            "share": gate.share, "windows": windows}


# --- the pictures and charts of a refresh, per viewer or shared ---------------------------------

def render_cost(viewers: int = CLASS_SIZE, refreshes: int = 20,
                history_rows: int = 3600) -> dict[str, Any]:
    """CPU time the server spends on the Train page's picture and open chart when `viewers`
    watch one run, per second (one refresh a second), made per viewer (as the page did
    before ui.live_view) and made once per run update and shared (ui.live_view).

    Per viewer and refresh, both ways: the chart serialised as `st.plotly_chart` does
    (figure to dict, dict to JSON). Made per viewer, also the grid's PNG (`image_grid`,
    encoded as `st.image` encodes an array) and the loss figure; shared, only the first
    viewer of a run update makes them. A run of the GAN Quick preset's size: 64 samples,
    `history_rows` rows of history (the preset's 3,600 steps). CPU time of this thread
    (`time.thread_time`), so other work on the machine does not count.
    """
    import plotly.io

    from ganlib.config import make_config
    from ganlib.data import load_dataset
    from ganlib.images import image_grid, png_bytes
    from ganlib.training.core import RunSnapshot, RunStatus
    from ui import charts, live_view

    rng = np.random.default_rng(0)
    names = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")

    def snapshot(step: int) -> RunSnapshot:
        history = {name: rng.uniform(0.1, 2.0, step) for name in names}
        history.update(step=np.arange(1.0, step + 1), time=np.arange(step) * 0.02)
        start = RunSnapshot.initial("benchmark", make_config("gan", "quick", steps=history_rows),
                                    load_dataset("mnist-10k"))
        return replace(start, status=RunStatus.RUNNING, step=step, elapsed_s=60.0,
                       steps_per_s=60.0, history=history, samples_step=step,
                       samples=rng.uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32))

    updates = [snapshot(history_rows - refreshes + i) for i in range(refreshes)]
    store = live_view.RENDERS

    def per_viewer(snap: RunSnapshot) -> None:
        png_bytes(image_grid(snap.samples, cols=8, scale=3))
        plotly.io.to_json(charts.loss_figure(snap).to_dict(), validate=False)

    def shared(snap: RunSnapshot) -> None:
        live_view.grid_png(snap.run_id, snap.samples_step, snap.samples, 8, 3)
        plotly.io.to_json(live_view.figure(snap, charts.loss_figure).to_dict(),
                          validate=False)

    result: dict[str, Any] = {"viewers": viewers, "refreshes": refreshes,
                              "history_rows": history_rows}
    try:
        live_view.RENDERS = live_view.SharedRenders()
        for way, draw in (("per viewer", per_viewer), ("shared", shared)):
            draw(updates[0])                                  # untimed: imports, caches
            started = time.thread_time()
            for snap in updates:
                for _ in range(viewers):
                    draw(snap)
            cpu = (time.thread_time() - started) / refreshes  # CPU s per refresh, all viewers
            result[way] = {"cores": cpu, "ms_per_viewer": 1e3 * cpu / viewers}
    finally:
        live_view.RENDERS = store
    return result
