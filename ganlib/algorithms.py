"""What each training rule is, in one table: names, metrics, wording, presets, colour.

GAN, WGAN and WGAN-GP differ in a handful of facts that many places need: the menu label,
the numbers a step reports, whether the second network is a "discriminator" or a "critic",
which loss curve the article reads, whether the critic may use BatchNorm, which settings
belong to the rule, its presets and its settings in the 2D playground, what to do when it
diverges, and the colour of its line on every chart. They live here, free of TensorFlow, so
the configuration, the networks, the runner, the playground, the charts, the benchmark
report, the command line and the pages all read the same row instead of each keeping a
dictionary keyed by algorithm, or comparing `algorithm == "..."`. The update rules
themselves are in `ganlib.gans` (each class names the row it implements).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganlib import palette
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
    # The settings of ganlib.config.TrainConfig this rule adds to the common ones, and the
    # title over them in the settings form.
    settings: tuple[str, ...]
    settings_title: str
    # What to change when a run diverges (completes "To fix it, ...").
    divergence_advice: str
    # The rule's presets (ganlib.config.make_config; "quick" is the default): by name, only
    # what differs from the TrainConfig defaults.
    presets: Mapping[str, Mapping[str, Any]]
    # The 2D playground (ganlib.playground): the optimiser, fixed there (the page shows
    # learning rates only), and the PlaygroundSettings that train well in two dimensions
    # (measured: docs/playground.md).
    playground_optimizer: Mapping[str, Any]
    playground_settings: Mapping[str, Any]
    # Its line on every chart that sets the rules side by side (Compare, the benchmark report).
    color: str


# The numbers every rule reports: losses, the mean critic output on real and generated
# images (probabilities for the GAN, raw scores for the WGANs), each network's gradient norm.
_COMMON_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")

ALGORITHM_INFO: dict[str, AlgorithmInfo] = {
    "gan": AlgorithmInfo(
        name="gan", label="GAN (binary cross-entropy)", short_label="GAN",
        critic_name="discriminator", critic_abbrev="D",
        metrics=_COMMON_METRICS, loss_signal="d_loss", outputs_probability=True,
        critic_batchnorm=True, settings=("real_label", "fake_label", "g_loss"),
        settings_title=N_("Discriminator targets and generator loss"),
        divergence_advice=N_("lower the learning rates (try half), or use label smoothing"),
        presets={
            # The GAN article (viblo "GAN series p1"): its create_generator /
            # create_discriminator, Adam(lr=1e-4, beta_1=0.3), labels 0.9 / 0.1, batch 8,
            # latent 100, and its loop: D trained on a real batch, then on a fake batch, then
            # G through the frozen D. Samples from the trained generator, as there (no average).
            "article": dict(architecture="gan-article", latent_dim=100, batch_size=8,
                            optimizer="adam", d_lr=1e-4, g_lr=1e-4, beta_1=0.3,
                            real_label=0.9, fake_label=0.1, split_d_update=True, steps=6000,
                            ema_decay=0.0),
            # A small DCGAN tuned for quality per second on a 2-core CPU (study in
            # docs/quick-preset.md): batch 32 (same quality per step as 64 at half the cost),
            # Adam with beta_1 0.5 at a generator rate 5x the discriminator's (3e-3 / 6e-4),
            # one-sided label smoothing. Every class within ~20 s; 9-12x the real-vs-real FD
            # baseline after its 3,600 steps (a minute at ~60 steps/s), where the usual DCGAN
            # rates (2e-4, batch 64) stall near 28x.
            "quick": dict(architecture="quick", latent_dim=64, batch_size=32, optimizer="adam",
                          d_lr=6e-4, g_lr=3e-3, beta_1=0.5, real_label=0.9, fake_label=0.0,
                          steps=3600),
            # Mode collapse on purpose: a generator that learns 100x faster than its
            # discriminator, from a 2-number latent space, chases whatever few digits the slow
            # discriminator currently accepts. In our study (scripts/mode_collapse_study.py,
            # docs/mode-collapse.md) it covered 2-3 of 10 classes after 1,000 steps. Without
            # the averaged generator, as studied: the collapse is what it shows.
            "mode-collapse": dict(architecture="quick", latent_dim=2, batch_size=64,
                                  optimizer="adam", d_lr=5e-5, g_lr=5e-3, beta_1=0.5,
                                  real_label=1.0, fake_label=0.0, steps=1000, ema_decay=0.0),
        },
        # Adam with the DCGAN beta_1.
        playground_optimizer=dict(optimizer="adam", beta_1=0.5, beta_2=0.999),
        playground_settings={},
        color=palette.RED),
    "wgan": AlgorithmInfo(
        name="wgan", label="WGAN (weight clipping)", short_label="WGAN (clipping)",
        critic_name="critic", critic_abbrev="Critic",
        metrics=(*_COMMON_METRICS, "wasserstein"), loss_signal="wasserstein",
        outputs_probability=False, critic_batchnorm=True,
        settings=("n_critic", "clip_value", "warmup_steps", "warmup_n_critic"),
        settings_title=N_("Critic and weight clipping"),
        divergence_advice=N_("lower the learning rates or the clip value"),
        presets={
            # The WGAN article (machinelearningmastery-style): its define_critic /
            # define_generator, RMSprop(5e-5), clip 0.01, n_critic 5, half batch 32 for the
            # critic and 64 for the generator, latent 50, trained on the digit 7 only; no
            # averaged generator, as there.
            "article": dict(architecture="wgan-article", latent_dim=50, batch_size=32,
                            g_batch_size=64, optimizer="rmsprop", d_lr=5e-5, g_lr=5e-5,
                            n_critic=5, clip_value=0.01, split_d_update=True, digits=(7,),
                            steps=1000, ema_decay=0.0),
            # The same rule on the small networks, tuned for quality per second on 2 CPU cores
            # (study in docs/wgan-quick-preset.md): batch 32, RMSprop at 1e-3 for the critic
            # and 2e-3 for the generator, 2 critic updates per generator update, and weights
            # clipped to +-0.1: at the article's 0.01 this small critic's scores shrink to
            # ~0.003 and the generator stalls near 30x the real-vs-real FD baseline. 2,600
            # steps: a minute at ~43 steps/s.
            "quick": dict(architecture="quick", latent_dim=64, batch_size=32,
                          optimizer="rmsprop", d_lr=1e-3, g_lr=2e-3, n_critic=2,
                          clip_value=0.1, steps=2600),
        },
        # Momentum-free RMSprop, as the WGAN paper asks.
        playground_optimizer=dict(optimizer="rmsprop"),
        playground_settings=dict(d_lr=5e-4, g_lr=5e-4, d_updates_per_step=5, clip_value=0.1),
        color=palette.BLUE),
    "wgan-gp": AlgorithmInfo(
        name="wgan-gp", label="WGAN-GP (gradient penalty)", short_label="WGAN-GP",
        critic_name="critic", critic_abbrev="Critic",
        metrics=(*_COMMON_METRICS, "wasserstein", "gp"), loss_signal="wasserstein",
        outputs_probability=False, critic_batchnorm=False,
        settings=("n_critic", "gp_weight", "gp_every", "gp_fraction", "warmup_steps",
                  "warmup_n_critic"),
        settings_title=N_("Critic and gradient penalty"),
        divergence_advice=N_("lower the learning rates, or the gradient-penalty weight"),
        presets={
            # Small networks, Adam with the WGAN-GP paper's betas (0, 0.9), tuned for quality
            # per second on 2 CPU cores (docs/wgan-quick-preset.md): batch 32, both rates
            # 1e-3, 2 critic updates per generator update, and the penalty (weight 10) on
            # every 4th critic update only, weighted 4x: its double backpropagation is most of
            # a critic update's cost. 2,400 steps: a minute at ~39 steps/s.
            "quick": dict(architecture="quick", latent_dim=64, batch_size=32, optimizer="adam",
                          d_lr=1e-3, g_lr=1e-3, beta_1=0.0, beta_2=0.9, n_critic=2,
                          gp_weight=10.0, gp_every=4, steps=2400),
            # The WGAN article's networks (critic without BatchNorm) with the gradient penalty.
            "standard": dict(architecture="wgan-article", latent_dim=50, batch_size=64,
                             optimizer="adam", d_lr=1e-4, g_lr=1e-4, beta_1=0.0, beta_2=0.9,
                             n_critic=5, gp_weight=10.0, steps=2000),
        },
        # Adam with the WGAN-GP paper's beta_2.
        playground_optimizer=dict(optimizer="adam", beta_1=0.5, beta_2=0.9),
        playground_settings=dict(d_lr=1e-3, g_lr=1e-3, d_updates_per_step=5, gp_weight=1.0),
        color=palette.GREEN),
}

ALGORITHMS: tuple[str, ...] = tuple(ALGORITHM_INFO)
ALGORITHM_LABELS: dict[str, str] = {name: info.label for name, info in ALGORITHM_INFO.items()}


def algorithm_info(name: str) -> AlgorithmInfo:
    """The row of `name`; a KeyError names the known rules (configs are validated earlier)."""
    try:
        return ALGORITHM_INFO[name]
    except KeyError:
        raise KeyError(f"Unknown algorithm {name!r}; known: {', '.join(ALGORITHMS)}.") from None
