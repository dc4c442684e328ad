"""Runs on a real Ray cluster of two simulated nodes (ganlib.training.ray_backend).

One small cluster for the whole module (each node 1 CPU, each run asks for 1): a run's actor
is a fresh process that imports TensorFlow, so the tests share places and keep few runs.
Without the `ray` package (requirements-ray.txt) the module skips.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from ganlib import settings  # noqa: E402
from ganlib.checkpoints import load_checkpoint, read_info  # noqa: E402
from ganlib.errors import GanlibError  # noqa: E402
from ganlib.server.classroom import Owner, Role  # noqa: E402
from ganlib.server.registry import RunRegistry  # noqa: E402
from ganlib.server.shared import release_all  # noqa: E402
from ganlib.training.autosave import autosave_name, find_autosave  # noqa: E402
from ganlib.training.backends import backend_for  # noqa: E402
from ganlib.training.core import Run, RunStatus  # noqa: E402
from ganlib.training.ray_backend import RayBackend, RayRun  # noqa: E402
from ganlib.training.runner import ResumeState  # noqa: E402
from tests.helpers import wait_until  # noqa: E402

NODE = dict(num_cpus=1, object_store_memory=80 * 2**20)


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    cluster.add_node(**NODE)
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def backend(cluster):
    backend = RayBackend(cluster.address, cpus_per_run=1, autosave_every_s=1.0, tick_s=0.2)
    yield backend
    backend.close()


@pytest.fixture
def runs(backend):
    """Every run a test starts is stopped after it, so its place is free for the next test."""
    made: list[RayRun] = []
    yield made
    for run in made:
        run.stop(timeout=10)


def start(backend, runs, config, dataset, paused=False, **options) -> RayRun:
    run = backend.make_run(config, dataset=dataset, **options)
    runs.append(run)
    return run.start(paused=paused)


def worker_pid(run: RayRun) -> int:
    """The pid of the process that trains `run` (its actor says "<ip>, pid <n>")."""
    return int(ray.get(run._where, timeout=30).rsplit(" ", 1)[1])


def test_places_are_counted_from_the_cluster_nodes(backend, cluster, monkeypatch):
    assert backend.capacity() == 2                    # two nodes, one CPU each
    monkeypatch.setenv("GAN_CLASSROOM_RAY_CPUS_PER_RUN", "2")
    settings.reset()
    configured = backend_for(cluster.address)         # as the app makes it
    try:
        assert configured.cpus_per_run == 2 and configured.gpus_per_run == 0
        assert configured.capacity() == 0             # no node has 2 CPUs ...
        assert "none of its machines has room" in configured.queue_message(1)   # ... it says
    finally:
        configured.close()


def test_a_ray_run_trains_saves_and_resumes_like_a_thread_run(backend, runs, tiny_config,
                                                              tiny_dataset):
    run = start(backend, runs, tiny_config("gan", steps=3), tiny_dataset)
    assert isinstance(run, Run)
    assert run.wait(120), run.snapshot().message
    snap = run.snapshot()
    assert snap.status == RunStatus.FINISHED and snap.step == 3 and not run.alive
    assert list(snap.history["step"]) == [1, 2, 3]
    assert snap.samples.shape == (64, 28, 28, 1) and snap.timeline
    assert snap.run_id == run.run_id and snap.dataset_name == "tiny"
    step, weights = run.generator_weights()       # the final weights came to the app
    assert step == 3 and weights
    run.save("first-part")
    resume = ResumeState.from_checkpoint(load_checkpoint("first-part", with_critic=True))
    second = start(backend, runs, tiny_config("gan", steps=5), tiny_dataset, resume=resume)
    assert second.snapshot().step == 3           # before its worker answers, too
    assert second.wait(120)
    snap = second.snapshot()
    assert snap.status == RunStatus.FINISHED and snap.step == 5
    assert list(snap.history["step"]) == [1, 2, 3, 4, 5]


def test_pause_step_resume_save_and_stop_through_the_actor(backend, runs, tiny_config,
                                                          tiny_dataset):
    run = start(backend, runs, tiny_config("wgan", steps=None), tiny_dataset, paused=True)
    assert run.wait_for(lambda s: s.status == RunStatus.PAUSED, timeout=120), run.snapshot().message
    run.step(3)
    assert run.wait_for(lambda s: s.step == 3 and s.status == RunStatus.PAUSED, timeout=30)
    info = run.save("on-ray")                     # written here, from the actor's arrays
    assert read_info("on-ray").step == 3 and run.snapshot().saved_as == info.name
    run.resume()
    assert run.wait_for(lambda s: s.step > 5, timeout=30)
    assert run.snapshot().step > 5               # (how fast: the benchmark measures it)
    run.pause()
    assert run.wait_for(lambda s: s.status == RunStatus.PAUSED, timeout=10)
    run.stop()
    snap = run.snapshot()
    assert snap.status == RunStatus.STOPPED and run.wait(0) and not run.alive
    run.save("after-stop")                        # from the final weights kept here
    assert read_info("after-stop").step == snap.step


def test_a_full_cluster_queues_runs_with_the_teachers_first(backend, runs, tiny_config,
                                                            tiny_dataset):
    registry = RunRegistry(max_active=1, queues=True)    # the cluster is the cap
    student = Owner("s1", Role.STUDENT, "Student s1")
    teacher = Owner("t", Role.TEACHER, "Teacher")

    def start_job(owner):
        job, _ = registry.start(lambda: backend.make_run(
            tiny_config("gan", steps=None), dataset=tiny_dataset,
            priority=owner.role is Role.TEACHER), paused=True, owner=owner)
        runs.append(job)
        return job

    first, second = start_job(student), start_job(student)
    for job in (first, second):                 # placed by the backend's thread
        assert job.wait_for(lambda s: s.status != RunStatus.QUEUED, timeout=10)
    waiting = start_job(student)
    assert waiting.snapshot().status == RunStatus.QUEUED and waiting.snapshot().queue_position == 1
    demo = start_job(teacher)                   # goes before the student's
    assert demo.snapshot().queue_position == 1
    snap = waiting.snapshot()
    assert snap.queue_position == 2 and snap.active and "2nd in line" in snap.message
    assert len(registry.active()) == 4          # nobody was refused
    first.stop()
    assert demo.wait_for(lambda s: s.status != RunStatus.QUEUED, timeout=10)
    assert waiting.snapshot().queue_position == 1
    waiting.stop()                               # leaving the queue ends it at once
    assert waiting.snapshot().status == RunStatus.STOPPED and not waiting.alive
    for job in (second, demo):
        job.stop()


def test_a_silent_or_dead_worker_never_hangs_a_page_and_its_autosave_is_kept(
        backend, runs, tiny_config, tiny_dataset):
    run = start(backend, runs, tiny_config("gan", steps=None), tiny_dataset)
    assert run.wait_for(lambda s: s.status == RunStatus.RUNNING, timeout=120)
    pid = worker_pid(run)
    os.kill(pid, signal.SIGSTOP)                 # the worker (as a lost cluster) is silent
    try:
        began = time.perf_counter()
        first = run.snapshot()
        waited = time.perf_counter() - began
        began = time.perf_counter()
        again = run.snapshot()
        waited_again = time.perf_counter() - began
        began = time.perf_counter()
        with pytest.raises(GanlibError, match="has not answered"):
            run.pause()                          # a button is refused at once, too
        refused_in = time.perf_counter() - began
    finally:
        os.kill(pid, signal.SIGCONT)
    assert waited < 3 and waited_again < 0.5 and refused_in < 0.5
    assert "has not answered" in first.message and first.status == RunStatus.RUNNING
    assert "has not answered" in again.message
    assert run.wait_for(lambda s: s.message is None and s.status == RunStatus.RUNNING, timeout=30)

    wait_until(lambda: find_autosave(run.run_id) is not None, timeout=60,
               what="the app's autosave (every second here)")
    assert find_autosave(run.run_id).step > 0
    os.kill(pid, signal.SIGKILL)                 # the worker dies
    assert run.wait(30)
    snap = run.snapshot()
    assert snap.status == RunStatus.FAILED and not snap.active
    assert "died" in snap.message and autosave_name(run.run_id) in snap.message
    assert find_autosave(run.run_id) is not None
    with pytest.raises(GanlibError, match="no trained networks"):
        run.save("nothing-left")
    assert run not in backend._placed            # its place is free again


def test_the_train_page_trains_on_the_cluster_the_app_is_started_against(
        cluster, backend, monkeypatch, open_app):
    import streamlit as st

    from ui import state
    from ui.pages import PAGES

    monkeypatch.setenv("GAN_CLASSROOM_RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("GAN_CLASSROOM_RAY_CPUS_PER_RUN", "1")
    settings.reset()
    release_all()
    st.cache_resource.clear()
    try:
        at = open_app(PAGES.train)
        at.button(key="train-start").click().run()
        assert not at.exception
        run = state.registry().get(at.session_state[state.RUN])
        assert isinstance(run, RayRun) and state.registry().queues
        assert run.wait_for(lambda s: s.status == RunStatus.RUNNING, timeout=120), \
            run.snapshot().message
        at.run()
        assert any("-badge[" in m.value and "running" in m.value for m in at.markdown)
        at.button(key="train-stop").click().run()
        assert not at.exception and run.snapshot().status == RunStatus.STOPPED
    finally:
        release_all()               # the app's backend and registry let go
        st.cache_resource.clear()
