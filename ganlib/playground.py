"""The 2D playground: a GAN learning a cloud of points in the plane, in the spirit of GAN Lab.

With images, a student sees samples but not the discriminator. In two dimensions everything
fits in one picture: the real points, the generated points, the discriminator's opinion of
every location (a heatmap), and the direction in which the generator is about to move each
of its points. Mode collapse stops being a word and becomes something you watch: on the ring
of eight Gaussians, a GAN whose generator outpaces its discriminator piles its points onto
one mode, then chases the discriminator to the next, instead of spreading over all eight.

The training rules are `ganlib.gans`' (the same GAN / WGAN / WGAN-GP as for digits), on
the small "mlp-2d" networks of `ganlib.models`. A playground step is one step of GAN Lab:
`d_updates_per_step` discriminator/critic updates, then `g_updates_per_step` generator
updates. How the defaults were chosen, what they do on the ring, and how fast it runs:
docs/playground.md.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from ganlib.algorithms import ALGORITHMS, ALGORITHM_INFO, AlgorithmInfo
from ganlib.config import POINTS_DATASET, TrainConfig, make_config
from ganlib.errors import ConfigError, DataError
from ganlib.gans import AdversarialModel, ModelPool
from ganlib.history import MetricHistory
from ganlib.latent import latent_vectors
from ganlib.messages import N_, _

MIXTURES: tuple[str, ...] = ("ring", "grid", "spiral")
# The square every picture covers: the data's [-1, 1] plus a margin for stray samples.
BOUNDS: tuple[float, float] = (-1.6, 1.6)
# Generated points shown and counted; drawn from the same fixed noise every time, so each
# point moves smoothly from frame to frame instead of being redrawn at random.
SAMPLE_COUNT = 1000
MIN_POINTS, MAX_POINTS = 20, 100_000
MAX_UPDATES_PER_STEP = 10
MAX_STEPS_PER_CALL = 10_000       # one step(n) call is one uninterruptible graph call
# A sample closer than this many standard deviations to a mode's centre counts for that mode
# (the "high-quality sample" of the VEEGAN and PacGAN papers' mode counts).
COVERAGE_STDS = 3.0

_RING_RADIUS, _RING_STD = 1.0, 0.05
_GRID_SIDE, _GRID_STD = 5, 0.05

# Metrics of the rules that the playground's history leaves out: the page draws losses and
# scores, and gradient norms of networks this small say little.
_UNRECORDED = frozenset({"d_grad_norm", "g_grad_norm"})

# --- real data ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Modes:
    """The components of a Gaussian mixture: centres (K, 2) and their common std."""

    centers: np.ndarray
    std: float


def mixture_modes(name: str) -> Modes | None:
    """The modes of a preset mixture, or None for one without separate modes (the spiral)."""
    _check_mixture(name)
    if name == "ring":
        angles = np.arange(8) * (2 * math.pi / 8)
        centers = _RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return Modes(centers.astype(np.float32), _RING_STD)
    if name == "grid":
        ticks = np.linspace(-1.0, 1.0, _GRID_SIDE)
        centers = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
        return Modes(centers.astype(np.float32), _GRID_STD)
    return None


def mixture(name: str, n: int = 2000, seed: int = 0) -> np.ndarray:
    """`n` points (n, 2) float32 of a preset distribution, within about [-1, 1]^2.

    - "ring": 8 Gaussians (std 0.05) evenly spaced on the unit circle, the classic mode
      collapse demonstration of the unrolled-GAN paper.
    - "grid": 5 x 5 Gaussians (std 0.05) on a square lattice from -1 to 1.
    - "spiral": one arm of 1.5 turns, widening outwards, with a little noise: one connected
      shape that is hard to cover evenly, and no separate modes.
    """
    _check_mixture(name)
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_POINTS <= n <= MAX_POINTS:
        raise ConfigError(_("A mixture needs from {min_points} to {max_points:,} points (got "
                            "{n!r}).").format(min_points=MIN_POINTS, max_points=MAX_POINTS, n=n))
    rng = np.random.default_rng(seed)
    modes = mixture_modes(name)
    if modes is not None:
        which = rng.integers(0, len(modes.centers), n)
        points = modes.centers[which] + modes.std * rng.standard_normal((n, 2))
    else:
        t = rng.uniform(0.0, 1.0, n)
        angle = 3 * math.pi * t
        radius = 0.15 + 0.85 * t
        points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        points += 0.04 * rng.standard_normal((n, 2))
    return points.astype(np.float32)


def points_from_upload(data: bytes | str) -> np.ndarray:
    """Points from an uploaded file: CSV text with "x,y" per line, or a NumPy .npy array.

    A CSV's first line may be a header (e.g. "x,y"); blank lines are skipped. A .npy must
    hold an (N, 2) array of numbers (loaded without pickle, so it cannot run code). The
    points are moved and scaled, keeping their shape, so that they fill [-1, 1] in their
    wider direction: the networks and the pictures are made for that range.
    """
    if isinstance(data, bytes) and data.startswith(b"\x93NUMPY"):
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise DataError(_("This .npy file cannot be read ({problem}). Save an array of "
                              "numbers of shape (N, 2) with numpy.save.").format(
                                  problem=exc)) from None
    else:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise DataError(_("This file is neither a .npy array nor CSV text. Upload a "
                                  "CSV with one point \"x,y\" per line, or a .npy array of "
                                  "shape (N, 2).")) from None
        array = _parse_csv(data)
    return _standardise(_validated(array, N_("The file")))


def points_from_list(points: Iterable[Sequence[float]] | Iterable[dict]) -> np.ndarray:
    """Points the user drew on the playground: pairs (x, y), or dicts with "x" and "y" keys
    (the points of a Plotly selection event). They are already in playground coordinates,
    so they are validated but not rescaled."""
    rows = []
    for point in points:
        if isinstance(point, dict):
            if "x" not in point or "y" not in point:
                raise DataError(_("Each drawn point needs an x and a y. Select points on the "
                                  "drawing canvas, not on the legend."))
            rows.append((point["x"], point["y"]))
        else:
            rows.append(tuple(point))
    try:
        array = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(_("Drawn points must be pairs of numbers (x, y).")) from None
    if array.size == 0:
        array = array.reshape(0, 2)
    return _validated(array, N_("The drawing")).astype(np.float32)


def modes_covered(points: np.ndarray, modes: Modes) -> int:
    """How many modes have at least one of `points` within COVERAGE_STDS std of their centre.

    This is the mode count of the VEEGAN and PacGAN papers. A collapsed generator puts all
    its points on one or a few modes, so the count drops; stray points between modes do not
    count for any of them.
    """
    distances = np.linalg.norm(points[:, None, :] - modes.centers[None, :, :], axis=-1)  # (N, K)
    return int(np.any(distances <= COVERAGE_STDS * modes.std, axis=0).sum())


# --- settings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlaygroundSettings:
    """What a playground is built from, besides the algorithm and the data.

    `d_lr`, `g_lr`, `d_updates_per_step` and `g_updates_per_step` can change while the
    playground trains (`Playground.adjust`); the others need a new playground.
    """

    # Learning rates of the discriminator/critic and of the generator.
    d_lr: float = 1e-3
    g_lr: float = 1e-3
    # Length of z. 2 makes the generator a map from a plane to the plane: the easiest
    # setting in which to see it fold one blob onto several modes -- or fail to.
    latent_dim: int = 2
    # Real (and generated) points per update.
    batch_size: int = 128
    # Updates of each network per playground step (GAN Lab's "updates per step"). For the
    # WGANs, d_updates_per_step is n_critic.
    d_updates_per_step: int = 1
    g_updates_per_step: int = 1
    # WGAN only: critic weights are clipped to [-clip_value, clip_value].
    clip_value: float = 0.0
    # WGAN-GP only: weight of the gradient penalty.
    gp_weight: float = 0.0
    # GAN only: "non-saturating" or "minimax" (see ganlib.gans.GAN).
    g_loss: str = "non-saturating"
    # Seeds the networks' initial weights, the batches and the fixed noise.
    seed: int = 0

    def config(self, algorithm: str) -> TrainConfig:
        """The TrainConfig of the networks and rule (validated; ConfigError if out of range)."""
        for name in ("d_updates_per_step", "g_updates_per_step"):
            _check_updates(name, getattr(self, name))
        # The WGANs' n_critic is d_updates_per_step; the GAN has no such setting (1). No
        # averaged generator: the playground draws the generator it trains, update by update.
        info = _rule_info(algorithm)
        n_critic = self.d_updates_per_step if "n_critic" in info.settings else 1
        return make_config(
            algorithm, "quick", architecture="mlp-2d", dataset=POINTS_DATASET,
            latent_dim=self.latent_dim, batch_size=self.batch_size, d_lr=self.d_lr,
            g_lr=self.g_lr, n_critic=n_critic, clip_value=self.clip_value,
            gp_weight=self.gp_weight, g_loss=self.g_loss, real_label=1.0, fake_label=0.0,
            steps=None, seed=self.seed, ema_decay=0.0, **info.playground_optimizer)


def default_settings(algorithm: str) -> PlaygroundSettings:
    """Settings that train well in two dimensions (measured: docs/playground.md)."""
    return PlaygroundSettings(**_rule_info(algorithm).playground_settings)


# --- sharing the server ---------------------------------------------------------------------

class ComputeGate:
    """Lets one playground at a time compute, and all of them together at most `share` of
    the time, over any stretch longer than a frame or two.

    Why: a class shares one server. Three students playing, each asking for a frame of
    training and drawing every 0.3 s, cut the teacher's run from 48.7 to 31.9 steps/s with
    the server on one core (docs/playground.md, "Sharing the server"). Through the gate,
    every call that computes (a burst of steps, the samples, the map, the arrows) waits for
    its turn, and pays for its time from a budget that refills at `share` seconds per
    second and holds at most `burst_s`: the playgrounds of the whole class then use at most
    `share` of a core, whatever their number, and a training run keeps the rest. One
    student alone rarely waits: a GAN frame (50 steps, then the picture: about 90 ms)
    every 0.3 s is within the budget, and the burst lets a frame's calls run back to back.
    """

    def __init__(self, share: float = 0.25, burst_s: float = 0.3):
        if not 0 < share <= 1 or burst_s < 0:
            raise ValueError(f"The playgrounds' share of the time must be in (0, 1] and the "
                             f"burst at least 0 s (got {share!r}, {burst_s!r}).")
        self.share, self.burst_s = share, burst_s
        self._lock = threading.Lock()
        self._credit, self._stamp = burst_s, time.monotonic()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the gate for one call: wait until the budget is not overdrawn, compute, and
        pay for the time taken."""
        with self._lock:
            now = time.monotonic()
            self._credit = min(self.burst_s, self._credit + (now - self._stamp) * self.share)
            if self._credit < 0:
                time.sleep(-self._credit / self.share)
                self._credit = 0.0
            self._stamp = started = time.monotonic()
            try:
                yield
            finally:
                self._credit -= time.monotonic() - started


# The process's gate: every playground of this server computes through it.
COMPUTE_GATE = ComputeGate()
# Models of playgrounds that are gone, lent again to new ones of the same settings: TF never
# frees a traced graph, so building a model per playground (each new session, each change of
# seed or data) grew the server by its graphs every time (see ganlib.gans.ModelPool). Not
# the runs' pool: playgrounds' small models must not push the runs' out.
MODEL_POOL = ModelPool()


class _Compiled:
    """The compiled functions of one playground model, made once and kept with the model,
    so that a model lent again by the pool brings its graphs instead of tracing new ones.

    They close over the model only (not over a Playground), so a Playground nobody holds
    any more is freed at once and its model goes back to the pool.
    """

    def __init__(self, gan: AdversarialModel, metric_names: tuple[str, ...],
                 outputs_probability: bool):
        def run_steps(dataset: tf.Tensor, n: tf.Tensor, d_updates: tf.Tensor,
                      g_updates: tf.Tensor) -> dict[str, tf.Tensor]:
            """n steps of d_updates D updates and g_updates G updates; per step, each
            network's last numbers (NaN for a network not updated), as (n,) arrays."""
            rows = {name: tf.TensorArray(tf.float32, size=n) for name in metric_names}
            nan = tf.constant(math.nan, tf.float32)
            for i in tf.range(n):
                last = {name: nan for name in metric_names}
                for _update in tf.range(d_updates):
                    last = {**last, **_recorded(gan.critic_update(dataset), metric_names)}
                for _update in tf.range(g_updates):
                    last = {**last, **_recorded(gan.generator_update(), metric_names)}
                rows = {name: rows[name].write(i, last[name]) for name in metric_names}
            return {name: rows[name].stack() for name in metric_names}

        def discriminator_value(points: tf.Tensor) -> tf.Tensor:
            score = gan.discriminator(points, training=False)[:, 0]           # (N,)
            return tf.sigmoid(score) if outputs_probability else score

        def generator_push(points: tf.Tensor) -> tf.Tensor:
            """Per point, minus the gradient of the rule's generator loss at that point (each
            point's loss depends on that point alone, so one gradient gives them all)."""
            with tf.GradientTape() as tape:
                tape.watch(points)
                loss = gan.generator_loss(gan.discriminator(points, training=False))
            return -tape.gradient(loss, points)                               # (N, 2)

        point_spec = [tf.TensorSpec((None, 2), tf.float32)]
        self.train = tf.function(run_steps, input_signature=[
            tf.TensorSpec((None, 2), tf.float32), *[tf.TensorSpec((), tf.int32)] * 3])
        self.generate = tf.function(
            lambda z: gan.generator(z, training=False),
            input_signature=[tf.TensorSpec((None, gan.config.latent_dim), tf.float32)])
        self.value = tf.function(discriminator_value, input_signature=point_spec)
        self.push = tf.function(generator_push, input_signature=point_spec)
        self.train.get_concrete_function()        # trace now: the first step is not slow

    @staticmethod
    def of(gan: AdversarialModel, metric_names: tuple[str, ...],
           outputs_probability: bool) -> _Compiled:
        """The functions of `gan`, compiled on its first use."""
        if not hasattr(gan, "playground_functions"):
            gan.playground_functions = _Compiled(gan, metric_names, outputs_probability)
        return gan.playground_functions


# --- the playground -------------------------------------------------------------------------

class Playground:
    """One GAN and its data, trained a step at a time by whoever holds it (a page, a test).

    Its model comes from MODEL_POOL and goes back when the Playground is freed; its compiled
    functions, with shapes that never change, come with the model, so stepping, sampling and
    drawing the heatmap never retrace. Every computation goes through COMPUTE_GATE. Not
    thread-safe: one caller at a time.
    """

    def __init__(self, algorithm: str, points: np.ndarray,
                 settings: PlaygroundSettings | None = None, modes: Modes | None = None):
        self.algorithm = algorithm
        self.info = _rule_info(algorithm)
        # What the history keeps per step: the last critic update's numbers and the last
        # generator update's, in the order of the algorithm's metrics.
        self.metric_names = tuple(m for m in self.info.metrics if m not in _UNRECORDED)
        self.settings = settings or default_settings(algorithm)
        self.config = self.settings.config(algorithm)
        self.points = _validated(np.asarray(points, dtype=np.float64), N_("The data"))
        self.points = self.points.astype(np.float32)
        self.points.flags.writeable = False
        self.modes = modes
        self.gan: AdversarialModel = MODEL_POOL.acquire(self.config)
        weakref.finalize(self, MODEL_POOL.release, self.gan)
        self._compiled = _Compiled.of(self.gan, self.metric_names, self.info.outputs_probability)
        self._dataset = tf.constant(self.points)                          # (N, 2)
        self._noise = tf.constant(latent_vectors(self.config.seed, SAMPLE_COUNT,
                                                 self.config.latent_dim))  # (1000, latent)
        # Everything training changes, as it was before the first step: reset() restores it.
        self._state = [*self.gan.generator.weights, *self.gan.discriminator.weights,
                       *self.gan.d_optimizer.variables, *self.gan.g_optimizer.variables,
                       self.gan.seed_generator.state]
        self._initial_state = [v.numpy() for v in self._state]
        self.reset()                 # a lent model may have trained at other learning rates

    # --- training ---------------------------------------------------------------------------

    def step(self, n: int = 1) -> None:
        """`n` full steps, each d_updates_per_step D updates then g_updates_per_step G
        updates, in one graph call; one history row per step."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_STEPS_PER_CALL:
            raise ConfigError(_("Train 1 to {max_steps_per_call:,} steps at a time (got "
                                "{n!r}).").format(
                                  max_steps_per_call=MAX_STEPS_PER_CALL, n=n))
        s = self.settings
        self._train(n, s.d_updates_per_step, s.g_updates_per_step)

    def train_discriminator(self) -> None:
        """One discriminator/critic update alone: the generator's points stay where they are,
        the heatmap sharpens around them."""
        self._train(1, 1, 0)

    def train_generator(self) -> None:
        """One generator update alone: the points move along the arrows; the heatmap stays."""
        self._train(1, 0, 1)

    def adjust(self, *, d_lr: float | None = None, g_lr: float | None = None,
               d_updates_per_step: int | None = None,
               g_updates_per_step: int | None = None) -> None:
        """Change the settings that can change mid-training (None keeps the current value),
        as GAN Lab allows: e.g. slow the discriminator down and watch what happens."""
        changes = {k: v for k, v in dict(d_lr=d_lr, g_lr=g_lr,
                                         d_updates_per_step=d_updates_per_step,
                                         g_updates_per_step=g_updates_per_step).items()
                   if v is not None}
        if not changes:
            return
        settings = replace(self.settings, **changes)
        settings.config(self.algorithm)                       # validate before applying
        self.settings = settings
        self.gan.d_optimizer.learning_rate = settings.d_lr
        self.gan.g_optimizer.learning_rate = settings.g_lr

    def reset(self) -> None:
        """Back to step 0: the same initial weights, optimiser state and noise as when built."""
        for variable, value in zip(self._state, self._initial_state):
            variable.assign(value)
        self.gan.d_optimizer.learning_rate = self.settings.d_lr
        self.gan.g_optimizer.learning_rate = self.settings.g_lr
        self.history = MetricHistory(self.metric_names)
        self.step_count = 0

    # --- what the page draws ----------------------------------------------------------------

    def samples(self, n: int = SAMPLE_COUNT) -> np.ndarray:
        """G(z) for the first `n` of the fixed noise vectors: (n, 2) float32."""
        if not 1 <= n <= SAMPLE_COUNT:
            raise ConfigError(_("Ask for 1 to {sample_count} samples (got {n}).").format(
                                  sample_count=SAMPLE_COUNT, n=n))
        with COMPUTE_GATE.turn():
            return self._compiled.generate(self._noise[:n]).numpy()

    def real_points(self, n: int = SAMPLE_COUNT) -> np.ndarray:
        """At most `n` of the real points, evenly spread over the data (for drawing)."""
        stride = max(1, -(-len(self.points) // n))
        return self.points[::stride]

    def field(self, grid_size: int = 60, bounds: tuple[float, float] = BOUNDS
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The discriminator over a grid_size x grid_size grid covering bounds x bounds.

        Returns xs (grid_size,), ys (grid_size,) and values (grid_size, grid_size) with
        values[i, j] at (xs[j], ys[i]): the probability "real" D(x) for the GAN, the raw
        critic score c(x) for the WGANs (only differences of scores mean anything).
        """
        if not 2 <= grid_size <= 500 or not bounds[0] < bounds[1]:
            raise ConfigError(_("The map needs 2 to 500 cells a side and bounds low < high (got "
                                "{grid_size}, {bounds}).").format(
                                  grid_size=grid_size, bounds=bounds))
        ticks = np.linspace(bounds[0], bounds[1], grid_size, dtype=np.float32)
        grid = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)  # (grid_size², 2)
        with COMPUTE_GATE.turn():
            values = self._compiled.value(tf.constant(grid)).numpy()
        values = values.reshape(grid_size, grid_size)
        return ticks, ticks, values

    def generator_gradients(self, points: np.ndarray) -> np.ndarray:
        """For each generated point (N, 2), -d(generator loss)/d(point): the direction the
        next generator update pushes it (up the discriminator's slope towards "real")."""
        points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        with COMPUTE_GATE.turn():
            return self._compiled.push(tf.constant(points)).numpy()

    def mode_coverage(self) -> tuple[int, int] | None:
        """(modes covered by the generated samples, modes of the data), or None when the
        data has no separate modes (the spiral, uploads, drawings)."""
        if self.modes is None:
            return None
        return modes_covered(self.samples(), self.modes), len(self.modes.centers)

    # --- helpers ----------------------------------------------------------------------------

    def _train(self, n: int, d_updates: int, g_updates: int) -> None:
        """`n` steps of `d_updates` and `g_updates` updates in one graph call, recorded."""
        with COMPUTE_GATE.turn():
            rows = self._compiled.train(self._dataset, tf.constant(n, tf.int32),
                                        tf.constant(d_updates, tf.int32),
                                        tf.constant(g_updates, tf.int32))
            columns = {name: values.numpy() for name, values in rows.items()}
        self._record(columns)

    def _record(self, columns: dict[str, np.ndarray]) -> None:
        for i in range(len(next(iter(columns.values())))):
            self.step_count += 1
            self.history.append(self.step_count, math.nan,
                                {name: float(values[i]) for name, values in columns.items()})


# --- helpers --------------------------------------------------------------------------------

def _recorded(metrics: dict[str, tf.Tensor], names: tuple[str, ...]) -> dict[str, tf.Tensor]:
    """The numbers of one update that the history keeps, as float32."""
    return {k: tf.cast(v, tf.float32) for k, v in metrics.items() if k in names}


def _rule_info(algorithm: str) -> AlgorithmInfo:
    """The facts of `algorithm` (ganlib.algorithms); ConfigError naming the choices if unknown."""
    if algorithm not in ALGORITHM_INFO:
        raise ConfigError(_("algorithm must be one of {algorithms} (got {algorithm!r}).").format(
                              algorithms=', '.join(ALGORITHMS), algorithm=algorithm))
    return ALGORITHM_INFO[algorithm]


def _check_mixture(name: str) -> None:
    if name not in MIXTURES:
        raise ConfigError(_("Unknown data {name!r}: choose one of {mixtures}.").format(
                              name=name, mixtures=', '.join(MIXTURES)))


def _check_updates(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= MAX_UPDATES_PER_STEP:
        raise ConfigError(_("{name} must be a whole number from 1 to {max_updates_per_step} (got "
                            "{value!r}).").format(
                              name=name, max_updates_per_step=MAX_UPDATES_PER_STEP, value=value))


def _parse_csv(text: str) -> np.ndarray:
    """Rows of "x,y" (commas, semicolons or tabs); a non-numeric first row is a header."""
    rows = []
    lines = [line for line in text.splitlines() if line.strip()]
    dialect = csv.excel_tab if lines and "\t" in lines[0] and "," not in lines[0] else csv.excel
    for number, fields in enumerate(csv.reader(lines, dialect), start=1):
        if len(fields) == 1 and ";" in fields[0]:
            fields = fields[0].split(";")
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            if number == 1 and not rows:
                continue                                          # a header such as "x,y"
            raise DataError(_("Line {number} of the CSV is not two numbers: {line!r}. Write one "
                              "point per line as \"x,y\", e.g. 0.5,-1.2.").format(
                                  number=number, line=",".join(fields)[:60])) from None
        if len(rows[-1]) != 2:
            raise DataError(_("Line {number} of the CSV has {count} values; each point needs "
                              "exactly 2 (x,y).").format(number=number, count=len(rows[-1])))
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def _validated(array: np.ndarray, what: str) -> np.ndarray:
    """(N, 2) finite numbers, MIN_POINTS <= N <= MAX_POINTS, as float64. `what` names the
    points in the messages (marked with N_, translated here)."""
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise DataError(_("{what} must hold numbers (got {dtype}).").format(
                            what=_(what), dtype=array.dtype))
    if array.ndim != 2 or array.shape[1] != 2:
        raise DataError(_("{what} must have exactly 2 columns, x and y (got shape {shape}). Keep "
                          "only the two coordinates of each point.").format(
                            what=_(what), shape=array.shape))
    if not MIN_POINTS <= len(array) <= MAX_POINTS:
        hint = (_("draw or select a larger area") if what == "The drawing"
                else _("add points") if len(array) < MIN_POINTS else _("subsample it"))
        raise DataError(_("{what} has {count:,} points; the playground needs from {min_points} to "
                          "{max_points:,}: {hint}.").format(
                            what=_(what), count=len(array), min_points=MIN_POINTS,
                            max_points=MAX_POINTS, hint=hint))
    if not np.isfinite(array).all():
        raise DataError(_("{what} contains missing or infinite values (NaN, inf): remove those "
                          "points.").format(what=_(what)))
    return array.astype(np.float64)


def _standardise(points: np.ndarray) -> np.ndarray:
    """Centre the bounding box on 0 and scale its wider side to [-1, 1]: (N, 2) float32."""
    low, high = points.min(axis=0), points.max(axis=0)
    half = (high - low).max() / 2
    if half == 0:
        raise DataError(_("All the points are the same point: the playground needs a spread of "
                          "points to learn from."))
    return ((points - (low + high) / 2) / half).astype(np.float32)
