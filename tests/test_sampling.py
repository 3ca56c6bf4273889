"""Samplers: Gaussian data with its exact denoiser (the oracle) gives the data variance; the
empirical
denoiser gives training points; callbacks, determinism and validation."""

import pytest
import torch

from memgen.empirical import EmpiricalDenoiser
from memgen.sampling import sample_probability_flow, sample_ve_ancestral, sigma_schedule
from memgen.stats import nearest_neighbors, typical_spacing


def gaussian_denoiser(s0):
    """The exact denoiser of N(0, s0^2 I): E[x | x + sigma eps] = y s0^2 / (s0^2 + sigma^2)."""
    return lambda x, sigma: x * (s0**2 / (s0**2 + sigma**2))


def test_sigma_schedule():
    s = sigma_schedule(60)
    assert s.shape == (61,) and s.dtype == torch.float32
    assert (
        float(s[0]) == pytest.approx(2.0)
        and float(s[-2]) == pytest.approx(0.02)
        and float(s[-1]) == 0.0
    )
    ratios = s[1:-1] / s[:-2]
    torch.testing.assert_close(ratios, torch.full_like(ratios, float(ratios[0])))  # geometric
    k = sigma_schedule(10, 80.0, 0.002, kind="karras")
    assert float(k[0]) == pytest.approx(80.0) and float(k[-2]) == pytest.approx(0.002, rel=1e-4)
    assert bool((k[1:] < k[:-1]).all())
    assert sigma_schedule(1, 3.0, 0.5).tolist() == [3.0, 0.0]
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1, got 0"):
        sigma_schedule(0)
    with pytest.raises(ValueError, match="sigma_max must be >= 0.5"):
        sigma_schedule(5, 0.1, 0.5)
    with pytest.raises(ValueError, match="sigma_min must be > 0"):
        sigma_schedule(5, 1.0, 0.0)
    with pytest.raises(
        ValueError, match="unknown schedule kind 'cosine'; choose one of: geometric, karras"
    ):
        sigma_schedule(5, kind="cosine")


@pytest.mark.parametrize("sampler", ["ancestral", "heun", "euler"])
def test_gaussian_data_gives_the_data_variance(sampler):
    s0 = 0.7
    sigmas = sigma_schedule(1000, 20 * s0, 0.01)  # many steps: the discretization bias is < 1%
    g = torch.Generator().manual_seed(0)
    x = float(sigmas[0]) * torch.randn(5000, 4, generator=g)
    D = gaussian_denoiser(s0)
    if sampler == "ancestral":
        out = sample_ve_ancestral(D, x, sigmas, generator=g)
    else:
        out = sample_probability_flow(D, x, sigmas, solver=sampler)
    var = float(out.var())
    assert var == pytest.approx(s0**2, rel=0.05), var
    assert abs(float(out.mean())) < 0.05


def test_ancestral_variance_follows_its_exact_recursion():
    """For Gaussian data each ancestral step maps the variance v at sigma to
    v (1 - delta / (s0^2 + sigma^2))^2 + delta, delta = sigma^2 - sigma_next^2: with 60 steps
    the sampler is biased (variance above s0^2), and the simulation matches the recursion."""
    s0 = 0.7
    sigmas = sigma_schedule(60, 20 * s0, 0.01)
    s = sigmas.double().tolist()
    v = s[0] ** 2
    for a, b in zip(s[:-2], s[1:-1]):
        delta = a * a - b * b
        v = v * (1 - delta / (s0**2 + a * a)) ** 2 + delta
    v *= (s0**2 / (s0**2 + s[-2] ** 2)) ** 2  # the last step returns the denoised estimate
    g = torch.Generator().manual_seed(1)
    out = sample_ve_ancestral(
        gaussian_denoiser(s0), s[0] * torch.randn(20000, 4, generator=g), sigmas, generator=g
    )
    assert v > 1.1 * s0**2
    assert float(out.var()) == pytest.approx(v, rel=0.03)


@pytest.mark.parametrize("sampler", ["ancestral", "heun"])
def test_empirical_denoiser_samples_are_training_points(sampler):
    X = 3 * torch.randn(12, 2, generator=torch.Generator().manual_seed(1))
    spacing = typical_spacing(X)
    sigmas = sigma_schedule(60, 2 * float(X.norm(dim=1).max()), 0.01 * spacing)
    g = torch.Generator().manual_seed(2)
    x = float(sigmas[0]) * torch.randn(200, 2, generator=g)
    if sampler == "ancestral":
        out = sample_ve_ancestral(EmpiricalDenoiser(X), x, sigmas, generator=g)
    else:
        out = sample_probability_flow(EmpiricalDenoiser(X), x, sigmas)
    dist, idx = nearest_neighbors(out, X)
    assert float(dist.max()) < 1e-3 * spacing
    assert len(set(idx.tolist())) >= 8  # many training points are reached, not one


def test_callback_receives_every_step():
    seen = []
    sigmas = sigma_schedule(7)
    x = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    sample_ve_ancestral(gaussian_denoiser(1.0), x, sigmas, callback=seen.append)
    assert [c["i"] for c in seen] == list(range(7))
    assert set(seen[0]) == {"i", "x", "sigma", "sigma_next", "denoised"}
    assert seen[0]["sigma"] == pytest.approx(2.0) and seen[-1]["sigma_next"] == 0.0
    assert torch.equal(seen[0]["x"], x)
    seen.clear()
    sample_probability_flow(gaussian_denoiser(1.0), x, sigmas, callback=seen.append)
    assert len(seen) == 7


def test_ancestral_last_step_returns_the_denoised_estimate():
    seen = []
    x = torch.randn(3, 2, generator=torch.Generator().manual_seed(0))
    out = sample_ve_ancestral(gaussian_denoiser(1.0), x, sigma_schedule(5), callback=seen.append)
    torch.testing.assert_close(out, seen[-1]["denoised"])


def test_determinism_given_a_generator():
    sigmas, D = sigma_schedule(10), gaussian_denoiser(1.0)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    a = sample_ve_ancestral(D, x, sigmas, generator=torch.Generator().manual_seed(5))
    b = sample_ve_ancestral(D, x, sigmas, generator=torch.Generator().manual_seed(5))
    c = sample_ve_ancestral(D, x, sigmas, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    state = torch.get_rng_state()
    sample_ve_ancestral(D, x, sigmas)
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(sample_probability_flow(D, x, sigmas), sample_probability_flow(D, x, sigmas))


def test_validation():
    D, x = gaussian_denoiser(1.0), torch.zeros(2, 3)
    with pytest.raises(ValueError, match="denoiser must be callable"):
        sample_ve_ancestral(3, x, sigma_schedule(3))
    with pytest.raises(ValueError, match="sigmas must be >= 0 and non-increasing"):
        sample_ve_ancestral(D, x, torch.tensor([1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="sigmas must have length >= 2"):
        sample_ve_ancestral(D, x, torch.tensor([1.0]))
    with pytest.raises(ValueError, match="sigmas must be > 0 except possibly the last"):
        sample_probability_flow(D, x, torch.tensor([1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="x must not contain NaN or inf"):
        sample_ve_ancestral(D, torch.full((2, 3), float("nan")), sigma_schedule(3))
    with pytest.raises(ValueError, match="unknown solver 'rk4'; choose one of: euler, heun"):
        sample_probability_flow(D, x, sigma_schedule(3), solver="rk4")
    with pytest.raises(
        ValueError, match="denoiser\\(x, sigma\\) must return a tensor of x's shape"
    ):
        sample_ve_ancestral(lambda x, s: x[:1], x, sigma_schedule(3))
    with pytest.raises(ValueError, match="callback must be callable"):
        sample_ve_ancestral(D, x, sigma_schedule(3), callback=1)
