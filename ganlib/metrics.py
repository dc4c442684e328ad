"""How good are the generated images? Numbers from a small classifier, with honest floors.

A GAN's losses say who is winning the game, not whether the digits look right, so we also
judge the generator's output with a classifier shipped in `ganlib/assets/` (trained by
scripts/train_classifier.py on the same data the GANs learn from):

- Frechet distance (FD) between the classifier's 64-number feature vectors of real and of
  generated images, each summarised as a Gaussian (mean and covariance). This is FID's
  recipe in a different feature space: no Inception network is available offline, so the
  numbers are NOT comparable to published FIDs, only to each other and to...
- ...the baseline: the FD of as many *real* images as are generated, against the same real
  reference. A perfect generator scores about the baseline, not 0, because a finite sample
  never matches its population exactly.
- The class histogram (which class each generated image is taken for), how many of the data's
  classes the samples confidently cover, and the histogram's KL divergence from the real class
  distribution: mode collapse shows here as few classes covered and a large KL.
- The share of confident predictions (max probability >= 0.9): blurry or broken images are
  ones the classifier cannot place.
- An Inception-style score, exp(E_x KL(p(y|x) || p(y))): high when each image is clearly one
  class and all classes appear; at most 10 here.

Everything is judged against the real images the run trains on: a WGAN trained on 7s is
compared with real 7s, and class coverage counts only the classes present in that data.
See docs/metrics.md for what the numbers mean, their thresholds and costs.

TensorFlow is imported only when a classifier is loaded, so `import ganlib.metrics` is cheap.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganlib.data import DIGIT_NAMES, FASHION_NAMES, Dataset
from ganlib.errors import CheckpointError, DataError
from ganlib.messages import _

if TYPE_CHECKING:
    import keras

ASSETS: Path = Path(__file__).resolve().parent / "assets"
# Held-out accuracy and training details of each shipped classifier.
CLASSIFIERS_JSON: Path = ASSETS / "classifiers.json"
CLASSIFIER_FILES: dict[str, str] = {"mnist": "classifier-mnist.keras",
                                    "fashion-mnist": "classifier-fashion-mnist.keras"}
_CLASS_NAMES: dict[str, tuple[str, ...]] = {"mnist": DIGIT_NAMES,
                                            "fashion-mnist": FASHION_NAMES}
# Dataset.name -> classifier. The names are those ganlib.data gives what it actually loaded
# (an offline "mnist" or "fashion-mnist" that fell back to the bundled digits is "mnist-10k").
_CLASSIFIER_FOR_DATASET: dict[str, str] = {"mnist-10k": "mnist", "mnist": "mnist",
                                           "fashion-mnist": "fashion-mnist"}

# A class counts as covered when at least this share of the samples is confidently taken for
# it: 10 of 500, a fifth of the 10% a class holds in balanced data, and above the scattering
# of misclassified real images (under 1% per class with a 98%-accurate classifier). Only
# confident predictions count, so that noise or blobs, which the classifier has to file
# under some class, cover nothing.
COVERAGE_THRESHOLD = 0.02
# A prediction is confident when its largest class probability reaches this.
CONFIDENCE_THRESHOLD = 0.9
# Real images behind the reference statistics: enough for a stable 64x64 covariance, few
# enough that building an evaluator takes about a second.
MAX_REFERENCE_IMAGES = 5000
# Real samples of n_samples images each whose median FD is the baseline.
BASELINE_PROBES = 5
# Images per forward pass: bounds the memory of the first convolution's output (~43 MB).
_CHUNK = 1000
# Pseudo-count added to every class of the generated histogram before the KL divergence,
# so that a missing class gives a large but finite value.
_KL_PSEUDO_COUNT = 0.5


class DigitClassifier:
    """A shipped classifier: class probabilities and penultimate-layer features of images.

    Images are (N, 28, 28, 1) float32 in [-1, 1], as everywhere in ganlib. Safe to call from
    several threads (the forward pass is a stateless tf.function).
    """

    def __init__(self, model: keras.Model, name: str, class_names: Sequence[str],
                 heldout_accuracy: float | None = None):
        import keras
        import tensorflow as tf

        self.name = name
        self.model = model            # the network itself, e.g. for ganlib.browser_export
        self.class_names = tuple(class_names)
        # Share of held-out images it classifies correctly (classifiers.json); None if unknown.
        self.heldout_accuracy = heldout_accuracy
        # One network with two outputs, so features and probabilities cost one forward pass.
        two_headed = keras.Model(model.inputs, [model.get_layer("features").output,
                                                model.output])
        self.num_features = int(two_headed.outputs[0].shape[-1])
        # Traced once for any batch size: no retracing as sample counts vary.
        self._forward = tf.function(
            lambda x: two_headed(x, training=False),
            input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])

    @classmethod
    def load(cls, name: str) -> DigitClassifier:
        """Load the shipped classifier `name` ("mnist" or "fashion-mnist") in Keras safe mode."""
        import keras

        path = ASSETS / CLASSIFIER_FILES[name]
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as exc:  # missing, truncated, or from an incompatible Keras
            raise CheckpointError(
                _("The shipped classifier {file} cannot be loaded ({exc}). Reinstall ganlib, or "
                  "rebuild it with: python -m scripts.train_classifier {name}").format(
                    file=path.name, exc=exc, name=name)
            ) from exc
        return cls(model, name, _CLASS_NAMES[name], _heldout_accuracy(name))

    def both(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (N, 10), features (N, F)) as float64: one forward pass per 1,000
        images, not one per output."""
        images = _checked_images(images)
        probabilities, features = [], []
        for start in range(0, len(images), _CHUNK):
            f_chunk, p_chunk = self._forward(images[start:start + _CHUNK])
            probabilities.append(p_chunk.numpy())
            features.append(f_chunk.numpy())
        if not probabilities:
            return np.zeros((0, 10)), np.zeros((0, self.num_features))
        return (np.concatenate(probabilities).astype(np.float64),
                np.concatenate(features).astype(np.float64))

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) class probabilities, each row summing to 1."""
        return self.both(images)[0]

    def features(self, images: np.ndarray) -> np.ndarray:
        """(N, F) activations of the penultimate layer, what the Frechet distance compares."""
        return self.both(images)[1]


_loaded: dict[str, DigitClassifier] = {}
_load_lock = threading.Lock()


def classifier_for(dataset_name: str) -> DigitClassifier | None:
    """The classifier that can judge images like those of `dataset_name`, or None.

    "mnist-10k" and "mnist" get the MNIST classifier, "fashion-mnist" the Fashion-MNIST one;
    for anything else (a user's own images) there is no honest judge, and None says so.
    Each classifier is loaded once per process.
    """
    name = _CLASSIFIER_FOR_DATASET.get(dataset_name)
    if name is None:
        return None
    with _load_lock:
        if name not in _loaded:
            _loaded[name] = DigitClassifier.load(name)
        return _loaded[name]


@dataclass(frozen=True, eq=False)
class QualityReport:
    """The quality of one set of generated images, next to the floors real images reach.

    Compared by identity (`eq=False`), since it holds an array.
    """

    # Frechet distance in the classifier's feature space ("FD", not "FID"): lower is better.
    frechet_distance: float
    # FD of as many real images against the same reference: what a perfect generator scores.
    baseline_fd: float
    # (10,) share of the samples the classifier takes for each class; sums to 1.
    class_histogram: np.ndarray
    # Classes of the data that at least COVERAGE_THRESHOLD of the samples are confidently
    # (top probability >= CONFIDENCE_THRESHOLD) taken for.
    classes_covered: int
    # Classes the real data holds by the same rule: the most classes_covered can be, e.g. 1
    # for a run on the digit 7.
    classes_present: int
    # KL(real class distribution || generated class distribution) in nats: 0 when the
    # shares match; large when classes of the data are missing (mode collapse).
    class_kl: float
    # Share of samples whose largest class probability is at least CONFIDENCE_THRESHOLD.
    confident_share: float
    # exp(E_x KL(p(y|x) || p(y))) with this classifier: 1 (useless) to 10 (ten sure classes).
    inception_score: float
    # The same score for as many real images: the best a generator can expect here.
    baseline_inception: float
    # Generated images scored.
    n_samples: int

    def as_dict(self) -> dict[str, float]:
        """Flat numbers for metric histories and checkpoints."""
        scores = {
            "fd": self.frechet_distance,
            "fd_baseline": self.baseline_fd,
            "classes_covered": float(self.classes_covered),
            "classes_present": float(self.classes_present),
            "class_kl": self.class_kl,
            "confident": self.confident_share,
            "inception": self.inception_score,
            "inception_baseline": self.baseline_inception,
        }
        scores.update({f"class_{c}": float(share) for c, share in enumerate(self.class_histogram)})
        return scores


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
    """Frechet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2):

        ||mu1 - mu2||^2 + tr(cov1) + tr(cov2) - 2 tr((cov1 cov2)^(1/2))

    cov1 cov2 is not symmetric, and a general matrix square root of it is fragile. It has the
    eigenvalues of the symmetric S cov2 S with S = cov1^(1/2), so the trace is the sum of the
    square roots of those eigenvalues, computed with `eigh` alone; tiny negative eigenvalues
    from round-off (singular covariances are common with few samples) are clipped to 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"frechet_distance needs means of shape (d,) and covariances of "
                         f"shape (d, d); got {mu1.shape}, {cov1.shape}, {mu2.shape}, "
                         f"{cov2.shape}.")
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())
    diff = mu1 - mu2
    distance = float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt)
    return max(distance, 0.0)  # round-off can leave -1e-12 for identical Gaussians


def inception_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for (N, K) class probabilities; from 1 to K."""
    p = np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p) - np.log(marginal)), axis=1)
    return float(np.exp(kl.mean()))


class QualityEvaluator:
    """Scores generated images against the real data of a run (a `ganlib.training.runner.Evaluator`).

    Built once per run: it computes the real reference statistics and the real-vs-real
    baseline up front, so each `evaluate` is one forward pass of `n_samples` images plus
    64x64 matrix algebra.
    """

    def __init__(self, dataset: Dataset, classifier: DigitClassifier, n_samples: int = 500,
                 seed: int = 0):
        count = dataset.num_images
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
            raise ValueError(f"n_samples must be a whole number of at least 2 (got {n_samples!r}).")
        if count < 4:
            raise DataError(_("{name} holds {count} images; judging samples needs at least 4 real "
                              "ones.").format(name=dataset.name, count=count))
        self.classifier = classifier
        # Half the data at most, so that the baseline's real samples and the reference are
        # disjoint and the baseline is measured at exactly the size generated samples have.
        self.n_samples = min(n_samples, count // 2)
        # Up to BASELINE_PROBES real samples for the baseline, never more images than the
        # reference keeps: one sample's FD swings by 2-3x with the images drawn.
        probes = min(BASELINE_PROBES, max(1, count // (2 * self.n_samples)))
        order = np.random.default_rng(seed).permutation(count)
        split = probes * self.n_samples
        reference = order[split:split + MAX_REFERENCE_IMAGES]

        probabilities, features = classifier.both(dataset.images[reference])
        self._mu, self._cov = _gaussian(features)
        # The real class distribution as this classifier sees it: the same instrument that
        # reads the generated images, so its own errors do not count against a generator.
        self._real_histogram = _class_shares(probabilities)
        self._present = _class_shares(probabilities, CONFIDENCE_THRESHOLD) >= COVERAGE_THRESHOLD

        # Unsorted: consecutive slices of the shuffled order are random samples (the bundled
        # digits are stored sorted by class).
        probabilities, features = classifier.both(dataset.images[order[:split]])
        fds, scores = [], []
        for start in range(0, split, self.n_samples):
            fds.append(frechet_distance(*_gaussian(features[start:start + self.n_samples]),
                                        self._mu, self._cov))
            scores.append(inception_score(probabilities[start:start + self.n_samples]))
        # The median: the typical real sample, not swayed by one unusual draw.
        self.baseline_fd = float(np.median(fds))
        self.baseline_inception = float(np.median(scores))

    def evaluate(self, images: np.ndarray) -> dict[str, float]:
        """Flat scores of the first `n_samples` images (see `QualityReport.as_dict`)."""
        return self.report(images).as_dict()

    def report(self, images: np.ndarray) -> QualityReport:
        """Score the first `n_samples` of (N, 28, 28, 1) images in [-1, 1] (N >= n_samples)."""
        if len(images) < self.n_samples:
            raise DataError(_("Got {count} images to score, but this evaluator needs {n_samples}: "
                              "its baseline was measured at that sample size, and the Frechet "
                              "distance of fewer samples would not compare.").format(
                                count=len(images), n_samples=self.n_samples))
        probabilities, features = self.classifier.both(images[:self.n_samples])
        histogram = _class_shares(probabilities)
        histogram.flags.writeable = False
        confident = _class_shares(probabilities, CONFIDENCE_THRESHOLD)
        return QualityReport(
            frechet_distance=frechet_distance(*_gaussian(features), self._mu, self._cov),
            baseline_fd=self.baseline_fd,
            class_histogram=histogram,
            classes_covered=int(np.sum((confident >= COVERAGE_THRESHOLD) & self._present)),
            classes_present=int(self._present.sum()),
            class_kl=_class_kl(self._real_histogram, histogram, len(probabilities)),
            confident_share=float(np.mean(probabilities.max(axis=1) >= CONFIDENCE_THRESHOLD)),
            inception_score=inception_score(probabilities),
            baseline_inception=self.baseline_inception,
            n_samples=len(probabilities))


@lru_cache(maxsize=8)
def evaluator_for(dataset: Dataset, n_samples: int = 500) -> QualityEvaluator | None:
    """A QualityEvaluator for a run on `dataset`, or None when no shipped classifier fits it.

    Cached by dataset object (load_dataset returns the same one for the same request) and
    n_samples: building one takes about a second, and an evaluator never changes once built,
    so runs on the same data share it.
    """
    classifier = classifier_for(dataset.name)
    if classifier is None:
        return None
    return QualityEvaluator(dataset, classifier, n_samples)


# --- helpers -----------------------------------------------------------------------------

def _class_shares(probabilities: np.ndarray, min_confidence: float = 0.0) -> np.ndarray:
    """(K,) share of all rows whose most probable class is each class, counting only rows
    whose top probability reaches min_confidence (so with 0, the shares sum to 1)."""
    kept = probabilities.max(axis=1) >= min_confidence
    counts = np.bincount(np.argmax(probabilities[kept], axis=1),
                         minlength=probabilities.shape[1])
    return counts / max(1, len(probabilities))


def _checked_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise DataError(_("Images to score must have shape (N, 28, 28, 1) with values in [-1, 1]; "
                          "got shape {shape}.").format(shape=images.shape))
    # A generator's tanh stays in range; clipping keeps stray inputs from surprising the net.
    return np.clip(images, -1.0, 1.0)


def _gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and covariance (F, F) of (N, F) feature vectors."""
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def _class_kl(real: np.ndarray, generated: np.ndarray, n: int) -> float:
    """KL(real || generated) in nats, the generated shares smoothed by a pseudo-count.

    This direction punishes what mode collapse does, classes of the data that the generator
    never makes; classes absent from the data (real share 0) add nothing.
    """
    smoothed = (generated * n + _KL_PSEUDO_COUNT) / (n + _KL_PSEUDO_COUNT * len(generated))
    held = real > 0
    return float(np.sum(real[held] * np.log(real[held] / smoothed[held])))


def _heldout_accuracy(name: str) -> float | None:
    try:
        return float(json.loads(CLASSIFIERS_JSON.read_text())[name]["heldout_accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
