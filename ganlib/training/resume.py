"""How much more a resumed run trains: a training rule, so it lives with training, not
with the checkpoints it reads. (Where the resumed run starts, its weights and optimiser
slots, is `ResumeState` in ganlib.training.runner.)"""

from __future__ import annotations

from ganlib.checkpoints import CheckpointInfo
from ganlib.config import TrainConfig
from ganlib.errors import ConfigError
from ganlib.messages import _


def resume_budget(info: CheckpointInfo, more_steps: int | None = None,
                  more_seconds: float | None = None) -> tuple[TrainConfig, float | None]:
    """(configuration, time limit in seconds or None) to train `info`'s run on from where
    it stopped, for `more_steps` more steps or `more_seconds` more seconds.

    A resumed run counts its steps and its training time from the first step of the
    original run, so both budgets become totals: the saved step plus `more_steps`, the
    saved training time plus `more_seconds`. With only a time, the run has no step budget
    and the time ends it. With neither, the saved step budget goes on; a run that has used
    it all (or never had one) is refused with what to do.
    """
    if more_steps is not None and (isinstance(more_steps, bool) or not isinstance(
            more_steps, int) or more_steps < 1):
        raise ConfigError(_("The number of steps to train on must be a whole number of at least 1 "
                            "(got {more_steps!r}).").format(more_steps=more_steps))
    if more_seconds is not None and not more_seconds > 0:
        raise ConfigError(_("The time to train on must be a number of seconds above 0 (got "
                            "{more_seconds!r}).").format(more_seconds=more_seconds))
    config = info.config
    if more_steps is not None:
        config = config.replace(steps=info.step + more_steps)
    elif more_seconds is not None:
        config = config.replace(steps=None)
    elif config.steps is None or config.steps <= info.step:
        raise ConfigError(_("{name} has already trained the {step} steps it was set to. Say how "
                            "much more to train: a number of steps, or of seconds.").format(
                              name=info.name, step=info.step))
    time_limit = None if more_seconds is None else info.elapsed_s + more_seconds
    return config, time_limit

