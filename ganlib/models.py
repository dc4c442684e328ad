"""The networks: a generator G(z) -> image and a discriminator/critic D(x) -> score.

Every network is a plain `keras.Sequential` of standard layers, so checkpoints load in
Keras safe mode with no custom objects. Images are (N, 28, 28, 1) in [-1, 1] (tanh output);
z is (N, latent_dim) from N(0, I).

The discriminator always ends in a linear Dense(1). For the GAN that number is a logit: the
article's sigmoid is applied inside the loss (`from_logits=True`), which is the same function
without the float32 rounding that makes log(1 - sigmoid) blow up. For the WGANs it is the
critic's unbounded score, as the WGAN article asks ("linear activation").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import keras
import numpy as np
from keras import layers

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig

IMAGE_SHAPE = (28, 28, 1)
# The quick networks' channel widths: the generator's after its Dense and after its first
# transposed convolution; the critic's two convolutions. Wider ones trained slower for no
# better digits within a minute on 2 cores (docs/averaging-study.md).
QUICK_WIDTHS: dict[str, tuple[int, int]] = {"generator": (64, 32), "critic": (32, 64)}
# Which network an initialiser seeds (its seeds differ from the other network's).
_GENERATOR, _CRITIC = 1, 2
Initializers = Iterator[keras.initializers.Initializer]    # one for each layer that asks


def build_generator(config: TrainConfig) -> keras.Sequential:
    """The generator of `config.architecture`, mapping (N, latent_dim) to (N, 28, 28, 1)."""
    if config.architecture == "gan-article":
        return _gan_article_generator(config.latent_dim)
    if config.architecture == "mlp-2d":
        return _mlp_generator(config.latent_dim)
    builders = {"wgan-article": _wgan_article_generator, "quick": _quick_generator}
    return builders[config.architecture](config.latent_dim,
                                         _initializers(config.seed, _GENERATOR))


def build_discriminator(config: TrainConfig) -> keras.Sequential:
    """The discriminator (GAN) or critic (WGANs) of `config.architecture`: image -> (N, 1).

    The WGAN-GP paper forbids BatchNorm in the critic (the penalty is per sample, batch
    statistics mix samples), so a rule without `critic_batchnorm` (WGAN-GP) gets the
    architecture's critic without it.
    """
    batchnorm = ALGORITHM_INFO[config.algorithm].critic_batchnorm
    if config.architecture == "gan-article":
        return _gan_article_discriminator()
    if config.architecture == "mlp-2d":
        return _mlp_discriminator()
    init = _initializers(config.seed, _CRITIC)
    if config.architecture == "wgan-article":
        return _wgan_article_critic(batchnorm, init)
    return _quick_discriminator(init)


def _initializers(seed: int, network: int) -> Initializers:
    """N(0, 0.02) initialisers (the DCGAN and WGAN articles' weights), one per layer.

    One per layer, because a Keras 3 initialiser fixes its seed when it is made: one shared
    by every layer gave every layer the same random numbers (two equal Conv2DTranspose
    kernels in the WGAN article's generator). Each layer's seed comes from the run's seed,
    the network and the layer's place, so the same seed still builds the same networks,
    whatever else used Keras's global random state. The layers the articles leave at Keras's
    default initialiser (the GAN article's, the 2D playground's) get one each from Keras,
    seeded by `keras.utils.set_random_seed` (ganlib.gans).
    """
    for layer in itertools.count():
        state = np.random.SeedSequence((seed, network, layer)).generate_state(1)[0]
        yield keras.initializers.RandomNormal(stddev=0.02, seed=int(state % 2**31))


# --- the GAN article (viblo "GAN series - p1") ---------------------------------------------

def _gan_article_generator(latent_dim: int) -> keras.Sequential:
    """create_generator() of the GAN article, layer for layer."""
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * 512, activation="relu"),          # state size: 25088
        layers.Reshape((7, 7, 512)),                            # 512 x 7 x 7
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(256, 3, strides=2, padding="same", use_bias=False),  # 256 x 14 x 14
        layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same", use_bias=False),  # 128 x 28 x 28
        layers.BatchNormalization(),
        layers.LeakyReLU(0.2),
        layers.Conv2D(1, 5, padding="same", activation="tanh", use_bias=False),    # 1 x 28 x 28
    ], name="generator")


def _gan_article_discriminator() -> keras.Sequential:
    """create_discriminator() of the GAN article; Dense(1) gives a logit (see module doc)."""
    return keras.Sequential([
        keras.Input(IMAGE_SHAPE),
        layers.Conv2D(512, 5, strides=2, padding="same"),      # 512 x 14 x 14
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Conv2D(256, 3, strides=2, padding="same"),      # 256 x 7 x 7
        layers.LeakyReLU(0.2),
        layers.Conv2D(128, 3, strides=1, padding="same"),      # 128 x 7 x 7
        layers.LeakyReLU(0.2),
        layers.Flatten(),                                      # 6272
        layers.Dense(1),                                       # logit of P(real)
    ], name="discriminator")


# --- the WGAN article --------------------------------------------------------------------

def _wgan_article_generator(latent_dim: int, init: Initializers) -> keras.Sequential:
    """define_generator() of the WGAN article: weights ~ N(0, 0.02), tanh output."""
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(128 * 7 * 7, kernel_initializer=next(init)),  # base of a 7 x 7 image
        layers.LeakyReLU(0.2),
        layers.Reshape((7, 7, 128)),                           # 128 x 7 x 7
        layers.Conv2DTranspose(128, 4, strides=2, padding="same",
                               kernel_initializer=next(init)),
        layers.BatchNormalization(),                           # 128 x 14 x 14
        layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(128, 4, strides=2, padding="same",
                               kernel_initializer=next(init)),
        layers.BatchNormalization(),                           # 128 x 28 x 28
        layers.LeakyReLU(0.2),
        layers.Conv2D(1, 7, padding="same", activation="tanh",
                      kernel_initializer=next(init)),
    ], name="generator")


def _wgan_article_critic(batchnorm: bool, init: Initializers) -> keras.Sequential:
    """define_critic() of the WGAN article: strided convolutions, linear output.

    The article clips only the convolution kernels (a Keras kernel_constraint); ganlib clips
    every critic weight after each update, as the WGAN paper's algorithm does, in `gans.WGAN`.
    """
    norm = [layers.BatchNormalization] if batchnorm else []
    return keras.Sequential([
        keras.Input(IMAGE_SHAPE),
        layers.Conv2D(64, 4, strides=2, padding="same",
                      kernel_initializer=next(init)),         # 64 x 14 x 14
        *[n() for n in norm],
        layers.LeakyReLU(0.2),
        layers.Conv2D(64, 4, strides=2, padding="same",
                      kernel_initializer=next(init)),         # 64 x 7 x 7
        *[n() for n in norm],
        layers.LeakyReLU(0.2),
        layers.Flatten(),                                      # 3136
        layers.Dense(1),                                       # the critic's score, unbounded
    ], name="critic")


# --- quick: a small DCGAN for a 2-core CPU -----------------------------------------------

def _quick_generator(latent_dim: int, init: Initializers) -> keras.Sequential:
    """A DCGAN generator at half the usual width: ~1.9 M multiply-adds per image, ~90x less
    than the GAN article's, so a 2-core CPU trains ~60 GAN steps/s at batch 32.

    BatchNorm momentum 0.9 (Keras default 0.99) so that the moving statistics used for
    sampling catch up within tens of steps rather than hundreds.
    """
    first, second = QUICK_WIDTHS["generator"]                       # 64, 32
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(7 * 7 * first, use_bias=False, kernel_initializer=next(init)),
        layers.BatchNormalization(momentum=0.9),
        layers.LeakyReLU(0.2),
        layers.Reshape((7, 7, first)),                         # 64 x 7 x 7
        layers.Conv2DTranspose(second, 4, strides=2, padding="same", use_bias=False,
                               kernel_initializer=next(init)),  # 32 x 14 x 14
        layers.BatchNormalization(momentum=0.9),
        layers.LeakyReLU(0.2),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh",
                               kernel_initializer=next(init)),  # 1 x 28 x 28
    ], name="generator")


def _quick_discriminator(init: Initializers) -> keras.Sequential:
    """A DCGAN discriminator/critic without BatchNorm, so it serves all three algorithms."""
    first, second = QUICK_WIDTHS["critic"]                          # 32, 64
    return keras.Sequential([
        keras.Input(IMAGE_SHAPE),
        layers.Conv2D(first, 4, strides=2, padding="same",
                      kernel_initializer=next(init)),         # 32 x 14 x 14
        layers.LeakyReLU(0.2),
        layers.Conv2D(second, 4, strides=2, padding="same",
                      kernel_initializer=next(init)),         # 64 x 7 x 7
        layers.LeakyReLU(0.2),
        layers.Flatten(),                                      # 3136
        layers.Dense(1, kernel_initializer=next(init)),        # logit (GAN) or score (WGAN)
    ], name="discriminator")


# --- mlp-2d: the 2D playground ------------------------------------------------------------

def _mlp_generator(latent_dim: int, width: int = 64) -> keras.Sequential:
    """z -> a point in the plane: three ReLU layers, linear output (points are unbounded)."""
    return keras.Sequential([
        keras.Input((latent_dim,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(2),                                       # (x, y)
    ], name="generator")


def _mlp_discriminator(width: int = 64) -> keras.Sequential:
    """A point -> logit (GAN) or score (WGAN): small enough to draw as a heatmap live."""
    return keras.Sequential([
        keras.Input((2,)),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(width, activation="relu"),
        layers.Dense(1),
    ], name="discriminator")
