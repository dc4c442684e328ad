"""The study scripts run end to end on tiny settings and print their JSON on stdout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scripts import ema_study, mode_collapse_study, quick_preset_study, soak, wgan_preset_study
from scripts.study_args import overrides
from tests.helpers import NEEDS_CHROMIUM


def test_set_items_are_read_as_json_values():
    assert overrides(["batch_size=32", "g_lr=3e-3", "digits=[7]"]) == {
        "batch_size": 32, "g_lr": 0.003, "digits": [7]}


def test_the_quick_preset_study_runs(capsys):
    assert quick_preset_study.main(["--seeds", "1", "--steps", "2", "--set", "batch_size=8"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["overrides"] == {"batch_size": 8} and result["curves"] == [[]]


def test_the_mode_collapse_study_runs(capsys):
    assert mode_collapse_study.main(["--seeds", "1", "--steps", "2", "--only", "gan/mode-collapse",
                                     "--set", "batch_size=8"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]["gan/mode-collapse"]
    assert rows[0]["status"] == "finished" and 0 <= rows[0]["classes_covered"] <= 10


def test_the_wgan_preset_study_runs(capsys):
    assert wgan_preset_study.main(["--only", "wgan-gp/quick", "--seeds", "1", "--steps", "2",
                                   "--every", "1", "--timing-s", "0.1", "--repeats", "1",
                                   "--set", "batch_size=8"]) == 0
    result = json.loads(capsys.readouterr().out)["results"]["wgan-gp/quick"]
    assert result["settings"] == {"batch_size": 8} and result["steps_per_s"] > 0
    rows = result["curves"][0]["rows"]
    assert [r["step"] for r in rows] == [1, 2]
    assert all(0 <= r["classes_covered"] <= 10 for r in rows)
    # Each evaluation's step in seconds of training at the measured speed.
    expected = [n / result["steps_per_s"] for n in (1, 2)]
    assert [r["idle_s"] for r in rows] == pytest.approx(expected, abs=0.1)


def test_the_averaging_study_runs_every_variant_and_restores_the_initialisers(capsys):
    from ganlib import models

    own = models._initializers
    assert ema_study.main(["--seeds", "1", "--seconds", "1", "--warm-up", "0.5", "--at", "1",
                           "--evaluate-every", "0.5", "--algorithms", "gan",
                           "--set", "batch_size=8"]) == 0
    assert models._initializers is own
    result = json.loads(capsys.readouterr().out)
    assert set(result["summary"]["gan"]) == set(ema_study.VARIANTS)
    runs = {r["variant"]: r for r in result["runs"]}
    assert runs["no-ema"]["overrides"] == {"batch_size": 8, "ema_decay": 0.0}
    assert runs["both"]["overrides"] == {"batch_size": 8}
    assert 0 <= result["summary"]["gan"]["both"]["classes_covered"]["1s"]["median"] <= 10


def test_the_old_initialisation_of_the_study_shares_one_initialiser():
    from ganlib.config import make_config
    from ganlib.gans import build_gan

    with ema_study.initialisation(per_layer=False):
        generator = build_gan(make_config("wgan", "article")).generator
    first, second = (layer.get_weights()[0] for layer in generator.layers
                     if layer.name.startswith("conv2d_transpose"))
    assert (first == second).all()            # the bug the per-layer initialisers fixed


def test_the_studys_other_widths_and_decaying_rates_apply_to_its_runs_only():
    from ganlib import gans, models
    from ganlib.config import make_config
    from ganlib.gans import build_gan

    config = make_config("wgan", "quick", steps=10)
    own_widths, own_optimizer = models.QUICK_WIDTHS, gans.make_optimizer
    with ema_study.quick_widths([16, 8, 4, 12]), ema_study.decaying_rates(0.1):
        model = build_gan(config)
    assert (models.QUICK_WIDTHS, gans.make_optimizer) == (own_widths, own_optimizer)
    channels = [layer.get_weights()[0].shape for layer in model.generator.layers
                if layer.name.startswith(("dense", "conv2d_transpose"))]
    assert channels[0][-1] == 7 * 7 * 16 and channels[1][2] == 8     # (h, w, out, in)
    assert [layer.filters for layer in model.discriminator.layers
            if layer.name.startswith("conv2d")] == [4, 12]
    rates = [(float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate))]
    for optimizer, updates in ((model.d_optimizer, 20), (model.g_optimizer, 10)):
        optimizer.iterations.assign(updates)                # n_critic 2: the critic's 20
    rates.append((float(model.d_optimizer.learning_rate), float(model.g_optimizer.learning_rate)))
    assert rates == [pytest.approx((config.d_lr, config.g_lr)),
                     pytest.approx((0.1 * config.d_lr, 0.1 * config.g_lr))]


def test_the_studys_augmentation_moves_what_the_critic_sees_while_it_trains_only():
    import tensorflow as tf

    from ganlib import gans
    from ganlib.config import make_config

    images = np.zeros((64, 28, 28, 1), np.float32)
    images[:, 10:18, 10:18] = 1.0
    translate = ema_study.Translate(2)
    assert np.array_equal(translate(images, training=False), images)
    moved = translate(tf.constant(images), training=True).numpy()
    assert moved.sum(axis=(1, 2, 3)).tolist() == [64.0] * 64          # moved, not cut off
    assert len({tuple(np.argwhere(m[..., 0])[0]) for m in moved}) > 5   # each its own way
    x = tf.Variable(images)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(translate(x, training=True))
    gradient = tape.gradient(loss, x).numpy()                          # differentiable:
    assert (gradient[:, 10:18, 10:18] == 1).all()           # each seen pixel counts once
    own = gans.build_discriminator
    with ema_study.augmented_critic(2):
        critic = gans.build_gan(make_config("gan", "quick", steps=10)).discriminator
    assert gans.build_discriminator is own
    assert isinstance(critic.layers[0], ema_study.Translate)


@NEEDS_CHROMIUM
def test_the_class_soak_runs(capsys):
    """A few seconds of class: the setup (the teacher's sign-in, run, show and first save
    raced by a student's) and the students' threads, then every end check."""
    pytest.importorskip("websockets")
    assert soak.main(["--class", "--minutes", "0.05", "--timeout-s", "180"]) == 0
    summary = json.loads(capsys.readouterr().out)
    runs = summary["teacher_runs_kept_as"]             # the run, autosaved at the SIGTERM
    assert summary["teacher_run_alive_at_end"] and list(runs.values()) == [
        f"autosave-{run}" for run in runs]
    assert summary["share_per_student_mb"] == pytest.approx(10.5)
    assert summary["rss_mb"]["sessions"] > 0 and not summary["models_lost"]
