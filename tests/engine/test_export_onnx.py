"""ONNX export: [0, 1] pixels in, probabilities out, dynamic batch, refused unless it matches PyTorch."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from fmnist_gui.engine.evaluation import predict_probabilities
from fmnist_gui.export import MISSING_EXTRA, ExportError, export_onnx
from fmnist_gui.export import onnx as onnx_export
from fmnist_gui.models import MODELS
from tests.engine.export_helpers import fresh_checkpoint


def onnx_session(path):
    onnxruntime = pytest.importorskip("onnxruntime")
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def small_cnn():
    return fresh_checkpoint("small-cnn")


@pytest.fixture(scope="module")
def small_cnn_bytes(small_cnn):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    return onnx_export.onnx_bytes(small_cnn)


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


def test_the_graph_takes_any_batch_of_unit_pixels_and_gives_probabilities(small_cnn, small_cnn_bytes, tmp_path):
    onnx = pytest.importorskip("onnx")
    path = tmp_path / "model.onnx"
    report = export_onnx(small_cnn, path)
    assert (report.path, report.opset, report.images, report.checked) == (path, onnx_export.OPSET, 0, False)
    onnx.checker.check_model(onnx.load(path))
    session = onnx_session(path)
    (image,), (output,) = session.get_inputs(), session.get_outputs()
    assert (image.name, image.type, output.name) == ("image", "tensor(float)", "probabilities")
    assert isinstance(image.shape[0], str) and image.shape[1:] == [1, 28, 28]  # a named, dynamic batch
    for batch in (1, 7):
        pixels = np.random.default_rng(batch).random((batch, 1, 28, 28), dtype=np.float32)
        (probabilities,) = session.run(None, {"image": pixels})
        assert probabilities.shape == (batch, 10)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("model", list(MODELS))
def test_onnx_on_unit_pixels_matches_pytorch_on_uint8_images(model, synthetic_data, tmp_path):
    pytest.importorskip("onnxruntime")
    checkpoint = fresh_checkpoint(model, seed=1)
    path = tmp_path / f"{model}.onnx"
    export_onnx(checkpoint, path)
    images = synthetic_data.test_images[:13]
    (onnx_out,) = onnx_session(path).run(None, {"image": images.unsqueeze(1).float().div(255).numpy()})
    torch_out = predict_probabilities(checkpoint.build_model("cpu"), images, checkpoint.spec.mean, checkpoint.spec.std).numpy()
    assert np.abs(onnx_out - torch_out).max() <= 1e-4
    assert (onnx_out.argmax(axis=1) == torch_out.argmax(axis=1)).all()


def test_the_check_runs_the_whole_test_set_and_reports_the_agreement(small_cnn, small_cnn_bytes, synthetic_data, tmp_path):
    path = tmp_path / "model.onnx"
    report = export_onnx(small_cnn, path, synthetic_data)
    assert report.images == len(synthetic_data.test_images) == 200
    assert report.agreement == 1.0 and 0 <= report.max_difference <= 1e-4
    assert path.read_bytes() == small_cnn_bytes[0]
    assert report.describe().startswith("Wrote model.onnx: 200 test images, same class on 100.00%, largest probability difference ")
    assert report.describe().endswith(f"(opset {onnx_export.OPSET}).")


def shifted_classes(model_bytes, images):
    """What a broken export would give: every image's probabilities moved one class on."""
    return np.roll(ORIGINAL_PROBABILITIES(model_bytes, images), 1, axis=1)


def slightly_off(model_bytes, images):
    """Same classes, but one probability off by 1e-3: beyond the 1e-4 allowed."""
    probabilities = ORIGINAL_PROBABILITIES(model_bytes, images).copy()
    probabilities[0] += 1e-3
    return probabilities


ORIGINAL_PROBABILITIES = onnx_export.onnx_probabilities


@pytest.mark.parametrize("broken, shown", [(shifted_classes, "same class on 0."), (slightly_off, "largest probability difference 1.0e-03")])
def test_an_export_that_disagrees_is_refused_and_leaves_no_file(broken, shown, small_cnn, small_cnn_bytes, synthetic_data, tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "onnx_probabilities", broken)
    with pytest.raises(ExportError, match="disagrees with PyTorch, so model.onnx was not written") as caught:
        export_onnx(small_cnn, tmp_path / "model.onnx", synthetic_data)
    assert shown in str(caught.value) and "\n" not in str(caught.value)
    assert files_in(tmp_path) == []  # no model, no temporary file


def test_a_refused_export_keeps_the_file_that_was_there(small_cnn, small_cnn_bytes, synthetic_data, tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous export")
    monkeypatch.setattr(onnx_export, "onnx_probabilities", shifted_classes)
    with pytest.raises(ExportError):
        export_onnx(small_cnn, path, synthetic_data)
    assert path.read_bytes() == b"the previous export"
    assert files_in(tmp_path) == ["model.onnx"]


def test_a_failed_conversion_is_one_line_and_writes_nothing(small_cnn, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")

    def fail(*args, **kwargs):
        raise RuntimeError("Unsupported operator aten::mystery\n  deep in the exporter")

    monkeypatch.setattr(torch.onnx, "export", fail)
    with pytest.raises(ExportError, match=r"^The model could not be converted to ONNX: Unsupported operator aten::mystery\.$"):
        export_onnx(small_cnn, tmp_path / "model.onnx")
    assert files_in(tmp_path) == []


def test_an_unwritable_target_is_refused_before_converting(small_cnn, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    monkeypatch.setattr(onnx_export, "onnx_bytes", lambda checkpoint: pytest.fail("converted for a file that cannot be written"))
    with pytest.raises(ExportError, match="Cannot save to .*missing/model.onnx: the folder .* does not exist"):
        export_onnx(small_cnn, tmp_path / "missing" / "model.onnx")


@pytest.mark.parametrize("package", ["onnx", "onnxscript", "onnxruntime"])
def test_without_the_optional_packages_the_message_says_how_to_install_them(package, small_cnn, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, package, None)  # `import package` now raises ImportError
    with pytest.raises(ExportError) as caught:
        export_onnx(small_cnn, tmp_path / "model.onnx")
    assert str(caught.value) == MISSING_EXTRA
    assert MISSING_EXTRA == "ONNX export needs the optional packages onnx, onnxscript and onnxruntime: pip install 'fmnist-gui[onnx]'."
    assert files_in(tmp_path) == []


@pytest.mark.parametrize("fraction, shown", [(1.0, "100.00%"), (0.9999, "99.99%"), (0.99995, "99.99%"), (0.999, "99.90%"), (0.0, "0.00%")])
def test_agreement_is_rounded_down_so_100_percent_means_every_image(fraction, shown):
    assert onnx_export.percent(fraction) == shown
