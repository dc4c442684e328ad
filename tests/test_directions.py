"""Class directions: "more like k" in latent space, fitted with the shipped classifier.

The measured test runs on every shipped demo model: moving each of 100 seeds' z along the
direction of class k must raise the classifier's probability of k for most (seed, k) pairs
(run with -s to see the shares).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganlib.directions import ClassDirections, fit_class_directions
from ganlib.errors import ConfigError
from ganlib.latent import latent_vectors
from ganlib.metrics import classifier_for
from ganlib.sampling import Sampler

ROOT = Path(__file__).resolve().parent.parent
DEMOS = sorted((ROOT / "checkpoints").glob("*-demo"))
STEP = 3.0                  # how far along each direction: one slider's full travel
SEEDS = 100


@pytest.fixture(scope="module", params=DEMOS, ids=lambda path: path.name)
def demo(request):
    """(sampler, classifier, directions) of a shipped demo model."""
    sampler = Sampler.from_checkpoint(request.param)
    classifier = classifier_for(sampler.config.dataset)
    directions = fit_class_directions(sampler.generate, classifier.probabilities,
                                      sampler.latent_dim, classifier.class_names)
    return sampler, classifier, directions


def test_moving_along_the_k_direction_raises_the_probability_of_k_for_most_seeds(demo):
    sampler, classifier, directions = demo
    z = latent_vectors(0, SEEDS, sampler.latent_dim)           # not the fit's own vectors
    before = classifier.probabilities(sampler.generate(z))      # (SEEDS, 10)
    raised = np.zeros((SEEDS, 10), bool)
    for k in range(10):
        after = classifier.probabilities(sampler.generate(z + STEP * directions.toward(k)))
        raised[:, k] = after[:, k] > before[:, k]
    share = raised.mean()
    print(f"\nclass directions on {sampler.source}: a step of {STEP} along 'k' raised p(k) for "
          f"{share:.1%} of {SEEDS} seeds x 10 classes; per class "
          f"{np.round(raised.mean(axis=0), 2).tolist()}")
    assert share >= 0.8
    assert raised.mean(axis=0).min() >= 0.6                     # every class, not a few


def test_turning_one_class_into_another_raises_its_odds(demo):
    sampler, classifier, directions = demo
    z = latent_vectors(1, SEEDS, sampler.latent_dim)
    odds = []
    for walk in (0.0, STEP):
        p = classifier.probabilities(sampler.generate(z + walk * directions.between(3, 8)))
        odds.append(np.log(p[:, 8] + 1e-9) - np.log(p[:, 3] + 1e-9))
    assert (odds[1] > odds[0]).mean() >= 0.8


def test_a_linear_world_gives_back_its_own_directions():
    """When log p(k) is exactly linear in z, the fit finds the generating weights."""
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((3, 6))

    def probabilities(images: np.ndarray) -> np.ndarray:      # "images" are z itself here
        logits = images @ weights.T
        return np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))

    found = fit_class_directions(lambda z: z, probabilities, 6, ("a", "b", "c"), samples=500)
    assert found.weights.shape == (3, 6) and found.weights.dtype == np.float32
    # log-softmax = logits - logsumexp: the logsumexp is not linear, so compare directions
    # of differences, which it cancels: w_b - w_a is exactly weights[1] - weights[0].
    np.testing.assert_allclose(found.between(0, 1) @ _unit(weights[1] - weights[0]), 1,
                               atol=1e-3)
    assert np.linalg.norm(found.toward(2)) == pytest.approx(1, abs=1e-6)
    again = fit_class_directions(lambda z: z, probabilities, 6, ("a", "b", "c"), samples=500)
    np.testing.assert_array_equal(again.weights, found.weights)   # seeded: the same each time


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("call, words", [
    (lambda d: d.toward(10), "class number from 0 to 2"),
    (lambda d: d.between(1, 1), "two different classes"),
    (lambda d: d.between(True, 1), "class number"),
    (lambda d: ClassDirections(np.zeros((3, 4), np.float32), ("a", "b", "c"),
                               np.zeros(3)).toward(0), "train the model longer"),
])
def test_bad_classes_say_what_to_choose(call, words):
    directions = ClassDirections(np.eye(3, 4, dtype=np.float32) + 0.1, ("a", "b", "c"),
                                 np.ones(3, np.float32))
    with pytest.raises(ConfigError, match=words):
        call(directions)


def test_too_few_samples_or_a_wrong_classifier_say_what_to_do():
    uniform = lambda images: np.full((len(images), 3), 1 / 3)    # noqa: E731
    with pytest.raises(ConfigError, match="samples must be"):
        fit_class_directions(lambda z: z, uniform, 8, ("a", "b", "c"), samples=9)
    with pytest.raises(ConfigError, match="one per class"):
        fit_class_directions(lambda z: z, uniform, 8, ("a", "b"), samples=50)
