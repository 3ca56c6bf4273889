"""Chapter 2's experiments: memorization (p >= n) and the website's (n, p) and sigma grids."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

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

# ---------------------------------------------------------------- chapter 1: the denoising
# objective


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
    max_cosine: float = 0.0  # largest pairwise cosine of the separable subset
    subset_seed: int = 0  # order in which separable_subset visits the digits
    p: int = 12  # over-parameterised: p = 2n
    p_exact: int = 6  # p = n
    sigma: float = 0.2  # training noise level
    lam: float = 0.5  # weight decay (n lam = 3 < every ||x_i||^2: all samples survive)
    steps: int = 3000  # training steps (fit_dae)
    seeds: tuple = tuple(range(8))  # trained at once; the lowest loss is kept
    lam_sweep: tuple = (0.5, 2.0, 2.95, 3.3, 3.9, 4.5)  # weight decays of the dying-threshold sweep
    draws: int = 20  # noisy copies per training sample for the spikiness statistics
    stored_gain: float = (
        0.05  # in the lambda sweep, a sample counts as stored if its gain exceeds this
    )
    n_unseen: int = 4  # held-out digits fed to the memorizing network
    seed: int = 0  # noise and held-out draws

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
    fits = {
        p: fit_dae(X, p, sigma=sigma, lam=lam, steps=c.steps, seed=list(c.seeds))
        for p in (c.p, c.p_exact)
    }
    models = {p: best_of(r) for p, r in fits.items()}
    out = {
        "X": X,
        "index": idx,
        "image_shape": digits.image_shape,
        "labels": digits.labels[idx],
        "sq_norm": sq,
        "models": models,
        "seconds": sum(r.seconds for r in fits.values()),
    }
    # theory: gain m_i and r_i^2 = m_i / ||x_i||^2, and the variant with ||x||_4^4 in the
    # denominator
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
    out["unseen"] = {
        "x": unseen,
        "y": y_unseen,
        "f": f_unseen,
        "nearest": cos.argmax(1),
        "nearest_cosine": cos.max(1).values,
        "clean_cosine": torch.nn.functional.cosine_similarity(unseen, X[cos.argmax(1)], dim=1),
    }
    # raising lambda: a unit survives only while ||x_i||^2 > n lambda
    sweep = fit_dae(X, c.p, sigma=sigma, lam=list(c.lam_sweep), steps=c.steps, seed=c.seed)
    rows = []
    for lam_s, m in zip(c.lam_sweep, sweep.models):
        gains = gains_along_samples(m, X)
        rows.append(
            {
                "lam": lam_s,
                "predicted_alive": (sq > n * lam_s),
                "stored": gains > c.stored_gain,
                "gains": gains,
                "gain_theory": memorization_gain(sq, n, sigma, lam_s),
            }
        )
    out["lam_sweep"] = rows
    return out


@dataclass(frozen=True)
class GridSettings:
    """The website's (n, p) and sigma grids of chapter 2: the chapter's separable digits (pairwise
    cosines <= 0, the setting in which Corollary 3.2 applies), the first n of them, width p."""

    ns: tuple = (2, 4, 6)  # the first n of CH2's separable digits
    ps: tuple = (1, 2, 4, 6, 12, 24)  # below, at and above n
    sigmas: tuple = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)  # the sigma slider, at (sigma_n, sigma_p)
    sigma_n: int = 6  # the chapter's setting: n = 6, p = 12 (CH2.n, CH2.p)
    sigma_p: int = 12  # its width
    sigma: float = 0.2  # the (n, p) grid's noise level and weight decay (CH2's)
    lam: float = 0.5  # weight decay (CH2.lam)
    steps: int = 3000  # training steps per cell (fit_dae)
    seeds: tuple = (0, 1, 2, 3)  # trained at once per cell; the lowest loss is kept
    stored_cosine: float = 0.95  # a sample is stored if an alive column has this cosine with it
    draws: int = 20  # noisy copies per training sample for the top-1 shares
    n_columns: int = 8  # largest encoder columns shown per cell
    seed: int = 0  # noise draws

    def replace(self, **changes) -> "GridSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


GRID = GridSettings()


def predicted_stored_fraction(X, p, lam) -> float:
    """Corollary 3.2 with a limited width: a sample can be stored only if ||x_i||^2 > n lam, and
    p units store at most p samples (one unit per sample on separable data), so the predicted
    fraction of stored samples is min(p, #{i: ||x_i||^2 > n lam}) / n."""
    n = len(X)
    alive = int((X.pow(2).sum(1) > n * lam).sum())
    return min(p, alive) / n


def _grid_cell(X, model, sigma, lam, g) -> dict:
    """What a grid figure shows for one trained model: its largest columns, h of a noisy training
    input, the stored fraction (measured and predicted) and the top-1 shares of h over noisy
    training inputs, raw and with the units that store the same sample merged (the raw share is
    confounded by p: with p > n several co-aligned units share one sample)."""
    n = len(X)
    own = unit_owners(model.W1, X)
    stored = own["alive"] & (own["cosine"] >= GRID.stored_cosine)
    with torch.no_grad():
        norms = model.W1.norm(dim=0)
        top = torch.argsort(norms, descending=True)[: GRID.n_columns]
        Y = X.repeat(GRID.draws, 1)
        h = model.representation(Y + sigma * torch.randn(Y.shape, generator=g))
    hg = grouped_representation(h[:, own["alive"]], own["owner"][own["alive"]], n)
    return {
        "columns": model.W1.detach()[:, top].T.clone(),
        "cosine": own["cosine"][top],
        "h0": h[0],
        "top1": float(top1_share(h).mean()),
        "top1_merged": float(top1_share(hg).mean()),
        "std0": float(h[0].std()) if h.shape[1] > 1 else 0.0,
        "stored_fraction": float(torch.unique(own["owner"][stored]).numel() / n),
        "predicted_stored_fraction": predicted_stored_fraction(X, model.p, lam),
    }


@experiment
def regime_grid() -> dict:
    """DAEs trained on the chapter's separable digits over a grid of (n, p), and over sigma at the
    chapter's (n, p) = (6, 12); each cell keeps the lowest-loss of ``GRID.seeds``."""
    c = GRID
    Xall, digits = centred_digits()
    idx = separable_subset(
        Xall, max(c.ns + (c.sigma_n,)), max_cosine=CH2.max_cosine, seed=CH2.subset_seed
    )
    g = torch.Generator().manual_seed(c.seed + 1)
    cells = {}
    for n in c.ns:
        X = Xall[idx[:n]]
        for p in c.ps:
            m = best_of(fit_dae(X, p, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=list(c.seeds)))
            cells[(n, p)] = _grid_cell(X, m, c.sigma, c.lam, g)
    X = Xall[idx[: c.sigma_n]]
    by_sigma = {}
    for s in c.sigmas:
        m = best_of(fit_dae(X, c.sigma_p, sigma=s, lam=c.lam, steps=c.steps, seed=list(c.seeds)))
        by_sigma[s] = _grid_cell(X, m, s, c.lam, g)
    agree = [
        abs(cell["stored_fraction"] - cell["predicted_stored_fraction"]) < 1e-9
        for cell in cells.values()
    ]
    return {
        "cells": cells,
        "by_sigma": by_sigma,
        "image_shape": digits.image_shape,
        "sigma_np": (c.sigma_n, c.sigma_p),
        "stored_agreement": float(sum(agree) / len(agree)),
    }


# ---------------------------------------------------------------- the paper's CelebA setting
# (Colab)


@dataclass(frozen=True)
class PaperDAE:
    """One DAE of the paper's official CelebA code (tied decoder, no biases)."""

    p: int  # hidden units; the decoder is the encoder (W2 = W1)
    sigma: float  # training noise level
    optimizer: str  # torch optimizer of the official code
    lr: float  # its learning rate
    torch_weight_decay: float  # its weight_decay argument
    steps: int  # optimizer steps, fresh noise every step
    batch_size: int | None  # None: full batch
    seed: int  # the official seed (initialisation and noise)

    @property
    def lam(self) -> float:
        """The book's lambda: the official code ties its decoder as a second Parameter sharing the
        encoder's storage, so torch decays the matrix twice per step, as for two untied tensors:
        ``lam = wd / 2`` (:func:`memgen.train_mc.lambda_from_torch_weight_decay` with
        tied=False)."""
        from ..train_mc import lambda_from_torch_weight_decay

        return lambda_from_torch_weight_decay(self.torch_weight_decay, tied=False)


#: The memorizing DAE of the official code: the five CelebA images 0, 36, 148, 195, 232
#: (memgen.hub.datasets.CELEBA), p = 100, sigma = 0.2, RMSprop 1e-3, weight decay 1e-2, 50,000
#: full-batch steps, seed 1.
CELEBA_MEMORIZING = PaperDAE(
    p=100,
    sigma=0.2,
    optimizer="rmsprop",
    lr=1e-3,
    torch_weight_decay=1e-2,
    steps=50_000,
    batch_size=None,
    seed=1,
)

#: Seconds per optimizer step on a T4 for these small DAEs: an estimate (kernel launches and
#: Python overhead dominate, about 0.5 ms per step), not a measurement.
T4_SECONDS_PER_STEP = 5e-4
#: Encoder columns shown (the paper's Figure 4: the 7 of largest norm).
N_COLUMNS_SHOWN = 7


def train_paper_dae(
    x: torch.Tensor, run: PaperDAE, *, device=None, steps: int | None = None, progress: bool = True
) -> dict:
    """Train the official code's DAE ``run`` on images ``x`` (n, d), on the GPU when there is one.

    Returns the model (on the CPU), the losses, the seconds, and the paper's two figures' data:
    the :data:`N_COLUMNS_SHOWN` encoder columns of largest norm (``columns``, ``norms``) with the
    best cosine of each to a training image (``cosines``) and the representation ``h`` of a noisy
    copy (sigma = 0.2, seed 0) of training image 0.
    """
    from .._checks import check_int, check_tensor
    from ..train_mc import train_dae

    x = check_tensor("x", x, ndim=2)
    steps = run.steps if steps is None else check_int("steps", steps, 1)
    dev = device if device is not None else ("cuda" if torch.cuda.is_available() else "cpu")
    model = ReLUDAE(x.shape[1], run.p, tied=True, seed=run.seed).to(dev)
    batch = None if run.batch_size is None or run.batch_size >= len(x) else run.batch_size
    res = train_dae(
        model,
        x,
        sigma=run.sigma,
        lam=run.lam,
        optimizer=run.optimizer,
        lr=run.lr,
        steps=steps,
        batch_size=batch,
        seed=run.seed,
        progress=progress,
    )
    model = model.cpu().eval()
    W = model.W1.detach()
    norms = W.norm(dim=0)
    top = norms.argsort(descending=True)[:N_COLUMNS_SHOWN]
    cols = W[:, top]
    cos = (cols.T @ x.T) / (norms[top, None] * x.norm(dim=1)[None].clamp_min(1e-12))
    g = torch.Generator().manual_seed(0)
    y = x[:1] + 0.2 * torch.randn(x[:1].shape, generator=g)
    with torch.no_grad():
        h = model.representation(y)[0]
    return {
        "model": model,
        "losses": res.losses,
        "seconds": res.seconds,
        "device": str(dev),
        "steps": steps,
        "units": top,
        "columns": cols,
        "norms": norms[top],
        "cosines": cos.max(1).values,
        "nearest": cos.argmax(1),
        "h": h,
        "h_std": float(h.std(unbiased=False)),
        "top1_share": float(top1_share(h[None])[0]) if float(h.sum()) > 0 else 0.0,
    }


def cpu_seconds_per_step(run: PaperDAE, n: int, d: int = 1024, *, steps: int = 100) -> float:
    """Measured seconds per step of :func:`train_paper_dae`'s trainer on this machine's CPU, on
    random data of the setting's shape (n images of d pixels)."""
    from ..train_mc import train_dae

    x = torch.rand(n, d, generator=torch.Generator().manual_seed(0)) * 2 - 1
    model = ReLUDAE(d, run.p, tied=True, seed=run.seed)
    batch = None if run.batch_size is None or run.batch_size >= n else run.batch_size
    res = train_dae(
        model,
        x,
        sigma=run.sigma,
        lam=run.lam,
        optimizer=run.optimizer,
        lr=run.lr,
        steps=steps,
        batch_size=batch,
        seed=run.seed,
        progress=False,
    )
    return res.seconds / steps


@experiment
def ch2_rotation(seed: int = 0) -> dict:
    """Rotation invariance decides the constant: the loss is unchanged under x -> Q x, W -> Q W (Q
    orthogonal), so a trained r_i can depend on x_i only through ||x_i||_2, while ||x_i||_4^4
    changes. Trains the chapter's p = n network on Q x_i for a random orthogonal Q (seeded) and
    compares its measured r_i with those trained on the x_i themselves, and both versions of the
    formula before and after the rotation."""
    c = CH2
    base = ch2_memorization()
    X = base["X"]
    g = torch.Generator().manual_seed(seed)
    Q, R = torch.linalg.qr(torch.randn(X.shape[1], X.shape[1], generator=g, dtype=torch.float64))
    Q = (Q * torch.sign(torch.diagonal(R))).float()
    XQ = X @ Q.T
    fit = fit_dae(XQ, c.p_exact, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=list(c.seeds))
    model = best_of(fit)
    sq = X.norm(dim=1) ** 2
    r_rot = (gains_along_samples(model, XQ).clamp_min(0) / sq).sqrt()
    r_orig = base[c.p_exact]["r"]

    def printed(Z):
        return ((sq - c.n * c.lam).clamp_min(0) / (Z.pow(4).sum(1) + c.sigma**2 * sq)).sqrt()

    l4, l4_rot = X.pow(4).sum(1), XQ.pow(4).sum(1)
    return {
        "Q_orth_err": float((Q @ Q.T - torch.eye(len(Q))).abs().max()),
        "sq_rel_change": float(((XQ.norm(dim=1) ** 2 - sq).abs() / sq).max()),
        "l4": l4,
        "l4_rot": l4_rot,
        "l4_ratio_min": float((l4_rot / l4).min()),
        "l4_ratio_max": float((l4_rot / l4).max()),
        "r_orig": r_orig,
        "r_rot": r_rot,
        "r_rel_change": float(((r_rot - r_orig).abs() / r_orig).max()),
        "r_theory": base["r_theory"],
        "r_rot_theory_err": float(((r_rot - base["r_theory"]).abs() / base["r_theory"]).max()),
        "printed_rel_change": float(((printed(XQ) - printed(X)).abs() / printed(X)).max()),
        "seconds": fit.seconds,
    }
