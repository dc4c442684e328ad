"""The training rules: every algorithm and preset trains, and the rules hold."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib.algorithms import ALGORITHM_INFO, ALGORITHMS
from ganlib.config import make_config, presets_for
from ganlib.gans import ALGORITHM_CLASSES, GAN, WGANGP, ModelPool, build_gan


@pytest.fixture(scope="module")
def data(tiny_dataset):
    return tf.constant(tiny_dataset.images)


def test_every_algorithm_has_its_class_and_a_colour_of_its_own():
    assert {name: rule.algorithm for name, rule in ALGORITHM_CLASSES.items()} == {
        name: name for name in ALGORITHMS}
    colors = [info.color for info in ALGORITHM_INFO.values()]
    assert len(set(colors)) == len(colors)


@pytest.mark.parametrize("algorithm, preset",
                         [(a, p) for a in ALGORITHMS for p in presets_for(a)])
def test_every_algorithm_and_preset_trains_one_step_with_finite_metrics(algorithm, preset, data):
    # Article sizes stay, but small batches keep the test fast.
    config = make_config(algorithm, preset, batch_size=4, g_batch_size=4)
    model = build_gan(config)
    before = [w.copy() for w in model.generator.get_weights()]
    metrics = {k: float(v) for k, v in model.train_iteration(data).items()}
    assert tuple(metrics) == ALGORITHM_INFO[algorithm].metrics
    assert all(np.isfinite(v) for v in metrics.values()), metrics
    assert metrics["d_grad_norm"] > 0 and metrics["g_grad_norm"] > 0
    # The generator really moved.
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.generator.get_weights()))
    if ALGORITHM_INFO[algorithm].outputs_probability:
        assert 0 < metrics["d_real"] < 1 and 0 < metrics["d_fake"] < 1
    else:
        assert metrics["wasserstein"] == pytest.approx(metrics["d_real"] - metrics["d_fake"])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_iteration_reports_exactly_the_algorithms_metrics_in_order(algorithm, data):
    # Only WGAN-GP has a penalty to report; the clipped WGAN has no "gp" at all.
    model = build_gan(make_config(algorithm, "quick", batch_size=4))
    assert tuple(model.train_iteration(data)) == ALGORITHM_INFO[algorithm].metrics
    # ...and the two updates compute nothing that the iteration then drops.
    updates = {**model.critic_update(data), **model.generator_update()}
    assert sorted(updates) == sorted(ALGORITHM_INFO[algorithm].metrics)


@pytest.mark.parametrize("preset", ["quick", "article"])
def test_clipping_keeps_every_critic_weight_within_bounds(preset, data):
    config = make_config("wgan", preset, batch_size=4, g_batch_size=4, clip_value=0.01)
    model = build_gan(config)
    for _ in range(3):
        model.train_iteration(data)
    weights = model.discriminator.trainable_variables
    assert weights
    for w in weights:
        assert np.max(np.abs(w.numpy())) <= 0.01 + 1e-7, w.path
    # ...and clipping is active, not vacuous: some weights sit on the bound.
    assert any(np.isclose(np.max(np.abs(w.numpy())), 0.01) for w in weights)


def _linear_critic(value: float) -> keras.Model:
    critic = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(1)])
    critic.layers[-1].kernel.assign(np.full((784, 1), value, np.float32))
    return critic


def test_gradient_penalty_matches_the_hand_computed_value():
    # c(x) = sum(w * x) + b has gradient w everywhere, so ||grad|| = 0.1 * sqrt(784) = 2.8
    # at every interpolated point and the penalty is (2.8 - 1)^2 = 3.24.
    config = make_config("wgan-gp", "quick")
    model = WGANGP(keras.Sequential([keras.Input((64,)), keras.layers.Dense(784),
                                     keras.layers.Reshape((28, 28, 1))]),
                   _linear_critic(0.1), config)
    real = tf.random.uniform((6, 28, 28, 1), -1, 1)
    fake = tf.random.uniform((6, 28, 28, 1), -1, 1)
    assert float(model.gradient_penalty(real, fake)) == pytest.approx(3.24, rel=1e-5)


def test_gradient_penalty_has_a_finite_gradient_where_the_critic_is_flat():
    config = make_config("wgan-gp", "quick")
    critic = _linear_critic(0.0)
    model = WGANGP(keras.Sequential([keras.Input((64,))]), critic, config)
    real = tf.zeros((4, 28, 28, 1))
    with tf.GradientTape() as tape:
        penalty = model.gradient_penalty(real, real)
    grads = tape.gradient(penalty, critic.trainable_variables)
    assert float(penalty) == pytest.approx(1.0, abs=1e-5)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads if g is not None)


def test_gradient_penalty_mixes_each_sample_with_its_own_weight():
    # With real = 0 and fake = 1, x_hat's pixels equal 1 - alpha: one value per sample.
    config = make_config("wgan-gp", "quick")
    seen = {}

    class Spy(keras.Model):
        def call(self, x, training=False):
            seen["x_hat"] = x
            return tf.reduce_sum(x, axis=[1, 2, 3])[:, None]

    model = WGANGP(keras.Sequential([keras.Input((64,))]), Spy(), config)
    model.gradient_penalty(tf.zeros((8, 28, 28, 1)), tf.ones((8, 28, 28, 1)))
    x_hat = seen["x_hat"].numpy().reshape(8, -1)
    assert np.allclose(x_hat, x_hat[:, :1])              # constant within a sample
    assert len(np.unique(np.round(x_hat[:, 0], 6))) > 1   # different across samples


def test_same_seed_same_run_and_another_seed_another_run(data):
    def run(seed):
        model = build_gan(make_config("gan", "quick", batch_size=8, seed=seed))
        return [float(model.train_iteration(data)["g_loss"]) for _ in range(3)]
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_minimax_generator_loss_is_the_saturating_log_one_minus_d(data):
    model = build_gan(make_config("gan", "quick", batch_size=8, g_loss="minimax"))
    assert isinstance(model, GAN)
    metrics = model.train_iteration(data)
    # log(1 - D(G(z))) is negative, and near log(1 - 0.5) at the start.
    assert -1.0 < float(metrics["g_loss"]) < 0.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_pooled_model_starts_exactly_as_a_newly_built_one(algorithm, data):
    """Reusing a finished run's model (to reuse its traced graph) must not change the run."""
    def losses(model):
        return [[float(v) for v in model.train_iteration(data).values()] for _ in range(3)]

    config = make_config(algorithm, "quick", batch_size=8, seed=3)
    pool = ModelPool()
    used = pool.acquire(make_config(algorithm, "quick", batch_size=8, seed=9, steps=7))
    losses(used)                                          # trains: weights, slots, noise move
    pool.release(used)
    reused = pool.acquire(config)
    assert reused is used and reused.config == config
    assert losses(reused) == losses(build_gan(config))


def test_the_pool_lends_a_model_only_for_the_same_settings(data):
    pool = ModelPool(max_configs=1)
    gan = pool.acquire(make_config("gan", "quick", batch_size=8))
    pool.release(gan)
    assert pool.acquire(make_config("gan", "quick", batch_size=16)) is not gan
    pool.release(pool.acquire(make_config("wgan", "quick", batch_size=8)))
    assert pool.idle_count() == 1                         # the GAN's configuration was dropped


def test_a_lazy_penalty_is_applied_every_kth_critic_update_weighted_k_times(data):
    model = build_gan(make_config("wgan-gp", "quick", batch_size=8, n_critic=1, gp_every=3))
    real, fake = data[:8], data[8:16]
    weights = []
    for _ in range(6):
        penalty, weight = model.lazy_penalty(real, fake)
        weights.append(float(weight))
        model.d_optimizer.iterations.assign_add(1)        # as one critic update would
        assert float(penalty) > 0                         # the last measured one, in between
    assert weights == [30.0, 0.0, 0.0, 30.0, 0.0, 0.0]    # 3 x gp_weight 10, every 3rd update


def test_the_penalty_on_part_of_the_batch_sees_only_that_part():
    seen = {}

    class Spy(keras.Model):
        def call(self, x, training=False):
            seen["n"] = x.shape[0]
            return tf.reduce_sum(x, axis=[1, 2, 3])[:, None]

    config = make_config("wgan-gp", "quick", gp_fraction=0.25, gp_every=1)
    model = WGANGP(keras.Sequential([keras.Input((64,))]), Spy(), config)
    model.lazy_penalty(tf.zeros((16, 28, 28, 1)), tf.ones((16, 28, 28, 1)))
    assert seen["n"] == 4


def test_the_critic_warm_up_gives_more_critic_updates_for_the_first_steps(data):
    model = build_gan(make_config("wgan", "quick", batch_size=8, n_critic=2, warmup_steps=2,
                                  warmup_n_critic=5))
    counts = []
    for _ in range(4):
        before = int(model.d_optimizer.iterations)
        model.train_iteration(data)
        counts.append(int(model.d_optimizer.iterations) - before)
    assert counts == [5, 5, 2, 2]


# --- the averaged generator -----------------------------------------------------------------

def weights_of(model: keras.Model) -> list[np.ndarray]:
    return [w.copy() for w in model.get_weights()]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_average_follows_the_generator_by_the_warmed_up_decay(algorithm, data):
    model = build_gan(make_config(algorithm, "quick", batch_size=8, ema_decay=0.99))
    assert model.averaging and model.average_generator is not model.generator
    start = weights_of(model.generator)
    assert all(np.array_equal(a, b) for a, b in zip(weights_of(model.average_generator), start))
    model.train_iteration(data)
    trained = weights_of(model.generator)
    # After the first generator update the decay is min(0.99, (1 + 1) / (10 + 1)) = 2/11:
    # the average moves 9/11 of the way from the start to the trained weights.
    for average, w0, w1 in zip(weights_of(model.average_generator), start, trained):
        np.testing.assert_allclose(average, w0 + 9 / 11 * (w1 - w0), rtol=1e-5, atol=1e-6)
    for _ in range(3):
        model.train_iteration(data)
    averaged, raw = weights_of(model.average_generator), weights_of(model.generator)
    assert any(not np.array_equal(a, b) for a, b in zip(averaged, raw))
    assert any(not np.array_equal(a, b) for a, b in zip(averaged, start))


def test_without_averaging_the_generator_is_its_own_average(data):
    model = build_gan(make_config("gan", "quick", batch_size=8, ema_decay=0.0))
    assert not model.averaging and model.average_generator is model.generator
    model.train_iteration(data)


def test_a_pooled_model_starts_its_average_again(data):
    config = make_config("gan", "quick", batch_size=8, seed=3)
    pool = ModelPool()
    used = pool.acquire(config.replace(seed=9))
    for _ in range(3):
        used.train_iteration(data)
    pool.release(used)
    reused = pool.acquire(config)
    fresh = build_gan(config)
    for a, b in zip(weights_of(reused.average_generator), weights_of(fresh.average_generator)):
        np.testing.assert_array_equal(a, b)
