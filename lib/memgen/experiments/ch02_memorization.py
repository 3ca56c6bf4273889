"""Chapter 2's experiments: memorization (p >= n) and the website's (n, p) and sigma grids."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import data as mdata
from ..dae import ReLUDAE
from ..fit_fast import fit_dae
from ..linear import (
    memorization_gain,
)
from ..memorization import (
    gains_along_samples,
    grouped_representation,
    separable_subset,
    unit_owners,
)
from ..stats import top1_share
from .cache import experiment

# ---------------------------------------------------------------- chapter 1: the denoising objective


def centred_digits() -> tuple:
    """All 1797 digits in [-1, 1] minus their mean image, and the ImageData they came from."""
    digits = mdata.load_digits()
    return digits.x - digits.x.mean(0), digits


def best_of(result) -> "ReLUDAE":
    """The model of a batched fit with the lowest loss (mean of the last 50 steps' estimates)."""
    tail = result.losses[-50:].mean(0)
    return result.models[int(np.argmin(tail))]


@dataclass(frozen=True)
class Ch2Settings:
    """Chapter 2's settings: memorization on separable centred digits."""

    n: int = 6  # centred digits with pairwise cosines <= max_cosine
    max_cosine: float = 0.0
    subset_seed: int = 0
    p: int = 12  # over-parameterised: p = 2n
    p_exact: int = 6  # p = n
    sigma: float = 0.2
    lam: float = 0.5
    steps: int = 3000
    seeds: tuple = tuple(range(8))  # trained at once; the lowest loss is kept
    lam_sweep: tuple = (0.5, 2.0, 2.95, 3.3, 3.9, 4.5)
    draws: int = 20  # noisy copies per training sample for the spikiness statistics
    stored_gain: float = 0.05  # in the lambda sweep, a sample counts as stored if its gain exceeds this
    n_unseen: int = 4
    seed: int = 0

    def replace(self, **changes) -> "Ch2Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH2 = Ch2Settings()


@experiment
def ch2_memorization() -> dict:
    """Train p >= n DAEs on separable digits; compare with the single-sample solution."""
    c = CH2
    Xall, digits = centred_digits()
    idx = separable_subset(Xall, c.n, max_cosine=c.max_cosine, seed=c.subset_seed)
    X = Xall[idx]
    n, sigma, lam = c.n, c.sigma, c.lam
    sq = X.norm(dim=1) ** 2
    fits = {p: fit_dae(X, p, sigma=sigma, lam=lam, steps=c.steps, seed=list(c.seeds))
            for p in (c.p, c.p_exact)}
    models = {p: best_of(r) for p, r in fits.items()}
    out = {"X": X, "index": idx, "image_shape": digits.image_shape, "labels": digits.labels[idx],
           "sq_norm": sq, "models": models, "seconds": sum(r.seconds for r in fits.values())}
    # theory: gain m_i and r_i^2 = m_i / ||x_i||^2, and the variant with ||x||_4^4 in the denominator
    gain_theory = memorization_gain(sq, n, sigma, lam)
    out["gain_theory"] = gain_theory
    out["r_theory"] = (gain_theory / sq).sqrt()
    out["r_printed"] = ((sq - n * lam).clamp_min(0) / (X.pow(4).sum(1) + sigma**2 * sq)).sqrt()
    g = torch.Generator().manual_seed(c.seed)
    Y = X.repeat(c.draws, 1) + sigma * torch.randn(c.draws * n, X.shape[1], generator=g)
    for p, m in models.items():
        own = unit_owners(m.W1, X)
        gains = gains_along_samples(m, X)
        with torch.no_grad():
            h = m.representation(Y)
        alive = own["alive"]
        hg = grouped_representation(h[:, alive], own["owner"][alive], n)
        out[p] = {
            "owners": own,
            "gains": gains,
            "r": (gains.clamp_min(0) / sq).sqrt(),
            "gain_rel_err": ((gains - gain_theory).abs() / gain_theory),
            "cosine_min": float(own["cosine"][alive].min()),
            "units_per_sample": torch.bincount(own["owner"][alive], minlength=n),
            "top1_raw": float(top1_share(h).mean()),
            "top1_grouped": float(top1_share(hg).mean()),
            "h_noisy": h[:n],
        }
    mp = models[c.p]
    # an unseen digit: the output is (a combination of) stored samples
    rest = torch.ones(len(Xall), dtype=torch.bool)
    rest[idx] = False
    unseen = Xall[rest][torch.randperm(int(rest.sum()), generator=g)[: c.n_unseen]]
    y_unseen = unseen + sigma * torch.randn(unseen.shape, generator=g)
    with torch.no_grad():
        f_unseen = mp(y_unseen)
    cos = (f_unseen / f_unseen.norm(dim=1, keepdim=True)) @ (X / X.norm(dim=1, keepdim=True)).T
    out["unseen"] = {"x": unseen, "y": y_unseen, "f": f_unseen, "nearest": cos.argmax(1),
                     "nearest_cosine": cos.max(1).values, "clean_cosine": torch.nn.functional.cosine_similarity(
                         unseen, X[cos.argmax(1)], dim=1)}
    # raising lambda: a unit survives only while ||x_i||^2 > n lambda
    sweep = fit_dae(X, c.p, sigma=sigma, lam=list(c.lam_sweep), steps=c.steps, seed=c.seed)
    rows = []
    for lam_s, m in zip(c.lam_sweep, sweep.models):
        gains = gains_along_samples(m, X)
        rows.append({"lam": lam_s, "predicted_alive": (sq > n * lam_s), "stored": gains > c.stored_gain,
                     "gains": gains, "gain_theory": memorization_gain(sq, n, sigma, lam_s)})
    out["lam_sweep"] = rows
    return out


@dataclass(frozen=True)
class GridSettings:
    """The website's (n, p) and sigma grids of chapter 2."""

    ns: tuple = (4, 16, 64, 256)
    ps: tuple = (4, 16, 64)
    sigmas: tuple = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
    sigma_n: int = 16
    sigma_p: int = 32
    sigma: float = 0.2
    lam: float = 0.01
    steps: int = 1500
    n_columns: int = 8
    seed: int = 0

    def replace(self, **changes) -> "GridSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


GRID = GridSettings()


def _grid_cell(X, model, sigma, g) -> dict:
    """What a grid figure shows for one trained model: its largest columns, h of a noisy training
    input, the mean top-1 share over noisy training inputs."""
    with torch.no_grad():
        norms = model.W1.norm(dim=0)
        top = torch.argsort(norms, descending=True)[: GRID.n_columns]
        h = model.representation(X + sigma * torch.randn(X.shape, generator=g))
    return {"columns": model.W1.detach()[:, top].T.clone(), "cosine": unit_owners(model.W1, X)["cosine"][top],
            "h0": h[0], "top1": float(top1_share(h).mean()), "std0": float(h[0].std())}


@experiment
def regime_grid() -> dict:
    """DAEs trained on centred digits over a grid of (n, p), and over sigma at one (n, p)."""
    c = GRID
    Xall, digits = centred_digits()
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(c.seed))
    g = torch.Generator().manual_seed(c.seed + 1)
    cells = {}
    for n in c.ns:
        X = Xall[perm[:n]]
        for p in c.ps:
            m = fit_dae(X, p, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=c.seed).model
            cells[(n, p)] = _grid_cell(X, m, c.sigma, g)
    X = Xall[perm[: c.sigma_n]]
    res = fit_dae(X, c.sigma_p, sigma=list(c.sigmas), lam=c.lam, steps=c.steps, seed=c.seed)
    by_sigma = {s: _grid_cell(X, m, s, g) for s, m in zip(c.sigmas, res.models)}
    return {"cells": cells, "by_sigma": by_sigma, "image_shape": digits.image_shape}
