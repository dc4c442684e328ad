"""The report: the machine, the raw numbers as JSON, PNG plots, and a Markdown page.

Everything the Markdown says is computed from the results dictionary, so the page and
`results.json` can never disagree; `write_report` can be re-run on a saved `results.json`.
"""

from __future__ import annotations

import json
import os
import platform
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")                  # files only: no display on a server

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.explorer import QUICK_MODEL  # noqa: E402
from ganlib import palette  # noqa: E402
from ganlib.algorithms import ALGORITHM_INFO  # noqa: E402

PLOTS: dict[str, str] = {"articles": "article_loops.png", "quality": "time_to_quality.png",
                         "watching": "watching.png", "memory": "memory.png"}
# The app's colours (ganlib.palette): the article's loop and a headless browser in the muted
# slate, ganlib and a real browser in the app's indigo. Each algorithm has its own colour, as
# on the Compare page (ALGORITHM_INFO).
COLORS = {"article": palette.LIGHT_SLATE, "ganlib": palette.INDIGO,
          "headless": palette.LIGHT_SLATE, "browser": palette.INDIGO}


# --- the machine -----------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    """CPU, memory, versions and the TensorFlow device, for the report's first table."""
    import keras
    import tensorflow as tf

    from benchmarks.watching import chromium_version

    gpus = tf.config.list_physical_devices("GPU")
    names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
             for gpu in gpus]
    return {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(int((_proc_field("/proc/meminfo", "MemTotal") or "0 kB").split()[0])
                           / 1e6, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "device": ", ".join(names) if names else "CPU",
        "chromium": chromium_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return None


# --- writing ---------------------------------------------------------------------------------

def write_report(results: dict[str, Any], out: Path) -> Path:
    """Write results.json, the plots and README.md into `out`; the README's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=_plain) + "\n")
    sections = results["sections"]
    for name, draw in (("articles", plot_articles), ("quality", plot_quality),
                       ("watching", plot_watching), ("memory", plot_memory)):
        if _measured(sections, name) and (name != "watching" or "share" in sections[name]):
            figure = draw(sections[name])
            figure.savefig(out / PLOTS[name], dpi=110, bbox_inches="tight")
            plt.close(figure)
    readme = out / "README.md"
    readme.write_text(markdown(results))
    return readme


def _plain(value: Any) -> Any:
    """JSON for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Not JSON: {type(value).__name__}")


# --- plots -----------------------------------------------------------------------------------

def plot_articles(articles: dict[str, Any]):
    """Top: real images/s of each article's loop and of ganlib (median, min-max whiskers).
    Bottom: milliseconds per iteration under the profiler, by where they were spent."""
    figure, axes = plt.subplots(2, len(articles), figsize=(5 * len(articles), 7), squeeze=False)
    for column, (article, result) in enumerate(articles.items()):
        top, bottom = axes[0, column], axes[1, column]
        arms = ("article_loop", "ganlib")
        medians = [result[arm]["images_per_s"]["median"] for arm in arms]
        errors = [[m - result[arm]["images_per_s"]["min"] for m, arm in zip(medians, arms)],
                  [result[arm]["images_per_s"]["max"] - m for m, arm in zip(medians, arms)]]
        top.bar(["article's loop", "ganlib"], medians, yerr=errors, capsize=6,
                color=[COLORS["article"], COLORS["ganlib"]])
        top.set_title(f"{article.upper()} article: {result['ratio']['median']:.2f}x "
                      f"(target {result['target']:g}x)")
        top.set_ylabel("real images / s")
        profile = result["anatomy"]["profile"]
        bottom_of = np.zeros(2)
        for part, color in (("graph_ms", palette.INDIGO), ("eager_ops_ms", palette.AMBER),
                            ("python_ms", palette.LIGHT_SLATE)):
            values = np.array([profile["article"][part], profile["ganlib"][part]])
            bottom.bar(["article's loop", "ganlib"], values, bottom=bottom_of, color=color,
                       label={"graph_ms": "TF graph execution", "eager_ops_ms": "eager TF ops",
                              "python_ms": "Python (under cProfile)"}[part])
            bottom_of += values
        bottom.set_ylabel("ms per iteration (profiled)")
        bottom.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_quality(quality: dict[str, Any]):
    """FD / baseline, classes covered and confident share against wall-clock seconds: the
    median over seeds as a line, min to max as a band, one colour per preset."""
    from benchmarks.time_to_quality import on_grid

    last = max((run["series"]["wall_s"][-1] for preset in quality["presets"].values()
                for run in preset["runs"] if run["series"]["wall_s"]), default=0.0)
    grid = np.linspace(0, max(quality["seconds"], last), 200)
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    panels = (("fd_ratio", "FD / real-vs-real baseline", "log"),
              ("classes_covered", "classes covered (of 10)", "linear"),
              ("confident", "confident share", "linear"))
    for ax, (name, label, scale) in zip(axes, panels):
        for algorithm, preset in quality["presets"].items():
            values = on_grid(preset["runs"], name, grid)
            if np.all(np.isnan(values)):
                continue
            with warnings.catch_warnings():      # "All-NaN slice": before the first score
                warnings.simplefilter("ignore", RuntimeWarning)
                median, low, high = (np.nanmedian(values, 0), np.nanmin(values, 0),
                                     np.nanmax(values, 0))
            color = ALGORITHM_INFO[algorithm].color
            ax.plot(grid, median, color=color, label=algorithm.upper())
            ax.fill_between(grid, low, high, color=color, alpha=0.2, linewidth=0)
        ax.set_yscale(scale)
        ax.set_xlabel("wall-clock seconds since Start")
        ax.set_ylabel(label)
        for target, style in zip(quality["targets"], ("--", "-.")):
            ax.axvline(target["seconds"], color="black", linestyle=":", linewidth=1)
            if name == "fd_ratio":
                ax.axhline(target["fd_factor"], color="black", linestyle=style, linewidth=1)
            if name == "classes_covered":
                ax.axhline(target["min_classes"], color="black", linestyle=style, linewidth=1)
        if name == "classes_covered":
            ax.set_ylim(-0.3, 10.5)
        if name == "confident":
            ax.set_ylim(-0.02, 1.02)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend()
    figure.tight_layout()
    return figure


def plot_watching(watching: dict[str, Any]):
    """Steps/s of each headless and browser run, in the order they ran."""
    figure, ax = plt.subplots(figsize=(6, 3.6))
    for arm in ("headless", "browser"):
        values = watching[arm]["steps_per_s"]["values"]
        ax.plot(range(1, len(values) + 1), values, "o-", color=COLORS[arm], label=arm)
    ax.set_xticks(range(1, watching["repetitions"] + 1))
    ax.set_xlabel("repetition")
    ax.set_ylabel("generator steps / s (wall clock)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"watching keeps {watching['share']['median']:.0%} of headless throughput")
    ax.legend()
    figure.tight_layout()
    return figure


def plot_memory(memory: dict[str, Any]):
    """Resident memory against training step, with the end of warm-up marked."""
    steps = [s["step"] for s in memory["samples"]]
    rss = [s["rss_mb"] for s in memory["samples"]]
    figure, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(steps, rss, "o-", color=COLORS["ganlib"])
    ax.axvline(memory["warmup_steps"], color="black", linestyle=":", linewidth=1)
    ax.set_xlabel("training step (GAN Quick, batch %d)" % memory["batch_size"])
    ax.set_ylabel("resident memory (MB)")
    ax.set_title(f"growth after warm-up: {memory['growth_after_warmup_mb']:+.1f} MB")
    low = min(rss)
    ax.set_ylim(low - 20, max(max(rss), low + 100) + 20)
    figure.tight_layout()
    return figure


# --- the Markdown page -----------------------------------------------------------------------

def markdown(results: dict[str, Any]) -> str:
    """The report page for `results` (see benchmarks.run.run_benchmarks)."""
    sections = results["sections"]
    parts = [_header(results), _machine(results["machine"]), _summary(sections)]
    writers = (("articles", _articles), ("presets", _presets), ("quality", _quality),
               ("watching", _watching), ("watchers", _watchers), ("explorer", _explorer),
               ("memory", _memory), ("runs", _runs))
    for name, write in writers:
        if _measured(sections, name):
            parts.append(write(sections[name]))
        elif name in sections:
            parts.append(f"{_TITLES[name]}\n\n**Failed**: {sections[name]['error']}\n")
        else:
            parts.append(f"{_TITLES[name]}\n\nNot measured in this run.\n")
    parts.append(_device(results["machine"]))
    for name, write in (("ray", _ray), ("challenge", _challenge)):   # optional: when asked
        if name in sections:
            parts.append(write(sections[name]) if _measured(sections, name) else
                         f"{_TITLES[name]}\n\n**Failed**: {sections[name]['error']}\n")
    return "\n".join(parts)


def _measured(sections: dict[str, Any], name: str) -> bool:
    return name in sections and "error" not in sections[name]


_TITLES = {"articles": "## 1. Against the articles' loops",
           "presets": "### ganlib's Quick presets",
           "quality": "## 2. Time to quality",
           "watching": "## 3. Cost of watching",
           "watchers": "### Cost of a class of watchers",
           "explorer": "### Digits drawn in the browser",
           "memory": "## 4. Memory",
           "runs": "### Memory across runs",
           "ray": "## 7. Runs on a Ray cluster",
           "challenge": "## 8. A class challenge"}


def _header(results: dict[str, Any]) -> str:
    mode = results["mode"]
    note = ("**This is a `--quick` smoke run**: every measurement is shrunk to seconds, on "
            "whatever else the machine was doing. Its numbers show that the code runs, "
            "not how fast ganlib is. Run the command without `--quick` on a quiet machine "
            "for the real report." if mode == "quick" else
            "Full run. Ratios come from runs interleaved in one session; every number is "
            "the median of the repetitions, with the min and max beside it.")
    return (f"# Benchmarks\n\n"
            f"Reproduce this page from the repository root (about 25 minutes on 2 quiet CPU "
            f"cores):\n\n"
            f"```bash\n.venv/bin/python -m benchmarks\n```\n\n"
            f"It writes this `README.md`, the PNG plots and every raw number "
            f"(`results.json`) into `docs/benchmarks/`. Options: `--quick` (a smoke run of a "
            f"few minutes), `--out DIR`, `--only SECTION ...` (articles, presets, "
            f"quality, watching, watchers, explorer, memory, runs), `--merge` (keep the other "
            f"sections from the saved results.json), `--no-browser`. This page came from "
            f"`{results['command']}` ({mode}) on {results['date']}, in "
            f"{results['duration_s'] / 60:.1f} minutes{_kept(results)}.\n\n"
            f"{note}\n")


def _kept(results: dict[str, Any]) -> str:
    kept = results.get("kept")
    if not kept:
        return ""
    return (f"; the sections {', '.join(kept['sections'])} are those of `{kept['command']}` "
            f"on {kept['date']}")


def _machine(machine: dict[str, Any]) -> str:
    rows = [("CPU", f"{machine['cpu_model']}, {machine['cpu_count']} cores "
                    f"({machine['cpus_usable']} usable)"),
            ("memory", f"{machine['memory_gb']} GB"),
            ("TensorFlow device", machine["device"]),
            ("TensorFlow / Keras", f"{machine['tensorflow']} / {machine['keras']}"),
            ("Python / NumPy", f"{machine['python']} / {machine['numpy']}"),
            ("browser", machine["chromium"] or "none"),
            ("platform", machine["platform"]),
            ("load average at start", f"{machine['load_average_at_start']}")]
    return "## Machine\n\n" + _table(("", ""), rows) + (
        "\nThe load average is the number of processes wanting a CPU: above the core count, "
        "something else was competing with the benchmark. Each section records it before "
        "and after (`load_average` in results.json).\n")


def _summary(sections: dict[str, Any]) -> str:
    rows = []
    if _measured(sections, "articles"):
        for article, r in sections["articles"].items():
            rows.append((f"ganlib vs the {article.upper()} article's loop, same networks",
                         f">= {r['target']:g}x", _range(r["ratio"], "{:.2f}x"), _met(r["met"])))
    if _measured(sections, "quality"):
        for target in sections["quality"]["targets"]:
            for algorithm, result in target["results"].items():
                rows.append((f"{algorithm.upper()} Quick: {target['label']}",
                             f"<= {target['seconds']:g} s, every seed",
                             _seconds_list(result["time_to_target_s"]), _met(result["met"])))
    if _measured(sections, "watching"):
        w = sections["watching"]
        if "share" in w:
            rows.append(("throughput with the Train page open in a browser",
                         f">= {w['target_share']:.0%} of headless",
                         _range(w["share"], "{:.0%}"), _met(w["met"])))
        else:
            rows.append(("throughput with the Train page open in a browser",
                         f">= {w['target_share']:.0%} of headless", "skipped", "—"))
        slider = w["slider"]
        quick = slider["architectures"].get("quick")
        if quick:
            rows.append(("latent explorer: one slider move, server side",
                         f"< {slider['target_ms']:g} ms", f"{quick['median']:.1f} ms (median)",
                         _met(slider["met"])))
    if _measured(sections, "watchers"):
        w = sections["watchers"]
        rows.append((f"{w['class_size']} watchers on the watch link: the server's core taken, "
                     f"updates each watcher sees",
                     f"< {w['target_core_share']:.0%} of a core, >= "
                     f"{w['target_updates_per_s']:g} / s",
                     "skipped" if w["skipped"] else
                     f"{w['class_core_share']:.0%} of a core, slowest "
                     f"{w['slowest_updates_per_s']:.2f} / s",
                     "—" if w["skipped"] else _met(w["met"])))
    if _measured(sections, "watchers"):
        r = sections["watchers"]["renders"]
        rows.append((f"{r['viewers']} viewers: the picture and chart of each refresh, shared",
                     f"< {sections['watchers']['target_core_share']:.0%} of a core",
                     f"{r['shared']['cores']:.0%} of a core (made per viewer: "
                     f"{r['per viewer']['cores']:.0%})",
                     _met(r["shared"]["cores"] < sections["watchers"]["target_core_share"])))
    if _measured(sections, "explorer") and not sections["explorer"]["skipped"]:
        rows += _explorer_summary(sections["explorer"])
    if _measured(sections, "memory"):
        m = sections["memory"]
        rows.append((f"resident memory growth, steps {m['warmup_steps']:,}-{m['steps']:,}",
                     f"< {m['target_growth_mb']:g} MB", f"{m['growth_after_warmup_mb']:+.1f} MB",
                     _met(m["met"])))
    if _measured(sections, "runs"):
        r = sections["runs"]
        rows.append((f"resident memory growth over {r['cycles']} start/train/stop runs",
                     f"< {r['target_growth_mb']:g} MB", f"{r['growth_mb']:+.1f} MB",
                     _met(r["met"])))
    if not rows:
        return "## Summary\n\nNo section with a target was measured.\n"
    return "## Summary\n\n" + _table(("what", "target", "measured", "met"), rows)


def _articles(articles: dict[str, Any]) -> str:
    lines = [_TITLES["articles"], "",
             "Each article's training loop as written there, re-implemented in Keras 3 "
             "(`benchmarks/article_loops.py`): D or the critic compiled on its own, a "
             "combined model with D frozen, and per step `generator.predict(z)` plus "
             "`train_on_batch` calls on NumPy batches, exactly as the articles do. Against "
             "it: ganlib's `build_gan(config).train_iteration` as `TrainingRun` calls it. Both "
             "train the **same networks** (`ganlib.models` with the article presets) with "
             "the same batch sizes and optimisers, on the bundled 10,000 MNIST digits (the "
             "WGAN article: its 7s).", "",
             "**Throughput = real images per second**: the real images the discriminator "
             "or critic trains on per second, i.e. generator iterations/s x images per "
             "iteration (GAN article: batch 8; WGAN article: 5 critic updates x half batch "
             "32 = 160). Both arms do the same updates per iteration, so the ratio is also "
             "the ratio of iterations per second. The two arms alternate in this process "
             "(A B, B A, ...), each block a fixed number of iterations after a warm-up; the "
             "ratio is taken per repetition.", "",
             "Where the re-implementation cannot be literal: ganlib's D ends in a linear "
             "`Dense(1)` (the sigmoid is inside its loss), so the GAN article's D is "
             "ganlib's followed by a `sigmoid` Activation layer, which is the article's "
             "`Dense(1, activation=\"sigmoid\")` split in two. The WGAN article's critic is "
             "ganlib's with the article's `ClipConstraint(0.01)` as the convolutions' "
             "`kernel_constraint`. Keras 3 decides which weights `train_on_batch` updates "
             "when it first traces a model, not at `compile` as Keras 2 did, so the "
             "critic's layers are unfrozen before its updates and frozen before the "
             "generator's (the GAN article toggles `trainable` on every step itself). "
             "`predict`'s per-call progress bar goes to /dev/null.", ""]
    rows = []
    for article, r in articles.items():
        rows.append((f"{article.upper()} article", str(r["images_per_iteration"]),
                     _range(r["article_loop"]["images_per_s"], "{:.1f}"),
                     _range(r["ganlib"]["images_per_s"], "{:.1f}"),
                     _range(r["ratio"], "{:.2f}x"), _met(r["met"])))
    lines.append(_table(("networks", "real images / iteration", "article's loop (images/s)",
                         "ganlib (images/s)", "ganlib / article", "target met"), rows))
    first = next(iter(articles.values()))
    lines += ["", f"Repetitions per arm: {first['repetitions']}; iterations per timed block: "
              + ", ".join(f"{a.upper()} {r['steps_per_block']}" for a, r in articles.items())
              + f"; untimed warm-up iterations per arm: {first['warmup_steps']}. Load "
              "average before / after: " + ", ".join(
                  f"{a.upper()} {r['load_average'][0]} / {r['load_average'][1]}"
                  for a, r in articles.items()) + ".", "",
              f"![Article loops vs ganlib]({PLOTS['articles']})", "",
              "### Where the time goes", ""]
    rows = []
    for article, r in articles.items():
        a = r["anatomy"]
        profile = a["profile"]
        for arm, label in (("article", "article's loop"), ("ganlib", "ganlib")):
            p = profile[arm]
            rows.append((f"{article.upper()}: {label}", f"{p['total_ms']:.0f}",
                         f"{p['graph_ms']:.0f}", f"{p['eager_ops_ms']:.0f}",
                         f"{p['python_ms']:.0f}"))
    lines.append(_table(("per iteration, under cProfile", "total ms", "TF graph execution",
                         "single eager TF ops", "Python"), rows))
    lines += ["", "Keras calls of the article loops (median wall time per call, outside the "
              "profiler), and Keras 3's fixed cost per call, measured on a one-weight model "
              "(`Dense(1)`, one sample): what a call costs whatever the network.", ""]
    rows = []
    for article, r in articles.items():
        a = r["anatomy"]
        fixed = a["fixed_cost"]
        calls = ", ".join(f"`{name}` {ms:.0f}" for name, ms in a["calls_ms"].items())
        counts = fixed["calls_per_iteration"]
        rows.append((f"{article.upper()} article", calls,
                     f"{counts['predict']} x {fixed['predict_ms']:.0f} + "
                     f"{counts['train_on_batch']} x {fixed['train_on_batch_ms']:.1f} = "
                     f"{fixed['per_iteration_ms']:.0f}"))
    lines.append(_table(("loop", "ms per call", "fixed cost per iteration: predict + "
                                                "train_on_batch (ms)"), rows))
    lines += ["", _articles_reading(articles), ""]
    return "\n".join(lines)


def _articles_reading(articles: dict[str, Any]) -> str:
    """What the speed-up is made of, and what bounds it, in words computed from the numbers.

    Under the profiler, article = G + O (graph execution + everything outside it) and
    ganlib = G' (one graph call), so the speed-up (G + O) / G' is the product of two factors:
    (G + O) / G, what removing the per-call work gains, and G / G', how much faster ganlib's
    graph does the same updates.
    """
    sentences = []
    for article, r in articles.items():
        profile = r["anatomy"]["profile"]
        total, graph = profile["article"]["total_ms"], profile["article"]["graph_ms"]
        ganlib_total, ganlib_graph = profile["ganlib"]["total_ms"], profile["ganlib"]["graph_ms"]
        text = (f"**{article.upper()} article.** Under the profiler an iteration of the "
                f"article's loop took {total:.0f} ms: {graph:.0f} ms inside TensorFlow's "
                f"graph execution (the networks' math, plus the small input pipelines Keras "
                f"builds per call) and {total - graph:.0f} ms outside it (Keras' per-call "
                f"Python: data adapters, callbacks, progress bars, eager conversions). "
                f"ganlib's took {ganlib_total:.0f} ms, {ganlib_graph / ganlib_total:.0%} of "
                f"it in its single graph call. So the speed-up of {total / ganlib_total:.2f}x "
                f"under the profiler ({r['ratio']['median']:.2f}x unprofiled, table above) "
                f"is {total / graph:.2f}x from removing the per-call work times "
                f"{graph / ganlib_graph:.2f}x from ganlib's graph doing the same updates "
                f"faster.")
        if not r["met"]:
            text += (f" The per-call work is worth at most {total / graph:.2f}x here; beyond "
                     f"that, only cheaper math can close the gap to the {r['target']:g}x "
                     f"target, and on this CPU the math (the convolutions) dominates both "
                     f"arms.")
        if "arithmetic" in r["anatomy"]:
            text += " " + _arithmetic_bound(r)
        sentences.append(text)
    return "\n\n".join(sentences)


def _arithmetic_bound(r: dict[str, Any]) -> str:
    """The bound no training loop can beat: the iteration's floating-point work at this
    CPU's matrix-product speed, against what the target asks for."""
    math_ = r["anatomy"]["arithmetic"]
    gflop, peak = math_["gflop_per_iteration"], math_["peak_gflops"]
    article_ms = 1e3 / r["article_loop"]["iterations_per_s"]["median"]
    ganlib_ms = 1e3 / r["ganlib"]["iterations_per_s"]["median"]
    floor_ms = 1e3 * gflop / peak
    needed_ms = article_ms / r["target"]
    text = (f"An iteration is {gflop:.1f} GFLOP of convolutions and matrix products "
            f"(`iteration_flops`); this CPU multiplies large float32 matrices at "
            f"{peak:.0f} GFLOP/s, so even at that speed an iteration takes {floor_ms:.0f} ms. "
            f"ganlib's takes {ganlib_ms:.0f} ms ({gflop / ganlib_ms * 1e3:.0f} GFLOP/s, "
            f"{gflop / ganlib_ms * 1e3 / peak:.0%} of the matrix-product speed); "
            f"{r['target']:g}x the article's {article_ms:.0f} ms means {needed_ms:.0f} ms")
    if needed_ms < floor_ms:
        return text + (", less than the arithmetic alone needs at peak speed: the target "
                       "cannot be met on this CPU in float32 with these networks.")
    return text + (f": {gflop / needed_ms * 1e3 / peak:.0%} of the matrix-product speed, "
                   f"where these convolutions reach "
                   f"{gflop / ganlib_ms * 1e3 / peak:.0%} in ganlib's graph.")


def _presets(presets: dict[str, Any]) -> str:
    rows = []
    for algorithm, r in presets["algorithms"].items():
        rows.append((algorithm.upper(), str(r["batch_size"]), str(r["n_critic"]),
                     _range(r["steps_per_s"], "{:.1f}"), _range(r["images_per_s"], "{:.0f}")))
    return "\n".join([
        _TITLES["presets"], "",
        "ganlib's own step on the Quick presets (the app's defaults), interleaved the same "
        "way; a step is one generator iteration with its n_critic critic updates.", "",
        _table(("preset", "batch", "n_critic", "steps / s", "real images / s"), rows), "",
        f"{presets['repetitions']} repetitions of about {presets['steps_per_block']} network "
        f"updates each; load average {presets['load_average'][0]} / "
        f"{presets['load_average'][1]}.", ""])


def _quality(quality: dict[str, Any]) -> str:
    rows = []
    for algorithm, preset in quality["presets"].items():
        finals = [run["series"] for run in preset["runs"]]
        rows.append((
            algorithm.upper(),
            _range_of([s["fd_ratio"][-1] for s in finals if s["fd_ratio"]], "{:.1f}x"),
            _range_of([s["classes_covered"][-1] for s in finals if s["classes_covered"]],
                      "{:.0f}"),
            _range_of([s["confident"][-1] for s in finals if s["confident"]], "{:.0%}"),
            _range_of([run["steps"] for run in preset["runs"]], "{:,.0f}")))
    target_rows = [(target["label"], algorithm.upper(), f"<= {target['seconds']:g} s",
                    _seconds_list(result["time_to_target_s"]),
                    f"{result['reached']} of {len(result['time_to_target_s'])}",
                    _met(result["met"]))
                   for target in quality["targets"]
                   for algorithm, result in target["results"].items()]
    return "\n".join([
        _TITLES["quality"], "",
        f"Each Quick preset trained by a real `TrainingRun` with the shipped-classifier "
        f"evaluator (`ganlib.metrics`, 500 samples, every {quality['evaluate_every_s']:g} s) "
        f"for {quality['seconds']:g} s of wall-clock time, {quality['seeds']} seed(s) each, "
        f"one run at a time. Time counts from `run.start()`, as a user counts from pressing "
        f"Start: building and tracing the networks is included, TensorFlow's import and the "
        f"evaluator's one-off reference statistics are not. A target's quality is reached at "
        f"the first evaluation with at least its number of digit classes covered and its FD "
        f"ratio (FD over the real-vs-real baseline; docs/metrics.md explains both); it is met "
        f"when every seed reaches it in time. The first target is the one every Quick preset "
        f"was chosen for (docs/wgan-quick-preset.md, docs/quick-preset.md), the second the "
        f"GAN Quick preset's own stricter one.", "",
        _table(("target", "preset", "in", "time to quality (s, per seed)", "reached", "met"),
               target_rows), "",
        _table(("preset", "final FD / baseline", "final classes", "final confident",
                "steps"), rows), "",
        "Final values are median (min-max) over seeds. The plot shows the median over seeds "
        "(line) and min-max (band); dotted: the targets' time limit; dashed and dash-dotted: "
        "the first and second target's thresholds.", "",
        f"![Time to quality]({PLOTS['quality']})", ""])


def _watching(watching: dict[str, Any]) -> str:
    lines = [_TITLES["watching"], "",
             "Training throughput with the app open in a real browser against the same run "
             "with nobody watching. **Browser**: a fresh `streamlit run app.py` server, "
             "Debian's Chromium driven by Playwright opens the Home page and presses "
             "*Train the GAN article's model (quick preset)*, then stays on the Train page, "
             "which redraws every second. **Headless**: the same preset in a fresh "
             "server-less Python process (`TrainingRun` as the app builds it, quality evaluator "
             "included). Throughput is "
             "generator steps per wall-clock second between two readings of the step counter "
             f"{watching['seconds']:g} s apart, after {watching['warmup_s']:g} s of "
             "training; each reading is taken the moment the counter changes (on the page: "
             "the \"Step\" metric). Pairs alternate headless, browser, headless, ...; the "
             "share is browser / headless per pair.", ""]
    if "share" in watching:
        rows = [("headless", _range(watching["headless"]["steps_per_s"], "{:.1f}")),
                ("browser on the Train page", _range(watching["browser"]["steps_per_s"],
                                                     "{:.1f}")),
                ("share of headless", _range(watching["share"], "{:.0%}"))]
        lines += [_table(("", "steps / s"), rows), "",
                  f"Target >= {watching['target_share']:.0%}: {_met(watching['met'])}. "
                  f"A cross-check from the runner itself: its \"Steps / s\" over the last "
                  f"steps, training time only (what the page shows), at the end of each "
                  f"window: headless "
                  + ", ".join(run["run_steps_per_s"] for run in watching["headless"]["runs"])
                  + "; browser "
                  + ", ".join(run["run_steps_per_s"] for run in watching["browser"]["runs"])
                  + ".", "", f"![Cost of watching]({PLOTS['watching']})", ""]
    else:
        lines += [f"**Skipped**: {watching['browser_skipped']}", ""]
        if "headless" in watching:
            lines += [f"Headless alone: {_range(watching['headless']['steps_per_s'], '{:.1f}')} "
                      f"steps/s.", ""]
    slider = watching["slider"]
    rows = [(architecture, f"{r['median']:.1f}", f"{r['p90']:.1f}", f"{r['min']:.1f}",
             f"{r['max']:.1f}") for architecture, r in slider["architectures"].items()]
    lines += ["### Latent explorer: one slider move", "",
              f"Server side, per move: `Sampler.generate` for one latent vector, the digit "
              f"enlarged 12x with `image_grid`, encoded by `png_bytes`; {slider['calls']} "
              f"moves after 5 untimed ones, on the Quick generator and the GAN article's "
              f"(untrained: the cost does not depend on the weights). Target < "
              f"{slider['target_ms']:g} ms: {_met(slider['met'])}.", "",
              _table(("generator", "median ms", "90th percentile", "min", "max"), rows), ""]
    return "\n".join(lines)


def _watchers(watchers: dict[str, Any]) -> str:
    lines = [_TITLES["watchers"], "",
             "What students on the watch link take from the teacher's run, with the "
             "server and the browsers on separate cores as in a class (each student's browser "
             f"on their own device): `streamlit run app.py` pinned to core "
             f"{watchers['server_cpus']} and Chromium (Playwright; one browser, one context "
             f"per watcher) to core {watchers['browser_cpus']}, with `taskset`. A teacher page "
             "starts the GAN Quick preset on the Train page without a step limit and leaves; "
             "then N pages open the watch link `train?run=<id>` and stay, as students' would: "
             "each polls the run's document in the live feed (small files the server writes "
             "once per run update, served as static files) every second and swaps its grid, "
             "and its Streamlit fragment (numbers, charts) refreshes only every few seconds "
             f"(`ui.live_view.WATCHER_REFRESH_S`). After {watchers['warmup_s']:g} s, "
             f"one {watchers['seconds']:g} s window "
             "per N: training steps/s (the live grid's step read on a short-lived extra page, "
             "the moment it changes, before and after the window), the server process's CPU "
             "(/proc utime + stime), how busy each core was (/proc/stat: anything else running "
             "on the machine shows here), and in every watcher page the moments its live "
             "grid's step and picture changed. What the watchers cost is the server's "
             "CPU outside training: the process's CPU minus that of its training threads "
             "(those that worked in the first window without watchers: the run's and "
             "TensorFlow's), less the same without watchers (the mean of the first and last "
             "windows). CPU time, unlike lost steps, does not depend on what other work on "
             "the machine left the server; the training steps/s and the share of them lost "
             "are beside it. The cost per watcher is the least-squares slope of that CPU over "
             f"N; {watchers['class_size']} watchers cost {watchers['class_size']} times it.",
             ""]
    if watchers["skipped"]:
        return "\n".join([*lines, f"**Skipped**: {watchers['skipped']}", "",
                          _renders(watchers["renders"]), _players(watchers["players"])])
    rows = []
    for w in watchers["windows"]:
        pages = w["updates_per_s"]
        rows.append((str(w["watchers"]), f"{w['watchers_cpu']:+.3f}",
                     f"{w['server_cpu']:.2f}", f"{w['steps_per_s']:.1f}",
                     f"{w['training_lost']:+.0%}", f"{w['server_core_busy']:.0%}",
                     f"{w['browser_core_busy']:.0%}",
                     "—" if pages is None else f"{pages['median']:.2f} ({pages['min']:.2f})",
                     "—" if pages is None else f"{w['longest_gap_s']['max']:.1f} s",
                     "—" if pages is None else f"{w['grid_updates_per_s']['median']:.2f}"))
    per = watchers["core_share_per_watcher"]
    lines += [_table(("watchers", "watchers' CPU (cores)", "server CPU (cores)",
                      "training steps/s", "steps lost", "core 0 busy",
                      "core 1 (browsers) busy", "updates/s per page: median (slowest)",
                      "longest gap", "grid updates/s"), rows), "",
              f"Cost per watcher: {per:.2%} of a core; {watchers['class_size']} watchers: "
              f"{watchers['class_core_share']:.0%} (target < "
              f"{watchers['target_core_share']:.0%}); the slowest page saw "
              f"{watchers['slowest_updates_per_s']:.2f} updates/s (target >= "
              f"{watchers['target_updates_per_s']:g}): {_met(watchers['met'])}.", "",
              _renders(watchers["renders"]), _players(watchers["players"])]
    return "\n".join(lines)


def _renders(renders: dict[str, Any]) -> str:
    rows = [(way, f"{renders[way]['ms_per_viewer']:.1f}", f"{renders[way]['cores']:.2f}")
            for way in ("per viewer", "shared")]
    return "\n".join([
        "#### The picture and the chart of each refresh", "",
        f"Server CPU time (of the measuring thread: other work on the machine does not "
        f"count) for what the Train page draws of a run each second, for "
        f"{renders['viewers']} viewers of one run over {renders['refreshes']} run updates: "
        f"the 8 x 8 sample grid as PNG and the loss chart of a {renders['history_rows']:,}-"
        f"step history, serialised as `st.plotly_chart` does. **Per viewer**: every viewer "
        f"encodes the grid and builds the figure (the page before `ui.live_view`). "
        f"**Shared**: the first viewer of a run update makes them, the others get the same "
        f"bytes and figure; each still serialises the figure.", "",
        _table(("made", "ms per viewer and refresh",
                f"cores for {renders['viewers']} viewers"), rows), ""])


def _players(players: dict[str, Any]) -> str:
    lines = ["#### Students playing the 2D playground", "",
             "Training steps/s of the GAN Quick preset (a `TrainingRun` as the app starts it) "
             f"while {players.get('players', 3)} threads play the 2D playground as its page "
             "does (a frame of 50 steps, the samples, the map, the arrows and the mode count "
             "every 0.3 s), all in one process pinned to core 0, as the server above. Windows "
             "of nobody playing, playing without `ganlib.playground.COMPUTE_GATE` (as before "
             "it), playing through it (one playground computes at a time, all together at "
             f"most {players.get('share', 0):.0%} of the time), and nobody again.", ""]
    if players["skipped"]:
        return "\n".join([*lines, f"**Skipped**: {players['skipped']}", ""])
    rows = [(w["arm"], f"{w['steps_per_s']:.1f}",
             "—" if w["arm"] == "nobody" else f"{w['frames_per_s_each']:.2f}")
            for w in players["windows"]]
    return "\n".join([*lines, _table(("students", "training steps/s", "frames/s per student"),
                                      rows), ""])


def _explorer_summary(e: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    t, met, latency = e["targets"], e["met"], e["latency"]
    quick = latency[QUICK_MODEL]
    articles = [latency[m]["median_ms"] for m in latency if m != QUICK_MODEL]
    c = e["class"]
    failed = "error" in c
    return [
        ("explorer in the browser: pointer move to new digit, Quick generator (median)",
         f"<= {t['quick_ms']:g} ms", f"{quick['median_ms']:.1f} ms", _met(met["quick"])),
        ("... the GAN and WGAN articles' generators (median)", f"<= {t['article_ms']:g} ms",
         " and ".join(f"{ms:.1f} ms" for ms in articles), _met(met["articles"])),
        (f"{e['students']} students dragging explorer sliders: the server's core taken",
         f"<= {t['class_core']:.0%} of a core",
         "failed" if failed else f"{c['class_core_share']:.1%} of a core",
         _met(met["class_core"])),
        ("... the teacher's training keeps", f">= {t['training']:.0%} of its steps/s",
         "failed" if failed else f"{c['training_kept']:.0%}", _met(met["training"])),
        ("first open of the explorer (Quick model): files downloaded",
         f"<= {t['first_open_bytes'] / 1e6:g} MB", f"{e['first_open']['bytes'] / 1e6:.2f} MB",
         _met(met["first_open"]))]


def _explorer(e: dict[str, Any]) -> str:
    lines = [_TITLES["explorer"], "",
             "The Latent explorer and the Interpolation page run the generator in the "
             "student's browser (`ganlib/browser_export.py` writes it as files, "
             "`static/gan/` runs it in a Web Worker, with WebAssembly SIMD where the browser "
             "has it): a slider redraws the digit while it moves, and the server hears the "
             "state only when the moving stops (`benchmarks/explorer.py`). The server "
             f"(`streamlit run app.py`) is pinned to core {e['server_cpus']} and Chromium to "
             f"core {e['browser_cpus']} with `taskset`. **Following a slider**: on each "
             f"model's explorer page, z[0] dragged by Playwright's mouse, {e['moves']} moves "
             f"{e['move_ms']} ms apart, there and back; the page records, for every input "
             "event, the time to the digit that shows it or a later state, and the "
             "generator's own time per digit in its worker. The article generators are "
             "untrained (the cost does not depend on the weights). **A class dragging**: the "
             "GAN Quick preset trains on the server (started from the Train page, no step "
             f"limit); {e['warmup_s']:g} s after the students start, {e['seconds']:g} s "
             f"windows with no student, {e['students']} students dragging (each page drags "
             f"z[0] with input events every {e['drag']['move_ms']} ms for "
             f"{e['drag']['drag_s']:g} s, lets go, rests {e['drag']['rest_s']:g} s) and none "
             "again. The students' cost is the server's CPU outside its training threads, "
             "less the same without students (as for the watchers). **First open**: the "
             "static files a fresh browser fetches for the explorer on the Quick model.", ""]
    if e["skipped"]:
        return "\n".join([*lines, f"**Skipped**: {e['skipped']}", ""])
    rows = [(model, f"{r['median_ms']:.1f}", f"{r['p90_ms']:.1f}", f"{r['digit_median_ms']:.1f}",
             f"{r['moves_per_s']:.0f}", str(r["pictures"]), f"{r['load_average']:g}")
            for model, r in e["latency"].items()]
    lines += [_table(("model", "move to picture: median ms", "90th percentile",
                      "generator ms a digit (median)", "moves/s", "digits drawn",
                      "load average"), rows), ""]
    c = e["class"]
    if "error" in c:
        lines += [f"A class dragging **failed**: {c['error']}", ""]
        students = ""
    else:
        windows = [(str(w["students"]), f"{w['steps_per_s']:.1f}", f"{w['server_cpu']:.2f}",
                    f"{w['serving_cpu']:+.3f}", str(w["drags"]), f"{w['load_average']:g}")
                   for w in c["windows"]]
        lines += [_table(("students dragging", "training steps/s", "server CPU (cores)",
                          "outside training (cores)", "drags", "load average"), windows), ""]
        students = (f"{e['students']} students: {c['class_core_share']:.1%} of the server's "
                    f"core, {c['drags_per_s']:.1f} drags told to the server a second; "
                    f"training kept {c['training_kept']:.0%} of its steps/s. ")
    lines += [students + "First open: "
              + ", ".join(f"`{name}` {size / 1e3:,.0f} kB"
                          for name, size in sorted(e["first_open"]["files"].items()))
              + f" ({e['first_open']['bytes'] / 1e6:.2f} MB). Load average during the "
              f"section: {', '.join(f'{a:g}' for a in e['load_average'])}.", ""]
    return "\n".join(lines)


def _memory(memory: dict[str, Any]) -> str:
    first, last = memory["samples"][0], memory["samples"][-1]
    return "\n".join([
        _TITLES["memory"], "",
        f"Resident memory (VmRSS from /proc/self/status) of the benchmark process during a "
        f"{memory['steps']:,}-step `TrainingRun` of the GAN Quick preset (with the quality "
        f"evaluator, as the app runs it) at batch "
        f"{memory['batch_size']}, read every {memory['every']:,} steps. The level includes "
        f"what the process held before ({memory['rss_before_mb']:.0f} MB); what matters is "
        f"the growth after warm-up (step {memory['warmup_steps']:,}). Some early growth is "
        f"by design: a run keeps a timeline of up to 60 sample grids (one a second, 64 "
        f"images each, about 3 MB as uint8 pixels) and a metric history of up to 4,000 rows, both bounded, "
        f"both filling during the first minute.", "",
        _table(("", "value"), [
            ("at the first reading", f"{first['rss_mb']:.0f} MB (step {first['step']:,})"),
            ("at the end", f"{last['rss_mb']:.0f} MB (step {last['step']:,})"),
            ("growth after warm-up", f"{memory['growth_after_warmup_mb']:+.1f} MB "
                                     f"(target < {memory['target_growth_mb']:g} MB: "
                                     f"{_met(memory['met'])})"),
            ("training speed between the first and last reading",
             f"{memory['steps_per_s']:.0f} steps/s" if memory["steps_per_s"] else "—")]), "",
        f"![Memory]({PLOTS['memory']})", ""])


def _runs(runs: dict[str, Any]) -> str:
    first, last = runs["readings"][0], runs["readings"][-1]
    return "\n".join([
        _TITLES["runs"], "",
        f"Resident memory of the benchmark process across {runs['cycles']} runs of the GAN "
        f"Quick preset, each started through a `RunRegistry` as the app starts it (quality "
        f"evaluator included), trained {runs['steps']} steps and stopped; the registry keeps "
        f"its ended runs, as a server does. The first cycle also warms TensorFlow up, so the "
        f"growth is counted from its end. Ended runs keep their snapshot and final weights, "
        f"not their networks, and hand the networks back for the next run of the same "
        f"settings: TensorFlow never frees a traced graph (docs/decisions.md).", "",
        _table(("", "value"), [
            ("before the first run", f"{runs['rss_before_mb']:.0f} MB"),
            ("after the first run", f"{first['rss_mb']:.0f} MB"),
            (f"after run {last['cycle']}", f"{last['rss_mb']:.0f} MB"),
            ("growth", f"{runs['growth_mb']:+.1f} MB (target < {runs['target_growth_mb']:g} "
                       f"MB: {_met(runs['met'])})"),
            ("time", f"{runs['seconds']:.0f} s")]), ""])


def _ray(ray: dict[str, Any]) -> str:
    thread, actor = ray["thread"], ray["ray"]
    rows = [(name, f"{arm['steps_per_s']:.1f}", f"{arm['snapshot_ms']['median']:.1f} ms",
             f"{arm['snapshot_ms']['p95']:.1f} ms")
            for name, arm in (("thread (the default)", thread), ("Ray actor", actor))]
    return "\n".join([
        _TITLES["ray"], "",
        f"The GAN Quick preset on the bundled digits, trained {ray['seconds']:g} s in a thread "
        f"of this process, then in a Ray actor on a one-node local cluster (both with "
        f"{ray['cores']} cores); then {ray['snapshots']} snapshots timed while it trains, as a "
        f"page asks for them. Target: a snapshot through Ray in under "
        f"{ray['target_ms']:g} ms: {_met(ray['met'])}.", "",
        _table(("backend", "steps/s", "snapshot (median)", "snapshot (p95)"), rows), ""])


def _challenge(c: dict[str, Any]) -> str:
    here, targets = c["one_machine"], c["targets"]
    delay = here["board_delay_s"]["max"]
    rows = [("one machine, through the queue (one entry at a time)",
             f"{here['wall_s']:.0f} s",
             f"<= {targets['overhead']:.0%} of by hand ({c['by_hand_s']:.0f} s)",
             f"{c['overhead']:.0%}", _met(c["met"]["overhead"])),
            ("the board shows an entry after its run's end", "—",
             f"<= {targets['board_s']:g} s", "—" if delay is None else f"{delay:.2f} s (max)",
             _met(c["met"]["board"]))]
    cluster = c["ray_3_nodes"]
    if "skipped" in cluster:
        rows.append(("Ray cluster of 3 one-CPU nodes", "skipped", "—", cluster["skipped"], "—"))
    else:
        rows.append(("Ray cluster of 3 one-CPU nodes", f"{cluster['wall_s']:.0f} s",
                     f"<= {targets['ray_share']:.0%} of one machine",
                     f"{cluster['share_of_one_machine']:.0%}", _met(c["met"]["ray_share"])))
    return "\n".join([
        _TITLES["challenge"], "",
        f"{c['entries']} entries of the GAN Quick preset, each with the work of "
        f"{c['entry_s']:g} s on this machine ({c['budget_images']:,} images seen at "
        f"{c['images_per_s']:.0f} images/s), submitted at once by as many students; the wall "
        f"clock from the first submit to the last score, and how soon each score is on the "
        f"board.", "",
        _table(("row", "wall clock", "target", "measured", "met"), rows), ""])


def _device(machine: dict[str, Any]) -> str:
    where = ("on the CPU only: TensorFlow found no GPU" if machine["device"] == "CPU" else
             f"on {machine['device']}, the device TensorFlow placed the networks on")
    return (f"## 5. Device\n\nThis report ran {where}. The same command runs unchanged on "
            "a GPU machine and records its name here; the targets above are set for a "
            "2-core CPU.\n")


# --- formatting ------------------------------------------------------------------------------

def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _range(summary: dict[str, Any], fmt: str) -> str:
    """"median (min-max)" of a timing.summarize result."""
    if summary["median"] is None:
        return "—"
    if summary["n"] == 1:
        return fmt.format(summary["median"])
    return (f"{fmt.format(summary['median'])} ({fmt.format(summary['min'])}–"
            f"{fmt.format(summary['max'])})")


def _range_of(values: Sequence[float], fmt: str) -> str:
    from benchmarks.timing import summarize
    return _range(summarize(values), fmt)


def _seconds_list(times: Sequence[float | None]) -> str:
    return ", ".join("not reached" if t is None else f"{t:.0f}" for t in times) or "—"


def _met(met: bool) -> str:
    return "yes" if met else "**no**"
