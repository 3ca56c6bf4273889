"""The phase diagram (chapter 4): memorization against width p and sample count n, trained as one
batch.

A grid of DAEs, one per (n, p, seed), all trained on nested subsets of one dataset (model (n, p)
sees
its first n rows), as ONE call of :func:`memgen.fit_fast.fit_dae`: every model is padded to the
largest
width and sample count; ``sample_weight`` gives model (n, p) weight 1/n on its first n rows and 0 on
the others, ``units`` keeps its extra units at exactly zero, and the models share their noise draws
(``shared_noise``: common random numbers, each model's loss estimate stays unbiased).
:func:`train_one_by_one` trains the same models in a loop (the benchmark's baseline and the tests'
oracle).

Read-outs per model: the fraction of its training samples it memorizes (a decoder column, the
pattern the unit writes back, with cosine >= 0.95 to the sample: :func:`memorized_fraction`) and the
spikiness of its representation on noisy training inputs (:func:`grouped_top1`).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from ._checks import check_float, check_int, check_tensor, make_generator
from .fit_fast import fit_dae
from .mixed import stored_cosine
from .stats import top1_share


def _grid(ns, ps, seeds, n_max):
    ns = [check_int("ns entry", n, 1, n_max) for n in ns]
    ps = [check_int("ps entry", p, 1) for p in ps]
    seeds = [check_int("seeds entry", s, 0) for s in seeds]
    if not ns or not ps or not seeds:
        raise ValueError("ns, ps and seeds must each hold at least one value")
    return ns, ps, seeds, list(itertools.product(ns, ps, seeds))


def train_grid(X, ns, ps, seeds, *, sigma, lam, steps=1500, lr=1e-2, progress=False) -> dict:
    """Train one DAE per (n, p, seed) on the first n rows of ``X`` (at least max(ns) rows), width p,
    in
    one batched call of :func:`~memgen.fit_fast.fit_dae`. Returns ``{"cells": [(n, p, seed)],
    "models":
    [ReLUDAE of width max(ps), units p.. zero], "seconds", "ns", "ps", "seeds"}``."""
    X = check_tensor("X", X, ndim=2)
    ns, ps, seeds, cells = _grid(ns, ps, seeds, X.shape[0])
    n_max, p_max = max(ns), max(ps)
    weights = np.zeros((len(cells), n_max))
    for b, (n, _, _) in enumerate(cells):
        weights[b, :n] = 1.0
    t0 = time.perf_counter()
    res = fit_dae(
        X[:n_max],
        p_max,
        sigma=sigma,
        lam=lam,
        steps=steps,
        lr=lr,
        seed=[s for _, _, s in cells],
        sample_weight=weights,
        units=[p for _, p, _ in cells],
        shared_noise=True,
        progress=progress,
    )
    return {
        "cells": cells,
        "models": res.models,
        "seconds": time.perf_counter() - t0,
        "ns": ns,
        "ps": ps,
        "seeds": seeds,
        "losses": res.losses,
    }


def train_one_by_one(X, ns, ps, seeds, *, sigma, lam, steps=1500, lr=1e-2) -> dict:
    """The same models as :func:`train_grid`, one :func:`~memgen.fit_fast.fit_dae` call each (model
    (n, p,
    seed) has width p and sees ``X[:n]``). Same return format (models have width p)."""
    X = check_tensor("X", X, ndim=2)
    ns, ps, seeds, cells = _grid(ns, ps, seeds, X.shape[0])
    models = []
    t0 = time.perf_counter()
    for n, p, s in cells:
        models.append(fit_dae(X[:n], p, sigma=sigma, lam=lam, steps=steps, lr=lr, seed=s).model)
    return {
        "cells": cells,
        "models": models,
        "seconds": time.perf_counter() - t0,
        "ns": ns,
        "ps": ps,
        "seeds": seeds,
    }


def memorized_fraction(model, X, *, threshold=0.95) -> float:
    """Fraction of the rows of ``X`` (the model's training samples) that some alive decoder column
    stores: cosine >= ``threshold``."""
    threshold = check_float("threshold", threshold, -1.0, 1.0)
    return float((stored_cosine(model.W2, X) >= threshold).float().mean())


def grouped_top1(model, X, sigma, *, threshold=0.95, draws=4, seed=0) -> float:
    """Mean top-1 share of ``h`` on ``draws`` noisy copies of each row of ``X``, with the units that
    store the same sample (decoder cosine >= ``threshold``) counted as one unit (gradient descent
    may
    split a sample over several units; chapter 2). Units that store no sample count alone."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d)
    sigma = check_float("sigma", sigma, 0.0)
    draws = check_int("draws", draws, 1)
    W2 = model.W2.detach()
    norm = W2.norm(dim=0)
    cos = (W2 / norm.clamp_min(1e-12)).T @ (X / X.norm(dim=1, keepdim=True)).T  # (p, n)
    best = cos.max(dim=1)
    group = torch.where(
        best.values >= threshold, best.indices, X.shape[0] + torch.arange(W2.shape[1])
    )
    g = make_generator(seed)
    Y = X.repeat(draws, 1) + sigma * torch.randn(draws * X.shape[0], X.shape[1], generator=g)
    with torch.no_grad():
        h = model.representation(Y)
    hg = torch.zeros(h.shape[0], X.shape[0] + W2.shape[1]).index_add_(1, group, h)
    return float(top1_share(hg).mean())


def phase_maps(grid: dict, X, sigma, *, threshold=0.95) -> dict:
    """Per cell: memorized fraction and grouped top-1 share, as (len(ns), len(ps), len(seeds))
    arrays,
    and their means over seeds ``frac`` and ``top1`` (len(ns), len(ps))."""
    X = check_tensor("X", X, ndim=2)
    ns, ps, seeds = grid["ns"], grid["ps"], grid["seeds"]
    F = np.zeros((len(ns), len(ps), len(seeds)))
    T = np.zeros_like(F)
    for (n, p, s), m in zip(grid["cells"], grid["models"]):
        i, j, k = ns.index(n), ps.index(p), seeds.index(s)
        F[i, j, k] = memorized_fraction(m, X[:n], threshold=threshold)
        T[i, j, k] = grouped_top1(m, X[:n], sigma, threshold=threshold, seed=s)
    return {
        "frac_all": F,
        "top1_all": T,
        "frac": F.mean(2),
        "top1": T.mean(2),
        "ns": ns,
        "ps": ps,
        "seeds": seeds,
    }


def boundary(values, ns, ps, *, level=0.5) -> np.ndarray:
    """For each n (row of ``values``, (len(ns), len(ps)), increasing in p on the whole): the width p
    at
    which ``values`` first reaches ``level``, linearly interpolated between grid points; NaN where
    the
    row never reaches it, ``ps[0]`` where it starts above it."""
    V = np.asarray(values, dtype=float)
    ps = np.asarray(ps, dtype=float)
    if V.shape != (len(ns), len(ps)):
        raise ValueError(f"values must have shape ({len(ns)}, {len(ps)}), got {V.shape}")
    level = check_float("level", level)
    out = np.full(len(ns), np.nan)
    for i, row in enumerate(V):
        above = np.nonzero(row >= level)[0]
        if len(above) == 0:
            continue
        j = int(above[0])
        if j == 0:
            out[i] = ps[0]
        else:
            t = (level - row[j - 1]) / (row[j] - row[j - 1])
            out[i] = ps[j - 1] + t * (ps[j] - ps[j - 1])
    return out
