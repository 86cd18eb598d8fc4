"""Looking inside a model without Qt: features, projections and layer pictures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fmnist_gui.engine.evaluation import predict_probabilities
from fmnist_gui.engine.features import Cancel, last_linear, penultimate_features
from fmnist_gui.engine.layers import activations, first_layer, layer_pictures
from fmnist_gui.engine.projection import METHODS, Method, aligned, pca_2d, project_2d, tsne_2d
from fmnist_gui.models import MODELS

FEATURE_WIDTHS = {"small-cnn": 128, "quickstart-mlp": 512, "wide-cnn": 256}


def images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(count, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("name", list(MODELS))
def test_features_are_the_last_linear_layers_input_and_predictions_match_the_model(name):
    torch.manual_seed(0)
    spec = MODELS[name]
    model = spec.create().eval()
    pixels = images(7)
    features = penultimate_features(model, pixels, spec.mean, spec.std, batch=3)
    assert features.values.shape == (7, FEATURE_WIDTHS[name]) == (7, last_linear(model).in_features)
    assert features.values.dtype == np.float32 and features.predicted.shape == (7,)
    expected = predict_probabilities(model, torch.from_numpy(pixels), spec.mean, spec.std).argmax(dim=1).numpy()
    np.testing.assert_array_equal(features.predicted, expected)
    head = last_linear(model)
    logits = head(torch.from_numpy(features.values)).detach().numpy()
    np.testing.assert_array_equal(logits.argmax(axis=1), expected)  # the features are what the last layer reads


def test_features_report_progress_per_batch_and_stop_when_cancelled():
    spec = MODELS["quickstart-mlp"]
    model = spec.create()
    seen: list[float] = []
    penultimate_features(model, images(10), spec.mean, spec.std, progress=seen.append, batch=4)
    assert seen == pytest.approx([0.4, 0.8, 1.0])
    asked = []
    with pytest.raises(Cancel):
        penultimate_features(model, images(10), spec.mean, spec.std, cancelled=lambda: asked.append(1) or len(asked) > 1, batch=4)
    assert len(asked) == 2  # stopped before the second batch, not after all of them
    assert not last_linear(model)._forward_pre_hooks  # the hook is gone even after a cancel


def test_pca_recovers_a_known_plane_and_is_deterministic():
    rng = np.random.default_rng(1)
    plane = np.stack([rng.normal(0, 10, 500), rng.normal(0, 3, 500)], axis=1)  # spread 10 along one axis, 3 along the other
    basis = np.linalg.qr(rng.normal(size=(6, 6)))[0][:, :2]  # an orthonormal plane inside 6-D
    features = (plane @ basis.T + rng.normal(0, 0.01, (500, 6)) + 5.0).astype(np.float32)
    coordinates = pca_2d(features)
    assert coordinates.shape == (500, 2) and coordinates.dtype == np.float32
    # The same plane, up to each axis's sign: the largest spread first.
    for axis in range(2):
        correlation = np.corrcoef(coordinates[:, axis], plane[:, axis])[0, 1]
        assert abs(correlation) > 0.999
    assert coordinates[:, 0].std() > coordinates[:, 1].std()
    np.testing.assert_allclose(coordinates.mean(axis=0), 0, atol=1e-3)  # centred
    np.testing.assert_array_equal(pca_2d(features), coordinates)
    # The sign does not depend on the order of the rows.
    order = rng.permutation(500)
    np.testing.assert_allclose(pca_2d(features[order]), coordinates[order], atol=1e-3)


def test_pca_of_degenerate_input_gives_zeros_not_errors():
    assert pca_2d(np.zeros((0, 4), dtype=np.float32)).shape == (0, 2)
    assert pca_2d(np.ones((3, 1), dtype=np.float32)).shape == (3, 2)


def test_alignment_undoes_a_flip_and_for_tsne_a_rotation():
    rng = np.random.default_rng(2)
    previous = rng.normal(size=(100, 2)).astype(np.float32) * np.float32([3, 1])
    previous -= previous.mean(axis=0)  # pictures are centred (PCA's are; t-SNE's nearly)
    flipped = previous * np.float32([-1, 1])
    np.testing.assert_allclose(aligned(flipped, previous, rotate=False), previous, atol=1e-5)
    angle = 0.7
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], dtype=np.float32)
    np.testing.assert_allclose(aligned(previous @ turn, previous, rotate=True), previous, atol=1e-4)
    assert aligned(previous, None, rotate=True) is previous
    assert aligned(previous, previous[:10], rotate=True) is previous  # other points: nothing to align with


def test_unknown_method_is_refused_and_a_missing_library_is_named():
    with pytest.raises(ValueError, match="Unknown projection method"):
        project_2d("umap", np.zeros((3, 2), dtype=np.float32))
    missing = Method("tsne", "t-SNE", "no_such_module_for_the_test", "tsne")
    assert not missing.available
    assert "fmnist-gui[tsne]" in missing.hint
    assert METHODS["pca"].available and METHODS["pca"].hint == ""


def test_tsne_separates_clusters_and_stops_when_cancelled():
    pytest.importorskip("openTSNE")
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(3), 40)
    features = (rng.normal(0, 1, (3, 20))[labels] * 8 + rng.normal(0, 1, (120, 20))).astype(np.float32)
    seen: list[float] = []
    coordinates = tsne_2d(features, progress=seen.append, iterations=200, early_iterations=100)
    assert coordinates.shape == (120, 2)
    assert seen and seen[-1] == pytest.approx(1.0)
    # Each point's nearest neighbour in the picture is of its own cluster.
    distances = ((coordinates[:, None] - coordinates[None]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    assert (labels[distances.argmin(axis=1)] == labels).mean() > 0.95
    with pytest.raises(Cancel):
        tsne_2d(features, cancelled=lambda: True, iterations=200, early_iterations=100)


def test_first_layer_pictures_per_model():
    conv = first_layer(MODELS["small-cnn"].create())
    assert conv.kind == "conv" and conv.weights.shape == (16, 3, 3)
    mlp_model = MODELS["quickstart-mlp"].create()
    mlp = first_layer(mlp_model)
    assert mlp.kind == "linear" and mlp.weights.shape == (512, 28, 28)
    # Unit 5's picture is its row of weights, pixel for pixel.
    np.testing.assert_array_equal(mlp.weights[5].ravel(), mlp_model.linear_relu_stack[0].weight[5].detach().numpy())
    assert first_layer(MODELS["wide-cnn"].create()).weights.shape == (64, 3, 3)


@pytest.mark.parametrize("name, expected", [
    ("small-cnn", [("Convolution 1", (16, 28, 28)), ("Convolution 2", (32, 14, 14)), ("Hidden layer 1", (128,))]),
    ("quickstart-mlp", [("Hidden layer 1", (512,)), ("Hidden layer 2", (512,))]),
    ("wide-cnn", [("Convolution 1", (64, 28, 28)), ("Convolution 2", (64, 28, 28)), ("Convolution 3", (128, 14, 14)),
                  ("Convolution 4", (128, 14, 14)), ("Convolution 5", (256, 7, 7)), ("Convolution 6", (256, 7, 7)),
                  ("Hidden layer 1", (256,))]),
])
def test_activations_of_one_image_per_layer(name, expected):
    spec = MODELS[name]
    model = spec.create().train()
    found = activations(model, images(1)[0], spec.mean, spec.std)
    assert [(a.name, a.values.shape) for a in found] == expected
    assert all(a.values.dtype == np.float32 and (a.values >= 0).all() for a in found)  # ReLU outputs
    assert model.training  # left as it was found
    assert not any(module._forward_hooks for module in model.modules())
    assert layer_pictures(model, None, spec.mean, spec.std).activations == ()
