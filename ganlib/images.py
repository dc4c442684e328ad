"""Turning image batches into pictures: grids, PNG files and animated GIFs.

Everywhere else in ganlib an image batch is float32 (N, 28, 28, 1) in [-1, 1], the range of
the generator's tanh. This is the one place where it becomes uint8 pixels, so the mapping
(-1 -> 0 black, 1 -> 255 white) is defined once. Pictures are enlarged by repeating pixels
(nearest neighbour), never smoothed: a 28x28 digit on a projector should show its pixels.

Bad arguments raise `ConfigError` with a message saying what is allowed. This module needs
only numpy and Pillow.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganlib.errors import ConfigError
from ganlib.messages import _

# The separator between the images of a grid: mid-grey, distinct from both black
# background and white strokes.
SEPARATOR = 128
# Browsers show a GIF frame delay under 20 ms as 100 ms, so faster animations play slower.
MAX_FPS = 50.0
# A GIF frame delay is a 16-bit count of 1/100 s; keep well inside it.
MAX_HOLD_SECONDS = 600.0
PICTURE_SUFFIXES: tuple[str, ...] = (".png", ".gif")
# What decoding a damaged or hostile picture can raise in Pillow.
_DECODE_ERRORS = (OSError, EOFError, SyntaxError, ValueError, Image.DecompressionBombError)


class PictureError(ValueError):
    """Why a picture from a file cannot be used, worded to follow its name: "is not a PNG
    picture". The caller names the file and says what to do."""


@contextmanager
def open_picture(source: str | Path | IO[bytes], max_side: int,
                 formats: tuple[str, ...] | None = None) -> Iterator[Image.Image]:
    """Open a picture that came from a user, refusing it from its header before any pixel
    is decoded: a 9000x9000 PNG is a few kilobytes of zeros on disk but 81 million pixels
    (seconds of CPU) once decoded. Pillow reads only the header on open; decoding happens
    in the `with` body, whose decoding errors also become PictureError.

    `formats` restricts what is accepted (e.g. ("PNG",)); None accepts what Pillow reads.
    """
    kinds = "/".join(formats) if formats else _("PNG, JPEG, BMP or GIF")
    try:
        picture = Image.open(source, formats=formats)
    except Image.DecompressionBombError:        # Pillow's own, far larger limit
        raise PictureError(_("is far more than the {max_side}x{max_side} pixels allowed").format(
                               max_side=max_side)) from None
    except UnidentifiedImageError:
        # Its message names the stream object ("<_io.BytesIO object at 0x...>"): not for people.
        raise PictureError(_("is not a {kinds} picture").format(kinds=kinds)) from None
    except _DECODE_ERRORS as exc:
        raise PictureError(_("is not a readable {kinds} picture ({reason})").format(
                               kinds=kinds, reason=_brief(exc))) from None
    with picture:
        width, height = picture.size
        if max(width, height) > max_side:
            raise PictureError(_("is {width}x{height} pixels, more than the {max_side}x{max_side} "
                                 "allowed").format(width=width, height=height, max_side=max_side))
        try:
            yield picture
        except _DECODE_ERRORS as exc:
            raise PictureError(_("is a damaged picture ({reason})").format(
                                   reason=_brief(exc))) from None


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Image batch -> (N, H, W) uint8 pixels.

    Float images in [-1, 1] map linearly to 0 .. 255 (-1 -> 0, 0 -> 128, 1 -> 255), rounded
    to the nearest value; values outside [-1, 1] are clipped, and NaN (from a diverged
    generator) shows as black. uint8 images are already pixels and are kept as they are.
    Accepts (N, H, W, 1) or (N, H, W).
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]                                  # (N, H, W, 1) -> (N, H, W)
    if images.ndim != 3:
        raise ConfigError(_("Expected a batch of grey images of shape (N, H, W, 1) or (N, H, W) "
                            "(got shape {shape}); for one image, pass images[None].").format(
                              shape=images.shape))
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise ConfigError(_("Expected float images in [-1, 1] or uint8 pixels (got dtype "
                            "{dtype}).").format(
                              dtype=images.dtype))
    scaled = (np.nan_to_num(images, nan=-1.0) + 1.0) * 127.5     # [-1, 1] -> [0, 255]
    return np.rint(np.clip(scaled, 0.0, 255.0)).astype(np.uint8)


def image_grid(images: np.ndarray, cols: int | None = None, pad: int = 2,
               scale: int = 1) -> np.ndarray:
    """One (H, W) uint8 picture of a batch: `cols` images per row, filled row by row.

    `cols` defaults to a near-square layout, ceil(sqrt(N)). Each image is first enlarged
    `scale` times (every pixel repeated, crisp on a projector); then `pad` picture pixels of
    mid-grey separate neighbouring images (there is no border around the outside). Cells
    left over in the last row are mid-grey too. So for N images of h x w, with
    rows = ceil(N / cols), the picture is
    (rows * h * scale + (rows - 1) * pad, cols * w * scale + (cols - 1) * pad).
    Accepts what `to_uint8` accepts: float [-1, 1] batches or uint8 batches.
    """
    pixels = to_uint8(images)                                    # (N, h, w)
    n = len(pixels)
    if n == 0:
        raise ConfigError(_("There are no images to draw: the batch is empty. Generate or load at "
                            "least one image first."))
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    for name, value, minimum in (("cols", cols, 1), ("pad", pad, 0), ("scale", scale, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ConfigError(_("{name} must be a whole number of at least {minimum} (got "
                                "{value!r}).").format(name=name, minimum=minimum, value=value))
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)  # (N, h * scale, w * scale)
    _count, h, w = pixels.shape
    rows = math.ceil(n / cols)
    picture = np.full((rows * h + (rows - 1) * pad, cols * w + (cols - 1) * pad),
                      SEPARATOR, dtype=np.uint8)
    for i, image in enumerate(pixels):
        top, left = (i // cols) * (h + pad), (i % cols) * (w + pad)
        picture[top: top + h, left: left + w] = image
    return picture


def png_bytes(picture: np.ndarray) -> bytes:
    """The PNG file of one (H, W) grey or (H, W, 3) RGB uint8 picture."""
    buffer = io.BytesIO()
    _as_image(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes(frames: Sequence[np.ndarray], fps: float = 10.0, boomerang: bool = False,
              hold_last: float = 0.0) -> bytes:
    """An animated GIF that loops forever: each frame a (H, W) or (H, W, 3) uint8 picture.

    `fps` frames per second, at most 50 (browsers slow faster GIFs down to 10 fps). GIF
    delays count hundredths of a second, so 1 / fps is rounded to that.
    `boomerang` plays the frames forward then backward without showing the end frames
    twice: frames 0, 1, ..., n-1, n-2, ..., 1, and the loop starts again at 0.
    `hold_last` pauses that many seconds longer on frames[-1] (the turning point of a
    boomerang), so the viewer can take in where the animation arrives.
    Identical consecutive frames are stored as one longer frame (Pillow's encoder does this;
    the animation looks the same).
    """
    pictures = [np.asarray(frame) for frame in frames]
    if not pictures:
        raise ConfigError(_("A GIF needs at least one frame; the sequence of frames is empty."))
    images = [_as_image(picture) for picture in pictures]
    shapes = {picture.shape for picture in pictures}
    if len(shapes) > 1:
        raise ConfigError(_("All frames of a GIF must have the same shape (got {shapes}); draw "
                            "them with the same grid settings.").format(
                              shapes=', '.join(map(str, sorted(shapes)))))
    if (isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating))
            or not 0 < fps <= MAX_FPS):
        raise ConfigError(_("fps must be a number above 0 and at most {max_fps:g} (got {fps!r}); "
                            "browsers slow faster GIFs down.").format(max_fps=MAX_FPS, fps=fps))
    if (isinstance(hold_last, bool)
            or not isinstance(hold_last, (int, float, np.integer, np.floating))
            or not 0 <= hold_last <= MAX_HOLD_SECONDS):
        raise ConfigError(_("hold_last must be a number of seconds from 0 to {max_hold_seconds:g} "
                            "(got {hold_last!r}).").format(
                              max_hold_seconds=MAX_HOLD_SECONDS, hold_last=hold_last))
    frame_ms = 1000.0 / fps
    durations = [frame_ms] * len(images)
    durations[-1] += 1000.0 * hold_last
    if boomerang:
        images += images[-2:0:-1]                                # n-2 .. 1: no repeated ends
        durations += durations[-2:0:-1]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=[round(d) for d in durations], loop=0)
    return buffer.getvalue()


def save_picture(path: str | Path, picture_or_frames: np.ndarray | Sequence[np.ndarray],
                 fps: float = 10.0, *, boomerang: bool = False,
                 hold_last: float = 0.0) -> Path:
    """Write a .png (one picture) or a .gif (a sequence of frames), chosen by the suffix.

    For a .gif, `picture_or_frames` is a list of pictures or an array with frames along its
    first axis, and `fps`, `boomerang` and `hold_last` are passed to `gif_bytes`. Missing
    parent folders are created. Returns the path written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PICTURE_SUFFIXES:
        raise ConfigError(_("Cannot save a picture as {name!r}: the file name must end in "
                            "{suffixes}.").format(
                              name=path.name, suffixes=' or '.join(PICTURE_SUFFIXES)))
    if suffix == ".png":
        if not isinstance(picture_or_frames, np.ndarray):
            raise ConfigError(_("A .png holds one picture (an array); to save a sequence of "
                                "frames, use a file name ending in .gif."))
        data = png_bytes(picture_or_frames)
    else:
        if isinstance(picture_or_frames, np.ndarray) and picture_or_frames.ndim < 3:
            raise ConfigError(_("A .gif holds a sequence of frames; to save one picture, use a "
                                "file name ending in .png."))
        data = gif_bytes(list(picture_or_frames), fps=fps, boomerang=boomerang,
                         hold_last=hold_last)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _as_image(picture: np.ndarray) -> Image.Image:
    """A Pillow image of a (H, W) grey or (H, W, 3) RGB uint8 picture."""
    picture = np.asarray(picture)
    if picture.dtype != np.uint8 or not (
            picture.ndim == 2 or (picture.ndim == 3 and picture.shape[2] == 3)):
        raise ConfigError(_("A picture must be a uint8 array of shape (H, W) or (H, W, 3) (got "
                            "{dtype} of shape {shape}); make one from an image batch with "
                            "image_grid.").format(dtype=picture.dtype, shape=picture.shape))
    if picture.shape[0] == 0 or picture.shape[1] == 0:
        raise ConfigError(_("A picture must have at least one pixel (got shape {shape}).").format(
                              shape=picture.shape))
    return Image.fromarray(picture)                              # uint8: "L" or "RGB"
