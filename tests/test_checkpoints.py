"""Checkpoints: round trips, atomic saves, broken folders reported, uploads checked."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import time
import tomllib
import warnings
import zipfile
import zlib
from datetime import timezone
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers
from PIL import Image

import ganlib.checkpoints as checkpoints
from ganlib.checkpoints import (
    transfer,
    upkeep,
    writing,
    MAX_UPLOAD_BYTES,
    checkpoint_root,
    delete_checkpoint,
    export_zip,
    import_zip,
    list_checkpoints,
    load_checkpoint,
    read_info,
    rename_checkpoint,
    save_checkpoint,
    valid_name,
)
from ganlib.checkpoints.reading import _Damaged
from ganlib import settings
from ganlib.config import make_config
from ganlib.errors import CheckpointError, ConfigError, SettingError
from ganlib.training.resume import resume_budget

CONFIG = make_config("gan", "quick")                 # latent_dim 64
Z = np.random.default_rng(0).standard_normal((3, 64)).astype("float32")
HISTORY = {"step": np.arange(1, 6), "d_loss": np.linspace(0.7, 0.5, 5)}
PREVIEW = np.random.default_rng(1).integers(0, 256, (30, 44), dtype=np.uint8)
OPTIMIZERS = {"d_optimizer": [np.array(12, np.int64), np.ones((2, 3), np.float32)],
              "g_optimizer": [np.full(4, 0.5, np.float32)]}


def tiny_generator() -> keras.Model:
    return keras.Sequential([keras.Input((64,)), layers.Dense(7 * 7, activation="tanh"),
                             layers.Reshape((7, 7, 1)), layers.UpSampling2D(4)])


@pytest.fixture(scope="module")
def nets() -> tuple[keras.Model, keras.Model, keras.Model]:
    """A tiny generator (N, 64) -> (N, 28, 28, 1), critic (N, 28, 28, 1) -> (N, 1), and a
    trained generator whose average the first one is (other weights, same network)."""
    keras.utils.set_random_seed(0)
    generator = tiny_generator()
    critic = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 4, strides=4),
                               layers.Flatten(), layers.Dense(1)])
    return generator, critic, tiny_generator()


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "ck"


@pytest.fixture
def save(nets, root):
    """save(name, **overrides): a complete checkpoint under `root`."""
    def save(name: str = "demo", **overrides):
        values = dict(generator=nets[0], critic=nets[1], raw_generator=nets[2], config=CONFIG,
                      step=5,
                      history=HISTORY, preview=PREVIEW, elapsed_s=12.5,
                      metrics={"d_loss": 0.5, "g_loss": 1.25}, optimizer_state=OPTIMIZERS,
                      root=root)
        values.update(overrides)
        return save_checkpoint(name, **values)
    return save


def outputs(model: keras.Model, z: np.ndarray = Z) -> np.ndarray:
    return np.asarray(model(z, training=False))


def entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


# --- round trip ----------------------------------------------------------------------------

def test_round_trip_preserves_networks_and_metadata(nets, save, root):
    saved = save("demo", dataset_notice="Offline: using the bundled digits.")
    assert entries(root / "demo") == sorted(checkpoints.CHECKPOINT_FILES)

    loaded = load_checkpoint("demo", root)
    np.testing.assert_array_equal(outputs(loaded.generator), outputs(nets[0]))
    np.testing.assert_array_equal(outputs(loaded.raw_generator), outputs(nets[2]))
    np.testing.assert_array_equal(outputs(loaded.critic, outputs(nets[0])),
                                  outputs(nets[1], outputs(nets[0])))
    info = loaded.info
    assert info == saved == read_info(root / "demo")
    assert (info.name, info.step, info.elapsed_s, info.algorithm) == ("demo", 5, 12.5, "gan")
    assert info.config == CONFIG
    assert info.metrics == {"d_loss": 0.5, "g_loss": 1.25}
    assert info.dataset_notice == "Offline: using the bundled digits."
    assert info.created.tzinfo == timezone.utc
    assert info.size_bytes == sum(p.stat().st_size for p in (root / "demo").iterdir())
    np.testing.assert_array_equal(np.asarray(Image.open(info.preview_png)), PREVIEW)

    assert set(loaded.history) == {"step", "d_loss"}
    for key, column in HISTORY.items():
        assert loaded.history[key].dtype == np.float64
        np.testing.assert_array_equal(loaded.history[key], column)
    assert set(loaded.optimizer_state) == set(OPTIMIZERS)
    for key, values in OPTIMIZERS.items():
        assert len(loaded.optimizer_state[key]) == len(values)
        for got, want in zip(loaded.optimizer_state[key], values):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_minimal_checkpoint_and_generator_only_load(nets, save, root):
    save("bare", history=None, preview=None, metrics=None, optimizer_state=None,
         raw_generator=None)
    assert load_checkpoint("bare", root).raw_generator is None     # one generator: no average
    loaded = load_checkpoint("bare", root, with_critic=False)
    assert loaded.critic is None and loaded.raw_generator is None
    assert loaded.history == {} and loaded.optimizer_state == {}
    assert loaded.info.preview_png is None and loaded.info.metrics == {}
    np.testing.assert_array_equal(outputs(loaded.generator), outputs(nets[0]))


def test_a_trained_generator_unlike_its_average_is_refused(nets, save, root):
    other = keras.Sequential([keras.Input((64,)), layers.Dense(14 * 14, activation="tanh"),
                              layers.Reshape((14, 14, 1)), layers.UpSampling2D(2)])
    with pytest.raises(CheckpointError, match="raw_generator.keras is not the same network"):
        save("twins", raw_generator=other)
    assert not (root / "twins").exists()
    save("twins")
    other.save(root / "twins" / "raw_generator.keras")     # swapped in by hand
    assert load_checkpoint("twins", root, with_critic=False).raw_generator is None
    with pytest.raises(CheckpointError, match="raw_generator.keras is not the same network"):
        load_checkpoint("twins", root)


def test_root_comes_from_argument_then_environment_then_repository(monkeypatch, tmp_path):
    # conftest points GANLIB_CHECKPOINTS at a temporary folder.
    assert checkpoint_root() == tmp_path / "checkpoints"
    assert checkpoint_root(tmp_path / "elsewhere") == tmp_path / "elsewhere"
    monkeypatch.delenv("GANLIB_CHECKPOINTS")
    settings.reset()
    assert checkpoint_root() == Path(__file__).resolve().parents[1] / "checkpoints"


def test_default_root_is_used_by_name(save):
    save("by-env", root=None)
    assert [info.name for info in list_checkpoints()[0]] == ["by-env"]
    assert load_checkpoint("by-env").info.path == checkpoint_root() / "by-env"


# --- listing and broken checkpoints --------------------------------------------------------

def test_list_is_newest_first_and_reports_broken_folders(save, root):
    for name in ("first", "second", "third"):
        save(name)
    (root / "junk").mkdir()
    (root / "bad name").mkdir()
    (root / ".tmp-first-abc").mkdir()            # a save in progress: not listed
    (root / "README.md").write_text("not a checkpoint")

    good, broken = list_checkpoints(root)
    problems = [p.reason for p in broken]
    assert [info.name for info in good] == ["third", "second", "first"]
    assert sorted(p.name for p in broken) == ["bad name", "junk"]
    assert not any(str(root) in p for p in problems)     # shown to everyone: the name only
    assert any("'junk'" in p and "missing" in p and "Delete it" in p for p in problems)
    assert any("bad name" in p and "rename it" in p for p in problems)
    assert all("\n" not in p for p in problems)
    assert list_checkpoints(root / "nothing-here") == ([], [])


def test_truncated_generator_is_a_clear_error_and_listed_as_a_problem(save, root):
    save("cut")
    model = root / "cut" / "generator.keras"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])

    for read in (read_info, load_checkpoint):
        with pytest.raises(CheckpointError) as err:
            read("cut", root)
        message = str(err.value)
        assert "'cut'" in message and "generator.keras is truncated" in message
        assert "Delete it or save it again" in message
    good, problems = list_checkpoints(root)
    assert good == [] and len(problems) == 1 and "generator.keras" in problems[0].reason


def test_garbage_inside_a_model_file_fails_on_load_not_with_a_raw_error(save, root):
    save("garbage")
    with zipfile.ZipFile(root / "garbage" / "critic.keras", "w") as archive:
        archive.writestr("config.json", "{not json")
        archive.writestr("model.weights.h5", b"\x00" * 100)
    read_info("garbage", root)                    # the zip's directory is fine
    assert load_checkpoint("garbage", root, with_critic=False).critic is None
    with pytest.raises(CheckpointError, match="critic.keras cannot be loaded in safe mode"):
        load_checkpoint("garbage", root)


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage, expected", [
    (lambda p: (p / "meta.json").write_text("{not json"), "meta.json is not valid JSON"),
    (lambda p: (p / "meta.json").write_bytes(b"\xff\xfe"), "meta.json is not valid JSON"),
    (lambda p: (p / "config.json").write_text("[1, 2"), "config.json is not valid JSON"),
    (lambda p: edit_json(p / "config.json", lambda d: d.update(latent_dim=-1)),
     "config.json is not a valid configuration"),
    (lambda p: edit_json(p / "config.json", lambda d: d.update(colour="red")),
     "config.json is not a valid configuration"),
    (lambda p: edit_json(p / "meta.json", lambda d: d.update(format=99)), "format 99"),
    (lambda p: edit_json(p / "meta.json", lambda d: d.pop("step")), "meta.json has a missing"),
    (lambda p: edit_json(p / "meta.json", lambda d: d.update(created=5)),
     "meta.json's created is 5, not a date and time"),
    (lambda p: (p / "critic.keras").unlink(), "critic.keras is missing"),
    (lambda p: (p / "history.npz").write_bytes(b"PK\x03\x04 nonsense"), "history.npz is truncated"),
    (lambda p: (p / "optimizers.npz").write_bytes(b""), "optimizers.npz is truncated"),
])
def test_damaged_checkpoints_raise_checkpoint_errors(save, root, damage, expected):
    save("broken")
    damage(root / "broken")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint("broken", root)
    assert expected in str(err.value)
    assert "'broken'" in str(err.value) and "Delete it or save it again" in str(err.value)
    assert len(list_checkpoints(root)[1]) == 1


def test_a_generator_that_does_not_fit_its_configuration_is_refused_on_load(save, root):
    save("misfit")
    edit_json(root / "misfit" / "config.json", lambda d: d.update(latent_dim=32))
    read_info("misfit", root)                     # metadata alone cannot tell
    with pytest.raises(CheckpointError, match=r"the generator maps \(None, 64\) to "
                                              r"\(None, 28, 28, 1\), but it must map \(None, 32\)"):
        load_checkpoint("misfit", root)


def test_damaged_history_columns_are_refused(save, root):
    save("hist", history={"step": np.arange(3), "d_loss": np.arange(4)})
    with pytest.raises(CheckpointError, match="history.npz does not hold columns"):
        load_checkpoint("hist", root)


def test_missing_checkpoint_says_so(root):
    with pytest.raises(CheckpointError, match="There is no checkpoint 'ghost'"):
        load_checkpoint("ghost", root)


# --- atomic saves --------------------------------------------------------------------------

def test_failed_save_keeps_the_previous_checkpoint_and_no_temp_folder(nets, save, root,
                                                                      monkeypatch):
    save("keep", step=1)
    before = {p.name: p.read_bytes() for p in (root / "keep").iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(writing.np, "savez", full_disk)
    with pytest.raises(CheckpointError) as err:
        save("keep", step=2)
    assert "previous version is intact" in str(err.value)
    assert "No space left on device" in str(err.value)
    with pytest.raises(CheckpointError, match="Nothing was written"):
        save("new", step=2)

    assert entries(root) == ["keep"]
    assert {p.name: p.read_bytes() for p in (root / "keep").iterdir()} == before
    loaded = load_checkpoint("keep", root)
    assert loaded.info.step == 1
    np.testing.assert_array_equal(outputs(loaded.generator), outputs(nets[0]))


def test_failed_swap_puts_the_previous_checkpoint_back(save, root, monkeypatch):
    save("swap", step=1)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:                       # old -> .old-... worked; tmp -> target fails
            raise OSError("rename failed")
        real_rename(src, dst)
    with monkeypatch.context() as patch:
        patch.setattr(writing.os, "rename", rename)
        with pytest.raises(CheckpointError, match="previous version is intact"):
            save("swap", step=2)

    assert calls[0][0] == "swap" and calls[0][1].startswith(".old-swap-")
    assert calls[1][0].startswith(".tmp-swap-") and calls[1][1] == "swap"
    assert entries(root) == ["swap"]
    assert read_info("swap", root).step == 1


def test_a_model_whose_save_raises_leaves_nothing_behind(nets, save, root, monkeypatch):
    def broken_save(*args, **kwargs):
        raise ValueError("cannot serialise")
    monkeypatch.setattr(type(nets[1]), "save", broken_save)
    with pytest.raises(CheckpointError, match="cannot serialise"):
        save("never")
    assert not root.exists() or entries(root) == []


def test_overwrite(save, root):
    save("same", step=1)
    assert save("same", step=2).step == 2
    with pytest.raises(CheckpointError, match="already exists"):
        save("same", step=3, overwrite=False)
    assert read_info("same", root).step == 2
    assert entries(root) == ["same"]


def test_save_refuses_a_generator_of_the_wrong_shape(nets, save, root):
    with pytest.raises(CheckpointError, match="was not saved: the generator maps"):
        save("wrong", config=make_config("gan", "quick", latent_dim=32))
    with pytest.raises(CheckpointError, match="the critic takes"):
        save("wrong", critic=nets[0])
    assert not (root / "wrong").exists()


# --- names, rename, delete -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["gan-quick-7", "a", "WGAN_GP.v2", "x" * 64])
def test_valid_names(name):
    assert valid_name(name) == name


@pytest.mark.parametrize("name", ["", ".hidden", "..", "../x", "a/b", "a\\b", "x" * 65,
                                  "with space", "café", None])
def test_bad_names_are_refused_everywhere(save, root, name):
    with pytest.raises(CheckpointError, match="not a valid checkpoint name"):
        valid_name(name)
    with pytest.raises(CheckpointError, match="not a valid checkpoint name"):
        save(name)
    assert not root.exists() or entries(root) == []


def test_rename(save, root):
    save("old")
    save("other")
    info = rename_checkpoint("old", "new", root)
    assert info.name == "new" and info.path == root / "new"
    assert entries(root) == ["new", "other"]
    assert json.loads((root / "new" / "meta.json").read_text())["name"] == "new"
    assert load_checkpoint("new", root).info.step == 5
    with pytest.raises(CheckpointError, match="already exists"):
        rename_checkpoint("new", "other", root)
    with pytest.raises(CheckpointError, match="not a valid checkpoint name"):
        rename_checkpoint("new", "../escape", root)
    with pytest.raises(CheckpointError, match="There is no checkpoint 'old'"):
        rename_checkpoint("old", "newer", root)
    assert entries(root) == ["new", "other"]


def test_delete(save, root):
    save("gone")
    save("stays")
    delete_checkpoint("gone", root)
    assert entries(root) == ["stays"]
    with pytest.raises(CheckpointError, match="no checkpoint 'gone'"):
        delete_checkpoint("gone", root)

    (root / "broken").mkdir()                     # broken checkpoints can be deleted too
    (root / "broken" / "meta.json").write_text("{")
    delete_checkpoint(root / "broken")
    (root / "stays" / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not deleted: it holds notes.txt"):
        delete_checkpoint("stays", root)
    assert entries(root) == ["stays"]


# --- zip export and import -----------------------------------------------------------------

def test_export_then_import_round_trip(nets, save, root, tmp_path):
    save("shared")
    data = export_zip("shared", root)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(f"shared/{f}"
                                                    for f in checkpoints.CHECKPOINT_FILES)

    info = import_zip(data, root)                  # the name is taken: made unique
    assert info.name == "shared-2"
    assert json.loads((root / "shared-2" / "meta.json").read_text())["name"] == "shared-2"
    loaded = load_checkpoint("shared-2", root)
    np.testing.assert_array_equal(outputs(loaded.generator), outputs(nets[0]))
    assert loaded.info.config == CONFIG and loaded.info.metrics == read_info("shared", root).metrics

    assert import_zip(data, root, name="chosen").name == "chosen"
    assert import_zip(data, tmp_path / "fresh").name == "shared"
    assert entries(root) == ["chosen", "shared", "shared-2"]


def test_import_of_a_flat_zip_takes_the_name_from_meta(save, root, tmp_path):
    save("flat")
    flat = rezip(export_zip("flat", root), rename=lambda n: n.split("/")[-1])
    assert import_zip(flat, tmp_path / "other").name == "flat"


def rezip(data: bytes, *, replace: dict[str, bytes] | None = None,
          add: dict[str, bytes] | None = None, rename=lambda name: name) -> bytes:
    """A copy of a checkpoint zip with some entries' contents replaced or entries added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target, warnings.catch_warnings():
        warnings.simplefilter("ignore")            # duplicate names warn
        for name in source.namelist():
            file = name.split("/")[-1]
            target.writestr(rename(name), (replace or {}).get(file, source.read(name)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def compressed_zeros(size: int) -> bytes:
    """A valid .npz that is small on disk and `size` bytes unpacked: a zip bomb inside."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, step=np.zeros(size // 8))
    return buffer.getvalue()


def with_symlink(data: bytes) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")            # the duplicate name warns
        link = zipfile.ZipInfo("shared/preview.png")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize("make_upload, max_bytes, expected", [
    (lambda d: b"just some text", None, "not a zip file"),
    (lambda d: d, "smaller", "more than the"),
    (lambda d: rezip(d, add={"shared/evil.py": b"import os"}), None, "'shared/evil.py'"),
    (lambda d: rezip(d, add={"../meta.json": b"{}"}), None, "unsafe path '../meta.json'"),
    (lambda d: rezip(d, add={"/abs/meta.json": b"{}"}), None, "unsafe path"),
    (lambda d: rezip(d, rename=lambda n: n.replace("shared/", "shared/../")), None, "unsafe path"),
    (lambda d: rezip(d, add={"shared/meta.json": b"{}"}), None, "meta.json twice"),
    (lambda d: rezip(d, rename=lambda n: n if "keras" in n else "other/" + n.split("/")[1]),
     None, "several folders"),
    (with_symlink, None, "a link"),
    (lambda d: rezip(d, replace={"history.npz": bytes(20 * 2**20)}), "exact", "unpack to"),
    (lambda d: rezip(d, replace={"history.npz": compressed_zeros(20 * 2**20)}), "exact",
     "its model and array files unpack to"),
    (lambda d: rezip(d, replace={"generator.keras": os.urandom(3000)}), None,
     "generator.keras is truncated"),
    (lambda d: rezip(d, replace={"critic.keras": zip_bytes({"metadata.json": b"{}"})}), None,
     "critic.keras is not a complete Keras model file"),
    (lambda d: rezip(d, replace={"config.json": b'{"algorithm": "vae"}'}), None,
     "config.json is not a valid configuration"),
])
def test_import_refuses_bad_uploads(save, root, tmp_path, make_upload, max_bytes, expected):
    save("shared")
    upload = make_upload(export_zip("shared", root))
    limit = {None: MAX_UPLOAD_BYTES, "smaller": len(upload) - 1, "exact": len(upload)}[max_bytes]
    target = tmp_path / "uploads"
    with pytest.raises(CheckpointError) as err:
        import_zip(upload, target, max_bytes=limit)
    assert expected in str(err.value)
    assert not target.exists() or entries(target) == []      # nothing left, not even temp


def test_import_refuses_an_unsafe_keras_file(save, root, tmp_path):
    """A Lambda layer would run code on load: safe mode refuses it, and so do we."""
    risky = keras.Sequential([keras.Input((64,)), layers.Dense(49),
                              layers.Lambda(lambda x: x * 2), layers.Reshape((7, 7, 1)),
                              layers.UpSampling2D(4)])
    save("risky", generator=risky)
    with pytest.raises(CheckpointError, match="generator.keras cannot be loaded in safe mode"):
        import_zip(export_zip("risky", root), tmp_path / "uploads")
    assert entries(tmp_path / "uploads") == []


def test_the_upload_limit_is_the_one_streamlit_enforces():
    """Streamlit's maxUploadSize (config.toml cannot import Python) must match the constant."""
    config = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    with open(config, "rb") as f:
        max_upload_mb = tomllib.load(f)["server"]["maxUploadSize"]
    assert max_upload_mb * 2**20 == MAX_UPLOAD_BYTES


def test_import_refuses_more_than_the_upload_limit_by_default(save, root, tmp_path):
    with pytest.raises(CheckpointError, match="more than the 50 MB a checkpoint may have"):
        import_zip(bytes(MAX_UPLOAD_BYTES + 1), tmp_path / "uploads")


# --- resuming ------------------------------------------------------------------------------

def test_resume_budgets_count_from_where_the_checkpoint_stopped(save, root):
    info = save("resumable", step=5, elapsed_s=30.0)        # set to CONFIG.steps (3,600)
    assert resume_budget(info, more_steps=10) == (CONFIG.replace(steps=15), None)
    # Seconds alone: no step budget, and the time limit counts the time already trained.
    assert resume_budget(info, more_seconds=60.0) == (CONFIG.replace(steps=None), 90.0)
    assert resume_budget(info, 10, 60.0) == (CONFIG.replace(steps=15), 90.0)
    # Neither: the saved budget goes on, until it is used up.
    assert resume_budget(info) == (CONFIG, None)
    done = save("done", config=CONFIG.replace(steps=5), step=5)
    with pytest.raises(ConfigError, match="already trained the 5 steps it was set to"):
        resume_budget(done)
    unbounded = save("unbounded", config=CONFIG.replace(steps=None), step=5)
    with pytest.raises(ConfigError, match="Say how much more to train"):
        resume_budget(unbounded)


@pytest.mark.parametrize("more", [dict(more_steps=0), dict(more_steps=-3),
                                  dict(more_steps=True), dict(more_seconds=0.0),
                                  dict(more_seconds=float("nan"))])
def test_resume_budgets_must_be_positive(save, root, more):
    with pytest.raises(ConfigError, match="must be"):
        resume_budget(save("resumable", step=5), **more)


# --- hardening: hostile uploads, quota, leftovers (issue 13) -------------------------------

def png_with_size(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims width x height: what a decompression bomb sends."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)        # 8-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1))) + chunk(b"IEND", b""))


def valid_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(PREVIEW).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("preview, expected", [
    (b"<html><body>not a picture</body></html>", "preview.png is not a PNG picture"),
    (png_with_size(5000, 3000), "preview.png is 5000x3000 pixels, more than the 2048x2048"),
    (png_with_size(40_000, 40_000), "preview.png is far more than the 2048x2048 pixels"),
    (b"GIF89a" + bytes(100), "preview.png is not a PNG picture"),
], ids=["html", "5000x3000", "40000x40000", "gif"])
def test_an_upload_whose_preview_is_not_a_sane_png_is_refused(save, root, tmp_path, preview,
                                                              expected):
    save("shared")
    upload = rezip(export_zip("shared", root), replace={"preview.png": preview})
    target = tmp_path / "uploads"
    with pytest.raises(CheckpointError, match=expected):
        import_zip(upload, target)
    assert not target.exists() or entries(target) == []


def uncompressed_zeros(size: int) -> bytes:
    """A valid .npz of `size` bytes of zeros, stored: the upload's deflate shrinks it."""
    buffer = io.BytesIO()
    np.savez(buffer, step=np.zeros(size // 8))
    return buffer.getvalue()


@pytest.mark.parametrize("file, content, expected", [
    ("optimizers.npz", uncompressed_zeros(30 * 2**20), "would unpack to 30"),
    ("preview.png", valid_png() + bytes(30 * 2**20), "its preview.png is 30 MB, more than"),
], ids=["optimizers-zeros", "preview-plus-zeros"])
def test_an_upload_that_unpacks_to_many_times_its_size_is_refused_before_writing(
        save, root, tmp_path, monkeypatch, file, content, expected):
    """The issue's disk amplification: a zip of under 1 MB that would write 30 MB."""
    save("shared")
    upload = rezip(export_zip("shared", root), replace={file: content})
    assert len(upload) < 2**20

    def no_scratch(*args, **kwargs):
        raise AssertionError("a scratch folder was made: the upload was unpacked")
    monkeypatch.setattr(transfer, "scratch_folder", no_scratch)
    with pytest.raises(CheckpointError, match=expected):
        import_zip(upload, tmp_path / "uploads")


def test_a_preview_with_trailing_bytes_is_stored_as_its_pixels_only(save, root, tmp_path):
    save("shared")
    upload = rezip(export_zip("shared", root),
                   replace={"preview.png": valid_png() + b"<script>" * 1000})
    info = import_zip(upload, tmp_path / "uploads")
    stored = info.preview_png.read_bytes()
    assert b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as picture:
        np.testing.assert_array_equal(np.asarray(picture), PREVIEW)


def test_small_files_that_are_large_are_refused_from_the_zip_directory(save, root, tmp_path):
    """A valid config.json padded with 2 MB of spaces: JSON files are a few KB."""
    save("shared")
    padded = json.dumps(CONFIG.to_dict()).encode() + b" " * (2 * 2**20)
    with pytest.raises(CheckpointError, match="its config.json is 2 MB, more than the 256 KB"):
        import_zip(rezip(export_zip("shared", root), replace={"config.json": padded}),
                   tmp_path / "uploads")
    assert not (tmp_path / "uploads").exists()


def test_an_entry_is_copied_no_further_than_its_declared_size(tmp_path):
    with pytest.raises(_Damaged, match="more bytes than its zip entry declares"):
        transfer._copy_capped(io.BytesIO(bytes(3 * 2**20)), io.BytesIO(), 2**20, "x.npz")


def test_a_broken_preview_already_on_disk_is_a_listed_problem_not_a_crash(save, root):
    save("good")
    save("html")
    (root / "html" / "preview.png").write_bytes(b"<html>hello</html>")
    save("huge")
    (root / "huge" / "preview.png").write_bytes(png_with_size(30_000, 30_000))
    infos, problems = list_checkpoints(root)
    assert [info.name for info in infos] == ["good"]
    assert len(problems) == 2 and all("preview.png" in p.reason for p in problems)
    assert "Delete it or save it again" in problems[0].reason


def test_the_checkpoint_folder_has_a_quota(save, root, tmp_path, monkeypatch):
    save("shared")
    upload = export_zip("shared", root)
    size = sum(f.stat().st_size for f in (root / "shared").iterdir())
    monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", str(3.5 * size / 2**20))
    settings.reset()
    target = tmp_path / "uploads"
    accepted = 0
    for _ in range(8):
        try:
            import_zip(upload, target)
            accepted += 1
        except CheckpointError as exc:
            assert "quota" in str(exc) and "Delete" in str(exc)
    assert accepted == 3
    used = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    assert used <= 3.5 * size
    assert [p.name for p in target.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(CheckpointError, match="quota"):
        save("one-more", root=target)
    assert not (target / "one-more").exists()
    save("shared-2", root=target)                   # replacing a model frees its own space


def test_a_bad_quota_setting_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("GAN_CLASSROOM_CHECKPOINT_QUOTA_MB", "lots")
    with pytest.raises(SettingError, match="GAN_CLASSROOM_CHECKPOINT_QUOTA_MB"):
        checkpoints.checkpoint_quota()


def test_leftovers_of_killed_saves_are_swept_but_a_save_in_progress_is_not(save, root):
    """Whatever the dates say: a wall clock that jumps forward must not sweep a save in
    progress (the issue), and a leftover dated in the future must not stay forever."""
    save("kept")
    old, future = time.time() - 3600, time.time() + 10 * 365 * 86400
    for name in (".tmp-kept-1a2b3c", ".old-kept-4d5e6f", ".tmp-import-xyz", ".tmp-busy-777"):
        (root / name).mkdir()
        (root / name / "generator.keras").write_bytes(b"half")
        os.utime(root / name / "generator.keras", (old, old))
        os.utime(root / name, (old, old))
    (root / ".tmp-kept-0000").write_text("{}")      # a scratch file of an older version
    os.utime(root / ".tmp-kept-0000", (future, future))
    (root / ".hidden-by-the-user").mkdir()
    os.utime(root / ".hidden-by-the-user", (old, old))
    with upkeep.in_progress(root / ".tmp-busy-777"):   # a save writing right now, dated
        checkpoints.sweep_leftovers(root)              # an hour ago by a clock that jumped
        assert entries(root) == [".hidden-by-the-user", ".tmp-busy-777", "kept"]
    checkpoints.sweep_leftovers(root)                  # that save was killed: a leftover
    assert entries(root) == [".hidden-by-the-user", "kept"]


def test_a_save_in_progress_survives_the_models_page_listing_the_folder(save, root,
                                                                     monkeypatch):
    """Listing sweeps; a save another tab runs meanwhile goes on (the hold, not the clock)."""
    save("other")
    real_savez = writing.np.savez

    def savez_while_listing(*args, **kwargs):
        real_savez(*args, **kwargs)
        for hidden in root.glob(".tmp-*"):           # the wall clock jumped forward:
            for entry in (hidden, *hidden.iterdir()):  # all that was written looks old
                os.utime(entry, (0, 0))
        list_checkpoints(root)
    monkeypatch.setattr(writing.np, "savez", savez_while_listing)
    assert save("busy").name == "busy"
    assert entries(root) == ["busy", "other"]


def test_listing_sweeps_leftovers(save, root):
    save("kept")
    (root / ".old-kept-1").mkdir()
    os.utime(root / ".old-kept-1", (0, 0))
    list_checkpoints(root)
    assert entries(root) == ["kept"]


def test_a_folder_that_is_no_checkpoint_is_not_advised_to_be_deleted(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0")
    with pytest.raises(CheckpointError) as err:
        read_info(tmp_path / "etc")
    assert "is not a checkpoint folder" in str(err.value)
    assert "Delete" not in str(err.value)


def test_random_bytes_as_history_do_not_quote_numpy(save, root):
    save("noisy")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("step.npy", os.urandom(5000))
    (root / "noisy" / "history.npz").write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError) as err:
        load_checkpoint("noisy", root)
    assert "allow_pickle" not in str(err.value) and "history.npz" in str(err.value)


def test_eight_uploads_of_the_amplification_zip_write_nothing(save, root, tmp_path):
    """The issue's zip: a valid preview.png plus 150 MB of zeros, 3 MB sent; 8 uploads
    wrote 1.2 GB in 4 s."""
    save("shared")
    upload = rezip(export_zip("shared", root),
                   replace={"preview.png": valid_png() + bytes(150 * 2**20)})
    target = tmp_path / "uploads"
    for _ in range(8):
        with pytest.raises(CheckpointError, match="its preview.png is 150 MB"):
            import_zip(upload, target)
    assert not target.exists() or sum(f.stat().st_size for f in target.rglob("*")) == 0
