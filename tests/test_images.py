"""ganlib.images: uint8 conversion, grids, PNG and GIF encoding, saving."""

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from ganlib.errors import ConfigError
from ganlib.images import SEPARATOR, gif_bytes, image_grid, png_bytes, save_picture, to_uint8


def batch(n: int, h: int = 28, w: int = 28) -> np.ndarray:
    """n float images in [-1, 1], each a different constant grey."""
    values = np.linspace(-1, 1, n, dtype=np.float32)
    return np.broadcast_to(values[:, None, None, None], (n, h, w, 1)).copy()


def frames_of(data: bytes) -> list[Image.Image]:
    return [frame.copy() for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


# --- to_uint8 -------------------------------------------------------------------------------

def test_to_uint8_maps_tanh_range_to_pixels_and_clips():
    images = np.array([-1.0, 1.0, 0.0, -3.0, 2.0, 0.5, np.nan], np.float32).reshape(1, 1, 7, 1)
    pixels = to_uint8(images)
    assert pixels.shape == (1, 1, 7) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[0, 0], [0, 255, 128, 0, 255, 191, 0])


def test_to_uint8_accepts_channel_free_floats_and_keeps_uint8():
    assert to_uint8(np.zeros((2, 5, 6))).shape == (2, 5, 6)
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 3, 4, 1)
    np.testing.assert_array_equal(to_uint8(pixels), pixels[..., 0])


# --- image_grid -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, cols, pad, scale, shape", [
    (16, None, 2, 1, (4 * 28 + 3 * 2, 4 * 28 + 3 * 2)),
    (10, None, 2, 1, (3 * 28 + 2 * 2, 4 * 28 + 3 * 2)),     # near-square: 4 columns, 3 rows
    (10, 5, 0, 1, (2 * 28, 5 * 28)),
    (3, 8, 1, 2, (56, 8 * 56 + 7)),                          # cols wider than the batch
    (1, None, 4, 3, (84, 84)),
])
def test_grid_shape_arithmetic(n, cols, pad, scale, shape):
    picture = image_grid(batch(n), cols=cols, pad=pad, scale=scale)
    assert picture.shape == shape and picture.dtype == np.uint8


def test_grid_places_images_row_by_row_with_grey_separators():
    images = batch(5, 3, 2)                                  # greys 0, 64, 128, 191, 255
    picture = image_grid(images, cols=3, pad=1, scale=2)    # cells of 6 x 4, 1-pixel gaps
    assert picture.shape == (2 * 6 + 1, 3 * 4 + 2)
    expected = to_uint8(images)[:, 0, 0]
    for i, value in enumerate(expected):
        top, left = (i // 3) * 7, (i % 3) * 5
        assert np.all(picture[top: top + 6, left: left + 4] == value)
    assert np.all(picture[6, :] == SEPARATOR) and np.all(picture[:, 4] == SEPARATOR)
    assert np.all(picture[7:, 10:] == SEPARATOR)            # the empty last cell


def test_grid_accepts_uint8_batches():
    pixels = np.full((4, 2, 2), 7, np.uint8)
    assert np.all(image_grid(pixels, cols=4, pad=0) == 7)


# --- PNG and GIF ----------------------------------------------------------------------------

def test_png_decodes_to_the_same_pixels():
    picture = image_grid(batch(6), cols=3, scale=2)
    decoded = Image.open(io.BytesIO(png_bytes(picture)))
    assert decoded.format == "PNG" and decoded.size == (picture.shape[1], picture.shape[0])
    np.testing.assert_array_equal(np.asarray(decoded), picture)
    rgb = np.zeros((4, 5, 3), np.uint8)
    assert Image.open(io.BytesIO(png_bytes(rgb))).mode == "RGB"


def distinct_frames(n: int) -> list[np.ndarray]:
    return [np.full((6, 8), 20 * i, np.uint8) for i in range(n)]


def test_gif_has_every_frame_loops_and_keeps_pixels():
    frames = distinct_frames(5)
    decoded = Image.open(io.BytesIO(gif_bytes(frames, fps=20)))
    assert decoded.format == "GIF" and decoded.size == (8, 6)
    assert decoded.n_frames == 5 and decoded.info["loop"] == 0
    for i, frame in enumerate(frames_of(gif_bytes(frames, fps=20))):
        np.testing.assert_array_equal(np.asarray(frame.convert("L")), frames[i])
        assert frame.info["duration"] == 50


@pytest.mark.parametrize("n, expected", [(1, 1), (2, 2), (5, 8)])
def test_gif_boomerang_plays_back_without_repeated_ends(n, expected):
    frames = distinct_frames(n)
    decoded = frames_of(gif_bytes(frames, boomerang=True))
    assert len(decoded) == expected
    order = [int(np.asarray(f.convert("L"))[0, 0]) // 20 for f in decoded]
    assert order == (list(range(n)) + list(range(n - 2, 0, -1)))[:expected]


def test_gif_hold_last_pauses_on_the_final_frame():
    durations = [f.info["duration"] for f in frames_of(gif_bytes(distinct_frames(3), fps=10,
                                                                  hold_last=1.5))]
    assert durations == [100, 100, 1600]
    boomerang = gif_bytes(distinct_frames(3), fps=10, boomerang=True, hold_last=1.0)
    assert [f.info["duration"] for f in frames_of(boomerang)] == [100, 100, 1100, 100]


def test_save_picture_writes_png_or_gif_by_suffix(tmp_path):
    picture = image_grid(batch(4))
    png = save_picture(tmp_path / "out" / "grid.PNG", picture)
    assert png.exists() and Image.open(png).format == "PNG"
    gif = save_picture(tmp_path / "walk.gif", np.stack(distinct_frames(4)), fps=5)
    with Image.open(gif) as decoded:
        assert decoded.format == "GIF" and decoded.n_frames == 4
        assert decoded.info["duration"] == 200


# --- bad arguments ---------------------------------------------------------------------------

PICTURE = np.zeros((4, 4), np.uint8)


@pytest.mark.parametrize("call", [
    lambda: to_uint8(np.zeros((28, 28))),
    lambda: to_uint8(np.zeros((2, 28, 28, 3))),
    lambda: to_uint8(np.zeros((2, 28, 28), np.int64)),
    lambda: image_grid(np.zeros((0, 28, 28, 1))),
    lambda: image_grid(batch(4), cols=0),
    lambda: image_grid(batch(4), pad=-1),
    lambda: image_grid(batch(4), scale=0),
    lambda: image_grid(batch(4), scale=1.5),
    lambda: png_bytes(np.zeros((4, 4))),
    lambda: png_bytes(np.zeros((4, 4, 2), np.uint8)),
    lambda: png_bytes(np.zeros((0, 4), np.uint8)),
    lambda: gif_bytes([]),
    lambda: gif_bytes([PICTURE, np.zeros((4, 5), np.uint8)]),
    lambda: gif_bytes([PICTURE], fps=0),
    lambda: gif_bytes([PICTURE], fps=60),
    lambda: gif_bytes([PICTURE], hold_last=-1),
    lambda: save_picture("grid.jpg", PICTURE),
    lambda: save_picture("grid.png", [PICTURE, PICTURE]),
    lambda: save_picture("walk.gif", PICTURE),
])
def test_bad_arguments_raise_config_error(call):
    with pytest.raises(ConfigError):
        call()


def test_bad_suffix_message_names_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"\.png or \.gif"):
        save_picture("grid.jpg", PICTURE)
