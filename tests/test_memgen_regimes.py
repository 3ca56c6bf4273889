"""Reading memorization and generalization out of weights: known constructions as oracles."""

import pytest
import torch

from memgen.dae import ReLUDAE
from memgen.generalization import block_prediction
from memgen.linear import memorization_gain, optimal_linear_denoiser
from memgen.memorization import (
    gains_along_samples,
    grouped_representation,
    separable_subset,
    storing_units,
    unit_owners,
)
from memgen.metrics import psnr


def _simplex(n=4, d=10, scale=3.0):
    q, _ = torch.linalg.qr(torch.randn(d, n, generator=torch.Generator().manual_seed(0)))
    return scale * (q.T - q.T.mean(0))


def test_constructed_memorizer_is_read_back():
    X = _simplex()
    n, sigma, lam = 4, 0.2, 0.1
    sq = X.norm(dim=1) ** 2
    r = (memorization_gain(sq, n, sigma, lam) / sq).sqrt()
    # unit 2i and 2i+1 store sample i with half of r^2 each; two extra dead units
    W = torch.zeros(10, 10)
    for i in range(4):
        W[:, 2 * i] = W[:, 2 * i + 1] = (r[i] / 2**0.5) * X[i]
    model = ReLUDAE.from_weights(W, W.clone())
    torch.testing.assert_close(gains_along_samples(model, X), memorization_gain(sq, n, sigma, lam))
    own = unit_owners(W, X)
    assert own["alive"].tolist() == [True] * 8 + [False] * 2
    assert own["owner"][:8].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    torch.testing.assert_close(own["cosine"][:8], torch.ones(8))
    assert storing_units(own, 4).tolist() == [0, 2, 4, 6]
    h = model.representation(X)
    g = grouped_representation(h[:, :8], own["owner"][:8], 4)
    assert torch.equal(g > 0, torch.eye(4, dtype=torch.bool))


def test_separable_subset():
    X = torch.cat([_simplex(), _simplex()[:2] * 0.5 + 0.01])
    idx = separable_subset(X, 4, max_cosine=0.0)
    U = X[idx] / X[idx].norm(dim=1, keepdim=True)
    C = U @ U.T
    assert bool((C[~torch.eye(4, dtype=torch.bool)] <= 0).all())
    with pytest.raises(ValueError, match="only"):
        separable_subset(X, 6, max_cosine=-0.5)
    with pytest.raises(ValueError, match="n must be"):
        separable_subset(X, 0)


def test_block_prediction_sums_per_cluster_wiener_filters():
    g = torch.Generator().manual_seed(1)
    X = torch.randn(30, 6, generator=g, dtype=torch.float64)
    labels = torch.arange(30) % 3
    out = block_prediction(X, labels, 0.3, 0.01)
    ref = sum(optimal_linear_denoiser(X[labels == k], 0.3, 0.01 * 3) for k in range(3))
    torch.testing.assert_close(out["M"], ref)
    s, m = out["gains"][0]
    torch.testing.assert_close(m, ((s - 0.03) / (s + 0.09)).clamp_min(0))
    # one cluster of one point: the memorization gain of chapter 2
    one = block_prediction(X[:1], torch.zeros(1), 0.3, 0.01)
    torch.testing.assert_close(
        one["gains"][0][1][0], memorization_gain(X[0].pow(2).sum(), 1, 0.3, 0.01)
    )
    with pytest.raises(ValueError, match="labels must have shape"):
        block_prediction(X, labels[:5], 0.3, 0.01)


def test_psnr():
    x = torch.zeros(2, 4)
    assert psnr(x + 0.1, x).tolist() == pytest.approx(
        [10 * torch.log10(torch.tensor(4 / 0.01)).item()] * 2
    )
    with pytest.raises(ValueError, match="same shape"):
        psnr(x, torch.zeros(3, 4))


def test_threshold_kills_the_small_clusters_directions_in_a_trained_network():
    """Chapter 3's exercised threshold on a smaller draw: clusters of 120 and 30 points, lam = 0.4,
    so n lam / n_k is 0.5 for the large cluster (below its within-cluster eigenvalues) and 2 for
    the small one (above them): the trained blocks keep 5 and 1 directions, with the predicted
    gains."""
    from memgen.experiments.ch02_memorization import best_of
    from memgen.experiments.ch03_generalization import imbalanced_mixture
    from memgen.fit_fast import fit_dae
    from memgen.generalization import block_prediction
    from memgen.memorization import alive_units
    from memgen.theorem import activation_rates

    X, labels = imbalanced_mixture((120, 30), seed=3)
    theory = block_prediction(X, labels, 0.2, 0.4)
    model = best_of(fit_dae(X, 16, sigma=0.2, lam=0.4, steps=3000, seed=[0, 1]))
    share = activation_rates(model, X, labels, units=torch.ones(16, dtype=torch.bool)).T
    alive = alive_units(model.W1)
    for k, kept in ((0, 5), (1, 1)):
        m = theory["gains"][k][1][:5]
        assert int((m > 0).sum()) == kept
        units = alive & (share[k] > 0.5)
        sv = torch.linalg.svdvals((model.W2[:, units] @ model.W1[:, units].T).detach().double())
        assert int((sv > 0.05).sum()) == kept
        assert torch.allclose(sv[:5], m, atol=0.02)
