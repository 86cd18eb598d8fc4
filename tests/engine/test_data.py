from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from fmnist_gui.data import CLASS_NAMES, DataError, IMAGES_MAGIC, LABELS_MAGIC, find_data_dir, load_fashion_mnist
from tests.synthetic import idx_bytes, write_dataset


def test_loads_plain_and_gz_files_alike(tmp_path):
    plain = load_fashion_mnist(write_dataset(tmp_path / "plain", seed=3))
    zipped = load_fashion_mnist(write_dataset(tmp_path / "zipped", seed=3, gz=True))
    assert plain.train_images.shape == (600, 28, 28) and plain.test_images.shape == (200, 28, 28)
    assert plain.train_images.dtype.is_floating_point is False
    assert (plain.train_images == zipped.train_images).all() and (plain.test_labels == zipped.test_labels).all()
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "T-shirt/top"


def test_search_order_data_dir_then_environment(tmp_path, monkeypatch):
    named = write_dataset(tmp_path / "named")
    from_env = write_dataset(tmp_path / "env" / "FashionMNIST" / "raw")
    monkeypatch.setenv("FMNIST_DATA", str(tmp_path / "env"))
    assert find_data_dir() == from_env  # the <root>/FashionMNIST/raw layout under the root
    assert find_data_dir(named) == named


def test_a_named_folder_without_the_files_is_an_error(tmp_path):
    with pytest.raises(DataError, match="does not hold the Fashion-MNIST files"):
        find_data_dir(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        find_data_dir(tmp_path / "nowhere")


def _broken(tmp_path, name: str, payload: bytes):
    directory = write_dataset(tmp_path / "broken")
    (directory / name).write_bytes(payload)
    return directory


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("train-images-idx3-ubyte", idx_bytes(np.zeros((600, 28, 28)), LABELS_MAGIC), "magic number"),
        ("train-images-idx3-ubyte", idx_bytes(np.zeros((600, 28, 28)), IMAGES_MAGIC)[:-100], "truncated"),
        ("train-images-idx3-ubyte", b"\x00\x00", "truncated"),
        ("train-images-idx3-ubyte", idx_bytes(np.zeros((600, 32, 32)), IMAGES_MAGIC), r"shape \(32, 32\)"),
        ("train-labels-idx1-ubyte", idx_bytes(np.full(600, 10), LABELS_MAGIC), "label 10"),
        ("t10k-labels-idx1-ubyte", idx_bytes(np.zeros(150), LABELS_MAGIC), "200 images but .* 150 labels"),
    ],
)
def test_bad_files_are_named_with_the_reason(tmp_path, name, payload, message):
    with pytest.raises(DataError, match=message) as caught:
        load_fashion_mnist(_broken(tmp_path, name, payload))
    assert name in str(caught.value)


def test_a_damaged_gzip_is_reported(tmp_path):
    directory = write_dataset(tmp_path / "gz", gz=True)
    path = directory / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_fashion_mnist(directory)


def test_a_missing_file_names_it_and_how_to_install(tmp_path):
    directory = write_dataset(tmp_path / "partial")
    (directory / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(directory)


def test_sets_smaller_than_fashion_mnist_are_refused_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("FMNIST_ALLOW_SMALL")
    with pytest.raises(DataError, match="600 images; the Fashion-MNIST train set has 60000"):
        load_fashion_mnist(write_dataset(tmp_path / "small"))


@pytest.mark.realdata
def test_the_real_data_loads_whole_and_valid(real_data_dir):
    data = load_fashion_mnist(real_data_dir)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert np.bincount(data.test_labels.numpy()).tolist() == [1000] * 10
    # Debian recompressed the .gz files; their content must still be upstream's.
    gz = real_data_dir / "t10k-labels-idx1-ubyte.gz"
    if gz.exists():
        assert len(gzip.decompress(gz.read_bytes())) == 10008


def test_a_gz_that_inflates_past_its_largest_size_is_stopped_early(tmp_path, monkeypatch):
    directory = write_dataset(tmp_path / "bomb", gz=True)
    name = "t10k-labels-idx1-ubyte.gz"  # at most 8 + 10000 bytes, even with FMNIST_ALLOW_SMALL
    (directory / name).write_bytes(gzip.compress(idx_bytes(np.zeros(10_000), LABELS_MAGIC) + bytes(4 * 2**20)))
    inflated = []
    original_read = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = original_read(self, size)
        if self.name.endswith(name):
            inflated.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    with pytest.raises(DataError, match=rf"{name} holds more than the 10,008 bytes a Fashion-MNIST file can") as caught:
        load_fashion_mnist(directory)
    assert "\n" not in str(caught.value)
    assert inflated and sum(inflated) <= 10_009  # not the 4 MiB inside


def test_a_plain_file_larger_than_fashion_mnist_is_refused_unread(tmp_path):
    directory = write_dataset(tmp_path / "big")
    (directory / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(60_001), LABELS_MAGIC))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte holds more than the 60,008 bytes"):
        load_fashion_mnist(directory)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("file", "which is not a folder"), ("missing", "which does not exist"), ("loop", "which is a loop of symbolic links")],
)
def test_a_bad_fmnist_data_is_reported_not_skipped(tmp_path, monkeypatch, kind, reason):
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("not a folder")
    elif kind == "loop":
        target.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(target)
    monkeypatch.setenv("FMNIST_DATA", str(target))
    with pytest.raises(DataError, match=f"^FMNIST_DATA points at {target}, {reason}\\.$"):
        find_data_dir()
    with pytest.raises(DataError, match="FMNIST_DATA points at"):
        load_fashion_mnist()


def test_a_data_dir_that_is_a_file_says_so(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(DataError, match="The data folder .*file is not a folder"):
        find_data_dir(tmp_path / "file")


def test_reading_ahead_in_a_thread_gives_the_same_data_and_raises_its_error_in_the_caller(tmp_path, synthetic_dir):
    import threading

    from fmnist_gui.data import ReadAhead

    ahead = ReadAhead(synthetic_dir)
    loaded, direct = ahead.result(), load_fashion_mnist(synthetic_dir)
    assert loaded.source == direct.source
    for name in ("train_images", "train_labels", "test_images", "test_labels"):
        assert torch.equal(getattr(loaded, name), getattr(direct, name))
    missing = ReadAhead(tmp_path / "nowhere")
    with pytest.raises(DataError, match="does not exist"):
        missing.result()
    assert not any(thread.name == "read-data" for thread in threading.enumerate())
