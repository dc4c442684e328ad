"""Digits drawn in the browser: how fast the Latent explorer follows a slider, what a class of
students dragging sliders costs the server and the teacher's training, and what a first open
of the explorer downloads.

Same split as benchmarks/watchers.py: the app's server (`streamlit run app.py`) pinned to
core 0 with `taskset`, Chromium (Playwright) to core 1, as a class has the server on the
teacher's laptop and each browser on a student's device. The models: the shipped
gan-quick-demo, and the GAN and WGAN articles' generators untrained (a forward pass costs the
same whatever the weights), saved into a checkpoint folder of the benchmark's own.

1. **Following a slider**, per model: a page opens the explorer, and once its digit is drawn
   (and the walk and the neighbours), a drag on z[0]: the pointer pressed, `moves` moves
   MOVE_MS apart back and forth along the slider (Playwright's mouse), released. The page
   (static/gan/explorer.js) records, for every input event, the time from the event to the
   digit that shows it or a later state (`window.ganTimings`), and the generator's time per
   digit in its Web Worker (`window.ganDigitMs`). Medians and 90th percentiles.
2. **First open**: the bytes of every file under app/static/ a fresh browser fetches when it
   first opens the explorer on the Quick model (the runner's modules, the generator and the
   classifier), as the browser received them.
3. **A class dragging**: a teacher page starts the GAN Quick preset without a step limit and
   leaves; windows of `seconds` with no student, `students` students, and none again. Each
   student's page drags z[0] on its own rhythm (a script in the page sets the slider and
   sends the input events a pointer would, every DRAG_MOVE_MS for DRAG_S, then lets go and
   rests REST_S), so the server hears of a state once per drag. Per window: the training's
   steps/s (read as benchmarks.watchers reads them), the server's CPU outside its training
   threads (the same method), the drags made. What the students cost is that CPU less the
   same without students.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.timing import load_average
from benchmarks.watchers import (BROWSER_CPUS, SERVER_CPUS, TRAINING_THREAD, new_context,
                                 pinned_chromium, pinning_unavailable, process_cpu_s, read_step,
                                 start_run, thread_cpu_s)
from benchmarks.watching import browser_unavailable, child_env
from scripts.app_server import CHROMIUM_ARGS, ROOT, AppServer

QUICK_MODEL = "gan-quick-demo"
ARTICLE_MODELS = {"gan-article-untrained": ("gan", "article"),
                  "wgan-article-untrained": ("wgan", "article")}
# The targets.
TARGET_QUICK_MS = 20.0            # median, pointer move to picture, Quick generator
TARGET_ARTICLE_MS = 100.0         # ... the article generators
TARGET_CLASS_CORE = 0.05          # ten students dragging: at most this share of the server's core
TARGET_TRAINING = 0.95            # ... and training keeps this share of its steps/s
TARGET_FIRST_OPEN_BYTES = 2_000_000
CLASS_SIZE = 10
MOVE_MS = 16                      # a pointer reports about 60 moves a second
DRAG_MOVE_MS, DRAG_S, REST_S = 33, 1.5, 1.0
# The drag a student's page plays on its own: z[0] back and forth, a release, a rest.
STUDENT = """([moveMs, dragMs, restMs]) => {
  const input = document.querySelector(".gc-explorer-numbers input[type='range']");
  window.__drags = 0;
  window.__dragging = true;
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  (async () => {
    let value = 0, direction = 1;
    while (window.__dragging) {
      const end = performance.now() + dragMs;
      while (performance.now() < end) {
        value += 0.05 * direction;
        if (Math.abs(value) > 2.5) direction = -direction;
        input.value = value.toFixed(2);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        await sleep(moveMs);
      }
      input.dispatchEvent(new Event("change", { bubbles: true }));
      window.__drags++;
      await sleep(restMs);
    }
  })();
}"""


def explorer_in_the_browser(moves: int = 300, students: int = CLASS_SIZE,
                            warmup_s: float = 5.0, seconds: float = 20.0, browser: bool = True,
                            progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The three measurements above; {"skipped": why} where Chromium or pinning is missing."""
    skipped = None if browser else "The browser part was not asked for (browser=False)."
    skipped = skipped or browser_unavailable() or pinning_unavailable()
    result: dict[str, Any] = {
        "skipped": skipped, "server_cpus": SERVER_CPUS, "browser_cpus": BROWSER_CPUS,
        "moves": moves, "move_ms": MOVE_MS, "students": students, "warmup_s": warmup_s,
        "seconds": seconds, "drag": {"move_ms": DRAG_MOVE_MS, "drag_s": DRAG_S,
                                     "rest_s": REST_S},
        "targets": {"quick_ms": TARGET_QUICK_MS, "article_ms": TARGET_ARTICLE_MS,
                    "class_core": TARGET_CLASS_CORE, "training": TARGET_TRAINING,
                    "first_open_bytes": TARGET_FIRST_OPEN_BYTES},
        "load_average": [load_average()]}
    if skipped:
        return result
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="benchmark-explorer-") as folder:
        checkpoints = Path(folder)
        save_models(checkpoints)
        env = {**child_env(), "GANLIB_CHECKPOINTS": str(checkpoints),
               "GAN_CLASSROOM_IDLE_PAUSE_S": "3600", "GAN_CLASSROOM_DIGITS": "browser"}
        with AppServer(checkpoints, env=env, cpus=SERVER_CPUS) as server, \
                pinned_chromium(BROWSER_CPUS) as chromium, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium),
                                                 args=CHROMIUM_ARGS)
            try:
                result["first_open"] = first_open(browser, server.url)
                progress(f"first open: {result['first_open']['bytes']:,} bytes")
                result["latency"] = {}
                for model in (QUICK_MODEL, *ARTICLE_MODELS):
                    result["latency"][model] = follow_a_slider(browser, server.url, model, moves)
                    progress(f"{model}: {result['latency'][model]['median_ms']:.1f} ms median")
                try:                    # a slow machine's timeout keeps the parts above
                    result["class"] = class_dragging(browser, server.url, server.pid, students,
                                                     warmup_s, seconds, progress)
                except Exception as exc:  # noqa: BLE001 - reported with the section
                    result["class"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            finally:
                browser.close()
    result["load_average"].append(load_average())
    result.update(verdicts(result))
    return result


def save_models(folder: Path) -> None:
    """The shipped Quick model, and the articles' generators untrained, in `folder`."""
    from ganlib.checkpoints import save_checkpoint
    from ganlib.config import make_config
    from ganlib.gans import build_gan

    shutil.copytree(ROOT / "checkpoints" / QUICK_MODEL, folder / QUICK_MODEL)
    for name, (algorithm, preset) in ARTICLE_MODELS.items():
        config = make_config(algorithm, preset)
        model = build_gan(config)
        save_checkpoint(name, generator=model.generator, critic=model.discriminator,
                        config=config, step=0, root=folder)


def open_explorer(browser, url: str, model: str):
    """A fresh student's page on the explorer for `model`, once its digit, walk and
    neighbours are drawn."""
    page = new_context(browser).new_page()
    page.goto(f"{url}/explorer?model={model}")
    page.wait_for_function("document.querySelector('canvas.gc-digit')?.dataset.z")
    page.locator(".gc-explorer-walk figcaption").wait_for()
    page.wait_for_function("document.querySelector('.gc-explorer-walk .gc-caption')"
                           "?.textContent.length > 0")
    return page


def first_open(browser, url: str) -> dict[str, Any]:
    """Bytes of the app's static files a first open of the explorer on the Quick model
    fetches (the generator's and the classifier's files, the runner's modules)."""
    files: dict[str, int] = {}

    def record(response) -> None:
        if "/app/static/" in response.url and response.ok:
            files[response.url.split("/app/static/", 1)[1]] = len(response.body())

    context = new_context(browser)
    context.on("response", record)
    page = context.new_page()
    page.goto(f"{url}/explorer?model={QUICK_MODEL}")
    page.wait_for_function("document.querySelector('canvas.gc-digit')?.dataset.z")
    page.wait_for_timeout(1000)
    context.close()
    return {"files": files, "bytes": sum(files.values())}


def follow_a_slider(browser, url: str, model: str, moves: int) -> dict[str, Any]:
    """Pointer move to picture while z[0] is dragged: per input event, in ms."""
    page = open_explorer(browser, url, model)
    try:
        slider = page.get_by_label("z[0]", exact=True)
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        left, width, y = box["x"] + 8, box["width"] - 16, box["y"] + box["height"] / 2
        page.mouse.move(left + width / 2, y)
        page.mouse.down()
        page.evaluate("() => { window.ganTimings.length = 0; window.ganDigitMs.length = 0; }")
        started = time.monotonic()
        for n in range(moves):
            phase = (n * 4 / width) % 2                     # 4 px a move, there and back
            page.mouse.move(left + width * (phase if phase <= 1 else 2 - phase), y)
            time.sleep(max(0.0, started + (n + 1) * MOVE_MS / 1e3 - time.monotonic()))
        page.mouse.up()
        page.wait_for_timeout(1000)
        timings = page.evaluate("() => window.ganTimings")
        compute = page.evaluate("() => window.ganDigitMs")
        return {"moves": moves, "moves_per_s": moves / (time.monotonic() - started),
                "pictures": len(compute), **spread("", timings), **spread("digit_", compute),
                "load_average": load_average()}
    finally:
        page.context.close()


def spread(prefix: str, values: list[float]) -> dict[str, float | None]:
    if not values:
        return {f"{prefix}median_ms": None, f"{prefix}p90_ms": None}
    ordered = sorted(values)
    return {f"{prefix}median_ms": statistics.median(ordered),
            f"{prefix}p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]}


def class_dragging(browser, url: str, server_pid: int, students: int, warmup_s: float,
                   seconds: float, progress: Callable[[str], None]) -> dict[str, Any]:
    """Training and the server's CPU with no student, `students` dragging, none again."""
    watch_url = f"{url}/train?run={start_run(browser, url)}"
    pages = [open_explorer(browser, url, QUICK_MODEL) for _ in range(students)]
    windows = []
    try:
        for dragging in (0, students, 0):
            for page in pages[:dragging]:
                page.evaluate(STUDENT, [DRAG_MOVE_MS, DRAG_S * 1e3, REST_S * 1e3])
            time.sleep(warmup_s)
            windows.append({"students": dragging,
                            **window(browser, watch_url, server_pid, pages[:dragging],
                                     seconds)})
            for page in pages[:dragging]:
                page.evaluate("() => { window.__dragging = false; }")
            progress(f"{dragging} students: {windows[-1]['steps_per_s']:.1f} steps/s, server "
                     f"CPU {windows[-1]['server_cpu']:.2f}")
    finally:
        for page in pages:
            page.context.close()
    return {"windows": windows, **class_cost(windows)}


def window(browser, watch_url: str, server_pid: int, pages: list, seconds: float) -> dict:
    """Steps/s, the server's CPU (all of it and per thread) and the drags, over `seconds`."""
    t0, step0 = read_step(browser, watch_url)
    threads0, cpu0, wall0 = thread_cpu_s(server_pid), process_cpu_s(server_pid), time.monotonic()
    drags0 = [page.evaluate("() => window.__drags") for page in pages]
    time.sleep(seconds)
    drags1 = [page.evaluate("() => window.__drags") for page in pages]
    cpu1, wall1, threads1 = process_cpu_s(server_pid), time.monotonic(), thread_cpu_s(server_pid)
    t1, step1 = read_step(browser, watch_url)
    wall = wall1 - wall0
    return {"seconds": wall, "steps_per_s": (step1 - step0) / (t1 - t0),
            "server_cpu": (cpu1 - cpu0) / wall,
            "thread_cpu": {tid: (threads1[tid] - before) / wall
                           for tid, before in threads0.items() if tid in threads1},
            "drags": sum(b - a for a, b in zip(drags0, drags1)),
            "load_average": load_average()}


def class_cost(windows: list[dict]) -> dict[str, Any]:
    """The students' share of the server's core (its CPU outside the training threads, less
    the same without students) and the training's steps/s kept, as benchmarks.watchers
    counts them."""
    first = windows[0]
    training = {tid for tid, cpu in first["thread_cpu"].items()
                if cpu >= TRAINING_THREAD * first["server_cpu"]}
    for w in windows:
        w["serving_cpu"] = w["server_cpu"] - sum(cpu for tid, cpu in w["thread_cpu"].items()
                                                  if tid in training)
    quiet = [w for w in windows if w["students"] == 0]
    baseline_cpu = statistics.mean(w["serving_cpu"] for w in quiet)
    baseline_steps = statistics.mean(w["steps_per_s"] for w in quiet)
    busy = next(w for w in windows if w["students"])
    return {"training_threads": len(training), "baseline_steps_per_s": baseline_steps,
            "class_core_share": busy["serving_cpu"] - baseline_cpu,
            "training_kept": busy["steps_per_s"] / baseline_steps,
            "drags_per_s": busy["drags"] / busy["seconds"]}


def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    latency, students = result["latency"], result["class"]
    article = [latency[m]["median_ms"] for m in ARTICLE_MODELS]
    return {"met": {
        "quick": latency[QUICK_MODEL]["median_ms"] <= TARGET_QUICK_MS,
        "articles": all(ms is not None and ms <= TARGET_ARTICLE_MS for ms in article),
        "class_core": "error" not in students
                      and students["class_core_share"] <= TARGET_CLASS_CORE,
        "training": "error" not in students and students["training_kept"] >= TARGET_TRAINING,
        "first_open": result["first_open"]["bytes"] <= TARGET_FIRST_OPEN_BYTES}}
