"""ganlib.metrics: real images score about the baseline, noise and collapse score badly."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlib.data import FASHION_NAMES, Dataset, load_dataset
from ganlib.errors import DataError
from ganlib.metrics import (
    ASSETS,
    CLASSIFIERS_JSON,
    QualityEvaluator,
    classifier_for,
    evaluator_for,
    frechet_distance,
    inception_score,
)

N = 500  # the runner's default sample size
KEYS = {"fd", "fd_baseline", "classes_covered", "classes_present", "class_kl", "confident",
        "inception", "inception_baseline", *(f"class_{c}" for c in range(10))}


def subset(data: Dataset, index: np.ndarray, name: str = "mnist-10k") -> Dataset:
    labels = data.labels[index] if data.labels is not None else None
    return Dataset(name=name, images=data.images[index], labels=labels,
                   class_names=data.class_names)


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset("mnist-10k")


@pytest.fixture(scope="module")
def halves(digits) -> tuple[Dataset, np.ndarray]:
    """The evaluator's real data (even-numbered digits) and held-out real images (odd)."""
    index = np.arange(digits.num_images)
    return subset(digits, index[0::2]), digits.images[1::2]


@pytest.fixture(scope="module")
def evaluator(halves) -> QualityEvaluator:
    return QualityEvaluator(halves[0], classifier_for("mnist-10k"), n_samples=N)


def random_sample(images: np.ndarray, n: int, seed: int) -> np.ndarray:
    return images[np.random.default_rng(seed).permutation(len(images))[:n]]


class CountingClassifier:
    """Passes calls through to a classifier and records how many images each call had."""

    def __init__(self, inner):
        self.inner = inner
        self.batch_sizes: list[int] = []

    def both(self, images):
        self.batch_sizes.append(len(images))
        return self.inner.both(images)


# --- frechet_distance and inception_score on known inputs ---------------------------------

def random_covariance(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T / d


def test_identical_gaussians_are_at_distance_zero():
    mu, cov = np.arange(8.0), random_covariance(8, 0)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)


def test_shifted_means_give_the_squared_distance():
    cov = random_covariance(6, 1)
    mu1, mu2 = np.zeros(6), np.array([3.0, 4.0, 0, 0, 0, 0])
    assert frechet_distance(mu1, cov, mu2, cov) == pytest.approx(25.0, rel=1e-8)


def test_diagonal_covariances_match_the_closed_form():
    # For diagonal covariances: ||mu1 - mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    a, b = np.array([1.0, 4.0, 9.0, 0.25]), np.array([4.0, 1.0, 9.0, 1.0])
    mu1, mu2 = np.array([0.0, 1.0, 0.0, 0.0]), np.array([1.0, 1.0, 0.0, 2.0])
    expected = 1.0 + 4.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(expected, rel=1e-10)
    assert frechet_distance(mu2, np.diag(b), mu1, np.diag(a)) == pytest.approx(got, rel=1e-10)


def test_singular_covariances_give_a_finite_non_negative_distance():
    # Rank 3 in 10 dimensions, as with fewer samples than features or dead ReLU units.
    x = np.random.default_rng(2).normal(size=(4, 10))
    cov = np.cov(x, rowvar=False)
    assert np.linalg.matrix_rank(cov) < 10
    same = frechet_distance(x.mean(0), cov, x.mean(0), cov)
    assert math.isfinite(same) and 0.0 <= same < 1e-6
    other = frechet_distance(x.mean(0), cov, np.zeros(10), np.eye(10))
    assert math.isfinite(other) and other > 0


def test_frechet_distance_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_inception_score_runs_from_one_to_the_number_of_classes():
    sure_and_balanced = np.eye(10)[np.arange(100) % 10]
    assert inception_score(sure_and_balanced) == pytest.approx(10.0, rel=1e-6)
    all_one_class = np.eye(10)[np.zeros(100, dtype=int)]
    assert inception_score(all_one_class) == pytest.approx(1.0, rel=1e-6)
    assert inception_score(np.full((100, 10), 0.1)) == pytest.approx(1.0, rel=1e-6)


# --- the shipped classifiers ---------------------------------------------------------------

def test_only_known_datasets_get_a_classifier():
    assert classifier_for("my.npz") is None
    assert classifier_for("my_digits") is None
    mnist = classifier_for("mnist-10k")
    assert classifier_for("mnist") is mnist          # loaded once per process
    assert mnist.name == "mnist" and mnist.heldout_accuracy > 0.97


def test_fashion_mnist_gets_its_own_classifier():
    fashion = classifier_for("fashion-mnist")
    assert fashion is not classifier_for("mnist")
    assert fashion.class_names == FASHION_NAMES and fashion.heldout_accuracy > 0.85


def test_shipped_files_are_small_and_their_record_meets_the_targets():
    record = json.loads(CLASSIFIERS_JSON.read_text())
    assert record["mnist"]["heldout_accuracy"] > 0.97
    assert record["fashion-mnist"]["heldout_accuracy"] > 0.85
    for entry in record.values():
        path = ASSETS / entry["file"]
        assert path.stat().st_size == entry["size_bytes"] <= 2 * 2**20


def test_classifier_outputs_probabilities_and_features(digits):
    images = digits.images[::500]                     # 20 digits, two of each class
    probabilities, features = classifier_for("mnist").both(images)
    assert probabilities.shape == (20, 10) and features.shape == (20, 64)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(probabilities.argmax(axis=1) == digits.labels[::500]) >= 0.9
    np.testing.assert_allclose(classifier_for("mnist").features(images), features, rtol=1e-5)


def test_classifier_refuses_images_of_the_wrong_shape():
    with pytest.raises(DataError, match=r"\(N, 28, 28, 1\)"):
        classifier_for("mnist").probabilities(np.zeros((5, 28, 28)))


def test_importing_metrics_does_not_import_tensorflow():
    root = Path(__file__).resolve().parent.parent
    code = "import sys, ganlib.metrics; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the evaluator -------------------------------------------------------------------------

def test_real_images_score_about_the_baseline(evaluator, halves):
    report = evaluator.report(random_sample(halves[1], N, seed=1))
    assert 0.25 * report.baseline_fd < report.frechet_distance < 2.5 * report.baseline_fd
    assert report.classes_covered == report.classes_present == 10
    assert report.class_kl < 0.05
    assert report.confident_share > 0.9
    assert report.inception_score > 0.9 * report.baseline_inception > 8.0


def test_uniform_noise_scores_far_worse_than_real_images(evaluator):
    noise = np.random.default_rng(0).uniform(-1, 1, (N, 28, 28, 1)).astype(np.float32)
    report = evaluator.report(noise)
    assert report.frechet_distance > 20 * report.baseline_fd
    assert report.confident_share < 0.1
    assert report.classes_covered == 0                # noise is confidently no class
    assert report.inception_score < 2.0


def test_a_single_class_covers_one_class_with_a_large_kl(evaluator, digits):
    threes = random_sample(digits.images[1::2][digits.labels[1::2] == 3], N, seed=2)
    report = evaluator.report(threes)
    assert report.classes_covered == 1
    assert int(np.argmax(report.class_histogram)) == 3
    assert report.class_kl > 1.0
    assert report.frechet_distance > 20 * report.baseline_fd


def test_coverage_counts_only_the_classes_in_the_data(digits):
    sevens = evaluator_for(subset(digits, np.flatnonzero(digits.labels == 7)), n_samples=200)
    real_sevens = sevens.report(random_sample(digits.images[digits.labels == 7], 200, seed=3))
    assert real_sevens.classes_present == real_sevens.classes_covered == 1
    assert real_sevens.class_kl < 0.1
    ones = sevens.report(random_sample(digits.images[digits.labels == 1], 200, seed=4))
    assert ones.classes_covered == 0 and ones.class_kl > 1.0


def test_evaluate_returns_the_documented_finite_numbers(evaluator, halves):
    scores = evaluator.evaluate(random_sample(halves[1], N, seed=5))
    assert set(scores) == KEYS
    assert all(isinstance(v, float) and math.isfinite(v) for v in scores.values())
    assert sum(scores[f"class_{c}"] for c in range(10)) == pytest.approx(1.0)


def test_evaluate_runs_one_forward_pass_of_n_samples(halves):
    counting = CountingClassifier(classifier_for("mnist"))
    evaluator = QualityEvaluator(halves[0], counting, n_samples=100)
    counting.batch_sizes.clear()                       # the reference statistics are done
    evaluator.evaluate(random_sample(halves[1], 300, seed=6))
    assert counting.batch_sizes == [100]


def test_fewer_images_than_n_samples_are_refused(evaluator):
    with pytest.raises(DataError, match=f"needs {N}"):
        evaluator.evaluate(np.zeros((N - 1, 28, 28, 1), np.float32))


def test_small_datasets_shrink_the_sample_to_half(digits):
    small = subset(digits, np.arange(0, 10_000, 40))   # 250 images
    evaluator = QualityEvaluator(small, classifier_for("mnist"), n_samples=500)
    assert evaluator.n_samples == 125
    assert math.isfinite(evaluator.baseline_fd)


def test_datasets_without_a_classifier_get_no_evaluator(digits):
    assert evaluator_for(subset(digits, np.arange(200), name="my.npz")) is None


def test_evaluators_are_shared_per_dataset_and_sample_size(digits):
    assert evaluator_for(digits, n_samples=100) is evaluator_for(digits, n_samples=100)
    assert evaluator_for(digits, n_samples=100) is not evaluator_for(digits, n_samples=200)
