"""The latent space: where a generator's images come from, and how to walk through it.

A generator maps a latent vector z ~ N(0, I) of length `latent_dim` to an image. Exploring
a trained generator means choosing vectors on purpose: the same seed again (to compare two
checkpoints on the same z), a path between two vectors (does the digit morph smoothly?), a
direction that changes the image most, or a small cloud around one vector; and a vector
written as text (`edits_text`), so that a link can reopen exactly the same one.

Why slerp and not a straight line: in high dimension almost all of N(0, I)'s mass lies on a
thin shell of radius about sqrt(latent_dim). The straight line between two independent
samples cuts through the inside of that shell, where the generator saw no training inputs:
its midpoint has norm about sqrt(latent_dim / 2). A great-circle path stays on the shell.

Every vector returned here is float32 (the generator's input dtype). Bad arguments raise
`ConfigError` with a message saying what is allowed. This module needs only numpy.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ganlib.errors import ConfigError
from ganlib.messages import _, shortened

METHODS: tuple[str, ...] = ("linear", "spherical")

# Below this sine of the angle between two directions, the plane they span is numerical
# noise: the vectors are treated as exactly parallel (or antiparallel).
_PARALLEL_SIN = 1e-6

# The largest seed a text may name: the range of a training config's seed and of the pages'
# seed fields, so a seed typed or linked anywhere opens on every page.
MAX_SEED = 2**31 - 1
# Seeds and edits are read from links: only ASCII digits (str.isdigit and int() also take
# "²" and "٣", and int() refuses more than 4,300 digits with a ValueError), few of them.
_SEED = re.compile(r"[0-9]{1,10}")
_EDIT = re.compile(r"([0-9]{1,5}):([+-]?(?:[0-9]{1,40}(?:\.[0-9]{0,50})?|\.[0-9]{1,50})"
                   r"(?:[eE][+-]?[0-9]{1,3})?)")


def latent_vectors(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """`n` latent vectors z ~ N(0, I) drawn from `np.random.default_rng(seed)`.

    Row i depends only on (seed, i, latent_dim), not on `n`: the generator fills the array
    row by row, so latent_vectors(42, 1, d)[0] == latent_vectors(42, 16, d)[0]. That lets
    "seed 42" mean the same digit on every page and in every checkpoint comparison.
    """
    _check_whole("seed", seed, 0)
    _check_whole("n", n, 1)
    _check_whole("latent_dim", latent_dim, 1)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, latent_dim)).astype(np.float32)  # (n, latent_dim)


def _is_seed(word: str) -> bool:
    return bool(_SEED.fullmatch(word)) and int(word) <= MAX_SEED


def parse_seed(text: str) -> int:
    """One seed written as text (a link's ?seed=): a whole number from 0 to MAX_SEED in
    digits 0-9. Anything else is a ConfigError that says what to type."""
    word = text.strip()
    if not _is_seed(word):
        raise ConfigError(_("{word!r} is not a seed: give a whole number from 0 to "
                            "{most}.").format(word=shortened(word), most=MAX_SEED))
    return int(word)


def parse_seeds(text: str, most: int | None = None) -> list[int]:
    """The seeds of a path typed as "3, 17, 42" (commas, semicolons or spaces), in order.

    A path needs a start and an end, so at least 2 seeds, and at most `most` when given.
    The command line, the Interpolation page and its links read the same text the same way;
    anything else is a ConfigError that says what to type.
    """
    words = [w for w in re.split(r"[\s,;]+", text.strip()) if w]
    bad = [w for w in words if not _is_seed(w)]
    if bad:
        raise ConfigError(_("{word!r} is not a seed: give whole numbers from 0 to {most}, "
                            "separated by commas, e.g. 3, 17, 42.").format(
                              word=shortened(bad[0]), most=MAX_SEED))
    if len(words) < 2 or (most is not None and len(words) > most):
        how_many = (_("Give at least 2 seeds") if len(words) < 2
                    else _("Give at most {most} seeds").format(most=most))
        raise ConfigError(_("{how_many}, separated by commas (e.g. 3, 17, 42): the path starts "
                            "at the first seed's digit and passes through the others in order "
                            "(got {count}).").format(how_many=how_many, count=len(words)))
    return [int(w) for w in words]


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """`steps` evenly spaced points on the straight line from z0 to z1, both included.

    Returns (steps, latent_dim). The endpoints are z0 and z1 exactly (as float32).
    """
    a, b = _vectors(z0, z1)
    return _straight(a, b, _fractions(steps))


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """`steps` points along the great circle from z0 to z1, both included.

    The direction turns at constant speed along the arc between z0/|z0| and z1/|z1|, and the
    norm goes linearly from |z0| to |z1|, so every point's norm lies between the endpoints'
    norms (for two typical Gaussian samples: on the shell where the generator was trained).
    This is the usual slerp for Gaussian latents when |z0| == |z1|; linear norms keep it
    well-behaved when they differ.

    Special cases, where no unique great circle exists:
    - a zero vector, or (nearly) parallel vectors: the straight line (`lerp`), which for
      parallel vectors is the same path (fixed direction, linear norm);
    - exactly (or nearly) antiparallel vectors: every great circle through both is equally
      short; we turn through a fixed perpendicular, built from the coordinate axis least
      aligned with z0, so the result is deterministic. In one dimension, where no
      perpendicular exists, the straight line.

    Returns (steps, latent_dim); the endpoints are z0 and z1 exactly (as float32).
    """
    a, b = _vectors(z0, z1)
    t = _fractions(steps)                                        # (steps, 1)
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0.0 or norm_b == 0.0:
        return _straight(a, b, t)
    u0, u1 = a / norm_a, b / norm_b
    cos = float(u0 @ u1)
    # v: the unit vector perpendicular to u0 in the plane of u0 and u1.
    v = u1 - cos * u0
    sin = float(np.linalg.norm(v))
    if sin < _PARALLEL_SIN:
        if cos > 0 or a.size == 1:
            return _straight(a, b, t)
        v, angle = _perpendicular(u0), math.pi
    else:
        v, angle = v / sin, math.atan2(sin, cos)                # atan2: accurate near 0 and pi
    direction = np.cos(t * angle) * u0 + np.sin(t * angle) * v  # (steps, latent_dim), unit rows
    norms = (1.0 - t) * norm_a + t * norm_b                      # (steps, 1)
    return _with_exact_ends(norms * direction, a, b)


def interpolation_path(points: np.ndarray, steps_per_segment: int,
                       method: str = "spherical") -> np.ndarray:
    """A path through k >= 2 latent vectors, in order, for an animation.

    Each of the k - 1 segments has `steps_per_segment` points counting both of its ends; a
    joint is shared by the two segments it joins, not repeated (a repeated frame would look
    like a stutter). So the path has (k - 1) * (steps_per_segment - 1) + 1 rows, and
    points[i] is row i * (steps_per_segment - 1) exactly. `method` is "spherical" (`slerp`)
    or "linear" (`lerp`). For a loop, repeat the first point at the end.

    Returns ((k - 1) * (steps_per_segment - 1) + 1, latent_dim).
    """
    if method not in METHODS:
        raise ConfigError(_("method must be one of {methods} (got {method!r}).").format(
                              methods=', '.join(METHODS), method=method))
    points = _as_float_array("points", points)
    if points.ndim != 2 or points.shape[0] < 2 or points.shape[1] < 1:
        raise ConfigError(_("points must be an array of shape (k, latent_dim) with k >= 2 latent "
                            "vectors to pass through (got shape {shape}).").format(
                              shape=points.shape))
    _check_whole("steps_per_segment", steps_per_segment, 2)
    step = slerp if method == "spherical" else lerp
    segments = [step(p, q, steps_per_segment)[:-1] for p, q in zip(points[:-1], points[1:])]
    return np.concatenate([*segments, points[-1:].astype(np.float32)])


def principal_directions(kernel: np.ndarray, k: int) -> np.ndarray:
    """The k latent directions that change the generator's first layer most (GANSpace-style).

    `kernel` is the (latent_dim, units) weight matrix of the generator's first Dense layer.
    With z ~ N(0, I) its pre-activations h = z @ kernel (+ bias) have covariance
    kernel.T @ kernel, whose principal axes are the right singular vectors v_i of kernel.
    The latent direction that moves h along v_i is the left singular vector u_i: a unit step
    along u_i changes h by the singular value s_i, more than any other unit step orthogonal
    to u_1 .. u_(i-1). Exact for the first layer; a useful guess for the whole generator.

    Returns (k, latent_dim) float32 unit rows, orthogonal to each other, sorted by singular
    value, largest first. A singular vector's sign is arbitrary, so each row is flipped to
    make its largest-magnitude component positive: the same kernel always gives the same
    directions. (Where singular values tie, the directions within the tie are arbitrary.)
    """
    kernel = _as_float_array("kernel", kernel)
    if kernel.ndim != 2 or 0 in kernel.shape:
        raise ConfigError(_("kernel must be the (latent_dim, units) weight matrix of the "
                            "generator's first Dense layer (got shape {shape}).").format(
                              shape=kernel.shape))
    latent_dim, units = kernel.shape
    limit = min(latent_dim, units)
    _check_whole("k", k, 1)
    if k > limit:
        raise ConfigError(_("k must be at most {limit}: a ({latent_dim}, {units}) kernel has only "
                            "{limit} directions that change its layer (got k={k}).").format(
                              limit=limit, latent_dim=latent_dim, units=units, k=k))
    # The left singular vectors are the eigenvectors of the small (latent_dim, latent_dim)
    # Gram matrix: far cheaper than an SVD of the wide kernel (3136 columns for "quick").
    values, vectors = np.linalg.eigh(kernel @ kernel.T)         # ascending eigenvalues
    directions = vectors[:, np.argsort(values)[::-1][:k]].T     # (k, latent_dim)
    largest = np.argmax(np.abs(directions), axis=1)
    signs = np.sign(directions[np.arange(k), largest])
    return (directions * signs[:, None]).astype(np.float32)


def neighbours(z: np.ndarray, n: int, radius: float, seed: int) -> np.ndarray:
    """z itself and n - 1 random vectors near it: z + radius * N(0, I), from `seed`.

    Shows how much a small change of z changes the image. Row 0 is z exactly; like
    `latent_vectors`, row i does not depend on n. Returns (n, latent_dim).
    """
    (z,) = _vectors(z)
    _check_whole("n", n, 1)
    if (isinstance(radius, bool) or not isinstance(radius, (int, float, np.integer, np.floating))
            or not math.isfinite(radius) or radius < 0):
        raise ConfigError(_("radius must be a number of at least 0, the standard deviation of the "
                            "step away from z; 0.1 to 1 is typical (got {radius!r}).").format(
                              radius=radius))
    noise = neighbour_noise(seed, n, z.size)                              # (n - 1, latent_dim)
    return np.concatenate([z[None], z + radius * noise]).astype(np.float32)


def neighbour_noise(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """The (n - 1, latent_dim) float64 noise behind `neighbours`: row i of the cloud is
    z + radius * row i - 1 of it. A browser that redraws the neighbours gets these numbers."""
    _check_whole("seed", seed, 0)
    return np.random.default_rng(seed).standard_normal((n - 1, latent_dim))


def edits_text(values: np.ndarray, reference: np.ndarray) -> str:
    """The entries of `values` that differ from `reference`, as "index:value" pairs
    ("3:2.5,7:-1.2"); "" when none differ.

    For a link that reopens exactly the same vector: each value is written as the shortest
    decimal that reads back to the same float32, so `parse_edits` of the text gives the
    vector bit for bit, and the generator the same pixels.
    """
    values, reference = (np.asarray(a, np.float32) for a in (values, reference))
    if values.shape != reference.shape or values.ndim != 1:
        raise ConfigError(_("values and reference must be vectors of one length (got shapes "
                            "{values} and {reference}).").format(
                              values=values.shape, reference=reference.shape))
    changed = np.flatnonzero(values != reference)
    return ",".join(f"{i}:{np.format_float_positional(values[i], unique=True, trim='-')}"
                    for i in changed)


def parse_edits(text: str, reference: np.ndarray, name: str = "z") -> np.ndarray:
    """`reference` (a float32 copy) with the entries `text` names replaced: the inverse of
    `edits_text`. `name` is what the message of a bad text calls the vector."""
    result = np.array(reference, dtype=np.float32)
    for item in filter(None, (part.strip() for part in text.split(","))):
        edit = _EDIT.fullmatch(item)
        i = int(edit[1]) if edit else -1
        with np.errstate(over="ignore"):                 # too large for float32: inf, refused
            number = np.float32(edit[2]) if edit else np.float32("nan")
        if not 0 <= i < result.size or not np.isfinite(number):
            raise ConfigError(_("{name}: {item!r} is not an edit. Write index:value, an index "
                                "from 0 to {highest} and a finite number, e.g. 3:2.5.").format(
                                  name=name, item=shortened(item), highest=result.size - 1))
        result[i] = number
    return result


# --- checks -------------------------------------------------------------------------------

def _check_whole(name: str, value: Any, minimum: int) -> None:
    """A whole number (Python or numpy int, not bool) of at least `minimum`."""
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or value < minimum):
        raise ConfigError(_("{name} must be a whole number of at least {minimum} (got "
                            "{value!r}).").format(
                              name=name, minimum=minimum, value=value))


def _as_float_array(name: str, value: Any) -> np.ndarray:
    """`value` as a float64 array of finite numbers (float64: no rounding before the maths)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(_("{name} must be an array of numbers (got {type}).").format(
                              name=name, type=type(value).__name__)) from None
    if not np.all(np.isfinite(array)):
        raise ConfigError(_("{name} contains NaN or infinity; latent vectors and weights must be "
                            "finite (a diverged generator has non-finite weights).").format(
                              name=name))
    return array


def _vectors(*vectors: np.ndarray) -> tuple[np.ndarray, ...]:
    """One or more latent vectors: 1-D, finite, of one length; rounded to float32 first so
    that the float32 results can reproduce them exactly."""
    arrays = tuple(_as_float_array("a latent vector", v).astype(np.float32).astype(np.float64)
                   for v in vectors)
    for array in arrays:
        if array.ndim != 1 or array.size == 0:
            raise ConfigError(_("A latent vector must be 1-D, of shape (latent_dim,) (got shape "
                                "{shape}); pick one row of a batch with z[i].").format(
                                  shape=array.shape))
    if len({array.size for array in arrays}) > 1:
        raise ConfigError(_("The latent vectors must have the same length (got {lengths}): they "
                            "must come from the same latent_dim.").format(
                              lengths=', '.join(str(a.size) for a in arrays)))
    return arrays


def _fractions(steps: int) -> np.ndarray:
    """`steps` evenly spaced fractions of the way from 0 to 1, as a (steps, 1) column."""
    _check_whole("steps", steps, 2)
    return np.linspace(0.0, 1.0, steps)[:, None]


def _straight(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The points (1 - t) a + t b: (steps, latent_dim), ends exact."""
    return _with_exact_ends((1.0 - t) * a + t * b, a, b)


def _with_exact_ends(path: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The path as float32, its first and last rows replaced by the endpoints themselves."""
    path[0], path[-1] = a, b
    return path.astype(np.float32)


def _perpendicular(u: np.ndarray) -> np.ndarray:
    """A unit vector perpendicular to the unit vector u, the same for the same u.

    Gram-Schmidt on the coordinate axis least aligned with u: well conditioned, since that
    axis's component along u is at most 1 / sqrt(latent_dim).
    """
    axis = np.zeros_like(u)
    axis[np.argmin(np.abs(u))] = 1.0
    v = axis - (axis @ u) * u
    return v / np.linalg.norm(v)
