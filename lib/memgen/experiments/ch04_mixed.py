"""Chapter 4's experiments (the mixed regime and the phase diagram), with their settings in one
place.

The chapter and the scorecard (:mod:`memgen.scorecard`, ids ``mixed.*``) call the same cached
functions, so the book build computes each once. Every function is seeded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ..fit_fast import fit_dae
from ..generalization import block_prediction
from ..memorization import alive_units, gains_along_samples
from ..metrics import auroc, roc_curve, tpr_at_fpr
from ..mixed import (
    denoising_risk,
    duplicate_gain,
    mixed_data,
    multiplicity_weights,
    predicted_stored,
    rare_block,
    rare_cluster_data,
    spikiness_scores,
    stored_cosine,
    threshold_multiplicity,
    unit_benefits,
)
from ..phase import boundary, phase_maps, train_grid
from ..stats import top1_share
from .cache import experiment


@dataclass(frozen=True)
class MixedSettings:
    """Chapter 4's mixed regime: a bulk mixture plus duplicated samples."""

    #: the bulk: a separable two-cluster mixture (antipodal means, rank-4 clusters) shifted by
    #: `offset`
    n_bulk: int = 200  # distinct bulk samples
    K: int = 2  # bulk clusters
    d: int = 32  # dimension
    rank: int = 4  # rank of each bulk cluster
    spread: float = 1.0  # within-cluster spread
    separation: float = 3.0  # norm of the cluster means
    offset: float = 2.0  # shift of the whole bulk
    tilt: float = 0.35  # duplicated points: negative inner product with every bulk point
    dup_sq_norms: tuple = (
        5.0,
        6.0,
        7.0,
        8.0,
        9.0,
        10.0,
        11.0,
        12.0,
    )  # squared norms ||x||^2 of the duplicated points
    sigma: float = 0.2  # training noise level
    lam: float = 0.15  # weight decay
    p: int = 40  # width
    steps: int = 2000  # training steps (fit_dae)
    seeds: tuple = (0, 1, 2)  # initialisations of the multiplicity sweep
    ms: tuple = tuple(range(1, 13))  # the multiplicity sweep, trained at once
    stored_gain: float = 0.05  # a duplicated sample counts as stored if its gain exceeds this
    stored_cosine: float = 0.95  # a decoder column this close stores a sample
    detect_m: int = 12  # the detector runs on the sweep's models at this multiplicity
    draws: int = 8  # noisy copies per sample for the spikiness scores
    n_show: int = 12  # distinct samples shown in the representation figure
    fpr: float = 0.01  # false positive rate of the TPR
    #: competition for units: the same data at multiplicity detect_m, narrower networks
    competition_ps: tuple = (
        4,
        6,
        8,
        10,
        12,
        14,
        16,
        20,
    )  # widths of the competition-for-units sweep
    competition_seeds: tuple = (0, 1)  # its initialisations
    seed: int = 0  # data and noise draws

    def replace(self, **changes) -> "MixedSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


MIXED = MixedSettings()


@dataclass(frozen=True)
class PhaseSettings:
    """Chapter 4's phase diagram over (n, p)."""

    #: one dataset: 16 random unit vectors in R^32 (nearly orthogonal), nested subsets
    d: int = 32  # dimension of the random unit vectors
    n_points: int = 16  # the pool of nested subsets
    ns: tuple = tuple(range(2, 17, 2))  # training-set sizes
    ps: tuple = tuple(range(2, 17, 2))  # widths
    seeds: tuple = (0, 1, 2)  # initialisations per cell
    sigma: float = 0.5  # training noise level
    lam: float = 1e-3  # weight decay
    steps: int = 1500  # training steps per model
    level: float = 0.5  # the boundary: memorized fraction crosses this
    seed: int = 0  # the random unit vectors

    def replace(self, **changes) -> "PhaseSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


PHASE = PhaseSettings()


def mixed_dataset():
    c = MIXED
    return mixed_data(
        c.n_bulk,
        dup_sq_norms=list(c.dup_sq_norms),
        K=c.K,
        d=c.d,
        rank=c.rank,
        spread=c.spread,
        separation=c.separation,
        offset=c.offset,
        tilt=c.tilt,
        seed=c.seed,
    )


@experiment
def ch4_multiplicity_sweep() -> dict:
    """One batched fit over multiplicities m and seeds (m enters as a sample weight); per m the
    trained
    gains of the duplicated samples against the per-cluster prediction, and the measured onset of
    storage against the threshold multiplicity m*."""
    c = MIXED
    data = mixed_dataset()
    X, is_dup = data.x, data.extra["is_duplicated"]
    Xd = X[is_dup]
    sq = Xd.norm(dim=1) ** 2
    D, nb = int(is_dup.sum()), c.n_bulk
    runs = [(m, s) for m in c.ms for s in c.seeds]
    W = torch.stack([multiplicity_weights(is_dup, m) for m, _ in runs])
    res = fit_dae(
        X, c.p, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=[s for _, s in runs], sample_weight=W
    )
    tail = res.losses[-50:].mean(0)
    rows = []
    for b, (m, s) in enumerate(runs):
        model = res.models[b]
        n_rows = nb + D * m
        gains = gains_along_samples(model, Xd)
        theory = torch.stack([duplicate_gain(q, m, n_rows, c.sigma, c.lam) for q in sq.double()])
        rows.append(
            {
                "m": m,
                "seed": s,
                "n_rows": n_rows,
                "gains": gains,
                "theory": theory.float(),
                "stored": gains > c.stored_gain,
                "cosine": stored_cosine(model.W2, Xd),
                "loss": tail[b],
            }
        )
    m_star = threshold_multiplicity(sq, nb, D, c.lam)
    ms = list(c.ms)
    stored_frac = torch.stack(
        [torch.stack([r["stored"] for r in rows if r["m"] == m]).float().mean(0) for m in ms]
    )
    # smallest m from which a majority of seeds store the sample at every larger m of the sweep
    onset = []
    for j in range(D):
        ok = (stored_frac[:, j] > 0.5).tolist()
        first = next((i for i in range(len(ms)) if all(ok[i:])), None)
        onset.append(float(ms[first]) if first is not None else float("nan"))
    predicted_onset = torch.floor(m_star) + 1  # the smallest integer m > m*
    # agreement of the stored/not-stored call with m > m*, over every (m, seed, sample)
    agree = torch.stack([(r["stored"] == (r["m"] > m_star)) for r in rows]).float().mean()
    stored_cos = torch.cat([r["cosine"][r["stored"]] for r in rows])
    gain_err = torch.cat([(r["gains"] - r["theory"]).abs()[r["stored"]] for r in rows])
    return {
        "data": data,
        "X": X,
        "is_dup": is_dup,
        "sq": sq,
        "rows": rows,
        "models": res.models,
        "runs": runs,
        "m_star": m_star,
        "onset": torch.tensor(onset),
        "predicted_onset": predicted_onset,
        "stored_frac": stored_frac,
        "agree": float(agree),
        "stored_cos_min": float(stored_cos.min()),
        "n_stored": int(len(stored_cos)),
        "gain_abs_err_max": float(gain_err.max()),
        "seconds": res.seconds,
        "n_models": len(runs),
    }


@experiment
def ch4_detector() -> dict:
    """Spikiness of h as a detector: at multiplicity detect_m, the sweep's lowest-loss model scores
    every
    distinct training row by the std and the top-1 share of h on noisy copies; AUROC, TPR at 1% FPR,
    the stored columns, and the bulk's block against the per-cluster prediction."""
    c = MIXED
    sw = ch4_multiplicity_sweep()
    m = c.detect_m
    cand = [b for b, (mm, _) in enumerate(sw["runs"]) if mm == m]
    b = min(cand, key=lambda i: sw["rows"][i]["loss"])
    model, X, is_dup = sw["models"][b], sw["X"], sw["is_dup"]
    sc = spikiness_scores(model, X, c.sigma, draws=c.draws, seed=c.seed)
    out = {"model": model, "m": m, "seed": sw["runs"][b][1], "scores": sc}
    for key in ("std", "top1"):
        pos, neg = sc[key][is_dup], sc[key][~is_dup]
        out[f"auroc_{key}"] = auroc(pos, neg)
        out[f"tpr_{key}"] = tpr_at_fpr(pos, neg, c.fpr)
        out[f"roc_{key}"] = roc_curve(pos, neg)
    out["top1_dup"] = float(sc["top1"][is_dup].mean())
    out["top1_bulk"] = float(sc["top1"][~is_dup].mean())
    out["cos_dup"] = stored_cosine(model.W2, X[is_dup])
    out["cos_bulk"] = stored_cosine(model.W2, X[~is_dup])
    # the bulk's block: units that store no duplicated sample, against the per-cluster prediction
    nb, D = c.n_bulk, int(is_dup.sum())
    n_rows = nb + D * m
    W1, W2 = model.W1.detach(), model.W2.detach()
    norm = W2.norm(dim=0)
    cos_units = (W2 / norm.clamp_min(1e-12)).T @ (X[is_dup] / X[is_dup].norm(dim=1, keepdim=True)).T
    dup_units = cos_units.max(dim=1).values >= c.stored_cosine
    bulk_units = ~dup_units & (norm > 1e-2 * norm.max())
    M_bulk = (W2[:, bulk_units] @ W1[:, bulk_units].T).double()
    theory = block_prediction(X[~is_dup], sw["data"].labels[~is_dup], c.sigma, c.lam * n_rows / nb)
    out["bulk_rel_err"] = float((M_bulk - theory["M"]).norm() / theory["M"].norm())
    out["n_dup_units"], out["n_bulk_units"] = int(dup_units.sum()), int(bulk_units.sum())
    g = torch.Generator().manual_seed(c.seed + 1)
    show = torch.cat(
        [
            torch.nonzero(~is_dup).flatten()[torch.randperm(nb, generator=g)[: c.n_show]],
            torch.nonzero(is_dup).flatten(),
        ]
    )
    Y = X[show] + c.sigma * torch.randn(len(show), X.shape[1], generator=g)
    with torch.no_grad():
        out["h_show"] = model.representation(Y)
    out["show_is_dup"] = is_dup[show]
    return out


@experiment
def ch4_bulk_alone() -> dict:
    """The bulk's real minimiser, for the comparison of ch4_detector's bulk block: the bulk trained
    alone (width p, every seed of the sweep, the lowest loss kept) with the weight decay
    lam * n_rows / n_bulk of the mixed set at multiplicity detect_m (the same per-cluster
    thresholds, so the bulk's share of the mixed loss is n_bulk / n_rows times this loss), its loss
    against the per-cluster optimum L*, its map against the mixed network's bulk map, and chapter
    5's sufficient condition on the bulk (memgen.theorem.block_condition)."""
    from ..theorem import block_condition, mc_loss, per_cluster_optimum

    c = MIXED
    sw = ch4_multiplicity_sweep()
    det = ch4_detector()
    X, is_dup = sw["X"], sw["is_dup"]
    labels = sw["data"].labels[~is_dup]
    Xb = X[~is_dup]
    n_rows = c.n_bulk + int(is_dup.sum()) * c.detect_m
    lam_b = c.lam * n_rows / c.n_bulk
    res = fit_dae(Xb, c.p, sigma=c.sigma, lam=lam_b, steps=c.steps, seed=list(c.seeds))
    tail = res.losses[-50:].mean(0)
    model = res.models[int(np.argmin(tail))]
    mc = mc_loss(model, Xb, c.sigma, lam_b, draws=400, seed=c.seed + 1)
    opt = per_cluster_optimum(Xb, labels, c.sigma, lam_b)["total"]
    M_alone = (model.W2 @ model.W1.T).detach().double()
    theory = block_prediction(Xb, labels, c.sigma, lam_b)["M"]
    model_mixed = det["model"]
    W1, W2 = model_mixed.W1.detach(), model_mixed.W2.detach()
    norm = W2.norm(dim=0)
    Xd = X[is_dup] / X[is_dup].norm(dim=1, keepdim=True)
    dup_units = ((W2 / norm.clamp_min(1e-12)).T @ Xd.T).max(dim=1).values >= c.stored_cosine
    bulk_units = ~dup_units & (norm > 1e-2 * norm.max())
    M_bulk = (W2[:, bulk_units] @ W1[:, bulk_units].T).double()
    cond = block_condition(Xb, labels, c.sigma, lam_b, seed=c.seed)
    return {
        "lam": lam_b,
        "loss": mc["loss"],
        "loss_se": mc["se"],
        "optimum": opt,
        "gap": (mc["loss"] - opt) / opt,
        "gap_se": mc["se"] / opt,
        "alone_vs_theory": float((M_alone - theory).norm() / theory.norm()),
        "mixed_vs_alone": float((M_bulk - M_alone).norm() / M_alone.norm()),
        "mixed_vs_theory": float((M_bulk - theory).norm() / theory.norm()),
        "realizable": cond["realizable"],
        "own_margin": cond["own_margin"],
        "kappa": cond["kappa"],
        "holds": cond["holds"],
    }


@experiment
def ch4_competition() -> dict:
    """Narrow networks at multiplicity detect_m (one batched fit over widths, via unit masks): how
    many
    duplicated samples are stored, against the per-cluster solution keeping the p most beneficial
    directions."""
    c = MIXED
    data = mixed_dataset()
    X, is_dup = data.x, data.extra["is_duplicated"]
    m = c.detect_m
    runs = [(p, s) for p in c.competition_ps for s in c.competition_seeds]
    res = fit_dae(
        X,
        max(c.competition_ps),
        sigma=c.sigma,
        lam=c.lam,
        steps=c.steps,
        seed=[s for _, s in runs],
        sample_weight=multiplicity_weights(is_dup, m),
        units=[p for p, _ in runs],
    )
    ben = unit_benefits(
        X[~is_dup], data.labels[~is_dup], (X[is_dup].norm(dim=1) ** 2), m, c.sigma, c.lam
    )
    rows = []
    for (p, s), model in zip(runs, res.models):
        stored = gains_along_samples(model, X[is_dup]) > c.stored_gain
        rows.append({"p": p, "seed": s, "stored": stored, "n_stored": int(stored.sum())})
    ps = list(c.competition_ps)
    measured = np.array([np.mean([r["n_stored"] for r in rows if r["p"] == p]) for p in ps])
    predicted = np.array([len(predicted_stored(ben, p)) for p in ps])
    return {
        "ps": ps,
        "rows": rows,
        "measured": measured,
        "predicted": predicted,
        "benefits": ben,
        "n_dup": int(is_dup.sum()),
        "seconds": res.seconds,
    }


def phase_points() -> torch.Tensor:
    """The phase diagram's dataset: ``n_points`` random unit vectors in R^d (seeded)."""
    c = PHASE
    X = torch.randn(c.n_points, c.d, generator=torch.Generator().manual_seed(c.seed))
    return X / X.norm(dim=1, keepdim=True)


@experiment
def phase_diagram() -> dict:
    """The (n, p) grid, all seeds, trained as one batched computation; the memorized-fraction and
    spikiness maps and the boundary where the memorized fraction crosses ``level``."""
    c = PHASE
    X = phase_points()
    grid = train_grid(X, c.ns, c.ps, c.seeds, sigma=c.sigma, lam=c.lam, steps=c.steps)
    maps = phase_maps(grid, X, c.sigma)
    ns, ps = np.array(c.ns), np.array(c.ps)
    frac = maps["frac"]
    over = ps[None, :] >= ns[:, None]
    under = ps[None, :] * 4 <= ns[:, None]
    cos = np.abs(np.triu((X @ X.T).numpy(), 1))
    return {
        "X": X,
        "maps": maps,
        "boundary": boundary(frac, c.ns, c.ps, level=c.level),
        "frac_over_min": float(frac[over].min()),
        "frac_over_mean": float(frac[over].mean()),
        "frac_under_max": float(frac[under].max()),
        "seconds": grid["seconds"],
        "n_models": len(grid["cells"]),
        "max_abs_cos": float(cos.max()),
        "mean_abs_cos": float(cos[np.triu_indices(len(cos), 1)].mean()),
    }


@dataclass(frozen=True)
class RareSettings:
    """Chapter 4's rare cluster: a large cluster and a rare one of n_k points (data imbalance)."""

    n_bulk: int = 200  # points of the large cluster
    n_pool: int = 64  # the rare cluster's pool: train on the first n_k, test on the last n_test
    n_test: int = 32  # held-out rare points
    d: int = 32  # dimension
    bulk_rank: int = 4  # rank of the large cluster's covariance
    rare_rank: int = 8  # rank of the rare cluster's covariance
    norm: float = 5.0  # norm of both means (antipodal)
    spread: float = 1.0  # within-cluster spread of both
    n_ks: tuple = (1, 2, 3, 4, 6, 8, 12, 16, 32)  # sizes of the rare cluster, trained at once
    lams: tuple = (0.002, 0.3)  # a weight decay that keeps every sample, one that kills some
    sigma: float = 0.2  # training noise level
    p: int = 24  # width
    steps: int = 8000  # training steps (fit_dae): the small lambda prunes leftovers slowly
    dead_gain: float = 0.05  # a learned direction counts below this singular value as dead
    draws: int = 128  # noise draws per point for the measured denoising errors
    seed: int = 0  # data, initialisation and noise

    def replace(self, **changes) -> "RareSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


RARE = RareSettings()


def rare_dataset():
    c = RARE
    return rare_cluster_data(
        c.n_bulk,
        c.n_pool,
        d=c.d,
        bulk_rank=c.bulk_rank,
        rare_rank=c.rare_rank,
        bulk_norm=c.norm,
        rare_norm=c.norm,
        bulk_spread=c.spread,
        rare_spread=c.spread,
        seed=c.seed,
    )


def _mse(model, X, sigma, draws, g) -> float:
    """Monte Carlo E ||f(x + sigma eps) - x||^2, averaged over the rows of X."""
    Y = X.unsqueeze(0) + sigma * torch.randn(draws, *X.shape, generator=g)
    with torch.no_grad():
        out = model(Y.reshape(-1, X.shape[1])).reshape(Y.shape)
    return float((out - X).pow(2).sum(-1).mean())


@experiment
def ch4_rare_cluster() -> dict:
    """A rare cluster of n_k points next to a large one, for every n_k of RARE.n_ks and both
    weight decays of RARE.lams (one batched fit, the rare points selected by sample weights). Per
    case: the predicted block of the rare cluster (:func:`memgen.mixed.rare_block`: its rank, the
    number of directions with n_k s_j > n lam) against the trained one (singular values of the
    rare units' W2 W1^T above RARE.dead_gain), the share of the trained block inside the span of
    the n_k training points, the denoising error on the training points and on held-out points of
    the rare cluster (trained, by Monte Carlo, against the block's closed form), and the top-1
    share of h on noisy training points."""
    c = RARE
    data = rare_dataset()
    X, nb = data.x, c.n_bulk
    pool = X[nb:]
    test = pool[-c.n_test :]
    runs = [(lam, n_k) for lam in c.lams for n_k in c.n_ks]
    W = torch.zeros(len(runs), len(X))
    W[:, :nb] = 1.0
    for b, (_, n_k) in enumerate(runs):
        W[b, nb : nb + n_k] = 1.0
    res = fit_dae(
        X,
        c.p,
        sigma=c.sigma,
        lam=[lam for lam, _ in runs],
        steps=c.steps,
        seed=c.seed,
        sample_weight=W,
    )
    g = torch.Generator().manual_seed(c.seed + 1)
    rows = []
    for (lam, n_k), model in zip(runs, res.models):
        train = pool[:n_k]
        theory = rare_block(train, nb + n_k, c.sigma, lam)
        with torch.no_grad():
            active = (train @ model.W1 > 0).float().mean(0) > 0.5
        units = alive_units(model.W1) & active
        M = (model.W2[:, units] @ model.W1[:, units].T).detach().double()
        learned = torch.linalg.svdvals(M)
        Ub = torch.linalg.svd(train.double().T, full_matrices=False)[0]
        Ub = Ub[:, : min(n_k, c.d)]
        span = float((Ub.T @ M).pow(2).sum() / M.pow(2).sum()) if units.any() else float("nan")
        Yt = train.repeat(8, 1) + c.sigma * torch.randn(8 * n_k, c.d, generator=g)
        with torch.no_grad():
            h = model.representation(Yt)[:, units]
        rows.append(
            {
                "lam": lam,
                "n_k": n_k,
                "tau": theory["tau"],
                "s": theory["s"][: c.rare_rank + 1],
                "m": theory["m"][: c.rare_rank + 1],
                "learned": learned[: c.rare_rank + 1],
                "rank_predicted": theory["rank"],
                "rank_measured": int((learned > c.dead_gain).sum()),
                "units": int(units.sum()),
                "span_fraction": span,
                "mse_train": _mse(model, train, c.sigma, c.draws, g),
                "mse_test": _mse(model, test, c.sigma, c.draws, g),
                "mse_train_predicted": denoising_risk(
                    theory["M"], train.double().T @ train.double() / n_k, c.sigma
                ),
                "mse_test_predicted": denoising_risk(
                    theory["M"], test.double().T @ test.double() / len(test), c.sigma
                ),
                "top1": float(top1_share(h).mean()) if units.any() else float("nan"),
            }
        )
    agree = [r["rank_predicted"] == r["rank_measured"] for r in rows]
    for r in rows:
        r["mse_rel_err"] = max(
            abs(r[k] - r[k + "_predicted"]) / r[k + "_predicted"] for k in ("mse_train", "mse_test")
        )
        r["gap"] = r["mse_test"] / r["mse_train"]
        r["gap_predicted"] = r["mse_test_predicted"] / r["mse_train_predicted"]
    stores = [r for r in rows if 0 < r["rank_predicted"] and r["n_k"] <= c.rare_rank]
    big = max(c.lams)
    return {
        "data": data,
        "rows": rows,
        "rank_agreement": float(sum(agree) / len(agree)),
        "n_agree": int(sum(agree)),
        "mse_rel_err_max": float(max(r["mse_rel_err"] for r in rows)),
        "mse_rel_err_big_lam": float(max(r["mse_rel_err"] for r in rows if r["lam"] == big)),
        "span_fraction_min": float(min(r["span_fraction"] for r in stores)),
        "n_cases": len(rows),
        "seconds": res.seconds,
    }
