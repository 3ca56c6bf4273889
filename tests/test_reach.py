"""How far the block theorem reaches (chapter 5): the sharing gain of a new unit against the
frozen-mask loss of a constructed network and torch autograd, the two-cluster closed forms against
a numerical search, the cone factorisation of the block solution, the plain Monte Carlo loss against
the closed-form loss, and the sufficient condition against trained networks."""

import math

import pytest
import torch

from memgen import data as mdata
from memgen.dae import ReLUDAE
from memgen.generalization import block_prediction
from memgen.theorem import (
    block_condition,
    block_residuals,
    cone_realization,
    dae_loss_exact,
    frozen_mask_loss,
    max_sharing_gain,
    mc_loss,
    pair_sharing_kappa,
    per_cluster_optimum,
    sharing_gain,
    spread_pair_geometry,
    spread_pair_kappa,
)

SIGMA, LAM = 0.2, 1e-2


def mixture(cosine, bases="random", K=2, n=120, d=24, seed=0):
    return mdata.gaussian_mixture(
        n,
        K=K,
        d=d,
        rank=2,
        spread=0.5,
        separation=6.0,
        means="equiangular",
        mean_cosine=cosine,
        bases=bases,
        seed=seed,
    )


def block_network(X, labels):
    """The block solution as a network: the balanced units of cone_realization, per cluster."""
    blocks = block_prediction(X, labels, SIGMA, LAM)["blocks"]
    cols, reals = [], []
    for k, B in enumerate(blocks):
        r = cone_realization(B, X[labels == k], X[labels != k])
        reals.append(r["realizable"])
        cols.append(r["A"])
    A = torch.cat(cols, dim=1)
    return A, all(reals)


def model_from(W1, W2):
    m = ReLUDAE(W1.shape[0], W1.shape[1], seed=0).double()
    with torch.no_grad():
        m.W1.copy_(W1)
        m.W2.copy_(W2)
    return m


def test_equiangular_means_and_orthogonal_bases():
    for K, c in [(2, -0.8), (3, -0.5), (4, -0.2), (3, 0.3)]:
        data = mixture(c, "orthogonal", K=K)
        mu = data.extra["means"].double()
        C = (mu / mu.norm(dim=1, keepdim=True)) @ (mu / mu.norm(dim=1, keepdim=True)).T
        off = ~torch.eye(K, dtype=torch.bool)
        assert torch.allclose(C[off], torch.full_like(C[off], c), atol=1e-5)
        assert torch.allclose(mu.norm(dim=1), torch.full((K,), 6.0, dtype=torch.float64), atol=1e-4)
        B = data.extra["bases"].double()
        for k in range(K):
            assert float((B[k].T @ mu.T).abs().max()) < 1e-4
            for j in range(K):
                if j != k:
                    assert float((B[k].T @ B[j]).abs().max()) < 1e-5
    with pytest.raises(ValueError):
        mixture(-0.6, K=3)  # below -1/(K-1)
    with pytest.raises(ValueError):
        mdata.gaussian_mixture(10, K=2, mean_cosine=0.1)  # only with means="equiangular"


def test_block_network_attains_Lstar_when_realizable():
    data = mixture(-0.6, "orthogonal")
    X, labels = data.x.double(), data.labels
    A, ok = block_network(X, labels)
    assert ok
    loss = frozen_mask_loss(model_from(A, A), X, SIGMA, LAM)["total"]
    assert loss == pytest.approx(per_cluster_optimum(X, labels, SIGMA, LAM)["total"], rel=1e-6)


@pytest.mark.parametrize("cosine", [-0.65, -0.5])
def test_sharing_gain_is_the_exact_change_of_the_frozen_loss(cosine):
    """Block network + one unit along a direction with kappa > 1: the frozen-mask loss changes by
    -2 eps lam (kappa - 1) + eps^2 q exactly, and its derivative at eps = 0 (autograd) is
    -2 lam (kappa - 1)."""
    data = mixture(cosine, "random", n=240, d=32)
    X, labels = data.x.double(), data.labels
    A, ok = block_network(X, labels)
    assert ok
    res = block_residuals(X, labels, SIGMA, LAM)
    cond = block_condition(X, labels, SIGMA, LAM)
    g = sharing_gain(res, cond["witness"])
    assert g["kappa"] > 1.01  # random spread directions overlap: sharing pays
    b, a = cond["witness"] / cond["witness"].norm(), g["decoder"]
    base = frozen_mask_loss(model_from(A, A), X, SIGMA, LAM)["total"]
    for eps in (0.3 * g["eps"], g["eps"], 2 * g["eps"]):
        W1 = torch.cat([A, math.sqrt(eps) * b[:, None]], 1)
        W2 = torch.cat([A, math.sqrt(eps) * a[:, None]], 1)
        new = frozen_mask_loss(model_from(W1, W2), X, SIGMA, LAM)["total"]
        pred = -2 * eps * LAM * (g["kappa"] - 1) + eps**2 * g["curvature"]
        assert new - base == pytest.approx(pred, rel=1e-6, abs=1e-12)
    assert base - frozen_mask_loss(
        model_from(
            torch.cat([A, math.sqrt(g["eps"]) * b[:, None]], 1),
            torch.cat([A, math.sqrt(g["eps"]) * a[:, None]], 1),
        ),
        X,
        SIGMA,
        LAM,
    )["total"] == pytest.approx(g["saving"], rel=1e-6)

    # autograd: d/d eps of the frozen-mask loss with the unit eps * a b^T added to every point of T
    Xf = X.double()
    D = (Xf @ A > 0).double()
    T = (Xf @ b > 0).double()
    eps = torch.zeros((), dtype=torch.float64, requires_grad=True)
    M = torch.einsum("dp,np,ep->nde", A, D, A) + eps * T[:, None, None] * torch.outer(a, b)
    data_term = (torch.einsum("nde,ne->nd", M, Xf) - Xf).pow(2).sum(1) + SIGMA**2 * M.pow(2).sum(
        (1, 2)
    )
    loss = data_term.mean() + 2 * LAM * eps  # the unit's weight decay, balanced: 2 eps lam
    (grad,) = torch.autograd.grad(loss, eps)
    assert float(grad) == pytest.approx(-2 * LAM * (g["kappa"] - 1), rel=1e-6)


@pytest.mark.parametrize("c", [-0.95, -0.8, -0.5, -0.2, 0.0, 0.3, 0.7])
def test_pair_closed_form_against_a_search_over_the_plane(c):
    """Two rank-one clusters (spread 0): sup of kappa over units firing on both, by a dense scan of
    the plane of the means, against 1 + c (c >= 0) and sqrt(1 - c^2) (c <= 0)."""
    d, n = 6, 40
    mu0 = torch.zeros(d, dtype=torch.float64)
    mu1 = torch.zeros(d, dtype=torch.float64)
    mu0[0] = 3.0
    mu1[0], mu1[1] = 3.0 * c, 3.0 * math.sqrt(1 - c * c)
    X = torch.stack([mu0, mu1]).repeat(n // 2, 1)
    labels = torch.arange(n) % 2
    res = block_residuals(X, labels, SIGMA, LAM)
    best = 0.0
    for phi in torch.linspace(-math.pi, math.pi, 20001, dtype=torch.float64):
        b = torch.zeros(d, dtype=torch.float64)
        b[0], b[1] = torch.cos(phi), torch.sin(phi)
        g = sharing_gain(res, b)
        if bool(g["pattern"].all()):
            best = max(best, g["kappa"])
    assert best == pytest.approx(pair_sharing_kappa(c), abs=2e-3)
    assert (pair_sharing_kappa(c) > 1) == (c > 0)


def test_spread_closed_form():
    assert spread_pair_kappa(-0.5, 0.0, 10.0) <= 1.0
    assert spread_pair_kappa(-1.0, 0.4, 0.0) == pytest.approx(0.0)
    assert spread_pair_kappa(-0.5, 0.4, 2.0) > 1.0
    # growing tilt only helps once the spread overlap beats the means' term
    ks = [spread_pair_kappa(-0.5, 0.4, t) for t in (0.5, 1.0, 2.0, 4.0)]
    assert ks == sorted(ks)


@pytest.mark.parametrize(
    "bases,cosine,expect_gain",
    [("orthogonal", -0.5, False), ("orthogonal", -0.2, False), ("random", -0.5, True)],
)
def test_closed_form_agrees_with_the_data(bases, cosine, expect_gain):
    data = mixture(cosine, bases)
    X, labels = data.x.double(), data.labels
    geo = spread_pair_geometry(X, labels, 0, 1, 2)
    res = block_residuals(X, labels, SIGMA, LAM)
    g = sharing_gain(res, geo["b"])
    assert (geo["kappa"] > 1) == expect_gain
    searched = max_sharing_gain(res, [geo["b"]] + list(X[:20]))["kappa"]
    assert (searched > 1 + 1e-6) == expect_gain
    if expect_gain:
        assert bool(g["pattern"].all())  # the constructed unit fires on every point of both
        assert g["kappa"] == pytest.approx(geo["kappa"], rel=0.1)


def test_mc_loss_matches_the_closed_form_loss():
    data = mixture(-0.5, "random", n=60, d=12)
    X = data.x.double()
    m = ReLUDAE(12, 8, seed=3)
    mc = mc_loss(m, X, SIGMA, LAM, draws=400, seed=1)
    exact = dae_loss_exact(m, X, SIGMA, LAM, draws=400, seed=2)["total"]
    assert abs(mc["loss"] - exact) < 4 * mc["se"] + 1e-3 * exact
    ref = block_residuals(X, data.labels, SIGMA, LAM)["M"]
    paired = mc_loss(m, X, SIGMA, LAM, draws=400, seed=1, reference=ref)
    assert paired["loss"] == pytest.approx(mc["loss"])
    # the reference's exact risk plus the paired difference estimates the same data term
    est = paired["ref_data"] + paired["diff_data"]
    assert abs(est - mc["data"]) < 4 * (paired["diff_se"] + mc["se"])


def test_condition_against_trained_networks():
    """Where the condition holds the trained loss does not go below L*; where the search finds
    kappa > 1 and the block solution is realisable, training goes below it."""
    from memgen.experiments import ch05_theorem as ex5

    hold = ex5.reach_cell(2, -0.5, "orthogonal")
    assert hold["holds"]
    assert hold["gap"] >= -3 * hold["gap_se"]
    assert hold["gap"] <= 0.01
    fail = ex5.reach_cell(2, -0.5, "random")
    assert fail["realizable"] and fail["kappa"] > 1
    assert fail["gap"] < -3 * fail["gap_se"]
