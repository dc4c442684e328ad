"""Class directions: for each digit class k, a direction in z that makes the image more like k.

A generator's latent numbers mean nothing on their own: z[0] is not "roundness". But the
shipped classifier (ganlib.metrics) can say how much an image looks like each digit, and
that gives the numbers a meaning after the fact. Sample a few thousand z, draw their images,
ask the classifier for log p(k | G(z)), and fit the linear model

    log p(k | G(z)) ≈ z · w_k + b_k        (least squares, one fit for all classes)

Then w_k is the direction in which, on average over latent space, the classifier's belief in
k grows fastest; w_8 - w_3 is the one in which "8 rather than 3" grows fastest (the log-odds
of 8 against 3 is log p(8) - log p(3)). This is the face-attribute recipe of the
Streamlit face-GAN demo, with the digit classifier as the attribute detector: a linear fit
rather than the gradient through the generator, because it needs only forward passes
(cheap, no tape through a Keras model a UI thread shares) and averages over latent space
instead of describing one point.

Fitting costs one generator pass and one classifier pass over `samples` images (about a
second for 2,000 on a laptop CPU): callers cache the result per model and step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ganlib.errors import ConfigError
from ganlib.latent import latent_vectors
from ganlib.messages import _

# Latent vectors behind a fit: the least-squares problem has latent_dim + 1 unknowns per
# class (101 at most for the presets), so 2,000 samples give ~20 observations per unknown.
DEFAULT_SAMPLES = 2000
# A seed of its own, so that the fit's vectors are not the seeds a user explores.
FIT_SEED = 20_251_128
# Added to probabilities before the log: a class the classifier rules out entirely (p ~ 1e-12)
# must not dominate the fit with a huge negative number.
_FLOOR = 1e-6


@dataclass(frozen=True)
class ClassDirections:
    """The fitted linear models of the classifier's log-probabilities over latent space."""

    weights: np.ndarray                 # (classes, latent_dim): w_k of log p(k) ≈ z · w_k + b_k
    class_names: tuple[str, ...]        # what each class is called ("0" ... "9", or clothing)
    explained: np.ndarray               # (classes,) R² of each fit: how linear the class is in z

    def toward(self, target: int) -> np.ndarray:
        """The unit direction that makes the image more like class `target`: (latent_dim,)."""
        return self.between(None, target)

    def between(self, source: int | None, target: int) -> np.ndarray:
        """The unit direction that turns class `source` into `target` (None: any class into
        `target`): w_target - w_source normalised, (latent_dim,) float32."""
        self._check_class("target", target)
        vector = self.weights[target].astype(np.float64)
        if source is not None:
            self._check_class("source", source)
            if source == target:
                raise ConfigError(_("Choose two different classes to turn one into the other (got "
                                    "{name} twice).").format(name=self.class_names[target]))
            vector = vector - self.weights[source]
        norm = np.linalg.norm(vector)
        if norm == 0:
            raise ConfigError(_("The classifier's verdict does not change anywhere in this latent "
                                "space (a generator that draws the same image for every z): train "
                                "the model longer first."))
        return (vector / norm).astype(np.float32)

    def _check_class(self, name: str, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or not 0 <= value < len(self.class_names):
            raise ConfigError(_("{name} must be a class number from 0 to {highest} (got "
                                "{value!r}).").format(
                                  name=name, highest=len(self.class_names) - 1, value=value))


def fit_class_directions(generate: Callable[[np.ndarray], np.ndarray],
                         probabilities: Callable[[np.ndarray], np.ndarray],
                         latent_dim: int, class_names: tuple[str, ...],
                         samples: int = DEFAULT_SAMPLES) -> ClassDirections:
    """Fit one direction per class from `samples` seeded latent vectors.

    `generate` maps (N, latent_dim) vectors to images (a `Sampler.generate`), `probabilities`
    maps images to (N, classes) class probabilities (a `DigitClassifier.probabilities`):
    plain callables, so this module needs neither TensorFlow nor a particular model class.
    The same generator and classifier always give the same directions.
    """
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) \
            or samples <= latent_dim + 1:
        raise ConfigError(_("samples must be a whole number above latent_dim + 1 = {minimum}, or "
                            "the fit has more unknowns than observations; {default_samples} is a "
                            "good choice (got {samples!r}).").format(
                              minimum=latent_dim + 1, default_samples=DEFAULT_SAMPLES,
                              samples=samples))
    z = latent_vectors(FIT_SEED, samples, latent_dim).astype(np.float64)   # (N, d)
    log_p = np.log(np.asarray(probabilities(generate(z.astype(np.float32))), np.float64)
                   + _FLOOR)                                             # (N, classes)
    if log_p.shape != (samples, len(class_names)):
        raise ConfigError(_("The classifier gave probabilities of shape {shape}; expected "
                            "({samples}, {classes}), one per class named.").format(
                              shape=log_p.shape, samples=samples, classes=len(class_names)))
    design = np.hstack([z, np.ones((samples, 1))])                       # (N, d + 1)
    coefficients, *_rest = np.linalg.lstsq(design, log_p, rcond=None)        # (d + 1, classes)
    residual = log_p - design @ coefficients
    spread = ((log_p - log_p.mean(axis=0)) ** 2).sum(axis=0)
    explained = 1.0 - (residual ** 2).sum(axis=0) / np.maximum(spread, 1e-12)
    return ClassDirections(weights=coefficients[:-1].T.astype(np.float32),
                           class_names=tuple(class_names),
                           explained=explained.astype(np.float32))
