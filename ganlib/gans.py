"""The training rules: GAN, WGAN and WGAN-GP, one small class each.

Each class is a `keras.Model` holding a generator and a discriminator/critic, compiled with
one optimiser per network (`compile(d_optimizer, g_optimizer)`), as in the keras-io GAN
examples. `train_iteration(dataset)` makes one generator iteration of the papers'
algorithms: `n_critic` critic updates, then one generator update. It runs as one
`tf.function`, made once in `compile`, and draws its batches from the whole training set
already on the device, so no Python runs and no data is copied between the updates. (It is
not the per-batch hook that Keras's `fit` calls: `fit` would hand it one batch, and ganlib
hands it the whole set.)

The two updates are also public, `critic_update(dataset)` and `generator_update()`, for
callers that schedule them their own way (the 2D playground's "train D only").

Samples come from `average_generator`: an exponential moving average of the generator's
weights (Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019),
updated at the end of each generator iteration inside the same graph, so it costs a few
elementwise operations a step. With `ema_decay` 0 it is the generator itself.

An iteration returns scalar tensors, exactly the algorithm's `ALGORITHM_INFO[...].metrics`:
losses, the mean scores of real and generated images, and the gradient norm of each
network's last update (a shrinking generator gradient is the "vanishing gradient" of the GAN
article, made visible).
"""

from __future__ import annotations

import threading
from typing import ClassVar

import keras
import tensorflow as tf

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig
from ganlib.models import build_discriminator, build_generator

# Building models seeds Keras's global random state; two runs starting at once in two
# threads must not interleave their seeding and their weight initialisation.
_BUILD_LOCK = threading.Lock()


class AdversarialModel(keras.Model):
    """What the three algorithms share: the two networks, optimisers, noise, batches, the
    generator iteration and the generator update; each rule adds its critic update and its
    generator loss."""

    # The name of the rule's row in ganlib.algorithms.ALGORITHM_INFO.
    algorithm: ClassVar[str]

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 config: TrainConfig, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.config = config
        self.info = ALGORITHM_INFO[config.algorithm]
        self.latent_dim = config.latent_dim
        # One stream of randomness for noise, batch indices and mixing weights: same seed,
        # same run.
        self.seed_generator = keras.random.SeedGenerator(config.seed)
        # The averaged generator's own network (None without averaging), starting at the
        # generator's weights.
        self._average = _copy_of(generator) if config.ema_decay else None

    @property
    def averaging(self) -> bool:
        """Whether samples come from an average of the generator (ema_decay above 0)."""
        return self._average is not None

    @property
    def average_generator(self) -> keras.Model:
        """The generator that samples, saved models and quality scores use: the running
        average of the trained generator's weights, or the generator without averaging."""
        return self._average if self._average is not None else self.generator

    def restart_average(self) -> None:
        """Start the average again at the generator's weights (a reset run; a resumed run
        whose checkpoint kept no average)."""
        if self._average is not None:
            self._average.set_weights(self.generator.get_weights())

    def update_average(self) -> None:
        """Move the average (1 - decay) of the way to the generator's weights, BatchNorm's
        moving statistics included. decay = min(ema_decay, (1 + t) / (10 + t)) after the
        t-th generator update: early on the average forgets the random start within a few
        dozen steps instead of a few thousand."""
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.config.ema_decay, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self._average.weights, self.generator.weights):
            average.assign_sub((1.0 - decay) * (average - weight))

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer) -> None:
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Create the optimiser slots now, outside the tf.function, so the iteration never
        # creates variables while tracing.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        # The one graph of a generator iteration; reduce_retracing lets a dataset of another
        # size reuse it instead of tracing again.
        self._iteration_graph = tf.function(self._generator_iteration, reduce_retracing=True)

    # --- one generator iteration -------------------------------------------------------------

    def train_iteration(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """One generator iteration on batches drawn from `dataset` (N, ...): n_critic
        discriminator/critic updates, then one generator update, in one graph call."""
        return self._iteration_graph(dataset)

    def trace(self, dataset: tf.Tensor) -> None:
        """Build the iteration's graph without running it, so the first real iteration is not
        slow (a run's clock and its steps/s then measure training, not tracing)."""
        self._iteration_graph.get_concrete_function(dataset)

    def _generator_iteration(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        # The outer loop of Algorithm 1 of the WGAN paper (n_critic is 1 for the GAN, which
        # makes it Algorithm 1 of the GAN paper with k = 1). Only the last critic update's
        # numbers are reported.
        for _ in tf.range(self.critic_updates() - 1):
            self.critic_update(dataset)
        metrics = {**self.critic_update(dataset), **self.generator_update()}
        if self.averaging:
            self.update_average()
        return {name: metrics[name] for name in self.info.metrics}      # the table's order

    def reset_running_state(self) -> None:
        """Forget what the rule carries from one update to the next besides the weights and
        the optimisers' slots (a pooled model starts again; see ModelPool)."""

    def critic_updates(self) -> int | tf.Tensor:
        """n_critic, or warmup_n_critic during the first warmup_steps generator updates: a
        critic trained near its optimum early gives the generator a useful gradient sooner
        (the WGAN paper trains its critic 100 times per generator update at the start)."""
        c = self.config
        if not c.warmup_steps:
            return c.n_critic
        warming_up = self.g_optimizer.iterations < c.warmup_steps
        return tf.where(warming_up, c.warmup_n_critic, c.n_critic)

    # --- the updates ---------------------------------------------------------------------------

    def critic_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        """One discriminator/critic update on a batch drawn from `dataset`; its metrics."""
        raise NotImplementedError

    def generator_loss(self, critic_output: tf.Tensor) -> tf.Tensor:
        """The generator's loss of each generated sample, given the critic's raw output on it:
        (N, 1) -> (N, 1). Per sample, so the playground can draw each point's push."""
        raise NotImplementedError

    def generator_update(self) -> dict[str, tf.Tensor]:
        """One generator update through the (unchanged) discriminator/critic."""
        # ===== Update G: minimise E_z[generator_loss(D(G(z)))] ==============================
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(self.config.generator_batch_size),
                                  training=True)                           # (n, ...)
            critic_output = self.discriminator(fake, training=True)       # (n, 1)
            g_loss = tf.reduce_mean(self.generator_loss(critic_output))
        g_grad_norm = self._update(self.generator, self.g_optimizer, tape, g_loss)
        return {"g_loss": g_loss, "g_grad_norm": g_grad_norm}

    # --- helpers shared by the rules -----------------------------------------------------------

    def noise(self, n: int) -> tf.Tensor:
        """z ~ N(0, I), shape (n, latent_dim)."""
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def real_batch(self, dataset: tf.Tensor, n: int) -> tf.Tensor:
        """n examples (n, ...) drawn uniformly with replacement, as the articles'
        randint(0, N, n)."""
        size = tf.shape(dataset)[0]
        index = keras.random.randint((n,), 0, size, seed=self.seed_generator)   # (n,)
        return tf.gather(dataset, index)

    def _update(self, network: keras.Model, optimizer: keras.optimizers.Optimizer,
                tape: tf.GradientTape, loss: tf.Tensor) -> tf.Tensor:
        """Apply one optimiser step to `network`; return the gradient's global norm."""
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables))
        return tf.linalg.global_norm(grads)


def _copy_of(generator: keras.Model) -> keras.Model:
    """A network like `generator`, with its weights. Cloning draws initial weights, which may
    take seeds from Keras's global random state: under the build lock, so that it never
    changes a run that is being built in another thread."""
    with _BUILD_LOCK:
        copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    return copy


def _cross_entropy(label: float, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy of each logit against a constant (possibly smoothed) label,
    shaped like `logits`."""
    labels = tf.fill(tf.shape(logits), tf.constant(label, logits.dtype))
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


class GAN(AdversarialModel):
    """The classic GAN of the GAN article: a discriminator trained with binary cross-entropy.

    Update D: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the BCE against the real
    label (0.9 in the article, label smoothing) and the fake label (0.1).
    Update G: "non-saturating" maximises log D(G(z)) (BCE against the real label, the
    article's fix for the vanishing gradient); "minimax" minimises log(1 - D(G(z))), whose
    gradient dies as soon as D confidently rejects the fakes.
    """

    algorithm = "gan"

    def critic_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        c = self.config
        D = self.discriminator
        real = self.real_batch(dataset, c.batch_size)                          # (n, ...)
        fake = self.generator(self.noise(c.batch_size), training=True)         # (n, ...)
        # ===== Update D: maximise log D(x) + log(1 - D(G(z))) ===============================
        if c.split_d_update:
            # The article's two train_on_batch calls: one optimiser step on the real batch,
            # one on the fake batch.
            with tf.GradientTape() as tape:
                real_logits = D(real, training=True)                           # (n, 1)
                real_loss = tf.reduce_mean(_cross_entropy(c.real_label, real_logits))
            real_norm = self._update(D, self.d_optimizer, tape, real_loss)
            with tf.GradientTape() as tape:
                fake_logits = D(fake, training=True)                           # (n, 1)
                fake_loss = tf.reduce_mean(_cross_entropy(c.fake_label, fake_logits))
            fake_norm = self._update(D, self.d_optimizer, tape, fake_loss)
            d_loss = (real_loss + fake_loss) / 2
            d_grad_norm = (real_norm + fake_norm) / 2
        else:
            with tf.GradientTape() as tape:
                real_logits = D(real, training=True)                           # (n, 1)
                fake_logits = D(fake, training=True)                           # (n, 1)
                d_loss = (tf.reduce_mean(_cross_entropy(c.real_label, real_logits))
                          + tf.reduce_mean(_cross_entropy(c.fake_label, fake_logits))) / 2
            d_grad_norm = self._update(D, self.d_optimizer, tape, d_loss)
        return {"d_loss": d_loss, "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)), "d_grad_norm": d_grad_norm}

    def generator_loss(self, critic_output: tf.Tensor) -> tf.Tensor:
        if self.config.g_loss == "non-saturating":
            return _cross_entropy(self.config.real_label, critic_output)   # -log D(G(z))
        return -_cross_entropy(self.config.fake_label, critic_output)      # log(1 - D(G(z)))


class WGAN(AdversarialModel):
    """The Wasserstein GAN of the WGAN article: a critic, weight clipping, n_critic updates.

    Update the critic n_critic times: maximise E[c(x)] - E[c(G(z))] (the Wasserstein
    estimate), i.e. minimise E[c(G(z))] - E[c(x)] -- the article's labels -1 for real and
    +1 for fake with loss mean(y * c). After every optimiser step each critic weight is
    clipped to [-clip_value, clip_value]: a crude way to keep the critic 1-Lipschitz.
    Update G: minimise -E[c(G(z))].
    """

    algorithm = "wgan"

    def critic_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        c = self.config
        C = self.discriminator
        real = self.real_batch(dataset, c.batch_size)                          # (n, ...)
        fake = self.generator(self.noise(c.batch_size), training=True)         # (n, ...)
        # ===== Update the critic: minimise E[c(G(z))] - E[c(x)], then clip its weights ======
        if c.split_d_update:
            # The article's two train_on_batch calls (real with label -1, fake with +1),
            # each followed by the clipping constraint. With BatchNorm in the critic this
            # also keeps real and fake batches' statistics apart, as in the article.
            with tf.GradientTape() as tape:
                real_score = tf.reduce_mean(C(real, training=True))
                real_loss = -real_score
            real_norm = self._update(C, self.d_optimizer, tape, real_loss)
            self.clip_critic()
            with tf.GradientTape() as tape:
                fake_score = tf.reduce_mean(C(fake, training=True))
            fake_norm = self._update(C, self.d_optimizer, tape, fake_score)
            self.clip_critic()
            d_grad_norm = (real_norm + fake_norm) / 2
        else:
            with tf.GradientTape() as tape:
                real_score = tf.reduce_mean(C(real, training=True))
                fake_score = tf.reduce_mean(C(fake, training=True))
                d_loss = fake_score - real_score
            d_grad_norm = self._update(C, self.d_optimizer, tape, d_loss)
            self.clip_critic()
        return _critic_metrics(fake_score - real_score, real_score, fake_score, d_grad_norm)

    def clip_critic(self) -> None:
        """Clip every trainable critic weight to [-clip_value, clip_value]."""
        clip = self.config.clip_value
        for w in self.discriminator.trainable_variables:
            w.assign(tf.clip_by_value(w, -clip, clip))

    def generator_loss(self, critic_output: tf.Tensor) -> tf.Tensor:
        return -critic_output                                              # -c(G(z))


class WGANGP(WGAN):
    """WGAN-GP: the critic is kept 1-Lipschitz by a gradient penalty instead of clipping.

    Penalise (||grad_x_hat c(x_hat)|| - 1)^2 at points x_hat on straight lines between real
    and generated images, with one mixing weight per sample drawn from U[0, 1], as the paper
    says. (The keras-io WGAN-GP example draws it from a normal distribution, which puts
    x_hat off the segment between the pair, and takes the norm without an epsilon.) The norm
    here gets a tiny epsilon so that sqrt(0) has a finite gradient. The generator update is
    the WGAN's.
    """

    algorithm = "wgan-gp"

    def critic_update(self, dataset: tf.Tensor) -> dict[str, tf.Tensor]:
        c = self.config
        C = self.discriminator
        real = self.real_batch(dataset, c.batch_size)                          # (n, ...)
        fake = self.generator(self.noise(c.batch_size), training=True)         # (n, ...)
        # ===== Update the critic: minimise E[c(G(z))] - E[c(x)] + gp_weight * penalty =======
        with tf.GradientTape() as tape:
            real_score = tf.reduce_mean(C(real, training=True))
            fake_score = tf.reduce_mean(C(fake, training=True))
            penalty, weight = self.lazy_penalty(real, fake)
            d_loss = fake_score - real_score + weight * penalty
        d_grad_norm = self._update(C, self.d_optimizer, tape, d_loss)
        return {**_critic_metrics(d_loss, real_score, fake_score, d_grad_norm), "gp": penalty}

    def lazy_penalty(self, real: tf.Tensor, fake: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(penalty, its weight in the loss) for this critic update.

        With gp_every = k > 1 the penalty is computed on every k-th critic update only and
        weighted k * gp_weight there, 0 in between (lazy regularisation, StyleGAN2): on
        average the same constraint, at 1/k of its double backpropagation. The reported
        penalty is then the one measured on the last penalised update. It is measured on
        the first gp_fraction of the batch (all of it by default).
        """
        c = self.config
        n = tf.shape(real)[0]
        part = tf.maximum(1, tf.cast(tf.round(c.gp_fraction * tf.cast(n, tf.float32)), tf.int32))
        if c.gp_every == 1:
            return self.gradient_penalty(real[:part], fake[:part]), tf.constant(c.gp_weight)
        due = tf.equal(self.d_optimizer.iterations % c.gp_every, 0)
        penalty = tf.cond(due, lambda: self.gradient_penalty(real[:part], fake[:part]),
                          lambda: self._last_penalty)
        self._last_penalty.assign(penalty)
        weight = tf.where(due, c.gp_weight * c.gp_every, 0.0)
        return penalty, weight

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer) -> None:
        # The penalty of the last penalised update, reported between lazy penalties.
        self._last_penalty = tf.Variable(0.0, trainable=False)
        super().compile(d_optimizer, g_optimizer)

    def reset_running_state(self) -> None:
        self._last_penalty.assign(0.0)

    def gradient_penalty(self, real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
        """E[(||grad c(x_hat)|| - 1)^2] over x_hat = alpha * real + (1 - alpha) * fake."""
        # One mixing weight per sample: shape (n, 1, 1, 1) for images, (n, 1) for 2D points.
        shape = tf.concat([tf.shape(real)[:1], tf.ones([tf.rank(real) - 1], tf.int32)], axis=0)
        alpha = keras.random.uniform(shape, seed=self.seed_generator)
        x_hat = alpha * real + (1.0 - alpha) * fake                            # like real
        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            score = self.discriminator(x_hat, training=True)                   # (n, 1)
        grads = tape.gradient(score, x_hat)                                    # like x_hat
        axes = tf.range(1, tf.rank(grads))
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + 1e-12)     # (n,)
        return tf.reduce_mean(tf.square(norm - 1.0))


def _critic_metrics(d_loss: tf.Tensor, real_score: tf.Tensor, fake_score: tf.Tensor,
                    d_grad_norm: tf.Tensor) -> dict[str, tf.Tensor]:
    """What a WGAN critic update reports: its loss, mean scores and the Wasserstein estimate."""
    return {"d_loss": d_loss, "d_real": real_score, "d_fake": fake_score,
            "wasserstein": real_score - fake_score, "d_grad_norm": d_grad_norm}


# The class of each rule, by its name in ganlib.algorithms (each class says which row it is).
ALGORITHM_CLASSES: dict[str, type[AdversarialModel]] = {
    rule.algorithm: rule for rule in (GAN, WGAN, WGANGP)}


def make_optimizer(config: TrainConfig, learning_rate: float) -> keras.optimizers.Optimizer:
    """Adam (with the config's betas) or momentum-free RMSprop, as the articles use."""
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)
    return keras.optimizers.RMSprop(learning_rate)


def build_gan(config: TrainConfig) -> AdversarialModel:
    """Networks, algorithm and optimisers for `config`, initialised from `config.seed`."""
    generator, discriminator = _networks(config)
    model = ALGORITHM_CLASSES[config.algorithm](generator, discriminator, config,
                                                name=config.algorithm.replace("-", "_"))
    model.compile(d_optimizer=make_optimizer(config, config.d_lr),
                  g_optimizer=make_optimizer(config, config.g_lr))
    # What a model that trained can be reset to (see ModelPool): the optimisers' slots as
    # compile made them, before any update.
    model.fresh_optimizer_state = [[v.numpy() for v in optimizer.variables]
                                   for optimizer in (model.d_optimizer, model.g_optimizer)]
    return model


def _networks(config: TrainConfig) -> tuple[keras.Model, keras.Model]:
    """Freshly initialised generator and critic of `config`, from `config.seed`."""
    with _BUILD_LOCK:
        keras.utils.set_random_seed(config.seed)
        return build_generator(config), build_discriminator(config)


# --- reusing built models ------------------------------------------------------------------

class ModelPool:
    """Built models handed back by finished runs, lent again to runs of the same settings.

    TensorFlow never frees what it compiled for a traced function, even after the function
    and its model are gone: every new model's iteration graph stays in the runtime, about
    10 MB for the quick networks (measured in docs/decisions.md), so a classroom server that
    built a model per run grew by gigabytes over a day. Runs whose configurations differ only
    in seed and step budget trace the same graph, so a finished run hands its model back and
    the next such run gets it with freshly initialised weights (its average too), optimiser
    slots and noise stream: bit for bit the start a newly built model would have had. Memory
    then grows with the number of different configurations used, not with the number of runs;
    the pool keeps the idle models of its `max_configs` most recently used configurations.
    """

    def __init__(self, max_configs: int = 8):
        self.max_configs = max_configs
        self._lock = threading.Lock()
        self._idle: dict[TrainConfig, list[AdversarialModel]] = {}

    def acquire(self, config: TrainConfig) -> AdversarialModel:
        """A model for `config`: an idle one reset to `config.seed`, or a newly built one."""
        key = _graph_key(config)
        with self._lock:
            idle = self._idle.get(key)
            model = idle.pop() if idle else None
        if model is None:
            return build_gan(config)
        _reinitialise(model, config)
        return model

    def release(self, model: AdversarialModel) -> None:
        """Take back a model nobody uses any more (its run has ended)."""
        key = _graph_key(model.config)
        with self._lock:
            idle = self._idle.pop(key, [])
            self._idle[key] = [*idle, model][-2:]          # newest configuration last
            while len(self._idle) > self.max_configs:
                del self._idle[next(iter(self._idle))]

    def idle_count(self) -> int:
        with self._lock:
            return sum(len(models) for models in self._idle.values())


def _graph_key(config: TrainConfig) -> TrainConfig:
    """The settings a traced iteration depends on: everything but the seed and the budget."""
    return config.replace(seed=0, steps=None)


def _reinitialise(model: AdversarialModel, config: TrainConfig) -> None:
    """Give a used model the start `build_gan(config)` would have given it."""
    generator, discriminator = _networks(config)
    model.generator.set_weights(generator.get_weights())
    model.discriminator.set_weights(discriminator.get_weights())
    model.restart_average()
    for optimizer, fresh in zip((model.d_optimizer, model.g_optimizer),
                                model.fresh_optimizer_state):
        for variable, value in zip(optimizer.variables, fresh):
            variable.assign(value)
    model.seed_generator.state.assign(keras.random.SeedGenerator(config.seed).state.value)
    model.reset_running_state()
    model.config = config


# The process's pool: the runner borrows from it and gives back when a run ends.
MODEL_POOL = ModelPool()
