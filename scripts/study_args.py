"""What every study script shares: its command line and the data it judges with.

Each study trains some configurations for a few seeds and judges them with the shipped
classifier on the bundled digits; only what they train and what they record differ.
"""

from __future__ import annotations

import argparse
import json

from ganlib.data import Dataset, load_dataset
from ganlib.metrics import QualityEvaluator, evaluator_for


def study_parser(doc: str, *, seeds: int, steps: int | None,
                 set_help: str) -> argparse.ArgumentParser:
    """--seeds, --steps (steps None: a study that trains for a time instead) and
    --set NAME=VALUE (values in JSON: 32, 3e-3, true, [7])."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=seeds)
    if steps is not None:
        parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help=set_help)
    return parser


def overrides(items: list[str]) -> dict[str, object]:
    """The --set items as settings, e.g. ["batch_size=32"] -> {"batch_size": 32}."""
    pairs = (item.split("=", 1) for item in items)
    return {name: json.loads(value) for name, value in pairs}


def study_data() -> tuple[Dataset, QualityEvaluator]:
    """The bundled digits and an evaluator of 500 samples, the same for every study."""
    dataset = load_dataset("mnist-10k")
    return dataset, evaluator_for(dataset, n_samples=500)
