"""Feature vectors to points on a plane: PCA in torch, and t-SNE when openTSNE is installed.

PCA is exact (eigenvectors of the covariance), fast and deterministic; each axis's sign is fixed
so that the loading of largest magnitude is positive, so the same features always give the same
picture. t-SNE (openTSNE, the optional `tsne` extra) shows neighbourhoods better but takes
tens of seconds for 10,000 points on a laptop; it reports progress and stops when asked.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fmnist_gui.engine.work import Cancel, Cancelled, Progress
from fmnist_gui.lazy import lazy_module

if TYPE_CHECKING:
    import torch
else:
    torch = lazy_module("torch")  # the window lists the methods before torch has loaded


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    module: str | None  # the optional package it needs, None when torch suffices
    extra: str | None  # the pip extra that installs it

    @property
    def available(self) -> bool:
        return self.module is None or importlib.util.find_spec(self.module) is not None

    @property
    def hint(self) -> str:
        """Why it is missing, for people; empty when it is available."""
        return "" if self.available else f"{self.label} needs {self.module}: pip install 'fmnist-gui[{self.extra}]'"


METHODS: dict[str, Method] = {
    "pca": Method("pca", "PCA", None, None),
    "tsne": Method("tsne", "t-SNE", "openTSNE", "tsne"),
}
TSNE_INPUT_DIMENSIONS = 50  # t-SNE's usual first step: PCA to 50 dimensions, so the neighbour search is quick
TSNE_SEED = 0


def pca_2d(features: np.ndarray) -> np.ndarray:
    """(N, D) features -> (N, 2) float32 coordinates on their two principal axes."""
    return principal_components(features, 2)


def principal_components(features: np.ndarray, count: int) -> np.ndarray:
    """(N, D) features on their first `count` principal axes, signs fixed (largest loading positive)."""
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)).double()
    if x.ndim != 2 or len(x) == 0:
        return np.zeros((len(x), count), dtype=np.float32)
    centred = x - x.mean(dim=0)
    # The covariance is D x D (D <= 512 here): its eigenvectors are cheaper than an N x D SVD.
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    axes = vectors.flip(1)[:, :count]  # eigh sorts ascending
    signs = torch.sign(axes[axes.abs().argmax(dim=0), torch.arange(axes.shape[1])])
    axes = axes * torch.where(signs == 0, 1.0, signs)
    coordinates = centred @ axes
    if coordinates.shape[1] < count:  # fewer dimensions than asked for: pad with zeros
        coordinates = torch.nn.functional.pad(coordinates, (0, count - coordinates.shape[1]))
    return coordinates.float().numpy()


def tsne_2d(features: np.ndarray, progress: Progress | None = None, cancelled: Cancelled | None = None,
            iterations: int = 500, early_iterations: int = 250) -> np.ndarray:
    """(N, D) features -> (N, 2) t-SNE coordinates (openTSNE, PCA start, fixed seed); raises Cancel when asked to stop."""
    from openTSNE import TSNE  # optional: only this method needs it

    if len(features) < 4:
        return pca_2d(features)
    reduced = principal_components(features, min(TSNE_INPUT_DIMENSIONS, features.shape[1])).astype(np.float64)
    total = iterations + early_iterations
    done, stopped = 0, False  # iterations so far; whether the callback asked openTSNE to stop
    every = 10

    def callback(iteration: int, error: float, embedding: np.ndarray) -> bool:
        nonlocal done, stopped
        done += every
        if progress is not None:
            progress(min(1.0, done / total))
        stopped = cancelled is not None and cancelled()
        return stopped

    perplexity = float(min(30.0, max(1.0, (len(features) - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, n_iter=iterations, early_exaggeration_iter=early_iterations,
                initialization="pca", random_state=TSNE_SEED, n_jobs=torch.get_num_threads(),
                callbacks=callback, callbacks_every_iters=every, verbose=False)
    embedding = np.asarray(tsne.fit(reduced), dtype=np.float32)
    if stopped:
        raise Cancel
    return embedding


def project_2d(method: str, features: np.ndarray, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> np.ndarray:
    """(N, 2) coordinates of `features` by the method called `method` ("pca" or "tsne")."""
    if method == "pca":
        if cancelled is not None and cancelled():
            raise Cancel
        return pca_2d(features)
    if method == "tsne":
        return tsne_2d(features, progress, cancelled)
    raise ValueError(f"Unknown projection method {method!r}; choose one of: {', '.join(METHODS)}")


def aligned(coordinates: np.ndarray, previous: np.ndarray | None, rotate: bool) -> np.ndarray:
    """`coordinates` turned to lie as close as possible to `previous` (the same points' last picture).

    PCA axes may only flip (an axis keeps its meaning); t-SNE's picture has no meaningful
    orientation, so it may also rotate (orthogonal Procrustes). A new epoch then moves points
    a little instead of mirroring the whole plot.
    """
    if previous is None or previous.shape != coordinates.shape or len(coordinates) < 2:
        return coordinates
    new = coordinates - coordinates.mean(axis=0)
    old = previous - previous.mean(axis=0)
    if rotate:
        u, _, vt = np.linalg.svd(new.T.astype(np.float64) @ old.astype(np.float64))
        turned = new @ (u @ vt).astype(np.float32)
        return (turned + coordinates.mean(axis=0)).astype(np.float32)
    signs = np.where((new * old).sum(axis=0) < 0, -1.0, 1.0).astype(np.float32)
    return coordinates * signs


@dataclass(frozen=True)
class Projection:
    """A model's test-set features on a plane, with the classes the same model predicts."""

    method: str  # a key of METHODS
    coordinates: np.ndarray  # (N, 2) float32
    predicted: np.ndarray  # (N,) int64
