"""What the tests share: the app server and Chromium, waiting for a condition, and runs that
train nothing.

The launcher of the real app server is scripts/app_server.py (the soak test, the screenshots
script and the benchmarks use it too, and they must not depend on the tests); it is
re-exported here, so that a browser test module imports all it needs from this one module.
Fixtures that start a server or a browser are in tests/conftest.py.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from typing import TypeVar
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ganlib.config import make_config
from ganlib.training.autosave import autosave_name, runs_of
from ganlib.training.core import NotBuiltYet, RunSnapshot, RunStatus
# The launcher and Chromium, shared with the scripts: the test modules import them from here.
from scripts.app_server import (CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer,  # noqa: F401
                                demo_models, settled)

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
NEEDS_CHROMIUM = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium); the end-to-end "
           "browser tests need it")
TEACHER_PASSCODE = "correct horse battery"
T = TypeVar("T")


def demo_app(folder: Path, **env: str) -> AppServer:
    """An app server (a context manager) whose models folder is a fresh copy of the shipped
    demo models under `folder`, its log beside it, with `env` added to its environment."""
    return AppServer(demo_models(folder / "checkpoints"), folder / "streamlit.log", env)


def wait_until(condition: Callable[[], T], timeout: float = 90.0,
               what: str = "the condition", every_s: float = 0.2) -> T:
    """`condition()`'s first true value, as soon as there is one; fail, naming `what`, after
    `timeout` seconds. The timeout is generous on purpose: a loaded machine is slow, not wrong."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every_s)                 # (polling the condition, not waiting blind)
    return result


# --- in the browser -----------------------------------------------------------------------------

def new_tab(browser, viewport: dict | None = None, timeout_s: float = 90.0, **options):
    """A page in a browser context of its own (its own cookies: another person), patient
    with a busy machine. `options` go to the context (locale, device_scale_factor...)."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900},
                                  **options)
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    return page


def shoot(page, name: str, full_page: bool = False) -> None:
    """A screenshot under test-artifacts/screenshots/ (look at them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in_as_teacher(page, url: str, passcode: str = TEACHER_PASSCODE) -> None:
    """Open the app at `url` and sign in with the teacher passcode, as a teacher does."""
    page.goto(url)
    page.get_by_text("Teacher sign-in").click()
    page.get_by_label("Teacher passcode").fill(passcode)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as the teacher").wait_for()
    assert passcode not in page.url


# Counts in `window.__scriptRuns` every start of the page's script (or of a fragment of it),
# as a DOM observer sees the app's script state change: none is missed, however short.
_COUNT_SCRIPT_RUNS = """() => {
    window.__scriptRuns = 0;
    new MutationObserver(changes => {
        window.__scriptRuns += changes.filter(change =>
            change.target.getAttribute('data-test-script-state') === 'running').length;
    }).observe(document.body, {subtree: true, attributes: true,
                               attributeFilter: ['data-test-script-state']});
}"""


def script_runs_during(page, seconds: float) -> int:
    """How many times the page's script (or a fragment of it) started running while it was
    watched for `seconds`: 0 for a page that no longer redraws itself."""
    page.evaluate(_COUNT_SCRIPT_RUNS)
    page.wait_for_timeout(seconds * 1000)          # (a window to watch, not a wait for)
    return page.evaluate("() => window.__scriptRuns")


def click_and_rerun(page, target) -> None:
    """Click `target` (a locator on `page`) and wait until the rerun the click asks for has
    run on the server (its callbacks too). A click returns once the browser has sent it: what
    another browser sees next may not have changed yet."""
    page.evaluate(_COUNT_SCRIPT_RUNS)
    target.click()
    page.wait_for_function("() => window.__scriptRuns > 0")
    settled(page)


# Findings of axe-core in Streamlit's own markup, which the app cannot change: (axe rule id,
# the Streamlit component, by its data-testid, that the offending element lies in).
STREAMLIT_MARKUP: set[tuple[str, str]] = {
    # The page menu puts its section titles (<div>) straight inside its <ul>, and the <li> of
    # each section's pages inside that <div>, not in a list.
    ("list", "stSidebarNav"),
    ("listitem", "stSidebarNav"),
}
SERIOUS = ("critical", "serious")
_INSIDE = ("([selector, testid]) => "
           "!!document.querySelector(selector)?.closest(`[data-testid=${testid}]`)")


def serious_violations(tab) -> list[str]:
    """axe-core's critical and serious findings that our content causes, one line each
    (needs axe-playwright-python, requirements-dev.txt)."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for violation in Axe().run(tab).response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            if any(rule == violation["id"] and tab.evaluate(_INSIDE, [target, testid])
                   for rule, testid in STREAMLIT_MARKUP):
                continue
            found.append(f"{violation['id']} ({violation['impact']}): {target}: "
                         f"{node.get('failureSummary', '')[:200]}")
    return found

def address(page) -> str:
    """The page's address as the browser has it now (Streamlit rewrites it in place)."""
    return page.evaluate("location.href")


def drawn_vector(page) -> str:
    """The vector behind the explorer's digit as the browser drew it last (static/gan/explorer.js
    writes it on the canvas)."""
    page.wait_for_function("document.querySelector('canvas.gc-digit')?.dataset.z")
    return page.locator("canvas.gc-digit").get_attribute("data-z")


def canvas_pixels(page, selector: str) -> np.ndarray:
    """The grey levels of the first canvas matching `selector`."""
    width, grey = page.evaluate("""(selector) => {
        const c = document.querySelector(selector);
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        return [c.width, Array.from(d.filter((_, i) => i % 4 === 0))];
    }""", selector)
    return np.asarray(grey, np.uint8).reshape(-1, width)


# --- networks with weights of their own -------------------------------------------------------

# The generators the app ships, each with the latent size its presets use.
ARCHITECTURES = {"quick": ("gan", 64), "gan-article": ("gan", 100), "wgan-article": ("wgan", 50)}


def generator(architecture: str, seed: int = 0):
    """A generator (keras.Model) of `architecture` whose BatchNormalizations have statistics
    of their own (fresh ones are the identity, which would hide a wrong fold)."""
    import keras

    from ganlib.models import _mlp_generator, build_generator

    if architecture == "mlp-2d":
        return _mlp_generator(2)
    algorithm, latent_dim = ARCHITECTURES[architecture]
    model = build_generator(make_config(algorithm, "quick", architecture=architecture,
                                        latent_dim=latent_dim))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.gamma.assign(rng.uniform(0.5, 1.5, c))
            layer.beta.assign(rng.normal(0, 0.1, c))
            layer.moving_mean.assign(rng.normal(0, 0.1, c))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, c))
    return model


# --- runs without TensorFlow -------------------------------------------------------------------

def run_snapshot(run_id: str = "run-a", steps: int = 10, **changes) -> RunSnapshot:
    """A running run's snapshot after `steps` steps of 100 (histories, 64 samples), with
    `changes` to its fields."""
    history = {name: np.linspace(0.1, 1.0, steps) for name in
               ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")}
    history.update(step=np.arange(1.0, steps + 1), time=np.arange(steps) * 0.1)
    samples = np.random.default_rng(steps).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    snapshot = RunSnapshot(
        run_id=run_id, config=make_config("gan", "quick", steps=100), status=RunStatus.RUNNING,
        step=steps, elapsed_s=1.0, steps_per_s=10.0, history=history, samples=samples,
        samples_step=steps, dataset_name="digits", dataset_notice=None, num_images=100)
    return dataclasses.replace(snapshot, **changes)


class FakeRun:
    """A run that trains nothing: no TensorFlow, no thread, for tests of what holds runs (the
    registry, the live feed, autosave). It has the `Run` interface; its status follows start,
    pause, resume and stop as a TrainingRun's does, and the test moves the rest: `train()`
    sets the step, `unwatched_s` is how long nobody has looked (what the registry's sweeper
    reads; a snapshot taken with watch=True sets it back to 0). It has built its networks
    (its snapshot has samples), but has no weights: a test hands the registry `record_save`
    as its way to save a job, and `saved` lists the names it was saved as.
    """

    def __init__(self, run_id: str | None = None, owner_id: str | None = None):
        self.run_id = run_id or f"run-{secrets.token_hex(4)}"
        self.owner_id = owner_id
        self.snap = run_snapshot(self.run_id, status=RunStatus.CREATED)
        self.config = self.snap.config
        self.watched = 0                   # snapshots taken with watch=True
        self.unwatched_s = 0.0
        self.saved: list[str] = []

    def _set(self, **changes) -> None:
        self.snap = dataclasses.replace(self.snap, **changes)

    def start(self, paused: bool = False) -> FakeRun:
        self._set(status=RunStatus.PAUSED if paused else RunStatus.RUNNING)
        return self

    def pause(self) -> None:
        if self.snap.status == RunStatus.RUNNING:
            self._set(status=RunStatus.PAUSED)

    def resume(self) -> None:
        if self.snap.status == RunStatus.PAUSED:
            self._set(status=RunStatus.RUNNING)

    def step(self, n: int = 1) -> None:
        self.train(self.snap.step + n, status=self.snap.status)

    def stop(self, timeout: float | None = 30.0) -> None:
        if self.alive:
            self._set(status=RunStatus.STOPPED)

    def wait(self, timeout: float | None = None) -> bool:
        return not self.alive

    def wait_for(self, predicate: Callable[[RunSnapshot], bool], timeout: float = 60.0) -> bool:
        """Nothing changes by itself here: the predicate holds now, or never."""
        return predicate(self.snapshot(watch=False))

    @property
    def alive(self) -> bool:
        return self.snap.active

    def snapshot(self, watch: bool = True) -> RunSnapshot:
        if watch:
            self.watched += 1
            self.unwatched_s = 0.0
        return self.snap

    def generator_weights(self) -> tuple[int, list[np.ndarray]]:
        return self.snap.samples_step, []

    def checkpoint_state(self):
        """A fake run has no networks to copy: what holds it must save through `save`."""
        raise NotBuiltYet()

    def save(self, name: str, root=None, overwrite: bool = True) -> SimpleNamespace:
        """Record the save; what a checkpoint's info would say of it."""
        self.saved.append(name)
        return SimpleNamespace(name=name, path=Path(root or ".") / name, owner=self.owner_id)

    def train(self, step: int, samples_step: int | None = None,
              status: str = RunStatus.RUNNING) -> None:
        """As if the run had trained to `step` (its samples drawn at `samples_step`)."""
        self._set(step=step, status=status, samples_step=samples_step or self.snap.samples_step)


def record_save(job) -> list:
    """A registry's `save_job` for fake runs: each run of `job` is "saved" as its autosave
    name (FakeRun.saved records it); what the registry decides to save is the test's point."""
    return [run.save(autosave_name(run.run_id)) for run in runs_of(job)]
