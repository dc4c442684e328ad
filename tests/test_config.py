import dataclasses

import pytest

from ganlib.algorithms import ALGORITHMS
from ganlib.config import TrainConfig, field_help, field_names, make_config, presets_for
from ganlib.errors import ConfigError


def test_every_preset_is_valid_and_round_trips_through_json_values():
    for algorithm in ALGORITHMS:
        for preset in presets_for(algorithm):
            config = make_config(algorithm, preset)
            assert TrainConfig.from_dict(config.to_dict()) == config


def test_article_presets_match_the_articles():
    gan = make_config("gan", "article")
    assert (gan.optimizer, gan.d_lr, gan.g_lr, gan.beta_1) == ("adam", 1e-4, 1e-4, 0.3)
    assert (gan.real_label, gan.fake_label, gan.batch_size, gan.latent_dim) == (0.9, 0.1, 8, 100)
    wgan = make_config("wgan", "article")
    assert (wgan.optimizer, wgan.d_lr, wgan.clip_value, wgan.n_critic) == ("rmsprop", 5e-5, 0.01, 5)
    assert (wgan.batch_size, wgan.generator_batch_size, wgan.digits) == (32, 64, (7,))


def test_the_wgan_quick_presets_are_the_studys_choice():
    # docs/wgan-quick-preset.md: quality per second of training on 2 CPU cores.
    wgan = make_config("wgan", "quick")
    assert (wgan.optimizer, wgan.d_lr, wgan.g_lr, wgan.n_critic, wgan.clip_value,
            wgan.batch_size) == ("rmsprop", 1e-3, 2e-3, 2, 0.1, 32)
    gp = make_config("wgan-gp", "quick")
    assert (gp.optimizer, gp.d_lr, gp.g_lr, gp.beta_1, gp.beta_2, gp.n_critic) == (
        "adam", 1e-3, 1e-3, 0.0, 0.9, 2)
    assert (gp.gp_weight, gp.gp_every, gp.gp_fraction, gp.batch_size) == (10.0, 4, 1.0, 32)
    # The study's levers stay off wherever a preset does not choose them.
    for algorithm, preset in (("wgan", "article"), ("wgan-gp", "standard"), ("wgan", "quick")):
        config = make_config(algorithm, preset)
        assert (config.gp_every, config.gp_fraction, config.warmup_steps) == (1, 1.0, 0)


def test_overrides_apply_and_none_is_ignored():
    config = make_config("wgan", "quick", n_critic=3, clip_value=None, digits="1, 7")
    assert config.n_critic == 3 and config.clip_value == 0.1 and config.digits == (1, 7)
    assert presets_for("gan")[0] == "quick"


@pytest.mark.parametrize("overrides, words", [
    (dict(batch_size=0), "batch_size must be a whole number from 1"),
    (dict(d_lr=-1.0), "d_lr must be a number"),
    (dict(d_lr=float("nan")), "d_lr must be a number"),
    (dict(n_critic=5), "n_critic is a WGAN setting"),
    (dict(real_label=0.1, fake_label=0.9), "must be larger than fake_label"),
    (dict(digits=(3, 3)), "lists a class twice"),
    (dict(digits=(12,)), "from 0 to 9"),
    (dict(digits="seven"), "whole numbers"),
    (dict(optimizer="sgd"), "optimizer must be one of adam, rmsprop"),
    (dict(clip_value=0.01), "clip_value only applies to WGAN"),
    (dict(gp_every=4), "gp_every only applies to WGAN-GP; leave it at 1"),
    (dict(warmup_steps=25), "warmup_steps only applies to WGAN and WGAN-GP"),
    (dict(gp_fraction=0.0), "gp_fraction must be a number from 0.01 to 1"),
    (dict(steps=0), "steps must be empty"),
    (dict(colour="red"), "Unknown setting"),
])
def test_bad_settings_are_refused_with_a_message_that_says_what_is_allowed(overrides, words):
    with pytest.raises(ConfigError, match=words):
        make_config("gan", "quick", **overrides)


def test_algorithm_specific_requirements():
    with pytest.raises(ConfigError, match="clip_value above 0"):
        make_config("wgan", "quick", clip_value=0.0)
    with pytest.raises(ConfigError, match="gp_weight above 0"):
        make_config("wgan-gp", "quick", gp_weight=0.0)
    with pytest.raises(ConfigError, match="Unknown preset"):
        make_config("wgan-gp", "article")
    with pytest.raises(ConfigError, match="algorithm must be one of"):
        make_config("vae")


def test_every_setting_has_plain_help_text_of_a_sentence_or_two():
    for name in field_names():
        text = field_help(name)
        assert text[0].isupper() and text.endswith(".") and 20 < len(text) < 300, name
        assert "\n" not in text and "  " not in text, name
    assert field_help("clip_value").startswith("WGAN only")
    assert {f.name: f.metadata["help"] for f in dataclasses.fields(TrainConfig)}["seed"] == \
        field_help("seed")
    with pytest.raises(ConfigError, match="Unknown setting 'colour'. Known settings: algorithm"):
        field_help("colour")
