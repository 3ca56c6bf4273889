"""The fast trainer: hand gradients against torch autograd, an unbiased loss estimate, and the same
minimiser as the naive loop (closed forms of the memorization and block solutions)."""

import numpy as np
import pytest
import torch

from memgen import data as mdata
from memgen.dae import ReLUDAE
from memgen.fit_fast import fit_dae, loss_and_grads
from memgen.linear import memorization_gain, optimal_linear_denoiser
from memgen.train_mc import dae_loss


def _cv_loss_torch(W1, W2, X, Y, sigma, lam):
    """The control-variate estimator written plainly, for autograd."""
    pre = X @ W1
    D = (pre > 0).to(X.dtype)
    closed = ((pre * D) @ W2.T - X).pow(2).sum(-1) + sigma**2 * (
        (D @ ((W1.T @ W1) * (W2.T @ W2))) * D
    ).sum(-1)
    XK = X.repeat(Y.shape[0] // X.shape[0], 1)
    A = Y @ W1
    corr = (torch.relu(A) @ W2.T - XK).pow(2).sum(-1) - (
        (A * D.repeat(Y.shape[0] // X.shape[0], 1)) @ W2.T - XK
    ).pow(2).sum(-1)
    return closed.mean() + corr.mean() + lam * (W1.pow(2).sum() + W2.pow(2).sum())


@pytest.mark.parametrize("tied", [False, True])
def test_gradients_match_autograd(tied):
    g = torch.Generator().manual_seed(0)
    n, d, p, K, sigma, lam = 6, 10, 7, 3, 0.7, 0.05
    X = torch.randn(n, d, generator=g)
    W1 = torch.randn(d, p, generator=g) / 3
    W2 = W1 if tied else torch.randn(d, p, generator=g) / 3
    Y = X.repeat(K, 1) + sigma * torch.randn(K * n, d, generator=g)
    W1a = W1.clone().double().requires_grad_(True)
    W2a = W1a if tied else W2.clone().double().requires_grad_(True)
    ref = _cv_loss_torch(W1a, W2a, X.double(), Y.double(), sigma, lam)
    ref.backward()
    ref = ref.detach()
    loss, g1, g2 = loss_and_grads(
        W1.numpy()[None],
        W2.numpy()[None],
        X.numpy(),
        Y.numpy()[None],
        np.array([sigma]),
        np.array([lam]),
        tied=tied,
    )
    assert loss[0] == pytest.approx(ref.item(), rel=1e-5)
    np.testing.assert_allclose(g1[0], W1a.grad.numpy(), rtol=1e-4, atol=1e-5)
    if tied:
        assert g2 is None
    else:
        np.testing.assert_allclose(g2[0], W2a.grad.numpy(), rtol=1e-4, atol=1e-5)
    # flips really happen at this noise level, so the Monte Carlo correction is exercised
    assert bool(((Y @ W1 > 0) != (X.repeat(K, 1) @ W1 > 0)).any())


def test_estimator_is_unbiased_for_the_true_loss():
    """Mean of the control-variate estimate over many draws = plain Monte Carlo of the DAE loss."""
    g = torch.Generator().manual_seed(1)
    n, d, p, sigma, lam = 5, 8, 6, 1.0, 0.01
    X = torch.randn(n, d, generator=g)
    m = ReLUDAE(d, p, seed=3)
    K = 4000
    eps = torch.randn(K, n, d, generator=g)
    truth = dae_loss(m, X, sigma, lam, noise=eps).item()
    Y = (X + sigma * eps).reshape(1, K * n, d).numpy()
    est, _, _ = loss_and_grads(
        m.W1.detach().numpy()[None],
        m.W2.detach().numpy()[None],
        X.numpy(),
        Y,
        np.array([sigma]),
        np.array([lam]),
    )
    # on the same draws the estimate differs from plain Monte Carlo only by the Monte Carlo error of
    # the frozen-mask part, which the estimator replaces by its exact value
    W1, W2, Xd = m.W1.detach().double(), m.W2.detach().double(), X.double()
    D = (Xd @ W1 > 0).double()
    lin = (
        (((Xd + sigma * eps.double()) @ W1 * D) @ W2.T - Xd).pow(2).sum(-1).mean(-1)
    )  # (K,) per draw
    exact_lin = float(
        ((Xd @ W1 * D) @ W2.T - Xd).pow(2).sum(-1).mean()
        + sigma**2 * ((D @ ((W1.T @ W1) * (W2.T @ W2))) * D).sum(-1).mean()
    )
    assert est[0] == pytest.approx(truth + exact_lin - float(lin.mean()), rel=1e-4)
    # which is within a few standard errors: unbiased
    assert abs(est[0] - truth) < 4 * float(lin.std()) / K**0.5
    # and with no noise at all (sigma = 0) the closed form is the whole loss
    est0, _, _ = loss_and_grads(
        m.W1.detach().numpy()[None],
        m.W2.detach().numpy()[None],
        X.numpy(),
        X.numpy()[None],
        np.array([0.0]),
        np.array([lam]),
    )
    assert est0[0] == pytest.approx(float(dae_loss(m, X, 0.0, lam).detach()), rel=1e-5)


def test_memorization_closed_form_reached():
    """p >= n on negatively correlated samples: each sample stored with gain m_i."""
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(12, 4, generator=g))
    X = 3.0 * (q.T - q.T.mean(0))  # 4 samples, pairwise cosine -1/3
    sigma, lam = 0.2, 0.1
    res = fit_dae(X, 6, sigma=sigma, lam=lam, steps=1500, seed=[0, 1])
    m = res.models[int(np.argmin(res.losses[-20:].mean(0)))]
    U = X / X.norm(dim=1, keepdim=True)
    active = (X @ m.W1 > 0).detach()
    with torch.no_grad():
        gains = torch.stack(
            [U[i] @ m.W2[:, active[i]] @ m.W1[:, active[i]].T @ U[i] for i in range(4)]
        )
    torch.testing.assert_close(
        gains, memorization_gain(X.norm(dim=1) ** 2, 4, sigma, lam), rtol=0.02, atol=0
    )


def test_block_solution_on_separable_mixture():
    data = mdata.gaussian_mixture(
        120, K=2, d=12, rank=2, spread=0.7, separation=4.0, means="simplex", seed=0
    )
    sigma, lam, n = 0.2, 1e-3, 120
    theory = sum(
        optimal_linear_denoiser(data.x[data.labels == k].double(), sigma, lam * n / 60)
        for k in range(2)
    )
    res = fit_dae(data.x, 8, sigma=sigma, lam=lam, steps=2000, tied=True, seed=[0, 1])
    m = res.models[int(np.argmin(res.losses[-20:].mean(0)))]
    learned = (m.W2 @ m.W1.T).detach().double()
    assert float((learned - theory).norm() / theory.norm()) < 0.05


def test_batch_and_seeding():
    X = mdata.load_digits(n=10, seed=0).x
    a = fit_dae(X, 4, sigma=0.3, lam=[0.0, 0.5], steps=50, seed=0)
    b = fit_dae(X, 4, sigma=0.3, lam=[0.0, 0.5], steps=50, seed=0)
    assert len(a.models) == 2 and a.losses.shape == (50, 2)
    np.testing.assert_array_equal(a.losses, b.losses)
    # the larger weight decay gives smaller weights
    assert a.models[1].W1.norm() < a.models[0].W1.norm()
    # warm start from a model; callback sees every step
    seen = []
    fit_dae(
        X,
        4,
        sigma=0.3,
        lam=0.1,
        steps=6,
        init=a.models[0],
        callback=lambda info: seen.append(info["step"]),
    )
    assert seen == list(range(1, 7))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p": 0}, "p must be"),
        ({"sigma": -1.0}, "sigma must be"),
        ({"lam": [0.1, -0.1]}, "lam must be"),
        ({"steps": 0}, "steps must be"),
        ({"schedule": "linear"}, "unknown schedule"),
        ({"seed": [0, 1], "sigma": [0.1, 0.2, 0.3]}, "seed must be"),
    ],
)
def test_bad_input(kwargs, match):
    X = torch.zeros(3, 4)
    args = {"p": 2, "sigma": 0.1, "lam": 0.0, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_dae(X, **args)


# ---------------------------------------------------------------- per-model sample weights and unit
# masks


def test_weights_equal_copies_and_subsets():
    """Weight m/n on a row = m identical rows (same noisy draws); weight 0 = the row left out."""
    g = torch.Generator().manual_seed(4)
    n, d, p, sigma, lam = 5, 8, 6, 0.6, 0.03
    X = torch.randn(n, d, generator=g)
    W1 = torch.randn(1, d, p, generator=g) / 3
    W2 = torch.randn(1, d, p, generator=g) / 3
    Y = X + sigma * torch.randn(n, d, generator=g)
    mult = torch.tensor([3, 1, 1, 2, 1])
    rows = torch.arange(n).repeat_interleave(mult)
    s, l = np.array([sigma]), np.array([lam])
    ref = loss_and_grads(W1.numpy(), W2.numpy(), X[rows].numpy(), Y[rows].numpy()[None], s, l)
    w = (mult / mult.sum()).numpy()[None]
    got = loss_and_grads(W1.numpy(), W2.numpy(), X.numpy(), Y.numpy()[None], s, l, weights=w)
    assert got[0][0] == pytest.approx(ref[0][0], rel=1e-5)
    for a, b in zip(got[1:], ref[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # 0/1 weights: the subset of the first 3 rows
    sub = loss_and_grads(W1.numpy(), W2.numpy(), X[:3].numpy(), Y[:3].numpy()[None], s, l)
    w01 = np.array([[1 / 3, 1 / 3, 1 / 3, 0, 0]], dtype=np.float32)
    got = loss_and_grads(W1.numpy(), W2.numpy(), X.numpy(), Y.numpy()[None], s, l, weights=w01)
    assert got[0][0] == pytest.approx(sub[0][0], rel=1e-5)
    for a, b in zip(got[1:], sub[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_padded_models_reach_their_own_memorization_solution():
    """One batch, models of different n (sample weights) and p (unit masks): each reaches the closed
    form of its own n, and its extra units stay exactly zero."""
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(12, 4, generator=g))
    X = 3.0 * (q.T - q.T.mean(0))  # 4 samples, pairwise cosine -1/3 (also any 3 of them)
    sigma, lam = 0.2, 0.1
    cells = [(3, 4), (3, 6), (4, 5), (4, 8)]
    seeds = [0, 1]
    runs = [(n, p, s) for n, p in cells for s in seeds]
    W = np.array([[1.0] * n + [0.0] * (4 - n) for n, _, _ in runs])
    res = fit_dae(
        X,
        8,
        sigma=sigma,
        lam=lam,
        steps=1500,
        seed=[s for _, _, s in runs],
        sample_weight=W,
        units=[p for _, p, _ in runs],
    )
    tail = res.losses[-20:].mean(0)
    for k, (n, p) in enumerate(cells):
        b = 2 * k + int(np.argmin(tail[2 * k : 2 * k + 2]))
        m = res.models[b]
        if p < 8:
            assert (
                float(m.W1[:, p:].detach().abs().max()) == 0.0
                and float(m.W2[:, p:].detach().abs().max()) == 0.0
            )
        Xn = X[:n]
        U = Xn / Xn.norm(dim=1, keepdim=True)
        active = (Xn @ m.W1 > 0).detach()
        with torch.no_grad():
            gains = torch.stack(
                [U[i] @ m.W2[:, active[i]] @ m.W1[:, active[i]].T @ U[i] for i in range(n)]
            )
        torch.testing.assert_close(
            gains, memorization_gain(Xn.norm(dim=1) ** 2, n, sigma, lam), rtol=0.02, atol=0
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sample_weight": [1.0, -1.0, 1.0]}, "sample_weight must be"),
        ({"sample_weight": [0.0, 0.0, 0.0]}, "sample_weight must be"),
        ({"sample_weight": [[1.0, 1.0]]}, "sample_weight must have last dimension"),
        ({"units": 0}, "units must be"),
        ({"units": [1, 3]}, "units must be"),
        ({"units": [1, 2], "seed": [0, 1, 2]}, "units must be"),
    ],
)
def test_bad_weights_and_units(kwargs, match):
    X = torch.ones(3, 4)
    args = {"p": 2, "sigma": 0.1, "lam": 0.0, "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        fit_dae(X, **args)


def test_shared_noise():
    """One noise draw for the whole batch: identical models stay identical; for one model it is the
    default stream."""
    X = mdata.load_digits(n=6, seed=0).x
    kw = {"sigma": 0.3, "lam": 0.05, "steps": 30}
    a = fit_dae(X, 5, seed=[0, 0], shared_noise=True, **kw)
    np.testing.assert_array_equal(a.losses[:, 0], a.losses[:, 1])
    b = fit_dae(X, 5, seed=[0, 0], **kw)  # own draws per model
    assert not np.array_equal(b.losses[:, 0], b.losses[:, 1])
    np.testing.assert_array_equal(
        fit_dae(X, 5, seed=3, shared_noise=True, **kw).losses, fit_dae(X, 5, seed=3, **kw).losses
    )
    # per-model noise levels with shared draws: the draws are scaled per model
    c = fit_dae(X, 5, seed=[0, 0], shared_noise=True, sigma=[0.3, 0.6], lam=0.05, steps=30)
    assert c.losses[0, 1] > c.losses[0, 0]
