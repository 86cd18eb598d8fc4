from __future__ import annotations

import os
from pathlib import Path

import pytest

# The synthetic sets are smaller than Fashion-MNIST; the data loader accepts them only with this.
os.environ["FMNIST_ALLOW_SMALL"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app sets it (fmnist_gui.cli)

from fmnist_gui.config import TrainConfig  # noqa: E402
from fmnist_gui.data import find_data_dir, load_fashion_mnist  # noqa: E402
from fmnist_gui.errors import UserFacingError  # noqa: E402
from tests.synthetic import write_dataset  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def throwaway_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs that tests train are recorded here (child processes too), never in the user's runs folder."""
    folder = tmp_path_factory.mktemp("runs")
    os.environ["FMNIST_RUNS"] = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def throwaway_path_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The measured training paths are cached here (child processes too), never in the user's cache folder; one file
    for the session, so each model and batch size is measured once."""
    path = tmp_path_factory.mktemp("cache") / "training-paths.json"
    os.environ["FMNIST_PATH_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("fmnist") / "FashionMNIST" / "raw")


@pytest.fixture(scope="session")
def synthetic_data(synthetic_dir: Path):
    return load_fashion_mnist(synthetic_dir)


@pytest.fixture
def fast_config() -> TrainConfig:
    """A quick run on the synthetic data: the MLP, 2 epochs."""
    return TrainConfig(model="quickstart-mlp", optimizer="adam", lr=1e-3, batch_size=50, epochs=2, schedule="constant", weight_decay=0.0)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    try:
        directory = find_data_dir()
    except UserFacingError:
        pytest.skip("the real Fashion-MNIST is not installed")
    return directory
