"""The background run: control from another thread, snapshots, failures, no leaks."""

import threading
import time

import numpy as np
import pytest

from ganlib.data import Dataset
from ganlib.images import to_uint8
from ganlib.training.core import NotBuiltYet, RunStatus
from ganlib.training.runner import TrainingRun


def started(run: TrainingRun, **kwargs) -> TrainingRun:
    run.start(**kwargs)
    assert run.wait_for(lambda s: s.status != RunStatus.CREATED, timeout=60)
    return run


def test_a_run_trains_to_its_step_budget_and_reports_everything(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=6), dataset=tiny_dataset, n_samples=16))
    assert run.wait(60)
    snap = run.snapshot()
    assert (snap.status, snap.step, snap.total_steps, snap.progress) == (
        RunStatus.FINISHED, 6, 6, 1.0)
    assert list(snap.history["step"]) == [1, 2, 3, 4, 5, 6]
    assert np.all(np.isfinite(snap.history["g_loss"]))
    assert snap.samples.shape == (16, 28, 28, 1) and snap.samples_step == 6
    assert -1.0 <= snap.samples.min() and snap.samples.max() <= 1.0
    # The timeline starts with the untrained generator and ends with the last grid, kept as
    # uint8 pixels (a quarter of the floats' memory).
    assert snap.timeline[0][0] == 0 and snap.timeline[-1][0] == 6
    np.testing.assert_array_equal(snap.timeline[-1][1], to_uint8(snap.samples))
    assert snap.epoch == pytest.approx(6 * 8 / 512)
    assert snap.elapsed_s > 0
    with pytest.raises(AttributeError):
        snap.step = 3                          # snapshots are frozen
    assert not snap.history["step"].flags.writeable


def test_pause_freezes_the_step_count_and_resume_goes_on(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset))
    assert run.wait_for(lambda s: s.step >= 2)
    run.pause()
    assert run.wait_for(lambda s: s.status == RunStatus.PAUSED)
    frozen = run.snapshot().step
    time.sleep(0.5)
    assert run.snapshot().step == frozen
    run.resume()
    assert run.wait_for(lambda s: s.step >= frozen + 2)
    run.stop()
    assert run.snapshot().status == RunStatus.STOPPED


def test_step_n_advances_exactly_n_iterations_while_paused(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("wgan", steps=None), dataset=tiny_dataset), paused=True)
    assert run.snapshot().step == 0
    run.step(3)
    assert run.wait_for(lambda s: s.step == 3)
    time.sleep(0.5)
    snap = run.snapshot()
    assert (snap.step, snap.status) == (3, RunStatus.PAUSED)
    # The grid is redrawn after stepping, so the student sees what the steps did.
    assert snap.samples_step == 3
    run.step(2)
    assert run.wait_for(lambda s: s.step == 5)
    run.stop()


def test_stop_takes_effect_within_a_step_and_joins_the_thread(tiny_dataset, tiny_config):
    before = threading.active_count()
    run = started(TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset))
    assert run.wait_for(lambda s: s.step >= 1)
    run.stop(timeout=30)
    assert not run.alive
    assert run.snapshot().status == RunStatus.STOPPED
    assert threading.active_count() == before


def test_a_run_stopped_before_it_started_has_ended_with_nothing_built(tiny_dataset, tiny_config):
    run = TrainingRun(tiny_config("gan"), dataset=tiny_dataset)
    with pytest.raises(ValueError, match="n >= 1"):
        run.step(0)
    run.stop()
    assert run.wait(0) and not run.alive
    snap = run.snapshot()
    assert snap.status == RunStatus.STOPPED and "before it started" in snap.message
    with pytest.raises(NotBuiltYet):
        run.generator_weights()


def test_a_nan_run_reports_diverged_with_advice(tiny_dataset, tiny_config):
    poisoned = tiny_dataset.images.copy()
    poisoned[:] = np.nan
    data = Dataset(name="nan", images=poisoned, labels=None, class_names=(), notice=None)
    run = started(TrainingRun(tiny_config("gan", steps=50), dataset=data))
    assert run.wait(60)
    snap = run.snapshot()
    assert snap.status == RunStatus.DIVERGED
    assert snap.step == 1
    assert "NaN" in snap.message and "learning rate" in snap.message


def test_an_exception_in_the_thread_ends_the_run_as_failed(tiny_dataset, tiny_config):
    wrong = Dataset(name="wrong", images=np.zeros((64, 32, 32, 1), np.float32), labels=None,
                    class_names=(), notice=None)
    run = started(TrainingRun(tiny_config("gan"), dataset=wrong))
    assert run.wait(60)
    snap = run.snapshot()
    assert snap.status == RunStatus.FAILED
    assert snap.message.startswith("Training failed:")


def test_generator_weights_are_copies_from_one_step(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset))
    assert run.wait_for(lambda s: s.step >= 1)
    step, weights = run.generator_weights()
    assert step >= 1
    assert [w.shape for w in weights] == [w.shape for w in run.model.generator.get_weights()]
    weights[0][...] = 123.0                       # a copy: the run is unaffected
    run.stop()
    assert not np.any(run.generator_weights()[1][0] == 123.0)


def test_an_unwatched_run_pauses_itself(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset,
                              pause_when_unwatched_s=0.5))
    assert run.wait_for(lambda s: s.status == RunStatus.PAUSED, timeout=30)
    assert "nobody has watched" in run.snapshot().message
    run.stop()


def test_max_seconds_ends_the_run(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset,
                              max_seconds=0.5))
    assert run.wait(60)
    assert run.snapshot().status == RunStatus.FINISHED
    assert "time limit" in run.snapshot().message


def test_save_then_resume_continues_from_the_saved_step(tiny_dataset, tiny_config):
    from ganlib.checkpoints import load_checkpoint
    from ganlib.training.runner import ResumeState

    run = started(TrainingRun(tiny_config("wgan", steps=3), dataset=tiny_dataset))
    assert run.wait(60)
    info = run.save("resumable")
    assert info.step == 3 and run.snapshot().saved_as == "resumable"
    checkpoint = load_checkpoint("resumable")
    resumed = started(TrainingRun(checkpoint.info.config.replace(steps=5), dataset=tiny_dataset,
                                  resume=ResumeState.from_checkpoint(checkpoint)), paused=True)
    # Before any new step the resumed generator is the saved one.
    _, weights = resumed.generator_weights()
    for a, b in zip(weights, checkpoint.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    resumed.resume()
    assert resumed.wait(60)
    snap = resumed.snapshot()
    assert (snap.status, snap.step) == (RunStatus.FINISHED, 5)
    assert list(snap.history["step"]) == [1, 2, 3, 4, 5]
    # The optimisers went on from their saved state rather than from scratch.
    resumed.save("resumed-again")
    again = load_checkpoint("resumed-again", with_critic=True)
    assert int(again.optimizer_state["d_optimizer"][0]) > int(
        checkpoint.optimizer_state["d_optimizer"][0])


def test_a_resumed_run_restores_the_trained_generator_and_its_average_exactly(
        tiny_dataset, tiny_config):
    from ganlib.checkpoints import load_checkpoint
    from ganlib.training.runner import ResumeState

    run = started(TrainingRun(tiny_config("gan", steps=4), dataset=tiny_dataset))
    assert run.wait(60)
    snap = run.snapshot()
    assert snap.raw_samples is not None and not np.array_equal(snap.raw_samples, snap.samples)
    run.save("averaged")
    checkpoint = load_checkpoint("averaged")
    average, raw = checkpoint.generator.get_weights(), checkpoint.raw_generator.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(average, raw))
    resumed = started(TrainingRun(checkpoint.info.config.replace(steps=6), dataset=tiny_dataset,
                                  resume=ResumeState.from_checkpoint(checkpoint)), paused=True)
    assert resumed.wait_for(lambda s: s.samples is not None)
    for got, want in [(resumed.model.average_generator.get_weights(), average),
                      (resumed.model.generator.get_weights(), raw)]:
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    resumed.stop()


def test_a_checkpoint_without_an_average_resumes_with_its_generator_as_both(
        tiny_dataset, tiny_config):
    from ganlib.checkpoints import load_checkpoint, save_checkpoint
    from ganlib.models import build_discriminator, build_generator
    from ganlib.training.runner import ResumeState

    config = tiny_config("gan", steps=3, seed=2)       # averages; its checkpoint predates it
    save_checkpoint("older", generator=build_generator(config),
                    critic=build_discriminator(config), config=config, step=1)
    checkpoint = load_checkpoint("older")
    assert checkpoint.raw_generator is None
    resumed = started(TrainingRun(config, dataset=tiny_dataset,
                                  resume=ResumeState.from_checkpoint(checkpoint)), paused=True)
    assert resumed.wait_for(lambda s: s.samples is not None)
    snap = resumed.snapshot()
    np.testing.assert_array_equal(snap.raw_samples, snap.samples)   # one generator, for now
    resumed.resume()
    assert resumed.wait(60) and resumed.snapshot().status == RunStatus.FINISHED


def test_without_averaging_a_run_draws_one_grid(tiny_dataset, tiny_config):
    run = started(TrainingRun(tiny_config("gan", steps=2, ema_decay=0.0), dataset=tiny_dataset))
    assert run.wait(60)
    assert run.snapshot().samples is not None and run.snapshot().raw_samples is None


def test_an_ended_run_gives_back_its_networks_and_can_still_be_saved(tiny_dataset, tiny_config):
    from ganlib.checkpoints import load_checkpoint
    from ganlib.gans import MODEL_POOL

    run = started(TrainingRun(tiny_config("wgan", steps=3), dataset=tiny_dataset))
    assert run.wait(60)
    assert run.model is None and run._data is None          # nothing heavy is kept
    step, weights = run.generator_weights()
    info = run.save("ended")
    loaded = load_checkpoint("ended", with_critic=True)
    assert step == info.step == 3
    assert all(np.array_equal(a, b) for a, b in zip(weights, loaded.generator.get_weights()))
    # The next run of the same settings reuses the model, and trains from its own seed.
    before = MODEL_POOL.idle_count()
    again = started(TrainingRun(tiny_config("wgan", steps=3, seed=5), dataset=tiny_dataset))
    assert MODEL_POOL.idle_count() == before - 1
    assert again.wait(60) and again.snapshot().status == RunStatus.FINISHED


def saved_weights(name: str) -> list[np.ndarray]:
    """Every array a resumable checkpoint holds: generator, critic, optimiser slots."""
    from ganlib.checkpoints import load_checkpoint

    checkpoint = load_checkpoint(name, with_critic=True)
    return [*checkpoint.generator.get_weights(), *checkpoint.critic.get_weights(),
            *(a for key in sorted(checkpoint.optimizer_state)
              for a in checkpoint.optimizer_state[key])]


@pytest.mark.parametrize("spill", [True, False], ids=["spilled", "no-temporary-file"])
def test_an_ended_run_saves_the_same_resumable_checkpoint_from_outside_memory(
        tiny_dataset, tiny_config, monkeypatch, spill):
    """Issue 13: ended runs kept 3.4 MB of weights and optimiser slots each in memory.
    They now live in a nameless temporary file, or in memory when none can be written."""
    from types import SimpleNamespace

    if not spill:
        def no_room(*args, **kwargs):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr("ganlib.training.runner.tempfile", SimpleNamespace(TemporaryFile=no_room))
    run = started(TrainingRun(tiny_config("wgan", steps=None), dataset=tiny_dataset),
                  paused=True)
    run.step(3)
    assert run.wait_for(lambda s: s.step == 3 and s.status == RunStatus.PAUSED)
    _, live_generator = run.generator_weights()
    run.save("live")
    run.stop()
    assert run.model is None and (run._final._kept is None) == spill
    step, generator = run.generator_weights()
    assert step == 3
    assert all(np.array_equal(a, b) for a, b in zip(generator, live_generator))
    run.save("ended")
    live, ended = saved_weights("live"), saved_weights("ended")
    assert len(live) == len(ended) > len(generator)
    assert all(np.array_equal(a, b) for a, b in zip(live, ended))


def test_runs_of_one_setting_leave_no_networks_behind(tiny_dataset, tiny_config):
    """A server starts runs all day: after the first, each reuses the pooled model, so the
    number of live Keras models stays where it was (issue 13: memory grew with every run)."""
    import gc

    import keras

    def live_models() -> int:
        gc.collect()
        return sum(isinstance(o, keras.Model) for o in gc.get_objects())

    assert started(TrainingRun(tiny_config("gan", steps=2), dataset=tiny_dataset)).wait(60)
    baseline = live_models()
    for seed in range(3):
        run = started(TrainingRun(tiny_config("gan", steps=2, seed=seed), dataset=tiny_dataset))
        assert run.wait(60) and run.model is None
    assert baseline > 0 and live_models() <= baseline
