"""A class challenge's queue at full size (ganlib.server.challenge): the two benchmark rows.

Row 1, one machine: N entries, each with the work the GAN Quick preset does in `entry_s`
seconds on a quiet machine (measured first: images per second x entry_s), go through the
challenge's queue in this process. Targets: the wall clock from the first submit to the last
score is at most 30 % above the same entries trained back to back by hand (measured here on
`by_hand` entries and scaled), and the board shows each entry within 2 s of its run's end.
Row 2, a Ray cluster of 3 simulated nodes (ray.cluster_utils, one CPU each): the same
entries; target: about a third of row 1's wall clock (met at most 40 %). Row 2 needs `ray`
(requirements-ray.txt): without it the row says so. The simulated nodes share this
machine's cores: row 2's target needs at least 3 free cores (a 2-core machine cannot show it). An optional section of the benchmarks
(benchmarks.run), run on a quiet machine: every number here is wall clock.

    python -m benchmarks --only challenge --merge            # the full rows (30 entries x 20 s)
    python -m benchmarks --quick --only challenge --out /tmp/bench   # a smoke run
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ganlib.challenge import EntryStatus, open_spec  # noqa: E402
from ganlib.config import make_config  # noqa: E402
from ganlib.data import load_dataset  # noqa: E402
from ganlib.server.challenge import ChallengeHost  # noqa: E402
from ganlib.server.classroom import Role, owner_for  # noqa: E402
from ganlib.server.registry import RunRegistry  # noqa: E402
from ganlib.training.backends import THREADS  # noqa: E402

TEACHER = owner_for("t" * 64, Role.TEACHER)
OVERHEAD_TARGET = 1.30
BOARD_TARGET_S = 2.0
RAY_SHARE_TARGET = 0.40         # "about a third" of one machine's wall clock
RAY_NODES = 3                   # one CPU each


def images_per_second(seconds: float) -> float:
    """How many images the GAN Quick preset's generator makes per second here."""
    config = make_config("gan", "quick", steps=None)
    run = THREADS.make_run(config, dataset=load_dataset("mnist-10k")).start()
    run.wait_for(lambda s: s.step > 20, timeout=120)     # built and warmed up
    start_step, started = run.snapshot(watch=False).step, time.monotonic()
    time.sleep(seconds)
    steps = run.snapshot(watch=False).step - start_step
    run.stop()
    return steps * config.batch_size / (time.monotonic() - started)


def by_hand(budget: int, count: int) -> float:
    """Seconds to train `count` entries one after the other, each started when the last ended."""
    spec = open_spec("best-digits", ends_at=2e9, budget_images=budget)
    config, dataset = spec.entry_config("gan", {}), load_dataset("mnist-10k")
    started = time.monotonic()
    for _ in range(count):
        run = THREADS.make_run(config, dataset=dataset).start()
        run.wait()
    return time.monotonic() - started


def through_the_queue(budget: int, entries: int, registry: RunRegistry, make_run,
                      folder: Path) -> dict[str, Any]:
    """Submit `entries` entries at once (one student each) and time them to the last score;
    also how long after each run's end its entry was on the board."""
    host = ChallengeHost(registry, folder, make_run=make_run, tick_s=0.1)
    host.open(TEACHER, open_spec("best-digits", ends_at=2e9, budget_images=budget,
                                 entries_per_student=1))
    ended_at: dict[str, float] = {}
    on_board: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:                     # as the projector's page would, but every 50 ms
        while not done.is_set():
            now = time.monotonic()
            for entry in host.entries():
                run = host.run_of(entry)
                if run is not None and run.snapshot(watch=False).status.ended:
                    ended_at.setdefault(entry.entry_id, now)
            for row in host.board():
                on_board.setdefault(row.entry.entry_id, now)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    for n in range(entries):
        host.submit(owner_for(f"{n:064x}", Role.STUDENT), "gan", {"seed": n})
    while not all(e.status in (EntryStatus.SCORED, EntryStatus.FAILED)
                  for e in host.entries()):
        time.sleep(0.1)
    wall = time.monotonic() - started
    time.sleep(0.2)
    done.set()
    host.stop()
    registry.stop_all()
    delays = [on_board[e] - ended_at[e] for e in on_board if e in ended_at]
    return {"wall_s": wall, "scored": sum(e.status is EntryStatus.SCORED
                                          for e in host.entries()),
            "board_delay_s": {"median": statistics.median(delays) if delays else None,
                              "max": max(delays) if delays else None}}


def on_ray(budget: int, entries: int, folder: Path) -> dict[str, Any]:
    """Row 2: the same entries on a local cluster of 3 one-CPU nodes."""
    import ray
    from ray.cluster_utils import Cluster

    from ganlib.training.ray_backend import RayBackend

    node = dict(num_cpus=1, object_store_memory=80 * 2**20)
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    for _ in range(RAY_NODES - 1):
        cluster.add_node(**node)
    cluster.wait_for_nodes()
    backend = RayBackend(cluster.address, cpus_per_run=1)
    dataset = load_dataset("mnist-10k")
    try:
        return through_the_queue(
            budget, entries, RunRegistry(queues=True), folder=folder,
            make_run=lambda config, owner_id: backend.make_run(config, dataset=dataset,
                                                               owner_id=owner_id))
    finally:
        backend.close()
        ray.shutdown()
        cluster.shutdown()


def challenge_rows(entries: int, entry_s: float, by_hand_count: int) -> dict[str, Any]:
    """Both rows (see the module's docstring); row 2 only where `ray` is installed and the
    machine has a core for each simulated node (on fewer, the nodes take turns on the same
    cores and the row would measure that, for many minutes)."""
    rate = images_per_second(min(10.0, max(2.0, entry_s / 2)))
    budget = max(1_000, int(rate * entry_s))
    hand = by_hand(budget, by_hand_count) / by_hand_count * entries
    dataset = load_dataset("mnist-10k")
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["GANLIB_CHECKPOINTS"] = str(Path(scratch) / "models")
        here = through_the_queue(
            budget, entries, RunRegistry(max_active=1), folder=Path(scratch) / "here",
            make_run=lambda config, owner_id: THREADS.make_run(
                config, dataset=dataset, owner_id=owner_id))
        delay = here["board_delay_s"]["max"]
        result = {"entries": entries, "entry_s": entry_s, "budget_images": budget,
                  "images_per_s": rate, "by_hand_s": hand, "one_machine": here,
                  "overhead": here["wall_s"] / hand,
                  "targets": {"overhead": OVERHEAD_TARGET, "board_s": BOARD_TARGET_S,
                              "ray_share": RAY_SHARE_TARGET},
                  "met": {"overhead": here["wall_s"] / hand <= OVERHEAD_TARGET,
                          "board": delay is not None and delay <= BOARD_TARGET_S}}
        if importlib.util.find_spec("ray") is None:
            result["ray_3_nodes"] = {"skipped": "the ray package is not installed "
                                                "(requirements-ray.txt)"}
        elif (os.cpu_count() or 1) < RAY_NODES:
            result["ray_3_nodes"] = {"skipped": f"{RAY_NODES} one-CPU nodes need {RAY_NODES} "
                                                f"cores; this machine has {os.cpu_count()}"}
        else:
            cluster = on_ray(budget, entries, Path(scratch) / "ray")
            share = cluster["wall_s"] / here["wall_s"]
            result["ray_3_nodes"] = {**cluster, "share_of_one_machine": share}
            result["met"]["ray_share"] = share <= RAY_SHARE_TARGET
    return result
