"""ganlib.latent: seeded vectors, interpolation paths and principal directions."""

import numpy as np
import pytest

from ganlib.errors import ConfigError
from ganlib.latent import (edits_text, interpolation_path, latent_vectors, lerp, neighbours,
                           parse_edits, parse_seed, parse_seeds, principal_directions, slerp)


def norms(path: np.ndarray) -> np.ndarray:
    return np.linalg.norm(path.astype(np.float64), axis=1)


# --- latent_vectors -------------------------------------------------------------------------

def test_latent_vectors_are_seeded_float32_gaussians():
    z = latent_vectors(7, 2000, 16)
    assert z.shape == (2000, 16) and z.dtype == np.float32
    np.testing.assert_array_equal(z, latent_vectors(7, 2000, 16))
    assert not np.array_equal(z, latent_vectors(8, 2000, 16))
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02


def test_latent_vectors_row_does_not_depend_on_n():
    many = latent_vectors(42, 16, 64)
    np.testing.assert_array_equal(latent_vectors(42, 1, 64)[0], many[0])
    np.testing.assert_array_equal(latent_vectors(42, 5, 64), many[:5])


# --- lerp and slerp -------------------------------------------------------------------------

def test_lerp_endpoints_exact_and_even_spacing():
    z0, z1 = latent_vectors(1, 2, 10)
    path = lerp(z0, z1, 5)
    assert path.shape == (5, 10) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)
    np.testing.assert_allclose(path[2], (z0 + z1) / 2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((z1 - z0) / 4, (4, 1)),
                               rtol=1e-5, atol=1e-6)


def test_slerp_endpoints_exact_and_on_a_great_circle():
    z0, z1 = latent_vectors(2, 2, 100)
    path = slerp(z0, z1, 9)
    assert path.shape == (9, 100) and path.dtype == np.float32
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)
    # Every point lies in the plane of z0 and z1 ...
    basis, _ = np.linalg.qr(np.stack([z0, z1]).astype(np.float64).T)   # (100, 2)
    residual = path - (path @ basis) @ basis.T
    assert np.abs(residual).max() < 1e-4
    # ... and the direction turns by equal angles.
    unit = path / norms(path)[:, None]
    angles = np.arccos(np.clip(np.sum(unit[:-1] * unit[1:], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-3)


def test_slerp_keeps_norms_between_endpoints_where_lerp_collapses():
    z0, z1 = latent_vectors(3, 2, 100)
    n0, n1 = norms(np.stack([z0, z1]))
    spherical, straight = norms(slerp(z0, z1, 11)), norms(lerp(z0, z1, 11))
    # slerp: norms go linearly from |z0| to |z1|.
    np.testing.assert_allclose(spherical, np.linspace(n0, n1, 11), rtol=1e-5)
    assert np.all(spherical >= min(n0, n1) - 1e-4) and np.all(spherical <= max(n0, n1) + 1e-4)
    # lerp: two independent samples are nearly orthogonal, so the midpoint has norm about
    # sqrt(d / 2) ~ 7, far inside the shell of radius sqrt(d) = 10 the generator was trained on.
    assert straight[5] < 0.8 * min(n0, n1)


def test_slerp_parallel_vectors_fall_back_to_lerp():
    z = latent_vectors(4, 1, 20)[0]
    np.testing.assert_allclose(slerp(z, 3 * z, 6), lerp(z, 3 * z, 6), rtol=1e-6, atol=1e-6)
    zero = np.zeros(20, np.float32)
    np.testing.assert_array_equal(slerp(zero, z, 6), lerp(zero, z, 6))


def test_slerp_antiparallel_turns_through_a_fixed_perpendicular():
    z = latent_vectors(5, 1, 20)[0]
    path = slerp(z, -2 * z, 5)
    np.testing.assert_array_equal(path[0], z)
    np.testing.assert_array_equal(path[-1], -2 * z)
    # Never through the origin: norms go linearly from |z| to 2 |z|.
    np.testing.assert_allclose(norms(path), np.linspace(1, 2, 5) * norms(z[None])[0], rtol=1e-5)
    # Halfway round, the direction is perpendicular to z; the same every time.
    assert abs(path[2] @ z) < 1e-3 * norms(path[2:3])[0] * norms(z[None])[0]
    np.testing.assert_array_equal(path, slerp(z, -2 * z, 5))


def test_slerp_nearly_antiparallel_follows_the_real_arc():
    z0 = np.array([1.0, 0.0, 0.0], np.float32)
    z1 = np.array([-1.0, 0.01, 0.0], np.float32)
    mid = slerp(z0, z1, 3)[1]
    np.testing.assert_allclose(mid / np.linalg.norm(mid), [0, 1, 0], atol=1e-2)


# --- interpolation_path ---------------------------------------------------------------------

@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_path_passes_through_every_point_once(method):
    points = latent_vectors(6, 4, 30)
    path = interpolation_path(points, 5, method=method)
    assert path.shape == (3 * 4 + 1, 30) and path.dtype == np.float32
    for i, point in enumerate(points):
        np.testing.assert_array_equal(path[i * 4], point)
    # No duplicated joints: no two consecutive rows are equal.
    assert np.all(np.abs(np.diff(path, axis=0)).max(axis=1) > 0)
    step = slerp if method == "spherical" else lerp
    np.testing.assert_array_equal(path[4:9], step(points[1], points[2], 5))


# --- principal_directions -------------------------------------------------------------------

def test_principal_directions_orthonormal_sorted_and_find_the_dominant_direction():
    rng = np.random.default_rng(0)
    latent_dim, units = 12, 40
    dominant = rng.standard_normal(latent_dim)
    dominant /= np.linalg.norm(dominant)
    # A small random kernel plus a strong rank-one part: moving z along `dominant` changes
    # every unit a lot, any other direction only a little.
    kernel = 0.1 * rng.standard_normal((latent_dim, units)) + 5.0 * np.outer(
        dominant, rng.standard_normal(units)).astype(np.float32)
    directions = principal_directions(kernel, 5)
    assert directions.shape == (5, latent_dim) and directions.dtype == np.float32
    np.testing.assert_allclose(directions @ directions.T, np.eye(5), atol=1e-5)
    assert abs(directions[0] @ dominant) > 0.999
    # Sorted: each direction changes the first layer at least as much as the next.
    gains = np.linalg.norm(directions @ kernel, axis=1)
    assert np.all(np.diff(gains) <= 1e-5)
    # Signs are normalised: the largest-magnitude component of each row is positive.
    rows = np.arange(5)
    assert np.all(directions[rows, np.abs(directions).argmax(axis=1)] > 0)
    np.testing.assert_allclose(principal_directions(-kernel, 5), directions, atol=1e-5)


# --- neighbours ------------------------------------------------------------------------------

def test_neighbours_start_at_z_and_spread_by_radius():
    z = latent_vectors(9, 1, 50)[0]
    cloud = neighbours(z, 200, 0.3, seed=1)
    assert cloud.shape == (200, 50) and cloud.dtype == np.float32
    np.testing.assert_array_equal(cloud[0], z)
    assert abs((cloud[1:] - z).std() - 0.3) < 0.01
    np.testing.assert_array_equal(neighbours(z, 5, 0.3, seed=1), cloud[:5])
    assert not np.array_equal(neighbours(z, 5, 0.3, seed=2), cloud[:5])


# --- bad arguments ---------------------------------------------------------------------------

Z = np.ones(4, np.float32)


@pytest.mark.parametrize("call", [
    lambda: latent_vectors(-1, 2, 4),
    lambda: latent_vectors(0, 0, 4),
    lambda: latent_vectors(0, 2, 0),
    lambda: latent_vectors(1.5, 2, 4),
    lambda: latent_vectors(True, 2, 4),
    lambda: lerp(Z, Z, 1),
    lambda: lerp(Z, np.ones(5), 3),
    lambda: lerp(Z[None], Z[None], 3),
    lambda: lerp(Z, np.array([1, np.nan, 0, 0]), 3),
    lambda: lerp(Z, "abcd", 3),
    lambda: slerp(Z, Z, 0),
    lambda: slerp(Z, np.ones(3), 3),
    lambda: interpolation_path(np.ones((1, 4)), 3),
    lambda: interpolation_path(Z, 3),
    lambda: interpolation_path(np.ones((3, 4)), 1),
    lambda: interpolation_path(np.ones((3, 4)), 3, method="cubic"),
    lambda: principal_directions(np.ones((4, 8)), 5),
    lambda: principal_directions(np.ones((4, 3)), 4),
    lambda: principal_directions(np.ones((4, 8)), 0),
    lambda: principal_directions(np.ones(4), 1),
    lambda: principal_directions(np.full((4, 8), np.inf), 1),
    lambda: neighbours(Z, 0, 0.1, 0),
    lambda: neighbours(Z, 3, -0.1, 0),
    lambda: neighbours(Z, 3, float("nan"), 0),
    lambda: neighbours(Z, 3, 0.1, -1),
    lambda: neighbours(Z[None], 3, 0.1, 0),
])
def test_bad_arguments_raise_config_error(call):
    with pytest.raises(ConfigError, match=r"must|contains"):
        call()


# --- parse_seeds ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, seeds", [
    ("1,2", [1, 2]),                       # the command line's form
    ("3,8,5", [3, 8, 5]),
    ("3, 17, 42", [3, 17, 42]),            # the Interpolation page's form
    ("5, 11 , 2", [5, 11, 2]),
    ("  4 9\t0 ", [4, 9, 0]),              # spaces alone
    ("1;2;;3,", [1, 2, 3]),                # semicolons, doubled and trailing separators
    ("7, 7", [7, 7]),                      # a path may come back to a seed
    ("0, 2147483647", [0, 2**31 - 1]),     # the largest seed of a config and of every page
])
def test_parse_seeds_reads_commas_semicolons_and_spaces_in_order(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text, most, words", [
    ("3, x, 42", None, "'x' is not a seed"),
    ("3, -4", None, "'-4' is not a seed"),
    ("1.5, 2", None, "'1.5' is not a seed"),
    ("1, \u00b2", None, "is not a seed"),   # a superscript two: a digit to str.isdigit
    ("1, \u0663", None, "is not a seed"),   # an Arabic-Indic three: a digit to int()
    ("1, 2147483648", None, "'2147483648' is not a seed"),
    ("1, " + "9" * 5000, None, "'9999999999999999999999999999999999999999…' is not"),
    ("7", None, "at least 2 seeds"),
    ("", None, "at least 2 seeds"),
    ("1,2,3", 2, "at most 2 seeds"),
])
def test_parse_seeds_says_what_to_type(text, most, words):
    with pytest.raises(ConfigError, match=words) as err:
        parse_seeds(text, most)
    assert "e.g. 3, 17, 42" in str(err.value)


@pytest.mark.parametrize("text, seed", [("0", 0), (" 42 ", 42), ("2147483647", 2**31 - 1)])
def test_parse_seed_reads_one_seed(text, seed):
    assert parse_seed(text) == seed


@pytest.mark.parametrize("text", ["", "-1", "1.5", "x", "\u00b2", "\u0663", "2147483648",
                                  "9" * 5000, "1_000", "0x10"])
def test_parse_seed_says_what_to_type_and_never_repeats_a_long_text(text):
    with pytest.raises(ConfigError, match="is not a seed: give a whole number from 0 to "
                                          "2147483647") as err:
        parse_seed(text)
    assert len(str(err.value)) < 120


# --- edits_text and parse_edits ----------------------------------------------------------------

def test_edits_round_trip_bit_for_bit_and_name_only_the_changed_entries():
    seed_z = latent_vectors(11, 1, 64)[0]
    edited = seed_z.copy()
    edited[[3, 40, 63]] = [2.5, np.float32(1) / 3, -0.05]
    text = edits_text(edited, seed_z)
    assert text == "3:2.5,40:0.33333334,63:-0.05"
    np.testing.assert_array_equal(parse_edits(text, seed_z), edited)
    assert edits_text(seed_z, seed_z) == ""
    np.testing.assert_array_equal(parse_edits("", seed_z), seed_z)
    np.testing.assert_array_equal(parse_edits(" 3:2.5 , ", seed_z)[3], np.float32(2.5))


@pytest.mark.parametrize("text", ["x", "3", "64:1", "-1:1", "1:nan", "1:inf", "1:abc", "a:1",
                                  "\u0663:1", "1:\u0662", "1:2_0", "1:1e39", "9" * 5000 + ":1",
                                  "1:" + "9" * 5000])
def test_bad_edits_say_what_to_type(text):
    with pytest.raises(ConfigError, match=r"pc: .* e\.g\. 3:2\.5"):
        parse_edits(text, np.zeros(64, np.float32), name="pc")


def test_edits_of_vectors_of_different_lengths_are_refused():
    with pytest.raises(ConfigError, match="one length"):
        edits_text(np.zeros(3), np.zeros(4))
