"""Chapter 3's experiments: generalization (p << n), the block solution on mixtures and digits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from .. import data as mdata
from ..fit_fast import fit_dae
from ..generalization import block_prediction
from ..linear import optimal_linear_denoiser
from ..memorization import (
    alive_units,
    unit_owners,
)
from ..metrics import psnr
from ..stats import top1_share
from ..theorem import activation_rates
from .cache import experiment

# ---------------------------------------------------------------- chapter 1: the denoising
# objective
from .ch02_memorization import best_of, centred_digits


@dataclass(frozen=True)
class Ch3Settings:
    """Chapter 3's settings: a Gaussian mixture and many digits, few units."""

    #: Gaussian mixture: 2 clusters, antipodal means (separable), rank-4 covariance
    gmm_n: int = 400  # mixture samples
    gmm_K: int = 2  # clusters
    gmm_d: int = 32  # dimension
    gmm_rank: int = 4  # rank of each cluster's covariance
    gmm_spread: float = 1.0  # scale of the within-cluster spread
    gmm_separation: float = 5.0  # norm of the cluster means
    gmm_p: int = 16  # width (p << n)
    gmm_steps: int = 3000  # training steps (fit_dae)
    gmm_seeds: tuple = (0, 1)  # trained at once; the lowest loss is kept
    sigma: float = 0.2  # noise level of the mixture model
    lam: float = 1e-3  # weight decay of the mixture model
    #: digits: many centred digits, few units
    digits_n: int = 1000  # training digits of the generalizing DAE
    digits_p: int = 16  # its width
    digits_sigma: float = 0.5  # its noise level
    digits_lam: float = 1e-3  # its weight decay
    digits_steps: int = 2000  # its training steps (fit_dae)
    n_test: int = 200  # held-out digits for the PSNR comparison
    #: the threshold exercised: the same kind of mixture with unequal clusters and larger lambdas
    threshold_sizes: tuple = (320, 80)  # points of cluster 0 and of cluster 1 (n = 400)
    threshold_lams: tuple = (0.1, 0.26, 0.4)  # weight decays, trained at once
    threshold_dead_gain: float = 0.05  # a learned direction is dead below this singular value
    seed: int = 0  # data, initialisation and noise draws

    def replace(self, **changes) -> "Ch3Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH3 = Ch3Settings()


@experiment
def ch3_gmm_blocks() -> dict:
    """p << n on a separable mixture: W2 W1^T against the per-cluster Wiener-with-threshold maps."""
    c = CH3
    data = mdata.gaussian_mixture(
        c.gmm_n,
        K=c.gmm_K,
        d=c.gmm_d,
        rank=c.gmm_rank,
        spread=c.gmm_spread,
        separation=c.gmm_separation,
        means="simplex",
        seed=c.seed,
    )
    X = data.x
    res = fit_dae(X, c.gmm_p, sigma=c.sigma, lam=c.lam, steps=c.gmm_steps, seed=list(c.gmm_seeds))
    model = best_of(res)
    theory = block_prediction(X, data.labels, c.sigma, c.lam)
    with torch.no_grad():
        M = (model.W2 @ model.W1.T).double()
    # which cluster each unit serves: the cluster on whose points it is active
    every = torch.ones(model.p, dtype=torch.bool)
    share = activation_rates(model, X, data.labels, units=every).T  # (K, p)
    alive = alive_units(model.W1)
    spectra = []
    for k in range(c.gmm_K):
        units = alive & (share[k] > 0.5)
        Mk = (model.W2[:, units] @ model.W1[:, units].T).detach().double()
        learned = torch.linalg.svdvals(Mk)
        spectra.append(
            {
                "learned": learned,
                "s": theory["gains"][k][0],
                "m": theory["gains"][k][1],
                "units": int(units.sum()),
            }
        )
    g = torch.Generator().manual_seed(c.seed + 1)
    Y = X + c.sigma * torch.randn(X.shape, generator=g)
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


def imbalanced_mixture(sizes, *, seed=0):
    """Chapter 3's mixture (antipodal means, rank-``gmm_rank`` clusters in R^``gmm_d``) with
    ``sizes[k]`` points in cluster k: the first points of each cluster of a larger draw."""
    c = CH3
    data = mdata.gaussian_mixture(
        len(sizes) * max(sizes),
        K=len(sizes),
        d=c.gmm_d,
        rank=c.gmm_rank,
        spread=c.gmm_spread,
        separation=c.gmm_separation,
        means="simplex",
        seed=seed,
    )
    idx = torch.cat(
        [torch.nonzero(data.labels == k).flatten()[:n_k] for k, n_k in enumerate(sizes)]
    )
    return data.x[idx], data.labels[idx]


@experiment
def ch3_threshold() -> dict:
    """The threshold n lam / n_k exercised: two clusters of unequal size (CH3.threshold_sizes) and
    weight decays CH3.threshold_lams (one batched fit), so that the threshold falls below, inside
    and above the within-cluster eigenvalues. Per (lam, cluster): the predicted gains m_j on the
    rank + 1 nonzero eigen-directions of S_k, the learned singular values of the cluster's block,
    and which directions are dead in each."""
    c = CH3
    X, labels = imbalanced_mixture(c.threshold_sizes, seed=c.seed)
    n, r = len(X), c.gmm_rank + 1
    res = fit_dae(
        X, c.gmm_p, sigma=c.sigma, lam=list(c.threshold_lams), steps=c.gmm_steps, seed=c.seed
    )
    rows, match, errs = [], [], []
    for lam, model in zip(c.threshold_lams, res.models):
        theory = block_prediction(X, labels, c.sigma, lam)
        share = activation_rates(model, X, labels, units=torch.ones(model.p, dtype=torch.bool)).T
        alive = alive_units(model.W1)
        learned_all, pred_all = [], []
        for k, n_k in enumerate(c.threshold_sizes):
            units = alive & (share[k] > 0.5)
            Mk = (model.W2[:, units] @ model.W1[:, units].T).detach().double()
            learned = torch.linalg.svdvals(Mk)[:r]
            s, m = theory["gains"][k][0][:r], theory["gains"][k][1][:r]
            dead_pred, dead_meas = m <= 0, learned < c.threshold_dead_gain
            match += (dead_pred == dead_meas).tolist()
            learned_all.append(learned)
            pred_all.append(m)
            rows.append(
                {
                    "lam": lam,
                    "cluster": k,
                    "n_k": n_k,
                    "tau": n * lam / n_k,
                    "s": s,
                    "m": m,
                    "learned": learned,
                    "dead_predicted": int(dead_pred.sum()),
                    "dead_measured": int(dead_meas.sum()),
                    "units": int(units.sum()),
                }
            )
        pred, got = torch.cat(pred_all), torch.cat(learned_all)
        errs.append(float((got - pred).norm() / pred.norm()))
    positive = torch.cat([row["m"][row["m"] > 0] for row in rows])
    return {
        "rows": rows,
        "n": n,
        "directions": r,
        "dead_match": float(sum(match) / len(match)),
        "n_cases": len(match),
        "spectrum_rel_err": max(errs),
        "spectrum_rel_errs": errs,
        "smallest_positive_gain": float(positive.min()),
        "seconds": res.seconds,
    }


def _block_psnrs(X, Xt, Yt, mean, p, sigma, lam) -> dict:
    """PSNR on the noisy unseen digits ``Yt`` of the closed-form blocks a width-p network can be:
    on centred (symmetric) digits a ReLU unit fires on half of them, so a linear map takes pairs of
    units (w, -w), each pair one direction at twice the weight decay: rank p / 2, penalty 2 lam
    (the block the network can represent); and the rank-p block (penalty lam), the most that p
    units acting as one linear block could pass. Also the full-rank Wiener filter."""
    out = {}
    for key, rank, lam_k in (("half", p // 2, 2 * lam), ("full", p, lam), ("wiener", None, 0.0)):
        M = optimal_linear_denoiser(X, sigma, lam_k, rank=rank).float()
        out[f"psnr_block_{key}"] = float(psnr(Yt @ M.T + mean, Xt + mean).mean())
    return out


@experiment
def ch3_digits() -> dict:
    """Many digits, few units: eigen-digits, balanced representations, and better denoising of
    unseen digits than a memorizing model of the same width."""
    c = CH3
    Xall, digits = centred_digits()
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(c.seed))
    train, test = perm[: c.digits_n], perm[-c.n_test :]
    p, sigma, lam = c.digits_p, c.digits_sigma, c.digits_lam
    X, Xt = Xall[train], Xall[test]
    gen = best_of(fit_dae(X, p, sigma=sigma, lam=lam, steps=c.digits_steps, seed=[0, 1]))
    mem = best_of(fit_dae(X[:p], p, sigma=sigma, lam=lam, steps=c.digits_steps, seed=[0, 1]))
    g = torch.Generator().manual_seed(c.seed + 2)
    Yt = Xt + sigma * torch.randn(Xt.shape, generator=g)
    Ytr = X + sigma * torch.randn(X.shape, generator=g)
    mean = digits.x.mean(0)
    with torch.no_grad():
        f_gen, f_mem = gen(Yt), mem(Yt)
        h_gen, h_mem = gen.representation(Ytr), mem.representation(Yt)
        h_gen_test = gen.representation(Yt)
    return {
        "X": X,
        "Xt": Xt,
        "Yt": Yt,
        "mean": mean,
        "image_shape": digits.image_shape,
        "gen": gen,
        "mem": mem,
        "X_mem": X[:p],
        "f_gen": f_gen,
        "f_mem": f_mem,
        "psnr_noisy": float(psnr(Yt + mean, Xt + mean).mean()),
        "psnr_gen": float(psnr(f_gen + mean, Xt + mean).mean()),
        "psnr_mem": float(psnr(f_mem + mean, Xt + mean).mean()),
        **_block_psnrs(X, Xt, Yt, mean, p, sigma, lam),
        "top1_gen_train": float(top1_share(h_gen).mean()),
        "top1_gen_test": float(top1_share(h_gen_test).mean()),
        "top1_mem_test": float(top1_share(h_mem).mean()),
        "h_gen_test": h_gen_test,
        "h_mem_test": h_mem,
        "column_cosine_to_data": unit_owners(gen.W1, X)["cosine"],
    }


# ---------------------------------------------------------------- the paper's CelebA setting
# (Colab)

from .ch02_memorization import PaperDAE  # noqa: E402

#: The generalizing DAE of the official code: the first 10,000 CelebA images, p = 100,
#: sigma = 0.2, Adam 1e-4, weight decay 1e-4, batch 256, 50,000 steps (seed 1, as the memorizing
#: one).
CELEBA_GENERALIZING = PaperDAE(
    p=100,
    sigma=0.2,
    optimizer="adam",
    lr=1e-4,
    torch_weight_decay=1e-4,
    steps=50_000,
    batch_size=256,
    seed=1,
)
