"""The generators in the student's browser, in real headless Chromium.

- The runner (static/gan/network.js) against Keras on every shipped architecture and the
  digit classifier, from files ganlib.browser_export wrote, served by a plain local HTTP
  server; and the same through the Web Worker (generator.js).
- The Latent explorer: the digit changes while a slider is dragged, before it is let go, and
  the URL learns the new state only afterwards; the keyboard moves a slider and the alt text
  follows; the Interpolation scrubber redraws the frame; a browser without module Web Workers
  gets the server's drawing; a GIF download is still made by the server.

Same launch pattern as tests/test_browser.py (Debian's chromium, skipped without it). The
shared-link test (the same z and the same pixels from a pasted address) is in
tests/test_browser_lesson.py.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import numpy as np
import pytest
from PIL import Image

from ganlib.browser_export import write_network
from ganlib.images import image_grid
from ganlib.latent import latent_vectors
from ganlib.metrics import classifier_for
from ganlib.sampling import Sampler
from tests.helpers import (NEEDS_CHROMIUM, ROOT, address, canvas_pixels, drawn_vector, generator,
                           settled, shoot, wait_until)
from ui.pages import PAGES

pytestmark = NEEDS_CHROMIUM
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (requirements-dev.txt)")

TOLERANCE = 1e-4          # on outputs in [-1, 1] (probabilities in [0, 1])
NETWORKS = ("quick", "gan-article", "wgan-article", "mlp-2d", "classifier")
MODEL = "gan-quick-demo"


# --- the runner against Keras ---------------------------------------------------------------

@pytest.fixture(scope="module")
def networks() -> dict:
    """Each network once: a generator's weights are drawn when it is built."""
    return {name: classifier_for("mnist-10k").model if name == "classifier" else generator(name)
            for name in NETWORKS}


@pytest.fixture(scope="module")
def site(tmp_path_factory, networks):
    """A local web site: the runner's modules under /gan/, each network under /nets/, an empty
    page at /; its address."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "static" / "gan", root / "gan")
    for name in NETWORKS:
        write_network(networks[name], root / "nets", name)
    (root / "index.html").write_text("<!doctype html><title>runner</title>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def runner_page(browser, site):
    page = browser.new_page()
    page.goto(f"{site}/index.html")
    yield page
    page.close()


def inputs(model, count: int = 3) -> np.ndarray:
    x = np.random.default_rng(7).standard_normal((count, *model.input_shape[1:]))
    return np.tanh(x).astype(np.float32) if len(model.input_shape) == 4 else x.astype(np.float32)


@pytest.mark.parametrize("simd", [True, False], ids=["simd", "javascript"])
@pytest.mark.parametrize("name", NETWORKS)
def test_the_runner_computes_what_keras_computes(runner_page, networks, name, simd):
    """With WebAssembly SIMD (Chromium has it) and with the plain JavaScript loops."""
    model = networks[name]
    x = inputs(model)
    got = runner_page.evaluate("""async ([url, x, count, simd]) => {
        const { loadNetwork } = await import("/gan/network.js");
        const { available } = await import("/gan/simd.js");
        if (simd && !available) throw new Error("no WebAssembly SIMD in this browser");
        const net = await loadNetwork(url, { simd });
        return Array.from(net.run(Float32Array.from(x), count));
    }""", [f"/nets/{name}.json", x.ravel().tolist(), len(x), simd])
    want = model(x, training=False).numpy().ravel()
    assert np.abs(np.asarray(got) - want).max() <= TOLERANCE


def test_the_worker_draws_and_classifies(runner_page, networks):
    """generator.js: the networks in a module Web Worker, the classifier on the digits."""
    model, classifier = networks["quick"], classifier_for("mnist-10k")
    z = inputs(model, 2)
    got = runner_page.evaluate("""async ([z]) => {
        const { generatorFor, supported } = await import("/gan/generator.js");
        const g = generatorFor(new URL("/nets/quick.json", location.href).href,
                               new URL("/nets/classifier.json", location.href).href);
        const answer = await g.run(Float32Array.from(z), 2, true);
        return { supported: supported(), images: Array.from(answer.images),
                 probabilities: Array.from(answer.probabilities) };
    }""", [z.ravel().tolist()])
    images = model(z, training=False).numpy()
    assert got["supported"]
    assert np.abs(np.asarray(got["images"]) - images.ravel()).max() <= TOLERANCE
    probabilities = classifier.probabilities(images).ravel()
    assert np.abs(np.asarray(got["probabilities"]) - probabilities).max() <= TOLERANCE


# --- the pages -----------------------------------------------------------------------------

def new_page(browser, init_script: str | None = None):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(90_000)
    return page


def open_explorer(browser, url: str, init_script: str | None = None):
    page = new_page(browser, init_script)
    page.goto(url)
    page.wait_for_selector("h1")
    settled(page)
    return page


def test_the_digit_follows_a_slider_while_it_is_dragged(browser, server):
    page = open_explorer(browser, f"{server}/{PAGES.explorer.url_path}?model={MODEL}&seed=4")
    before, url = drawn_vector(page), address(page)
    slider = page.get_by_label("More like 3", exact=True)
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    seen = [before]
    for step in range(1, 13):
        page.mouse.move(x + 8 * step, y)
        wait_until(lambda: drawn_vector(page) != seen[-1], timeout=30, what="the digit to follow")
        seen.append(drawn_vector(page))
    assert address(page) == url and "like=" not in url          # the server is not told yet
    caption = page.locator(".gc-explorer-digit figcaption").inner_text()
    assert "moved by the sliders" in caption
    assert "moved by the sliders" in page.locator("canvas.gc-digit").get_attribute("aria-label")
    page.mouse.up()
    wait_until(lambda: "like=3" in address(page), timeout=30,
               what=f"the URL to learn the state ({address(page)})")
    assert drawn_vector(page) == seen[-1]
    shoot(page, "explorer-in-the-browser")
    page.context.close()


def test_the_keyboard_moves_a_slider_and_the_alt_text_follows(browser, server):
    page = open_explorer(browser, f"{server}/{PAGES.explorer.url_path}?model={MODEL}&seed=2")
    before = drawn_vector(page)
    alt = page.locator("canvas.gc-digit").get_attribute("aria-label")
    assert alt.startswith("The digit the generator draws from z: Seed 2")
    slider = page.get_by_label("z[0]", exact=True)
    slider.focus()
    for _ in range(10):
        slider.press("ArrowRight")
    wait_until(lambda: drawn_vector(page) != before, timeout=30, what="the digit to change")
    wait_until(lambda: "moved by the sliders" in page.locator("canvas.gc-digit")
               .get_attribute("aria-label"), timeout=30, what="the alt text")
    wait_until(lambda: "z=0" in address(page), timeout=30, what="the URL to learn z[0]")
    page.context.close()


def test_a_browser_without_module_workers_gets_the_servers_drawing(browser, server):
    page = open_explorer(browser, f"{server}/{PAGES.explorer.url_path}?model={MODEL}",
                         init_script="delete window.Worker;")
    page.get_by_text("Your browser cannot run the generator").wait_for()
    page.locator("[data-testid='stSlider']", has_text="More like 3").wait_for()
    settled(page)
    assert page.locator(".st-key-explorer-digit [data-testid='stImage'] img").count() == 1
    assert not page.locator("canvas.gc-digit").count()
    assert not page.locator("[data-testid='stException']").count()
    page.context.close()


def test_the_interpolation_scrubber_redraws_the_frame_at_t(browser, server):
    page = open_explorer(browser, f"{server}/{PAGES.interpolation.url_path}?model={MODEL}"
                                  f"&seeds=3,17&size=small")
    frame = ".gc-interpolation-animations canvas"
    page.locator(frame).first.wait_for()
    scrub = page.get_by_label("Where on the path: t", exact=True)
    scrub.focus()
    shown = {}
    for key, t in (("End", "1.00"), ("Home", "0.00")):        # from wherever it plays

        def pressed_and_drawn() -> bool:
            # Pressed again until the frame shows it: a key pressed before the page's module
            # listens is lost, and End or Home twice lands where once does.
            scrub.press(key)
            return f"t = {t}" in (page.locator(frame).first.get_attribute("aria-label") or "")

        wait_until(pressed_and_drawn, timeout=60, what=f"the frame at t = {t}", every_s=0.5)
        shown[t] = canvas_pixels(page, frame)
    assert np.abs(shown["0.00"].astype(int) - shown["1.00"].astype(int)).mean() > 1
    sampler = Sampler.from_checkpoint(ROOT / "checkpoints" / MODEL)
    for t, seed in (("0.00", 3), ("1.00", 17)):                     # the stops' own digits
        want = image_grid(sampler.generate(latent_vectors(seed, 1, sampler.latent_dim)),
                          scale=8)
        assert np.abs(shown[t].astype(int) - want.astype(int)).max() <= 1
    assert page.get_by_role("button", name="Play").count() == 1     # scrubbing paused it
    page.context.close()


def test_the_downloads_are_made_by_the_server_when_asked_for(browser, server):
    """The browser draws the animations; a GIF download is still the server's, of the path
    in the address."""
    page = open_explorer(browser, f"{server}/{PAGES.interpolation.url_path}?model={MODEL}"
                                  f"&seeds=3,17&steps=6&method=linear&size=small")
    page.locator(".gc-interpolation-animations canvas").first.wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="GIF").first.click()
    gif = Image.open(download.value.path())
    assert gif.size == (28 * 8, 28 * 8) and gif.n_frames == 2 * 6 - 2      # back and forth
    page.context.close()
