"""A saved model's quality: measured once at save, kept in meta.json, measured on demand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ganlib.checkpoints import export_zip, import_zip, read_info, save_checkpoint
from ganlib.gans import build_gan
from ganlib.quality import Quality, measure_checkpoint
from ganlib.training.runner import TrainingRun
from ui.generator_picker import first_choice


def test_a_saved_run_keeps_its_quality_measured_at_save(tiny_dataset, tiny_config):
    run = TrainingRun(tiny_config("gan", steps=3), dataset=tiny_dataset).start()
    assert run.wait(120)
    info = run.save("measured")
    quality = Quality.of(read_info("measured"))
    assert quality is not None and quality == Quality.of(info)
    assert 0 <= quality.classes_covered <= quality.classes_present == 10
    assert quality.fd_ratio > 1                   # three steps: far from real digits


def test_a_model_saved_without_a_quality_is_measured_on_demand(tiny_config):
    config = tiny_config("gan", steps=1)
    model = build_gan(config)
    save_checkpoint("old", generator=model.generator, critic=model.discriminator,
                    config=config, step=1, history={"step": np.array([1.0])})
    assert Quality.of(read_info("old")) is None
    measured = measure_checkpoint("old")
    assert measured is not None and Quality.of(read_info("old")) == measured
    assert read_info("old").step == 1             # the rest of meta.json stays


def test_an_uploaded_model_claims_no_quality_it_is_measured_here(tiny_config):
    config = tiny_config("gan", steps=1)
    model = build_gan(config)
    save_checkpoint("boasting", generator=model.generator, critic=model.discriminator,
                    config=config, step=1, history={"step": np.array([1.0])},
                    quality={"classes_covered": 10, "classes_present": 10, "fd_ratio": 1.0})
    uploaded = import_zip(export_zip("boasting"), name="uploaded")
    assert Quality.of(uploaded) is None


def test_quality_reads_only_whole_finite_numbers():
    assert Quality.from_scores({"classes_covered": 9, "classes_present": 10, "fd": 30.0,
                                "fd_baseline": 10.0}) == Quality(9, 10, 3.0)
    assert Quality.from_scores({"classes_covered": 9, "classes_present": 10}) is None
    assert Quality.from_scores({"classes_covered": 9, "classes_present": 10,
                                "fd_ratio": math.inf}) is None
    assert Quality(10, 10, 2.0).rank < Quality(10, 10, 3.0).rank < Quality(9, 10, 1.5).rank


def test_the_explorer_opens_on_the_best_finished_model_not_a_half_trained_one():
    def model(name, quality=None):
        return SimpleNamespace(name=name, quality=quality)

    good = {"classes_covered": 10, "classes_present": 10, "fd_ratio": 3.0}
    better = {"classes_covered": 10, "classes_present": 10, "fd_ratio": 2.0}
    newest_first = [model("autosave-run-1a2b3c4d", better), model("wgan-half"),
                    model("gan-demo", good), model("students-wgan", better)]
    assert first_choice(newest_first) == "students-wgan"
    assert first_choice(newest_first[:2]) == "wgan-half"          # nothing measured: newest
    assert first_choice(newest_first[:1]) == "autosave-run-1a2b3c4d"   # only an autosave
    assert first_choice([]) is None
