"""Run the benchmark sections with one set of sizes, and write the report.

`FULL` is what the published report uses (about 25 minutes on 2 quiet cores); `QUICK`
shrinks every section to a smoke run of a few minutes whose numbers mean little. Sections
run one after the other in this process (the watching section starts its own server and
headless processes), so no two measurements compete for the CPU.
"""

from __future__ import annotations

import dataclasses
import json
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.report import machine_info, write_report

SECTIONS: tuple[str, ...] = ("articles", "presets", "quality", "watching", "watchers",
                             "explorer", "memory", "runs")
# Sections that need an optional package run only when named with --only.
OPTIONAL_SECTIONS: tuple[str, ...] = ("ray", "challenge")   # requirements-ray.txt
DEFAULT_OUT = Path("docs/benchmarks")


@dataclass(frozen=True)
class Settings:
    """The size of every measurement."""

    # Smoke run (numbers not meaningful) or the real thing; printed in the report.
    quick: bool
    # 1. Article loops: iterations per timed block for each article (the WGAN article's
    # iteration is 20x the GAN article's work), blocks per arm, untimed iterations first,
    # iterations under the profiler.
    gan_article_steps: int
    wgan_article_steps: int
    article_repetitions: int
    article_warmup: int
    article_profile_steps: int
    # Networks for the article comparison: None is each article's own. Only the tests
    # change it (to "quick"), to run the same code in seconds.
    article_architecture: str | None
    # ganlib's Quick presets: network updates per timed block, blocks per preset.
    preset_steps: int
    preset_repetitions: int
    # 2. Time to quality: seeds per preset, wall-clock seconds per run, seconds between
    # evaluations.
    quality_seeds: int
    quality_seconds: float
    quality_every_s: float
    # 3. Watching: headless/browser pairs, seconds before and of each measuring window,
    # slider moves timed, and whether to drive a browser at all.
    watch_repetitions: int
    watch_warmup_s: float
    watch_seconds: float
    slider_calls: int
    browser: bool
    # 3b. A class of watchers: how many watch-link pages in each window (0 first: the
    # baseline), seconds before and of each window (needs the browser too); refreshes of the
    # thirty viewers' pictures and charts timed; seconds of each window of the three
    # students playing the 2D playground.
    watcher_counts: tuple[int, ...]
    watcher_warmup_s: float
    watcher_seconds: float
    render_refreshes: int
    player_seconds: float
    # 3c. Digits drawn in the browser: pointer moves timed per model, students dragging at
    # once, seconds before and of each window.
    explorer_moves: int
    explorer_students: int
    explorer_warmup_s: float
    explorer_seconds: float
    # 4. Memory: steps of the GAN Quick run, steps between readings, warm-up steps, batch.
    memory_steps: int
    memory_every: int
    memory_warmup_steps: int
    memory_batch: int
    # 5. Memory across runs: start/train/stop cycles, steps per cycle, cycles between readings.
    runs_cycles: int
    runs_steps: int
    runs_every: int
    # 6. Ray (optional): seconds of training timed in each backend, snapshots timed.
    ray_seconds: float
    ray_snapshots: int
    # 7. A class challenge (optional): entries, seconds of quiet-machine work per entry,
    # entries trained back to back for the by-hand baseline.
    challenge_entries: int
    challenge_entry_s: float
    challenge_by_hand: int


FULL = Settings(
    quick=False, gan_article_steps=10, wgan_article_steps=3, article_repetitions=5,
    article_warmup=2, article_profile_steps=3, article_architecture=None,
    preset_steps=150, preset_repetitions=5,
    quality_seeds=3, quality_seconds=90.0, quality_every_s=3.0,
    watch_repetitions=5, watch_warmup_s=10.0, watch_seconds=20.0, slider_calls=200,
    browser=True, watcher_counts=(0, 1, 5, 10), watcher_warmup_s=5.0, watcher_seconds=20.0,
    render_refreshes=20, player_seconds=20.0,
    explorer_moves=300, explorer_students=10, explorer_warmup_s=5.0, explorer_seconds=20.0,
    memory_steps=20_000, memory_every=1_000, memory_warmup_steps=2_000, memory_batch=8,
    runs_cycles=100, runs_steps=20, runs_every=10, ray_seconds=30.0, ray_snapshots=200,
    challenge_entries=30, challenge_entry_s=20.0, challenge_by_hand=3)

QUICK = dataclasses.replace(
    FULL, quick=True, gan_article_steps=2, wgan_article_steps=1, article_repetitions=2,
    article_warmup=1, article_profile_steps=1, preset_steps=30, preset_repetitions=2,
    quality_seeds=1, quality_seconds=15.0, quality_every_s=3.0,
    watch_repetitions=1, watch_warmup_s=3.0, watch_seconds=8.0, slider_calls=50,
    watcher_counts=(0, 1), watcher_warmup_s=3.0, watcher_seconds=8.0, render_refreshes=3,
    player_seconds=8.0,
    explorer_moves=60, explorer_students=2, explorer_warmup_s=2.0, explorer_seconds=5.0,
    memory_steps=2_000, memory_every=200, memory_warmup_steps=400,
    runs_cycles=10, runs_steps=5, runs_every=5, ray_seconds=5.0, ray_snapshots=20,
    challenge_entries=3, challenge_entry_s=2.0, challenge_by_hand=1)


def run_section(name: str, settings: Settings) -> dict[str, Any]:
    """Measure one section (see SECTIONS) with `settings`; its raw results."""
    # Imported here: each section pulls in TensorFlow, and `--help` should not wait for it.
    if name == "articles":
        from benchmarks.article_loops import ARTICLES, compare_article_loops
        steps = {"gan": settings.gan_article_steps, "wgan": settings.wgan_article_steps}
        return {article: compare_article_loops(
                    article, steps[article], settings.article_repetitions,
                    settings.article_warmup, settings.article_profile_steps,
                    architecture=settings.article_architecture)
                for article in ARTICLES}
    if name == "presets":
        from benchmarks.throughput import preset_throughput
        return preset_throughput("quick", settings.preset_steps, settings.preset_repetitions)
    if name == "quality":
        from benchmarks.time_to_quality import time_to_quality
        return time_to_quality(settings.quality_seeds, settings.quality_seconds,
                               settings.quality_every_s)
    if name == "watching":
        from benchmarks.watching import cost_of_watching
        return cost_of_watching(settings.watch_repetitions, settings.watch_warmup_s,
                                settings.watch_seconds, settings.slider_calls,
                                browser=settings.browser)
    if name == "watchers":
        from benchmarks.watchers import cost_of_watchers, playground_players, render_cost
        return {**cost_of_watchers(settings.watcher_counts, settings.watcher_warmup_s,
                                   settings.watcher_seconds, browser=settings.browser),
                "renders": render_cost(refreshes=settings.render_refreshes),
                "players": playground_players(3, settings.watcher_warmup_s,
                                              settings.player_seconds)}
    if name == "explorer":
        from benchmarks.explorer import explorer_in_the_browser
        return explorer_in_the_browser(settings.explorer_moves, settings.explorer_students,
                                       settings.explorer_warmup_s, settings.explorer_seconds,
                                       browser=settings.browser)
    if name == "memory":
        from benchmarks.memory import memory_probe
        return memory_probe(settings.memory_steps, settings.memory_every,
                            settings.memory_warmup_steps, settings.memory_batch)
    if name == "runs":
        from benchmarks.memory import runs_probe
        return runs_probe(settings.runs_cycles, settings.runs_steps, settings.runs_every)
    if name == "ray":
        from benchmarks.ray_backend import ray_vs_thread
        return ray_vs_thread(settings.ray_seconds, settings.ray_snapshots)
    if name == "challenge":
        from benchmarks.challenge import challenge_rows
        return challenge_rows(settings.challenge_entries, settings.challenge_entry_s,
                              settings.challenge_by_hand)
    raise ValueError(f"Unknown section {name!r}; choose from {', '.join(SECTIONS)}.")


def run_benchmarks(settings: Settings, out: Path, sections: Sequence[str] = SECTIONS,
                   command: str = "python -m benchmarks",
                   progress: Callable[[str], None] = print,
                   merge: bool = False) -> dict[str, Any]:
    """Run `sections` with `settings`, write the report into `out`; the results.

    A section that raises is recorded as {"error": message} (its traceback printed) and the
    others still run: a failure at minute 20 should not cost the first 19. With `merge`, the
    sections not run now keep their results from `out`/results.json (an earlier run), and
    the report says which and from when.
    """
    unknown = [name for name in sections if name not in SECTIONS + OPTIONAL_SECTIONS]
    if unknown:
        raise ValueError(f"Unknown section(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(SECTIONS)}.")
    started = time.monotonic()
    results: dict[str, Any] = {
        "command": command,
        "mode": "quick" if settings.quick else "full",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "settings": dataclasses.asdict(settings),
        "machine": machine_info(),
        "sections": {},
        "section_seconds": {},
    }
    for name in sections:
        progress(f"[benchmarks] {name} ...")
        section_started = time.monotonic()
        try:
            results["sections"][name] = run_section(name, settings)
        except Exception as exc:  # noqa: BLE001 - one failed section must not lose the others
            traceback.print_exc()
            results["sections"][name] = {"error": f"{type(exc).__name__}: {exc}"}
        results["section_seconds"][name] = time.monotonic() - section_started
        outcome = "failed" if "error" in results["sections"][name] else "done"
        progress(f"[benchmarks] {name} {outcome} in {results['section_seconds'][name]:.0f} s")
    results["duration_s"] = time.monotonic() - started
    if merge:
        keep_earlier(results, Path(out) / "results.json")
    write_report(results, out)
    progress(f"[benchmarks] report written to {out / 'README.md'}")
    return results


def keep_earlier(results: dict[str, Any], saved: Path) -> None:
    """Add to `results` the sections it lacks from the run saved in `saved`, noting which
    and that run's command and date (`results["kept"]`)."""
    if not saved.is_file():
        return
    earlier = json.loads(saved.read_text())
    kept = [name for name in earlier["sections"] if name not in results["sections"]]
    if not kept:
        return
    for name in kept:
        results["sections"][name] = earlier["sections"][name]
        if name in earlier.get("section_seconds", {}):
            results["section_seconds"][name] = earlier["section_seconds"][name]
    earlier_kept = earlier.get("kept", {})
    results["kept"] = {"sections": kept, "command": earlier_kept.get("command",
                                                                     earlier["command"]),
                       "date": earlier_kept.get("date", earlier["date"])}
