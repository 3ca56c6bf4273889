"""ipywidgets explorers for readers with a live kernel (Colab, Jupyter).

On the website (no kernel) an explorer shows its initial state only; the plotly figures with
sliders over precomputed frames are the website's interactive figures.
"""

from __future__ import annotations

import numpy as np
import torch

from ._checks import check_tensor
from .denoisers import empirical_denoiser, posterior_weights


def empirical_denoiser_explorer(X, image_shape, *, seed: int = 0):
    """Sliders for the noise level sigma and a training index: noisy input, f_emp output, weights.

    ``X`` is (n, d) with d = prod(image_shape). Returns an ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    X = check_tensor("X", X, ndim=2)
    if int(np.prod(image_shape)) != X.shape[1]:
        raise ValueError(f"image_shape {tuple(image_shape)} must multiply to X.shape[1] = {X.shape[1]}")
    noise = torch.randn(X.shape[1], generator=torch.Generator().manual_seed(seed))

    log_sigma = widgets.FloatSlider(value=np.log10(0.5), min=-2, max=1, step=0.05, description="log10 σ",
                                    continuous_update=False, readout_format=".2f")
    index = widgets.IntSlider(value=0, min=0, max=len(X) - 1, description="sample i", continuous_update=False)
    out = widgets.Output()

    def draw(*_):
        sigma = float(10 ** log_sigma.value)
        y = X[index.value] + sigma * noise
        f = empirical_denoiser(y, X, sigma)
        w = posterior_weights(y, X, sigma)
        top = torch.topk(w, k=min(5, len(X)))
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 4, figsize=(11, 2.8))
            for ax, img, title in zip(axes[:3], (X[index.value], y, f),
                                      ("clean x_i", f"noisy y (σ = {sigma:.3g})", "f_emp(y)")):
                ax.imshow(img.reshape(image_shape).numpy(), cmap="gray")
                ax.set_title(title)
                ax.axis("off")
            axes[3].bar([str(int(j)) for j in top.indices], top.values.numpy(), color="#4455aa")
            axes[3].set_ylim(0, 1)
            axes[3].set_title("largest softmax weights")
            axes[3].set_xlabel("training index")
            plt.tight_layout()
            plt.show()

    log_sigma.observe(draw, names="value")
    index.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([log_sigma, index]), out])
