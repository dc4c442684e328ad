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
        self._compiled_steps: dict[str, object] = {}

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
        """One generator iteration on batches drawn from `dataset` (N, ...): n_critic
        discriminator/critic updates, then one generator update, in one graph call."""
        return self._compiled("_train_step")(dataset)

    def discriminator_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """One discriminator/critic update alone (the 2D playground's "train D" button)."""
        return self._compiled("d_update")(dataset)

    def generator_step(self) -> dict[str, tf.Tensor]:
        """One generator update alone (the 2D playground's "train G" button)."""
        return self._compiled("g_update")()

    def trace(self, dataset: tf.Tensor) -> None:
        """Build the step's graph without running it, so the first real step is not slow
        (a run's clock and its steps/s then measure training, not tracing)."""
        self._compiled("_train_step").get_concrete_function(dataset)

    def _compiled(self, name: str):
        if name not in self._compiled_steps:
            self._compiled_steps[name] = tf.function(getattr(self, name), reduce_retracing=True)
        return self._compiled_steps[name]

    def _train_step(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        d_metrics = self.d_update(dataset)
        for _ in tf.range(self.config.n_critic - 1):
            d_metrics = self.d_update(dataset)
        return {**d_metrics, **self.g_update()}

    def d_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        raise NotImplementedError

    def g_update(self) -> dict[str, tf.Tensor]:
        raise NotImplementedError

    # --- helpers shared by the rules -------------------------------------------------------

    def noise(self, n: int) -> tf.Tensor:
        """z ~ N(0, I), shape (n, latent_dim)."""
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def real_batch(self, dataset: tf.Tensor, n: int) -> tf.Tensor:
        """n examples drawn uniformly with replacement, as the articles' randint(0, N, n)."""
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

    def d_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """Update D: maximise log D(x) + log(1 - D(G(z)))."""
        c = self.config
        D = self.discriminator
        real = self.real_batch(dataset, c.batch_size)
        fake = self.generator(self.noise(c.batch_size), training=True)
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
        return {"d_loss": d_loss, "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)), "d_grad_norm": d_grad_norm}

    def g_update(self) -> dict[str, tf.Tensor]:
        """Update G through the (unchanged) discriminator."""
        c = self.config
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(c.generator_batch_size), training=True)
            logits = self.discriminator(fake, training=True)
            if c.g_loss == "non-saturating":
                g_loss = _bce(c.real_label, logits)        # maximise log D(G(z))
            else:
                g_loss = -_bce(c.fake_label, logits)       # minimise log(1 - D(G(z)))
        g_grad_norm = self._update(self.generator, self.g_optimizer, tape, g_loss)
        return {"g_loss": g_loss, "g_grad_norm": g_grad_norm}


class WGAN(AdversarialModel):
    """The Wasserstein GAN of the WGAN article: a critic, weight clipping, n_critic steps.

    Update the critic n_critic times: maximise E[c(x)] - E[c(G(z))] (the Wasserstein
    estimate), i.e. minimise E[c(G(z))] - E[c(x)] -- the article's labels -1 for real and
    +1 for fake with loss mean(y * c). After every update each critic weight is clipped to
    [-clip_value, clip_value]: a crude way to keep the critic 1-Lipschitz.
    Update G: minimise -E[c(G(z))].
    """

    def d_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """Update the critic once: minimise E[c(G(z))] - E[c(x)] (+ penalty), then clip."""
        c = self.config
        C = self.discriminator
        real = self.real_batch(dataset, c.batch_size)
        fake = self.generator(self.noise(c.batch_size), training=True)
        if c.split_d_update:
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
            d_loss, d_grad_norm, penalty = fake_score - real_score, (real_norm + fake_norm) / 2, 0.0
        else:
            with tf.GradientTape() as tape:
                real_score = tf.reduce_mean(C(real, training=True))
                fake_score = tf.reduce_mean(C(fake, training=True))
                penalty = self.gradient_penalty(real, fake)
                d_loss = fake_score - real_score + c.gp_weight * penalty
            d_grad_norm = self._update(C, self.d_optimizer, tape, d_loss)
            self.constrain_critic()
        metrics = {"d_loss": d_loss, "d_real": real_score, "d_fake": fake_score,
                   "wasserstein": real_score - fake_score, "d_grad_norm": d_grad_norm}
        if c.algorithm == "wgan-gp":
            metrics["gp"] = penalty
        return metrics

    def g_update(self) -> dict[str, tf.Tensor]:
        """Update G: minimise -E[c(G(z))]."""
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(self.config.generator_batch_size), training=True)
            g_loss = -tf.reduce_mean(self.discriminator(fake, training=True))
        g_grad_norm = self._update(self.generator, self.g_optimizer, tape, g_loss)
        return {"g_loss": g_loss, "g_grad_norm": g_grad_norm}

    def constrain_critic(self) -> None:
        """Clip every trainable critic weight to [-clip_value, clip_value]."""
        clip = self.config.clip_value
        for w in self.discriminator.trainable_variables:
            w.assign(tf.clip_by_value(w, -clip, clip))

    def gradient_penalty(self, real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor | float:
        """No penalty for the clipped WGAN; WGANGP overrides this."""
        return 0.0


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
        # One mixing weight per sample: shape (N, 1, 1, 1) for images, (N, 1) for 2D points.
        shape = tf.concat([tf.shape(real)[:1], tf.ones([tf.rank(real) - 1], tf.int32)], axis=0)
        alpha = keras.random.uniform(shape, seed=self.seed_generator)
        x_hat = alpha * real + (1.0 - alpha) * fake
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            score = self.discriminator(x_hat, training=True)
        grads = tape.gradient(score, x_hat)                        # like x_hat
        axes = tf.range(1, tf.rank(grads))
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)
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
