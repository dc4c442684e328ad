"""A generator that a reader owns: the pipeline from latent vectors to images.

A page or the command line never touches the training run's own networks (TensorFlow does
not promise that reading weights while another thread trains is safe, and such a read can
mix two steps). Instead a `Sampler` holds its own copy of the generator: loaded from a
checkpoint, or refreshed from a live run with weights copied between two training steps.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
import tensorflow as tf

from ganlib.browser_export import Exported, ExportStore
from ganlib.checkpoints import load_checkpoint
from ganlib.config import TrainConfig
from ganlib.errors import ConfigError
from ganlib.messages import _
from ganlib.models import build_generator


class LiveGenerator(Protocol):
    """What a sampler reads of a training run (ganlib.training's `Run`): the library knows
    nothing of the machinery that trains, only that a run can hand over its generator."""

    run_id: str
    config: TrainConfig

    def generator_weights(self) -> tuple[int, list[np.ndarray]]: ...


class Sampler:
    """Turns latent vectors (N, latent_dim) into images (N, 28, 28, 1) in [-1, 1]."""

    def __init__(self, generator: keras.Model, config: TrainConfig, source: str, step: int):
        self.generator = generator
        self.config = config
        self.source = source      # a checkpoint name or a run id: what the user picked
        self.step = step
        self._lock = threading.Lock()
        # Traced once for any batch size: a slider move costs one graph call, not a retrace.
        self._forward = tf.function(
            lambda z: generator(z, training=False),
            input_signature=[tf.TensorSpec((None, config.latent_dim), tf.float32)])

    @classmethod
    def from_checkpoint(cls, name_or_path: str | Path, root=None) -> Sampler:
        """The generator of a saved model (the critic is not loaded: it is not needed)."""
        checkpoint = load_checkpoint(name_or_path, root, with_critic=False)
        return cls(checkpoint.generator, checkpoint.info.config, checkpoint.info.name,
                   checkpoint.info.step)

    @classmethod
    def from_run(cls, run: LiveGenerator) -> Sampler:
        """A copy of a live run's generator, at the run's latest step."""
        sampler = cls(build_generator(run.config), run.config, run.run_id, -1)
        sampler.refresh(run)
        return sampler

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def refresh(self, run: LiveGenerator) -> bool:
        """Copy the run's newest weights if it has moved on; True if they changed."""
        step, weights = run.generator_weights()
        if step == self.step:
            return False
        with self._lock:
            self.generator.set_weights(weights)
            self.step = step
        return True

    def generate(self, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Images for each row of z, computed in batches to bound memory."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ConfigError(_("Latent vectors must have {latent_dim} numbers each (got shape "
                                "{shape}).").format(latent_dim=self.latent_dim, shape=z.shape))
        with self._lock:
            parts = [self._forward(z[i:i + batch_size]).numpy()
                     for i in range(0, len(z), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, 28, 28, 1), np.float32)

    def export_for_browser(self, store: ExportStore) -> Exported:
        """The generator written for the browser's runner (ganlib.browser_export), under the
        lock: a live run's weights are never read half refreshed."""
        with self._lock:
            return store.export(self.generator, self.source, self.step)

    def first_dense_kernel(self) -> np.ndarray:
        """The (latent_dim, units) kernel of the generator's first layer, for
        `ganlib.latent.principal_directions`: every architecture starts with a Dense layer."""
        layer = self.generator.layers[0]
        if not isinstance(layer, keras.layers.Dense):
            raise ConfigError(_("This generator does not start with a Dense layer, so its "
                                "principal latent directions cannot be computed."))
        return layer.kernel.numpy()
