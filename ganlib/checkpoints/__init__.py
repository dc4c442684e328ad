"""Saved models: one folder per checkpoint, written atomically, loaded in Keras safe mode.

    checkpoints/<name>/
        generator.keras  critic.keras    the networks, Keras v3 format (the generator samples
                                         come from: with averaging, the average)
        raw_generator.keras              the trained generator, with averaging only (optional)
        config.json                      TrainConfig.to_dict(): how to rebuild the run
        meta.json                        format, ganlib version, name, step, created (UTC),
                                         elapsed_s, last metrics, dataset notice, owner,
                                         quality (ganlib.quality)
        history.npz                      the metric history, one float64 column per name
        preview.png                      a grid of samples (optional)
        optimizers.npz                   the optimisers' variables, to resume training (optional)

The package has five parts, one job each; import from the package, which names them all:
- `reading`: what a checkpoint is (`CheckpointInfo`, `Checkpoint`), `read_info`,
  `load_checkpoint` (Keras safe mode: nothing in the files runs; every number checked) and
  `list_checkpoints` (broken folders reported as `BrokenCheckpoint`s, never raised);
- `writing`: `save_checkpoint`, `rename_checkpoint`, `delete_checkpoint`, `update_meta`,
  each atomic, so a failure never destroys what was there, and never replacing a model
  it did not start from;
- `space`: the quota (`checkpoint_quota`) shared out: each student's share, the reserve kept
  for the teacher and autosaves, and what is used (`usage`, `student_share`, `quota_used`);
- `upkeep`: the folder itself: where it is (`checkpoint_root`, `writable_root`), the names
  it accepts (`valid_name`, `unique_name`), the hold on work in progress, and the sweep of
  what killed saves left behind;
- `transfer`: zip `export_zip` for a download and `import_zip` for a checked upload.
"""

from ganlib.checkpoints.reading import (CHECKPOINT_FILES, FORMAT, MODEL_FILES, RAW_GENERATOR,
                                        REQUIRED_FILES, BrokenCheckpoint, Checkpoint,
                                        CheckpointInfo, list_checkpoints, load_checkpoint,
                                        read_info)
from ganlib.checkpoints.space import checkpoint_quota, quota_used, student_share, usage
from ganlib.checkpoints.transfer import MAX_UPLOAD_BYTES, export_zip, import_zip
from ganlib.checkpoints.upkeep import (checkpoint_root, sweep_leftovers, unique_name,
                                       valid_name, writable_root)
from ganlib.checkpoints.writing import (delete_checkpoint, rename_checkpoint, save_checkpoint,
                                        update_meta)

__all__ = [
    "CHECKPOINT_FILES", "FORMAT", "MAX_UPLOAD_BYTES", "MODEL_FILES", "RAW_GENERATOR",
    "REQUIRED_FILES",
    "BrokenCheckpoint", "Checkpoint", "CheckpointInfo", "checkpoint_quota", "checkpoint_root",
    "delete_checkpoint", "export_zip", "import_zip", "list_checkpoints", "load_checkpoint",
    "quota_used", "read_info", "rename_checkpoint", "save_checkpoint", "student_share",
    "sweep_leftovers", "unique_name", "update_meta", "usage", "valid_name", "writable_root",
]
