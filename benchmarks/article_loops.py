"""The two articles' training loops as written there, in Keras 3, timed against ganlib's step.

Both articles train the Keras 2 way: compile the discriminator/critic, freeze it inside a
combined generator+discriminator model, and per step call `generator.predict(z)` and three
(GAN) or eleven (WGAN) `train_on_batch`, each a separate trip from Python into TensorFlow
with NumPy data. ganlib does the same updates in one `tf.function` per generator iteration,
drawing its batches on the device (see docs/articles.md). This module rebuilds each article's
loop line for line on the *same* networks (`ganlib.models` builders with the article
presets) and batch sizes, and times both in the same process, interleaved.

What the re-implementations keep from the articles (and the two things Keras 3 forces):
- GAN article: D compiled with binary cross-entropy and `Adam(1e-4, beta_1=0.3)` and the
  accuracy metric; `create_gan` freezes D in a functional model compiled the same way; the
  generator is compiled too (unused, as in the article). Per step: `generator.predict(z)`,
  `D.train_on_batch(real, 0.9)`, `D.train_on_batch(fake, 0.1)`, then
  `GAN_model.train_on_batch(z, 0.9)` with the same z, toggling `trainable` as the article
  does. ganlib's D ends in a linear Dense(1) (the sigmoid sits in its loss), so the article's
  D is ganlib's followed by a sigmoid Activation layer: the article's `Dense(1,
  activation="sigmoid")`, split in two layers.
- WGAN article: the critic's two Conv2D layers get the article's `ClipConstraint(0.01)` as
  their kernel constraint; critic and combined model are compiled with `wasserstein_loss`
  and `RMSprop(5e-5)`; `define_gan` freezes every critic layer except BatchNorm. Per
  iteration, 5 times: `c_model.train_on_batch(X_real, -1)` on 32 real 7s, then
  `c_model.train_on_batch(X_fake, +1)` on 32 images from `g_model.predict`; then
  `gan_model.train_on_batch(X_gan, y_gan)` on 64 noise vectors with the article's
  `y_gan = np.ones(...)` (machinelearningmastery's original uses -1; labels cost nothing).
- Keras 3 fixes which weights a `train_on_batch` updates when its graph is first traced,
  not at `compile` as Keras 2 did. So the critic's layers are unfrozen before its updates and
  frozen again before the generator's, as the GAN article does explicitly on every step;
  otherwise the critic's convolutions would never train. Setting the flags costs microseconds.
- `predict` prints a Keras progress bar on every call (the articles keep the default
  verbosity); it is written to /dev/null, so the formatting costs what it costs but no
  terminal slows the loop down.

Throughput is **real images per second**: the real images the discriminator/critic trains
on per second, i.e. generator iterations per second x (batch x n_critic): 8 per iteration
for the GAN article, 5 x 32 = 160 for the WGAN article. Both arms do the same number of
network updates on the same batch sizes, so the ratio equals the ratio of iterations/s.
"""

from __future__ import annotations

import contextlib
import cProfile
import functools
import math
import os
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from benchmarks.throughput import GanlibLoop
from benchmarks.timing import interleaved_rates, load_average, ratios, summarize
from ganlib.config import TrainConfig, make_config
from ganlib.data import load_dataset
from ganlib.gans import AdversarialModel
from ganlib.models import build_discriminator, build_generator

ARTICLES: tuple[str, ...] = ("gan", "wgan")
# ganlib should train the articles' networks at least this many times faster than the
# articles' own loops, on the same 2-core CPU.
TARGET_RATIO = 2.5


# --- the GAN article (viblo "GAN series - p1") ---------------------------------------------

def adam_optimizer() -> keras.optimizers.Adam:
    """The article's `Adam(lr=0.0001, beta_1=0.3)` (`lr` is `learning_rate` in Keras 3)."""
    return keras.optimizers.Adam(learning_rate=0.0001, beta_1=0.3)


class GANArticleLoop:
    """The GAN article's models and training loop, as written there (its names kept)."""

    batch_size = 8
    # Keras entry points per iteration, for the fixed-cost estimate.
    calls_per_iteration = {"predict": 1, "train_on_batch": 3}

    def __init__(self, config: TrainConfig, train_dataset: np.ndarray, seed: int = 0):
        keras.utils.set_random_seed(seed)          # also seeds np.random, which the loop uses
        self.latent_dim = config.latent_dim
        self.images_per_iteration = self.batch_size
        self.train_dataset = train_dataset
        self.generator = build_generator(config)
        self.generator.compile(loss="binary_crossentropy", optimizer=adam_optimizer())
        # The article's D: ganlib's layers, then the sigmoid of its Dense(1, "sigmoid").
        self.discriminator = keras.Sequential(
            [build_discriminator(config), layers.Activation("sigmoid")], name="discriminator")
        self.discriminator.compile(loss="binary_crossentropy", optimizer=adam_optimizer(),
                                   metrics=["accuracy"])
        # create_gan(discriminator, generator)
        self.discriminator.trainable = False
        gan_input = keras.Input(shape=(self.latent_dim,))
        gan_output = self.discriminator(self.generator(gan_input))
        self.GAN_model = keras.Model(inputs=gan_input, outputs=gan_output)
        self.GAN_model.compile(loss="binary_crossentropy", optimizer=adam_optimizer())
        self.call_times: dict[str, list[float]] | None = None

    def gen_z_input(self, batch_size: int) -> np.ndarray:
        return np.random.normal(0, 1, [batch_size, self.latent_dim])

    def gen_real_image(self, dataset: np.ndarray, batch_size: int):
        ix = np.random.randint(0, dataset.shape[0], batch_size)
        return dataset[ix], gen_label(batch_size, is_real=True)

    def __call__(self, iterations: int) -> None:
        with quiet():
            for _ in range(iterations):
                self.step()

    def step(self) -> None:
        """One step of the article's inner loop, line for line."""
        real_image, real_label = self.gen_real_image(self.train_dataset, self.batch_size)
        z_input = self.gen_z_input(self.batch_size)
        fake_image = _timed(self, "generator.predict", self.generator.predict, z_input)
        fake_label = gen_label(self.batch_size, is_real=False)

        self.discriminator.trainable = True
        _timed(self, "discriminator.train_on_batch (real)",
               self.discriminator.train_on_batch, real_image, real_label)
        _timed(self, "discriminator.train_on_batch (fake)",
               self.discriminator.train_on_batch, fake_image, fake_label)

        self.discriminator.trainable = False
        gan_fake_label = gen_label(self.batch_size, is_real=True)
        _timed(self, "GAN_model.train_on_batch", self.GAN_model.train_on_batch,
               z_input, gan_fake_label)


def gen_label(size: int, is_real: bool = True) -> np.ndarray:
    """The article's smoothed labels: 0.9 for real, 0.1 for fake, shape (size,)."""
    return np.squeeze(np.ones(size) * (0.9 if is_real else 0.1))


# --- the WGAN article (huytranvan2010, after machinelearningmastery) ------------------------

class ClipConstraint(keras.constraints.Constraint):
    """The article's weight clipping: every value of a kernel kept in [-clip, clip]."""

    def __init__(self, clip_value: float):
        self.clip_value = clip_value

    def __call__(self, weights):
        return tf.clip_by_value(weights, -self.clip_value, self.clip_value)

    def get_config(self) -> dict[str, float]:
        return {"clip_value": self.clip_value}


def wasserstein_loss(y_true, y_pred):
    """The article's Wasserstein loss: labels -1 (real) and +1 (fake) times the scores."""
    return tf.reduce_mean(y_true * y_pred)


def with_kernel_clipping(critic: keras.Sequential, clip_value: float) -> keras.Sequential:
    """A fresh copy of `critic` whose Conv2D layers carry the article's kernel_constraint.

    Keras applies a constraint to the variable it was created with, so the layers are
    rebuilt from their configs rather than patched; the weights are initialised anew by the
    same initialisers.
    """
    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if isinstance(layer, layers.Conv2D):
            config["kernel_constraint"] = ClipConstraint(clip_value)
        return layer.__class__.from_config(config)
    return keras.models.clone_model(critic, clone_function=clone)


class WGANArticleLoop:
    """The WGAN article's models and training loop, as written there (its names kept)."""

    n_critic = 5
    n_batch = 64
    half_batch = 32
    calls_per_iteration = {"predict": 5, "train_on_batch": 11}

    def __init__(self, config: TrainConfig, dataset: np.ndarray, seed: int = 0):
        keras.utils.set_random_seed(seed)
        self.latent_dim = config.latent_dim
        self.images_per_iteration = self.n_critic * self.half_batch
        self.dataset = dataset
        # define_critic(): ganlib's layers with the ClipConstraint(0.01) kernel constraint.
        self.c_model = with_kernel_clipping(build_discriminator(config), 0.01)
        self.c_model.compile(loss=wasserstein_loss, optimizer=keras.optimizers.RMSprop(
            learning_rate=0.00005))
        self.g_model = build_generator(config)
        # define_gan(generator, critic): every critic layer but BatchNorm frozen.
        self._freeze_critic(True)
        self.gan_model = keras.Sequential([self.g_model, self.c_model])
        self.gan_model.compile(loss=wasserstein_loss, optimizer=keras.optimizers.RMSprop(
            learning_rate=0.00005))
        self.call_times: dict[str, list[float]] | None = None

    def _freeze_critic(self, frozen: bool) -> None:
        for layer in self.c_model.layers:
            if not isinstance(layer, layers.BatchNormalization):
                layer.trainable = not frozen

    def generate_real_samples(self, dataset: np.ndarray, n_samples: int):
        ix = np.random.randint(0, dataset.shape[0], n_samples)
        return dataset[ix], -np.ones((n_samples, 1))          # class -1 for real

    def generate_latent_points(self, latent_dim: int, n_samples: int) -> np.ndarray:
        return np.random.randn(latent_dim * n_samples).reshape(n_samples, latent_dim)

    def generate_fake_samples(self, generator: keras.Model, latent_dim: int, n_samples: int):
        x_input = self.generate_latent_points(latent_dim, n_samples)
        X = _timed(self, "g_model.predict", generator.predict, x_input)
        return X, np.ones((n_samples, 1))                     # class +1 for fake

    def __call__(self, iterations: int) -> None:
        with quiet():
            for _ in range(iterations):
                self.step()

    def step(self) -> None:
        """One iteration of the article's main loop, line for line."""
        self._freeze_critic(False)          # Keras 3: see the module docstring
        for _ in range(self.n_critic):
            X_real, y_real = self.generate_real_samples(self.dataset, self.half_batch)
            _timed(self, "c_model.train_on_batch (real)", self.c_model.train_on_batch,
                   X_real, y_real)
            X_fake, y_fake = self.generate_fake_samples(self.g_model, self.latent_dim,
                                                        self.half_batch)
            _timed(self, "c_model.train_on_batch (fake)", self.c_model.train_on_batch,
                   X_fake, y_fake)
        self._freeze_critic(True)
        X_gan = self.generate_latent_points(self.latent_dim, self.n_batch)
        y_gan = np.ones((self.n_batch, 1))
        _timed(self, "gan_model.train_on_batch", self.gan_model.train_on_batch, X_gan, y_gan)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send what Keras prints (predict's progress bars) to /dev/null."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def _timed(loop: ArticleLoop, name: str, fn: Callable, *args):
    """fn(*args), its wall time added to loop.call_times[name] while those are recorded."""
    if loop.call_times is None:
        return fn(*args)
    started = time.perf_counter()
    result = fn(*args)
    loop.call_times[name].append(time.perf_counter() - started)
    return result


# --- the comparison ---------------------------------------------------------------------------

ArticleLoop = GANArticleLoop | WGANArticleLoop


def article_loop(article: str, seed: int = 0,
                 architecture: str | None = None) -> tuple[TrainConfig, ArticleLoop, GanlibLoop]:
    """(config, the article's loop, ganlib's loop) on the same networks, data and batches.

    `architecture` None uses the article's own networks; another ganlib architecture runs
    the same two loops on those networks (the tests use "quick" to finish in seconds).
    """
    config = make_config(article, "article", seed=seed, architecture=architecture)
    images = load_dataset(config.dataset, config.digits).images
    loop_class = GANArticleLoop if article == "gan" else WGANArticleLoop
    article_arm = loop_class(config, images, seed)
    ganlib_arm = GanlibLoop(config, images)
    if article_arm.images_per_iteration != ganlib_arm.images_per_iteration:
        raise AssertionError("The two arms must train on as many real images per iteration.")
    return config, article_arm, ganlib_arm


def compare_article_loops(article: str, steps: int, repetitions: int, warmup: int = 2,
                          profile_steps: int = 2,
                          architecture: str | None = None) -> dict[str, Any]:
    """Real images per second of the article's loop and of ganlib's step, interleaved in
    this process, their ratio per repetition, and where the article loop's time goes
    (`architecture`: see `article_loop`)."""
    config, article_arm, ganlib_arm = article_loop(article, architecture=architecture)
    load_before = load_average()
    rates = interleaved_rates({"article": article_arm, "ganlib": ganlib_arm}, steps,
                              repetitions, warmup)
    load_after = load_average()
    per_iteration = article_arm.images_per_iteration
    ratio = summarize(ratios(rates["ganlib"], rates["article"]))
    return {
        "article": article,
        "preset": config.to_dict(),
        "images_per_iteration": per_iteration,
        "steps_per_block": steps,
        "repetitions": repetitions,
        "warmup_steps": warmup,
        "load_average": [load_before, load_after],
        "article_loop": {"iterations_per_s": summarize(rates["article"]),
                         "images_per_s": summarize([r * per_iteration for r in rates["article"]])},
        "ganlib": {"iterations_per_s": summarize(rates["ganlib"]),
                   "images_per_s": summarize([r * per_iteration for r in rates["ganlib"]])},
        "ratio": ratio,
        "target": TARGET_RATIO,
        "met": ratio["median"] >= TARGET_RATIO,
        "anatomy": anatomy(article_arm, ganlib_arm, profile_steps),
    }


def anatomy(article_arm: ArticleLoop, ganlib_arm: GanlibLoop, steps: int) -> dict[str, Any]:
    """Where the time of one iteration goes, in milliseconds.

    - `calls_ms`: median wall time of each Keras call of the article's loop;
    - `fixed_cost`: what `predict` and `train_on_batch` cost on a one-weight model, i.e. the
      price of a call whatever the network, times the calls the loop makes per iteration;
    - `profile`: under cProfile, each arm's time inside TensorFlow's graph execution (the
      networks' math), in single eager TensorFlow ops run from Python, and in Python itself
      (cProfile slows Python down, so that last share is an upper bound).
    """
    article_arm.call_times = defaultdict(list)
    article_arm(steps)
    calls = {name: 1e3 * statistics.median(times) for name, times in article_arm.call_times.items()}
    article_arm.call_times = None
    fixed = keras_call_costs()
    fixed_per_iteration = sum(fixed[f"{kind}_ms"] * count
                              for kind, count in article_arm.calls_per_iteration.items())
    return {
        "calls_ms": calls,
        "fixed_cost": {**fixed, "calls_per_iteration": article_arm.calls_per_iteration,
                       "per_iteration_ms": fixed_per_iteration},
        "profile": profile_split({"article": article_arm, "ganlib": ganlib_arm}, steps),
        "arithmetic": {"gflop_per_iteration": iteration_flops(ganlib_arm.model) / 1e9,
                       "peak_gflops": matmul_peak_gflops()},
    }


def forward_macs(network: keras.Sequential) -> int:
    """Multiply-adds of one image's forward pass through the Dense and convolution layers
    (activations, BatchNorm and the optimiser add a few percent at most)."""
    total = 0
    for layer in network.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        if isinstance(layer, layers.Conv2DTranspose):       # every input pixel: k x k x in x out
            total += math.prod(layer.input.shape[1:3]) * math.prod(kernel.shape)
        elif isinstance(layer, layers.Conv2D):              # every output pixel: the same
            total += math.prod(layer.output.shape[1:3]) * math.prod(kernel.shape)
        else:                                               # Dense
            total += math.prod(kernel.shape)
    return total


def iteration_flops(model: AdversarialModel) -> float:
    """Floating-point operations of one generator iteration, as both arms make it: per
    critic update, G forward on the fake batch and D forward + backward on the real and the
    fake batch; then G forward + backward through D. A backward pass costs two forward
    passes (gradients of the weights and of the inputs); a multiply-add is 2 operations."""
    c = model.config
    g, d = forward_macs(model.generator), forward_macs(model.discriminator)
    critic = c.n_critic * c.batch_size * (g + 2 * 3 * d)
    generator = c.generator_batch_size * (3 * g + 2 * d)
    return 2.0 * (critic + generator)


@functools.cache
def matmul_peak_gflops(size: int = 2048, repeats: int = 10) -> float:
    """This machine's float32 speed on the friendliest work there is, one large matrix
    product: the ceiling for any network's math here (measured once per process)."""
    a = tf.random.normal((size, size))
    product = tf.function(lambda x: tf.matmul(x, x))
    product(a).numpy()                                      # trace and warm up
    started = time.perf_counter()
    for _ in range(repeats):
        result = product(a)
    result.numpy()
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


@functools.cache
def keras_call_costs(calls: int = 10) -> dict[str, float]:
    """Median milliseconds of `predict` and `train_on_batch` on Dense(1) with one sample:
    Keras 3's fixed cost per call (data adapter, callbacks, progress bar, result copies).
    Measured once per process: it depends on Keras and the machine, not on the article."""
    tiny = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    tiny.compile(loss="mse", optimizer="adam")
    x = np.zeros((1, 1), np.float32)
    costs = {}
    with quiet():
        for kind, call in (("predict", lambda: tiny.predict(x)),
                           ("train_on_batch", lambda: tiny.train_on_batch(x, x))):
            for _ in range(3):
                call()                                      # trace, warm the caches
            times = []
            for _ in range(calls):
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            costs[f"{kind}_ms"] = 1e3 * statistics.median(times)
    return costs


def profile_split(arms: Mapping[str, Callable[[int], None]],
                  steps: int) -> dict[str, dict[str, float]]:
    """Milliseconds per iteration of each arm under cProfile: total, TensorFlow graph
    execution (`TFE_Py_Execute`), single eager ops (`TFE_Py_FastPathExecute`) and the rest
    (Python). The arms take turns, one iteration each, like the timed blocks."""
    profilers = {name: cProfile.Profile() for name in arms}
    wall = dict.fromkeys(arms, 0.0)
    for _ in range(steps):
        for name, arm in arms.items():
            started = time.perf_counter()
            profilers[name].enable()
            arm(1)
            profilers[name].disable()
            wall[name] += time.perf_counter() - started
    split = {}
    for name, profiler in profilers.items():
        own_time = {key[2]: value[2] for key, value in pstats.Stats(profiler).stats.items()}
        graph = sum(t for function, t in own_time.items() if "TFE_Py_Execute" in function)
        eager = sum(t for function, t in own_time.items() if "TFE_Py_FastPathExecute" in function)
        per = 1e3 / steps
        split[name] = {"total_ms": wall[name] * per, "graph_ms": graph * per,
                       "eager_ops_ms": eager * per,
                       "python_ms": (wall[name] - graph - eager) * per}
    return split
