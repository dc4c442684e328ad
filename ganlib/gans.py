"""The training rules: GAN, WGAN and WGAN-GP, one small class each.

Each class is a `keras.Model` holding a generator and a discriminator/critic, compiled with
one optimiser per network (`compile(d_optimizer, g_optimizer)`), as in the keras-io GAN
examples. `train_step(dataset)` makes one generator iteration: `n_critic` updates of the
discriminator/critic, then one update of the generator. It runs as one `tf.function`, and
draws its batches from the whole training set already on the device, so no Python runs and
no data is copied between the updates.

The step returns scalar tensors: losses, the mean scores of real and generated images, and
the gradient norm of each network's last update (a shrinking generator gradient is the
"vanishing gradient" of the GAN article, made visible).
"""

from __future__ import annotations

import threading

import keras
import tensorflow as tf

from ganlib.config import TrainConfig
from ganlib.models import build_discriminator, build_generator

# Building models seeds Keras's global random state; two runs starting at once in two
# threads must not interleave their seeding and their weight initialisation.
_BUILD_LOCK = threading.Lock()


class AdversarialModel(keras.Model):
    """What the three algorithms share: the two networks, optimisers, noise and batches."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 config: TrainConfig, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.config = config
        self.latent_dim = config.latent_dim
        # One stream of randomness for noise and batch indices: same seed, same run.
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        self._compiled_step = None

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer) -> None:
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Create the optimiser slots now, outside the tf.function, so the step never
        # creates variables while tracing.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    # --- the step ------------------------------------------------------------------------

    def train_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """One generator iteration on batches drawn from `dataset` (N, 28, 28, 1)."""
        if self._compiled_step is None:
            self._compiled_step = tf.function(self._train_step, reduce_retracing=True)
        return self._compiled_step(dataset)

    def _train_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        raise NotImplementedError

    # --- helpers shared by the rules -------------------------------------------------------

    def noise(self, n: int) -> tf.Tensor:
        """z ~ N(0, I), shape (n, latent_dim)."""
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def real_batch(self, dataset: tf.Tensor, n: int) -> tf.Tensor:
        """n images drawn uniformly with replacement, as the articles' randint(0, N, n)."""
        size = tf.shape(dataset)[0]
        index = keras.random.randint((n,), 0, size, seed=self.seed_generator)
        return tf.gather(dataset, index)

    def _update(self, network: keras.Model, optimizer: keras.optimizers.Optimizer,
                tape: tf.GradientTape, loss: tf.Tensor) -> tf.Tensor:
        """Apply one optimiser step to `network`; return the gradient's global norm."""
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables))
        return tf.linalg.global_norm(grads)


def _bce(target: float, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy of logits against a constant (possibly smoothed) label."""
    labels = tf.fill(tf.shape(logits), tf.constant(target, logits.dtype))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


class GAN(AdversarialModel):
    """The classic GAN of the GAN article: a discriminator trained with binary cross-entropy.

    Update D: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the BCE against the real
    label (0.9 in the article, label smoothing) and the fake label (0.1).
    Update G: "non-saturating" maximises log D(G(z)) (BCE against the real label, the
    article's fix for the vanishing gradient); "minimax" minimises log(1 - D(G(z))), whose
    gradient dies as soon as D confidently rejects the fakes.
    """

    def _train_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        c = self.config
        D, G = self.discriminator, self.generator
        real = self.real_batch(dataset, c.batch_size)
        fake = G(self.noise(c.batch_size), training=True)

        # Update D: maximise log D(x) + log(1 - D(G(z))).
        if c.split_d_update:
            # The article's two train_on_batch calls: one Adam step on the real batch, one
            # on the fake batch.
            with tf.GradientTape() as tape:
                real_logits = D(real, training=True)
                real_loss = _bce(c.real_label, real_logits)
            real_norm = self._update(D, self.d_optimizer, tape, real_loss)
            with tf.GradientTape() as tape:
                fake_logits = D(fake, training=True)
                fake_loss = _bce(c.fake_label, fake_logits)
            fake_norm = self._update(D, self.d_optimizer, tape, fake_loss)
            d_loss = (real_loss + fake_loss) / 2
            d_grad_norm = (real_norm + fake_norm) / 2
        else:
            with tf.GradientTape() as tape:
                real_logits = D(real, training=True)
                fake_logits = D(fake, training=True)
                d_loss = (_bce(c.real_label, real_logits) + _bce(c.fake_label, fake_logits)) / 2
            d_grad_norm = self._update(D, self.d_optimizer, tape, d_loss)

        # Update G through the (unchanged) discriminator.
        with tf.GradientTape() as tape:
            logits = D(G(self.noise(c.generator_batch_size), training=True), training=True)
            if c.g_loss == "non-saturating":
                g_loss = _bce(c.real_label, logits)        # maximise log D(G(z))
            else:
                g_loss = -_bce(c.fake_label, logits)       # minimise log(1 - D(G(z)))
        g_grad_norm = self._update(G, self.g_optimizer, tape, g_loss)

        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            "d_grad_norm": d_grad_norm,
            "g_grad_norm": g_grad_norm,
        }


class WGAN(AdversarialModel):
    """The Wasserstein GAN of the WGAN article: a critic, weight clipping, n_critic steps.

    Update the critic n_critic times: maximise E[c(x)] - E[c(G(z))] (the Wasserstein
    estimate), i.e. minimise E[c(G(z))] - E[c(x)] -- the article's labels -1 for real and
    +1 for fake with loss mean(y * c). After every update each critic weight is clipped to
    [-clip_value, clip_value]: a crude way to keep the critic 1-Lipschitz.
    Update G: minimise -E[c(G(z))].
    """

    def _critic_loss(self, real: tf.Tensor, fake: tf.Tensor) -> tuple[tf.Tensor, ...]:
        """One critic update; returns (loss, mean c(x), mean c(G(z)), gradient norm, gp)."""
        C = self.discriminator
        if self.config.split_d_update:
            # The article's two train_on_batch calls (real with label -1, fake with +1),
            # each followed by the clipping constraint. With BatchNorm in the critic this
            # also keeps real and fake batches' statistics apart, as in the article.
            with tf.GradientTape() as tape:
                real_score = tf.reduce_mean(C(real, training=True))
                real_loss = -real_score
            real_norm = self._update(C, self.d_optimizer, tape, real_loss)
            self.constrain_critic()
            with tf.GradientTape() as tape:
                fake_score = tf.reduce_mean(C(fake, training=True))
            fake_norm = self._update(C, self.d_optimizer, tape, fake_score)
            self.constrain_critic()
            return fake_score - real_score, real_score, fake_score, (real_norm + fake_norm) / 2, 0.0
        with tf.GradientTape() as tape:
            real_score = tf.reduce_mean(C(real, training=True))
            fake_score = tf.reduce_mean(C(fake, training=True))
            penalty = self.gradient_penalty(real, fake)
            loss = fake_score - real_score + self.config.gp_weight * penalty
        norm = self._update(C, self.d_optimizer, tape, loss)
        self.constrain_critic()
        return loss, real_score, fake_score, norm, penalty

    def constrain_critic(self) -> None:
        """Clip every trainable critic weight to [-clip_value, clip_value]."""
        clip = self.config.clip_value
        for w in self.discriminator.trainable_variables:
            w.assign(tf.clip_by_value(w, -clip, clip))

    def gradient_penalty(self, real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor | float:
        """No penalty for the clipped WGAN; WGANGP overrides this."""
        return 0.0

    def _train_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        c = self.config
        zero = tf.constant(0.0)
        d_loss, real_score, fake_score, d_grad_norm, penalty = zero, zero, zero, zero, zero
        # Update the critic n_critic times, each on fresh real and generated batches.
        for _ in tf.range(c.n_critic):
            real = self.real_batch(dataset, c.batch_size)
            fake = self.generator(self.noise(c.batch_size), training=True)
            d_loss, real_score, fake_score, d_grad_norm, penalty = (
                tf.cast(v, tf.float32) for v in self._critic_loss(real, fake))

        # Update G: minimise -E[c(G(z))].
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(c.generator_batch_size), training=True)
            g_loss = -tf.reduce_mean(self.discriminator(fake, training=True))
        g_grad_norm = self._update(self.generator, self.g_optimizer, tape, g_loss)

        metrics = {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": real_score,
            "d_fake": fake_score,
            "wasserstein": real_score - fake_score,
            "d_grad_norm": d_grad_norm,
            "g_grad_norm": g_grad_norm,
        }
        if c.algorithm == "wgan-gp":
            metrics["gp"] = penalty
        return metrics


class WGANGP(WGAN):
    """WGAN-GP: the critic is kept 1-Lipschitz by a gradient penalty instead of clipping.

    Penalise (||grad_x_hat c(x_hat)|| - 1)^2 at points x_hat on straight lines between real
    and generated images, with one uniform mixing weight per sample (not per batch: the
    keras-io example's bug). The norm gets a tiny epsilon so sqrt(0) has a finite gradient.
    """

    def constrain_critic(self) -> None:
        """No clipping: the penalty does the constraining."""
        return None

    def gradient_penalty(self, real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
        alpha = keras.random.uniform((tf.shape(real)[0], 1, 1, 1), seed=self.seed_generator)
        x_hat = alpha * real + (1.0 - alpha) * fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            score = self.discriminator(x_hat, training=True)
        grads = tape.gradient(score, x_hat)                        # (N, 28, 28, 1)
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean(tf.square(norm - 1.0))


ALGORITHM_CLASSES: dict[str, type[AdversarialModel]] = {"gan": GAN, "wgan": WGAN, "wgan-gp": WGANGP}


def make_optimizer(config: TrainConfig, learning_rate: float) -> keras.optimizers.Optimizer:
    """Adam (with the config's betas) or momentum-free RMSprop, as the articles use."""
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
    return keras.optimizers.RMSprop(learning_rate)


def build_gan(config: TrainConfig) -> AdversarialModel:
    """Networks, algorithm and optimisers for `config`, initialised from `config.seed`."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        generator = build_generator(config)
        discriminator = build_discriminator(config)
    model = ALGORITHM_CLASSES[config.algorithm](generator, discriminator, config,
                                                name=config.algorithm.replace("-", "_"))
    model.compile(d_optimizer=make_optimizer(config, config.d_lr),
                  g_optimizer=make_optimizer(config, config.g_lr))
    return model
