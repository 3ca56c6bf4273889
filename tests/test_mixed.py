"""The mixed regime: detection metrics against independent oracles, the data's geometry, the
threshold
multiplicity against the gain formula, and a trained network against the per-cluster prediction."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from memgen.dae import ReLUDAE
from memgen.fit_fast import fit_dae
from memgen.memorization import gains_along_samples
from memgen.metrics import auroc, roc_curve, tpr_at_fpr
from memgen.mixed import (
    duplicate_gain,
    mixed_data,
    multiplicity_weights,
    predicted_stored,
    spikiness_scores,
    stored_cosine,
    threshold_multiplicity,
    unit_benefits,
)


def _mann_whitney(pos, neg):
    """Brute force: P(pos > neg) + P(pos == neg) / 2 over all pairs."""
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(8))
def test_auroc_against_mann_whitney_and_sklearn(seed):
    rng = np.random.default_rng(seed)
    pos = rng.integers(0, 6, size=rng.integers(1, 12)).astype(float)  # small integers: many ties
    neg = rng.integers(0, 5, size=rng.integers(1, 15)).astype(float)
    value = auroc(pos, neg)
    assert value == pytest.approx(_mann_whitney(pos, neg), abs=1e-12)
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    assert value == pytest.approx(roc_auc_score(y, np.r_[pos, neg]), abs=1e-12)
    fpr, tpr = roc_curve(pos, neg)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert np.trapezoid(tpr, fpr) == pytest.approx(value, abs=1e-12)


def test_tpr_at_fpr_and_bad_input():
    neg = np.arange(100.0)  # the 99th percentile is 98.01
    assert tpr_at_fpr([98.5, 99.5, 50.0, 120.0], neg, 0.01) == pytest.approx(0.75)
    assert auroc([2.0], [1.0]) == 1.0 and auroc([1.0], [2.0]) == 0.0 and auroc([1.0], [1.0]) == 0.5
    with pytest.raises(ValueError, match="fpr must be"):
        tpr_at_fpr([1.0], [0.0], 1.5)
    with pytest.raises(ValueError, match="at least one"):
        auroc([], [1.0])


def test_mixed_data_geometry():
    sq = [4.0, 6.0, 9.0]
    data = mixed_data(60, dup_sq_norms=sq, d=24, rank=3, tilt=0.5, seed=1)
    X, dup = data.x, data.extra["is_duplicated"]
    assert X.shape == (63, 24) and int(dup.sum()) == 3 and bool(dup[60:].all())
    G = X @ X.T
    torch.testing.assert_close(torch.diagonal(G)[dup], torch.tensor(sq), rtol=1e-5, atol=0)
    assert float(G[dup][:, ~dup].max()) < 0  # every duplicated point against every bulk point
    off = G[dup][:, dup] - torch.diag(torch.diagonal(G[dup][:, dup]))
    assert float(off.max()) <= 1e-5  # tilt^2 = 0.25 <= 1 / (D - 1): non-positive among themselves
    assert data.labels[dup].tolist() == [2, 3, 4]
    with pytest.raises(ValueError, match="tilt must be"):
        mixed_data(10, dup_sq_norms=sq, d=24, rank=3, tilt=0.9)
    with pytest.raises(ValueError, match="at most"):
        mixed_data(10, dup_sq_norms=[1.0] * 30, d=24, rank=3, tilt=0.1)
    w = multiplicity_weights(dup, 5)
    assert w[dup].tolist() == [5.0] * 3 and w[~dup].tolist() == [1.0] * 60


def test_threshold_multiplicity_matches_the_gain():
    n_bulk, D, sigma, lam = 200, 4, 0.3, 0.15
    sq = torch.tensor(
        [0.5, 0.55, 2.0, 5.0, 9.0, 13.0]
    )  # the first two: ||x||^2 <= D lam, never stored
    m_star = threshold_multiplicity(sq, n_bulk, D, lam)
    assert math.isinf(m_star[0]) and math.isinf(m_star[1])
    for q, t in zip(sq.tolist(), m_star.tolist()):
        for m in range(1, 80):
            stored = float(duplicate_gain(q, m, n_bulk + D * m, sigma, lam)) > 0
            assert stored == (m > t), (q, m, t)
    # the gain is the per-cluster formula with n_k = m
    assert float(duplicate_gain(9.0, 10, 240, 0.3, 0.15)) == pytest.approx(
        (9 - 240 * 0.15 / 10) / (9 + 0.09)
    )


def test_unit_benefits_are_loss_decreases():
    g = torch.Generator().manual_seed(0)
    Xb = torch.randn(30, 5, generator=g).double()
    labels = torch.arange(30) % 2
    sq = torch.tensor([3.0, 8.0])
    m, sigma, lam = 6, 0.4, 0.05
    ben = unit_benefits(Xb, labels, sq, m, sigma, lam)
    n = 30 + 2 * m
    grid = torch.linspace(0, 1.5, 300001, dtype=torch.float64)

    def decrease(s, w):  # brute-force min over the gain of w[s(1-g)^2 + sigma^2 g^2] + 2 lam g
        f = w * (s * (1 - grid) ** 2 + sigma**2 * grid**2) + 2 * lam * grid
        return float(f[0] - f.min())

    expected = []
    for k in (0, 1):
        Xk = Xb[labels == k]
        expected += [decrease(float(s), 15 / n) for s in torch.linalg.eigvalsh(Xk.T @ Xk / 15)]
    expected += [decrease(float(s), m / n) for s in sq]
    np.testing.assert_allclose(ben["benefit"].numpy(), np.sort(expected)[::-1], atol=1e-8)
    assert int(ben["is_dup"].sum()) == 2
    assert predicted_stored(ben, 0).tolist() == []
    assert sorted(predicted_stored(ben, len(ben["benefit"])).tolist()) == [0, 1]


def test_scores_of_a_constructed_memorizer():
    """Units storing orthogonal samples: top-1 share 1 and std a sqrt(p-1)/p on clean inputs, stored
    cosine 1."""
    X = 2.0 * torch.eye(6)[:3]  # 3 orthogonal samples in R^6
    W = torch.zeros(6, 5)
    W[:, :3] = 0.5 * X.T
    model = ReLUDAE.from_weights(W, W.clone())
    sc = spikiness_scores(model, X, 0.0, draws=2)
    torch.testing.assert_close(sc["top1"], torch.ones(3))
    a = 0.5 * 4.0  # h_i = 0.5 ||x_i||^2 on its own unit
    torch.testing.assert_close(sc["std"], torch.full((3,), a * math.sqrt(5 - 1) / 5))
    torch.testing.assert_close(stored_cosine(W, X), torch.ones(3))
    assert stored_cosine(torch.zeros(6, 2), X).tolist() == [-1.0] * 3


def test_trained_network_stores_the_duplicates_above_threshold():
    """A small mixed problem: duplicated samples above m* are stored with the predicted gain, those
    below are not (the per-cluster solution with n_k = m)."""
    sq = [3.0, 6.0]
    data = mixed_data(
        40, dup_sq_norms=sq, d=16, rank=2, separation=3.0, offset=2.0, tilt=0.5, seed=0
    )
    X, dup = data.x, data.extra["is_duplicated"]
    sigma, lam, m = 0.2, 0.2, 3
    m_star = threshold_multiplicity(torch.tensor(sq), 40, 2, lam)
    assert m_star[0] > m > m_star[1]  # one below, one above the threshold
    res = fit_dae(
        X,
        16,
        sigma=sigma,
        lam=lam,
        steps=1500,
        seed=[0, 1],
        sample_weight=multiplicity_weights(dup, m),
    )
    model = res.models[int(np.argmin(res.losses[-20:].mean(0)))]
    gains = gains_along_samples(model, X[dup])
    theory = duplicate_gain(6.0, m, 40 + 2 * m, sigma, lam)
    assert float(gains[0]) < 0.02
    assert float(gains[1]) == pytest.approx(float(theory), rel=0.05)
    assert float(stored_cosine(model.W2, X[dup][1:])) > 0.99


def test_rare_cluster_data_is_antipodal_and_rare_block_is_the_cluster_minimiser():
    from memgen.linear import optimal_linear_denoiser
    from memgen.mixed import denoising_risk, rare_block, rare_cluster_data

    data = rare_cluster_data(50, 20, d=16, bulk_rank=3, rare_rank=5, seed=1)
    bulk, rare = data.x[:50].double(), data.x[50:].double()
    assert torch.allclose(
        bulk @ rare.T, torch.full((50, 20), -25.0, dtype=torch.float64), atol=1e-4
    )
    for n_k in (1, 3, 8):
        b = rare_block(rare[:n_k], 50 + n_k, 0.2, 0.05)
        M = optimal_linear_denoiser(rare[:n_k], 0.2, (50 + n_k) * 0.05 / n_k)
        assert torch.allclose(b["M"], M, atol=1e-8)
        assert b["rank"] <= n_k and b["rank"] == int(torch.linalg.matrix_rank(b["M"], atol=1e-9))
    # the risk identity, averaged over points, against Monte Carlo
    b = rare_block(rare[:8], 58, 0.3, 0.01)
    S = rare[:8].T @ rare[:8] / 8
    g = torch.Generator().manual_seed(0)
    Y = rare[:8].unsqueeze(0) + 0.3 * torch.randn(4000, 8, 16, generator=g, dtype=torch.float64)
    mc = float((Y @ b["M"].T - rare[:8]).pow(2).sum(-1).mean())
    assert mc == pytest.approx(denoising_risk(b["M"], S, 0.3), rel=0.02)


def test_trained_rare_cluster_dies_or_keeps_its_mean_as_predicted():
    """At a large weight decay the rare cluster's trained block has the predicted rank: 0 while
    n_k s_1 <= n lam, then 1 (its mean); a trained network against the closed form."""
    from memgen.fit_fast import fit_dae
    from memgen.memorization import alive_units
    from memgen.mixed import rare_block, rare_cluster_data

    data = rare_cluster_data(100, 10, d=16, bulk_rank=3, rare_rank=4, seed=0)
    X, lam = data.x, 0.5
    n_ks = (1, 6)
    W = torch.zeros(len(n_ks), len(X))
    W[:, :100] = 1
    for b, n_k in enumerate(n_ks):
        W[b, 100 : 100 + n_k] = 1
    res = fit_dae(X, 12, sigma=0.2, lam=lam, steps=2000, seed=0, sample_weight=W)
    for n_k, model in zip(n_ks, res.models):
        pred = rare_block(X[100 : 100 + n_k], 100 + n_k, 0.2, lam)
        active = (X[100 : 100 + n_k] @ model.W1 > 0).float().mean(0) > 0.5
        units = alive_units(model.W1) & active
        M = (model.W2[:, units] @ model.W1[:, units].T).detach().double()
        sv = torch.linalg.svdvals(M)
        assert int((sv > 0.05).sum()) == pred["rank"]
        if pred["rank"]:
            assert float(sv[0]) == pytest.approx(float(pred["m"][0]), abs=0.02)
    assert [rare_block(X[100 : 100 + k], 100 + k, 0.2, lam)["rank"] for k in n_ks] == [0, 1]
