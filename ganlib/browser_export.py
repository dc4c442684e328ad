"""A network as files a browser can run: a JSON list of layers and one float32 weights file.

The explorer and the interpolation page draw digits in the student's browser (docs/decisions.md,
"Digits drawn in the browser"), with a small JavaScript runner (static/gan/network.js) that
knows a handful of layer kinds. This module turns a Keras network into what that runner reads:

- `<name>.json`: the input shape, and the layers in order, each with its shapes, its
  activation and where its numbers lie in the weights file (offsets and counts in float32
  numbers, not bytes);
- `<name>.bin`: every weight as little-endian float32, one array after another.

What the runner does not need is left out or folded away, so it has fewer kinds to know:
BatchNormalization (inference: a per-channel scale and shift) is folded into the Dense or
convolution before it when that has no activation, else kept as an "affine" layer; a LeakyReLU,
ReLU or Activation right after a layer becomes that layer's activation; Dropout and the input
layer vanish (identity at inference); Flatten and Reshape only rename the shape, because the
runner keeps every activation in Keras's own height x width x channel order. Convolution
kernels are stored (height, width, in, out) for both Conv2D and Conv2DTranspose (Keras keeps
the transpose's as (height, width, out, in)), so the runner has one weight layout.

A layer the runner cannot run raises `UnsupportedNetwork`; the pages then draw on the server as
before. `ExportStore` writes each network once into a folder named by its content (so a browser
never runs stale weights from its cache) and keeps the folder small.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganlib.errors import GanlibError
from ganlib.messages import _

if TYPE_CHECKING:
    import keras

FORMAT = "gan-classroom-network"
VERSION = 1
ACTIVATIONS = ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "softmax")
# Export folders kept, and their bytes together: a few models of a lesson and the live runs
# students open, at most a few hundred MB even with the GAN article's 17 MB generators.
MAX_EXPORTS = 24
MAX_BYTES = 300 * 1024 * 1024
# What a folder may be called: a short slug of the model's name, its step and a digest.
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
_FOLDER = re.compile(r"[A-Za-z0-9_-]{1,40}-[0-9]{1,12}-[0-9a-f]{12}")


class UnsupportedNetwork(GanlibError):
    """The network holds a layer (or a setting of one) the browser's runner cannot run."""


@dataclass(frozen=True)
class Exported:
    """One network on disk: its folder and the name of its two files in it."""

    folder: Path
    name: str            # <name>.json and <name>.bin
    bytes: int           # both files together


# --- describing a network -------------------------------------------------------------------

def describe(model: keras.Model) -> tuple[dict[str, Any], np.ndarray]:
    """(the JSON description, the float32 weights) of `model`, a chain of layers.

    Raises UnsupportedNetwork for anything the runner does not know.
    """
    builder = _Builder(tuple(int(n) for n in model.input_shape[1:]))
    for layer in model.layers:
        builder.add(layer)
    builder.finish()
    description = {"format": FORMAT, "version": VERSION, "input": list(builder.input_shape),
                   "output": list(builder.shape), "layers": builder.layers,
                   "floats": builder.size}
    output = tuple(int(n) for n in model.output_shape[1:])
    if builder.shape != output:
        raise UnsupportedNetwork(_("The browser's copy of this network would give shape "
                                   "{got}, not {want}.").format(got=builder.shape, want=output))
    return description, builder.weights()


class _Builder:
    """Walks the layers, folding and fusing as the module docstring says."""

    def __init__(self, input_shape: tuple[int, ...]):
        self.input_shape = input_shape
        self.shape = input_shape
        self.layers: list[dict[str, Any]] = []
        self._arrays: list[np.ndarray] = []
        self.size = 0

    def weights(self) -> np.ndarray:
        return (np.concatenate(self._arrays).astype("<f4") if self._arrays
                else np.zeros(0, "<f4"))

    def _put(self, array: np.ndarray) -> list[int]:
        """Append `array` to the weights; its [offset, count] in float32 numbers."""
        flat = np.ascontiguousarray(array, np.float32).ravel()
        self._arrays.append(flat)
        self.size += flat.size
        return [self.size - flat.size, flat.size]

    def add(self, layer: Any) -> None:
        kind = type(layer).__name__
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise UnsupportedNetwork(_("The browser cannot run a {kind} layer ({name}).").format(
                kind=kind, name=layer.name))
        handler(layer)

    # Layers with weights keep them as float64 numpy arrays until written, so that a
    # BatchNormalization folded in later costs no float32 rounding twice.
    def _InputLayer(self, layer) -> None:
        pass

    def _Dropout(self, layer) -> None:
        pass

    def _Dense(self, layer) -> None:
        if len(self.shape) != 1:
            raise UnsupportedNetwork(_("The browser runs a Dense layer only on a flat input "
                                       "({name} gets shape {shape}).").format(
                                           name=layer.name, shape=self.shape))
        kernel = np.asarray(layer.kernel.numpy(), np.float64)            # (in, out)
        bias = (np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias
                else np.zeros(kernel.shape[1]))
        description = {"type": "dense", "inputs": self.shape[0], "units": kernel.shape[1]}
        self.shape = (kernel.shape[1],)
        self._linear(description, kernel, bias, layer)

    def _Conv2D(self, layer) -> None:
        kernel = np.asarray(layer.kernel.numpy(), np.float64)            # (kh, kw, in, out)
        self._convolution("conv2d", layer, kernel)

    def _Conv2DTranspose(self, layer) -> None:
        kernel = np.asarray(layer.kernel.numpy(), np.float64)            # (kh, kw, out, in)
        if getattr(layer, "output_padding", None) is not None:
            raise UnsupportedNetwork(_("The browser cannot run {name}: output_padding is "
                                       "set.").format(name=layer.name))
        self._convolution("conv2d_transpose", layer, kernel.transpose(0, 1, 3, 2))

    def _convolution(self, kind: str, layer, kernel: np.ndarray) -> None:
        config = layer.get_config()
        if (len(self.shape) != 3 or config.get("data_format", "channels_last") != "channels_last"
                or tuple(config.get("dilation_rate", (1, 1))) != (1, 1)
                or config.get("groups", 1) != 1 or config["padding"] not in ("same", "valid")):
            raise UnsupportedNetwork(_("The browser cannot run {name}: it runs channels-last "
                                       "convolutions without dilation or groups, padded "
                                       "'same' or 'valid'.").format(name=layer.name))
        height, width, channels = self.shape
        kh, kw, cin, cout = kernel.shape
        strides = [int(s) for s in config["strides"]]
        if cin != channels:
            raise UnsupportedNetwork(_("{name} expects {want} channels, gets {got}.").format(
                name=layer.name, want=cin, got=channels))
        if kind == "conv2d":
            out = [_conv_size(height, kh, strides[0], config["padding"]),
                   _conv_size(width, kw, strides[1], config["padding"])]
        else:
            out = [_transpose_size(height, kh, strides[0], config["padding"]),
                   _transpose_size(width, kw, strides[1], config["padding"])]
        bias = (np.asarray(layer.bias.numpy(), np.float64) if config["use_bias"]
                else np.zeros(cout))
        description = {"type": kind, "in": [height, width, cin], "out": [*out, cout],
                       "kernel_size": [kh, kw], "strides": strides,
                       "padding": _padding(kind, (height, width), out, (kh, kw), strides,
                                           config["padding"])}
        self.shape = (*out, cout)
        self._linear(description, kernel, bias, layer)

    def _linear(self, description: dict[str, Any], kernel: np.ndarray, bias: np.ndarray,
                layer) -> None:
        """A Dense or convolution layer: weights pending (a BatchNormalization may fold in)."""
        description.update(activation="linear", alpha=0.0)
        description["_pending"] = (kernel, bias)
        self.layers.append(description)
        self._set_activation(_activation_of(layer))

    def _MaxPooling2D(self, layer) -> None:
        config = layer.get_config()
        pool, strides = [int(p) for p in config["pool_size"]], [int(s) for s in config["strides"]]
        if len(self.shape) != 3 or config["padding"] != "valid":
            raise UnsupportedNetwork(_("The browser runs max pooling only unpadded ('valid') "
                                       "on an image ({name}).").format(name=layer.name))
        height, width, channels = self.shape
        out = [(height - pool[0]) // strides[0] + 1, (width - pool[1]) // strides[1] + 1]
        self.layers.append({"type": "max_pool2d", "in": list(self.shape), "activation": "linear",
                            "out": [*out, channels], "pool": pool, "strides": strides})
        self.shape = (*out, channels)

    def _Flatten(self, layer) -> None:
        self.shape = (int(np.prod(self.shape)),)     # the same numbers, in the same order

    def _Reshape(self, layer) -> None:
        target = tuple(int(n) for n in layer.target_shape)
        if -1 in target or np.prod(target) != np.prod(self.shape):
            raise UnsupportedNetwork(_("The browser cannot run {name}: reshape {source} into "
                                       "{target}.").format(name=layer.name, source=self.shape,
                                                           target=target))
        self.shape = target

    def _BatchNormalization(self, layer) -> None:
        axis = layer.axis[0] if isinstance(layer.axis, (list, tuple)) else layer.axis
        if axis not in (-1, len(self.shape)):
            raise UnsupportedNetwork(_("The browser runs BatchNormalization only over the last "
                                       "axis ({name}).").format(name=layer.name))
        channels = self.shape[-1]
        gamma = (np.asarray(layer.gamma.numpy(), np.float64) if layer.scale
                 else np.ones(channels))
        beta = np.asarray(layer.beta.numpy(), np.float64) if layer.center else np.zeros(channels)
        mean = np.asarray(layer.moving_mean.numpy(), np.float64)
        variance = np.asarray(layer.moving_variance.numpy(), np.float64)
        scale = gamma / np.sqrt(variance + layer.epsilon)
        shift = beta - mean * scale
        last = self.layers[-1] if self.layers else None
        # Folds only into the layer right before, when its outputs are these channels (not
        # through a Reshape) and nothing non-linear lies between.
        if (last is not None and "_pending" in last and last["activation"] == "linear"
                and _output_shape(last) == self.shape):
            kernel, bias = last["_pending"]
            last["_pending"] = (kernel * scale, bias * scale + shift)   # scale per output
            return
        self.layers.append({"type": "affine", "shape": list(self.shape), "activation": "linear",
                            "alpha": 0.0, "scale": self._put(scale), "shift": self._put(shift)})

    def _LeakyReLU(self, layer) -> None:
        self._set_activation(("leaky_relu", float(layer.negative_slope)))

    def _ReLU(self, layer) -> None:
        config = layer.get_config()
        if config.get("max_value") is not None or config.get("threshold", 0) != 0:
            raise UnsupportedNetwork(_("The browser runs ReLU without a cap or threshold "
                                       "({name}).").format(name=layer.name))
        slope = float(config.get("negative_slope", 0.0))
        self._set_activation(("leaky_relu", slope) if slope else ("relu", 0.0))

    def _Activation(self, layer) -> None:
        self._set_activation(_activation_of(layer))

    def _set_activation(self, activation: tuple[str, float]) -> None:
        """Give the last layer `activation` when it has none (an element-wise function does
        not care about a Reshape between; softmax needs the layer's own flat output), else
        add a layer that only applies it."""
        name, alpha = activation
        if name == "linear":
            return
        last = self.layers[-1] if self.layers else None
        if (last is None or last.get("activation") != "linear"
                or (name == "softmax" and _output_shape(last) != self.shape)):
            self.layers.append({"type": "affine", "shape": list(self.shape),
                                "activation": "linear", "alpha": 0.0, "scale": None,
                                "shift": None})
            last = self.layers[-1]
        last["activation"], last["alpha"] = name, alpha

    def finish(self) -> None:
        """Write the weights of the layers still open to a BatchNormalization."""
        for layer in self.layers:
            if "_pending" in layer:
                kernel, bias = layer.pop("_pending")
                layer["kernel"], layer["bias"] = self._put(kernel), self._put(bias)


def _output_shape(layer: dict[str, Any]) -> tuple[int, ...]:
    """The shape of what a described layer gives."""
    if "out" in layer:
        return tuple(layer["out"])
    return (layer["units"],) if "units" in layer else tuple(layer["shape"])


def _activation_of(layer) -> tuple[str, float]:
    name = getattr(getattr(layer, "activation", None), "__name__", "linear")
    if name not in ACTIVATIONS or name == "leaky_relu":
        raise UnsupportedNetwork(_("The browser cannot run the activation {activation} of "
                                   "{name}.").format(activation=name, name=layer.name))
    return name, 0.0


def _conv_size(size: int, kernel: int, stride: int, padding: str) -> int:
    return -(-size // stride) if padding == "same" else (size - kernel) // stride + 1


def _transpose_size(size: int, kernel: int, stride: int, padding: str) -> int:
    return size * stride if padding == "same" else (size - 1) * stride + kernel


def _padding(kind: str, size: tuple[int, int], out: list[int], kernel: tuple[int, int],
             strides: list[int], padding: str) -> list[int]:
    """The rows and columns before the image's first (top, left), as TensorFlow pads.

    For "same", TensorFlow pads max((out - 1) * stride + kernel - in, 0) in all, the smaller
    half first; a transposed convolution is the gradient of the convolution from its output
    back to its input, so it takes the padding that convolution had.
    """
    if padding == "valid":
        return [0, 0]
    small, large = (size, out) if kind == "conv2d" else (out, size)
    return [max((large[i] - 1) * strides[i] + kernel[i] - small[i], 0) // 2 for i in range(2)]


# --- files on disk -------------------------------------------------------------------------

def write_network(model: keras.Model, folder: Path, name: str) -> Exported:
    """Write `model` as `folder/<name>.json` and `folder/<name>.bin`."""
    description, weights = describe(model)
    return _write(description, weights, Path(folder), name)


def _write(description: dict[str, Any], weights: np.ndarray, folder: Path,
           name: str) -> Exported:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.bin").write_bytes(weights.tobytes())
    text = json.dumps({**description, "weights": f"{name}.bin"}, separators=(",", ":"))
    (folder / f"{name}.json").write_text(text, encoding="utf-8")
    return Exported(folder, name, weights.nbytes + len(text.encode()))


class ExportStore:
    """Networks exported once each into `root/<slug>-<step>-<digest>/`, and few of them kept.

    The folder's name says what it holds: a slug of the model's or run's name, the training
    step and 12 hex digits of the weights' SHA-256, so equal weights share a folder (every
    student of a class opening the same model) and changed weights never hide behind a
    browser's cached copy. Only code that already holds a network exports (the pages, for the
    generator they sample from): a browser cannot name what to export. Each new export sweeps
    the least recently used folders beyond `max_exports` or `max_bytes`; a folder in use is
    touched each time it is asked for. Several processes may share the root: writes go to a
    hidden folder renamed into place.
    """

    def __init__(self, root: Path, max_exports: int = MAX_EXPORTS, max_bytes: int = MAX_BYTES):
        self.root = Path(root)
        self.max_exports = max_exports
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def export(self, model: keras.Model, label: str, step: int,
               name: str = "network") -> Exported:
        """`model` on disk (written now, or found from before) as `<folder>/<name>.*`."""
        description, weights = describe(model)
        digest = hashlib.sha256(weights.tobytes()).hexdigest()[:12]
        slug = _SLUG.sub("-", label).strip("-")[:40] or "model"
        folder = self.root / f"{slug}-{max(int(step), 0)}-{digest}"
        with self._lock:
            if (folder / f"{name}.json").is_file():
                os.utime(folder)
                return Exported(folder, name, _folder_bytes(folder))
            self.root.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
            try:
                exported = _write(description, weights, scratch, name)
                try:
                    scratch.rename(folder)
                except OSError:          # another process wrote the same folder first
                    shutil.rmtree(scratch, ignore_errors=True)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            os.utime(folder)
            self._sweep(keep=folder)
            return Exported(folder, name, exported.bytes)

    def _sweep(self, keep: Path) -> None:
        """Remove the least recently used folders beyond the limits (never `keep`), and
        scratch folders a killed process left behind."""
        now = time.time()
        folders = []
        for entry in self.root.iterdir():
            try:
                if entry.name.startswith(".tmp-") and now - entry.stat().st_mtime > 600:
                    shutil.rmtree(entry, ignore_errors=True)
                elif entry.is_dir() and _FOLDER.fullmatch(entry.name):
                    folders.append((entry.stat().st_mtime, entry))
            except OSError:
                continue                 # removed meanwhile by another process
        folders.sort(reverse=True)       # newest first
        total = 0
        for index, (_mtime, folder) in enumerate(folders):
            total += _folder_bytes(folder)
            if folder != keep and (index >= self.max_exports or total > self.max_bytes):
                shutil.rmtree(folder, ignore_errors=True)


def _folder_bytes(folder: Path) -> int:
    try:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    except OSError:
        return 0
