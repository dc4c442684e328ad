"""The benchmarks run, on tiny settings, and their report holds what it promises.

No benchmark is measured here: every section runs for a few steps or seconds (the article
loops on the small Quick networks), and the tests check what the code computes and writes,
never how fast anything was.
"""

from __future__ import annotations

import dataclasses
import json
import time

import keras
import numpy as np
import pytest

from benchmarks.article_loops import (GANArticleLoop, WGANArticleLoop, compare_article_loops,
                                      forward_macs, iteration_flops)
from benchmarks.explorer import class_cost, verdicts
from benchmarks.memory import memory_probe, rss_mb, runs_probe
from benchmarks.report import PLOTS, write_report
from benchmarks.run import QUICK, SECTIONS, run_benchmarks
from benchmarks.throughput import preset_throughput
from benchmarks.time_to_quality import (TARGETS, QualityTarget, on_grid, time_to_quality,
                                        time_to_target)
from benchmarks.watchers import cost_of_watchers, page_updates, render_cost, summarize_windows
from benchmarks.watching import browser_unavailable, cost_of_watching, measure_counter, parse_step
from ganlib.config import make_config
from ganlib.data import load_dataset


# --- sections on tiny settings (shared by the report tests) ---------------------------------

@pytest.fixture(scope="module")
def articles() -> dict:
    return {article: compare_article_loops(article, steps=2, repetitions=1, warmup=1,
                                           profile_steps=1, architecture="quick")
            for article in ("gan", "wgan")}


@pytest.fixture(scope="module")
def presets() -> dict:
    return preset_throughput("quick", steps=5, repetitions=2, warmup=1,
                             algorithms=("gan", "wgan"))


@pytest.fixture(scope="module")
def quality() -> dict:
    return time_to_quality(seeds=1, seconds=3.0, evaluate_every_s=0.5,
                           algorithms=("gan", "wgan-gp"))


@pytest.fixture(scope="module")
def memory() -> dict:
    return memory_probe(steps=20, every=5, warmup_steps=10, batch_size=8)


@pytest.fixture(scope="module")
def runs() -> dict:
    return runs_probe(cycles=3, steps=2, every=1)


@pytest.fixture(scope="module")
def watching() -> dict:
    return cost_of_watching(repetitions=1, slider_calls=3, browser=False)


def test_article_comparison_times_both_arms_on_the_same_work(articles):
    gan, wgan = articles["gan"], articles["wgan"]
    assert gan["images_per_iteration"] == 8                   # the GAN article's batch
    assert wgan["images_per_iteration"] == 5 * 32             # n_critic x half batch
    for result in (gan, wgan):
        article_rate = result["article_loop"]["iterations_per_s"]["values"]
        ganlib_rate = result["ganlib"]["iterations_per_s"]["values"]
        assert len(article_rate) == len(ganlib_rate) == 1
        assert result["ratio"]["values"] == pytest.approx([ganlib_rate[0] / article_rate[0]])
        assert result["article_loop"]["images_per_s"]["median"] == pytest.approx(
            article_rate[0] * result["images_per_iteration"])
        assert result["met"] == (result["ratio"]["median"] >= result["target"])
        profile = result["anatomy"]["profile"]
        for arm in ("article", "ganlib"):
            parts = profile[arm]
            assert parts["total_ms"] == pytest.approx(
                parts["graph_ms"] + parts["eager_ops_ms"] + parts["python_ms"])
            assert parts["graph_ms"] > 0
        fixed = result["anatomy"]["fixed_cost"]
        assert fixed["per_iteration_ms"] == pytest.approx(
            fixed["predict_ms"] * fixed["calls_per_iteration"]["predict"]
            + fixed["train_on_batch_ms"] * fixed["calls_per_iteration"]["train_on_batch"])
    assert set(gan["anatomy"]["calls_ms"]) == {
        "generator.predict", "discriminator.train_on_batch (real)",
        "discriminator.train_on_batch (fake)", "GAN_model.train_on_batch"}


def test_flop_count_of_an_iteration_follows_the_layers_and_the_updates(articles):
    from ganlib.gans import build_gan
    model = build_gan(make_config("gan", "quick"))
    # Dense 64 -> 7x7x64; ConvT 4x4 64 -> 32 from 7x7; ConvT 4x4 32 -> 1 from 14x14.
    assert forward_macs(model.generator) == 64 * 3136 + 49 * 16 * 64 * 32 + 196 * 16 * 32
    # Conv 4x4 1 -> 32 to 14x14; Conv 4x4 32 -> 64 to 7x7; Dense 3136 -> 1.
    assert forward_macs(model.discriminator) == 196 * 16 * 32 + 49 * 16 * 32 * 64 + 3136
    g, d, b = forward_macs(model.generator), forward_macs(model.discriminator), 32
    assert iteration_flops(model) == 2 * (b * (g + 6 * d) + b * (3 * g + 2 * d))
    arithmetic = articles["gan"]["anatomy"]["arithmetic"]
    assert arithmetic["gflop_per_iteration"] > 0 and arithmetic["peak_gflops"] > 0


def _article_loop(article: str):
    """The article's loop alone, on the small networks (no ganlib arm to build)."""
    config = make_config(article, "article", architecture="quick")
    loop_class = GANArticleLoop if article == "gan" else WGANArticleLoop
    return loop_class(config, load_dataset(config.dataset, config.digits).images)


def test_gan_article_loop_trains_d_and_g_with_the_articles_sigmoid():
    loop = _article_loop("gan")
    assert loop.discriminator.layers[-1].get_config()["activation"] == "sigmoid"
    before_d = [w.numpy().copy() for w in loop.discriminator.weights]
    before_g = [w.numpy().copy() for w in loop.generator.weights]
    loop(1)
    assert any((a != b.numpy()).any() for a, b in zip(before_d, loop.discriminator.weights))
    assert any((a != b.numpy()).any() for a, b in zip(before_g, loop.generator.weights))


def test_wgan_article_loop_clips_the_critics_kernels_and_trains_all_of_it():
    loop = _article_loop("wgan")
    critic = loop.c_model
    before = [w.numpy().copy() for w in critic.weights]
    loop(1)
    # Every critic weight moved (Keras 3 would freeze the convolutions without the toggle)...
    assert all((a != b.numpy()).any() for a, b in zip(before, critic.weights))
    # ...and the convolution kernels (only they) carry the article's clip constraint.
    for layer in critic.layers:
        if isinstance(layer, keras.layers.Conv2D):
            assert np.abs(layer.kernel.numpy()).max() <= 0.01 + 1e-7
    assert np.abs(critic.layers[-1].kernel.numpy()).max() > 0.01    # Dense: not clipped


def test_time_to_quality_records_scores_against_wall_clock_time(quality):
    for algorithm, preset in quality["presets"].items():
        (run,) = preset["runs"]
        series = run["series"]
        lengths = {len(values) for values in series.values()}
        assert len(lengths) == 1 and lengths.pop() >= 2              # at start and at the end
        assert series["wall_s"] == sorted(series["wall_s"])
        # Scored once the networks are built (step 0) and once more as the run stops.
        assert series["step"][0] == 0 and series["step"][-1] == run["steps"]
        assert run["status"] == "stopped"
        assert series["fd_ratio"] == pytest.approx(
            [fd / base for fd, base in zip(series["fd"], series["fd_baseline"])])
        # Timed against every target that names the preset, and only those.
        mine = [target for target in TARGETS if algorithm in target.presets]
        assert run["time_to_target_s"] == {target.name: time_to_target(series, target)
                                           for target in mine}


def test_every_quick_preset_is_judged_by_the_issue_target_and_the_gan_by_its_own_too(quality):
    # Issue 12: every Quick preset, >= 9 classes and FD <= 15x within 60 s, every seed.
    quick, strict = quality["targets"]
    assert (quick["name"], quick["min_classes"], quick["fd_factor"], quick["seconds"]) == (
        "quick", 9, 15.0, 60.0)
    assert set(quick["results"]) == {"gan", "wgan-gp"}          # the presets measured here
    assert (strict["min_classes"], strict["fd_factor"]) == (10, 10.0)
    assert set(strict["results"]) == {"gan"}
    for target in quality["targets"]:
        for algorithm, result in target["results"].items():
            (run,) = quality["presets"][algorithm]["runs"]
            seconds = run["time_to_target_s"][target["name"]]
            assert result["time_to_target_s"] == [seconds]
            assert result["reached"] == (seconds is not None)
            assert result["met"] == (seconds is not None and seconds <= target["seconds"])
        assert target["met"] == all(r["met"] for r in target["results"].values())


def test_time_to_target_needs_enough_classes_and_a_small_fd():
    series = {"wall_s": [1.0, 2.0, 3.0, 4.0, 5.0], "classes_covered": [10, 8, 9, 10, 10],
              "classes_present": [10, 10, 10, 10, 10], "fd": [500.0, 40.0, 80.0, 90.0, 50.0],
              "fd_baseline": [7.0] * 5, "confident": [0.5] * 5}
    nine = QualityTarget("nine", min_classes=9, fd_factor=12.0, seconds=60.0, presets=("gan",))
    ten = QualityTarget("ten", min_classes=10, fd_factor=10.0, seconds=60.0, presets=("gan",))
    assert time_to_target(series, nine) == 3.0         # 2.0 has 8 classes; 3.0: 9, 80 <= 84
    assert time_to_target(series, ten) == 5.0          # 4.0 has FD 90 > 70
    series["fd"][4] = 71.0
    assert time_to_target(series, ten) is None
    # Data of fewer classes than the target asks: all of them will do.
    few = {**series, "classes_covered": [3] * 5, "classes_present": [3] * 5}
    assert time_to_target(few, nine) == 2.0
    assert nine.label() == ">= 9 classes and FD <= 12x baseline"


def test_on_grid_holds_the_latest_score_and_is_nan_before_the_first():
    runs = [{"series": {"wall_s": [1.0, 3.0], "fd_ratio": [50.0, 5.0]}},
            {"series": {"wall_s": [], "fd_ratio": []}}]
    values = on_grid(runs, "fd_ratio", np.array([0.0, 1.0, 2.0, 3.5]))
    assert np.isnan(values[0, 0]) and values[0, 1:].tolist() == [50.0, 50.0, 5.0]
    assert np.isnan(values[1]).all()


def test_memory_probe_reads_resident_memory_every_few_steps(memory):
    steps = [sample["step"] for sample in memory["samples"]]
    assert steps[-1] == 20 and len(steps) == 4 and steps == sorted(steps)
    assert all(sample["rss_mb"] > 10 for sample in memory["samples"])
    warm = next(s["rss_mb"] for s in memory["samples"] if s["step"] >= 10)
    assert memory["growth_after_warmup_mb"] == pytest.approx(
        memory["samples"][-1]["rss_mb"] - warm)
    assert memory["met"] == (memory["growth_after_warmup_mb"] < memory["target_growth_mb"])


def test_rss_mb_reads_vmrss(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmPeak:\t  9999 kB\nVmRSS:\t    2048 kB\n")
    assert rss_mb(status) == pytest.approx(2048 * 1024 / 1e6)
    assert rss_mb() > 0                                         # this very process


def test_parse_step_reads_the_train_pages_step_metric():
    assert parse_step("1,234 / 2,000") == (1234, 2000)
    assert parse_step("7") == (7, None)
    with pytest.raises(ValueError):
        parse_step("starting")


def test_measure_counter_counts_steps_between_two_changes():
    started = time.monotonic()

    def counter() -> tuple[int, None]:                          # 200 steps per second
        return int((time.monotonic() - started) * 200), None
    result = measure_counter(counter, warmup_s=0.0, seconds=0.2, poll_s=0.001)
    assert result["steps"] > 0 and result["window_s"] >= 0.2
    assert result["steps_per_s"] == pytest.approx(result["steps"] / result["window_s"])


def test_measure_counter_ends_the_window_before_the_run_ends():
    started = time.monotonic()

    def counter() -> tuple[int, int]:                           # reaches 90% of 100 at 0.45 s
        return int((time.monotonic() - started) * 200), 100
    result = measure_counter(counter, warmup_s=0.0, seconds=30.0, poll_s=0.001)
    assert result["window_s"] < 5


def test_preset_throughput_blocks_hold_the_same_number_of_updates(presets):
    gan, wgan = presets["algorithms"]["gan"], presets["algorithms"]["wgan"]
    assert (gan["n_critic"], wgan["n_critic"]) == (make_config("gan", "quick").n_critic,
                                                   make_config("wgan", "quick").n_critic)
    for result in (gan, wgan):
        assert result["steps_per_s"]["n"] == 2
        assert result["images_per_s"]["values"] == pytest.approx(
            [r * result["batch_size"] * result["n_critic"]
             for r in result["steps_per_s"]["values"]])


def test_watching_without_a_browser_says_so_and_times_the_slider(watching):
    assert "browser=False" in watching["browser_skipped"]
    assert "share" not in watching
    slider = watching["slider"]
    assert set(slider["architectures"]) == {"quick", "gan-article"}
    for result in slider["architectures"].values():
        assert result["n"] == 3 and 0 < result["min"] <= result["median"] <= result["max"]


# --- the report ---------------------------------------------------------------------------------

def _results(sections: dict) -> dict:
    from benchmarks.report import machine_info
    return {"command": "python -m benchmarks --quick", "mode": "quick",
            "date": "2025-01-01 00:00 UTC", "settings": dataclasses.asdict(QUICK),
            "machine": machine_info(), "sections": sections, "section_seconds": {},
            "duration_s": 60.0}


def window(watchers: int, steps_per_s: float, server_cpu: float, training_cpu: float,
           updates: float | None = None) -> dict:
    """A measured window of the watchers section, as measure_window returns it."""
    pages = None if updates is None else {"median": updates, "min": updates, "max": updates}
    return {"watchers": watchers, "steps_per_s": steps_per_s, "server_cpu": server_cpu,
            "thread_cpu": {"100": training_cpu, "101": 0.01}, "updates_per_s": pages,
            "grid_updates_per_s": pages, "longest_gap_s": pages and {"max": 1.2},
            "server_core_busy": 1.0, "browser_core_busy": 0.3}


def test_watchers_cost_is_the_servers_cpu_outside_training_per_watcher():
    windows = [window(0, 50.0, 1.0, 0.95), window(2, 48.0, 1.0, 0.91, updates=1.0),
               window(4, 46.0, 1.0, 0.87, updates=0.95), window(0, 50.0, 1.0, 0.95)]
    summary = summarize_windows(windows)
    assert summary["training_threads"] == 1               # thread 101 worked too little
    assert summary["baseline_steps_per_s"] == 50.0
    assert [w["watchers_cpu"] for w in windows] == pytest.approx([0.0, 0.04, 0.08, 0.0])
    assert summary["core_share_per_watcher"] == pytest.approx(0.02)
    assert summary["class_core_share"] == pytest.approx(0.6)
    assert windows[2]["training_lost"] == pytest.approx(0.08)
    assert summary["slowest_updates_per_s"] == 0.95 and not summary["met"]
    with pytest.raises(ValueError, match="start with 0"):
        cost_of_watchers(counts=(1, 5))


def test_render_cost_times_each_way_for_every_viewer():
    cost = render_cost(viewers=3, refreshes=2, history_rows=100)
    assert cost["viewers"] == 3 and cost["refreshes"] == 2
    for way in ("per viewer", "shared"):
        assert cost[way]["cores"] > 0
        assert cost[way]["ms_per_viewer"] == pytest.approx(1e3 * cost[way]["cores"] / 3)


def test_page_updates_count_changes_and_the_longest_gap():
    records = [{"steps": [0.0, 1000.0, 2000.0, 4500.0], "grids": [0.0, 2000.0]},
               {"steps": [], "grids": []}]
    updates = page_updates(records, seconds=5.0)
    assert updates["updates_per_s"] == {"median": 0.4, "min": 0.0, "max": 0.8}
    assert updates["longest_gap_s"]["min"] == 2.5 and updates["longest_gap_s"]["max"] == 5.0
    assert updates["grid_updates_per_s"]["max"] == 0.4


@pytest.mark.skipif(browser_unavailable() is not None, reason="needs Chromium and Playwright")
def test_watchers_section_measures_a_real_watcher(tmp_path):
    tiny = dataclasses.replace(QUICK, watcher_counts=(0, 1), watcher_warmup_s=1.0,
                               watcher_seconds=3.0, render_refreshes=1, player_seconds=2.0)
    results = run_benchmarks(tiny, tmp_path, sections=("watchers",), progress=lambda _: None)
    watchers = results["sections"]["watchers"]
    assert "error" not in watchers, watchers.get("error")
    assert [w["watchers"] for w in watchers["windows"]] == [0, 1, 0]
    watched = watchers["windows"][1]
    assert watched["steps_per_s"] > 0 and watched["server_cpu"] > 0
    assert watched["updates_per_s"]["min"] > 0                 # the page saw the run move
    assert watchers["players"]["windows"][0]["arm"] == "nobody"
    text = (tmp_path / "README.md").read_text()
    assert "### Cost of a class of watchers" in text and "watchers on the watch link" in text


def explorer_windows() -> list[dict]:
    """Windows of no student, ten dragging, none again: thread "t" trains, "s" serves."""
    def window(students: int, steps: float, serving: float) -> dict:
        return {"students": students, "seconds": 10.0, "steps_per_s": steps,
                "server_cpu": 0.9 + serving, "thread_cpu": {"t": 0.9, "s": serving},
                "drags": 40 * (students > 0), "load_average": 1.0}
    return [window(0, 50.0, 0.01), window(10, 48.0, 0.03), window(0, 50.0, 0.01)]


def test_a_class_dragging_costs_the_servers_cpu_outside_training():
    windows = explorer_windows()
    cost = class_cost(windows)
    assert cost["training_threads"] == 1                       # "s" did under 5 %
    assert cost["class_core_share"] == pytest.approx(0.02)
    assert cost["training_kept"] == pytest.approx(0.96)
    assert cost["drags_per_s"] == pytest.approx(4.0)
    assert [w["serving_cpu"] for w in windows] == pytest.approx([0.01, 0.03, 0.01])


def measured_explorer() -> dict:
    """An explorer section as a run with Chromium reports it (the numbers made up)."""
    windows = explorer_windows()
    latency = {model: {"moves": 300, "moves_per_s": 55.0, "pictures": 290, "median_ms": ms,
                       "p90_ms": 2 * ms, "digit_median_ms": ms / 2, "digit_p90_ms": ms,
                       "load_average": 1.0}
               for model, ms in (("gan-quick-demo", 6.0), ("gan-article-untrained", 40.0),
                                 ("wgan-article-untrained", 30.0))}
    section = {"skipped": None, "server_cpus": "0", "browser_cpus": "1", "moves": 300,
               "move_ms": 16, "students": 10, "warmup_s": 5.0, "seconds": 20.0,
               "drag": {"move_ms": 33, "drag_s": 1.5, "rest_s": 1.0},
               "targets": {"quick_ms": 20.0, "article_ms": 100.0, "class_core": 0.05,
                           "training": 0.95, "first_open_bytes": 2_000_000},
               "load_average": [1.0, 1.1], "latency": latency,
               "first_open": {"files": {"gan/network.js": 11_000}, "bytes": 1_400_000},
               "class": {"windows": windows, **class_cost(windows)}}
    return {**section, **verdicts(section)}


def test_runs_probe_reads_memory_after_the_first_and_every_few_runs(runs):
    assert [r["cycle"] for r in runs["readings"]] == [1, 2, 3]
    assert runs["growth_mb"] == pytest.approx(
        runs["readings"][-1]["rss_mb"] - runs["readings"][0]["rss_mb"])
    assert runs["met"] == (runs["growth_mb"] < runs["target_growth_mb"])


def measured_watchers() -> dict:
    """A watchers section as a run with Chromium reports it (the windows made up)."""
    windows = [window(0, 50.0, 1.0, 0.95), window(1, 49.5, 1.0, 0.945, updates=1.0),
               window(0, 50.0, 1.0, 0.95)]
    players = {"skipped": None, "players": 3, "share": 0.25, "windows": [
        {"arm": arm, "steps_per_s": 40.0, "frames_per_s_each": 2.0}
        for arm in ("nobody", "no gate", "gate", "nobody")]}
    return {"counts": [0, 1], "warmup_s": 1.0, "seconds": 3.0, "server_cpus": "0",
            "browser_cpus": "1", "class_size": 30, "target_core_share": 0.25,
            "target_updates_per_s": 0.9, "skipped": None, "windows": windows,
            "renders": render_cost(viewers=2, refreshes=1, history_rows=50),
            "players": players, **summarize_windows(windows)}


def test_report_has_every_section_plot_and_number(tmp_path, articles, presets, quality,
                                                  memory, watching, runs):
    # A browser arm as a run with Chromium would report it, to draw its table and plot too.
    browser = {"runs": [{"steps_per_s": 27.0, "run_steps_per_s": "28.1"}],
               "steps_per_s": {"median": 27.0, "min": 27.0, "max": 27.0, "n": 1,
                               "values": [27.0]}}
    with_browser = {**watching, "browser_skipped": None, "browser": browser,
                    "headless": {"runs": [{"steps_per_s": 30.0, "run_steps_per_s": "31.2"}],
                                 "steps_per_s": {"median": 30.0, "min": 30.0, "max": 30.0,
                                                 "n": 1, "values": [30.0]}},
                    "share": {"median": 0.9, "min": 0.9, "max": 0.9, "n": 1, "values": [0.9]},
                    "target_share": 0.9, "met": True}
    results = _results({"articles": articles, "presets": presets, "quality": quality,
                        "watching": with_browser, "watchers": measured_watchers(),
                        "explorer": measured_explorer(), "memory": memory, "runs": runs})
    readme = write_report(results, tmp_path)

    text = readme.read_text()
    assert text.startswith("# Benchmarks")
    assert "```bash\n.venv/bin/python -m benchmarks\n```" in text
    for heading in ("## Machine", "## Summary", "## 1. Against the articles' loops",
                    "### Where the time goes", "### ganlib's Quick presets",
                    "## 2. Time to quality", "## 3. Cost of watching",
                    "### Latent explorer: one slider move", "### Cost of a class of watchers",
                    "### Digits drawn in the browser",
                    "#### The picture and the chart of each refresh",
                    "#### Students playing the 2D playground", "## 4. Memory",
                    "### Memory across runs", "## 5. Device"):
        assert heading in text
    assert "`--quick` smoke run" in text
    assert f"{articles['gan']['ratio']['median']:.2f}x" in text
    assert "| 30 watchers on the watch link" in text and "15% of a core" in text
    assert "| explorer in the browser: pointer move to new digit, Quick generator (median) | " \
           "<= 20 ms | 6.0 ms | yes |" in text
    assert "| 10 students dragging explorer sliders: the server's core taken | <= 5% of a " \
           "core | 2.0% of a core | yes |" in text
    for preset in ("GAN", "WGAN-GP"):          # issue 12's target, a summary row per preset
        assert f"| {preset} Quick: >= 9 classes and FD <= 15x baseline | <= 60 s, every seed |" \
            in text
    assert "| GAN Quick: >= 10 classes and FD <= 10x baseline |" in text
    for plot in PLOTS.values():
        assert (tmp_path / plot).stat().st_size > 1000
        assert f"]({plot})" in text

    saved = json.loads((tmp_path / "results.json").read_text())
    assert set(saved["sections"]) == set(SECTIONS)
    assert saved["machine"]["device"] and saved["machine"]["cpu_count"] >= 1
    assert saved["sections"]["articles"]["gan"]["ratio"] == articles["gan"]["ratio"]


def test_a_gpu_machine_is_named_in_the_report(tmp_path, monkeypatch):
    # No GPU here: TensorFlow's device list is what a one-GPU machine reports.
    import tensorflow as tf
    gpu = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [gpu] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda device: {"device_name": "NVIDIA H100 80GB HBM3"})
    text = write_report(_results({}), tmp_path).read_text()
    assert "| TensorFlow device | NVIDIA H100 80GB HBM3 |" in text
    assert "This report ran on NVIDIA H100 80GB HBM3, the device TensorFlow placed" in text


def test_report_says_what_was_skipped_and_not_measured(tmp_path, watching):
    text = write_report(_results({"watching": watching}), tmp_path).read_text()
    assert "**Skipped**: The browser part was not asked for" in text
    assert text.count("Not measured in this run.") == 7
    assert not (tmp_path / PLOTS["watching"]).exists()


def test_run_benchmarks_runs_the_chosen_sections_and_writes_the_report(tmp_path):
    tiny = dataclasses.replace(QUICK, memory_steps=10, memory_every=5, memory_warmup_steps=5)
    messages: list[str] = []
    results = run_benchmarks(tiny, tmp_path, sections=("memory",), progress=messages.append)
    assert set(results["sections"]) == {"memory"}
    assert results["sections"]["memory"]["samples"][-1]["step"] == 10
    assert json.loads((tmp_path / "results.json").read_text())["mode"] == "quick"
    assert (tmp_path / "README.md").exists() and (tmp_path / PLOTS["memory"]).exists()
    assert any("memory done" in m for m in messages)
    with pytest.raises(ValueError, match="Unknown section"):
        run_benchmarks(tiny, tmp_path, sections=("speed",))


def test_merge_keeps_the_other_sections_of_the_saved_report(tmp_path):
    tiny = dataclasses.replace(QUICK, memory_steps=10, memory_every=5, memory_warmup_steps=5,
                               runs_cycles=2, runs_steps=1, runs_every=1)
    run_benchmarks(tiny, tmp_path, sections=("memory",), command="first",
                   progress=lambda _: None)
    results = run_benchmarks(tiny, tmp_path, sections=("runs",), command="second",
                             progress=lambda _: None, merge=True)
    assert set(results["sections"]) == {"memory", "runs"}
    assert results["kept"]["sections"] == ["memory"] and results["kept"]["command"] == "first"
    text = (tmp_path / "README.md").read_text()
    assert "the sections memory are those of `first`" in text and "## 4. Memory" in text


def test_a_failing_section_is_reported_and_does_not_stop_the_others(tmp_path):
    broken = dataclasses.replace(QUICK, memory_steps=10, memory_every=20)   # every > steps
    results = run_benchmarks(broken, tmp_path, sections=("memory",), progress=lambda _: None)
    assert results["sections"]["memory"]["error"].startswith("ValueError: Need 0 < every")
    text = (tmp_path / "README.md").read_text()
    assert "## 4. Memory\n\n**Failed**: ValueError: Need 0 < every" in text
    assert not (tmp_path / PLOTS["memory"]).exists()



def test_the_challenge_rows_are_reported_with_their_targets(tmp_path):
    queue = {"wall_s": 9.0, "scored": 3, "board_delay_s": {"median": 0.2, "max": 0.4}}
    challenge = {"entries": 3, "entry_s": 2.0, "budget_images": 4_377, "images_per_s": 2_189.0,
                 "by_hand_s": 9.5, "one_machine": queue, "overhead": 0.94,
                 "targets": {"overhead": 1.3, "board_s": 2.0, "ray_share": 0.4},
                 "met": {"overhead": True, "board": True, "ray_share": False},
                 "ray_3_nodes": {**queue, "wall_s": 16.5, "share_of_one_machine": 1.83}}
    text = write_report(_results({"challenge": challenge}), tmp_path).read_text()
    assert "## 8. A class challenge" in text
    assert "| one machine, through the queue (one entry at a time) | 9 s | <= 130% of by " \
           "hand (10 s) | 94% | yes |" in text
    assert "| Ray cluster of 3 one-CPU nodes | 16 s | <= 40% of one machine | 183% | **no** |" \
        in text
    challenge["ray_3_nodes"] = {"skipped": "the ray package is not installed"}
    text = write_report(_results({"challenge": challenge}), tmp_path).read_text()
    assert "| skipped | — | the ray package is not installed | — |" in text
