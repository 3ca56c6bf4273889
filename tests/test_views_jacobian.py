"""Chapter 7's figures, on small synthetic inputs: panels, traces and the data they draw."""

import numpy as np
import torch

from memgen.views import ch07_jacobians as vj


def _result(n=6, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    S = torch.sort(torch.rand(n, 64, generator=g), dim=1, descending=True).values
    return {
        "X": torch.rand(n, 64, generator=g) * 2 - 1,
        "Y": torch.randn(n, 64, generator=g),
        "out": torch.randn(n, 64, generator=g),
        "U": torch.randn(n, k, 64, generator=g),
        "S": S,
        "erank": np.ones(n),
        "cos_own": np.full(n, 0.99),
    }


def test_spectra_figure_has_a_panel_per_model_family():
    unet = {"mem": _result(), "gen": _result(seed=1)}
    dae = {"mem_S": torch.rand(6, 64), "gen_S": torch.rand(6, 64)}
    two = vj.spectra_figure(unet, dae)
    three = vj.spectra_figure(unet, dae, bias_free={"mem": _result(seed=2), "gen": _result(seed=3)})
    assert (
        len(two.data) == 6 and len(three.data) == 9
    )  # memorized, generalized, threshold per panel
    titles = [a.text for a in three.layout.annotations]
    assert titles == ["UNet2DModel denoisers", "bias-free UNets", "two-layer DAEs (ch. 2, 3)"]
    # the middle panel draws the bias-free medians
    bf_mem = three.data[3]
    mid = np.median(_result(seed=2)["S"].numpy(), axis=0)[:40]
    biased = np.median(unet["mem"]["S"].numpy(), axis=0)[:40]
    assert np.allclose(bf_mem.y, np.maximum(mid, 1e-4)) and not np.allclose(bf_mem.y, biased)
    four = vj.spectra_figure(
        unet,
        dae,
        bias_free={"mem": _result(seed=2), "gen": _result(seed=3)},
        dit={"mem": _result(seed=4), "gen": _result(seed=5)},
    )
    assert len(four.data) == 12
    assert [a.text for a in four.layout.annotations][2] == "DiT transformers"
    dit_gen = np.median(_result(seed=5)["S"].numpy(), axis=0)[:40]
    assert np.allclose(four.data[7].y, np.maximum(dit_gen, 1e-4))  # third panel, generalized


def test_unet_vectors_figure_shows_images_and_top_vectors():
    r = {"mem": _result(), "gen": _result(seed=1)}
    fig = vj.unet_vectors_figure(r, n=5)
    assert len(fig.data) == 20
    assert np.allclose(np.asarray(fig.data[5].z).ravel(), r["mem"]["U"][0, 0].numpy())  # row 2: u1
    assert fig.data[0].colorscale != fig.data[5].colorscale  # grey images, red/blue vectors


def test_dae_vectors_figure_unchanged_layout():
    dae = {k: torch.randn(6, 64) for k in ("mem_X", "mem_top", "gen_X", "gen_top")}
    fig = vj.dae_vectors_figure(dae)
    assert len(fig.data) == 24
    assert np.allclose(np.asarray(fig.data[18].z).ravel(), dae["gen_top"][0].numpy())
