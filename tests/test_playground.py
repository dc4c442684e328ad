"""The 2D playground: its data, its Playground, and its page (through AppTest)."""

from __future__ import annotations

import gc
import io
import math
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
import streamlit as st
import tensorflow as tf
from streamlit.testing.v1 import AppTest

from ganlib import playground as pg
from ganlib.errors import ConfigError, DataError
from ganlib.gans import ModelPool
from ganlib.server.shared import release_all
from ui.pages import PAGES


# --- real data --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, modes", [("ring", 8), ("grid", 25), ("spiral", None)])
def test_mixtures_have_their_shape_and_modes(name, modes):
    points = pg.mixture(name, n=1000, seed=3)
    assert points.shape == (1000, 2) and points.dtype == np.float32
    assert np.abs(points).max() < 1.4                       # inside the playground's square
    np.testing.assert_array_equal(points, pg.mixture(name, n=1000, seed=3))
    assert not np.array_equal(points, pg.mixture(name, n=1000, seed=4))
    found = pg.mixture_modes(name)
    if modes is None:
        assert found is None
        return
    assert found.centers.shape == (modes, 2)
    # Every point belongs to a mode, and the real data covers every mode.
    distances = np.linalg.norm(points[:, None] - found.centers[None], axis=-1).min(axis=1)
    assert (distances < 5 * found.std).all()
    assert pg.modes_covered(points, found) == modes


def test_ring_modes_lie_on_the_unit_circle():
    centers = pg.mixture_modes("ring").centers
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=1e-6)


def test_a_single_mode_covers_one_and_points_between_modes_cover_none():
    ring = pg.mixture_modes("ring")
    rng = np.random.default_rng(0)
    one_mode = ring.centers[2] + ring.std * rng.standard_normal((500, 2))
    assert pg.modes_covered(one_mode, ring) == 1
    between = (ring.centers + np.roll(ring.centers, 1, axis=0)) / 2      # arc midpoints
    assert pg.modes_covered(between, ring) == 0


def test_unknown_mixture_names_the_choices():
    with pytest.raises(ConfigError, match="ring, grid, spiral"):
        pg.mixture("moons")


def test_csv_upload_with_header_is_rescaled_to_the_square():
    rng = np.random.default_rng(1)
    raw = rng.uniform([10, -4], [30, 6], (200, 2))           # 20 wide, 10 tall
    text = "x,y\n" + "\n".join(f"{x},{y}" for x, y in raw) + "\n\n"
    points = pg.points_from_upload(text)
    assert points.shape == (200, 2) and points.dtype == np.float32
    assert points[:, 0].min() == pytest.approx(-1) and points[:, 0].max() == pytest.approx(1)
    assert np.abs(points[:, 1]).max() < 0.51                # the shape is kept, not stretched
    # The same points as bytes, and as a .npy file, give the same result.
    np.testing.assert_allclose(pg.points_from_upload(text.encode()), points)
    buffer = io.BytesIO()
    np.save(buffer, raw)
    np.testing.assert_allclose(pg.points_from_upload(buffer.getvalue()), points, atol=1e-6)


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    ("\n".join(f"{i},{i},{i}" for i in range(30)), "exactly 2"),
    ("\n".join(f"{i},{i}" for i in range(5)), "5 points.*from 20"),
    ("x,y\n1,2\nthree,4\n" + "\n".join(f"{i},{i}" for i in range(30)), "Line 3"),
    ("\n".join(f"{i},{'nan' if i == 7 else i}" for i in range(30)), "NaN"),
    ("\n".join("1,1" for _ in range(30)), "same point"),
    (b"\xff\xfe\x00garbage", "neither a .npy"),
    (_npy(np.zeros((30, 3))), "exactly 2 columns"),
    (_npy(np.array([{"a": 1}] * 30, dtype=object), allow_pickle=True), "cannot be read"),
])
def test_bad_uploads_say_what_is_wrong(data, message):
    with pytest.raises(DataError, match=message):
        pg.points_from_upload(data)


def test_drawn_points_are_validated_but_not_moved():
    pairs = [(0.1 * i, -0.05 * i) for i in range(25)]
    selection = [{"x": x, "y": y, "point_index": i} for i, (x, y) in enumerate(pairs)]
    np.testing.assert_allclose(pg.points_from_list(pairs), pairs, atol=1e-6)
    np.testing.assert_allclose(pg.points_from_list(selection), pairs, atol=1e-6)
    with pytest.raises(DataError, match="larger area"):
        pg.points_from_list(pairs[:3])
    with pytest.raises(DataError, match="x and a y"):
        pg.points_from_list([{"x": 1.0}] * 25)


# --- the Playground -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ring_gan() -> pg.Playground:
    settings = replace(pg.default_settings("gan"), batch_size=16, seed=5)
    return pg.Playground("gan", pg.mixture("ring", n=200), settings, pg.mixture_modes("ring"))


@pytest.fixture
def gan(ring_gan):
    """The module's GAN playground, back at step 0 for each test."""
    ring_gan.reset()
    return ring_gan


def weights(model) -> list[np.ndarray]:
    return [w.numpy().copy() for w in model.weights]


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


def test_defaults_make_valid_configs_with_the_2d_networks():
    for algorithm in ("gan", "wgan", "wgan-gp"):
        config = pg.default_settings(algorithm).config(algorithm)
        assert config.architecture == "mlp-2d" and config.algorithm == algorithm
    assert pg.default_settings("wgan").config("wgan").n_critic == 5
    with pytest.raises(ConfigError, match="g_updates_per_step"):
        replace(pg.default_settings("gan"), g_updates_per_step=0).config("gan")


def test_history_keeps_the_rules_losses_and_scores_not_the_gradient_norms():
    settings = replace(pg.default_settings("wgan-gp"), batch_size=16)
    model = pg.Playground("wgan-gp", pg.mixture("ring", n=200), settings)
    model.step(2)
    history = model.history.arrays()
    assert tuple(history) == ("step", "time", "d_loss", "g_loss", "d_real", "d_fake",
                              "wasserstein", "gp")
    assert all(np.isfinite(history[name]).all() for name in model.metric_names)


def test_step_moves_the_generated_points_and_grows_the_history(gan):
    before = gan.samples(50)
    gan.step(3)
    assert gan.step_count == 3 and len(gan.history) == 3
    history = gan.history.arrays()
    np.testing.assert_array_equal(history["step"], [1, 2, 3])
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    assert not np.allclose(gan.samples(50), before)
    # The same fixed noise every time: asking twice gives the same points.
    np.testing.assert_array_equal(gan.samples(50), gan.samples(50))


def test_train_discriminator_changes_only_the_discriminator(gan):
    g, d = weights(gan.gan.generator), weights(gan.gan.discriminator)
    gan.train_discriminator()
    assert not changed(g, weights(gan.gan.generator))
    assert changed(d, weights(gan.gan.discriminator))
    last = gan.history.last()
    assert math.isfinite(last["d_loss"]) and math.isnan(last["g_loss"])


def test_train_generator_changes_only_the_generator(gan):
    g, d = weights(gan.gan.generator), weights(gan.gan.discriminator)
    gan.train_generator()
    assert changed(g, weights(gan.gan.generator))
    assert not changed(d, weights(gan.gan.discriminator))
    last = gan.history.last()
    assert math.isnan(last["d_loss"]) and math.isfinite(last["g_loss"])


def test_updates_per_step_count_each_network(gan):
    gan.adjust(d_updates_per_step=3, g_updates_per_step=2)
    d_iterations = int(gan.gan.d_optimizer.iterations.numpy())
    g_iterations = int(gan.gan.g_optimizer.iterations.numpy())
    gan.step(2)
    assert int(gan.gan.d_optimizer.iterations.numpy()) == d_iterations + 6
    assert int(gan.gan.g_optimizer.iterations.numpy()) == g_iterations + 4
    gan.adjust(d_updates_per_step=1, g_updates_per_step=1)


def test_adjust_changes_learning_rates_in_place_and_validates(gan):
    gan.adjust(d_lr=5e-4)
    assert float(gan.gan.d_optimizer.learning_rate.numpy()) == pytest.approx(5e-4)
    with pytest.raises(ConfigError, match="d_updates_per_step"):
        gan.adjust(d_updates_per_step=11)
    assert gan.settings.d_updates_per_step == 1                # unchanged after the error
    gan.adjust(d_lr=pg.default_settings("gan").d_lr)


def test_reset_returns_to_the_first_step(gan):
    start = gan.samples()
    gan.step(4)
    gan.reset()
    assert gan.step_count == 0 and len(gan.history) == 0
    np.testing.assert_array_equal(gan.samples(), start)
    gan.step(1)
    after_one = gan.samples()
    gan.reset()
    gan.step(1)
    np.testing.assert_allclose(gan.samples(), after_one, atol=1e-6)   # same batches again


def test_a_new_playground_reuses_a_freed_model_and_starts_as_a_new_one(monkeypatch):
    monkeypatch.setattr(pg, "MODEL_POOL", ModelPool())
    settings = replace(pg.default_settings("gan"), batch_size=16, seed=7)
    points = pg.mixture("ring", n=200)
    first = pg.Playground("gan", points, settings)
    start = first.samples()
    first.step(3)
    after_three = first.samples()
    first.adjust(d_lr=5e-4)
    model, compiled = first.gan, first.gan.playground_functions
    del first                                        # a session left, or rebuilt its playground
    gc.collect()
    assert pg.MODEL_POOL.idle_count() == 1
    second = pg.Playground("gan", points, settings)
    assert second.gan is model and second.gan.playground_functions is compiled   # no new graph
    assert pg.MODEL_POOL.idle_count() == 0
    np.testing.assert_array_equal(second.samples(), start)
    assert float(second.gan.d_optimizer.learning_rate.numpy()) == pytest.approx(settings.d_lr)
    second.step(3)
    np.testing.assert_allclose(second.samples(), after_three, atol=1e-6)


def test_the_gate_lets_one_playground_compute_at_a_time():
    gate, inside, most = pg.ComputeGate(share=1.0), [], []

    def call() -> None:
        with gate.turn():
            inside.append(1)
            most.append(len(inside))
            time.sleep(0.02)
            inside.pop()

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == [1, 1, 1]
    with pytest.raises(ValueError, match="share"):
        pg.ComputeGate(share=0)


class FakeClock:
    """time.monotonic and time.sleep of a clock that moves only when slept on."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_gate_keeps_playgrounds_within_their_share_after_a_burst(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(pg, "time", clock)
    gate = pg.ComputeGate(share=0.25, burst_s=0.1)

    def call(seconds: float) -> float:
        """The wait before a call of `seconds`."""
        asked = clock.now
        with gate.turn():
            waited = clock.now - asked
            clock.sleep(seconds)
        return waited

    assert [call(0.05), call(0.05)] == [0.0, 0.0]               # a frame within the burst
    assert call(0.1) == 0.0             # 25 ms left of the budget: this overdraws it by 75
    # ... of which 25 ms refilled during the call; the other 50 take 0.2 s at a quarter.
    assert call(0.0) == pytest.approx(0.2)
    started = clock.now
    for _ in range(20):                                         # playing on and on
        call(0.05)
    assert clock.now - started >= 19 * 0.05 / 0.25 - 1e-9      # a quarter of the time


def test_every_computation_of_a_playground_goes_through_the_gate(gan, monkeypatch):
    turns = []

    class CountingGate(pg.ComputeGate):
        def turn(self):
            turns.append(1)
            return super().turn()

    monkeypatch.setattr(pg, "COMPUTE_GATE", CountingGate(share=1.0))
    gan.step(2)
    gan.train_discriminator()
    gan.samples(10)
    gan.field(5)
    gan.generator_gradients(np.zeros((3, 2), np.float32))
    assert len(turns) == 5


def test_field_is_the_discriminator_probability_on_a_grid(gan):
    xs, ys, values = gan.field(grid_size=7, bounds=(-1.0, 1.0))
    assert xs.shape == ys.shape == (7,) and values.shape == (7, 7)
    assert xs[0] == -1.0 and xs[-1] == 1.0
    point = np.array([[xs[2], ys[5]]], np.float32)                  # values[5, 2]
    expected = tf.sigmoid(gan.gan.discriminator(point)).numpy()[0, 0]
    assert values[5, 2] == pytest.approx(expected, abs=1e-5)
    assert ((values > 0) & (values < 1)).all()


def test_generator_gradients_point_uphill_on_the_discriminator(gan):
    gan.step(20)
    points = gan.samples(40)
    push = gan.generator_gradients(points)
    assert push.shape == (40, 2)
    moved = points + 1e-3 * push / np.linalg.norm(push, axis=1, keepdims=True)
    before = gan.gan.discriminator(points).numpy()[:, 0]
    after = gan.gan.discriminator(moved).numpy()[:, 0]
    assert (after > before).mean() > 0.9          # D(x) rises where the generator pushes


def test_mode_coverage_counts_the_generated_points(gan):
    covered, total = gan.mode_coverage()
    assert total == 8
    assert covered == pg.modes_covered(gan.samples(), pg.mixture_modes("ring"))


# --- the page -----------------------------------------------------------------------------------

@pytest.fixture
def page(open_app):
    release_all()
    st.cache_resource.clear()
    yield open_app(PAGES.playground, timeout=90)
    release_all()
    st.cache_resource.clear()


def shown_step(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "Step").replace(",", ""))


def test_page_trains_step_by_step_and_resets(page):
    at = page
    assert shown_step(at) == 0
    assert next(m.value for m in at.metric if m.label == "Modes covered").endswith("of 8")
    assert at.get("vega_lite_chart")                       # the map is drawn before any step
    model = at.session_state["pg-model"][1]
    start = model.samples(20)

    at.button(key="pg-step").click().run()
    assert not at.exception and shown_step(at) == 1
    assert not np.allclose(model.samples(20), start)

    d_before = weights(model.gan.discriminator)
    g_before = weights(model.gan.generator)
    at.button(key="pg-train-d").click().run()
    assert shown_step(at) == 2
    assert changed(d_before, weights(model.gan.discriminator))
    assert not changed(g_before, weights(model.gan.generator))

    at.button(key="pg-play").click().run()                 # each rerun is one frame of steps
    at.run()
    assert shown_step(at) >= 2 + 2 * at.select_slider(key="pg-speed").value
    at.button(key="pg-play").click().run()                 # pause
    paused_at = shown_step(at)
    at.run()
    assert shown_step(at) == paused_at

    at.button(key="pg-reset").click().run()
    assert shown_step(at) == 0
    np.testing.assert_array_equal(model.samples(20), start)
    assert at.session_state["pg-model"][1] is model        # reset reuses the networks


def test_page_rebuilds_for_a_new_algorithm_and_keeps_it_across_reruns(page):
    at = page
    first = at.session_state["pg-model"][1]
    at.selectbox(key="pg-algorithm").select("wgan-gp").run()
    assert not at.exception
    model = at.session_state["pg-model"][1]
    assert model is not first and model.algorithm == "wgan-gp"
    assert at.number_input(key="pg-d_updates_per_step").value == 5     # its defaults
    at.text_input(key="pg-g_lr").set_value("5e-4").run()                # changed in place
    assert at.session_state["pg-model"][1] is model
    assert model.settings.g_lr == pytest.approx(5e-4)
    at.selectbox(key="pg-data").select("spiral").run()           # no modes to count
    assert at.session_state["pg-model"][1].mode_coverage() is None
    assert [m.value for m in at.metric if m.label == "Real points"] == ["2,000"]
