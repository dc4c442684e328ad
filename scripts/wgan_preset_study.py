"""Which settings give the WGAN and WGAN-GP Quick presets the best digits per second?

Quality is measured against training steps, speed separately, because the study machine's
2 cores are shared and wall-clock seconds during a trial say more about the neighbours than
about the settings:

1. quality: each trial trains its settings for several seeds, one after another in this
   process, and every `--every` generator steps judges 500 samples with the shipped
   classifier (Fréchet distance as a multiple of the real-vs-real baseline, classes
   covered) and records the mean Wasserstein estimate since the previous evaluation;
2. speed: a fresh model of the same settings trains for `--timing-s` seconds, `--repeats`
   times; the best steps/s (the least disturbed run) stands for an idle 2-core machine.

Each evaluation's step divided by that speed is the "idle seconds" of training it took. A
trial meets the target when 9 of 10 classes and FD <= 15x the baseline come within 60 idle
seconds. The results and the choice they led to are in docs/wgan-quick-preset.md.

    python -m scripts.wgan_preset_study --only wgan/quick wgan-gp/quick --seeds 3
    python -m scripts.wgan_preset_study --only wgan/quick --set n_critic=2 --steps 2000
"""

from __future__ import annotations

import json
import math
import sys
import time

import numpy as np
import tensorflow as tf

from ganlib.config import TrainConfig, make_config
from ganlib.gans import build_gan
from ganlib.latent import latent_vectors
from ganlib.training.compare import spearman
from scripts.study_args import overrides, study_data, study_parser

# The target of issue 12, on an idle 2-core machine.
TARGET_CLASSES, TARGET_FD_RATIO, TARGET_S = 9, 15.0, 60.0

# Every trial of the study, in the doc's order: (algorithm, settings changed from Quick).
TRIALS: dict[str, tuple[str, dict]] = {
    # WGAN (weight clipping). The old Quick preset: RMSprop 2e-4, clip 0.01, n_critic 5, batch 64.
    "wgan/quick": ("wgan", {}),
    "wgan/old": ("wgan", dict(batch_size=64, optimizer="rmsprop", d_lr=2e-4, g_lr=2e-4,
                              n_critic=5, clip_value=0.01, beta_1=0.5, beta_2=0.999)),
    "wgan/rms1e-3-nc2": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=1e-3,
                                      g_lr=1e-3, n_critic=2, clip_value=0.01)),
    "wgan/rms-ttur-nc1": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=2e-3,
                                       g_lr=5e-4, n_critic=1, clip_value=0.01)),
    "wgan/adam-nc2-clip0.05": ("wgan", dict(batch_size=32, optimizer="adam", d_lr=5e-4,
                                            g_lr=5e-4, beta_1=0.5, beta_2=0.9, n_critic=2,
                                            clip_value=0.05)),
    "wgan/rms2e-3-nc2": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=2e-3,
                                      g_lr=2e-3, n_critic=2, clip_value=0.01)),
    "wgan/rms-g2e-3-nc2": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=5e-4,
                                        g_lr=2e-3, n_critic=2, clip_value=0.01)),
    "wgan/rms1e-3-nc2-clip0.1": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=1e-3,
                                              g_lr=1e-3, n_critic=2, clip_value=0.1)),
    "wgan/rms1e-3-nc2-clip0.05": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=1e-3,
                                               g_lr=1e-3, n_critic=2, clip_value=0.05)),
    "wgan/rms1e-3-nc1-clip0.1": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=1e-3,
                                              g_lr=1e-3, n_critic=1, clip_value=0.1)),
    "wgan/rms-g2e-3-nc2-clip0.1": ("wgan", dict(batch_size=32, optimizer="rmsprop", d_lr=1e-3,
                                                g_lr=2e-3, n_critic=2, clip_value=0.1)),
    "wgan/rms1e-3-nc2-clip0.1-warmup": ("wgan", dict(batch_size=32, optimizer="rmsprop",
                                                     d_lr=1e-3, g_lr=1e-3, n_critic=2,
                                                     clip_value=0.1, warmup_steps=25,
                                                     warmup_n_critic=20)),
    "wgan/adam-nc2-clip0.1": ("wgan", dict(batch_size=32, optimizer="adam", d_lr=1e-3,
                                           g_lr=1e-3, beta_1=0.5, beta_2=0.9, n_critic=2,
                                           clip_value=0.1)),
    # WGAN-GP. The old Quick preset: Adam 2e-4 (0, 0.9), n_critic 5, batch 64, penalty 10.
    "wgan-gp/quick": ("wgan-gp", {}),
    "wgan-gp/old": ("wgan-gp", dict(batch_size=64, d_lr=2e-4, g_lr=2e-4, n_critic=5,
                                    gp_every=1, gp_fraction=1.0, warmup_steps=0,
                                    beta_1=0.0, beta_2=0.9)),
    "wgan-gp/ttur-nc1": ("wgan-gp", dict(batch_size=32, d_lr=2e-3, g_lr=5e-4, n_critic=1,
                                         gp_every=1)),
    "wgan-gp/ttur-nc1-lazy4": ("wgan-gp", dict(batch_size=32, d_lr=2e-3, g_lr=5e-4,
                                               n_critic=1, gp_every=4)),
    "wgan-gp/ttur-nc1-quarter": ("wgan-gp", dict(batch_size=32, d_lr=2e-3, g_lr=5e-4,
                                                 n_critic=1, gp_every=1, gp_fraction=0.25)),
    "wgan-gp/nc2-1e-3-lazy4": ("wgan-gp", dict(batch_size=32, d_lr=1e-3, g_lr=1e-3,
                                               n_critic=2, gp_every=4)),
    "wgan-gp/ttur-g1e-3-lazy4": ("wgan-gp", dict(batch_size=32, d_lr=2e-3, g_lr=1e-3,
                                                 n_critic=1, gp_every=4)),
}


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(__doc__, seeds=3, steps=3000,
                          set_help="override settings of every trial, e.g. batch_size=32")
    parser.add_argument("--only", nargs="*", default=list(TRIALS),
                        help="which trials: " + ", ".join(TRIALS))
    parser.add_argument("--every", type=int, default=250, help="evaluate every N steps")
    parser.add_argument("--timing-s", type=float, default=10.0,
                        help="seconds of each timing run")
    parser.add_argument("--profile", action="store_true",
                        help="also time the parts of a step (WGAN-GP: the penalty's double "
                             "backpropagation)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timing runs per trial; 0 skips timing (no idle seconds)")
    args = parser.parse_args(argv)
    changes = overrides(args.set)
    unknown = set(args.only) - set(TRIALS)
    if unknown:
        parser.error(f"unknown trial(s) {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(TRIALS)}")
    dataset, evaluator = study_data()
    images = tf.constant(dataset.images)
    results = {}
    for name in args.only:
        algorithm, extra = TRIALS[name]
        config = make_config(algorithm, "quick", steps=args.steps, **{**extra, **changes})
        speed = (steps_per_second(config, images, args.timing_s, args.repeats)
                 if args.repeats else None)
        curves = [quality_curve(config.replace(seed=seed), images, evaluator, args.every, speed)
                  for seed in range(args.seeds)]
        results[name] = {"settings": {**extra, **changes},
                         "steps_per_s": round(speed, 1) if speed else None,
                         "curves": curves, "target_idle_s": [c["target_idle_s"] for c in curves]}
        if args.profile:
            results[name]["profile_ms"] = step_profile(config, images, args.timing_s,
                                                       max(1, args.repeats))
        print(name, json.dumps({k: v for k, v in results[name].items() if k != "curves"}),
              file=sys.stderr, flush=True)
    json.dump({"steps": args.steps, "overrides": changes, "results": results}, sys.stdout,
              indent=1)
    print()
    return 0


def steps_per_second(config: TrainConfig, images: tf.Tensor, seconds: float,
                     repeats: int) -> float:
    """The best generator steps/s of `repeats` runs of `seconds` each, graph traced and
    warmed up beforehand: on a shared machine the fastest run is the least disturbed one."""
    model = build_gan(config)
    model.trace(images)
    model.train_iteration(images)
    best = 0.0
    for _ in range(repeats):
        started, steps = time.perf_counter(), 0
        while (elapsed := time.perf_counter() - started) < seconds or not steps:
            model.train_iteration(images)["d_loss"].numpy()      # wait for the step to end
            steps += 1
        best = max(best, steps / elapsed)
    return best


def step_profile(config: TrainConfig, images: tf.Tensor, seconds: float,
                 repeats: int) -> dict[str, float]:
    """Milliseconds of each part of a generator iteration, each part a graph of its own,
    best of `repeats` runs of `seconds`: the critic update, the generator update and, for
    WGAN-GP, the gradient penalty alone (its forward pass and the backpropagation through
    the gradient, the "double backprop")."""
    model = build_gan(config)
    real, fake = images[:config.batch_size], images[-config.batch_size:]

    def penalty_gradient():
        with tf.GradientTape() as tape:
            penalty = model.gradient_penalty(real, fake)
        return tape.gradient(penalty, model.discriminator.trainable_variables)

    parts = {"critic update": lambda: model.critic_update(images),
             "generator update": model.generator_update}
    if config.gp_weight:
        parts["gradient penalty with its gradient"] = penalty_gradient
    profile = {}
    for part, work in parts.items():
        graph = tf.function(work)
        _finish(graph())                                             # trace and warm up
        best = math.inf
        for _ in range(repeats):
            started, calls = time.perf_counter(), 0
            while (elapsed := time.perf_counter() - started) < seconds or not calls:
                _finish(graph())
                calls += 1
            best = min(best, elapsed / calls)
        profile[part] = round(best * 1000, 2)
    return profile


def _finish(result) -> None:
    """Wait for every tensor of `result` (a bias the penalty does not reach has None)."""
    for tensor in tf.nest.flatten(result):
        if tensor is not None:
            tensor.numpy()


def quality_curve(config: TrainConfig, images: tf.Tensor, evaluator, every: int,
                  speed: float | None) -> dict:
    """One seed's evaluations every `every` steps, each with the idle seconds it took
    (None without a measured speed)."""
    model = build_gan(config)
    noise = latent_vectors(config.seed + 1, evaluator.n_samples, config.latent_dim)
    rows, window = [], []
    for step in range(1, config.steps + 1):
        window.append(float(model.train_iteration(images)["wasserstein"]))
        if step % every == 0:
            scores = evaluator.evaluate(model.average_generator(noise, training=False).numpy())
            rows.append({"step": step, "idle_s": round(step / speed, 1) if speed else None,
                         "fd_ratio": round(scores["fd"] / scores["fd_baseline"], 1),
                         "classes_covered": int(scores["classes_covered"]),
                         "wasserstein": round(float(np.mean(window)), 4)})
            window = []
            print(config.algorithm, config.seed, rows[-1], file=sys.stderr, flush=True)
    reached = [r["step"] for r in rows if r["classes_covered"] >= TARGET_CLASSES
               and r["fd_ratio"] <= TARGET_FD_RATIO]
    correlation = spearman(np.array([r["wasserstein"] for r in rows]),
                           np.array([r["fd_ratio"] for r in rows])) if len(rows) >= 4 else None
    return {"seed": config.seed, "rows": rows,
            "target_step": reached[0] if reached else None,
            "target_idle_s": round(reached[0] / speed, 1) if speed and reached else None,
            "wasserstein_fd_correlation": None if correlation is None else round(correlation, 2)}


if __name__ == "__main__":
    sys.exit(main())
