"""The command line, called in-process: train, resume, sample, interpolate, list, errors."""

import contextlib
import dataclasses
import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganlib import cli, gans
from ganlib.checkpoints import read_info
from ganlib.cli import main
from ganlib.config import TrainConfig, field_help
from ganlib.latent import latent_vectors
from ganlib.sampling import Sampler

TINY = ["--batch-size", "8", "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny GAN trained for 3 steps by the command line: (root, what it printed).

    Its sample grids go to the folder <root>-grids beside the root."""
    root = tmp_path_factory.mktemp("checkpoints")
    grids = root.with_name(root.name + "-grids")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["train", *TINY, "--steps", "3", "--digits", "0,1", "--seed", "3",
                     "--no-split-d-update", "--samples-every", "60",
                     "--samples-dir", str(grids),
                     "--root", str(root), "--out", "tiny"])
    assert code == 0
    return root, out.getvalue()


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_saves_a_checkpoint_with_the_options_given(trained, capsys):
    root, printed = trained
    assert printed.startswith("Saved tiny (") and "3 steps" in printed
    info = read_info("tiny", root)
    assert info.step == 3
    c = info.config
    assert (c.algorithm, c.preset, c.batch_size, c.digits, c.seed, c.split_d_update,
            c.steps) == ("gan", "quick", 8, (0, 1), 3, False, 3)
    # The last fixed-noise grid is saved at the end: 64 samples, 8 x 8, scale 2, pad 2.
    grid = Image.open(root.with_name(root.name + "-grids") / "step-000003.png")
    assert grid.size == (8 * 56 + 7 * 2,) * 2

    code, out, _ = run(capsys, "list", "--root", root)
    assert code == 0
    header, row = out.splitlines()[:2]
    assert header.split()[:5] == ["NAME", "ALGORITHM", "PRESET", "DATA", "STEPS"]
    assert row.split()[:5] == ["tiny", "gan", "quick", "mnist-10k", "(0,1)"]
    assert row.split()[5] == "3"


def test_every_hyperparameter_has_an_option_with_the_settings_help(capsys):
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for field in dataclasses.fields(TrainConfig):
        assert f"--{field.name.replace('_', '-')} " in text
        assert field_help(field.name) in " ".join(text.split())      # argparse wraps lines
    assert "--no-split-d-update" in text


def test_resume_continues_from_the_saved_step(trained, capsys):
    root, _ = trained
    code, out, _ = run(capsys, "train", "--resume", "tiny", "--steps", 2, "--samples-every", 0,
                       "--quiet", "--root", root, "--out", "tiny-more")
    assert code == 0 and "5 steps" in out
    info = read_info("tiny-more", root)
    assert (info.step, info.config.steps, info.config.digits) == (5, 5, (0, 1))
    assert read_info("tiny", root).step == 3          # the original is kept under --out


def test_sample_writes_the_seeds_images_as_npy_and_png(trained, tmp_path, capsys):
    root, _ = trained
    code, out, _ = run(capsys, "sample", "tiny", "--count", 5, "--seed", 4,
                       "--out", tmp_path / "five.npy", "--root", root)
    assert code == 0 and "Wrote 5 images" in out
    images = np.load(tmp_path / "five.npy")
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert -1.0 <= images.min() and images.max() <= 1.0
    # Image i is the generator's image of latent_vectors(seed, N, latent_dim)[i].
    sampler = Sampler.from_checkpoint("tiny", root)
    expected = sampler.generate(latent_vectors(4, 5, sampler.latent_dim))
    np.testing.assert_allclose(images, expected, atol=1e-5)
    assert not np.allclose(images[0], images[1])

    code, _, _ = run(capsys, "sample", "tiny", "--count", 4, "--scale", 1,
                     "--out", tmp_path / "grid.png", "--root", root)
    assert code == 0
    assert Image.open(tmp_path / "grid.png").size == (2 * 28 + 2, 2 * 28 + 2)


def test_interpolate_writes_a_boomerang_gif_and_a_strip(trained, tmp_path, capsys):
    root, _ = trained
    code, out, _ = run(capsys, "interpolate", "tiny", "--seeds", "1,2,3", "--steps", 4,
                       "--out", tmp_path / "walk.gif", "--root", root)
    assert code == 0
    # 2 segments of 4 images sharing the joint: 7 frames, then 5 back (ends not repeated).
    gif = Image.open(tmp_path / "walk.gif")
    assert gif.n_frames == 12 and gif.size == (56, 56)
    assert "animation of 7 images" in out

    code, _, _ = run(capsys, "interpolate", "tiny", "--seeds", "1,2,3", "--steps", 4,
                     "--method", "linear", "--scale", 1, "--out", tmp_path / "walk.png",
                     "--root", root)
    assert code == 0
    # One row per pair of seeds, 4 images each.
    assert Image.open(tmp_path / "walk.png").size == (4 * 28 + 3 * 2, 2 * 28 + 2)


def test_list_reports_folders_that_are_not_checkpoints(tmp_path, capsys):
    (tmp_path / "junk").mkdir()
    code, out, _ = run(capsys, "list", "--root", tmp_path)
    assert code == 0
    assert out.splitlines()[0].startswith("No checkpoints in")
    assert out.splitlines()[1].startswith("problem: Checkpoint 'junk'")


@pytest.mark.parametrize("argv, code, message", [
    (["train", "--preset", "nope"], 2, "Unknown preset 'nope' for gan"),
    (["train", "--d-lr", "5"], 2, "d_lr must be a number"),
    (["train", "--d-lr", "fast"], 2, "see python -m ganlib train --help"),
    (["train", "--algorithm", "vae"], 2, "invalid choice: 'vae'"),
    (["train", "--steps", "0"], 2, "--steps: must be a whole number of at least 1"),
    (["train", "--dataset", "nowhere.npz"], 1, "File or folder not found"),
    (["train", "--resume", "tiny", "--d-lr", "0.001"], 2, "--d-lr cannot change them"),
    (["train", "--resume", "tiny"], 2, "already trained the 3 steps it was set to"),
    (["train", "--out", "tiny"], 1, "A checkpoint named 'tiny' already exists"),
    (["train", "--out", "../escape"], 1, "is not a valid checkpoint name"),
    (["sample", "missing", "--out", "x.npy"], 1, "missing"),
    (["sample", "tiny", "--out", "x.jpg"], 2, "must end in .npy or .png"),
    (["sample", "tiny", "--count", "10**9", "--out", "x.npy"], 2, "--count: must be a whole"),
    (["interpolate", "tiny", "--seeds", "1", "--out", "x.gif"], 2, "at least 2 seeds"),
    (["interpolate", "tiny", "--seeds", "1,-2", "--out", "x.gif"], 2, "'-2' is not a seed"),
    (["interpolate", "tiny", "--out", "x.npy"], 2, "must end in .gif or .png"),
    (["train", "--out", ""], 2, "--out is empty"),
    (["sample", "/etc", "--out", "x.npy"], 1, "/etc is not a checkpoint folder"),
])
def test_user_mistakes_print_one_line_and_exit(trained, tmp_path, capsys, argv, code,
                                               message):
    root, _ = trained
    argv = [tmp_path / a if a.startswith("x.") else a for a in argv]
    got, out, err = run(capsys, *argv, "--root", root)
    assert got == code
    assert err.startswith("ganlib: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err and out == ""
    assert not any(tmp_path.iterdir())               # nothing half-written


def test_ctrl_c_stops_saves_and_exits_130(tmp_path, capsys, monkeypatch):
    real_show = cli._Progress.show
    interrupted = []

    def show(self, snap):
        # Ctrl-C arrives in the progress loop once the run has made a step.
        if not interrupted and snap.step >= 1:
            interrupted.append(snap.step)
            raise KeyboardInterrupt
        real_show(self, snap)

    monkeypatch.setattr(cli._Progress, "show", show)
    code, out, err = run(capsys, "train", *TINY, "--max-seconds", 120, "--samples-every", 0,
                         "--root", tmp_path, "--out", "stopped")
    assert code == 130 and interrupted
    assert out.startswith("Interrupted at step ") and "saved as stopped" in out
    # The step under way when Ctrl-C came is finished, then saved: the line says which.
    step = int(out.split()[3].rstrip(":"))
    info = read_info("stopped", tmp_path)
    assert info.step == step >= interrupted[0] and info.config.steps is None
    assert "Traceback" not in err


def test_a_diverged_run_is_not_saved(tmp_path, capsys, monkeypatch):
    real_build = gans.build_gan

    def build_diverging(config):
        model = real_build(config)
        train_iteration = model.train_iteration
        model.train_iteration = lambda data: {**train_iteration(data), "d_loss": float("nan")}
        return model

    monkeypatch.setattr(gans, "build_gan", build_diverging)
    monkeypatch.setattr(gans, "MODEL_POOL", gans.ModelPool())     # no model built earlier
    code, out, err = run(capsys, "train", *TINY, "--steps", 3, "--samples-every", 0,
                         "--root", tmp_path, "--out", "nan")
    assert code == 1 and out == ""
    assert err.startswith("ganlib: error: Diverged at step 1: d_loss became NaN")
    assert err.rstrip().endswith("Nothing was saved: its weights contain NaN.")
    assert not (tmp_path / "nan").exists()


def test_python_m_ganlib_help_runs_without_tensorflow():
    # -X importtime lists every module imported (on stderr): --help must not wait for TF.
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "ganlib", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "train" in result.stdout and "interpolate" in result.stdout
    assert "ganlib.cli" in result.stderr and "tensorflow" not in result.stderr


def test_evaluate_scores_a_checkpoint_against_the_real_baseline(tmp_path, capsys):
    import json

    root = str(tmp_path / "ckpts")
    assert main(["train", "--batch-size", "8", "--steps", "2", "--samples-every", "0",
                 "--out", "judged", "--root", root, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "judged", "--samples", "100", "--root", root]) == 0
    text = capsys.readouterr().out
    assert "Frechet distance" in text and "real vs real" in text and "classes covered" in text
    assert main(["evaluate", "judged", "--samples", "100", "--json", "--root", root]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["step"] == 2 and numbers["fd"] > numbers["fd_baseline"] > 0
    assert main(["evaluate", "missing", "--root", root]) == 1
    assert "Traceback" not in capsys.readouterr().err


# --- hardening (issue 13) ------------------------------------------------------------------

def test_sample_of_a_folder_that_is_no_checkpoint_does_not_advise_deleting_it(tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("buy milk")
    code, _, err = run(capsys, "sample", tmp_path / "notes", "--out", tmp_path / "x.npy")
    assert code == 1 and "is not a checkpoint folder" in err and "Delete" not in err


def test_an_unwritable_root_is_found_before_training(tmp_path, capsys, monkeypatch):
    from ganlib.training import runner

    def no_training(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(runner, "TrainingRun", no_training)
    (tmp_path / "a-file").write_text("not a folder")
    code, out, err = run(capsys, "train", *TINY, "--root", tmp_path / "a-file" / "ck")
    assert code == 1 and out == ""
    assert err.startswith("ganlib: error: Checkpoints cannot be written to ")


def test_a_model_saved_meanwhile_by_another_program_is_not_overwritten(trained, tmp_path,
                                                                      capsys, monkeypatch):
    """`train --out race1` while another process saves race1: both models are kept."""
    import os
    import shutil
    import time

    root = tmp_path / "ck"
    root.mkdir()
    (root / ".tmp-race1-dead").mkdir()              # left by a save killed with kill -9
    os.utime(root / ".tmp-race1-dead", (time.time() - 3600,) * 2)
    real_show = cli._Progress.show

    def show(self, snap):
        if not (root / "race1").exists():           # the other program saves race1 now
            shutil.copytree(trained[0] / "tiny", root / "race1")
        real_show(self, snap)

    monkeypatch.setattr(cli._Progress, "show", show)
    code, out, err = run(capsys, "train", *TINY, "--steps", 2, "--samples-every", 0,
                         "--root", root, "--out", "race1")
    assert code == 0
    assert "another program saved 'race1'" in err and "saved as 'race1-2'" in err
    assert out.startswith("Saved race1-2 (")
    assert read_info("race1", root).step == 3          # the other program's model, intact
    assert read_info("race1-2", root).step == 2
    assert sorted(p.name for p in root.iterdir()) == ["race1", "race1-2"]    # swept too
