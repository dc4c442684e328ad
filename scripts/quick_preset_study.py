"""Which settings give the GAN Quick preset the best digits per second on a 2-core CPU?

Trains the GAN Quick preset with some of its settings overridden, for several seeds, and
every 250 steps judges 500 samples with the shipped classifier: the Fréchet distance as a
multiple of the real-vs-real baseline, the classes covered, the confident share, and the
seconds spent in training steps so far (evaluation excluded). The results and the choice
they led to are in docs/quick-preset.md.

    python -m scripts.quick_preset_study --steps 3000 --set batch_size=32 g_lr=3e-3 d_lr=6e-4
"""

from __future__ import annotations

import json
import sys
import time

import tensorflow as tf

from ganlib.config import make_config
from ganlib.gans import build_gan
from ganlib.latent import latent_vectors
from scripts.study_args import overrides, study_data, study_parser

EVALUATE_EVERY = 250


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(__doc__, seeds=2, steps=3000,
                          set_help="override settings of the preset, e.g. batch_size=32")
    args = parser.parse_args(argv)
    changes = overrides(args.set)
    dataset, evaluator = study_data()
    images = tf.constant(dataset.images)
    curves = []
    for seed in range(args.seeds):
        config = make_config("gan", "quick", seed=seed, steps=args.steps, **changes)
        model = build_gan(config)
        noise = latent_vectors(seed + 1, evaluator.n_samples, config.latent_dim)
        training_s, rows = 0.0, []
        for step in range(1, args.steps + 1):
            started = time.perf_counter()
            model.train_iteration(images)
            training_s += time.perf_counter() - started
            if step % EVALUATE_EVERY == 0:
                scores = evaluator.evaluate(model.average_generator(noise, training=False).numpy())
                rows.append({"step": step, "training_s": round(training_s, 1),
                             "fd_ratio": round(scores["fd"] / scores["fd_baseline"], 1),
                             "classes_covered": int(scores["classes_covered"]),
                             "confident": round(scores["confident"], 2)})
                print(seed, rows[-1], file=sys.stderr, flush=True)
        curves.append(rows)
    json.dump({"overrides": changes, "curves": curves}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
