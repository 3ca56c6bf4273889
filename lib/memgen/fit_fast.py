"""A fast trainer for the DAE loss: the noise expectation in closed form where it is exact.

The loss of :mod:`memgen.train_mc` is, per sample, an expectation over the noise,

    L_i = E ||W2 [W1^T y]_+ - x_i||^2,   y = x_i + sigma eps.

Freeze the ReLU mask at the clean input, D_i = diag(1[W1^T x_i > 0]). The network is then linear
in y, and the risk identity of chapter 1 gives that part in closed form:

    E ||W2 D_i W1^T y - x_i||^2 = ||W2 h(x_i) - x_i||^2 + sigma^2 ||W2 D_i W1^T||_F^2
                                 = ||W2 h(x_i) - x_i||^2 + sigma^2 d_i^T (W1^T W1 * W2^T W2) d_i

(d_i the 0/1 mask vector, * the entrywise product). The true loss differs from it only on noise
draws that flip a mask, so

    L_i = closed form + E[ ||f(y) - x_i||^2 - ||W2 D_i W1^T y - x_i||^2 ],

and the second term, estimated by Monte Carlo, is a *control variate* estimator: unbiased for the
same loss (and its gradient), with every draw that flips no mask contributing exactly zero. Where
masks are stable (the block-structured solutions of the paper) the gradient is exact and
deterministic; elsewhere its variance is that of the flips alone. :func:`fit_dae` runs Adam on
this estimator with hand-derived gradients (checked against torch autograd in the tests), in
numpy, and can train many models at once (a leading batch axis: several seeds, noise levels or
weight decays on the same data) as one batched computation.

The naive loop :func:`memgen.train_mc.train_dae` stays the reference: it minimises the same loss
with
plain Monte Carlo and autograd. ``tests/benchmarks/bench_fit.py`` times both to the same loss.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np
import torch

from ._checks import check_choice, check_float, check_int, check_tensor
from .dae import ReLUDAE
from .training import TrainResult, check_callback


def _as_batch(name: str, value, B: int, lo: float) -> np.ndarray:
    """A number or a length-B sequence -> (B,) float64 array, each >= lo."""
    values = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if values.ndim != 1 or len(values) not in (1, B):
        raise ValueError(f"{name} must be a number or a sequence of {B} numbers, got {value!r}")
    for v in values:
        check_float(name, float(v), lo)
    return np.broadcast_to(values, (B,)).copy()


def loss_and_grads(W1, W2, X, Y, sigma, lam, *, tied=False, weights=None):
    """The control-variate loss estimate and its gradients (numpy float32, batched).

    ``W1``, ``W2``: (B, d, p) (for a tied model pass the same array twice); ``X``: (n, d); ``Y``:
    (B, K*n, d) noisy copies (or (1, K*n, d), shared by the batch), row ``k*n + i`` a draw around
    ``X[i]``; ``sigma``, ``lam``: (B,).
    ``weights``: None (every sample weighs 1/n) or (B, n) per-model sample weights, each row
    summing to 1: the data term is sum_i w_bi E||f(x_i + sigma eps) - x_i||^2. A weight m_i / n
    is the same loss as m_i copies of x_i among n rows; a weight 0 drops the sample.
    Returns ``(loss (B,), gW1 (B, d, p), gW2 (B, d, p))``; for ``tied=True``, ``gW1`` is the
    gradient with respect to the shared matrix and ``gW2`` is None.
    """
    n = X.shape[0]
    K = Y.shape[1] // n
    s2 = (sigma**2).astype(np.float32)[:, None, None]
    lam32 = lam.astype(np.float32)[:, None, None]
    W2T = np.ascontiguousarray(W2.transpose(0, 2, 1))
    if weights is None:  # a scalar: no extra pass over the data-sized arrays
        w = np.float32(1.0 / n)
        wK = np.float32(1.0 / (n * K))
    else:
        w = np.asarray(weights, dtype=np.float32)[:, :, None]  # (B, n, 1)
        wK = np.tile(w, (1, K, 1)) / K

    def wsum(A, wts):  # sum_i wts_i ||A_i||^2 per model
        if np.ndim(wts) == 0:
            return np.einsum("bnd,bnd->b", A, A) * wts
        return np.einsum("bnd,bnd,bn->b", A, A, wts[:, :, 0])

    # closed-form part, masks frozen at the clean inputs
    pre = X @ W1  # (B, n, p)
    D = (pre > 0).astype(np.float32)
    h = pre * D
    R = h @ W2T - X  # (B, n, d)
    Dw = D * w  # the weights go on the (B, n, p) side, the smaller one when p <= d
    G1 = W1.transpose(0, 2, 1) @ W1
    G2 = G1 if tied else W2T @ W2
    Q = (D.transpose(0, 2, 1) @ Dw) * s2  # sigma^2 sum_i w_i d_i d_i^T
    loss = wsum(R, w) + np.einsum("bij,bij,bij->b", Q, G1, G2)
    gW2 = 2.0 * (R.transpose(0, 2, 1) @ (h * w)) + 2.0 * (W2 @ (Q * G1))
    gW1 = X.T @ (2.0 * (R @ W2) * Dw) + 2.0 * (W1 @ (Q * G2))
    # Monte Carlo correction: zero on every draw whose mask equals the clean mask
    DK = np.tile(D, (1, K, 1))
    XK = np.tile(X, (K, 1))
    A = Y @ W1
    Dy = (A > 0).astype(np.float32)
    H, Hl = A * Dy, A * DK
    R1 = H @ W2T
    R1 -= XK
    R2 = Hl @ W2T
    R2 -= XK
    loss = loss + (wsum(R1, wK) - wsum(R2, wK))
    gW2 += 2.0 * (R1.transpose(0, 2, 1) @ (H * wK) - R2.transpose(0, 2, 1) @ (Hl * wK))
    gW1 += 2.0 * (Y.transpose(0, 2, 1) @ ((R1 @ W2) * (Dy * wK) - (R2 @ W2) * (DK * wK)))
    # weight decay lam (||W1||^2 + ||W2||^2)
    pen = np.einsum("bdp,bdp->b", W1, W1) + np.einsum("bdp,bdp->b", W2, W2)
    loss = loss + lam * pen
    if tied:
        return loss, gW1 + gW2 + 4.0 * lam32 * W1, None
    return loss, gW1 + 2.0 * lam32 * W1, gW2 + 2.0 * lam32 * W2


def _initial_weights(d, p, tied, seeds, init) -> tuple[np.ndarray, np.ndarray]:
    if init is not None:
        models = list(init) if isinstance(init, (list, tuple)) else [init]
        if len(models) != len(seeds):
            raise ValueError(
                f"init must hold {len(seeds)} models (one per batch entry), got {len(models)}"
            )
        for m in models:
            if not isinstance(m, ReLUDAE) or m.d != d or m.p != p or m.tied != tied:
                raise ValueError(f"init models must be ReLUDAE(d={d}, p={p}, tied={tied})")
    else:
        models = [ReLUDAE(d, p, tied=tied, seed=s) for s in seeds]
    W1 = np.stack([m.W1.detach().numpy() for m in models]).astype(np.float32)
    W2 = W1 if tied else np.stack([m.W2.detach().numpy() for m in models]).astype(np.float32)
    return W1.copy(), W2.copy()


def fit_dae(
    x,
    p,
    *,
    sigma,
    lam,
    steps=2000,
    lr=1e-2,
    schedule="cosine",
    draws=1,
    tied=False,
    seed: int | Sequence[int] = 0,
    init=None,
    sample_weight=None,
    units=None,
    shared_noise=False,
    callback: Callable | None = None,
    callback_every=1,
    progress=False,
) -> TrainResult:
    """Train ReLU DAEs of width ``p`` on ``x`` (n, d) at noise level ``sigma`` with weight decay
    ``lam``.

    Minimises the same loss as :func:`memgen.train_mc.train_dae` (full batch, Adam with torch's
    default betas and eps) with the control-variate estimator of this module's docstring and
    ``draws`` noise draws per sample and step. Batch: ``seed`` a list of B seeds, and/or
    ``sigma``/``lam`` lists of length B, trains B models on the same data at once. Each model is
    initialised like ``ReLUDAE(d, p, tied=tied, seed=s)`` (or copied from ``init``, a model or a
    list of B models: a warm start); the noise comes from a numpy generator seeded with the first
    seed, so a call is reproducible.

    Models of different data and widths in one batch (e.g. a grid over n and p):
    ``sample_weight``, (n,) or (B, n) non-negative numbers, gives each model its own weighting of
    the
    rows of ``x`` (each row is normalised to sum 1): 0/1 entries select a subset (model b trains on
    the rows where it is 1), integer entries m_i are multiplicities (the same loss as m_i copies of
    x_i). ``units``, an int or B ints in 1..p: model b uses only its first ``units[b]`` hidden
    units; the others start at zero and stay zero (the gradient of a zero column is exactly zero),
    so model b is a width-``units[b]`` network padded with dead units. ``shared_noise=True`` draws
    one
    noise vector per row and step for the whole batch (common random numbers: each model's estimator
    is still unbiased; it only correlates the models' noise), B times fewer draws than the default.

    ``callback(info)`` every ``callback_every`` steps with ``info`` a dict: ``step`` (1-based),
    ``loss`` (B,) and ``W1``, ``W2`` (B, d, p) numpy views of the current weights (copy them to
    keep them). ``progress``: a tqdm bar.
    """
    x = check_tensor("x", x, ndim=2)
    n, d = x.shape
    if n < 1:
        raise ValueError("x must contain at least one sample")
    p = check_int("p", p, 1)
    steps = check_int("steps", steps, 1)
    lr = check_float("lr", lr, 0.0, min_exclusive=True)
    draws = check_int("draws", draws, 1)
    schedule = check_choice("schedule", schedule, ("cosine", "constant"))
    callback_every = check_callback(callback, callback_every)
    tied = bool(tied)
    seeds = [seed] if isinstance(seed, (int, np.integer)) else list(seed)
    if not seeds:
        raise ValueError("seed must be an int or a non-empty list of ints")
    weights = None
    if sample_weight is not None:
        weights = np.asarray(
            check_tensor("sample_weight", sample_weight, ndim=(1, 2), last_dim=n), dtype=np.float64
        )
        if (weights < 0).any() or (weights.reshape(-1, n).sum(1) <= 0).any():
            raise ValueError("sample_weight must be >= 0 with a positive sum for every model")
    unit_counts = None
    if units is not None:
        unit_counts = np.atleast_1d(np.asarray(units))
        if unit_counts.ndim != 1:
            raise ValueError(f"units must be an int or a sequence of ints, got {units!r}")
        unit_counts = np.array([check_int("units", u, 1, p) for u in unit_counts.tolist()])
    B = max(
        len(seeds),
        np.size(sigma),
        np.size(lam),
        1 if weights is None or weights.ndim == 1 else len(weights),
        1 if unit_counts is None else len(unit_counts),
    )
    if len(seeds) == 1:
        seeds = seeds * B
    if len(seeds) != B:
        raise ValueError(f"seed must be an int or a list of {B} ints, got {len(seeds)}")
    sig = _as_batch("sigma", sigma, B, 0.0)
    lams = _as_batch("lam", lam, B, 0.0)
    if weights is not None:
        weights = weights.reshape(-1, n)
        if len(weights) not in (1, B):
            raise ValueError(f"sample_weight must have shape (n,) or ({B}, n), got {weights.shape}")
        weights = np.broadcast_to(weights / weights.sum(1, keepdims=True), (B, n)).astype(
            np.float32
        )
    unit_mask = None
    if unit_counts is not None:
        if len(unit_counts) not in (1, B):
            raise ValueError(
                f"units must be an int or a sequence of {B} ints, got {len(unit_counts)}"
            )
        unit_counts = np.broadcast_to(unit_counts, (B,))
        unit_mask = (np.arange(p)[None, None, :] < unit_counts[:, None, None]).astype(
            np.float32
        )  # (B, 1, p)

    from tqdm.auto import tqdm

    X = x.detach().numpy().astype(np.float32)
    W1, W2 = _initial_weights(d, p, tied, seeds, init)
    if unit_mask is not None:
        W1 *= unit_mask
        if not tied:
            W2 *= unit_mask
    params = [W1] if tied else [W1, W2]
    m = [np.zeros_like(w) for w in params]
    v = [np.zeros_like(w) for w in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    rng = np.random.default_rng(int(seeds[0]))
    XK = np.tile(X, (draws, 1))
    sig32 = sig.astype(np.float32)[:, None, None]
    shared_noise = bool(shared_noise)
    same_sigma = bool(np.all(sig == sig[0]))
    noise = np.empty((1 if shared_noise else B, draws * n, d), dtype=np.float32)
    losses = np.empty((steps, B))
    bar = tqdm(total=steps, disable=not progress, desc="fit_dae")
    t0 = time.perf_counter()
    for t in range(1, steps + 1):
        rng.standard_normal(out=noise, dtype=np.float32)
        if shared_noise and same_sigma:  # one (1, draws * n, d) array, broadcast over the batch
            Y = XK + np.float32(sig[0]) * noise
        else:
            Y = noise * sig32
            Y += XK
        loss, g1, g2 = loss_and_grads(
            W1, W1 if tied else W2, X, Y, sig, lams, tied=tied, weights=weights
        )
        losses[t - 1] = loss
        lr_t = (
            lr if schedule == "constant" else lr * 0.5 * (1.0 + math.cos(math.pi * (t - 1) / steps))
        )
        a = lr_t / (1.0 - beta1**t)
        root_bc2 = math.sqrt(1.0 - beta2**t)
        for w, mw, vw, g in zip(params, m, v, (g1, g2)):
            mw += (1.0 - beta1) * (g - mw)
            vw *= beta2
            vw += (1.0 - beta2) * g * g
            w -= a * mw / (np.sqrt(vw) / root_bc2 + eps)
        if callback is not None and t % callback_every == 0:
            callback({"step": t, "loss": loss, "W1": W1, "W2": W1 if tied else W2})
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - t0
    models = [
        ReLUDAE.from_weights(
            torch.from_numpy(W1[b].copy()), None if tied else torch.from_numpy(W2[b].copy())
        )
        for b in range(B)
    ]
    return TrainResult(
        models=models,
        losses=losses,
        steps=steps,
        seconds=seconds,
        settings={"sigma": sig, "lam": lams},
    )
