"""The block-structure theorem's pieces against independent oracles: hand-computed cosines, the
normal
tail against Monte Carlo flips, the closed-form per-cluster optimum against direct evaluation and a
constructed block network, the exact loss against the plain Monte Carlo loss of memgen.train_mc."""

import math

import pytest
import torch

from memgen import data as mdata
from memgen.dae import ReLUDAE
from memgen.generalization import block_prediction
from memgen.linear import optimal_linear_denoiser
from memgen.theorem import (
    block_purity,
    cone_margin,
    dae_loss_exact,
    flip_bound,
    frozen_mask_loss,
    loss_split,
    mask_stability,
    per_cluster_optimum,
    per_cluster_problem,
    phi_bar,
    separability,
)
from memgen.train_mc import dae_loss


def test_separability_by_hand():
    t = 0.3
    X = torch.tensor([[1.0, 0.0], [math.cos(t), math.sin(t)], [-1.0, 0.2], [-2.0, -0.1]])
    s = separability(X, torch.tensor([0, 0, 1, 1]))
    U = X / X.norm(dim=1, keepdim=True)
    C = U @ U.T
    assert s["alpha"] == pytest.approx(min(math.cos(t), float(C[2, 3])), abs=1e-6)
    assert s["beta"] == pytest.approx(-float(C[:2, 2:].max()), abs=1e-6)
    assert s["separable"]
    # positively correlated clusters are not separable
    s2 = separability(
        torch.tensor([[1.0, 0.0], [1.0, 0.1], [1.0, 1.0], [0.9, 1.0]]), torch.tensor([0, 0, 1, 1])
    )
    assert s2["beta"] < 0 and not s2["separable"]


def test_phi_bar_matches_torch_normal():
    z = torch.linspace(-3, 6, 19, dtype=torch.float64)
    ref = 1 - torch.distributions.Normal(0.0, 1.0).cdf(z)
    assert torch.allclose(phi_bar(z), ref, atol=1e-12)


def test_single_unit_flip_probability_is_the_normal_tail():
    """One unit: the flip probability is exactly Phi_bar(margin / sigma); Monte Carlo agrees."""
    g = torch.Generator().manual_seed(0)
    d, sigma = 5, 0.7
    X = torch.randn(4, d, generator=g)
    m = ReLUDAE.from_weights(torch.randn(d, 1, generator=g), torch.randn(d, 1, generator=g))
    pred = flip_bound(m, X, sigma, units=torch.tensor([True]))["unit_prob"][:, 0]
    st = mask_stability(m, X, sigma, draws=20000, seed=1, units=torch.tensor([True]))
    assert torch.allclose(1 - st["per_point"], pred, atol=0.012)
    assert float(pred.max()) > 0.05  # flips really happen here


def _block_network(X, labels, sigma, lam):
    """A ReLU DAE whose block k realises M_k* = sum_j m_j u_j u_j^T in balance, with every unit
    carrying
    an equal share of the top (mean) direction, so it fires on all of its cluster and nowhere
    else."""
    cols = []
    for k in labels.unique().tolist():
        Xk = X[labels == k].double()
        n = len(X)
        tau = n * lam / len(Xk)
        s, U = torch.linalg.eigh(Xk.T @ Xk / len(Xk))
        s, U = s.flip(0), U.flip(1)
        m = ((s - tau) / (s + sigma**2)).clamp_min(0)
        r = int((m > 0).sum())
        u1 = U[:, 0] * torch.sign(U[:, 0] @ Xk.mean(0))
        U = torch.cat([u1[:, None], U[:, 1:r]], dim=1)
        A = torch.randn(r, r, generator=torch.Generator().manual_seed(k), dtype=torch.float64)
        A[:, 0] = 1.0
        Q, _ = torch.linalg.qr(A)
        Q = Q * torch.sign(Q[0])  # first row of Q >= 0: each unit gets +sqrt(m_1 / r) u_1
        cols.append((U * m[:r].sqrt()) @ Q.T)  # (d, r): W W^T = U diag(m) U^T
    W = torch.cat(cols, dim=1).float()
    return ReLUDAE.from_weights(W, W.clone())


def test_constructed_block_network_attains_the_sum_of_per_cluster_optima():
    sigma, lam = 0.3, 1e-3
    data = mdata.gaussian_mixture(
        120, K=2, d=12, rank=2, spread=0.3, separation=5.0, means="simplex", seed=0
    )
    X, labels = data.x, data.labels
    model = _block_network(X, labels, sigma, lam)
    bp = block_purity(model, X, labels)
    assert bp["purity"] == 1.0 and bp["completeness"] == 1.0
    opt = per_cluster_optimum(X, labels, sigma, lam)
    split = loss_split(model, X, labels, sigma, lam)
    assert split["split_rel_err"] < 1e-6
    assert split["frozen"] == pytest.approx(opt["total"], rel=1e-5)
    assert max(abs(g) for g in split["balance_gap"]) < 1e-6
    # its blocks are chapter 3's block prediction
    theory = block_prediction(X, labels, sigma, lam)
    M = (model.W2 @ model.W1.T).detach().double()
    assert float((M - theory["M"]).norm() / theory["M"].norm()) < 1e-5
    # and the loss is exactly that: the masks never flip at this margin
    exact = dae_loss_exact(model, X, sigma, lam, draws=20)
    assert exact["flip_fraction"] == 0.0 and exact["correction"] == 0.0


def test_per_cluster_optimum_closed_form_is_the_minimum():
    g = torch.Generator().manual_seed(2)
    Xk = torch.randn(40, 6, generator=g, dtype=torch.float64) * torch.tensor(
        [3.0, 2.0, 1.0, 0.5, 0.2, 0.1]
    )
    sigma, lam = 0.5, 0.02
    labels = torch.zeros(40, dtype=torch.long)
    closed = per_cluster_optimum(Xk, labels, sigma, lam)["total"]
    Mstar = optimal_linear_denoiser(Xk, sigma, lam)
    assert per_cluster_problem(Mstar, Xk, sigma, lam) == pytest.approx(closed, rel=1e-10)
    for _ in range(20):  # any other M does worse
        P = 0.05 * torch.randn(6, 6, generator=g, dtype=torch.float64)
        assert per_cluster_problem(Mstar + P, Xk, sigma, lam) > closed
    # rank-restricted: keep 2 directions; the dropped ones cost s_j each
    r2 = per_cluster_optimum(Xk, labels, sigma, lam, widths=[2])["total"]
    assert r2 == pytest.approx(
        per_cluster_problem(optimal_linear_denoiser(Xk, sigma, lam, rank=2), Xk, sigma, lam),
        rel=1e-10,
    )
    assert r2 > closed


def test_exact_loss_matches_plain_monte_carlo_with_flips():
    g = torch.Generator().manual_seed(3)
    n, d, p, sigma, lam = 6, 8, 5, 0.8, 0.01
    X = torch.randn(n, d, generator=g)
    m = ReLUDAE(d, p, seed=4)
    exact = dae_loss_exact(m, X, sigma, lam, draws=4000, seed=5)
    eps = torch.randn(4000, n, d, generator=g)
    mc = dae_loss(m, X, sigma, lam, noise=eps).item()
    assert exact["flip_fraction"] > 0.2  # the correction is exercised
    assert exact["total"] == pytest.approx(mc, rel=0.01)
    assert exact["frozen"] == pytest.approx(frozen_mask_loss(m, X, sigma, lam)["total"])


def test_cone_lemma():
    """Non-negative combinations of a cluster's points have margin >= min(alpha, beta) ||x||."""
    data = mdata.gaussian_mixture(
        60, K=3, d=10, rank=2, spread=0.5, separation=4.0, means="simplex", seed=1
    )
    X, labels = data.x, data.labels
    s = separability(X, labels)
    assert s["separable"]
    g = torch.Generator().manual_seed(0)
    for k in range(3):
        Xk = X[labels == k]
        W = (torch.rand(50, len(Xk), generator=g) @ Xk).T
        margins = cone_margin(W, X, labels, torch.full((50,), k))
        bound = min(s["alpha"], s["beta"]) * X.norm(dim=1, keepdim=True).double()
        assert bool((margins >= bound - 1e-9).all())


def test_impure_unit_lowers_purity():
    X = torch.tensor([[1.0, 0.0], [1.0, 0.2], [-1.0, 0.0], [-1.0, -0.2], [-1.0, 0.3]])
    labels = torch.tensor([0, 0, 1, 1, 1])
    # unit 0 fires on cluster 0 only, unit 1 on cluster 1 only, unit 2 on x_1 (cluster 0) and x_4
    # (cluster 1)
    W1 = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])
    m = ReLUDAE.from_weights(W1, W1.clone())
    bp = block_purity(m, X, labels)
    assert bp["purity"] == pytest.approx(2 / 3)
    assert bp["completeness"] == 1.0  # the two pure units fire on every point of their cluster
    assert bp["n_active"] == 3


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: separability(torch.ones(3, 2), torch.tensor([0, 0, 0])), "two clusters"),
        (lambda: separability(torch.ones(3, 2), torch.tensor([0, 1])), "labels"),
        (lambda: mask_stability(ReLUDAE(2, 3), torch.ones(3, 2), -1.0), "sigma"),
        (
            lambda: per_cluster_optimum(
                torch.ones(4, 2), torch.tensor([0, 0, 1, 1]), 0.1, 0.1, widths=[1]
            ),
            "widths",
        ),
        (lambda: flip_bound(ReLUDAE(2, 3), torch.ones(3, 2), 0.0), "sigma"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_failure_figure_has_one_frame_per_setting():
    from memgen.views.ch05_theorem import failure_figure

    def row(v, units):
        return {
            "value": v,
            "alpha": 0.5,
            "beta": 0.2,
            "stability": 0.9,
            "purity": 1.0,
            "completeness": 0.8,
            "loss_gap_rel": -0.01,
            "rates": torch.rand(units, 2, generator=torch.Generator().manual_seed(units)),
        }

    fig = failure_figure({"sigma": [row(0.2, 5), row(1.0, 3), row(4.0, 4)]}, "sigma")
    assert [f.name for f in fig.frames] == ["0.2", "1", "4"]
    assert all(len(f.data) == 2 for f in fig.frames)
    # the bars show |loss gap|, and frames with fewer units are padded to the same width
    assert fig.frames[0].data[1].y[-1] == pytest.approx(0.01)
    assert {len(f.data[0].z[0]) for f in fig.frames} == {5}
