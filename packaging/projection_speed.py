"""How long the projector's pictures take for the 10,000 test images, without the window.

    python packaging/projection_speed.py [CHECKPOINT]

Without a checkpoint it uses an untrained small CNN (the timings hardly depend on the weights).
Prints seconds for the features, PCA and (with the `tsne` extra) t-SNE.
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    import torch

    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.data import find_data_dir, load_fashion_mnist
    from fmnist_gui.engine.features import penultimate_features
    from fmnist_gui.engine.projection import METHODS, pca_2d, tsne_2d
    from fmnist_gui.models import MODELS

    data = load_fashion_mnist(find_data_dir())
    if len(sys.argv) > 1:
        checkpoint = load_checkpoint(sys.argv[1])
        model, spec = checkpoint.build_model().eval(), checkpoint.spec
    else:
        spec = MODELS["small-cnn"]
        model = spec.create().eval()
    print(f"{spec.name}, {len(data.test_labels):,} test images, {torch.get_num_threads()} threads")
    start = time.perf_counter()
    features = penultimate_features(model, data.test_images, spec.mean, spec.std)
    print(f"features {features.values.shape}: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    pca_2d(features.values)
    print(f"PCA: {time.perf_counter() - start:.2f} s")
    if METHODS["tsne"].available:
        start = time.perf_counter()
        tsne_2d(features.values)
        print(f"t-SNE (openTSNE): {time.perf_counter() - start:.1f} s")
    else:
        print(METHODS["tsne"].hint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
