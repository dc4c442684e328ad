"""A saved model's quality, measured once when it is saved and kept in its meta.json.

A class saves dozens of models, and "open the best student's model" must not mean opening
them one by one. So each model carries two numbers (see ganlib.metrics and docs/metrics.md):
how many of its data's classes it draws (mode collapse: few), and its Fréchet distance as a
multiple of real images' (1: as close to the data as real images are). Measuring takes about
a second (500 samples through the shipped classifier, the same noise as a run's evaluations),
so it is done once, when the model is saved, never on a page view; a model saved before this,
or uploaded without it, is measured on demand (`measure_checkpoint`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ganlib.checkpoints import CheckpointInfo, load_checkpoint, update_meta
from ganlib.config import TrainConfig
from ganlib.data import allowed_data_roots, load_dataset
from ganlib.errors import GanlibError
from ganlib.latent import latent_vectors
from ganlib.metrics import evaluator_for

if TYPE_CHECKING:
    import keras

META_KEY = "quality"       # its key in meta.json


@dataclass(frozen=True)
class Quality:
    """How good a generator is, in the two numbers a class compares models by."""

    classes_covered: int     # classes of its data it draws confidently
    classes_present: int     # classes its data holds (the most it can cover)
    fd_ratio: float          # Fréchet distance / real-vs-real FD: 1 is as good as real data

    @classmethod
    def from_scores(cls, scores: Mapping[str, float]) -> Quality | None:
        """From a QualityEvaluator's flat scores (or meta.json's copy); None when they lack
        a number or it is not a finite one."""
        try:
            quality = cls(int(scores["classes_covered"]), int(scores["classes_present"]),
                          float(scores.get("fd_ratio") or scores["fd"] / scores["fd_baseline"]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None
        return quality if math.isfinite(quality.fd_ratio) else None

    @classmethod
    def of(cls, info: CheckpointInfo) -> Quality | None:
        """The quality kept with a saved model; None for one saved without it."""
        return cls.from_scores(info.quality or {})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def rank(self) -> tuple[int, float]:
        """Sorts best first: more classes drawn, then closer to the data."""
        return -self.classes_covered, self.fd_ratio


def measure(generator: keras.Model, config: TrainConfig, *, noise_seed: int | None = None,
            samples: int = 500) -> Quality | None:
    """The quality of `generator`, a network of `config`, judged against `config`'s data,
    on `samples` images of the noise `noise_seed` (by default the run's evaluation noise;
    a class challenge fixes it for every entry: ganlib.challenge); None when no classifier
    ships for that data, or the data cannot be read here."""
    try:
        dataset = load_dataset(config.dataset, config.digits, allowed_roots=allowed_data_roots())
    except GanlibError:
        return None                      # a path that is not allowed here, or gone
    evaluator = evaluator_for(dataset, samples)
    if evaluator is None:
        return None
    seed = config.seed + 1 if noise_seed is None else noise_seed
    noise = latent_vectors(seed, evaluator.n_samples, config.latent_dim)
    return Quality.from_scores(evaluator.evaluate(generator(noise, training=False).numpy()))


def measure_checkpoint(name: str) -> Quality | None:
    """Measure a saved model that has no quality yet, and keep it in its meta.json; None
    when it cannot be measured (see `measure`). Raises CheckpointError for a broken model."""
    checkpoint = load_checkpoint(name, with_critic=False)
    quality = measure(checkpoint.generator, checkpoint.info.config)
    if quality is not None:
        update_meta(name, {META_KEY: quality.as_dict()})
    return quality
