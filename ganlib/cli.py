"""The command line: `python -m ganlib train | sample | interpolate | list`.

Everything the app does with a model, from a terminal: train a GAN, WGAN or WGAN-GP (and
continue a saved run), draw samples from a checkpoint, morph one digit into another, and
list what is saved. Each command is a thin layer over the library, so a lesson that starts
in the app can go on in a script.

User mistakes never end in a traceback: a bad option, a bad setting (`ConfigError`), an
unreadable dataset (`DataError`) or a missing checkpoint (`CheckpointError`) prints one line,
`ganlib: error: <what was wrong and what to do>`, and exits with 2 for a bad command line or
setting, 1 for anything else. TensorFlow is imported inside the commands that need it, so
`--help` and `list` answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import signal
import sys
import threading
import time
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ganlib import settings
from ganlib.algorithms import ALGORITHM_INFO, ALGORITHMS
from ganlib.config import (ARCHITECTURES, G_LOSSES, OPTIMIZERS, TrainConfig, field_help,
                           make_config, presets_for)
from ganlib.errors import CheckpointError, ConfigError, GanlibError
from ganlib.latent import METHODS, parse_seeds
from ganlib.units import format_size

PROG = "python -m ganlib"
EXIT_USAGE = 2         # a bad command line or setting, as argparse does
EXIT_FAILED = 1        # a missing file, a broken checkpoint, a diverged run
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C
# Seconds between two redraws of the progress bar; also how soon Ctrl-C is noticed.
POLL_S = 0.2
# The most images `sample` makes at once: 100,000 images are 300 MB of float32.
MAX_COUNT = 100_000
# Where `train` writes its sample grids unless --samples-dir says otherwise.
SAMPLES_FOLDER = Path("runs")

# TrainConfig fields whose `train` options are written by hand (under "what to train" and
# "how long"); every other field gets a `--field-name` option generated from its type.
_OWN_OPTIONS = ("algorithm", "preset", "dataset", "digits", "steps")
_CHOICES: dict[str, tuple[str, ...]] = {
    "architecture": ARCHITECTURES, "optimizer": OPTIMIZERS, "g_loss": G_LOSSES}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 failed, 2 usage, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except _UsageError as exc:
        return _fail(f"{exc} (see {exc.prog} --help)", EXIT_USAGE)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except GanlibError as exc:
        return _fail(str(exc), EXIT_FAILED)
    except OSError as exc:          # an output file that cannot be written, a full disk
        return _fail(f"{exc} (check the path and its permissions)", EXIT_FAILED)
    except SystemExit as exc:       # --help and --version end here
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return _fail("Interrupted.", EXIT_INTERRUPTED)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, with the help texts `--help` shows."""
    from ganlib import __version__

    parser = _Parser(
        prog=PROG, description="Train GANs and WGANs on 28x28 digits, and explore what "
        "they learned. Each command has its own help: python -m ganlib train --help")
    parser.add_argument("--version", action="version", version=f"ganlib {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True,
                                     metavar="COMMAND")
    _add_train(commands)
    _add_sample(commands)
    _add_interpolate(commands)
    _add_list(commands)
    _add_evaluate(commands)
    return parser


# --- train --------------------------------------------------------------------------------

def _add_train(commands) -> None:
    presets = "; ".join(f"{a}: {', '.join(presets_for(a))}" for a in ALGORITHMS)
    train = commands.add_parser(
        "train", help="train a GAN, WGAN or WGAN-GP and save it as a checkpoint",
        description="Train a model and save it as a checkpoint. Settings start from a "
        "preset; every option below overrides one setting of it. Press Ctrl-C to stop "
        "early: the model is still saved.",
        epilog=f"Presets per algorithm (the first is the default): {presets}. Example: "
        f"{PROG} train --algorithm wgan --preset article --steps 500")
    train.set_defaults(handler=_train)
    what = train.add_argument_group("what to train")
    what.add_argument("--algorithm", choices=ALGORITHMS, default=None,
                      help=f"{field_help('algorithm')} [default: {ALGORITHMS[0]}]")
    what.add_argument("--preset", default=None,
                      help=f"{field_help('preset')} The presets are listed below. "
                      f"[default: quick]")
    what.add_argument("--dataset", default=None,
                      help=f"{field_help('dataset')} [default: the preset's, mnist-10k]")
    what.add_argument("--digits", default=None, metavar="D[,D...]",
                      help=f"{field_help('digits')} Give them as 7 or 0,1,7. [default: all]")
    what.add_argument("--resume", metavar="CHECKPOINT", default=None,
                      help="continue a saved run with its own settings (then only --steps, "
                      "--max-seconds and the options under 'output' apply); --steps and "
                      "--max-seconds count from where it stopped")

    how_long = train.add_argument_group("how long")
    how_long.add_argument("--steps", type=_whole(1), default=None, metavar="N",
                          help=f"{field_help('steps')} [default: the preset's]")
    how_long.add_argument("--max-seconds", type=_positive, default=None, metavar="S",
                          help="stop after S seconds of training; without --steps the run "
                          "has no step budget and trains until the time is up")

    hyper = train.add_argument_group(
        "hyperparameters", "Each defaults to the preset's value; give one to override it.")
    hints = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        if field.name not in _OWN_OPTIONS:
            _add_field_option(hyper, field.name, hints[field.name])

    output = train.add_argument_group("output")
    output.add_argument("--out", metavar="NAME", default=None,
                        help="checkpoint name [default: <algorithm>-<preset>-<date>-<time>, "
                        "or with --resume the resumed checkpoint's name, which is replaced]")
    _add_root(output)
    output.add_argument("--samples-every", type=_non_negative, default=10.0, metavar="S",
                        help="every S seconds, save the grid of 64 samples drawn from the "
                        "same fixed noise (and once more at the end) as "
                        "<samples-dir>/step-000123.png, to watch the digits take shape; "
                        "0 saves none [default: %(default)g]")
    output.add_argument("--samples-dir", metavar="DIR", default=None,
                        help="folder of those sample grids [default: runs/<NAME> in the "
                        "current folder]")
    output.add_argument("--quiet", action="store_true",
                        help="no progress bar: print only the final line, notes and errors")


def _add_field_option(group, name: str, hint: Any) -> None:
    """One `--field-name` option for a TrainConfig field, typed from its annotation."""
    flag = "--" + name.replace("_", "-")
    if hint is bool:
        group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                           help=field_help(name))
        return
    kind = next(t for t in typing.get_args(hint) if t is not type(None)) \
        if isinstance(hint, types.UnionType) else hint      # int | None -> int
    group.add_argument(flag, type=kind, choices=_CHOICES.get(name), default=None,
                       metavar=None if name in _CHOICES else kind.__name__.upper(),
                       help=field_help(name))


def _train(args: argparse.Namespace) -> int:
    from ganlib.training.runner import TrainingRun       # TensorFlow comes with the run

    if args.resume:
        config, resume, max_seconds, resumed = _resumed(args)
    else:
        config, resume, max_seconds, resumed = _new_config(args), None, args.max_seconds, None
    root, name, seen = _destination(args, config, resumed)
    samples_dir = None if args.samples_every == 0 else (
        Path(args.samples_dir) if args.samples_dir else SAMPLES_FOLDER / name)
    run = TrainingRun(config, max_seconds=max_seconds, resume=resume,
                      sample_every_s=args.samples_every or math.inf)
    if run.dataset.notice:      # e.g. offline: trains on the bundled digits instead
        print(f"ganlib: note: {run.dataset.notice}", file=sys.stderr)
    progress = _Progress(run, max_seconds, samples_dir, quiet=args.quiet)
    interrupted = False
    try:
        run.start()
        # Sleep, not run.wait(): a Ctrl-C that interrupts Thread.join marks the thread as
        # ended while it still runs (CPython 3.11), and then stop() could not wait for it.
        with _stops_as_ctrl_c():
            while (snap := run.snapshot(watch=False)).active:
                progress.show(snap)
                time.sleep(POLL_S)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        run.stop(timeout=None)      # at once if it has ended; never leave it training
    return _conclude(run, progress, name, root, seen, interrupted)


@contextlib.contextmanager
def _stops_as_ctrl_c():
    """Within the block, SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl-C does.

    Their default ends the process at once, so `kill`, a closed terminal or a stopped job
    scheduler would lose the whole training; this way the run is saved first. Signal
    handlers can only be set in the main thread: elsewhere (an embedding program) the block
    runs with the handlers as they are.
    """
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _destination(args: argparse.Namespace, config: TrainConfig,
                 resumed: Path | None) -> tuple[Path, str, tuple | None]:
    """(checkpoints folder, name, its _stamp) to save the run as, checked before any
    training: the folder must be writable, the name valid and free.

    A resumed run without --out replaces the checkpoint it continues; any other existing
    checkpoint is refused now rather than after an hour of training. The folder's leftovers
    of killed saves are swept here, when the command line first uses it.
    """
    from ganlib.checkpoints import sweep_leftovers, valid_name, writable_root

    if args.out is not None and not args.out.strip():
        raise ConfigError("--out is empty: give the name to save the model as (e.g. "
                          "--out my-gan), or leave the option out for a dated name.")
    if resumed is not None and args.out is None:
        root, name = writable_root(resumed.parent), resumed.name
    else:
        root = writable_root(args.root)
        name = valid_name(args.out or f"{config.algorithm}-{config.preset}-"
                                      f"{time.strftime('%Y%m%d-%H%M%S')}")
        if (root / name).exists():
            raise CheckpointError(f"A checkpoint named '{name}' already exists in {root}. "
                                  f"Choose another --out, continue it with --resume {name}, "
                                  f"or delete that folder first.")
    sweep_leftovers(root)
    return root, name, _stamp(root / name)


def _stamp(folder: Path) -> tuple | None:
    """What identifies the checkpoint in `folder` now, None if there is none. Every save
    swaps in a new folder with a new meta.json, so a save by another program meanwhile
    changes this."""
    for path in (folder / "meta.json", folder):
        try:
            status = path.stat()
        except FileNotFoundError:
            continue
        return status.st_ino, status.st_mtime_ns, status.st_size
    return None


def _new_config(args: argparse.Namespace) -> TrainConfig:
    """The preset's settings with every option that was given applied."""
    algorithm = args.algorithm or ALGORITHMS[0]
    preset = args.preset or presets_for(algorithm)[0]
    config = make_config(algorithm, preset, dataset=args.dataset, digits=args.digits,
                         steps=args.steps, **_field_overrides(args))
    if args.max_seconds is not None and args.steps is None:
        config = config.replace(steps=None)    # the time limit alone ends the run
    return config


def _resumed(args: argparse.Namespace):
    """(config, ResumeState, max_seconds, folder) to continue the checkpoint of --resume."""
    from ganlib.checkpoints import load_checkpoint
    from ganlib.training.resume import resume_budget
    from ganlib.training.runner import ResumeState

    given = [f"--{name.replace('_', '-')}" for name in _field_overrides(args)]
    given += [flag for flag, value in (("--algorithm", args.algorithm),
                                       ("--preset", args.preset), ("--dataset", args.dataset),
                                       ("--digits", args.digits)) if value]
    if given:
        raise ConfigError(f"--resume continues a run with its saved settings, so "
                          f"{', '.join(given)} cannot change them. Drop those options, or "
                          f"train a new run with them.")
    checkpoint = load_checkpoint(args.resume, args.root, with_critic=True)
    config, max_seconds = resume_budget(checkpoint.info, args.steps, args.max_seconds)
    return config, ResumeState.from_checkpoint(checkpoint), max_seconds, checkpoint.info.path


def _field_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The generated hyperparameter options that were given on the command line."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
            if f.name not in _OWN_OPTIONS and getattr(args, f.name) is not None}


class _Progress:
    """The tqdm bar (steps, or seconds for a run without a step budget) and the sample
    grids written while a run trains."""

    def __init__(self, run, max_seconds: float | None, samples_dir: Path | None, quiet: bool):
        from tqdm import tqdm

        self.config = run.config
        self.samples_dir = samples_dir
        self.written_step: int | None = None
        start = run.snapshot(watch=False)
        self.by_steps = run.config.steps is not None
        # tqdm's own rate would count model building and saving; the postfix shows the
        # run's training speed instead.
        if self.by_steps:
            self.bar = tqdm(total=run.config.steps, initial=start.step, disable=quiet,
                            dynamic_ncols=True, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} "
                            "steps [{elapsed}<{remaining}{postfix}]")
        else:
            self.bar = tqdm(total=max_seconds, initial=start.elapsed_s, disable=quiet,
                            dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s{postfix}")

    def show(self, snap) -> None:
        """Move the bar to the snapshot, and save its sample grid if it is new."""
        # The last step may end a little past the time limit: the bar stops at its end.
        done = snap.step if self.by_steps else min(snap.elapsed_s, self.bar.total)
        self.bar.update(done - self.bar.n)
        postfix = {} if self.by_steps else {"step": snap.step}
        # The two losses and the curve the article reads (the Wasserstein estimate for WGANs).
        signal = ALGORITHM_INFO[self.config.algorithm].loss_signal
        names = dict.fromkeys(("d_loss", "g_loss", signal))
        postfix.update({n: f"{v:.3f}" for n in names if (v := snap.last(n)) is not None})
        postfix["steps/s"] = f"{snap.steps_per_s:.1f}"
        self.bar.set_postfix(postfix, refresh=True)
        if (self.samples_dir is not None and snap.samples is not None
                and snap.samples_step != self.written_step):
            from ganlib.images import image_grid, save_picture

            save_picture(self.samples_dir / f"step-{snap.samples_step:06d}.png",
                         image_grid(snap.samples, scale=2))
            self.written_step = snap.samples_step

    def close(self, snap) -> None:
        """Show the run's final state (and save its last grid), then end the bar."""
        try:
            self.show(snap)
        finally:
            self.bar.close()


def _conclude(run, progress: _Progress, name: str, root: Path, seen: tuple | None,
              interrupted: bool) -> int:
    """Save a run that ended well and say where; explain one that did not.

    The run replaces only what was in `root / name` when it started (`seen`: the checkpoint
    a resumed run continues): if another program saved there meanwhile, its model is kept
    and this run is saved under a new name.
    """
    from ganlib.checkpoints import unique_name
    from ganlib.training.core import RunStatus

    snap = run.snapshot(watch=False)
    progress.close(snap)
    if snap.status.went_wrong:
        unsaved = (" Nothing was saved: its weights contain NaN."
                   if snap.status == RunStatus.DIVERGED
                   else " Nothing was saved.")
        return _fail(f"{snap.message}{unsaved}", EXIT_FAILED)
    if _stamp(root / name) != seen:
        taken, name = name, unique_name(root, name)
        print(f"ganlib: note: another program saved '{taken}' in {root} while this run "
              f"trained; this run is saved as '{name}' so that neither is lost.",
              file=sys.stderr)
    info = run.save(name, root, overwrite=seen is not None)
    where = f"{info.name} ({info.path})"
    if interrupted:
        print(f"Interrupted at step {snap.step}: saved as {where}")
        return EXIT_INTERRUPTED
    print(f"Saved {where}: {snap.step} steps in {snap.elapsed_s:.1f} s of training.")
    return 0


# --- sample and interpolate -------------------------------------------------------------

def _add_sample(commands) -> None:
    sample = commands.add_parser(
        "sample", help="generate images from a checkpoint (.npy array or .png grid)",
        description="Generate images from a saved model. Image i comes from the i-th latent "
        "vector of --seed, so the same seed gives the same digits in every checkpoint of the "
        "same latent size: a fair way to compare two checkpoints.")
    sample.set_defaults(handler=_sample)
    _add_checkpoint(sample)
    sample.add_argument("--count", type=_whole(1, MAX_COUNT), default=64, metavar="N",
                        help="how many images [default: %(default)s]")
    _add_seed(sample)
    sample.add_argument("--out", required=True, metavar="FILE",
                        help="FILE.npy: the images as float32 in [-1, 1], shape "
                        "(N, 28, 28, 1); FILE.png: a grid picture of them")
    _add_picture_options(sample)
    _add_root(sample)


def _sample(args: argparse.Namespace) -> int:
    from ganlib.images import image_grid, save_picture
    from ganlib.latent import latent_vectors

    out = _output_path(args.out, (".npy", ".png"))
    sampler = _load_sampler(args.checkpoint, args.root)
    z = latent_vectors(args.seed, args.count, sampler.latent_dim)       # (N, latent_dim)
    images = sampler.generate(z)                                         # (N, 28, 28, 1)
    if out.suffix.lower() == ".npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, images.astype(np.float32))
    else:
        save_picture(out, image_grid(images, scale=args.scale))
    print(f"Wrote {args.count} images to {out} ({sampler.source}, step {sampler.step}, "
          f"seed {args.seed}).")
    return 0


def _add_interpolate(commands) -> None:
    interpolate = commands.add_parser(
        "interpolate", help="morph between the digits of two or more seeds (.gif or .png)",
        description="Walk through the latent space from the vector of one seed to the next "
        "and draw the generator's image at each point. Smooth morphs mean the generator "
        "learned a continuous space, not a lookup table of training digits.")
    interpolate.set_defaults(handler=_interpolate)
    _add_checkpoint(interpolate)
    interpolate.add_argument("--seeds", type=_seeds, default=[1, 2], metavar="S1,S2[,...]",
                             help="the seeds to pass through, in order; each seed's latent "
                             "vector is the first one `sample --seed S` uses [default: 1,2]")
    interpolate.add_argument("--steps", type=_whole(2), default=16, metavar="N",
                             help="images from one seed to the next, both ends included "
                             "[default: %(default)s]")
    interpolate.add_argument("--method", choices=METHODS, default="spherical",
                             help="spherical follows the great circle, where the generator's "
                             "training noise lies; linear takes the straight line "
                             "[default: %(default)s]")
    interpolate.add_argument("--out", required=True, metavar="FILE",
                             help="FILE.gif: an animation that plays forward and back; "
                             "FILE.png: one row per pair of seeds")
    interpolate.add_argument("--fps", type=_positive, default=10.0,
                             help="frames per second of the .gif [default: %(default)g]")
    _add_picture_options(interpolate)
    _add_root(interpolate)


def _interpolate(args: argparse.Namespace) -> int:
    from ganlib.images import image_grid, save_picture
    from ganlib.latent import interpolation_path, latent_vectors

    out = _output_path(args.out, (".gif", ".png"))
    sampler = _load_sampler(args.checkpoint, args.root)
    ends = np.stack([latent_vectors(s, 1, sampler.latent_dim)[0] for s in args.seeds])
    path = interpolation_path(ends, args.steps, args.method)  # (segments*(steps-1)+1, d)
    images = sampler.generate(path)                            # (len(path), 28, 28, 1)
    if out.suffix.lower() == ".gif":
        frames = [image_grid(image[None], scale=args.scale) for image in images]
        save_picture(out, frames, fps=args.fps, boomerang=True)
        what = f"an animation of {len(frames)} images, forward and back,"
    else:
        # Row j runs from seed j to seed j + 1: the joint images appear at the end of one
        # row and the start of the next.
        rows = [images[j * (args.steps - 1): j * (args.steps - 1) + args.steps]
                for j in range(len(args.seeds) - 1)]
        save_picture(out, image_grid(np.concatenate(rows), cols=args.steps, scale=args.scale))
        what = f"{len(rows)} row(s) of {args.steps} images"
    print(f"Wrote {what} through seeds {','.join(map(str, args.seeds))} to {out} "
          f"({sampler.source}, step {sampler.step}, {args.method}).")
    return 0


def _add_checkpoint(command) -> None:
    command.add_argument("checkpoint", metavar="CHECKPOINT",
                         help="a checkpoint name (see the list command) or folder")


def _add_seed(command) -> None:
    command.add_argument("--seed", type=_whole(0), default=0,
                         help="seed of the latent vectors [default: %(default)s]")


def _add_root(command) -> None:
    command.add_argument("--root", metavar="DIR", default=None,
                         help=f"checkpoints folder [default: checkpoints/, or "
                         f"${settings.name_of('checkpoints')} when set]")


def _add_picture_options(command) -> None:
    command.add_argument("--scale", type=_whole(1), default=2, metavar="N",
                         help="enlarge every pixel N times in .png and .gif pictures "
                         "[default: %(default)s]")


def _output_path(text: str, suffixes: tuple[str, ...]) -> Path:
    """The output file, refused before any work if its suffix is not one we write."""
    path = Path(text).expanduser()
    if path.suffix.lower() not in suffixes:
        raise ConfigError(f"Cannot write {path.name!r}: the file name must end in "
                          f"{' or '.join(suffixes)}.")
    return path


def _load_sampler(checkpoint: str, root: str | None):
    from ganlib.sampling import Sampler    # loads TensorFlow

    return Sampler.from_checkpoint(checkpoint, root)


# --- list -------------------------------------------------------------------------------

def _add_list(commands) -> None:
    listing = commands.add_parser(
        "list", help="show the saved checkpoints",
        description="Show the saved checkpoints, newest first, and any folder in the "
        "checkpoints folder that could not be read.")
    listing.set_defaults(handler=_list)
    _add_root(listing)


def _list(args: argparse.Namespace) -> int:
    from ganlib.checkpoints import checkpoint_root, list_checkpoints

    root = checkpoint_root(args.root)
    infos, problems = list_checkpoints(root)
    if not infos:
        print(f"No checkpoints in {root}. Train one with: {PROG} train")
    else:
        header = ("NAME", "ALGORITHM", "PRESET", "DATA", "STEPS", "CREATED", "SIZE")
        rows = [(i.name, i.config.algorithm, i.config.preset, _data_label(i.config),
                 f"{i.step:,}", i.created.astimezone().strftime("%Y-%m-%d %H:%M"),
                 format_size(i.size_bytes))
                for i in infos]
        widths = [max(len(row[c]) for row in (header, *rows)) for c in range(len(header))]
        for row in (header, *rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for problem in problems:
        print(f"problem: {problem}")
    return 0


# --- evaluate ---------------------------------------------------------------------------

def _add_evaluate(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="judge a checkpoint's samples with the shipped classifier",
        description="Generate samples from a saved model and judge them with the classifier "
        "shipped for its dataset: Frechet distance in the classifier's feature space (beside "
        "the real-vs-real baseline a perfect generator would score), classes covered and the "
        "class mix (mode collapse), confident share and an inception-style score. See "
        "docs/metrics.md for what each number means.")
    evaluate.set_defaults(handler=_evaluate)
    _add_checkpoint(evaluate)
    evaluate.add_argument("--samples", type=_whole(50, 10_000), default=1000, metavar="N",
                          help="how many samples to judge [default: %(default)s]")
    _add_seed(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the numbers as JSON")
    _add_root(evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from ganlib.data import load_dataset
    from ganlib.latent import latent_vectors
    from ganlib.metrics import evaluator_for

    sampler = _load_sampler(args.checkpoint, args.root)
    config = sampler.config
    dataset = load_dataset(config.dataset, config.digits)
    evaluator = evaluator_for(dataset, n_samples=args.samples)
    if evaluator is None:
        raise GanlibError(f"No classifier ships for the dataset {dataset.name!r}, so its "
                          "samples cannot be scored; metrics exist for MNIST and Fashion-MNIST.")
    images = sampler.generate(latent_vectors(args.seed, args.samples, sampler.latent_dim))
    report = evaluator.report(images)
    if args.json:
        print(json.dumps({"checkpoint": sampler.source, "step": sampler.step,
                          **report.as_dict()}, indent=1))
        return 0
    classes = dataset.class_names or tuple(map(str, range(10)))
    print(f"{sampler.source} (step {sampler.step:,}), {evaluator.n_samples} samples, judged "
          f"against {dataset.name}:")
    print(f"  Frechet distance     {report.frechet_distance:10.2f}   (real vs real: "
          f"{report.baseline_fd:.2f}; lower is better)")
    print(f"  classes covered      {report.classes_covered:10d}   of {report.classes_present}")
    print(f"  class KL divergence  {report.class_kl:10.3f}   (0: the real class mix)")
    print(f"  confident share      {report.confident_share:10.1%}")
    print(f"  inception score      {report.inception_score:10.2f}   (at most {len(classes)})")
    shares = "  ".join(f"{name}:{share:.0%}"
                       for name, share in zip(classes, report.class_histogram))
    print(f"  class mix            {shares}")
    return 0


def _data_label(config: TrainConfig) -> str:
    return config.dataset + (f" ({','.join(map(str, config.digits))})" if config.digits else "")


# --- parsing helpers --------------------------------------------------------------------

class _UsageError(Exception):
    """A command-line mistake, raised by _Parser instead of printing usage and exiting."""

    def __init__(self, message: str, prog: str):
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes become one line from `main`, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message, self.prog)


def _whole(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number from `minimum` (to `maximum`, if given)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            allowed = (f"of at least {minimum}" if maximum is None
                       else f"from {minimum} to {maximum:,}")
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed} (got {text!r})")
        return value
    return parse


def _number(text: str, positive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise argparse.ArgumentTypeError(
            f"must be a number {'above' if positive else 'of at least'} 0 (got {text!r})")
    return value


def _positive(text: str) -> float:
    return _number(text, positive=True)


def _non_negative(text: str) -> float:
    return _number(text, positive=False)


def _seeds(text: str) -> list[int]:
    """An argparse type: the seeds of ganlib.latent.parse_seeds, whose message says what to
    type (argparse shows only an ArgumentTypeError's own message)."""
    try:
        return parse_seeds(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail(message: str, code: int) -> int:
    print(f"ganlib: error: {message}", file=sys.stderr)
    return code
