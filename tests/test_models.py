"""The networks' starting weights: each layer its own random numbers, the same for a seed."""

import itertools

import numpy as np
import pytest

from ganlib.config import make_config
from ganlib.gans import build_gan
from ganlib.models import build_discriminator, build_generator

# Every image architecture, through a preset that builds it (and its critic).
CONFIGS = {"quick": ("gan", "quick"), "gan-article": ("gan", "article"),
           "wgan-article": ("wgan", "article"), "wgan-article-no-batchnorm": ("wgan-gp", "standard")}


def kernels(network) -> list[np.ndarray]:
    """The random starting weights of each layer (its kernel), flattened; BatchNorm's scale
    starts at ones everywhere, by design."""
    firsts = [layer.get_weights()[0].ravel() for layer in network.layers if layer.get_weights()]
    return [w for w in firsts if w.std() > 0]


@pytest.mark.parametrize("architecture", CONFIGS)
def test_no_two_layers_start_alike(architecture):
    config = make_config(*CONFIGS[architecture])
    model = build_gan(config)
    for network in (model.generator, model.discriminator):
        for a, b in itertools.combinations(kernels(network), 2):
            n = min(len(a), len(b), 16)
            assert not np.array_equal(a[:n], b[:n]), f"two layers of {network.name} start alike"
    # ...nor the generator's first layer and the critic's.
    g, d = kernels(model.generator)[0], kernels(model.discriminator)[0]
    assert not np.array_equal(g[:16], d[:16])


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("architecture", CONFIGS)
def test_the_same_seed_builds_the_same_networks_and_another_seed_others(architecture):
    config = make_config(*CONFIGS[architecture])

    def weights(seed):
        model = build_gan(config.replace(seed=seed))
        return [*kernels(model.generator), *kernels(model.discriminator)]

    assert same(weights(1), weights(1))
    assert not any(np.array_equal(a, b) for a, b in zip(weights(1), weights(2)))


def test_the_quick_networks_take_their_seeds_from_the_run_alone():
    # No global seeding in between: each layer's seed comes from the run's.
    config = make_config("gan", "quick", seed=4)
    first = [*build_generator(config).get_weights(), *build_discriminator(config).get_weights()]
    again = [*build_generator(config).get_weights(), *build_discriminator(config).get_weights()]
    assert same(first, again)
