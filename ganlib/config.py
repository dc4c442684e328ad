"""What a training run is: one frozen, validated configuration, and the presets that fill it.

A configuration is everything needed to rebuild a run from scratch: the algorithm, the
networks, the data, every hyperparameter the articles name, and the seed. It is stored in
each checkpoint as JSON, so it holds only plain values.

Presets (each in its algorithm's row of ganlib.algorithms.ALGORITHM_INFO):
- "article": the model and training loop of each article, as written there (see
  docs/articles.md for every deviation Keras 3 forced on us, and why).
- "quick": small networks for a 2-core laptop CPU, tuned for digits per second of training
  (docs/quick-preset.md, docs/wgan-quick-preset.md): digits of nearly every class within
  about a minute on an idle 2-core CPU.
- "standard" (WGAN-GP only): the WGAN article's networks with a gradient penalty in place of
  weight clipping, and no BatchNorm in the critic, as the WGAN-GP paper asks.
- "mode-collapse" (GAN only): a setting in which the classic GAN tends to collapse onto a
  few digits, for the Compare page.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ganlib.algorithms import ALGORITHMS, algorithm_info
from ganlib.errors import ConfigError
from ganlib.messages import N_, _

ARCHITECTURES: tuple[str, ...] = ("gan-article", "wgan-article", "quick", "mlp-2d")
OPTIMIZERS: tuple[str, ...] = ("adam", "rmsprop")
G_LOSSES: tuple[str, ...] = ("non-saturating", "minimax")
# The dataset name of the 2D playground's points (ganlib.playground), the one dataset of the
# mlp-2d architecture.
POINTS_DATASET = "2d-points"



def _setting(default: Any, help_text: str) -> Any:
    """A TrainConfig field with its help text: the command line's --help and the app's
    settings form both show it (through `field_help`), so each setting is explained once."""
    return dataclasses.field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class TrainConfig:
    """One training run, fully specified. Build it with `make_config`, not by hand."""

    algorithm: str = _setting(
        "gan", "The training rule: gan (a discriminator and binary cross-entropy), wgan (a "
        "critic, the Wasserstein loss and weight clipping) or wgan-gp (a critic and a "
        "gradient penalty).")
    preset: str = _setting(
        "quick", "The starting settings: 'quick' draws digits of nearly every class within a "
        "minute of training on an idle 2-core CPU, 'article' follows the article.")
    architecture: str = _setting(
        "quick", "Which networks: gan-article and wgan-article are the articles' layer "
        "stacks, quick is a small DCGAN that draws digits within a minute on a laptop CPU, and "
        "mlp-2d are the 2D playground's small networks for points in the plane.")
    dataset: str = _setting(
        "mnist-10k", "Where the images come from: mnist-10k (10,000 bundled digits, works "
        "offline), mnist, fashion-mnist, or the path of a .npz file, a .zip or folder of "
        "images, or a folder of IDX files.")
    digits: tuple[int, ...] = _setting(
        (), "Train on these classes only (digits, for MNIST); none means every class. The "
        "WGAN article trains on the digit 7 only.")
    latent_dim: int = _setting(
        64, "Length of the noise vector z ~ N(0, I) that the generator turns into an image.")
    batch_size: int = _setting(
        64, "Real images per discriminator/critic update (and as many generated ones).")
    g_batch_size: int | None = _setting(
        None, "Noise vectors per generator update; by default as many as the batch size. "
        "The WGAN article uses a half batch of 32 real and 32 fake images for the critic, "
        "and a full batch of 64 for the generator.")
    optimizer: str = _setting(
        "adam", "The optimiser of both networks: adam (the GAN article) or rmsprop (the WGAN "
        "article: the WGAN paper found that momentum destabilises the critic).")
    d_lr: float = _setting(2e-4, "Learning rate of the discriminator/critic.")
    g_lr: float = _setting(2e-4, "Learning rate of the generator.")
    beta_1: float = _setting(
        0.5, "Adam's first-moment decay rate (ignored by rmsprop); the GAN article uses 0.3.")
    beta_2: float = _setting(0.999, "Adam's second-moment decay rate (ignored by rmsprop).")
    n_critic: int = _setting(
        1, "Critic updates per generator update: 5 in the WGAN article, 1 for the GAN.")
    clip_value: float = _setting(
        0.0, "WGAN only: after each update every critic weight is clipped to [-clip_value, "
        "clip_value], the WGAN paper's crude way to keep the critic 1-Lipschitz. 0 for the "
        "other algorithms.")
    gp_weight: float = _setting(
        0.0, "WGAN-GP only: weight of the gradient penalty (||grad c(x_hat)|| - 1)^2; 10 in "
        "the WGAN-GP paper. 0 for the other algorithms.")
    gp_every: int = _setting(
        1, "WGAN-GP only: apply the gradient penalty on every k-th critic update only, "
        "weighted k times (StyleGAN2's lazy regularisation). The penalty's second "
        "backpropagation is most of a critic update's cost; 1 applies it on every update.")
    gp_fraction: float = _setting(
        1.0, "WGAN-GP only: the share of each batch the gradient penalty is measured on "
        "(1 is the whole batch, as in the paper); a smaller share is cheaper and noisier.")
    warmup_steps: int = _setting(
        0, "WGANs only: for the first warmup_steps generator updates the critic gets "
        "warmup_n_critic updates instead of n_critic, so it is near optimal before the "
        "generator follows it (the WGAN paper's 100 early critic updates). 0: no warm-up.")
    warmup_n_critic: int = _setting(
        1, "WGANs only: critic updates per generator update during the warm-up "
        "(see warmup_steps).")
    real_label: float = _setting(
        1.0, "GAN only: the target for real images in the discriminator's binary "
        "cross-entropy; the GAN article's 0.9 is label smoothing.")
    fake_label: float = _setting(
        0.0, "GAN only: the target for generated images in the discriminator's binary "
        "cross-entropy; the GAN article uses 0.1.")
    g_loss: str = _setting(
        "non-saturating", "GAN only: non-saturating maximises log D(G(z)) (the usual fix); "
        "minimax minimises log(1 - D(G(z))), whose gradient vanishes when the "
        "discriminator wins.")
    split_d_update: bool = _setting(
        False, "Update the discriminator/critic on the real and on the fake batch as two "
        "separate optimiser steps, as the articles' two train_on_batch calls do. With "
        "BatchNorm in the critic this also keeps real and fake batch statistics apart.")
    ema_decay: float = _setting(
        0.999, "Samples and saved models come from a running average of the generator's "
        "weights, which smooths away the back-and-forth of training; each step moves it "
        "(1 - ema_decay) of the way to the newest weights. 0 turns averaging off.")
    steps: int | None = _setting(
        2000, "Generator updates to train. Without a step budget the run trains until it is "
        "stopped.")
    seed: int = _setting(
        0, "Seeds the network weights, the data order and the noise: the same seed trains "
        "the same run (on the same machine and TensorFlow build).")

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def label(self) -> str:
        """A short human name such as "GAN · quick · digits 7"."""
        digits = (_("all digits") if not self.digits
                  else _("digits {digits}").format(digits=",".join(map(str, self.digits))))
        return f"{self.algorithm.upper()} · {self.preset} · {self.dataset} · {digits}"

    @property
    def generator_batch_size(self) -> int:
        return self.g_batch_size or self.batch_size

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed, validated again."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(_("Unknown setting(s): {unknown}. Known settings: {known}.").format(
                                  unknown=', '.join(sorted(unknown)),
                                  known=', '.join(field_names())))
        return dataclasses.replace(self, **_coerce(changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists)."""
        data = dataclasses.asdict(self)
        data["digits"] = list(self.digits)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from `to_dict` output; unknown keys are refused with a clear message."""
        if not isinstance(data, dict):
            raise ConfigError(_("A configuration must be a mapping of setting names to values."))
        unknown = set(data) - set(field_names())
        if unknown:
            raise ConfigError(_("Unknown setting(s) in configuration: {unknown}.").format(
                                  unknown=', '.join(sorted(unknown))))
        return cls(**_coerce(data))


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(TrainConfig)]


def field_help(name: str) -> str:
    """What the setting `name` does, in a student's words: one or two plain sentences."""
    for f in dataclasses.fields(TrainConfig):
        if f.name == name:
            return _(f.metadata["help"])
    raise ConfigError(_("Unknown setting {name!r}. Known settings: {known}.").format(
                          name=name, known=', '.join(field_names())))


def float_range(name: str) -> tuple[float, float]:
    """The lowest and highest value the decimal setting `name` may take, so a form can refuse
    a typed number where it was typed."""
    return _FLOAT_RANGES[name]


def presets_for(algorithm: str) -> list[str]:
    """Preset names available for an algorithm, the default first."""
    _check_choice("algorithm", algorithm, ALGORITHMS)
    names = list(algorithm_info(algorithm).presets)
    return sorted(names, key=lambda n: (n != "quick", n))


def make_config(algorithm: str = "gan", preset: str = "quick", **overrides: Any) -> TrainConfig:
    """The preset's configuration with `overrides` applied, validated.

    Overrides set to None are ignored, so command-line options that were not given can be
    passed straight through.
    """
    _check_choice("algorithm", algorithm, ALGORITHMS)
    presets = algorithm_info(algorithm).presets
    if preset not in presets:
        raise ConfigError(_("Unknown preset {preset!r} for {algorithm}. Choose one of: "
                            "{presets}.").format(
                              preset=preset, algorithm=algorithm,
                              presets=', '.join(presets_for(algorithm))))
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - set(field_names())
    if unknown:
        raise ConfigError(_("Unknown setting(s): {unknown}. Known settings: {known}.").format(
                              unknown=', '.join(sorted(unknown)), known=', '.join(field_names())))
    values: dict[str, Any] = {"algorithm": algorithm, "preset": preset}
    values.update(presets[preset])
    values.update(given)
    return TrainConfig(**_coerce(values))


# --- validation ---------------------------------------------------------------------------

_INT_RANGES: dict[str, tuple[int, int]] = {
    "latent_dim": (2, 1024),
    "batch_size": (1, 1024),
    "n_critic": (1, 50),
    "gp_every": (1, 64),
    "warmup_steps": (0, 1_000_000),
    "warmup_n_critic": (1, 100),
    "seed": (0, 2**31 - 1),
}
_FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "d_lr": (1e-7, 1.0),
    "g_lr": (1e-7, 1.0),
    "beta_1": (0.0, 0.9999),
    "beta_2": (0.0, 0.99999),
    "real_label": (0.0, 1.0),
    "fake_label": (0.0, 1.0),
    "clip_value": (0.0, 10.0),
    "gp_weight": (0.0, 1000.0),
    "gp_fraction": (0.01, 1.0),
    "ema_decay": (0.0, 0.99999),
}


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    """Accept lists for digits (JSON) and ints for floats; everything else is checked later."""
    out = dict(values)
    if "digits" in out and out["digits"] is not None and not isinstance(out["digits"], tuple):
        digits = out["digits"]
        if isinstance(digits, str):
            digits = [d for d in digits.replace(" ", "").split(",") if d]
        try:
            out["digits"] = tuple(int(d) for d in digits)
        except (TypeError, ValueError, OverflowError):     # OverflowError: infinity
            raise ConfigError(_("digits must be whole numbers such as 3 or 0,1,7 (got "
                                "{digits!r}).").format(
                                  digits=digits))
    for name in _FLOAT_RANGES:
        if isinstance(out.get(name), int) and not isinstance(out.get(name), bool):
            out[name] = float(out[name])
    return out


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        got = repr(value)                  # (from a file, it may be long: quote its start)
        raise ConfigError(_("{name} must be one of {allowed} (got {value}).").format(
                              name=name, allowed=', '.join(allowed),
                              value=got if len(got) <= 40 else got[:37] + "..."))


def _validate(c: TrainConfig) -> None:
    _check_choice("algorithm", c.algorithm, ALGORITHMS)
    # A preset is one of the rule's names, never free text: a configuration read from an
    # uploaded file is shown to every visitor (docs/decisions.md).
    _check_choice("preset", c.preset, tuple(presets_for(c.algorithm)))
    _check_choice("architecture", c.architecture, ARCHITECTURES)
    _check_choice("optimizer", c.optimizer, OPTIMIZERS)
    _check_choice("g_loss", c.g_loss, G_LOSSES)
    if not isinstance(c.dataset, str) or not c.dataset.strip():
        raise ConfigError(_("dataset must name a data source, e.g. mnist-10k (the bundled "
                            "digits)."))
    for name, (lo, hi) in _INT_RANGES.items():
        value = getattr(c, name)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ConfigError(_("{name} must be a whole number from {lo} to {hi} (got "
                                "{value!r}).").format(name=name, lo=lo, hi=hi, value=value))
    for name, (lo, hi) in _FLOAT_RANGES.items():
        value = getattr(c, name)
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or not lo <= value <= hi):
            raise ConfigError(_("{name} must be a number from {lo:g} to {hi:g} (got "
                                "{value!r}).").format(name=name, lo=lo, hi=hi, value=value))
    if c.g_batch_size is not None and (not isinstance(c.g_batch_size, int)
                                       or not 1 <= c.g_batch_size <= 1024):
        raise ConfigError(_("g_batch_size must be empty (same as batch_size) or a whole number "
                            "from 1 to 1024 (got {g_batch_size!r}).").format(
                              g_batch_size=c.g_batch_size))
    if c.steps is not None and (isinstance(c.steps, bool) or not isinstance(c.steps, int)
                                or not 1 <= c.steps <= 10_000_000):
        raise ConfigError(_("steps must be empty (train until stopped) or a whole number from 1 "
                            "to 10,000,000 (got {value!r}).").format(value=c.steps))
    if not isinstance(c.digits, tuple) or any(
            isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 9 for d in c.digits):
        raise ConfigError(_("digits must be class labels from 0 to 9, e.g. (7,) or (0, 1) (got "
                            "{digits!r}).").format(digits=c.digits))
    if len(set(c.digits)) != len(c.digits):
        raise ConfigError(_("digits lists a class twice: {digits!r}.").format(digits=c.digits))
    if not isinstance(c.split_d_update, bool):
        raise ConfigError(_("split_d_update must be true or false."))
    if (c.architecture == "mlp-2d") != (c.dataset == POINTS_DATASET):
        raise ConfigError(_("The mlp-2d networks draw points in the plane and belong to the 2D "
                            "playground; for images choose quick, gan-article or wgan-article."))
    # Settings that belong to one rule (ganlib.algorithms lists each rule's own settings).
    settings = algorithm_info(c.algorithm).settings
    if "n_critic" not in settings and c.n_critic != 1:
        raise ConfigError(_("n_critic is a WGAN setting: the GAN updates its discriminator once "
                            "per generator update, so leave n_critic at 1."))
    for name in _RULE_ONLY_SETTINGS:
        if name not in settings and getattr(c, name) != _DEFAULTS[name]:
            raise ConfigError(_("{name} only applies to {owner}; leave it at {default} for "
                                "{algorithm}.").format(
                                  name=name, owner=_owner_of(name), default=_DEFAULTS[name],
                                  algorithm=c.algorithm))
    if "real_label" in settings and c.real_label <= c.fake_label:
        raise ConfigError(_("real_label ({real}) must be larger than fake_label ({fake}): the "
                            "discriminator learns to tell them apart.").format(
                                real=c.real_label, fake=c.fake_label))
    for name, needed in _CONSTRAINT_WEIGHTS.items():
        value = getattr(c, name)
        if name in settings and not value > 0:
            raise ConfigError(_(needed))
        if name not in settings and value:
            raise ConfigError(_("{name} only applies to {owner}; set it to 0 for "
                                "{algorithm}.").format(
                                  name=name, owner=_owner_of(name), algorithm=c.algorithm))
    if "gp_weight" in settings and c.split_d_update:
        raise ConfigError(_("split_d_update does not apply to WGAN-GP: the gradient penalty mixes "
                            "real and fake images in one critic update."))


# The weight of each way to keep a critic Lipschitz, and what to say when its rule lacks it.
_CONSTRAINT_WEIGHTS: dict[str, str] = {
    "clip_value": N_("WGAN needs a clip_value above 0 (the article uses 0.01): weight "
                     "clipping is what keeps its critic Lipschitz. For no clipping, choose "
                     "WGAN-GP."),
    "gp_weight": N_("WGAN-GP needs a gp_weight above 0 (the paper uses 10)."),
}


# Settings of some rules whose default means "not used": any other value needs the rule.
_RULE_ONLY_SETTINGS = ("gp_every", "gp_fraction", "warmup_steps", "warmup_n_critic")
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def _owner_of(setting: str) -> str:
    """The rule(s) a setting belongs to, as the user reads them ("WGAN")."""
    return " and ".join(a.upper() for a in ALGORITHMS if setting in algorithm_info(a).settings)
