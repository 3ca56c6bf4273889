"""Linear denoisers y -> M y and the risk identity.

For M (d, d), a clean point x and eps ~ N(0, I_d):

    E||M(x + sigma eps) - x||^2 = ||(M - I) x||^2 + sigma^2 ||M||_F^2

(expand the square: the cross term has mean 0 and E||M eps||^2 = tr(M^T M)). Rows of X are the
clean points, so in code the denoised batch is ``Y @ M.T``.
"""

from __future__ import annotations

import torch

from ._checks import check_float, check_int, check_tensor, make_generator


def _check_MX(M, X):
    X = check_tensor("X", X, ndim=2, dtype=None)
    d = X.shape[1]
    M = check_tensor("M", M, ndim=2, dtype=None)
    if tuple(M.shape) != (d, d):
        raise ValueError(
            f"M must be (d, d) = ({d}, {d}) to match X (n, d), got shape {tuple(M.shape)}"
        )
    if X.shape[0] < 1:
        raise ValueError("X must contain at least one row")
    dtype = torch.promote_types(M.dtype, X.dtype)
    return M.to(dtype), X.to(dtype)


def linear_denoising_risk(M, X, sigma) -> torch.Tensor:
    """Closed form of mean_i E||M(x_i + sigma eps) - x_i||^2 = mean_i ||(M - I) x_i||^2 + sigma^2
    ||M||_F^2.

    ``M`` (d, d), ``X`` (n, d), ``sigma >= 0``. Returns a 0-dim tensor (float32, or float64 if an
    input is float64), differentiable in M.
    """
    M, X = _check_MX(M, X)
    sigma = check_float("sigma", sigma, 0.0)
    bias = (X @ M.T - X).pow(2).sum(dim=1).mean()
    return bias + sigma**2 * M.pow(2).sum()


def linear_denoising_risk_mc(M, X, sigma, *, n_draws=1000, seed=0, chunk=256) -> torch.Tensor:
    """Monte Carlo estimate of mean_i E||M(x_i + sigma eps) - x_i||^2 with ``n_draws`` draws of eps
    per point (n * n_draws terms in all), computed in float64 from a generator seeded with ``seed``.

    ``chunk``: draws per block (memory chunk * n * d). Returns a 0-dim tensor in the inputs' dtype.
    """
    M, X = _check_MX(M, X)
    sigma = check_float("sigma", sigma, 0.0)
    n_draws = check_int("n_draws", n_draws, 1)
    chunk = check_int("chunk", chunk, 1)
    g = make_generator(seed)
    M64, X64 = M.double(), X.double()
    total, done = torch.zeros((), dtype=torch.float64), 0
    while done < n_draws:
        k = min(chunk, n_draws - done)
        eps = torch.randn((k, *X.shape), generator=g, dtype=torch.float64)
        total = total + ((X64 + sigma * eps) @ M64.T - X64).pow(2).sum()
        done += k
    return (total / (n_draws * X.shape[0])).to(M.dtype)


def linear_risk_rel_err(*, d=16, n=100, sigma=0.5, n_draws=1000, seed=0) -> float:
    """|MC - closed form| / closed form for a random linear denoiser: the risk identity, checked.

    M has i.i.d. N(0, 1/d) entries, X i.i.d. N(0, 1) entries (both from ``seed``); the Monte Carlo
    estimate uses ``n_draws`` draws per point (seed + 1). With the defaults (100 000 noise vectors)
    the relative error is about 4e-4 (at most 1e-3 over seeds 0..19), far under the book's 0.02,
    in about 0.05 s.
    """
    d = check_int("d", d, 1)
    n = check_int("n", n, 1)
    sigma = check_float("sigma", sigma, 0.0)
    n_draws = check_int("n_draws", n_draws, 1)
    g = make_generator(seed)
    M = torch.randn(d, d, generator=g, dtype=torch.float64) / d**0.5
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    closed = float(linear_denoising_risk(M, X, sigma))
    mc = float(linear_denoising_risk_mc(M, X, sigma, n_draws=n_draws, seed=seed + 1))
    return abs(mc - closed) / closed


def second_moment_spectrum(X) -> torch.Tensor:
    """The eigenvalues s_j of the uncentred second moment S = X^T X / n of the rows of ``X`` (n, d),
    descending and clamped at 0 (float64): the spectrum every per-cluster formula of the book
    uses."""
    X = check_tensor("X", X, ndim=2, dtype=None).double()
    if X.shape[0] < 1:
        raise ValueError("X must contain at least one row")
    return torch.linalg.eigvalsh(X.T @ X / X.shape[0]).flip(0).clamp_min(0)


def wiener_gain(s, tau, sigma) -> torch.Tensor:
    """The book's per-direction gain m_j = max(0, (s_j - tau) / (s_j + sigma^2)): a Wiener filter
    with shrinkage threshold ``tau`` (``tau = n lam / n_k`` for cluster k; 0 where s_j + sigma^2 =
    0)."""
    s = torch.as_tensor(s)
    denom = s + sigma**2
    return torch.where(
        denom > 0,
        (s - tau) / torch.where(denom > 0, denom, torch.ones_like(denom)),
        torch.zeros_like(s),
    ).clamp_min(0.0)


def optimal_linear_denoiser(X, sigma, lam=0.0, *, rank=None) -> torch.Tensor:
    """The minimiser over M of  mean_i ||(M - I) x_i||^2 + sigma^2 ||M||_F^2 + 2 lam ||M||_*.

    With S = X^T X / n = sum_j s_j u_j u_j^T (uncentred second moment), the minimiser is
    M = sum_j m_j u_j u_j^T with m_j = max(0, (s_j - lam) / (s_j + sigma^2)): the Wiener filter
    S (S + sigma^2 I)^{-1} when lam = 0, with a shrinkage threshold otherwise. 2 lam ||M||_* is
    what lam (||W1||_F^2 + ||W2||_F^2) costs a balanced factorisation M = W2 W1^T, so this is the
    linear DAE's solution (and the per-cluster block of the ReLU DAE with lam -> n lam / n_k).
    ``rank``: keep only the ``rank`` largest gains (a width-p linear network). Returns M (d, d),
    float64 if X is, else float32. Requires sigma > 0 or lam > 0 only where s_j = 0 (gain 0 there).
    """
    X = check_tensor("X", X, ndim=2, dtype=None)
    if X.shape[0] < 1:
        raise ValueError("X must contain at least one row")
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    n, d = X.shape
    X64 = X.double()
    s, U = torch.linalg.eigh(X64.T @ X64 / n)
    s = s.clamp_min(0.0)
    m = wiener_gain(s, lam, sigma)
    if rank is not None:
        rank = check_int("rank", rank, 0, d)
        keep = torch.zeros_like(m, dtype=torch.bool)
        keep[torch.argsort(s, descending=True)[:rank]] = True  # m_j increases with s_j
        m = torch.where(keep, m, torch.zeros_like(m))
    return ((U * m) @ U.T).to(X.dtype)


def memorization_gain(sq_norm, n, sigma, lam) -> torch.Tensor:
    """Gain of a unit that stores sample x_i alone: m_i = max(0, (||x_i||^2 - n lam) / (||x_i||^2 +
    sigma^2)).

    ``sq_norm``: ||x_i||^2 (a number or a tensor of them); ``n``: number of training samples (the
    loss averages over n, so a one-sample cluster sees the penalty n lam). For the trained DAE the
    invariant is u_i^T W2 W1^T u_i over the units active on x_i, u_i = x_i / ||x_i||.
    """
    sq = check_tensor("sq_norm", sq_norm, dtype=None)
    if bool((sq < 0).any()):
        raise ValueError("sq_norm must be >= 0")
    n = check_int("n", n, 1)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    denom = sq + sigma**2
    if bool((denom == 0).any()):
        raise ValueError("sq_norm + sigma^2 must be > 0")
    return ((sq - n * lam) / denom).clamp_min(0.0)
