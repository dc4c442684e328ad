"""Challenge entries on a Ray cluster of three simulated nodes (ray.cluster_utils): handed
over at once, they train in parallel, never more than one per free place, and the next waits
for a place. Each entry's budget is the least a challenge allows (1,000 images: 32 steps of
the quick preset), so the test waits mostly for the nodes' TensorFlow to start. Without the
`ray` package (requirements-ray.txt) the module skips."""

from __future__ import annotations

import gc

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from ganlib.challenge import BUDGET_RANGE, EntryStatus, open_spec  # noqa: E402
from ganlib.data import load_dataset  # noqa: E402
from ganlib.server.challenge import ChallengeHost  # noqa: E402
from ganlib.server.classroom import Role, owner_for  # noqa: E402
from ganlib.server.registry import RunRegistry  # noqa: E402
from ganlib.training.core import RunStatus  # noqa: E402
from ganlib.training.ray_backend import RayBackend  # noqa: E402
from tests.helpers import wait_until  # noqa: E402

NODE = dict(num_cpus=1, object_store_memory=80 * 2**20)
TEACHER = owner_for("t" * 64, Role.TEACHER)


@pytest.fixture(scope="module")
def backend():
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(**NODE)
    cluster.wait_for_nodes()
    backend = RayBackend(cluster.address, cpus_per_run=1, tick_s=0.2)
    yield backend
    backend.close()
    gc.collect()          # the runs' Ray handles go while Ray is up (after, they end pytest)
    ray.shutdown()
    cluster.shutdown()


def test_entries_train_in_parallel_one_per_free_place(backend, tmp_path):
    dataset = load_dataset("mnist-10k")
    registry = RunRegistry(queues=backend.queues)
    host = ChallengeHost(registry, tmp_path / "c", tick_s=0.1,
                         make_run=lambda config, owner_id: backend.make_run(
                             config, dataset=dataset, owner_id=owner_id))
    students = [owner_for(c * 64, Role.STUDENT) for c in "abcd"]
    try:
        host.open(TEACHER, open_spec("best-digits", ends_at=2e9, budget_images=BUDGET_RANGE[0]))
        entries = [host.submit(s, "gan", {}) for s in students]
        assert all(e.status is EntryStatus.RUNNING for e in host.entries())   # all handed over
        seen = {"most": 0, "queued": False}

        def watch_until_scored() -> bool:
            """Count the entries training at once at every look, until all are scored."""
            snaps = [host.run_of(e).snapshot(watch=False) for e in host.entries()
                     if host.run_of(e) is not None]
            seen["most"] = max(seen["most"], sum(s.status is RunStatus.RUNNING for s in snaps))
            seen["queued"] |= any(s.queue_position for s in snaps)
            return all(e.status is EntryStatus.SCORED for e in host.entries())
        wait_until(watch_until_scored, timeout=600, every_s=0.05,
                   what="every entry to be scored")
        assert seen["queued"]                         # the fourth waited for a place
        assert 2 <= seen["most"] <= 3                 # in parallel, never past the places
        assert len(host.board()) == len(entries)
    finally:
        host.stop()
        registry.stop_all()
