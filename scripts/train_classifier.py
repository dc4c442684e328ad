"""Train the two small classifiers that ganlib.metrics judges generated images with.

    .venv/bin/python -m scripts.train_classifier            # both, a few minutes on 2 cores
    .venv/bin/python -m scripts.train_classifier mnist      # one of them

Why our own classifier: the usual FID needs the Inception-v3 network (about 100 MB, downloaded),
which a classroom laptop offline does not have, and which was never trained on 28x28 digits.
A small CNN trained here on the same data the GANs learn from gives class predictions (which
digit is this? how sure?) and a 64-number feature vector per image, enough for an honest
Frechet distance, class coverage and an Inception-style score (see docs/metrics.md).

A plain classifier is sure of itself even on static: trained on digits alone, ours called about 70%
of uniform-noise images some digit with probability >= 0.9. So each training set also holds
"garbage" (an eighth as many images as the real ones: uniform noise, smooth blobs, grey fields)
whose target is the uniform distribution, 0.1 per class (outlier exposure, Hendrycks et al.
2019). The classifier then answers "not sure" to such images, which makes the metrics'
confident share mean something.

- MNIST: the 10,000 bundled digits, split per class into 85% training and a fixed 15% held
  out (never seen in training), on which the accuracy is measured.
- Fashion-MNIST: 12,000 training images (1,200 per class) from the Debian package's training
  file, and the whole 10,000-image t10k test file held out.

Writes ganlib/assets/classifier-<name>.keras (each well under 2 MB) and records held-out
accuracy, sizes, seed and date in ganlib/assets/classifiers.json. Same seed, same weights (on
the same machine and TensorFlow build: op determinism is switched on).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

if TYPE_CHECKING:
    import keras

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ganlib.data import DEBIAN_FASHION_MNIST, Dataset, load_dataset  # noqa: E402
from ganlib.metrics import ASSETS, CLASSIFIER_FILES, CLASSIFIERS_JSON  # noqa: E402

SEED = 20240601
MNIST_HELDOUT_SHARE = 0.15
FASHION_TRAIN_PER_CLASS = 1200
EPOCHS = 20
# Garbage images (target: 0.1 per class) per real training image.
GARBAGE_SHARE = 1 / 8
BATCH_SIZE = 64
# Adam, its learning rate decayed from this to 0 along a cosine over the whole run.
LEARNING_RATE = 2e-3
MAX_FILE_BYTES = 2 * 2**20
ARCHITECTURE = ("Conv(16, 3x3, same, relu) - MaxPool(2) - Conv(32, 3x3, same, relu) - "
                "MaxPool(2) - Flatten - Dense(64, relu, 'features') - Dropout(0.3) - "
                "Dense(10, softmax)")


def build_classifier() -> keras.Model:
    """The CNN, uncompiled: (N, 28, 28, 1) in [-1, 1] -> 10 class probabilities, with the
    64-unit penultimate layer named "features" (what the Frechet distance compares)."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1), name="image")                  # (N, 28, 28, 1) in [-1, 1]
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)  # (N, 28, 28, 16)
    x = layers.MaxPooling2D()(x)                                      # (N, 14, 14, 16)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)    # (N, 14, 14, 32)
    x = layers.MaxPooling2D()(x)                                      # (N, 7, 7, 32)
    x = layers.Flatten()(x)                                           # (N, 1568)
    features = layers.Dense(64, activation="relu", name="features")(x)   # (N, 64)
    x = layers.Dropout(0.3)(features)                                 # training only
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)  # (N, 10)
    return keras.Model(inputs, outputs, name="digit_classifier")


def stratified_split(labels: np.ndarray, heldout_share: float, seed: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices holding out the same share of every class."""
    rng = np.random.default_rng(seed)
    train, heldout = [], []
    for c in np.unique(labels):
        index = rng.permutation(np.flatnonzero(labels == c))
        cut = round(len(index) * heldout_share)
        heldout.append(index[:cut])
        train.append(index[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(heldout))


def per_class_sample(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of `per_class` images of every class, drawn without replacement."""
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class,
                                              replace=False) for c in np.unique(labels)]))


def mnist_split() -> tuple[Dataset, np.ndarray, Dataset, np.ndarray, str]:
    data = load_dataset("mnist-10k")
    train, heldout = stratified_split(data.labels, MNIST_HELDOUT_SHARE, SEED)
    note = (f"bundled mnist-10k, stratified split: {len(train)} training, {len(heldout)} "
            f"held out ({MNIST_HELDOUT_SHARE:.0%} of each class)")
    return data, train, data, heldout, note


def fashion_split() -> tuple[Dataset, np.ndarray, Dataset, np.ndarray, str]:
    if not (DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        sys.exit(f"Fashion-MNIST IDX files not found in {DEBIAN_FASHION_MNIST}: install the "
                 f"Debian package dataset-fashion-mnist.")
    train_data = load_dataset(f"idx:{DEBIAN_FASHION_MNIST}")   # the training file
    # load_dataset prefers a folder's training file, so the test file is read from a folder
    # that holds only it (links, nothing copied).
    with tempfile.TemporaryDirectory() as folder:
        for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
            os.symlink(DEBIAN_FASHION_MNIST / name, Path(folder) / name)
        test_data = load_dataset(f"idx:{folder}")
    train = per_class_sample(train_data.labels, FASHION_TRAIN_PER_CLASS, SEED)
    heldout = np.arange(test_data.num_images)
    note = (f"Debian dataset-fashion-mnist: {len(train)} training images "
            f"({FASHION_TRAIN_PER_CLASS} per class, seeded draw from the 60,000-image training "
            f"file), held out: the whole {len(heldout)}-image t10k test file")
    return train_data, train, test_data, heldout, note


SPLITS = {"mnist": mnist_split, "fashion-mnist": fashion_split}


def garbage_images(n: int, seed: int) -> np.ndarray:
    """(n, 28, 28, 1) images in [-1, 1] that are no class: a third uniform noise, a third
    smooth blobs (7x7 noise enlarged), a third flat grey fields with a little noise."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    third = n // 3
    static = rng.uniform(-1, 1, (third, 28, 28, 1))
    blobs = tf.image.resize(rng.uniform(-1, 1, (third, 7, 7, 1)), (28, 28), "bilinear").numpy()
    fields = (rng.uniform(-1, 1, (n - 2 * third, 1, 1, 1))
              + rng.normal(0, 0.2, (n - 2 * third, 28, 28, 1)))
    return np.clip(np.concatenate([static, blobs, fields]), -1, 1).astype(np.float32)


def train_one(name: str) -> dict:
    """Train, check and save one classifier; returns its classifiers.json entry."""
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    train_data, train, test_data, heldout, note = SPLITS[name]()
    x_test, y_test = test_data.images[heldout], test_data.labels[heldout]
    # Real images with one-hot targets, then garbage with the uniform target.
    n_garbage = round(len(train) * GARBAGE_SHARE)
    x_train = np.concatenate([train_data.images[train], garbage_images(n_garbage, SEED)])
    y_train = np.concatenate([np.eye(10, dtype=np.float32)[train_data.labels[train]],
                              np.full((n_garbage, 10), 0.1, np.float32)])
    keras.utils.set_random_seed(SEED)
    model = build_classifier()
    steps = EPOCHS * math.ceil(len(x_train) / BATCH_SIZE)
    model.compile(optimizer=keras.optimizers.Adam(
                      keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)),
                  loss="categorical_crossentropy")
    started = time.monotonic()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=2)
    seconds = time.monotonic() - started
    probabilities = model.predict(x_test, batch_size=1000, verbose=0)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == y_test))
    confident_real = float(np.mean(probabilities.max(axis=1) >= 0.9))
    static = np.random.default_rng(SEED + 1).uniform(-1, 1, (1000, 28, 28, 1)).astype(np.float32)
    confident_static = float(np.mean(model.predict(static, verbose=0).max(axis=1) >= 0.9))
    # Saved from an uncompiled copy: the optimiser's state would triple the file for nothing.
    shipped = build_classifier()
    shipped.set_weights(model.get_weights())
    path = ASSETS / CLASSIFIER_FILES[name]
    shipped.save(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        sys.exit(f"{path.name} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit.")
    print(f"{name}: held-out accuracy {accuracy:.4f} on {len(y_test)} images, "
          f"{seconds:.0f} s training, {size / 1024:.0f} KiB; confident (p >= 0.9) on "
          f"{confident_real:.1%} of held-out images and {confident_static:.1%} of uniform noise")
    return {
        "file": path.name,
        "heldout_accuracy": round(accuracy, 4),
        "heldout_images": int(len(y_test)),
        "heldout_confident_share": round(confident_real, 4),
        "noise_confident_share": round(confident_static, 4),
        "train_images": int(len(train)),
        "garbage_images": n_garbage,
        "data": note,
        "architecture": ARCHITECTURE,
        "parameters": int(model.count_params()),
        "epochs": EPOCHS,
        "batch_size": BATCH_SIZE,
        "optimizer": (f"Adam, learning rate {LEARNING_RATE:g} cosine-decayed to 0; "
                      f"categorical cross-entropy; garbage images with target 0.1 per class; "
                      f"no augmentation"),
        "seed": SEED,
        "train_seconds": round(seconds, 1),
        "size_bytes": int(size),
        "trained": datetime.date.today().isoformat(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which classifiers to train: {', '.join(SPLITS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(SPLITS)
    if unknown:
        parser.error(f"unknown classifier(s) {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(SPLITS)}.")
    record = json.loads(CLASSIFIERS_JSON.read_text()) if CLASSIFIERS_JSON.is_file() else {}
    for name in args.names or list(SPLITS):
        record[name] = train_one(name)
        CLASSIFIERS_JSON.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
