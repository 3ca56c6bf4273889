"""Samplers for the variance-exploding (VE) diffusion, k-diffusion style.

Every sampler takes a denoiser with ONE signature, ``denoiser(x, sigma) -> x0_hat`` (x of shape
(B, d), sigma a Python float > 0, output of x's shape), the initial noise ``x`` (the caller draws
it:
``x = sigmas[0] * randn``), a decreasing schedule ``sigmas`` ending in 0, and an optional
``callback`` that receives a dict ``{"i", "x", "sigma", "sigma_next", "denoised"}`` once per step
(``x`` is the iterate at ``sigma``, before the update). Each sampler returns the final x.
The score is taken from the denoiser by Tweedie's formula: score(x, sigma) = (D(x, sigma) - x) /
sigma^2.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ._checks import check_choice, check_float, check_int, check_tensor, make_generator

SCHEDULES = ("geometric", "karras")


def sigma_schedule(
    n_steps, sigma_max=2.0, sigma_min=0.02, *, kind="geometric", rho=7.0
) -> torch.Tensor:
    """``n_steps`` noise levels from ``sigma_max`` down to ``sigma_min``, then a final 0.

    Returns a float32 tensor of length ``n_steps + 1``. ``kind="geometric"``: equal ratios
    (log-uniform; the paper's toy sampler uses 60 steps from 2 to 0.02); ``kind="karras"``: EDM's
    schedule with exponent ``rho``. Requires sigma_max >= sigma_min > 0 (n_steps = 1 gives
    [sigma_max, 0]).
    """
    n_steps = check_int("n_steps", n_steps, 1)
    sigma_min = check_float("sigma_min", sigma_min, 0.0, min_exclusive=True)
    sigma_max = check_float("sigma_max", sigma_max, sigma_min)
    kind = check_choice("schedule kind", kind, SCHEDULES)
    t = (
        torch.linspace(0.0, 1.0, n_steps, dtype=torch.float64)
        if n_steps > 1
        else torch.zeros(1, dtype=torch.float64)
    )
    if kind == "geometric":
        s = torch.exp(math.log(sigma_max) + t * (math.log(sigma_min) - math.log(sigma_max)))
    else:
        rho = check_float("rho", rho, 0.0, min_exclusive=True)
        s = (sigma_max ** (1 / rho) + t * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)]).float()


def log_uniform_sigmas(
    n, sigma_min, sigma_max, *, generator=None, dtype=torch.float64
) -> torch.Tensor:
    """``n`` training noise levels drawn log-uniformly from [sigma_min, sigma_max], a (n,) float32
    tensor. The uniform draws are made in ``dtype`` (float64 for the toy diffusion model, float32
    for the UNets; kept so that retraining reproduces the shipped checkpoints bit for bit) from
    ``generator`` (default: a generator seeded with 0). The one noise-level sampler of the book's
    trainers."""
    n = check_int("n", n, 1)
    sigma_min = check_float("sigma_min", sigma_min, 0.0, min_exclusive=True)
    sigma_max = check_float("sigma_max", sigma_max, sigma_min)
    g = make_generator(0, generator)
    lo, hi = math.log(sigma_min), math.log(sigma_max)
    return torch.exp(lo + (hi - lo) * torch.rand(n, generator=g, dtype=dtype)).float()


def _check_sampler_args(denoiser, x, sigmas, callback):
    if not callable(denoiser):
        raise ValueError(
            f"denoiser must be callable as denoiser(x, sigma), got {type(denoiser).__name__}"
        )
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {type(callback).__name__}")
    x = check_tensor("x", x, dtype=None)
    if x.ndim == 0:
        raise ValueError("x must have shape (B, d) or (d,), got a scalar")
    sig = check_tensor("sigmas", sigmas, ndim=1, dtype=torch.float64)
    if len(sig) < 2:
        raise ValueError(f"sigmas must have length >= 2, got {len(sig)}")
    if bool((sig < 0).any()) or bool((sig[1:] > sig[:-1]).any()):
        raise ValueError("sigmas must be >= 0 and non-increasing (e.g. from sigma_schedule)")
    if bool((sig[:-1] <= 0).any()):
        raise ValueError(
            "sigmas must be > 0 except possibly the last entry (0 = return the denoised estimate)"
        )
    return x, [float(s) for s in sig]


def _denoise(denoiser, x: torch.Tensor, sigma: float) -> torch.Tensor:
    out = denoiser(x, sigma)
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        raise ValueError(
            f"denoiser(x, sigma) must return a tensor of x's shape {tuple(x.shape)}, "
            f"got {getattr(out, 'shape', type(out).__name__)}"
        )
    return out.to(x.dtype)


def sample_ve_ancestral(
    denoiser, x, sigmas, *, generator=None, callback: Callable | None = None
) -> torch.Tensor:
    """The reverse VE SDE in its ancestral (SMLD) form.

    For each step s -> s_next > 0:
    ``x <- x + (s^2 - s_next^2) * (D(x, s) - x) / s^2 + sqrt(s^2 - s_next^2) * z``, z ~ N(0, I)
    drawn from ``generator`` (default: a fresh generator seeded with 0; the global RNG is not
    used). A step to s_next = 0 returns the denoised estimate D(x, s) (no noise).
    ``x``: initial noise (B, d) [or any shape the denoiser accepts]; ``sigmas``: decreasing, ending
    in 0 (e.g. :func:`sigma_schedule`). Returns x after the last step, same shape and dtype.
    """
    x, sig = _check_sampler_args(denoiser, x, sigmas, callback)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    elif not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    with torch.no_grad():
        for i in range(len(sig) - 1):
            s, s_next = sig[i], sig[i + 1]
            denoised = _denoise(denoiser, x, s)
            if callback is not None:
                callback({"i": i, "x": x, "sigma": s, "sigma_next": s_next, "denoised": denoised})
            if s_next == 0:
                x = denoised
                continue
            var = s * s - s_next * s_next
            z = torch.randn(x.shape, generator=generator, dtype=x.dtype)
            x = x + (var / (s * s)) * (denoised - x) + math.sqrt(var) * z
    return x


def sample_probability_flow(
    denoiser, x, sigmas, *, callback: Callable | None = None, solver="heun"
) -> torch.Tensor:
    """The deterministic probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma (EDM, VE).

    ``solver="euler"``: x <- x + (s_next - s) * d with d = (x - D(x, s)) / s;
    ``solver="heun"``: second order (average of d at s and at the Euler point), except on the last
    interval to s_next = 0 where the Euler step is used (it returns D(x, s)).
    Same arguments and return as :func:`sample_ve_ancestral`, no randomness.
    """
    x, sig = _check_sampler_args(denoiser, x, sigmas, callback)
    solver = check_choice("solver", solver, ("euler", "heun"))
    with torch.no_grad():
        for i in range(len(sig) - 1):
            s, s_next = sig[i], sig[i + 1]
            denoised = _denoise(denoiser, x, s)
            if callback is not None:
                callback({"i": i, "x": x, "sigma": s, "sigma_next": s_next, "denoised": denoised})
            d = (x - denoised) / s
            x_euler = x + (s_next - s) * d
            if solver == "euler" or s_next == 0:
                x = x_euler
            else:
                d_next = (x_euler - _denoise(denoiser, x_euler, s_next)) / s_next
                x = x + (s_next - s) * 0.5 * (d + d_next)
    return x
