"""How reliably does the "mode-collapse" preset collapse, and does the WGAN avoid it?

Trains each configuration for a fixed number of generator steps on the bundled digits, for
several seeds, and judges the final samples with the shipped classifier: how many of the ten
digit classes the generator still produces, and how far its class mix is from the real one.
The results go into docs/mode-collapse.md.

    python -m scripts.mode_collapse_study --seeds 5 --steps 1500
"""

from __future__ import annotations

import json
import sys
import time

from ganlib.config import make_config
from ganlib.training.runner import TrainingRun
from scripts.study_args import overrides, study_data, study_parser

CANDIDATES = {
    "gan/mode-collapse": ("gan", "mode-collapse", {}),
    "wgan/quick": ("wgan", "quick", {}),
    "wgan-gp/quick": ("wgan-gp", "quick", {}),
}


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(__doc__, seeds=5, steps=1500,
                          set_help="override settings of every candidate, e.g. latent_dim=4")
    parser.add_argument("--only", nargs="*", default=list(CANDIDATES),
                        help="which of: " + ", ".join(CANDIDATES))
    args = parser.parse_args(argv)
    changes = overrides(args.set)
    dataset, evaluator = study_data()
    results = {}
    for label in args.only:
        algorithm, preset, extra = CANDIDATES[label]
        rows = []
        for seed in range(args.seeds):
            config = make_config(algorithm, preset, seed=seed, steps=args.steps,
                                 **{**extra, **changes})
            started = time.monotonic()
            run = TrainingRun(config, dataset=dataset, evaluator=evaluator,
                              evaluate_every_s=1e9).start()
            run.wait()
            snap = run.snapshot()
            final = {k: float(v[-1]) for k, v in snap.evaluations.items()}
            rows.append({"seed": seed, "status": snap.status,
                         "classes_covered": final.get("classes_covered"),
                         "class_kl": final.get("class_kl"), "fd": final.get("fd"),
                         "fd_baseline": final.get("fd_baseline"),
                         "seconds": round(time.monotonic() - started, 1)})
            print(label, rows[-1], file=sys.stderr, flush=True)
        results[label] = rows
    json.dump({"steps": args.steps, "overrides": changes, "results": results}, sys.stdout,
              indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
