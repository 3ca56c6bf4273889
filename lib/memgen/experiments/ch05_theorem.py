"""Chapter 5's experiments (the block-structure theorem), with their settings in one place.

The chapter and the scorecard (ids ``thm.*``) call the same cached functions. Every function is
seeded: a rebuild gives the same numbers and figures.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import data as mdata
from ..dae import ReLUDAE
from ..fit_fast import fit_dae
from ..generalization import block_prediction
from ..memorization import alive_units, separable_subset
from ..theorem import (
    block_condition,
    block_purity,
    block_residuals,
    cone_margin,
    dae_loss_exact,
    flip_bound,
    loss_split,
    mask_stability,
    mc_loss,
    per_cluster_optimum,
    phi_bar,
    separability,
    sharing_gain,
)
from ..train_mc import OPTIMIZERS, train_dae
from .cache import experiment
from .ch02_memorization import CH2, best_of, centred_digits
from .ch03_generalization import CH3


@dataclass(frozen=True)
class Ch5Settings:
    """Chapter 5's default setting."""

    #: the default setting: two antipodal low-rank clusters, p << n, trained with
    #: memgen.fit_fast.fit_dae
    n: int = 300  # mixture samples
    K: int = 2  # clusters
    d: int = 32  # dimension
    rank: int = 2  # rank of each cluster
    separation: float = 6.0  # norm of the cluster means
    spread: float = 0.5  # within-cluster spread
    sigma: float = 0.2  # training noise level
    lam: float = 1e-3  # weight decay
    p: int = 12  # width (p << n)
    steps: int = 5000  # training steps (fit_dae)
    seeds: tuple = (0, 1, 2, 3)  # trained at once; the lowest loss is kept
    draws: int = (
        200  # noisy copies per point for mask stability and the Monte Carlo loss correction
    )
    cone_units: int = 2000  # random units in the cone of a cluster, for the margin lemma
    seed: int = 0  # data and noise draws

    def replace(self, **changes) -> "Ch5Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH5 = Ch5Settings()


@dataclass(frozen=True)
class Ch5RobustSettings:
    """Chapter 5's robustness grid: sigma x optimizer with the torch trainer
    (memgen.train_mc.train_dae)."""

    n: int = 100  # mixture samples
    d: int = 16  # dimension
    rank: int = 2  # rank of each cluster
    separation: float = 10.0  # norm of the cluster means
    spread: float = 0.5  # within-cluster spread
    p: int = 8  # width
    sigmas: tuple = (0.2, 1.0, 5.0)  # noise levels of the grid
    optimizers: tuple = ("sgd", "adam", "adamw", "rmsprop")  # optimizers of the grid
    lr: dict = field(
        default_factory=lambda: {"sgd": 4e-3, "adam": 1e-2, "adamw": 1e-2, "rmsprop": 3e-3}
    )  # learning rate per optimizer
    steps: int = 2000  # training steps (train_mc.train_dae)
    draws: int = 4  # fresh noise draws per sample and step
    eval_draws: int = 50  # noise draws per point when measuring


CH5_ROBUST = Ch5RobustSettings()


@dataclass(frozen=True)
class Ch5FailSettings:
    """Chapter 5's failure modes: noise level and cluster overlap (default data otherwise)."""

    sigmas: tuple = (0.2, 0.5, 1.0, 2.0, 4.0)  # noise levels of the failure sweep
    separations: tuple = (6.0, 3.0, 2.0, 1.0, 0.0)  # cluster-mean norms of the overlap sweep
    steps: int = 2000  # training steps per model
    draws: int = 50  # noise draws per point when measuring


CH5_FAIL = Ch5FailSettings()


def ch5_data(separation=None):
    """The chapter's default mixture (or the same with another ``separation``)."""
    c = CH5
    return mdata.gaussian_mixture(
        c.n,
        K=c.K,
        d=c.d,
        rank=c.rank,
        spread=c.spread,
        separation=c.separation if separation is None else separation,
        means="simplex",
        seed=c.seed,
    )


def measure(model, X, labels, sigma, lam, *, draws, seed=0) -> dict:
    """Everything the chapter reads off one trained network: mask stability and its bound, block
    purity and completeness, the exact loss against the sum of per-cluster optima, the loss
    split."""
    stab = mask_stability(model, X, sigma, draws=draws, seed=seed)
    bound = flip_bound(model, X, sigma)
    bp = block_purity(model, X, labels)
    exact = dae_loss_exact(model, X, sigma, lam, draws=draws, seed=seed + 1)
    opt = per_cluster_optimum(X, labels, sigma, lam)
    split = loss_split(model, X, labels, sigma, lam)
    return {
        "stability": stab["stability"],
        "stability_bound": bound["stability_bound"],
        "flip_rate": stab["flip_rate"],
        "unit_flip_bound": bound["unit_prob"].mean(0),
        "per_point": stab["per_point"],
        "point_bound": 1 - bound["bound"],
        "purity": bp["purity"],
        "completeness": bp["completeness"],
        "rates": bp["rates"],
        "block_sizes": bp["block_sizes"],
        "cluster": bp["cluster"],
        "loss": exact["total"],
        "loss_frozen": exact["frozen"],
        "correction": exact["correction"],
        "flip_fraction": exact["flip_fraction"],
        "optimum": opt["total"],
        "optimum_per_cluster": opt["per_cluster"],
        "filter_rank": opt["rank"],
        "loss_gap_rel": (exact["total"] - opt["total"]) / opt["total"],
        "split": split,
    }


# ---------------------------------------------------------------- separability of the book's data


@experiment
def ch5_separability() -> list:
    """(alpha, beta) of the book's datasets: rows ``{"name", "alpha", "beta", "separable", "K",
    "n"}``."""
    rows = []
    c3 = CH3
    gm = mdata.gaussian_mixture(
        c3.gmm_n,
        K=c3.gmm_K,
        d=c3.gmm_d,
        rank=c3.gmm_rank,
        spread=c3.gmm_spread,
        separation=c3.gmm_separation,
        means="simplex",
        seed=c3.seed,
    )
    rows.append(("chapter 3 mixture", gm.x, gm.labels))
    Xall, digits = centred_digits()
    idx = separable_subset(Xall, CH2.n, max_cosine=CH2.max_cosine, seed=CH2.subset_seed)
    rows.append(
        ("chapter 2 separable digits (one cluster per digit)", Xall[idx], torch.arange(len(idx)))
    )
    rows.append(("all centred digits, clustered by class", Xall, digits.labels))
    d5 = ch5_data()
    rows.append(("chapter 5 default mixture", d5.x, d5.labels))
    c = CH5
    rob = mdata.gaussian_mixture(
        CH5_ROBUST.n,
        K=2,
        d=CH5_ROBUST.d,
        rank=CH5_ROBUST.rank,
        spread=CH5_ROBUST.spread,
        separation=CH5_ROBUST.separation,
        means="simplex",
        seed=c.seed,
    )
    rows.append(("chapter 5 robustness mixture", rob.x, rob.labels))
    out = []
    for name, X, labels in rows:
        s = separability(X, labels)
        out.append(
            {
                "name": name,
                "alpha": s["alpha"],
                "beta": s["beta"],
                "separable": s["separable"],
                "K": s["K"],
                "n": len(X),
                "min_norm": s["min_norm"],
            }
        )
    return out


# ---------------------------------------------------------------- the default setting


@experiment
def ch5_blocks() -> dict:
    """Train the default setting with fit_dae and measure everything the theorem says."""
    c = CH5
    data = ch5_data()
    X, labels = data.x, data.labels
    res = fit_dae(X, c.p, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=list(c.seeds))
    model = best_of(res)
    out = measure(model, X, labels, c.sigma, c.lam, draws=c.draws, seed=c.seed)
    sep = separability(X, labels)
    # per-block comparison with the per-cluster solution (chapter 3's Wiener filter with threshold)
    theory = block_prediction(X, labels, c.sigma, c.lam)
    blocks = out["split"]["blocks"]
    out["block_rel_err"] = [
        float((B - T).norm() / T.norm()) for B, T in zip(blocks, theory["blocks"])
    ]
    with torch.no_grad():
        out["M"] = (model.W2 @ model.W1.T).double()
    out["theory"] = theory
    out["M_rel_err"] = float((out["M"] - theory["M"]).norm() / theory["M"].norm())
    # margins of the trained units, against min(alpha, beta) ||x|| (the cone lemma's guarantee)
    alive = alive_units(model.W1.detach().double(), model.W2.detach().double())
    full = torch.full((model.p,), -1, dtype=torch.long)
    full[alive] = out["cluster"]
    W = model.W1.detach()[:, alive]
    margins = cone_margin(W, X, labels, out["cluster"])
    out["trained_margin_min"] = float(margins.min())
    out["trained_margin_over_sigma"] = float(margins.min()) / c.sigma
    out["margins"] = margins
    # the cone lemma: random non-negative combinations of a cluster's points have margin >=
    # min(alpha, beta)||x||
    g = torch.Generator().manual_seed(c.seed)
    ratios = []
    for k in range(c.K):
        Xk = X[labels == k]
        coef = torch.rand(c.cone_units // c.K, len(Xk), generator=g) ** 8  # sparse-ish, >= 0
        Wc = (coef @ Xk).T  # (d, units)
        m = cone_margin(Wc, X, labels, torch.full((Wc.shape[1],), k))
        ratios.append(
            (m / (min(sep["alpha"], sep["beta"]) * X.norm(dim=1, keepdim=True).double())).min()
        )
    out["cone_ratio_min"] = float(min(ratios))
    out["alpha"], out["beta"] = sep["alpha"], sep["beta"]
    out["min_norm"] = sep["min_norm"]
    out["guarantee_margin"] = min(sep["alpha"], sep["beta"]) * sep["min_norm"]
    out["guarantee_flip"] = float(c.p * phi_bar(out["guarantee_margin"] / c.sigma))
    out["model"], out["data"], out["seconds"] = model, data, res.seconds
    out["n_alive"] = int(alive.sum())
    return out


# ---------------------------------------------------------------- robustness: sigma x optimizer


@experiment
def ch5_robustness() -> dict:
    """The same small mixture trained with train_dae for every sigma and optimizer (12 runs).

    AdamW uses decoupled decay with torch weight_decay = 2 lam (see memgen.train_mc.train_dae); the
    other optimizers differentiate the penalised loss. Returns ``{"rows": [...], "seconds"}``."""
    c = CH5
    data = mdata.gaussian_mixture(
        CH5_ROBUST.n,
        K=2,
        d=CH5_ROBUST.d,
        rank=CH5_ROBUST.rank,
        spread=CH5_ROBUST.spread,
        separation=CH5_ROBUST.separation,
        means="simplex",
        seed=c.seed,
    )
    X, labels = data.x, data.labels
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small problems: one thread is faster
    rows, t0 = [], time.perf_counter()
    try:
        for sigma in CH5_ROBUST.sigmas:
            for opt in CH5_ROBUST.optimizers:
                model = ReLUDAE(CH5_ROBUST.d, CH5_ROBUST.p, seed=c.seed)
                r = train_dae(
                    model,
                    X,
                    sigma=sigma,
                    lam=c.lam,
                    optimizer=opt,
                    lr=CH5_ROBUST.lr[opt],
                    steps=CH5_ROBUST.steps,
                    draws=CH5_ROBUST.draws,
                    seed=c.seed,
                    progress=False,
                )
                m = measure(
                    model, X, labels, sigma, c.lam, draws=CH5_ROBUST.eval_draws, seed=c.seed
                )
                rows.append(
                    {
                        "sigma": sigma,
                        "optimizer": opt,
                        "seconds": r.seconds,
                        **{
                            k: m[k]
                            for k in (
                                "stability",
                                "stability_bound",
                                "purity",
                                "completeness",
                                "loss_gap_rel",
                                "block_sizes",
                                "rates",
                                "correction",
                            )
                        },
                    }
                )
    finally:
        torch.set_num_threads(threads)
    return {"rows": rows, "seconds": time.perf_counter() - t0, "data": data}


# ---------------------------------------------------------------- where the assumptions fail


@experiment
def ch5_failure() -> dict:
    """Default data over a range of sigma (one batched fit), and over separations (overlapping
    clusters). Returns ``{"sigma": [rows], "separation": [rows]}``; each row holds the measures of
    :func:`measure` plus alpha and beta."""
    c = CH5
    out = {"sigma": [], "separation": []}
    data = ch5_data()
    X, labels = data.x, data.labels
    res = fit_dae(X, c.p, sigma=list(CH5_FAIL.sigmas), lam=c.lam, steps=CH5_FAIL.steps, seed=c.seed)
    sep = separability(X, labels)
    for s, model in zip(CH5_FAIL.sigmas, res.models):
        m = measure(model, X, labels, s, c.lam, draws=CH5_FAIL.draws, seed=c.seed)
        out["sigma"].append({"value": s, "alpha": sep["alpha"], "beta": sep["beta"], **_row(m)})
    for sv in CH5_FAIL.separations:
        d = ch5_data(sv)
        model = fit_dae(d.x, c.p, sigma=c.sigma, lam=c.lam, steps=CH5_FAIL.steps, seed=c.seed).model
        m = measure(model, d.x, d.labels, c.sigma, c.lam, draws=CH5_FAIL.draws, seed=c.seed)
        sp = separability(d.x, d.labels)
        out["separation"].append({"value": sv, "alpha": sp["alpha"], "beta": sp["beta"], **_row(m)})
    return out


def _row(m: dict) -> dict:
    keys = (
        "stability",
        "stability_bound",
        "purity",
        "completeness",
        "loss_gap_rel",
        "rates",
        "block_sizes",
        "correction",
        "flip_fraction",
    )
    return {k: m[k] for k in keys} | {"split_rel_err": m["split"]["split_rel_err"]}


# ---------------------------------------------------------------- how far the theorem reaches


@dataclass(frozen=True)
class Ch5ReachSettings:
    """The reach sweep: equiangular cluster means (pairwise cosine c) for K = 2, 3, 4, with the
    clusters' spread directions orthogonal to every mean and to each other, or drawn at random (the
    book's default mixture), trained with memgen.fit_fast.fit_dae and measured by plain Monte
    Carlo."""

    n: int = 240  # mixture samples (divisible by 2, 3 and 4)
    d: int = 32  # dimension
    rank: int = 2  # rank of each cluster
    separation: float = 6.0  # norm of the cluster means
    spread: float = 0.5  # within-cluster spread
    sigma: float = 0.2  # training noise level
    lam: float = 1e-2  # weight decay
    p: int = 16  # width: more units than the block solution needs (K (rank + 1) <= 12)
    steps: int = 4000  # training steps (fit_dae)
    seeds: tuple = (0, 1)  # trained at once; the lowest loss is kept
    cosines: dict = field(
        default_factory=lambda: {
            2: (-1.0, -0.9, -0.8, -0.65, -0.5, -0.35, -0.2),
            3: (-0.5, -0.35, -0.2),
            4: (-1 / 3, -0.2),
        }
    )  # pairwise cosines of the means per K (at least -1/(K-1))
    bases: tuple = ("orthogonal", "random")  # spread directions: orthogonal or random
    mc_draws: int = 1000  # fresh noise draws per point for the plain Monte Carlo loss
    tol: float = 0.01  # relative loss gap allowed to training (the default setting's convergence)
    z: float = 3.0  # standard errors for "below L*"
    seed: int = 0  # data and noise draws


CH5_REACH = Ch5ReachSettings()


def reach_data(K, cosine, bases="random"):
    """The reach sweep's mixture with K clusters whose means have pairwise cosine ``cosine``."""
    c = CH5_REACH
    return mdata.gaussian_mixture(
        c.n,
        K=K,
        d=c.d,
        rank=c.rank,
        spread=c.spread,
        separation=c.separation,
        means="equiangular",
        mean_cosine=cosine,
        bases=bases,
        seed=c.seed,
    )


def reach_cell(K, cosine, bases) -> dict:
    """Train one cell of the reach sweep and measure it: block purity, the plain Monte Carlo loss
    with its standard error, the relative gap to L* (paired with the block solution on the same
    noise draws, and its standard error), separability, and the sufficient condition
    (memgen.theorem.block_condition)."""
    c = CH5_REACH
    data = reach_data(K, cosine, bases)
    X, labels = data.x, data.labels
    t0 = time.perf_counter()
    res = fit_dae(X, c.p, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=list(c.seeds))
    model = best_of(res)
    seconds = time.perf_counter() - t0
    bp = block_purity(model, X, labels)
    opt = per_cluster_optimum(X, labels, c.sigma, c.lam)
    ref = block_residuals(X, labels, c.sigma, c.lam)["M"]
    mc = mc_loss(model, X, c.sigma, c.lam, draws=c.mc_draws, seed=c.seed + 1, reference=ref)
    # L* = risk of the block solution + its weight decay, 2 lam sum_k ||M_k*||_*
    Lstar = opt["total"]
    gap = (mc["diff_data"] + mc["ref_data"] + mc["penalty"] - Lstar) / Lstar
    cond = block_condition(X, labels, c.sigma, c.lam, seed=c.seed)  # independent of training
    trained = max(
        sharing_gain(block_residuals(X, labels, c.sigma, c.lam), w)["kappa"]
        for w in model.W1.detach().double().T
        if float(w.norm()) > 0
    )
    sep = separability(X, labels)
    shared = int((bp["rates"] > 0.5).sum(1).gt(1).sum())
    return {
        "K": K,
        "cosine": float(cosine),
        "bases": bases,
        "alpha": sep["alpha"],
        "beta": sep["beta"],
        "separable": sep["separable"],
        "purity": bp["purity"],
        "n_active": bp["n_active"],
        "shared_units": shared,
        "loss_mc": mc["loss"],
        "loss_mc_se": mc["se"],
        "optimum": Lstar,
        "gap_plain": (mc["loss"] - Lstar) / Lstar,
        "gap_plain_se": mc["se"] / Lstar,
        "gap": gap,
        "gap_se": mc["diff_se"] / Lstar,
        "below": gap < -c.z * mc["diff_se"] / Lstar,
        "kappa": cond["kappa"],
        "kappa_closed": cond["kappa_closed"],
        "gamma": cond["gamma"],
        "kappa_trained_units": trained,
        "realizable": cond["realizable"],
        "own_margin": cond["own_margin"],
        "other_margin": cond["other_margin"],
        "holds": cond["holds"],
        "pred_gap": -cond["saving"] / Lstar,
        "agrees": (gap >= -c.z * mc["diff_se"] / Lstar) and gap <= c.tol,
        "seconds": seconds,
    }


@experiment
def ch5_reach() -> dict:
    """The reach sweep over spread geometry x K x cosine of the means (one cell per setting).
    Returns ``{"rows": [reach_cell(...)], "seconds", and summaries for the scorecard}``."""
    c = CH5_REACH
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = [
            reach_cell(K, cos, bases)
            for bases in c.bases
            for K, cosines in c.cosines.items()
            for cos in cosines
        ]
    finally:
        torch.set_num_threads(threads)
    hold = [r for r in rows if r["holds"]]
    fail_real = [r for r in rows if r["realizable"] and not r["holds"]]
    separable_below = [r for r in rows if r["separable"] and r["below"]]
    antipodal = next(
        r for r in rows if r["K"] == 2 and r["cosine"] == -1.0 and r["bases"] == "random"
    )
    return {
        "rows": rows,
        "seconds": time.perf_counter() - t0,
        "n_hold": len(hold),
        "hold_agreement": sum(r["agrees"] for r in hold) / max(1, len(hold)),
        "n_refuted": len(fail_real),
        "refuted_below": sum(r["below"] for r in fail_real) / max(1, len(fail_real)),
        "n_separable_below": len(separable_below),
        "min_gap_separable": min(r["gap"] for r in rows if r["separable"]),
        "antipodal_gap": antipodal["gap"],
        "orthogonal_max_kappa": max(r["kappa"] for r in rows if r["bases"] == "orthogonal"),
        "closed_form_agreement": sum(
            (r["kappa_closed"] > 1) == (r["kappa"] > 1 + 1e-6) for r in rows
        )
        / len(rows),
        "n_fail": sum(not r["holds"] for r in rows),
        "fail_below": sum(r["below"] for r in rows if not r["holds"])
        / max(1, sum(not r["holds"] for r in rows)),
    }


def robustness_table(rob: dict) -> dict:
    """Matrices (sigma x optimizer) of purity, stability and loss gap, for the heatmap."""
    S, O = CH5_ROBUST.sigmas, CH5_ROBUST.optimizers
    get = {(r["sigma"], r["optimizer"]): r for r in rob["rows"]}
    return {
        key: np.array([[get[(s, o)][key] for o in O] for s in S])
        for key in ("purity", "stability", "loss_gap_rel", "completeness")
    } | {"sigmas": S, "optimizers": O}


__all__ = [
    "CH5",
    "OPTIMIZERS",
    "ch5_blocks",
    "ch5_data",
    "ch5_failure",
    "ch5_reach",
    "CH5_REACH",
    "reach_cell",
    "reach_data",
    "ch5_robustness",
    "ch5_separability",
    "measure",
    "robustness_table",
]
