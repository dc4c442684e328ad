"""ganlib.data: every source loads to (N, 28, 28, 1) float32 in [-1, 1], or fails clearly."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import re
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganlib import data, settings
from ganlib.data import BUNDLED_MNIST, DataSource, load_dataset
from ganlib.errors import DataError

# Per-class counts of the bundled file, from ganlib/assets/README.md.
BUNDLED_COUNTS = {0: 1001, 1: 1127, 2: 991, 3: 1032, 4: 980, 5: 863, 6: 1014, 7: 1070,
                  8: 944, 9: 978}


@pytest.fixture(autouse=True)
def fresh_cache():
    data.clear_cache()
    yield
    data.clear_cache()


def strokes(n: int, background: int = 0, ink: int = 255, size: tuple[int, int] = (28, 28),
            seed: int = 0) -> np.ndarray:
    """(n, H, W) uint8 pictures: a background with one random filled rectangle of ink."""
    rng = np.random.default_rng(seed)
    h, w = size
    x = np.full((n, h, w), background, dtype=np.uint8)
    for i in range(n):
        top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
        x[i, top:top + h // 3, left:left + w // 3] = ink
    return x


def labelled(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    return strokes(n), (np.arange(n) % 10).astype(np.uint8)


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if gz else payload)


def write_pngs(folder: Path, pictures: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, picture in enumerate(pictures):
        Image.fromarray(picture, mode="L").save(folder / f"img{i:03d}.png")


def png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def raises(match: str, source: str, digits=()) -> DataError:
    with pytest.raises(DataError, match=match) as info:
        load_dataset(source, digits)
    return info.value


# --- the bundled digits --------------------------------------------------------------------

def test_bundled_digits_load_as_tanh_range_images_with_readme_counts():
    dataset = load_dataset()
    assert dataset.name == "mnist-10k" and dataset.notice is None
    assert dataset.images.shape == (10000, 28, 28, 1) and dataset.images.dtype == np.float32
    assert dataset.images.min() == -1.0 and dataset.images.max() == 1.0
    assert dataset.labels.shape == (10000,) and dataset.labels.dtype == np.int64
    assert dataset.num_images == 10000
    assert dataset.class_counts() == BUNDLED_COUNTS
    assert dataset.class_names == tuple("0123456789")
    # Same pixels as the file: x / 127.5 - 1.
    with np.load(BUNDLED_MNIST, allow_pickle=False) as raw:
        np.testing.assert_allclose(dataset.images[:5, :, :, 0], raw["x"][:5] / 127.5 - 1,
                                   atol=1e-6)


def test_digit_filter_keeps_only_those_classes():
    sevens = load_dataset("mnist-10k", [7])
    assert sevens.num_images == 1070 and set(sevens.labels) == {7}
    pair = load_dataset("mnist-10k", (1, 0))
    assert pair.class_counts() == {0: 1001, 1: 1127}
    assert pair.images.shape == (2128, 28, 28, 1)
    # Order and repeats do not matter: the request is normalised before the cache.
    assert load_dataset("mnist-10k", [0, 1, 0]) is pair


def test_arrays_are_read_only():
    for dataset in (load_dataset(), load_dataset("mnist-10k", [3])):
        with pytest.raises(ValueError):
            dataset.images[0, 0, 0, 0] = 0.5
        with pytest.raises(ValueError):
            dataset.labels[0] = 9
    assert load_dataset().images[0, 0, 0, 0] == -1.0


def test_loading_is_cached_until_cleared():
    first = load_dataset("mnist-10k")
    assert load_dataset(" mnist-10k ") is first
    data.clear_cache()
    assert load_dataset("mnist-10k") is not first


def test_data_sources_offer_the_bundled_set_first():
    sources = data.data_sources()
    assert sources[0] == DataSource("mnist-10k", "MNIST, 10,000 bundled digits (offline)")
    assert {"mnist", "fashion-mnist"} <= {s.source for s in sources}
    for entry in sources:
        assert entry.label


# --- Keras downloads (never touching the network) -----------------------------------------

def test_full_mnist_falls_back_to_bundled_digits_offline(monkeypatch):
    keras = pytest.importorskip("keras")

    def offline():
        raise OSError("no route to host")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    dataset = load_dataset("mnist")
    assert dataset.name == "mnist-10k" and dataset.num_images == 10000
    assert "Full MNIST could not be downloaded" in dataset.notice
    assert "no route to host" in dataset.notice and "bundled" in dataset.notice
    sevens = load_dataset("mnist", [7])
    assert sevens.num_images == 1070 and sevens.notice == dataset.notice


def test_full_mnist_uses_keras_when_it_answers(monkeypatch):
    keras = pytest.importorskip("keras")
    x, y = labelled(150)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y), (x[:10], y[:10])))
    dataset = load_dataset("mnist")
    assert dataset.name == "mnist" and dataset.notice is None and dataset.num_images == 150
    np.testing.assert_array_equal(dataset.labels, y)


def test_fashion_mnist_falls_back_to_debian_idx_then_bundled(monkeypatch, tmp_path):
    keras = pytest.importorskip("keras")

    def offline():
        raise OSError("offline")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    fallback = load_dataset("fashion-mnist")
    assert fallback.name == "mnist-10k"
    assert "Fashion-MNIST could not be downloaded" in fallback.notice
    assert "dataset-fashion-mnist" in fallback.notice

    debian = tmp_path / "fashion-mnist"
    debian.mkdir()
    x, y = labelled(130)
    write_idx(debian / "train-images-idx3-ubyte.gz", x, gz=True)
    write_idx(debian / "train-labels-idx1-ubyte.gz", y, gz=True)
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", debian)
    data.clear_cache()
    fashion = load_dataset("fashion-mnist")
    assert fashion.name == "fashion-mnist" and fashion.num_images == 130
    assert fashion.class_names[0] == "T-shirt/top" and fashion.notice is None
    menu_entry = data.data_sources()[-1]
    assert menu_entry.source == f"idx:{debian}" and "Debian" in menu_entry.label


# --- IDX folders -----------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_round_trip(tmp_path, gz):
    x, y = labelled(120)
    suffix = ".gz" if gz else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", x, gz)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", y, gz)
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", x[:5], gz)  # test split: ignored
    for source in (f"idx:{tmp_path}", str(tmp_path)):
        dataset = load_dataset(source)
        assert dataset.num_images == 120 and dataset.name == tmp_path.name
        np.testing.assert_allclose(dataset.images[..., 0], x / 127.5 - 1, atol=1e-6)
        np.testing.assert_array_equal(dataset.labels, y)
        assert dataset.class_names == tuple("0123456789")


def test_corrupt_idx_files_are_refused(tmp_path):
    x, y = labelled(120)
    write_idx(tmp_path / "train-images-idx3-ubyte", x)
    write_idx(tmp_path / "train-labels-idx1-ubyte", y[:-1])
    raises("labels of shape", str(tmp_path))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        (tmp_path / "train-images-idx3-ubyte").read_bytes()[:-10])
    raises("truncated", str(tmp_path))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"PK\x03\x04 not idx")
    raises("not an IDX file", f"idx:{tmp_path}")
    raises("IDX folder not found", f"idx:{tmp_path / 'nowhere'}")


# --- .npz files ------------------------------------------------------------------------------

def test_npz_variants(tmp_path):
    x, y = labelled(120)
    np.savez(tmp_path / "plain.npz", x=x, y=y)
    np.savez(tmp_path / "unit.npz", images=(x / 255.0)[..., None], labels=y.astype(np.int32))
    np.savez(tmp_path / "tanh.npz", x=(x / 127.5 - 1).astype(np.float32))
    expected = x[..., None] / 127.5 - 1
    for name in ("plain.npz", "unit.npz", "tanh.npz"):
        dataset = load_dataset(str(tmp_path / name))
        assert dataset.name == name and dataset.images.shape == (120, 28, 28, 1)
        assert dataset.images.dtype == np.float32
        np.testing.assert_allclose(dataset.images, expected, atol=1e-6)
    assert load_dataset(str(tmp_path / "unit.npz")).class_counts() == {d: 12 for d in range(10)}
    unlabelled = load_dataset(str(tmp_path / "tanh.npz"))
    assert unlabelled.labels is None and unlabelled.class_names == () and \
        unlabelled.class_counts() == {}


def test_an_edited_npz_is_read_again(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, x=strokes(120))
    first = load_dataset(str(path))
    assert load_dataset(str(path)) is first
    np.savez(path, x=strokes(140))
    later = path.stat().st_mtime_ns + 10**9  # a coarse file-system clock must still see it
    os.utime(path, ns=(later, later))
    assert load_dataset(str(path)).num_images == 140


@pytest.mark.parametrize("arrays, match", [
    (dict(x=strokes(120, size=(32, 32))), "shape"),
    (dict(x=strokes(120)[:, None]), "shape"),
    (dict(x=strokes(99)), "at least 100"),
    (dict(x=strokes(120).astype(bool)), "dtype"),
    (dict(x=strokes(120).astype(np.complex64)), "dtype"),
    (dict(x=np.full((120, 28, 28), 300, dtype=np.int16)), "0..255"),
    (dict(x=np.where(strokes(120) > 0, np.nan, 0.0)), "NaN"),
    (dict(x=strokes(120).astype(np.float32)), r"\[0, 1\] or \[-1, 1\]"),
    (dict(x=strokes(120), y=np.zeros(119, dtype=np.uint8)), "one label per image"),
    (dict(x=strokes(120), y=np.full(120, 10)), "from 0 to 9"),
    (dict(x=strokes(120), y=np.full(120, 0.5)), "whole numbers"),
    (dict(pixels=strokes(120)), "no array named 'x' or 'images'"),
])
def test_bad_npz_contents_are_refused(tmp_path, arrays, match):
    np.savez(tmp_path / "bad.npz", **arrays)
    raises(match, str(tmp_path / "bad.npz"))


def test_pickled_npz_is_refused(tmp_path):
    np.savez(tmp_path / "pickled.npz", x=np.array([{"evil": 1}] * 120, dtype=object))
    error = raises("pickle", str(tmp_path / "pickled.npz"))
    assert "arbitrary code" in str(error)
    # A whole file that is a pickle, not an archive, is refused the same way.
    (tmp_path / "whole.npz").write_bytes(pickle.dumps({"x": strokes(120)}))
    raises("pickled .* refused", str(tmp_path / "whole.npz"))


def test_unreadable_files_are_refused(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"this is not a zip archive")
    raises("Cannot read junk.npz", str(tmp_path / "junk.npz"))
    (tmp_path / "empty.npz").write_bytes(b"")
    raises("Cannot read empty.npz", str(tmp_path / "empty.npz"))
    (tmp_path / "notes.txt").write_text("hello")
    raises(r"\.npz file, a \.zip", str(tmp_path / "notes.txt"))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    raises("Zip the images again", str(tmp_path / "junk.zip"))
    raises("not found", str(tmp_path / "missing.npz"))


def test_unknown_source_lists_what_is_accepted():
    error = raises("Unknown data source 'mnist10k'", "mnist10k")
    for accepted in ("mnist-10k", "fashion-mnist", "idx:", ".npz", ".zip"):
        assert accepted in str(error)
    raises("empty", "  ")


# --- image folders and zips ---------------------------------------------------------------

def test_image_folder_loads_without_labels(tmp_path):
    pictures = strokes(110, size=(40, 30))  # resized to 28x28
    write_pngs(tmp_path / "mine", pictures)
    (tmp_path / "mine" / "README.txt").write_text("not an image: skipped")
    dataset = load_dataset(str(tmp_path / "mine"))
    assert dataset.name == "mine" and dataset.num_images == 110
    assert dataset.images.shape == (110, 28, 28, 1) and dataset.labels is None
    assert dataset.class_names == () and dataset.notice is None
    assert dataset.images.min() == -1.0 and dataset.images.max() > 0.9
    raises("no labels", str(tmp_path / "mine"), [3])


def test_bright_images_are_inverted_to_white_on_black(tmp_path):
    write_pngs(tmp_path / "scans", strokes(100, background=255, ink=0))
    dataset = load_dataset(str(tmp_path / "scans"))
    assert "inverted" in dataset.notice
    # The background is now black (-1), as in MNIST.
    assert np.median(dataset.images) == -1.0


def test_zip_of_images(tmp_path):
    path = tmp_path / "digits.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i, picture in enumerate(strokes(105)):
            archive.writestr(f"digits/{i:03d}.png", png(picture))
        archive.writestr("__MACOSX/digits/._000.png", b"resource fork, skipped")
    dataset = load_dataset(str(path))
    assert dataset.name == "digits.zip" and dataset.num_images == 105 and dataset.labels is None
    np.testing.assert_allclose(dataset.images[..., 0], strokes(105) / 127.5 - 1, atol=1e-6)


@pytest.mark.parametrize("entry, why", [
    ("../escape.png", "climbs out with '..'"), ("/abs/escape.png", "an absolute path"),
    ("a/../../b.png", "climbs out with '..'"), ("C:/escape.png", "a drive letter"),
    ("..\\escape.png", "a backslash"),
])
def test_zip_with_escaping_entries_is_refused(tmp_path, entry, why):
    """The rule of ganlib.archives, which checkpoint uploads follow too."""
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i, picture in enumerate(strokes(100)):
            archive.writestr(f"{i:03d}.png", png(picture))
        archive.writestr(zipfile.ZipInfo(entry), png(strokes(1)[0]))
    raises(f"evil.zip is refused: .*{re.escape(why)}.*Zip the images again", str(path))


def test_zip_too_large_is_refused_before_unpacking(tmp_path, monkeypatch):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(3 * 2**20))
    monkeypatch.setattr(data, "MAX_ZIP_BYTES", 2 * 2**20)
    raises("unpacks to 3 MB, more than the 2 MB allowed", str(path))


def test_too_few_or_broken_images_are_refused(tmp_path):
    write_pngs(tmp_path / "few", strokes(99))
    raises("holds 99 images.*at least 100 are needed", str(tmp_path / "few"))
    write_pngs(tmp_path / "broken", strokes(100))
    (tmp_path / "broken" / "img050.png").write_bytes(b"not a png")
    raises("img050.png is not a readable image", str(tmp_path / "broken"))


# --- the class filter ----------------------------------------------------------------------

def test_bad_class_filters_are_refused(tmp_path):
    raises(r"Unknown class label\(s\) \[12\]", "mnist-10k", [12])
    raises("whole numbers from 0 to 9", "mnist-10k", [True])
    raises("list of class labels", "mnist-10k", "7")
    x = strokes(200)
    y = np.where(np.arange(200) < 150, 1, 2).astype(np.uint8)
    np.savez(tmp_path / "two.npz", x=x, y=y)
    raises(r"no images of class\(es\) \[5\]. Classes present: \[1, 2\]", str(tmp_path / "two.npz"),
           [5])
    raises("Only 50 images", str(tmp_path / "two.npz"), [2])
    assert load_dataset(str(tmp_path / "two.npz"), [1]).num_images == 150


# --- hardening: paths from the browser, messages, cost bounds (issue 13) -------------------

def test_browser_paths_must_lie_inside_the_allowed_folders(tmp_path):
    allowed = tmp_path / "allowed"
    write_pngs(allowed / "mine", strokes(100))
    (tmp_path / "secret").mkdir()
    (allowed / "link").symlink_to(tmp_path / "secret")
    roots = [allowed]
    assert load_dataset(str(allowed / "mine"), allowed_roots=roots).num_images == 100
    assert load_dataset("mnist-10k", allowed_roots=roots).name == "mnist-10k"
    refusals = set()
    for path in ("/", "/root", "/usr/share", "/etc/passwd", str(tmp_path / "secret"),
                 str(tmp_path / "no-such-folder"), str(allowed / "link"),
                 str(allowed / ".." / "secret"), f"idx:{tmp_path / 'secret'}", "~", "x\0y"):
        with pytest.raises(DataError, match="Only files and folders inside") as err:
            load_dataset(path, allowed_roots=roots)
        refusals.add(str(err.value))
    assert len(refusals) == 1                       # existing or not: the same words
    with pytest.raises(DataError, match="takes no data files from the browser"):
        load_dataset(str(allowed / "mine"), allowed_roots=[])


def test_allowed_folders_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GANLIB_DATA_DIRS", raising=False)
    assert data.allowed_data_roots() == (Path(__file__).resolve().parents[1] / "data",)
    monkeypatch.setenv("GANLIB_DATA_DIRS", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    settings.reset()
    assert data.allowed_data_roots() == (tmp_path / "a", tmp_path / "b")
    monkeypatch.setenv("GANLIB_DATA_DIRS", "")
    settings.reset()
    assert data.allowed_data_roots() == ()


def test_a_huge_folder_is_refused_after_a_bounded_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_SCANNED_FILES", 50)
    for i in range(60):
        (tmp_path / f"f{i}.txt").write_text("x")
    raises("holds more than 50 files: it is not a dataset", str(tmp_path))


def test_an_unreadable_folder_is_a_message(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    write_pngs(tmp_path / "mine" / "locked", strokes(100))
    os.chmod(tmp_path / "mine" / "locked", 0)
    try:
        raises("Cannot read", str(tmp_path / "mine"))
    finally:
        os.chmod(tmp_path / "mine" / "locked", 0o755)


def test_random_bytes_npz_does_not_quote_numpys_pickle_advice(tmp_path):
    (tmp_path / "noise.npz").write_bytes(np.random.default_rng(0).bytes(4000))
    error = raises("Cannot read noise.npz as a .npz file", str(tmp_path / "noise.npz"))
    assert "allow_pickle" not in str(error) and "pickled" not in str(error)
    with zipfile.ZipFile(tmp_path / "members.npz", "w") as archive:
        archive.writestr("x.npy", np.random.default_rng(1).bytes(4000))
    raises(r"\(x is not a numpy array\)", str(tmp_path / "members.npz"))


def test_a_zip_of_non_images_names_the_entry(tmp_path):
    path = tmp_path / "texts.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(100):
            archive.writestr(f"{i:03d}.png", b"hello, not a picture")
    error = raises(r"texts.zip:000.png is not a readable image: it is not a PNG, JPEG",
                   str(path))
    assert "BytesIO" not in str(error) and "0x" not in str(error)


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG of zeros of width x height, as a decompression bomb sends it."""
    import zlib
    row = b"\0" * (width + 1)
    body = zlib.compress(row * height, 9)
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                             8, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_huge_pictures_are_refused_from_their_header_quickly(tmp_path):
    """The issue's 100 PNGs of 9000x9000 in a 7.9 MB zip took 47 s of CPU to load."""
    bomb = png_claiming(9000, 9000)
    path = tmp_path / "bombs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(100):
            archive.writestr(f"{i:03d}.png", bomb)
    start = time.process_time()
    raises("000.png is not a readable image: it is 9000x9000 pixels, more than the "
           "4096x4096 allowed", str(path))
    assert time.process_time() - start < 1.0


def test_the_pixels_of_all_pictures_are_bounded(tmp_path, monkeypatch):
    write_pngs(tmp_path / "mine", strokes(100, size=(40, 40)))
    monkeypatch.setattr(data, "MAX_TOTAL_PIXELS", 99 * 40 * 40)
    raises("hold more than 158,400 pixels in all", str(tmp_path / "mine"))


def test_a_large_entry_is_refused_from_its_declared_size_without_reading_it(tmp_path,
                                                                             monkeypatch):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, picture in enumerate(strokes(100)):
            archive.writestr(f"{i:03d}.png", png(picture))
        archive.writestr("huge.png", bytes(20 * 2**20))
    read = []
    original = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: read.append(name) or original(
                            self, name, *a, **k))
    raises("huge.png is 20 MB, more than the 16 MB one picture may have", str(path))
    assert read == []                               # refused before reading any entry
