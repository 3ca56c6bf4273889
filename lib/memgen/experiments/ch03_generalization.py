"""Chapter 3's experiments: generalization (p << n), the block solution on mixtures and digits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from .. import data as mdata
from ..fit_fast import fit_dae
from ..generalization import block_prediction
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
