"""The empirical optimal denoiser: Tweedie against autograd (the oracle), its two limits,
stability."""

import math

import pytest
import torch

from memgen import data
from memgen.empirical import (
    EmpiricalDenoiser,
    empirical_denoiser,
    empirical_sampling_memorization,
    empirical_score,
    log_density,
    posterior_weights,
)


def _points(n=7, d=5, seed=0, dtype=torch.float32):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_score_is_the_autograd_gradient_of_log_density():
    X = _points(dtype=torch.float64)
    for sigma in (0.3, 1.0, 3.0):
        y = (X[:3] + sigma * _points(3, 5, seed=1, dtype=torch.float64)).requires_grad_(True)
        (grad,) = torch.autograd.grad(log_density(y, X, sigma).sum(), y)
        torch.testing.assert_close(
            empirical_score(y.detach(), X, sigma), grad, atol=1e-10, rtol=1e-8
        )


def test_log_density_matches_a_direct_formula():
    X, y, sigma = (
        _points(4, 3, dtype=torch.float64),
        torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64),
        0.7,
    )
    comps = [
        torch.distributions.MultivariateNormal(x, sigma**2 * torch.eye(3, dtype=torch.float64))
        for x in X
    ]
    direct = torch.log(sum(c.log_prob(y).exp() for c in comps) / 4)
    torch.testing.assert_close(log_density(y, X, sigma), direct)
    assert log_density(y, X, sigma).shape == () and log_density(y[None], X, sigma).shape == (1,)


def test_weights_sum_to_one_and_denoiser_is_their_average():
    X = _points()
    y = _points(6, 5, seed=2)
    w = posterior_weights(y, X, 0.8)
    assert w.shape == (6, 7) and bool((w >= 0).all())
    torch.testing.assert_close(w.sum(1), torch.ones(6))
    torch.testing.assert_close(empirical_denoiser(y, X, 0.8), w @ X)
    assert posterior_weights(y[0], X, 0.8).shape == (7,) and empirical_denoiser(
        y[0], X, 0.8
    ).shape == (5,)


def test_small_sigma_gives_the_nearest_training_point():
    X = _points()
    y = X + 0.05 * _points(7, 5, seed=3)
    nearest = X[torch.cdist(y, X).argmin(dim=1)]
    torch.testing.assert_close(empirical_denoiser(y, X, 1e-3), nearest)
    torch.testing.assert_close(empirical_denoiser(y, X, 0.0), nearest)  # sigma = 0 is the limit


def test_large_sigma_gives_the_mean():
    X = _points()
    y = 3 * _points(4, 5, seed=4)
    torch.testing.assert_close(
        empirical_denoiser(y, X, 1e4), X.mean(0).expand(4, 5), atol=1e-4, rtol=0
    )


def test_tiny_sigma_with_far_points_is_finite():
    X = torch.tensor([[0.0, 0.0], [1000.0, 0.0], [0.0, -500.0]])
    y = torch.tensor([[400.0, 300.0], [1e4, 1e4], [0.0, 0.0]])
    for f in (posterior_weights, empirical_denoiser, empirical_score, log_density):
        out = f(y, X, 1e-4)
        assert bool(torch.isfinite(out).all()), f.__name__
    torch.testing.assert_close(empirical_denoiser(y, X, 1e-4), X[torch.cdist(y, X).argmin(1)])


def test_dtype_follows_inputs():
    X = _points()
    assert empirical_denoiser(X, X, 0.5).dtype == torch.float32
    assert empirical_denoiser(X.double(), X, 0.5).dtype == torch.float64


def test_empirical_denoiser_object():
    X = _points()
    D = EmpiricalDenoiser(X)
    y = _points(3, 5, seed=5)
    torch.testing.assert_close(D(y, 0.4), empirical_denoiser(y, X, 0.4))
    torch.testing.assert_close(D.weights(y, 0.4), posterior_weights(y, X, 0.4))
    torch.testing.assert_close(D.score(y, 0.4), empirical_score(y, X, 0.4))
    assert D(y[0], 0.4).shape == (5,) and D.n == 7 and D.d == 5


def test_bad_inputs():
    X = _points()
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        empirical_denoiser(X, X, -1.0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        empirical_score(X, X, 0.0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        log_density(X, X, 0.0)
    with pytest.raises(ValueError, match=r"y must have last dimension 5"):
        empirical_denoiser(torch.zeros(2, 4), X, 1.0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        posterior_weights(torch.zeros(5), torch.zeros(5), 1.0)
    with pytest.raises(ValueError, match="y must not contain NaN or inf"):
        empirical_denoiser(torch.full((5,), math.nan), X, 1.0)


def test_sampling_with_the_empirical_denoiser_memorizes_digits():
    """The scorecard claim ch1.empirical_denoiser_memorizes: >= 95% of samples are training
    digits."""
    X = data.load_digits(n=200, seed=0).x
    out = empirical_sampling_memorization(X, n_samples=64, n_steps=60, seed=0)
    assert out["fraction_memorized"] >= 0.95
    assert (
        out["samples"].shape == (64, 64)
        and out["nn_dist"].shape == (64,)
        and out["nn_index"].shape == (64,)
    )
    assert out["spacing"] > 1.0
    assert float(out["nn_dist"].median()) < 1e-3 * out["spacing"]
    # the samples are spread over many training points, not one
    assert len(set(out["nn_index"].tolist())) > 30
    again = empirical_sampling_memorization(X, n_samples=64, n_steps=60, seed=0)
    assert torch.equal(again["samples"], out["samples"])
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        empirical_sampling_memorization(X, n_samples=0)


@pytest.mark.parametrize("sigma", [0.3, 0.8, 2.0])
def test_jacobian_norm_bound_holds_for_the_autograd_jacobian(sigma):
    """||J_emp(y)||_2 <= eps max_j ||x_j - x_i||^2 / sigma^2 (i the most likely point,
    eps = 1 - w_i), with J_emp from autograd; the bound vanishes at a training point with
    well-separated data."""
    from memgen.empirical import jacobian_norm_bound

    g = torch.Generator().manual_seed(0)
    X = torch.randn(6, 5, generator=g, dtype=torch.float64)
    Y = X[torch.tensor([0, 2, 4])] + sigma * torch.randn(3, 5, generator=g, dtype=torch.float64)
    bound = jacobian_norm_bound(Y, X, sigma)
    for y, b in zip(Y, bound):
        J = torch.autograd.functional.jacobian(lambda v: empirical_denoiser(v, X, sigma), y)
        assert float(torch.linalg.matrix_norm(J, ord=2)) <= float(b) + 1e-12
    assert float(jacobian_norm_bound(Y[0], X, sigma)) == pytest.approx(float(bound[0]))
    far = 100.0 * X
    assert float(jacobian_norm_bound(far[1], far, 0.3)) == 0.0
