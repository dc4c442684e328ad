"""Runs on a Ray cluster: each run trains in a Ray actor that holds a `TrainingRun`.

Imported only when a Ray address is configured (ganlib.training.backends.backend_for): the app never
imports `ray` otherwise.

- **Same code, same behaviour.** The actor runs the very `TrainingRun` of ganlib.training.runner; the
  app keeps a `RayRun` with the same interface whose methods call the actor. The project's
  `ganlib` package (with its bundled digits and classifiers) reaches the workers through
  Ray's runtime environment (`py_modules`), so no worker needs the app's disk; other data
  travels once as arrays through Ray's object store.
- **Nothing is lost with a worker.** A save asks the actor for the checkpoint's arrays
  (`TrainingRun.checkpoint_state`) and the app writes them into its own checkpoint folder
  with the same atomic save as a local run. Every `autosave_every_s` (if the run moved on)
  the app autosaves each run this way as `autosave-<run id>`; when a worker dies, its run
  turns "failed" and says which autosave to open.
- **The app decides what trains.** Ray would start actors in its own order; the app keeps
  its own queue instead, so that it can show each run its place ("3rd in line") and put the
  teacher's runs first. Capacity is counted from the cluster's live nodes: each run asks for
  `cpus_per_run` CPUs (and a GPU where the cluster has GPUs) on one node.
- **No page waits on a cluster that is gone.** Every call has a timeout; a snapshot that
  does not come back in time is answered with the last one heard of and a message, and
  later snapshots do not wait again until the cluster answers. Anything that talks to
  Ray's control service (placing, counting nodes) runs in the backend's own thread, never
  in a page's.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ganlib import settings
from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig
from ganlib.data import Dataset, load_dataset
from ganlib.errors import GanlibError
from ganlib.history import MetricHistory
from ganlib.messages import LazyText, _, ngettext
from ganlib.training.autosave import AUTOSAVE_EVERY_S, AutosaveClock, autosave_run, find_autosave
from ganlib.training.core import NotBuiltYet, RunCore, RunSnapshot, RunStatus, check_step_count
from ganlib.training.runner import save_state

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT_S = 2.0       # a page redraws every second: it may wait this long, once
CALL_TIMEOUT_S = 15.0          # a control or a save (a save copies a few MB)
TICK_S = 0.5                   # how often the backend looks at its runs and its queue
# Ray ends a driver that loses its cluster's control service for this long (60 s by
# default): the app would exit with it. A page says the cluster is gone instead.
_RECONNECT_ENV = "RAY_gcs_rpc_server_reconnect_timeout_s"
_RECONNECT_S = str(365 * 24 * 3600)


def runtime_env() -> dict[str, Any]:
    """What every worker gets: the ganlib package (code, bundled digits, classifiers), so
    a worker machine needs only the Python packages of requirements-ray.txt."""
    return {"py_modules": [str(Path(__file__).resolve().parents[1])],
            "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}}


def connect(address: str) -> Any:
    """Connect this process to the Ray cluster at `address` (once); the `ray` module.

    Its errors are for the server's administrator (the app logs them and trains in its own
    process), so they name the setting that gave the address."""
    variable = settings.name_of("ray_address")
    try:
        import ray
    except ImportError:
        raise GanlibError(_("Training on a Ray cluster ({address}) needs the `ray` package: "
                            "install it with `.venv/bin/pip install -r requirements-ray.txt`, or "
                            "unset {variable} to train on this machine.").format(
                              address=address, variable=variable)) from None
    if not ray.is_initialized():
        os.environ.setdefault(_RECONNECT_ENV, _RECONNECT_S)
        try:
            ray.init(address=address, runtime_env=runtime_env(), logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise GanlibError(_("Could not connect to the Ray cluster at {address!r} ({exc}). "
                                "Start it (`ray start --head` on its head node), or fix "
                                "{variable}, then restart the app.").format(
                                  address=address, exc=exc, variable=variable)) from None
    return ray


class RunActor:
    """One `TrainingRun` on a worker. The app's `RayRun` calls it; several calls may run at
    once (a snapshot must not wait behind a save), which TrainingRun is made for."""

    CALLS = frozenset({"start", "pause", "resume", "step", "stop", "snapshot",
                       "generator_weights", "checkpoint_state"})

    def __init__(self, run_id: str, config: TrainConfig, dataset: Dataset | None,
                 evaluation_samples: int | None, cpus: float, options: dict[str, Any]):
        import tensorflow as tf

        from ganlib.metrics import evaluator_for
        from ganlib.training.runner import TrainingRun

        # TensorFlow would use every core of the machine, whatever the actor asked for.
        threads = max(1, int(cpus))
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        if dataset is None:                   # the bundled digits came with the code
            dataset = load_dataset(config.dataset, config.digits)
        evaluator = evaluator_for(dataset, evaluation_samples) if evaluation_samples else None
        self.run = TrainingRun(config, dataset=dataset, evaluator=evaluator, **options)
        self.run.run_id = run_id              # the id the app knows it by

    def where(self) -> str:
        """Which machine and process train the run (for messages about a dead worker)."""
        import ray

        return f"{ray.util.get_node_ip_address()}, pid {os.getpid()}"

    def call(self, method: str, *args: Any) -> Any:
        if method not in self.CALLS:
            raise ValueError(f"RunActor does not forward {method!r}.")
        result = getattr(self.run, method)(*args)
        return None if result is self.run else result     # start() returns the run itself

    def state(self) -> tuple[str, int]:
        """Status and step only: what the backend polls, a few bytes instead of a snapshot."""
        snap = self.run.snapshot(watch=False)
        return snap.status, snap.step


_remote_actor: Any = None


def _actor_class() -> Any:
    global _remote_actor
    if _remote_actor is None:
        import ray

        _remote_actor = ray.remote(max_concurrency=4)(RunActor)
    return _remote_actor


class _Silent(GanlibError):
    """The cluster did not answer in time."""


def _ordinal(n: int) -> str:
    """`n` as the reader's language writes a place in a line: "3rd" in English."""
    if 10 <= n % 100 <= 20 or n % 10 not in (1, 2, 3):
        return _("{n}th").format(n=n)
    return {1: _("{n}st"), 2: _("{n}nd"), 3: _("{n}rd")}[n % 10].format(n=n)


class RayRun(RunCore):
    """A run that trains in a Ray actor, with the interface of `TrainingRun` (core.Run).

    Phases: "new" (made), "queued" (started, waiting for a place), "placed" (its actor
    exists), "ended" (its last snapshot and final weights are here; the actor is gone).
    """

    def __init__(self, backend: RayBackend, config: TrainConfig, *, dataset: Dataset,
                 evaluation_samples: int | None = None, priority: bool = False,
                 owner_id: str | None = None, **options: Any):
        super().__init__(config, owner_id)
        self.priority = priority
        self._backend = backend
        resume = options.get("resume")
        history = MetricHistory(ALGORITHM_INFO[config.algorithm].metrics)
        if resume is not None:
            history.load(resume.history)
        # What a snapshot shows before the worker answers (queued, building, unreachable).
        self._before = RunSnapshot.initial(
            self.run_id, config, dataset, step=resume.step if resume else 0,
            elapsed_s=resume.elapsed_s if resume else 0.0, history=history.arrays())
        self._actor_args = (self.run_id, config, _travelling(config, dataset), evaluation_samples,
                            backend.cpus_per_run, {**options, "owner_id": owner_id})
        self._lock = threading.Lock()
        self._phase = "new"
        self._start_paused = False
        self._actor: Any = None
        self._where: Any = None               # the actor's where(), asked once placed
        self._last: RunSnapshot | None = None
        self._built = False                   # the worker said it has built the networks
        self._final: Any = None               # the final weights (ganlib.training.runner._Weights)
        self._inflight: Any = None            # the snapshot request not answered yet
        self._silent_since: float | None = None
        self._saved_as: str | None = None
        self._saved_step = -1
        self._autosave = AutosaveClock(backend.autosave_every_s, self._before.step)
        self._last_watched = time.monotonic()

    # --- control (any thread) ------------------------------------------------------------

    def start(self, paused: bool = False) -> RayRun:
        """Join the backend's queue; the run starts as soon as the cluster has room."""
        with self._lock:
            self._phase, self._start_paused = "queued", paused
        self._backend.enqueue(self)
        return self

    def pause(self) -> None:
        self._control("pause", start_paused=True)

    def resume(self) -> None:
        self._last_watched = time.monotonic()
        self._control("resume", start_paused=False)

    def step(self, n: int = 1) -> None:
        check_step_count(n)
        self._control("step", n)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the run; its final weights come to the app and its actor ends. Never raises:
        the registry stops every run when the server shuts down."""
        with self._lock:
            phase, actor = self._phase, self._actor
            # Not on a worker yet, or its worker has not built the networks (it is importing
            # TensorFlow): nothing to keep, so it ends now instead of after the import.
            unborn = phase in ("new", "queued") or (phase == "placed" and not self._built)
            if unborn:
                self._end(replace(self._before, status=RunStatus.STOPPED,
                                  message=LazyText("Stopped before it started.")))
        if unborn:
            self._backend.dequeue(self)
            if actor is not None:
                import ray

                ray.kill(actor)
                self._backend.release(self)
            return
        if phase != "placed":
            return
        if self._silent_since is None:        # a silent cluster is not waited for
            try:
                self._get(actor.call.remote("stop", timeout), (timeout or CALL_TIMEOUT_S) + 5)
            except Exception as exc:  # noqa: BLE001 - a dead or silent worker still ends it
                log.warning("Stopping %s on Ray: %s", self.run_id, exc)
            self.retire()
        with self._lock:
            if self._phase == "placed":       # the cluster is silent: end it here anyway
                last = self._last or self._before
                self._end(replace(last, status=RunStatus.STOPPED, message=LazyText(
                    "Stopped. The Ray cluster did not answer, so the last weights could "
                    "not be fetched: an autosave, if any, is on the Models page.")))
        self._backend.release(self)

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._phase in ("queued", "placed")

    @property
    def unwatched_s(self) -> float:
        """Seconds since anyone watched the run: counted here, no call to the worker."""
        return time.monotonic() - self._last_watched

    # --- observation (any thread) ----------------------------------------------------------

    def snapshot(self, watch: bool = True) -> RunSnapshot:
        """The run's state from its worker, or (queued, ended, cluster silent) from here."""
        if watch:
            self._last_watched = time.monotonic()
        with self._lock:
            phase, last = self._phase, self._last
        if phase == "queued":
            position = self._backend.position(self)
            return replace(self._before, status=RunStatus.QUEUED, queue_position=position,
                           message=self._backend.queue_message(position))
        if phase == "new":
            return self._before
        if phase == "ended":
            return last
        try:
            snap = self._ask_snapshot(watch)
            if snap is None:                 # its worker is still starting (TensorFlow)
                return self._before
        except _Silent as exc:
            return replace(last or self._before, message=str(exc))
        except GanlibError:                  # the worker died: the run has ended here
            with self._lock:
                return self._last
        snap = replace(snap, saved_as=self._saved_as or snap.saved_as,
                       saved_step=max(self._saved_step, snap.saved_step))
        with self._lock:
            if self._phase == "placed":
                self._last = snap
                self._built = self._built or snap.status != RunStatus.CREATED
        return snap

    def generator_weights(self) -> tuple[int, list[np.ndarray]]:
        """(step, weights) of the generator: from the worker, or the final ones."""
        with self._lock:
            phase, final, last = self._phase, self._final, self._last
        if phase == "placed":
            return self._call("generator_weights")
        if final is None:
            raise NotBuiltYet()
        return last.step, final.generator

    def save(self, name: str, root=None, overwrite: bool = True):
        """Save a checkpoint of the current step into this app's checkpoint folder."""
        info = save_state(name, *self.checkpoint_state(), owner=self.owner_id, root=root,
                          overwrite=overwrite)
        with self._lock:
            self._saved_as, self._saved_step = info.name, info.step
            if self._last is not None:
                self._last = replace(self._last, saved_as=info.name, saved_step=info.step)
        return info

    # --- what the backend calls ----------------------------------------------------------

    def place(self, cpus: float, gpus: float) -> None:
        """Create the actor (the backend's thread: it talks to Ray's control service)."""
        actor = _actor_class().options(num_cpus=cpus, num_gpus=gpus).remote(*self._actor_args)
        with self._lock:
            stopped = self._phase != "queued"
            if not stopped:
                self._phase, self._actor, self._actor_args = "placed", actor, None
                self._where = actor.where.remote()
                paused = self._start_paused
        if stopped:                           # meanwhile: the actor ends with its handle
            self._backend.release(self)
            return
        actor.call.remote("start", paused)

    def ask_state(self) -> Any:
        """A request for (status, step), or None when the run is not on a worker."""
        with self._lock:
            return self._actor.state.remote() if self._phase == "placed" else None

    def tend(self, state_ref: Any) -> None:
        """Act on an answered `ask_state`: retire an ended run, autosave a moving one."""
        import ray

        try:
            status, step = ray.get(state_ref, timeout=0)
        except ray.exceptions.RayActorError:
            self._worker_died()
            return
        self._built = self._built or status != RunStatus.CREATED
        if status.ended:
            self.retire()
        elif self._autosave.due(step):
            self.autosave()

    def retire(self) -> None:
        """The run ended on its worker: bring its last snapshot and final weights here, and
        let the actor go (dropping its handle ends it), which frees its place."""
        with self._lock:
            actor = self._actor if self._phase == "placed" else None
        if actor is None:
            return
        try:
            final, snap = self._get(actor.call.remote("checkpoint_state"), CALL_TIMEOUT_S)
        except _Silent:
            return                          # try again on the next tick
        except GanlibError:                 # it never built its models, or it died
            final, snap = None, None
        with self._lock:
            if self._phase != "placed":
                return
            last = snap or self._last or self._before
            self._final = final
            self._end(replace(last, saved_as=self._saved_as or last.saved_as,
                              saved_step=max(self._saved_step, last.saved_step)))
        self._backend.release(self)

    def autosave(self) -> None:
        """Save the run as `autosave-<run id>` in this app's folder: what is left when its
        worker dies. Never raises (it runs in the backend's thread)."""
        try:
            info = autosave_run(self, self._backend.checkpoint_root)
        except GanlibError as exc:
            log.warning("Could not autosave %s from Ray: %s", self.run_id, exc)
            return
        self._autosave.saved(info.step)

    # --- helpers -----------------------------------------------------------------------------

    def _end(self, snap: RunSnapshot) -> None:
        """Under the lock: the run has ended with `snap`."""
        self._phase, self._last, self._actor, self._inflight = "ended", snap, None, None
        self._ended.set()

    def _control(self, method: str, *args: Any, start_paused: bool | None = None) -> None:
        """Forward a control to the worker; a queued run only remembers whether to start
        paused (a step waits for the run to start)."""
        with self._lock:
            if self._phase in ("new", "queued"):
                if start_paused is not None:
                    self._start_paused = start_paused
                return
            if self._phase == "ended":
                return
        self._call(method, *args)

    def _call(self, method: str, *args: Any) -> Any:
        """Call the worker; while the cluster is silent, refuse at once (a page's button
        must not wait CALL_TIMEOUT_S for an answer that is not coming)."""
        with self._lock:
            actor, silent_since = self._actor, self._silent_since
        if actor is None:
            raise GanlibError(_("This run is not on the Ray cluster any more."))
        if silent_since is not None:
            raise _Silent(self._backend.silence_message(time.monotonic() - silent_since)
                          + " " + _("Try again when it answers."))
        return self._get(actor.call.remote(method, *args), CALL_TIMEOUT_S)

    def checkpoint_state(self) -> tuple[Any, RunSnapshot]:
        """What a checkpoint of the current step holds: from the worker, or the final one."""
        with self._lock:
            phase, final, last = self._phase, self._final, self._last
        if phase == "placed":
            return self._call("checkpoint_state")
        if final is None:
            raise GanlibError(
                _("This run has no trained networks to save: it is still waiting for a place on "
                  "the Ray cluster.") if phase in ("new", "queued")
                else _("This run has no trained networks to save: its worker ended without "
                       "handing them over. An autosave, if one was made, is on the Models page."))
        return final, last

    def _ask_snapshot(self, watch: bool) -> RunSnapshot | None:
        """At most one snapshot request is in flight: while the cluster is silent, callers
        share it and wait only briefly, so a page never piles requests or waits twice.
        None while the worker has not answered once: it is starting, not silent."""
        import ray

        with self._lock:
            if self._inflight is None:
                self._inflight = self._actor.call.remote("snapshot", watch)
            ref, silent = self._inflight, self._silent_since is not None
            starting = self._last is None
        ready, _left = ray.wait([ref], timeout=0.05 if silent or starting else SNAPSHOT_TIMEOUT_S)
        if not ready and starting:
            return None
        if not ready:
            with self._lock:
                self._silent_since = self._silent_since or time.monotonic()
                since = time.monotonic() - self._silent_since
            raise _Silent(self._backend.silence_message(since))
        with self._lock:
            if self._inflight is ref:
                self._inflight = None
            self._silent_since = None
        return self._get(ref, 0)

    def _get(self, ref: Any, timeout: float) -> Any:
        """ray.get with a timeout; the worker's own error as itself; a dead worker ends the
        run ("failed") and raises a GanlibError that says so; silence raises _Silent."""
        import ray

        try:
            return ray.get(ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise _Silent(self._backend.silence_message(timeout)) from None
        except ray.exceptions.RayActorError:
            raise GanlibError(self._worker_died()) from None
        except ray.exceptions.RayTaskError as exc:
            raise exc.cause from None

    def _worker_died(self) -> str:
        """The actor's process or machine is gone: the run failed; its message names the
        worker and the autosave to open. Returns that message."""
        import ray

        try:
            where = f" ({ray.get(self._where, timeout=0.2)})" if self._where is not None else ""
        except Exception:  # noqa: BLE001 - the worker is gone: its address may be too
            where = ""
        saved = find_autosave(self.run_id, self._backend.checkpoint_root)
        with self._lock:
            last = self._last or self._before
            # LazyText: this thread may serve no reader; each reader gets it in their language.
            message = LazyText(
                "The Ray worker that trained this run{where} died at step {step:,}: its process "
                "or its machine stopped. Its last autosave, {autosave} (step {autosave_step:,}), "
                "is on the Models page: open it there to resume training.",
                where=where, step=last.step, autosave=saved.name, autosave_step=saved.step,
            ) if saved else LazyText(
                "The Ray worker that trained this run{where} died at step {step:,}: its process "
                "or its machine stopped. It had not been autosaved yet, so its training is lost.",
                where=where, step=last.step)
            if self._phase != "ended":
                self._end(replace(last, status=RunStatus.FAILED, message=message))
            message = self._last.message
        self._backend.release(self)
        log.warning("Run %s failed: %s", self.run_id, message)
        return message


def _travelling(config: TrainConfig, dataset: Dataset) -> Dataset | None:
    """The data to send to the worker: None when it is the bundled digits, which travel with
    the code; anything else (a download, a user's file) goes as arrays, once."""
    if config.dataset == "mnist-10k" and dataset is load_dataset(config.dataset, config.digits):
        return None
    return dataset


class RayBackend:
    """Runs on the Ray cluster at `address` (ganlib.training.backends.Backend), with the app's queue."""

    queues = True
    autosaves = True        # every autosave_every_s, from the backend's thread

    def __init__(self, address: str, *, cpus_per_run: float | None = None,
                 gpus_per_run: float | None = None, autosave_every_s: float = AUTOSAVE_EVERY_S,
                 checkpoint_root: str | Path | None = None, tick_s: float = TICK_S):
        ray = connect(address)
        self.address = address
        # The setting's default, 2, matches the thread backend's cap: one run per two cores.
        self.cpus_per_run = cpus_per_run or settings.get().ray_cpus_per_run
        # A GPU for each run where the cluster has GPUs (TensorFlow uses one well).
        self.gpus_per_run = (gpus_per_run if gpus_per_run is not None else
                             1.0 if ray.cluster_resources().get("GPU", 0) else 0.0)
        self.autosave_every_s = autosave_every_s
        self.checkpoint_root = checkpoint_root
        self.tick_s = tick_s
        self._lock = threading.Lock()
        self._waiting: list[RayRun] = []     # the queue: teacher's runs first, then in order
        self._placed: list[RayRun] = []
        self._capacity = self.capacity()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ray-backend", daemon=True)
        self._thread.start()

    def make_run(self, config: TrainConfig, *, dataset: Dataset,
                 evaluation_samples: int | None = None, priority: bool = False,
                 **options: Any) -> RayRun:
        """A run for the cluster; `priority` (the teacher's) goes before the others in line."""
        return RayRun(self, config, dataset=dataset, evaluation_samples=evaluation_samples,
                      priority=priority, **options)

    def capacity(self) -> int:
        """How many runs the cluster's live nodes can train at once (a run on one node)."""
        import ray

        slots = 0
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            resources = node.get("Resources", {})
            fits = math.floor(resources.get("CPU", 0) / self.cpus_per_run + 1e-9)
            if self.gpus_per_run:
                fits = min(fits, math.floor(resources.get("GPU", 0) / self.gpus_per_run + 1e-9))
            slots += fits
        return slots

    # --- the queue -----------------------------------------------------------------------------

    def enqueue(self, run: RayRun) -> None:
        with self._lock:
            at = next((i for i, other in enumerate(self._waiting)
                       if other.priority < run.priority), len(self._waiting))
            self._waiting.insert(at, run)
        self._wake.set()

    def dequeue(self, run: RayRun) -> None:
        with self._lock:
            if run in self._waiting:
                self._waiting.remove(run)

    def release(self, run: RayRun) -> None:
        """`run` left its place (ended, stopped, died): the next in line may start."""
        with self._lock:
            if run in self._placed:
                self._placed.remove(run)
        self._wake.set()

    def position(self, run: RayRun) -> int | None:
        """1 for the next run to start; None when `run` is not waiting."""
        with self._lock:
            return self._waiting.index(run) + 1 if run in self._waiting else None

    def queue_message(self, position: int | None) -> str:
        need = (ngettext("{cpus:g} CPU", "{cpus:g} CPUs", self.cpus_per_run != 1)
                .format(cpus=self.cpus_per_run))
        if self.gpus_per_run:
            need = _("{cpus} and {gpus:g} GPU").format(cpus=need, gpus=self.gpus_per_run)
        if not self._capacity:
            return _("Waiting for the Ray cluster: none of its machines has room for a run "
                     "({need}). It starts by itself when a big enough machine joins.").format(
                       need=need)
        where = (_("{ordinal} in line").format(ordinal=_ordinal(position)) if position
                 else _("About to start"))
        return _("{where} for the Ray cluster, which trains {capacity} run(s) at once ({need} "
                 "each). It starts by itself when a place frees up.").format(
                   where=where, capacity=self._capacity, need=need)

    def silence_message(self, seconds: float) -> str:
        return _("The Ray cluster at {address} has not answered for {seconds:.0f} s: this shows "
                 "the last state it reported. If the cluster stopped, its runs are lost after "
                 "their last autosave (Models page); restart the cluster, then the app.").format(
                   address=self.address, seconds=seconds)

    # --- the backend's thread ------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closed.is_set():
            try:
                self._tend()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad tick
                log.exception("The Ray backend's tick failed")
            self._wake.wait(self.tick_s)
            self._wake.clear()

    def _tend(self) -> None:
        """Poll the placed runs (ended, dead, due for an autosave), then fill free places."""
        import ray

        with self._lock:
            placed = list(self._placed)
        asked = [(run, ref) for run in placed if (ref := run.ask_state()) is not None]
        if asked:
            refs = [ref for _, ref in asked]
            ready, _pending = ray.wait(refs, num_returns=len(refs), timeout=SNAPSHOT_TIMEOUT_S)
            answered = {ref.hex() for ref in ready}
            for run, ref in asked:
                if ref.hex() in answered:
                    run.tend(ref)
        self._capacity = self.capacity()
        while True:
            with self._lock:
                if not self._waiting or len(self._placed) >= self._capacity:
                    return
                run = self._waiting.pop(0)
                self._placed.append(run)
            run.place(self.cpus_per_run, self.gpus_per_run)

    def close(self) -> None:
        """Stop every run still on the cluster (its weights come here) and end the backend's
        thread. The connection to Ray stays: it belongs to the process."""
        with self._lock:
            runs = self._placed + self._waiting
        for run in runs:
            run.stop(timeout=5.0)
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout=10)
