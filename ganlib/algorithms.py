"""What each training rule is, in one table: names, metrics, wording, constraints.

GAN, WGAN and WGAN-GP differ in a handful of facts that many places need: the menu label,
the numbers a step reports, whether the second network is a "discriminator" or a "critic",
which loss curve the article reads, whether the critic may use BatchNorm, which settings
belong to the rule, and what to do when it diverges. They live here, free of TensorFlow, so
the configuration, the networks, the runner, the charts, the command line and the pages all
read the same row instead of each comparing `algorithm == "..."`. The update rules
themselves are in `ganlib.gans`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganlib.messages import N_


@dataclass(frozen=True)
class AlgorithmInfo:
    """The facts of one training rule that are not code."""

    # The name used in configurations, checkpoints, URLs and on the command line.
    name: str
    # For menus and tables: what the rule is, in a few words.
    label: str
    # For tight spaces: legends, short menus.
    short_label: str
    # The second network's name ("discriminator" or "critic") and its one-letter form in
    # setting labels ("D learning rate").
    critic_name: str
    critic_abbrev: str
    # What one generator iteration reports, in this order (see docs/design.md's key table).
    metrics: tuple[str, ...]
    # The loss curve the article reads as its training signal: D's loss for the GAN, the
    # Wasserstein estimate for the WGANs (which should fall as the samples improve).
    loss_signal: str
    # Whether the critic's raw output is a logit (GAN: D(x) = sigmoid(output) is a
    # probability) or an unbounded score (WGANs).
    outputs_probability: bool
    # Whether the critic may use BatchNorm. The WGAN-GP penalty is per sample, and batch
    # statistics mix samples, so the WGAN-GP paper drops it from the critic.
    critic_batchnorm: bool
    # The settings of ganlib.config.TrainConfig this rule adds to the common ones.
    settings: tuple[str, ...]
    # What to change when a run diverges (completes "To fix it, ...").
    divergence_advice: str


# The numbers every rule reports: losses, the mean critic output on real and generated
# images (probabilities for the GAN, raw scores for the WGANs), each network's gradient norm.
_COMMON_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")

ALGORITHM_INFO: dict[str, AlgorithmInfo] = {
    "gan": AlgorithmInfo(
        name="gan", label="GAN (binary cross-entropy)", short_label="GAN",
        critic_name="discriminator", critic_abbrev="D",
        metrics=_COMMON_METRICS, loss_signal="d_loss", outputs_probability=True,
        critic_batchnorm=True, settings=("real_label", "fake_label", "g_loss"),
        divergence_advice=N_("lower the learning rates (try half), or use label smoothing")),
    "wgan": AlgorithmInfo(
        name="wgan", label="WGAN (weight clipping)", short_label="WGAN (clipping)",
        critic_name="critic", critic_abbrev="Critic",
        metrics=(*_COMMON_METRICS, "wasserstein"), loss_signal="wasserstein",
        outputs_probability=False, critic_batchnorm=True,
        settings=("n_critic", "clip_value", "warmup_steps", "warmup_n_critic"),
        divergence_advice=N_("lower the learning rates or the clip value")),
    "wgan-gp": AlgorithmInfo(
        name="wgan-gp", label="WGAN-GP (gradient penalty)", short_label="WGAN-GP",
        critic_name="critic", critic_abbrev="Critic",
        metrics=(*_COMMON_METRICS, "wasserstein", "gp"), loss_signal="wasserstein",
        outputs_probability=False, critic_batchnorm=False,
        settings=("n_critic", "gp_weight", "gp_every", "gp_fraction", "warmup_steps",
                  "warmup_n_critic"),
        divergence_advice=N_("lower the learning rates, or the gradient-penalty weight")),
}

ALGORITHMS: tuple[str, ...] = tuple(ALGORITHM_INFO)
ALGORITHM_LABELS: dict[str, str] = {name: info.label for name, info in ALGORITHM_INFO.items()}


def algorithm_info(name: str) -> AlgorithmInfo:
    """The row of `name`; a KeyError names the known rules (configs are validated earlier)."""
    try:
        return ALGORITHM_INFO[name]
    except KeyError:
        raise KeyError(f"Unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}.") from None
