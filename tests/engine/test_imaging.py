"""Any picture to a 28x28 Fashion-MNIST-style image: light item on black, longest side 28, centred."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
import torch
from tests.pictures import save_picture

from PIL import Image, ImageFile

from fmnist_gui import imaging
from fmnist_gui.imaging import ImageError, load_as_fashion_mnist, read_grayscale, to_fashion_mnist


def picture(height: int, width: int, background: int, item: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """A flat `item` rectangle (top, left, bottom, right) on a flat background, uint8."""
    image = np.full((height, width), background, dtype=np.uint8)
    top, left, bottom, right = box
    image[top:bottom, left:right] = item
    return image


def lit(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns that hold any lit pixel."""
    return np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))


def centre(image: np.ndarray) -> tuple[float, float]:
    weights = image.astype(np.float64)
    rows, cols = np.indices(image.shape)
    return float((rows * weights).sum() / weights.sum()), float((cols * weights).sum() / weights.sum())


def test_a_dark_item_on_a_light_background_is_inverted_fitted_and_centred():
    # a 60x30 dark coat, off-centre in a 100x60 product photo
    photo = picture(100, 60, background=240, item=30, box=(10, 5, 70, 35))
    result = to_fashion_mnist(photo)
    assert result.shape == (28, 28) and result.dtype == np.uint8
    rows, cols = lit(result)
    assert (rows[0], rows[-1]) == (0, 27)  # the longest side fills the frame
    assert (cols[0], cols[-1]) == (7, 20)  # 14 wide: 30/60 of 28, centred
    assert result[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].min() == 255  # light item …
    assert result[:, :7].max() == 0 and result[:, 21:].max() == 0  # … on black
    assert centre(result) == pytest.approx((13.5, 13.5))


def test_a_light_item_on_black_is_kept_as_it_is():
    image = np.zeros((28, 28), dtype=np.uint8)
    rng = np.random.default_rng(0)
    image[:, 4:24] = rng.integers(60, 256, size=(28, 20))
    image[0, 4] = 255  # the brightest pixel stays 255, so no rescaling happens
    assert np.array_equal(to_fashion_mnist(image), image)


def test_a_wide_item_keeps_its_aspect_ratio():
    # 240 wide and 60 tall (4:1) in a 300x400 picture: 28 wide, 7 tall, centred vertically
    result = to_fashion_mnist(picture(300, 400, background=0, item=200, box=(50, 100, 110, 340)))
    rows, cols = lit(result)
    assert (cols[0], cols[-1]) == (0, 27)
    assert (rows[0], rows[-1]) == (10, 16)
    assert centre(result)[0] == pytest.approx(13.0)


def test_a_small_item_is_enlarged_to_fill_the_frame():
    result = to_fashion_mnist(picture(200, 200, background=255, item=0, box=(90, 95, 110, 105)))
    rows, cols = lit(result)
    assert (rows[0], rows[-1]) == (0, 27) and (cols[0], cols[-1]) == (7, 20)


@pytest.mark.parametrize("value", [0, 255, 128])
def test_a_blank_picture_gives_a_black_image(value):
    result = to_fashion_mnist(np.full((50, 70), value, dtype=np.uint8))
    assert result.shape == (28, 28) and result.dtype == np.uint8 and result.max() == 0


def test_a_picture_without_pixels_is_an_image_error():
    with pytest.raises(ImageError, match="no pixels"):
        to_fashion_mnist(np.zeros((0, 10), dtype=np.uint8))


# reading files


def coloured(height: int, width: int) -> torch.Tensor:
    """(3, H, W) uint8: a pure green item on a white background."""
    image = torch.full((3, height, width), 255, dtype=torch.uint8)
    image[:, height // 4 : -height // 4, width // 4 : -width // 4] = torch.tensor([0, 200, 0], dtype=torch.uint8)[:, None, None]
    return image


@pytest.mark.parametrize(("height", "width"), [(100, 60), (28, 28), (7, 300)])
def test_read_grayscale_reads_a_png_of_any_size(tmp_path, height, width):
    path = tmp_path / "item.png"
    save_picture(coloured(height, width), path)
    gray = read_grayscale(path)
    assert gray.shape == (height, width) and gray.dtype == np.uint8
    assert gray[0, 0] == 255
    assert 100 < gray[height // 2, width // 2] < 130  # the green's luminance, not one channel


def test_read_grayscale_reads_a_grayscale_png(tmp_path):
    path = tmp_path / "gray.png"
    image = torch.arange(0, 250, 10, dtype=torch.uint8).reshape(1, 5, 5)
    save_picture(image, path)
    assert np.array_equal(read_grayscale(path), image[0].numpy())


def test_read_grayscale_reads_a_jpeg(tmp_path):
    path = tmp_path / "photo.jpeg"
    save_picture(coloured(120, 90), path, quality=95)
    gray = read_grayscale(path)
    assert gray.shape == (120, 90) and gray.dtype == np.uint8
    assert gray[0, 0] > 245 and 100 < gray[60, 45] < 135


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_gif_and_webp_come_out_as_gray_luminance(tmp_path, fmt):
    """These decoders ignore the grayscale mode; a green item must not vanish into the red channel."""
    Image = pytest.importorskip("PIL.Image")
    rgb = np.zeros((40, 30, 3), dtype=np.uint8)
    rgb[10:30, 5:25] = (0, 200, 0)
    path = tmp_path / f"item.{fmt.lower()}"
    Image.fromarray(rgb).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    gray = read_grayscale(path)
    assert gray.shape == (40, 30) and gray.dtype == np.uint8
    assert gray[0, 0] < 5 and 100 < gray[20, 15] < 130


def test_a_16_bit_png_is_scaled_to_8_bits(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    deep = np.zeros((20, 20), dtype=np.uint16)
    deep[5:15, 5:15] = 65535
    deep[0, 0] = 257 * 100
    path = tmp_path / "deep.png"
    buffer = io.BytesIO()
    Image.fromarray(deep).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    gray = read_grayscale(path)
    assert gray.dtype == np.uint8 and gray[10, 10] == 255 and gray[0, 0] == 100 and gray[1, 1] == 0


def test_load_as_fashion_mnist_on_a_product_photo(tmp_path):
    path = tmp_path / "product.jpg"
    photo = torch.full((3, 100, 60), 250, dtype=torch.uint8)
    photo[:, 20:80, 15:45] = 20  # a dark item, 60 tall and 30 wide
    save_picture(photo, path, quality=95)
    result = load_as_fashion_mnist(path)
    assert result.shape == (28, 28) and result.dtype == np.uint8
    assert result[14, 14] > 200 and result[:, :5].max() < 30 and result[:, -5:].max() < 30


def test_a_non_image_file_is_an_image_error(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("a shopping list, not a picture\n")
    with pytest.raises(ImageError, match=r"^notes\.png is not an image this app can read \(PNG, JPEG, GIF or WebP\)\.$"):
        read_grayscale(path)


def test_random_bytes_are_an_image_error(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(0).bytes(2048))
    with pytest.raises(ImageError, match="noise.jpg is not an image"):
        read_grayscale(path)


def test_a_truncated_png_is_an_image_error(tmp_path):
    path = tmp_path / "cut.png"
    save_picture(coloured(50, 50), path)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ImageError, match="cut.png is not an image"):
        read_grayscale(path)


def test_an_empty_file_is_an_image_error(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"^empty\.png is empty: it is not an image\.$"):
        read_grayscale(path)


def test_a_folder_is_an_image_error(tmp_path):
    folder = tmp_path / "shoes.png"
    folder.mkdir()
    with pytest.raises(ImageError, match=r"^shoes\.png is a folder, not an image file\.$"):
        read_grayscale(folder)


def test_a_missing_file_is_an_image_error(tmp_path):
    with pytest.raises(ImageError, match=r"gone\.png does not exist"):
        read_grayscale(tmp_path / "gone.png")


def test_a_transparent_background_counts_as_white(tmp_path):
    rgba = np.zeros((60, 40, 4), dtype=np.uint8)  # fully transparent
    rgba[10:50, 10:30] = (30, 30, 30, 255)  # an opaque dark item
    path = save_picture(np.moveaxis(rgba, -1, 0), tmp_path / "cutout.png")
    gray = read_grayscale(path)
    assert gray[0, 0] == 255 and gray[30, 20] == 30
    fitted = load_as_fashion_mnist(path)
    assert fitted[14, 14] > 200 and fitted[0, 0] == 0  # light item on black, as in the data set


def png_declaring(path, width: int, height: int):
    """A tiny valid PNG whose header claims `width` x `height` pixels (the pixel data stays 1x1)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    raw = bytearray(buffer.getvalue())
    assert raw[12:16] == b"IHDR"
    raw[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    raw[29:33] = zlib.crc32(bytes(raw[12:29])).to_bytes(4, "big")  # the chunk's CRC over its type and data
    path.write_bytes(bytes(raw))
    return path


def test_a_header_declaring_a_huge_picture_is_one_line(tmp_path, recwarn):
    bomb = png_declaring(tmp_path / "bomb.png", 40_000, 40_000)
    with pytest.raises(ImageError) as caught:
        read_grayscale(bomb)
    assert str(caught.value) == "bomb.png is too large: more than 40 million pixels."
    assert not recwarn.list  # Pillow's DecompressionBombWarning is not passed on


def test_a_picture_over_the_app_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    big = png_declaring(tmp_path / "big.png", 8000, 6000)  # 48 Mpx: below Pillow's limits, above ours
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))
    with pytest.raises(ImageError, match=r"^big.png is 8000x6000 pixels, more than the 40 million this app opens\.$"):
        read_grayscale(big)


def test_a_jpeg_is_decoded_at_a_reduced_scale(tmp_path, monkeypatch):
    photo = tmp_path / "photo.jpg"
    save_picture(picture(1600, 2000, background=230, item=30, box=(400, 500, 1200, 1500)), photo)
    decoded = []
    original = imaging.luminance
    monkeypatch.setattr(imaging, "luminance", lambda image: decoded.append(image.size) or original(image))
    result = load_as_fashion_mnist(photo)
    assert decoded == [(1000, 800)]  # half scale: the smallest JPEG scale at least 512 on each side
    assert result.shape == (28, 28) and result.max() >= 250  # the item, light on black


def test_predict_with_a_bomb_is_one_line(tmp_path, capsys):
    from fmnist_gui.cli import EXIT_FAILURE, main
    from fmnist_gui.architectures import QuickstartMLP

    torch.save(QuickstartMLP().state_dict(), tmp_path / "model.pth")
    bomb = png_declaring(tmp_path / "bomb.png", 40_000, 40_000)
    assert main(["predict", str(tmp_path / "model.pth"), str(bomb)]) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "fmnist-gui: error: bomb.png is too large: more than 40 million pixels.\n"
