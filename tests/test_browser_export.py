"""ganlib.browser_export: every shipped network as files the browser's runner reads, and a store
that writes each once and keeps few. (That the runner computes what Keras computes is checked
in a real browser, tests/test_browser_generator.py.)"""

from __future__ import annotations

import json
import os
import time

import keras
import numpy as np
import pytest

from ganlib.browser_export import (ExportStore, UnsupportedNetwork, describe, write_network)
from tests.helpers import generator



@pytest.mark.parametrize("architecture, kinds", [
    ("quick", ["dense:leaky_relu", "conv2d_transpose:leaky_relu", "conv2d_transpose:tanh"]),
    ("gan-article", ["dense:relu", "affine:leaky_relu", "conv2d_transpose:leaky_relu",
                     "conv2d_transpose:leaky_relu", "conv2d:tanh"]),
    ("wgan-article", ["dense:leaky_relu", "conv2d_transpose:leaky_relu",
                      "conv2d_transpose:leaky_relu", "conv2d:tanh"]),
    ("mlp-2d", ["dense:relu", "dense:relu", "dense:relu", "dense:linear"]),
])
def test_each_architecture_becomes_a_few_layers_with_their_activations(architecture, kinds):
    model = generator(architecture)
    description, weights = describe(model)
    assert [f"{layer['type']}:{layer['activation']}" for layer in description["layers"]] == kinds
    assert description["input"] == list(model.input_shape[1:])
    assert description["output"] == list(model.output_shape[1:])
    assert weights.dtype == np.dtype("<f4") and weights.size == description["floats"]
    ranges = sorted(r for layer in description["layers"]
                    for r in (layer.get("kernel"), layer.get("bias"), layer.get("scale"),
                              layer.get("shift")) if r)
    assert ranges[0][0] == 0 and all(a[0] + a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert ranges[-1][0] + ranges[-1][1] == weights.size       # every number used, once


def test_a_batchnormalization_after_a_linear_layer_folds_into_it():
    """The Quick generator's Dense has no bias and no activation: its BatchNormalization
    becomes the kernel's scale per unit and a bias."""
    model = generator("quick")
    description, weights = describe(model)
    dense, norm = model.layers[0], model.layers[1]
    scale = norm.gamma.numpy() / np.sqrt(norm.moving_variance.numpy() + norm.epsilon)
    offset, count = description["layers"][0]["kernel"]
    kernel = weights[offset:offset + count].reshape(dense.kernel.shape)
    np.testing.assert_allclose(kernel, dense.kernel.numpy() * scale, rtol=1e-6, atol=1e-9)
    offset, count = description["layers"][0]["bias"]
    np.testing.assert_allclose(weights[offset:offset + count],
                               norm.beta.numpy() - norm.moving_mean.numpy() * scale,
                               rtol=1e-6, atol=1e-7)


def test_convolutions_say_how_tensorflow_pads_them():
    layers = describe(generator("gan-article"))[0]["layers"]
    # 3x3 and 4x4 transposed convolutions of stride 2, then a 5x5 convolution, all "same".
    assert [layer.get("padding") for layer in layers[2:]] == [[0, 0], [1, 1], [2, 2]]
    assert [layer["out"] for layer in layers[2:]] == [[14, 14, 256], [28, 28, 128], [28, 28, 1]]


def test_the_shipped_classifier_is_exported_too():
    from ganlib.metrics import classifier_for
    description, _weights = describe(classifier_for("mnist-10k").model)
    assert [layer["type"] for layer in description["layers"]] == [
        "conv2d", "max_pool2d", "conv2d", "max_pool2d", "dense", "dense"]
    assert description["layers"][-1]["activation"] == "softmax"   # Dropout: gone
    assert description["output"] == [10]


@pytest.mark.parametrize("layer", [keras.layers.UpSampling2D(),
                                   keras.layers.Conv2D(4, 3, dilation_rate=2, padding="same"),
                                   keras.layers.Conv2DTranspose(4, 3, strides=2,
                                                                output_padding=1)])
def test_a_layer_the_browser_cannot_run_is_refused_with_its_name(layer):
    model = keras.Sequential([keras.Input((8, 8, 2)), layer])
    with pytest.raises(UnsupportedNetwork, match=layer.name):
        describe(model)


def test_write_network_writes_a_description_and_its_weights(tmp_path):
    exported = write_network(generator("mlp-2d"), tmp_path, "net")
    description = json.loads((tmp_path / "net.json").read_text())
    assert description["weights"] == "net.bin"
    assert (tmp_path / "net.bin").stat().st_size == 4 * description["floats"]
    assert exported.bytes == sum(f.stat().st_size for f in tmp_path.iterdir())


def test_the_store_writes_each_network_once_in_a_folder_named_by_its_content(tmp_path):
    store = ExportStore(tmp_path)
    model = generator("mlp-2d")
    first = store.export(model, "../../etc/my model", 120)
    assert first.folder.parent == tmp_path                        # never a path from the label
    assert first.folder.name.startswith("etc-my-model-120-")
    written = (first.folder / "network.bin").stat().st_mtime_ns
    again = store.export(model, "../../etc/my model", 120)
    assert again.folder == first.folder
    assert (first.folder / "network.bin").stat().st_mtime_ns == written   # not written again
    model.layers[0].kernel.assign(model.layers[0].kernel + 1.0)
    changed = store.export(model, "../../etc/my model", 120)       # same name, new weights
    assert changed.folder != first.folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_the_store_keeps_the_most_recently_used_folders_within_its_limits(tmp_path):
    store = ExportStore(tmp_path, max_exports=3)
    model = generator("mlp-2d")
    folders = []
    for step in range(5):
        model.layers[-1].bias.assign(np.full(2, float(step)))
        folders.append(store.export(model, "run", step).folder)
        os.utime(folders[-1], (time.time() - 100 + step, time.time() - 100 + step))
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(f.name for f in folders[2:])              # the 3 newest

    small = ExportStore(tmp_path, max_bytes=1)                      # over any byte limit:
    model.layers[-1].bias.assign(np.full(2, 99.0))
    newest = small.export(model, "run", 99).folder
    assert [p.name for p in tmp_path.iterdir()] == [newest.name]    # all but the newest go
