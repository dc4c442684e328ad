import pytest

from ganlib.registry import RunRegistry, TooManyRuns
from ganlib.runner import TrainingRun


def test_the_cap_refuses_a_run_past_the_limit_with_what_to_do(tiny_dataset, tiny_config):
    registry = RunRegistry(max_active=1)
    make = lambda: TrainingRun(tiny_config("gan", steps=None), dataset=tiny_dataset)  # noqa: E731
    run, key = registry.start(make)
    with pytest.raises(TooManyRuns, match="Stop a run"):
        registry.start(make)
    registry.remove(run.run_id)
    assert not run.alive and registry.get(run.run_id) is None
    second, _ = registry.start(make)          # room again
    registry.stop_all()
    assert not second.alive


def test_only_the_owner_key_controls_a_run(tiny_dataset, tiny_config):
    registry = RunRegistry(max_active=2)
    run, key = registry.start(
        lambda: TrainingRun(tiny_config("gan", steps=2), dataset=tiny_dataset))
    assert registry.get(run.run_id) is run
    assert registry.can_control(run.run_id, key)
    assert not registry.can_control(run.run_id, None)
    assert not registry.can_control(run.run_id, "guess")
    assert not registry.can_control("run-unknown", key)
    run.wait(60)
    registry.stop_all()
