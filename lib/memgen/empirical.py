"""The empirical optimal denoiser of a finite training set, its score and its density.

For training points X = (x_1, ..., x_n) (rows of an (n, d) tensor) and noise level sigma, the
minimiser over ALL functions f of (1/n) sum_i E||f(x_i + sigma eps) - x_i||^2 is the posterior mean

    f_emp(y) = sum_i w_i(y) x_i,    w_i(y) = softmax_i( -||y - x_i||^2 / (2 sigma^2) ),

the denoiser of the Gaussian-smoothed empirical distribution p_sigma(y) = (1/n) sum_i N(y; x_i,
sigma^2 I), whose score is (f_emp(y) - y) / sigma^2 (Tweedie's formula).

Numerics: squared distances and the softmax are computed in float64 with log-sum-exp, so tiny
sigma (1e-4 and below) gives finite, correctly concentrated weights; results are returned in the
inputs' floating dtype (float32 unless float64 was passed). Queries ``y`` are (d,) or (B, d);
outputs drop the batch dimension for a (d,) query.
"""

from __future__ import annotations

import math

import torch

from ._checks import check_float, check_int, check_tensor, make_generator
from .sampling import sample_ve_ancestral, sigma_schedule
from .stats import nearest_neighbors, typical_spacing


def _check_X(X) -> torch.Tensor:
    X = check_tensor("X", X, ndim=2, dtype=None)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must be (n, d) with n, d >= 1, got shape {tuple(X.shape)}")
    return X


def _check_y(y, d: int) -> torch.Tensor:
    return check_tensor("y", y, ndim=(1, 2), last_dim=d, dtype=None)


def _logits(y64: torch.Tensor, X64: torch.Tensor, x2: torch.Tensor, sigma: float) -> torch.Tensor:
    """-||y - x_i||^2 / (2 sigma^2) for y64 (B, d) float64; (B, n) float64."""
    d2 = (y64.pow(2).sum(-1, keepdim=True) - 2.0 * y64 @ X64.T + x2).clamp_min(0.0)
    return -d2 / (2.0 * sigma * sigma)


def _weights64(
    y64: torch.Tensor, X64: torch.Tensor, x2: torch.Tensor, sigma: float
) -> torch.Tensor:
    """Posterior weights (B, n) in float64; sigma = 0 gives the one-hot of the nearest point."""
    if sigma == 0.0:
        d2 = y64.pow(2).sum(-1, keepdim=True) - 2.0 * y64 @ X64.T + x2
        return torch.nn.functional.one_hot(d2.argmin(dim=-1), X64.shape[0]).to(torch.float64)
    return torch.softmax(_logits(y64, X64, x2, sigma), dim=-1)


def _dtype(y: torch.Tensor, X: torch.Tensor) -> torch.dtype:
    return torch.promote_types(y.dtype, X.dtype)


def posterior_weights(y, X, sigma) -> torch.Tensor:
    """w_i(y) = softmax_i(-||y - x_i||^2 / (2 sigma^2)): (B, n) for y (B, d), (n,) for y (d,).

    Rows sum to one. ``sigma >= 0``; sigma = 0 is the limit (one-hot on the nearest x_i).
    """
    X = _check_X(X)
    y = _check_y(y, X.shape[1])
    sigma = check_float("sigma", sigma, 0.0)
    X64 = X.double()
    w = _weights64(y.double().reshape(-1, X.shape[1]), X64, X64.pow(2).sum(-1), sigma)
    w = w.to(_dtype(y, X))
    return w[0] if y.ndim == 1 else w


def empirical_denoiser(y, X, sigma) -> torch.Tensor:
    """f_emp(y) = sum_i w_i(y) x_i, the empirical optimal denoiser; same shape as y ((d,) or (B,
    d)).

    ``X`` (n, d) training points; ``sigma >= 0`` (0: nearest training point). Differentiable in y.
    """
    X = _check_X(X)
    y = _check_y(y, X.shape[1])
    sigma = check_float("sigma", sigma, 0.0)
    X64 = X.double()
    w = _weights64(y.double().reshape(-1, X.shape[1]), X64, X64.pow(2).sum(-1), sigma)
    out = (w @ X64).to(_dtype(y, X))
    return out[0] if y.ndim == 1 else out


def jacobian_norm_bound(y, X, sigma) -> torch.Tensor:
    """An upper bound on the spectral norm of the empirical denoiser's Jacobian at each row of
    ``y``.

    The Jacobian is the posterior covariance over sigma^2 (chapter 7); with ``i`` the training point
    of largest posterior weight and ``eps = 1 - w_i(y)``, its norm is at most
    ``eps * max_j ||x_j - x_i||^2 / sigma^2``. Returns (B,) for y (B, d), 0-dim for (d,), float64;
    ``sigma > 0``. It vanishes as the posterior concentrates on one training point."""
    X = _check_X(X)
    y = _check_y(y, X.shape[1])
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    X64 = X.double()
    w = _weights64(y.double().reshape(-1, X.shape[1]), X64, X64.pow(2).sum(-1), sigma)
    top = w.max(dim=1)
    spread = torch.cdist(X64, X64).pow(2).max(dim=1).values  # max_j ||x_j - x_i||^2 for every i
    bound = (1.0 - top.values).clamp_min(0.0) * spread[top.indices] / (sigma * sigma)
    return bound[0] if y.ndim == 1 else bound


def empirical_score(y, X, sigma) -> torch.Tensor:
    """Score of p_sigma by Tweedie: (f_emp(y) - y) / sigma^2; shape of y. Requires sigma > 0."""
    X = _check_X(X)
    y = _check_y(y, X.shape[1])
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    X64, y64 = X.double(), y.double().reshape(-1, X.shape[1])
    w = _weights64(y64, X64, X64.pow(2).sum(-1), sigma)
    score = ((w @ X64 - y64) / (sigma * sigma)).to(_dtype(y, X))
    return score[0] if y.ndim == 1 else score


def log_density(y, X, sigma) -> torch.Tensor:
    """log p_sigma(y), p_sigma = (1/n) sum_i N(y; x_i, sigma^2 I): (B,) for y (B, d), 0-dim for
    (d,).

    Log-sum-exp in float64; differentiable in y (its gradient is :func:`empirical_score`).
    Requires sigma > 0.
    """
    X = _check_X(X)
    y = _check_y(y, X.shape[1])
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    n, d = X.shape
    X64 = X.double()
    logits = _logits(y.double().reshape(-1, d), X64, X64.pow(2).sum(-1), sigma)
    out = (
        torch.logsumexp(logits, dim=-1)
        - math.log(n)
        - 0.5 * d * math.log(2.0 * math.pi * sigma * sigma)
    )
    out = out.to(_dtype(y, X))
    return out[0] if y.ndim == 1 else out


class EmpiricalDenoiser:
    """``denoiser(x, sigma) -> x0_hat``: :func:`empirical_denoiser` for fixed training points X.

    The signature every sampler in :mod:`memgen.sampling` uses. ``X`` (n, d) is stored as given
    (``self.X``) and once in float64 for the computation; calls return x's floating dtype.
    """

    def __init__(self, X):
        X = _check_X(X)
        self.X = X.detach()
        self._X64 = self.X.double()
        self._x2 = self._X64.pow(2).sum(-1)
        self.n, self.d = X.shape

    def weights(self, x, sigma) -> torch.Tensor:
        """Posterior weights (B, n) [or (n,)] of the training points given x at noise level
        sigma."""
        x = _check_y(x, self.d)
        sigma = check_float("sigma", sigma, 0.0)
        w = _weights64(x.double().reshape(-1, self.d), self._X64, self._x2, sigma).to(
            _dtype(x, self.X)
        )
        return w[0] if x.ndim == 1 else w

    def __call__(self, x, sigma) -> torch.Tensor:
        x = check_tensor("x", x, ndim=(1, 2), last_dim=self.d, dtype=None)
        sigma = check_float("sigma", sigma, 0.0)
        w = _weights64(x.double().reshape(-1, self.d), self._X64, self._x2, sigma)
        out = (w @ self._X64).to(x.dtype if x.is_floating_point() else torch.float32)
        return out[0] if x.ndim == 1 else out

    def score(self, x, sigma) -> torch.Tensor:
        """(D(x, sigma) - x) / sigma^2, sigma > 0."""
        sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
        return (self(x, sigma) - x) / (sigma * sigma)

    def __repr__(self) -> str:
        return f"EmpiricalDenoiser(n={self.n}, d={self.d})"


def empirical_sampling_memorization(
    X,
    *,
    n_samples=64,
    n_steps=60,
    sigma_max=None,
    sigma_min=None,
    seed=0,
    threshold=0.1,
) -> dict:
    """Sample with the empirical optimal denoiser and measure how many samples copy training points.

    Draws ``x = sigma_max * randn(n_samples, d)`` and runs
    :func:`~memgen.sampling.sample_ve_ancestral`
    with :class:`EmpiricalDenoiser` (X) over a geometric schedule of ``n_steps`` levels from
    ``sigma_max`` to ``sigma_min``, then 0. Defaults, relative to the data's scale:

    - ``sigma_max = 2 max_i ||x_i||``: the sampler starts from N(0, sigma_max^2 I), which must be
      close
      to p_sigma_max = (1/n) sum_i N(x_i, sigma_max^2 I); each component is then within KL
      ||x_i||^2 / (2 sigma_max^2) <= 1/8 of it, whatever the data's offset or diameter;
    - ``sigma_min = 0.01 * typical_spacing(X)``: at the last level the posterior weights are one-hot
      (the gap between nearest and second-nearest point is ~100 sigma_min), so the final denoised
      estimate is exactly a training point when the sampler converged to one.

    Returns a dict: ``samples`` (n_samples, d), ``nn_dist`` (n_samples,) Euclidean distance to the
    nearest training point, ``nn_index`` (n_samples,), ``spacing`` (float, :func:`typical_spacing`),
    ``fraction_memorized`` (float, fraction with nn_dist < threshold * spacing), ``threshold``,
    ``sigmas`` (the schedule).
    """
    X = _check_X(X).float()
    check_int("number of rows of X", X.shape[0], 2)
    n_samples = check_int("n_samples", n_samples, 1)
    n_steps = check_int("n_steps", n_steps, 1)
    threshold = check_float("threshold", threshold, 0.0, min_exclusive=True)
    spacing = typical_spacing(X)
    if sigma_max is None:
        sigma_max = 2.0 * float(X.norm(dim=1).max())
    if (
        sigma_min is None
    ):  # (duplicated rows can make the spacing 0: then fall back to the data's scale)
        sigma_min = 0.01 * spacing if spacing > 0 else 1e-3 * max(float(X.norm(dim=1).max()), 1e-3)
    sigma_min = check_float("sigma_min", sigma_min, 0.0, min_exclusive=True)
    sigma_max = check_float("sigma_max", sigma_max, sigma_min)
    g = make_generator(seed)
    sigmas = sigma_schedule(n_steps, sigma_max, sigma_min)
    x = sigma_max * torch.randn(n_samples, X.shape[1], generator=g)
    samples = sample_ve_ancestral(EmpiricalDenoiser(X), x, sigmas, generator=g)
    nn_dist, nn_index = nearest_neighbors(samples, X)
    return {
        "samples": samples,
        "nn_dist": nn_dist,
        "nn_index": nn_index,
        "spacing": spacing,
        "fraction_memorized": float((nn_dist < threshold * spacing).double().mean()),
        "threshold": threshold,
        "sigmas": sigmas,
    }
