"""ganlib: train GANs and WGANs on small images, watch them learn, explore what they learned.

The library knows nothing of Streamlit. Its modules follow the split of the articles:
`data` (what the networks learn from), `models` (the networks), `gans` (the training rules),
`runner` (a run in a background thread), `checkpoints` (saved models), `latent` and
`images` (exploring a generator), `metrics` (how good the samples are), `cli`.
"""

from ganlib.errors import CheckpointError, ConfigError, DataError, GanlibError

__version__ = "0.1.0"

__all__ = ["CheckpointError", "ConfigError", "DataError", "GanlibError", "__version__"]
