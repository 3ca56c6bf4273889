"""The canonical experiments of each chapter, with their settings in one place.

A chapter calls these functions to make its figures and glue its numbers; the scorecard
(:mod:`memgen.scorecard`) calls the same functions to check the book's claims. Results are cached
in-process, so the scorecard appendix and a chapter that share an experiment compute it once.
Every function is seeded: a rebuild gives the same numbers and figures.
"""

from __future__ import annotations


import numpy as np
import torch

from .cache import experiment
from . import data as mdata
from .dae import ReLUDAE
from .fit import fit_dae
from .generalization import block_prediction, psnr
from .memorization import gains_along_samples, grouped_representation, separable_subset, unit_owners
from .denoisers import empirical_denoiser, empirical_sampling_memorization, empirical_score, log_density
from .linear import linear_denoising_risk, linear_denoising_risk_mc, memorization_gain, optimal_linear_denoiser
from .stats import l4_l2_ratio, pairwise_cosine, top1_share, unit_std
from .train import train_dae

# ---------------------------------------------------------------- chapter 1: the denoising objective

CH1 = {
    # the linear identity: digits, the best linear (Wiener) denoiser at sigma
    "identity_n": 200,
    "identity_sigma": 0.5,
    "identity_draws": 400,
    # Tweedie check: 50 digits, 64 noisy query points
    "tweedie_n": 50,
    "tweedie_sigma": 0.5,
    # sampling with the empirical optimal denoiser
    "sampling_n": 200,
    "sampling_samples": 64,
    "sampling_steps": 60,
    # the 2-D picture of the empirical denoiser
    "toy_sigmas": (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5),
    # the first trained DAE
    "dae_n": 6,
    "dae_p": 32,
    "dae_sigma": 0.2,
    "dae_lam": 1e-3,
    "dae_steps": 2000,
    "seed": 0,
}


@experiment
def ch1_linear_identity() -> dict:
    """Monte Carlo against the closed form E||M(x+sigma eps)-x||^2 = ||(M-I)x||^2 + sigma^2||M||_F^2."""
    X = mdata.load_digits(n=CH1["identity_n"], seed=CH1["seed"]).x
    sigma = CH1["identity_sigma"]
    M = optimal_linear_denoiser(X, sigma)  # the Wiener filter S (S + sigma^2 I)^{-1}
    closed = float(linear_denoising_risk(M, X, sigma))
    mc = float(linear_denoising_risk_mc(M, X, sigma, n_draws=CH1["identity_draws"], seed=CH1["seed"]))
    identity = float(linear_denoising_risk(torch.eye(X.shape[1]), X, sigma))  # M = I: pure noise, sigma^2 d
    zero = float(linear_denoising_risk(torch.zeros_like(M), X, sigma))  # M = 0: mean ||x||^2
    return {
        "X": X,
        "M": M,
        "sigma": sigma,
        "closed": closed,
        "mc": mc,
        "rel_err": abs(mc - closed) / closed,
        "risk_identity": identity,
        "risk_zero": zero,
    }


@experiment
def ch1_tweedie_check() -> dict:
    """Tweedie's formula: the empirical score against torch autograd of log p_sigma."""
    X = mdata.load_digits(n=CH1["tweedie_n"], seed=CH1["seed"]).x
    sigma = CH1["tweedie_sigma"]
    g = torch.Generator().manual_seed(CH1["seed"])
    y = X[torch.randint(0, len(X), (64,), generator=g)] + sigma * torch.randn(64, X.shape[1], generator=g)
    y = y.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(log_density(y, X.double(), sigma).sum(), y)
    score = empirical_score(y.detach(), X.double(), sigma)
    err = (score - grad).abs().max().item()
    return {"max_abs_err": err, "score_scale": grad.abs().max().item()}


@experiment
def ch1_empirical_sampling() -> dict:
    """Sample with the empirical optimal denoiser on digits and measure the copies."""
    X = mdata.load_digits(n=CH1["sampling_n"], seed=CH1["seed"]).x
    out = empirical_sampling_memorization(
        X, n_samples=CH1["sampling_samples"], n_steps=CH1["sampling_steps"], seed=CH1["seed"]
    )
    out["X"] = X
    return out


def toy_points_2d() -> torch.Tensor:
    """Seven training points in the plane: a hexagon and its centre."""
    angles = torch.arange(6) * (torch.pi / 3)
    ring = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return torch.cat([ring, torch.zeros(1, 2)])


@experiment
def ch1_toy_denoiser_frames(grid_size: int = 21, extent: float = 1.6) -> dict:
    """Where the empirical denoiser sends a grid of noisy points in 2-D, for each sigma."""
    X = toy_points_2d()
    ticks = torch.linspace(-extent, extent, grid_size)
    yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
    grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)
    outputs = {s: empirical_denoiser(grid, X, s) for s in CH1["toy_sigmas"]}
    return {"X": X, "grid": grid, "outputs": outputs}


@experiment
def ch1_first_dae() -> dict:
    """A first trained DAE on a few digits and its representation h."""
    digits = mdata.load_digits(seed=CH1["seed"])
    # one training example of each of the first n classes, and an unseen digit of class 0
    idx = [int(torch.nonzero(digits.labels == k)[0]) for k in range(CH1["dae_n"])]
    unseen = int(torch.nonzero(digits.labels == 0)[1])
    X = digits.x[idx]
    model = ReLUDAE(X.shape[1], CH1["dae_p"], seed=CH1["seed"])
    result = train_dae(
        model,
        X,
        sigma=CH1["dae_sigma"],
        lam=CH1["dae_lam"],
        optimizer="adam",
        lr=1e-2,
        steps=CH1["dae_steps"],
        noise_draws=8,
        seed=CH1["seed"],
        progress=False,
    )
    g = torch.Generator().manual_seed(CH1["seed"] + 1)
    with torch.no_grad():
        y_train = X + CH1["dae_sigma"] * torch.randn(X.shape, generator=g)
        y_unseen = digits.x[unseen] + CH1["dae_sigma"] * torch.randn(X.shape[1], generator=g)
        h_train = model.representation(y_train)
        h_unseen = model.representation(y_unseen)
    return {
        "X": X,
        "image_shape": digits.image_shape,
        "model": model,
        "losses": result.losses,
        "y_train": y_train,
        "h_train": h_train,
        "x_unseen": digits.x[unseen],
        "y_unseen": y_unseen,
        "h_unseen": h_unseen,
        "top1_train": top1_share(h_train),
        "top1_unseen": float(top1_share(h_unseen)),
        "std_train": unit_std(h_train),
        "l4l2_train": l4_l2_ratio(h_train),
        "cosine_min": float(pairwise_cosine(X)[~torch.eye(len(X), dtype=torch.bool)].min()),
    }


def centred_digits() -> tuple:
    """All 1797 digits in [-1, 1] minus their mean image, and the ImageData they came from."""
    digits = mdata.load_digits()
    return digits.x - digits.x.mean(0), digits


def best_of(result) -> "ReLUDAE":
    """The model of a batched fit with the lowest loss (mean of the last 50 steps' estimates)."""
    tail = result.losses[-50:].mean(0)
    return result.models[int(np.argmin(tail))]


# ---------------------------------------------------------------- chapter 2: memorization

CH2 = {
    "n": 6,  # centred digits with pairwise cosines <= max_cosine
    "max_cosine": 0.0,
    "subset_seed": 0,
    "p": 12,  # over-parameterised: p = 2n
    "p_exact": 6,  # p = n
    "sigma": 0.2,
    "lam": 0.5,
    "steps": 3000,
    "seeds": tuple(range(8)),  # trained at once; the lowest loss is kept
    "lam_sweep": (0.5, 2.0, 2.95, 3.3, 3.9, 4.5),
    "noise_draws": 20,  # noisy copies per training sample for the spikiness statistics
    "stored_gain": 0.05,  # in the lambda sweep, a sample counts as stored if its gain exceeds this
    "n_unseen": 4,
    "seed": 0,
}


@experiment
def ch2_memorization() -> dict:
    """Train p >= n DAEs on separable digits; compare with the single-sample solution."""
    c = CH2
    Xall, digits = centred_digits()
    idx = separable_subset(Xall, c["n"], max_cosine=c["max_cosine"], seed=c["subset_seed"])
    X = Xall[idx]
    n, sigma, lam = c["n"], c["sigma"], c["lam"]
    sq = X.norm(dim=1) ** 2
    fits = {p: fit_dae(X, p, sigma=sigma, lam=lam, steps=c["steps"], seed=list(c["seeds"]))
            for p in (c["p"], c["p_exact"])}
    models = {p: best_of(r) for p, r in fits.items()}
    out = {"X": X, "index": idx, "image_shape": digits.image_shape, "labels": digits.labels[idx],
           "sq_norm": sq, "models": models, "seconds": sum(r.seconds for r in fits.values())}
    # theory: gain m_i and r_i^2 = m_i / ||x_i||^2, and the variant with ||x||_4^4 in the denominator
    gain_theory = memorization_gain(sq, n, sigma, lam)
    out["gain_theory"] = gain_theory
    out["r_theory"] = (gain_theory / sq).sqrt()
    out["r_printed"] = ((sq - n * lam).clamp_min(0) / (X.pow(4).sum(1) + sigma**2 * sq)).sqrt()
    g = torch.Generator().manual_seed(c["seed"])
    Y = X.repeat(c["noise_draws"], 1) + sigma * torch.randn(c["noise_draws"] * n, X.shape[1], generator=g)
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
    mp = models[c["p"]]
    # an unseen digit: the output is (a combination of) stored samples
    rest = torch.ones(len(Xall), dtype=torch.bool)
    rest[idx] = False
    unseen = Xall[rest][torch.randperm(int(rest.sum()), generator=g)[: c["n_unseen"]]]
    y_unseen = unseen + sigma * torch.randn(unseen.shape, generator=g)
    with torch.no_grad():
        f_unseen = mp(y_unseen)
    cos = (f_unseen / f_unseen.norm(dim=1, keepdim=True)) @ (X / X.norm(dim=1, keepdim=True)).T
    out["unseen"] = {"x": unseen, "y": y_unseen, "f": f_unseen, "nearest": cos.argmax(1),
                     "nearest_cosine": cos.max(1).values, "clean_cosine": torch.nn.functional.cosine_similarity(
                         unseen, X[cos.argmax(1)], dim=1)}
    # raising lambda: a unit survives only while ||x_i||^2 > n lambda
    sweep = fit_dae(X, c["p"], sigma=sigma, lam=list(c["lam_sweep"]), steps=c["steps"], seed=c["seed"])
    rows = []
    for lam_s, m in zip(c["lam_sweep"], sweep.models):
        gains = gains_along_samples(m, X)
        rows.append({"lam": lam_s, "predicted_alive": (sq > n * lam_s), "stored": gains > c["stored_gain"],
                     "gains": gains, "gain_theory": memorization_gain(sq, n, sigma, lam_s)})
    out["lam_sweep"] = rows
    return out


# ---------------------------------------------------------------- chapter 3: generalization

CH3 = {
    # Gaussian mixture: 2 clusters, antipodal means (separable), rank-4 covariance
    "gmm_n": 400,
    "gmm_K": 2,
    "gmm_d": 32,
    "gmm_rank": 4,
    "gmm_spread": 1.0,
    "gmm_separation": 5.0,
    "gmm_p": 16,
    "gmm_steps": 3000,
    "gmm_seeds": (0, 1),
    "sigma": 0.2,
    "lam": 1e-3,
    # digits: many centred digits, few units
    "digits_n": 1000,
    "digits_p": 16,
    "digits_sigma": 0.5,
    "digits_lam": 1e-3,
    "digits_steps": 2000,
    "n_test": 200,
    "seed": 0,
}


@experiment
def ch3_gmm_blocks() -> dict:
    """p << n on a separable mixture: W2 W1^T against the per-cluster Wiener-with-threshold maps."""
    c = CH3
    data = mdata.gaussian_mixture(c["gmm_n"], K=c["gmm_K"], d=c["gmm_d"], rank=c["gmm_rank"],
                                  spread=c["gmm_spread"], separation=c["gmm_separation"], means="simplex",
                                  seed=c["seed"])
    X = data.x
    res = fit_dae(X, c["gmm_p"], sigma=c["sigma"], lam=c["lam"], steps=c["gmm_steps"], seed=list(c["gmm_seeds"]))
    model = best_of(res)
    theory = block_prediction(X, data.labels, c["sigma"], c["lam"])
    with torch.no_grad():
        M = (model.W2 @ model.W1.T).double()
        pre = X @ model.W1
    # which cluster each unit serves: the cluster on whose points it is active
    active = (pre > 0).double()
    share = torch.stack([active[data.labels == k].mean(0) for k in range(c["gmm_K"])])  # (K, p)
    alive = model.W1.detach().norm(dim=0) > 1e-2 * model.W1.detach().norm(dim=0).max()
    spectra = []
    for k in range(c["gmm_K"]):
        units = alive & (share[k] > 0.5)
        Mk = (model.W2[:, units] @ model.W1[:, units].T).detach().double()
        learned = torch.linalg.svdvals(Mk)
        spectra.append({"learned": learned, "s": theory["gains"][k][0], "m": theory["gains"][k][1],
                        "units": int(units.sum())})
    g = torch.Generator().manual_seed(c["seed"] + 1)
    Y = X + c["sigma"] * torch.randn(X.shape, generator=g)
    with torch.no_grad():
        h = model.representation(Y)
    return {
        "data": data,
        "model": model,
        "M": M,
        "theory": theory,
        "block_rel_err": float((M - theory["M"]).norm() / theory["M"].norm()),
        "unit_cluster_share": share,
        "alive": alive,
        "spectra": spectra,
        "h": h,
        "top1_mean": float(top1_share(h).mean()),
        "seconds": res.seconds,
    }


@experiment
def ch3_digits() -> dict:
    """Many digits, few units: eigen-digits, balanced representations, and better denoising of
    unseen digits than a memorizing model of the same width."""
    c = CH3
    Xall, digits = centred_digits()
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(c["seed"]))
    train, test = perm[: c["digits_n"]], perm[-c["n_test"]:]
    p, sigma, lam = c["digits_p"], c["digits_sigma"], c["digits_lam"]
    X, Xt = Xall[train], Xall[test]
    gen = best_of(fit_dae(X, p, sigma=sigma, lam=lam, steps=c["digits_steps"], seed=[0, 1]))
    mem = best_of(fit_dae(X[:p], p, sigma=sigma, lam=lam, steps=c["digits_steps"], seed=[0, 1]))
    g = torch.Generator().manual_seed(c["seed"] + 2)
    Yt = Xt + sigma * torch.randn(Xt.shape, generator=g)
    Ytr = X + sigma * torch.randn(X.shape, generator=g)
    mean = digits.x.mean(0)
    with torch.no_grad():
        f_gen, f_mem = gen(Yt), mem(Yt)
        h_gen, h_mem = gen.representation(Ytr), mem.representation(Yt)
        h_gen_test = gen.representation(Yt)
    return {
        "X": X, "Xt": Xt, "Yt": Yt, "mean": mean, "image_shape": digits.image_shape,
        "gen": gen, "mem": mem, "X_mem": X[:p],
        "f_gen": f_gen, "f_mem": f_mem,
        "psnr_noisy": float(psnr(Yt + mean, Xt + mean).mean()),
        "psnr_gen": float(psnr(f_gen + mean, Xt + mean).mean()),
        "psnr_mem": float(psnr(f_mem + mean, Xt + mean).mean()),
        "top1_gen_train": float(top1_share(h_gen).mean()),
        "top1_gen_test": float(top1_share(h_gen_test).mean()),
        "top1_mem_test": float(top1_share(h_mem).mean()),
        "h_gen_test": h_gen_test, "h_mem_test": h_mem,
        "column_cosine_to_data": unit_owners(gen.W1, X)["cosine"],
    }


# ---------------------------------------------------------------- the website's grids (chapters 2-3)

GRID = {
    "ns": (4, 16, 64, 256),
    "ps": (4, 16, 64),
    "sigmas": (0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
    "sigma_n": 16,
    "sigma_p": 32,
    "sigma": 0.2,
    "lam": 0.01,
    "steps": 1500,
    "n_columns": 8,
    "seed": 0,
}


def _grid_cell(X, model, sigma, g) -> dict:
    """What a grid figure shows for one trained model: its largest columns, h of a noisy training
    input, the mean top-1 share over noisy training inputs."""
    with torch.no_grad():
        norms = model.W1.norm(dim=0)
        top = torch.argsort(norms, descending=True)[: GRID["n_columns"]]
        h = model.representation(X + sigma * torch.randn(X.shape, generator=g))
    return {"columns": model.W1.detach()[:, top].T.clone(), "cosine": unit_owners(model.W1, X)["cosine"][top],
            "h0": h[0], "top1": float(top1_share(h).mean()), "std0": float(h[0].std())}


@experiment
def regime_grid() -> dict:
    """DAEs trained on centred digits over a grid of (n, p), and over sigma at one (n, p)."""
    c = GRID
    Xall, digits = centred_digits()
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(c["seed"]))
    g = torch.Generator().manual_seed(c["seed"] + 1)
    cells = {}
    for n in c["ns"]:
        X = Xall[perm[:n]]
        for p in c["ps"]:
            m = fit_dae(X, p, sigma=c["sigma"], lam=c["lam"], steps=c["steps"], seed=c["seed"]).model
            cells[(n, p)] = _grid_cell(X, m, c["sigma"], g)
    X = Xall[perm[: c["sigma_n"]]]
    res = fit_dae(X, c["sigma_p"], sigma=list(c["sigmas"]), lam=c["lam"], steps=c["steps"], seed=c["seed"])
    by_sigma = {s: _grid_cell(X, m, s, g) for s, m in zip(c["sigmas"], res.models)}
    return {"cells": cells, "by_sigma": by_sigma, "image_shape": digits.image_shape}
