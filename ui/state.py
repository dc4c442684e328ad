"""Which run and which model the user is looking at, kept across pages, reruns and refreshes.

- The server's runs live in one `RunRegistry` per process (`st.cache_resource`): they survive
  reruns, page switches and browser refreshes, and are stopped when the resource is released.
- The run a tab follows is in `st.session_state` and mirrored into the URL
  (`?run=<id>&key=<owner key>`), so a refresh reconnects to the same run with the same rights.
  A watch link carries only `?run=<id>`: the class can follow, not control.
- Networks the pages sample from are cached per checkpoint / per run, never built in a page body.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ganlib.checkpoints import read_info
from ganlib.config import TrainConfig
from ganlib.data import load_dataset
from ganlib.metrics import classifier_for, evaluator_for
from ganlib.registry import RunRegistry
from ganlib.runner import ResumeState, RunSnapshot, TrainingRun

RUN = "run_id"
KEY = "run_key"
MODEL = "model_name"      # the saved model picked for the explorer / interpolation


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


MAX_RUNS = int(_env_number("GAN_CLASSROOM_MAX_RUNS", 0)) or None
# A run nobody has looked at for this long pauses itself (closing every tab never leaves a
# thread spinning forever).
UNWATCHED_PAUSE_S = _env_number("GAN_CLASSROOM_IDLE_PAUSE_S", 300.0)


@st.cache_resource(on_release=lambda registry: registry.stop_all())
def registry() -> RunRegistry:
    return RunRegistry(max_active=MAX_RUNS)


def sync_url() -> None:
    """Adopt a run from the URL (refresh, watch link) and keep the URL naming the run."""
    params = st.query_params
    if params.get("run") and params.get("run") != st.session_state.get(RUN):
        st.session_state[RUN] = params.get("run")
        st.session_state[KEY] = params.get("key")
    run_id = st.session_state.get(RUN)
    if run_id and current_run() is None:
        st.session_state.pop(RUN, None)      # the server restarted: that run is gone
        st.session_state.pop(KEY, None)
        run_id = None
    if run_id:
        params["run"] = run_id
        if st.session_state.get(KEY):
            params["key"] = st.session_state[KEY]
    else:
        params.pop("run", None)
        params.pop("key", None)


def current_run() -> TrainingRun | None:
    """The run this tab follows (a comparison's id in the URL is not a run to follow)."""
    job = registry().get(st.session_state.get(RUN))
    return job if isinstance(job, TrainingRun) else None


def can_control(run: TrainingRun | None) -> bool:
    return run is not None and registry().can_control(run.run_id, st.session_state.get(KEY))


def follow(run: TrainingRun, key: str | None) -> None:
    """Make `run` this tab's run (with control when `key` is its owner key)."""
    st.session_state[RUN] = run.run_id
    st.session_state[KEY] = key
    st.query_params["run"] = run.run_id
    if key:
        st.query_params["key"] = key
    else:
        st.query_params.pop("key", None)


def start_run(config: TrainConfig, resume: ResumeState | None = None) -> TrainingRun:
    """Start training `config` (from where a checkpoint left off, with `resume`) on this
    server, with live quality metrics, and follow it with control.

    Raises TooManyRuns when the server trains its limit already, and DataError when the
    dataset cannot be loaded: both GanlibErrors whose message says what to do.
    """
    dataset = load_dataset(config.dataset, config.digits)
    run, key = registry().start(
        lambda: TrainingRun(config, dataset=dataset, evaluator=evaluator_for(dataset),
                            pause_when_unwatched_s=UNWATCHED_PAUSE_S, resume=resume))
    follow(run, key)
    return run


def has_metrics(snap: RunSnapshot) -> bool:
    """Whether a classifier ships for the run's data (so quality metrics will come)."""
    return classifier_for(snap.dataset_name) is not None


def watch_link(run: TrainingRun) -> str:
    """A relative link that lets another browser watch (not control) the run."""
    return f"?run={run.run_id}"


@st.cache_resource(max_entries=6)
def _checkpoint_sampler(path: str, modified: float):
    from ganlib.sampling import Sampler
    return Sampler.from_checkpoint(path)


def checkpoint_sampler(name: str):
    """The generator of a saved model, reloaded only when the checkpoint changes on disk."""
    info = read_info(name)
    return _checkpoint_sampler(str(info.path), (Path(info.path) / "meta.json").stat().st_mtime)


@st.cache_resource(max_entries=4)
def _run_sampler(run_id: str):
    from ganlib.sampling import Sampler
    return Sampler.from_run(registry().get(run_id))


def run_sampler(run: TrainingRun):
    """A copy of a live run's generator, refreshed to its newest step."""
    sampler = _run_sampler(run.run_id)
    sampler.refresh(run)
    return sampler
