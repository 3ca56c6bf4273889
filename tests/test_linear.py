"""Linear denoisers: the risk identity against Monte Carlo and against exact special cases, and the
shrinkage (Wiener) solution against the gradient of the penalised risk."""

import time

import pytest
import torch

from memgen.linear import (
    linear_denoising_risk,
    linear_denoising_risk_mc,
    linear_risk_rel_err,
    memorization_gain,
    optimal_linear_denoiser,
)


def _X(n=30, d=6, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_special_cases():
    X, sigma = _X(), 0.7
    d = X.shape[1]
    # M = I: no bias, pure noise sigma^2 d; M = 0: mean ||x||^2
    assert float(linear_denoising_risk(torch.eye(d), X, sigma)) == pytest.approx(sigma**2 * d)
    assert float(linear_denoising_risk(torch.zeros(d, d), X, sigma)) == pytest.approx(
        float(X.pow(2).sum(1).mean())
    )
    # M = a I: (1 - a)^2 mean ||x||^2 + sigma^2 a^2 d
    a = 0.3
    expected = (1 - a) ** 2 * float(X.pow(2).sum(1).mean()) + sigma**2 * a**2 * d
    assert float(linear_denoising_risk(a * torch.eye(d), X, sigma)) == pytest.approx(expected)


def test_monte_carlo_agrees_with_the_closed_form():
    X = _X()
    M = torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64) / 6**0.5
    closed = float(linear_denoising_risk(M, X, 0.5))
    mc = float(linear_denoising_risk_mc(M, X, 0.5, n_draws=4000, seed=3))
    assert mc == pytest.approx(closed, rel=0.01)
    # small blocks of draws: still an estimate of the same quantity; sigma = 0 needs no sampling at
    # all
    assert float(
        linear_denoising_risk_mc(M, X, 0.5, n_draws=4000, seed=4, chunk=7)
    ) == pytest.approx(closed, rel=0.01)
    assert float(linear_denoising_risk_mc(M, X, 0.5, n_draws=5, seed=3)) == float(
        linear_denoising_risk_mc(M, X, 0.5, n_draws=5, seed=3)
    )
    assert float(linear_denoising_risk_mc(M, X, 0.0, n_draws=2)) == pytest.approx(
        float(linear_denoising_risk(M, X, 0.0)), rel=1e-12
    )


def test_closed_form_is_the_exact_expectation_over_a_whitened_noise_set():
    """For noise vectors whose empirical mean is 0 and covariance exactly I (the 2d vectors
    +-sqrt(d) e_j), the average of ||M(x + sigma eps) - x||^2 equals the closed form exactly."""
    X, sigma = _X(5, 4), 0.9
    d = 4
    eps = torch.cat([d**0.5 * torch.eye(d), -(d**0.5) * torch.eye(d)]).double()  # mean 0, cov I
    assert torch.allclose(eps.T @ eps / len(eps), torch.eye(d, dtype=torch.float64))
    M = torch.randn(d, d, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    exact = torch.stack([((X + sigma * e) @ M.T - X).pow(2).sum(1).mean() for e in eps]).mean()
    assert float(linear_denoising_risk(M, X, sigma)) == pytest.approx(float(exact), rel=1e-12)


def test_rel_err_default_meets_the_book_target_quickly():
    t0 = time.perf_counter()
    err = linear_risk_rel_err()
    assert err <= 0.02 / 4  # the scorecard target is 0.02: keep a wide margin
    assert time.perf_counter() - t0 < 1.0
    assert linear_risk_rel_err(seed=1) <= 0.005


def test_risk_is_differentiable_and_matches_the_gradient_formula():
    X, sigma = _X(), 0.4
    M = torch.randn(
        6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(4)
    ).requires_grad_(True)
    (grad,) = torch.autograd.grad(linear_denoising_risk(M, X, sigma), M)
    S = X.T @ X / len(X)
    torch.testing.assert_close(
        grad, 2 * (M.detach() - torch.eye(6, dtype=torch.float64)) @ S + 2 * sigma**2 * M.detach()
    )


def test_optimal_linear_denoiser_is_the_wiener_filter_and_a_stationary_point():
    X, sigma = _X(), 0.6
    S = X.T @ X / len(X)
    I = torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(
        optimal_linear_denoiser(X, sigma), S @ torch.linalg.inv(S + sigma**2 * I)
    )
    # with lam > 0 it minimises risk + 2 lam ||M||_*: no random perturbation does better
    lam = 0.3
    M = optimal_linear_denoiser(X, sigma, lam)

    def objective(M):
        return float(linear_denoising_risk(M, X, sigma)) + 2 * lam * float(
            torch.linalg.svdvals(M).sum()
        )

    g = torch.Generator().manual_seed(0)
    best = objective(M)
    for _ in range(50):
        P = 1e-3 * torch.randn(6, 6, generator=g, dtype=torch.float64)
        assert objective(M + P) >= best - 1e-12
    assert int(torch.linalg.matrix_rank(optimal_linear_denoiser(X, sigma, lam, rank=2))) <= 2


def test_memorization_gain():
    assert float(memorization_gain(4.0, 1, 0.5, 0.4)) == pytest.approx(3.6 / 4.25)
    assert float(memorization_gain(4.0, 10, 0.5, 0.4)) == 0.0  # the unit dies when ||x||^2 <= n lam
    assert memorization_gain(torch.tensor([1.0, 9.0]), 2, 0.0, 0.0).tolist() == [1.0, 1.0]


def test_bad_inputs():
    X = _X()
    with pytest.raises(ValueError, match=r"M must be \(d, d\) = \(6, 6\)"):
        linear_denoising_risk(torch.eye(5), X, 0.1)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        linear_denoising_risk(torch.eye(6), X, -0.1)
    with pytest.raises(ValueError, match="n_draws must be an integer >= 1"):
        linear_denoising_risk_mc(torch.eye(6), X, 0.1, n_draws=0)
    with pytest.raises(ValueError, match="X must not contain NaN or inf"):
        linear_denoising_risk(torch.eye(2), torch.tensor([[float("nan"), 0.0]]), 0.1)
    with pytest.raises(ValueError, match="d must be an integer >= 1"):
        linear_risk_rel_err(d=0)
