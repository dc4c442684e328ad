"""Cost of watching: does a browser showing the live Train page slow training down?

The Train page redraws every second while a run trains: a snapshot of the run, the sample
grid as a PNG, two Plotly charts, all in the Streamlit server process that also hosts the
training thread, plus the browser's own rendering on the same machine. This module measures
what that costs, end to end:

- **browser**: start the app (`streamlit run app.py`) in a fresh server process, open it in
  Debian's Chromium through Playwright, press the Home page's demo button for the GAN
  article's model (the GAN Quick preset), stay on the Train page, and read the step counter
  from the page's "Step" metric;
- **headless**: the same preset in a fresh server-less process (`TrainingRun` as the app
  builds it, quality evaluator included), nobody watching.

Throughput is generator steps per wall-clock second between two readings of the step counter
`seconds` apart, taken after `warmup_s` of training. Each reading is taken the moment the
counter changes (the page redraws once a second), so the page's refresh period does not
blur the window's ends. The two arms alternate (headless, browser, headless, ...), each in a
fresh process, and their ratio is taken per pair.

Also here: the latent explorer's server-side round trip for one slider move:
`Sampler.generate` for one vector, then the enlarged image as a PNG.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.timing import load_average, ratios, summarize
from scripts.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer

PORT = 8620
# The Home page's demo button (its text contains this) and the Train page's step metric.
DEMO_BUTTON = re.compile(r"\bGAN article")   # not "WGAN article"
STEP_LABEL = "Step"
METRIC = '[data-testid="stMetric"]'
METRIC_LABEL = '[data-testid="stMetricLabel"]'
METRIC_VALUE = '[data-testid="stMetricValue"]'
# Watching should keep at least this share of headless throughput.
TARGET_SHARE = 0.9
# The latent explorer draws one digit 12x enlarged (pages/explorer.py: IMAGE_SCALE).
EXPLORER_SCALE = 12
SLIDER_TARGET_MS = 100.0
# A window ends early when the run nears its step budget (the demo run stops at 2,000).
END_FRACTION = 0.9


# --- measuring a step counter ---------------------------------------------------------------

def measure_counter(read_step: Callable[[], tuple[int, int | None]], warmup_s: float,
                    seconds: float, poll_s: float) -> dict[str, Any]:
    """Steps per second of a counter: `read_step()` -> (step, total or None).

    Waits until training has started (step > 0) and `warmup_s` more, then takes (time, step)
    the moment the counter next changes; again after `seconds` (or sooner, when the run has
    done END_FRACTION of its total).
    """
    deadline = time.monotonic() + 300
    while read_step()[0] <= 0:
        if time.monotonic() > deadline:
            raise TimeoutError("Training did not start within 300 s.")
        time.sleep(poll_s)
    time.sleep(warmup_s)
    t0, s0 = next_change(read_step, poll_s)
    while time.monotonic() - t0 < seconds:
        step, total = read_step()
        if total and step >= END_FRACTION * total:
            break
        time.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - t0))))
    t1, s1 = next_change(read_step, poll_s)
    return {"steps_per_s": (s1 - s0) / (t1 - t0), "window_s": t1 - t0, "steps": s1 - s0,
            "first_step": s0}


def next_change(read_step: Callable[[], tuple[int, int | None]],
                poll_s: float) -> tuple[float, int]:
    """(time, step) the moment the counter next changes: a reading at a redraw, not between."""
    before = read_step()[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        step = read_step()[0]
        if step != before:
            return time.monotonic(), step
        time.sleep(poll_s)
    raise TimeoutError("The step counter stopped changing for 60 s.")


# --- headless: a training run in this process -------------------------------------------------

def headless_throughput(warmup_s: float, seconds: float) -> dict[str, Any]:
    """The demo run in this process, nobody watching: the GAN Quick preset in a
    `TrainingRun` built as `ui.state.start_run` builds it (with the quality evaluator, and
    the default pause after 300 s unwatched). Keep the two in step."""
    from ganlib.config import make_config
    from ganlib.data import load_dataset
    from ganlib.metrics import evaluator_for
    from ganlib.training.runner import TrainingRun

    config = make_config("gan", "quick")
    dataset = load_dataset(config.dataset, config.digits)
    run = TrainingRun(config, dataset=dataset, evaluator=evaluator_for(dataset),
                      pause_when_unwatched_s=300.0).start()
    try:
        def read_step() -> tuple[int, int | None]:
            snap = run.snapshot(watch=False)
            return snap.step, snap.total_steps
        result = measure_counter(read_step, warmup_s, seconds, poll_s=0.005)
        # What the page's "Steps / s" would show: the run's rate over its last steps,
        # training time only.
        result["run_steps_per_s"] = f"{run.snapshot(watch=False).steps_per_s:.1f}"
        return result
    finally:
        run.stop()


def headless_in_subprocess(warmup_s: float, seconds: float) -> dict[str, Any]:
    """`headless_throughput` in a fresh Python process, as the browser arm gets a fresh server."""
    code = ("import json; from benchmarks.watching import headless_throughput; "
            f"print(json.dumps(headless_throughput({warmup_s!r}, {seconds!r})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"The headless run failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- browser: the app, Chromium, the Train page -----------------------------------------------

def browser_unavailable() -> str | None:
    """Why the browser arm cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return (f"{CHROMIUM} is missing (install Debian's chromium: apt-get install "
                f"chromium); the browser part was skipped.")
    if importlib.util.find_spec("playwright") is None:
        return ("Playwright is not installed (pip install -r requirements-dev.txt); the "
                "browser part was skipped.")
    return None


def browser_throughput(warmup_s: float, seconds: float, port: int = PORT) -> dict[str, Any]:
    """Start the app, press the GAN article demo button, watch the Train page; its rate."""
    from playwright.sync_api import sync_playwright

    with AppServer(port=port) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url)
            page.get_by_role("button", name=DEMO_BUTTON).click(timeout=120_000)
            step = metric_value(page, STEP_LABEL)
            step.wait_for(timeout=180_000)

            def read_step() -> tuple[int, int | None]:
                return parse_step(step.inner_text())
            result = measure_counter(read_step, warmup_s, seconds, poll_s=0.02)
            result["run_steps_per_s"] = metric_value(page, "Steps / s").inner_text()
            return result
        finally:
            browser.close()


def parse_step(text: str) -> tuple[int, int | None]:
    """The Step metric's "1,234 / 2,000" (or "1,234") as (1234, 2000) (or (1234, None))."""
    numbers = [int(part.replace(",", "")) for part in re.findall(r"[\d,]+", text)]
    if not numbers:
        raise ValueError(f"No step count in the Step metric's text {text!r}.")
    return numbers[0], numbers[1] if len(numbers) > 1 else None


def metric_value(page, label: str):
    """The value element of the st.metric whose label is exactly `label`."""
    exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
    return (page.locator(METRIC)
            .filter(has=page.locator(METRIC_LABEL, has_text=exact))
            .locator(METRIC_VALUE).first)


def child_env() -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    # The demo never saves, but a child must never write into the repository's checkpoints.
    env.setdefault("GANLIB_CHECKPOINTS", str(Path(tempfile.gettempdir()) / "benchmark-checkpoints"))
    return env


# --- the latent explorer's slider ---------------------------------------------------------------

def slider_round_trip(calls: int = 200,
                      architectures: tuple[str, ...] = ("quick", "gan-article")) -> dict[str, Any]:
    """Milliseconds per slider move, server side: one vector through `Sampler.generate`,
    the image enlarged 12x (`image_grid`), encoded as PNG. Per generator architecture
    (untrained weights: the cost does not depend on them)."""
    from ganlib.config import make_config
    from ganlib.images import image_grid, png_bytes
    from ganlib.latent import latent_vectors
    from ganlib.models import build_generator
    from ganlib.sampling import Sampler

    results = {}
    for architecture in architectures:
        config = make_config("gan", "article" if architecture == "gan-article" else "quick")
        sampler = Sampler(build_generator(config), config, source="benchmark", step=0)
        z = latent_vectors(0, 1, config.latent_dim).copy()        # (1, latent_dim)
        times = []
        for i in range(calls + 5):                                # 5 untimed: tracing
            z[0, i % config.latent_dim] += 0.01                   # a slider moved
            started = time.perf_counter()
            png_bytes(image_grid(sampler.generate(z), scale=EXPLORER_SCALE))
            times.append(1e3 * (time.perf_counter() - started))
        times = times[5:]
        summary = {k: v for k, v in summarize(times).items() if k != "values"}
        results[architecture] = {**summary, "p90": float(np.percentile(times, 90))}
    return {"calls": calls, "architectures": results, "target_ms": SLIDER_TARGET_MS,
            "met": all(r["median"] < SLIDER_TARGET_MS for r in results.values())}


# --- the section ----------------------------------------------------------------------------------

def cost_of_watching(repetitions: int = 3, warmup_s: float = 5.0, seconds: float = 20.0,
                     slider_calls: int = 200, browser: bool = True) -> dict[str, Any]:
    """Headless vs browser throughput, interleaved, and the slider round trip."""
    if browser and repetitions < 1:
        raise ValueError("Comparing with a browser needs at least 1 repetition.")
    load_before = load_average()
    skipped = None if browser else "The browser part was not asked for (browser=False)."
    skipped = skipped or browser_unavailable()
    headless, watched = [], []
    for _ in range(repetitions if skipped is None else 0):
        headless.append(headless_in_subprocess(warmup_s, seconds))
        try:
            watched.append(browser_throughput(warmup_s, seconds))
        except Exception as exc:  # noqa: BLE001 - e.g. the page changed: say so, go on
            skipped = f"The browser part failed: {type(exc).__name__}: {exc}"
            break
    result: dict[str, Any] = {"repetitions": repetitions, "warmup_s": warmup_s,
                              "seconds": seconds, "browser_skipped": skipped,
                              "target_share": TARGET_SHARE}
    if headless:
        result["headless"] = {"runs": headless,
                              "steps_per_s": summarize([h["steps_per_s"] for h in headless])}
    if skipped is None:
        share = summarize(ratios([w["steps_per_s"] for w in watched],
                                 [h["steps_per_s"] for h in headless]))
        result.update({"browser": {"runs": watched, "steps_per_s": summarize(
                           [w["steps_per_s"] for w in watched])},
                       "share": share, "met": share["median"] >= TARGET_SHARE})
    result["slider"] = slider_round_trip(slider_calls)
    result["load_average"] = [load_before, load_average()]
    return result


@functools.cache
def chromium_version() -> str | None:
    """`chromium --version`, for the record (asked once per process)."""
    if not Path(CHROMIUM).exists():
        return None
    done = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                          timeout=30)
    return done.stdout.strip() or None

