"""The mixed regime (chapter 4): duplicated samples among many distinct ones, and spikiness as a
detector.

A duplicated sample that appears ``m`` times among ``n`` training rows is, for the per-cluster
solution
of chapter 3, a cluster of ``n_k = m`` identical points: its second moment is ``x x^T`` and its
unit's
gain along ``x`` is ``(||x||^2 - n lam / m) / (||x||^2 + sigma^2)``. It is stored only when
``m ||x||^2 > n lam``. With ``D`` duplicated samples, all of multiplicity ``m``, among ``n_bulk``
distinct ones, ``n = n_bulk + D m`` grows with ``m`` too, and the threshold is
``m > m* = n_bulk lam / (||x||^2 - D lam)`` (:func:`threshold_multiplicity`).

Data (:func:`mixed_data`): a separable Gaussian mixture (the bulk, which a narrow network
generalizes
over) and ``D`` points orthogonal to every bulk point and to each other (so a ReLU unit can serve
one
of them alone). Multiplicities enter training as sample weights (:func:`multiplicity_weights`): the
loss of ``m`` identical rows is the loss of one row with weight ``m``.

Detection: :func:`spikiness_scores` (std and top-1 share of ``h`` on noisy copies of each sample),
:func:`auroc`, :func:`roc_curve` and :func:`tpr_at_fpr`, and :func:`stored_cosine` (the best cosine
between a sample and a column of the trained network).
"""

from __future__ import annotations

import math

import torch

from ._checks import check_float, check_int, check_tensor, make_generator
from .data import ImageData, gaussian_mixture
from .linear import memorization_gain
from .memorization import alive_units
from .stats import top1_share, unit_std


def mixed_data(
    n_bulk,
    *,
    dup_sq_norms,
    K=2,
    d=32,
    rank=4,
    spread=1.0,
    separation=3.0,
    offset=2.0,
    tilt=0.3,
    seed=0,
) -> ImageData:
    """``n_bulk`` samples of a separable Gaussian mixture (the bulk) followed by ``D =
    len(dup_sq_norms)``
    points to duplicate, each distinct row once.

    The bulk is ``gaussian_mixture(n_bulk, K=K, d=d, rank=rank, spread=spread,
    separation=separation,
    means="simplex", seed=seed)`` shifted by ``offset * c``, with c a unit vector orthogonal to the
    mixture's means and cluster bases (points of different clusters stay negatively correlated while
    ``offset < separation``). Duplicated point j is ``sqrt(dup_sq_norms[j])`` times the unit vector
    of
    ``-tilt * c + e_j``, where the e_j are unit vectors orthogonal to c and to the mixture, with
    pairwise inner products -1/(D-1). So every duplicated point has a negative inner product with
    every bulk point (a margin of ``offset * tilt / sqrt(1 + tilt^2)`` times its norm, which keeps
    the
    ReLU masks stable under small noise), and two duplicated points have a non-positive inner
    product
    as long as ``tilt^2 <= 1 / (D - 1)``. Needs ``D + 1 <= d - (K - 1) - K * rank``.

    ``labels``: the bulk's cluster, and ``K + j`` for duplicated point j. ``extra``:
    ``is_duplicated``
    (rows,) bool, ``means``, ``bases`` (of the mixture before the shift), ``n_bulk``, ``c``.
    """
    n_bulk = check_int("n_bulk", n_bulk, 1)
    sq = check_tensor("dup_sq_norms", dup_sq_norms, ndim=1).double()
    if len(sq) < 1 or bool((sq <= 0).any()):
        raise ValueError("dup_sq_norms must hold at least one number, all > 0")
    offset = check_float("offset", offset, 0.0)
    D = len(sq)
    tilt = check_float("tilt", tilt, 0.0, 1.0 / math.sqrt(D - 1) if D > 1 else None)
    bulk = gaussian_mixture(
        n_bulk,
        K=K,
        d=d,
        rank=rank,
        spread=spread,
        separation=separation,
        means="simplex",
        seed=seed,
    )
    span = torch.cat(
        [bulk.extra["means"].T, bulk.extra["bases"].permute(1, 0, 2).reshape(d, -1)], dim=1
    ).double()
    U, S, _ = torch.linalg.svd(span, full_matrices=True)
    r = int((S > 1e-6 * S.max()).sum())
    if D + 1 > d - r:
        raise ValueError(
            f"dup_sq_norms must have at most {d - r - 1} entries (the complement of the bulk's "
            "span "
            f"has dimension {d - r}, one of which holds the offset), got {D}"
        )
    g = make_generator(seed + 1)
    comp = U[:, r:]  # (d, d - r) orthonormal basis of the complement
    Q, R = torch.linalg.qr(torch.randn(d - r, D + 1, generator=g, dtype=torch.float64))
    frame = comp @ (
        Q * torch.sign(torch.diagonal(R))
    )  # (d, D + 1) orthonormal, orthogonal to the mixture
    c, E = frame[:, 0], frame[:, 1:]
    if D > 1:  # centre the frame: pairwise inner products -1/(D-1), unit norm
        E = E - E.mean(dim=1, keepdim=True)
        E = E / E.norm(dim=0, keepdim=True)
    dirs = (E - tilt * c[:, None]) / math.sqrt(1 + tilt**2)
    dups = (dirs * sq.sqrt()).T.float()
    x = torch.cat([bulk.x + offset * c.float(), dups])
    labels = torch.cat([bulk.labels, K + torch.arange(D)])
    is_dup = torch.zeros(len(x), dtype=torch.bool)
    is_dup[n_bulk:] = True
    return ImageData(
        x=x.contiguous(),
        labels=labels,
        image_shape=None,
        value_range=(float(x.min()), float(x.max())),
        name="mixed",
        extra={
            "is_duplicated": is_dup,
            "means": bulk.extra["means"],
            "bases": bulk.extra["bases"],
            "n_bulk": n_bulk,
            "c": c.float(),
        },
    )


def multiplicity_weights(is_duplicated, m) -> torch.Tensor:
    """Row weights: ``m`` for duplicated rows, 1 for the others (the loss of m copies of a row)."""
    is_dup = torch.as_tensor(is_duplicated, dtype=torch.bool)
    m = check_int("m", m, 1)
    return torch.where(is_dup, float(m), 1.0)


def duplicate_gain(sq_norm, m, n_rows, sigma, lam) -> torch.Tensor:
    """Gain of the unit storing a sample of multiplicity ``m`` among ``n_rows`` training rows:
    ``max(0, (||x||^2 - n_rows lam / m) / (||x||^2 + sigma^2))`` (the per-cluster solution with n_k
    = m)."""
    m = check_int("m", m, 1)
    n_rows = check_int("n_rows", n_rows, m)
    lam = check_float("lam", lam, 0.0)
    return memorization_gain(sq_norm, n_rows, sigma, lam / m)


def threshold_multiplicity(sq_norm, n_bulk, n_dup, lam) -> torch.Tensor:
    """The multiplicity above which a duplicated sample is stored: ``m* = n_bulk lam / (||x||^2 -
    n_dup lam)``.

    All ``n_dup`` duplicated samples have multiplicity m among ``n = n_bulk + n_dup m`` rows; the
    sample is stored iff ``m ||x||^2 > n lam``, i.e. ``m > m*``. Infinite where
    ``||x||^2 <= n_dup lam`` (never stored, however often it is repeated)."""
    sq = check_tensor("sq_norm", sq_norm, dtype=torch.float64)
    n_bulk = check_int("n_bulk", n_bulk, 0)
    n_dup = check_int("n_dup", n_dup, 1)
    lam = check_float("lam", lam, 0.0)
    denom = sq - n_dup * lam
    return torch.where(
        denom > 0,
        n_bulk * lam / torch.where(denom > 0, denom, torch.ones_like(denom)),
        torch.full_like(sq, math.inf),
    )


# ---------------------------------------------------------------- reading the trained network


def stored_cosine(W, X, *, alive_tol=1e-2) -> torch.Tensor:
    """For each row of ``X`` (n, d): the largest cosine with an alive column of ``W`` (d, p) (column
    norm above ``alive_tol`` times the largest); -1 if no column is alive."""
    W = check_tensor("W", W, ndim=2).detach()
    X = check_tensor("X", X, ndim=2, last_dim=W.shape[0])
    norm = W.norm(dim=0)
    alive = alive_units(W, tol=alive_tol)
    if not bool(alive.any()):
        return torch.full((X.shape[0],), -1.0)
    cos = (X / X.norm(dim=1, keepdim=True).clamp_min(1e-12)) @ (W[:, alive] / norm[alive])
    return cos.max(dim=1).values


def spikiness_scores(model, X, sigma, *, draws=8, seed=0) -> dict:
    """Representation statistics of each training sample, averaged over ``draws`` noisy copies
    ``x_i + sigma eps``: ``std`` (the paper's detector, :func:`memgen.stats.unit_std`) and ``top1``
    (:func:`memgen.stats.top1_share`), each (n,)."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d)
    sigma = check_float("sigma", sigma, 0.0)
    draws = check_int("draws", draws, 1)
    g = make_generator(seed)
    Y = X.unsqueeze(0) + sigma * torch.randn(draws, *X.shape, generator=g)
    with torch.no_grad():
        h = model.representation(Y.reshape(-1, X.shape[1])).reshape(draws, X.shape[0], -1)
    return {"std": unit_std(h).mean(0), "top1": top1_share(h).mean(0)}


# ---------------------------------------------------------------- competition for a limited number
# of units


def unit_benefits(X_bulk, labels_bulk, dup_sq_norms, m, sigma, lam) -> dict:
    """How much each rank-one direction of the per-cluster solution lowers the loss, to rank them
    when
    units are scarce.

    A direction with eigenvalue s in a cluster of weight w = n_k / n (n = n_bulk + D m rows) enters
    the
    per-cluster problem as w [s (1 - g)^2 + sigma^2 g^2] + 2 lam g; at the optimal gain it lowers
    the
    loss by ``w (s - lam / w)_+^2 / (s + sigma^2)``. Candidates: the eigenvalues of each bulk
    cluster's
    uncentred second moment, and one direction per duplicated sample (s = ||x||^2, w = m / n).
    Returns ``{"benefit": (c,) float64 sorted descending, "is_dup": (c,) bool, "dup_index": (c,)
    long
    (-1 for bulk directions)}``. With p units and one unit per direction, the per-cluster solution
    keeps the p largest: :func:`predicted_stored`.
    """
    X_bulk = check_tensor("X_bulk", X_bulk, ndim=2, dtype=torch.float64)
    labels_bulk = torch.as_tensor(labels_bulk)
    sq = check_tensor("dup_sq_norms", dup_sq_norms, ndim=1, dtype=torch.float64)
    m = check_int("m", m, 1)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    n = X_bulk.shape[0] + len(sq) * m
    ben, is_dup, idx = [], [], []
    for k in torch.unique(labels_bulk).tolist():
        Xk = X_bulk[labels_bulk == k]
        s = torch.linalg.eigvalsh(Xk.T @ Xk / len(Xk)).clamp_min(0)
        w = len(Xk) / n
        ben.append(w * (s - lam / w).clamp_min(0) ** 2 / (s + sigma**2))
        is_dup.append(torch.zeros(len(s), dtype=torch.bool))
        idx.append(torch.full((len(s),), -1))
    w = m / n
    ben.append(w * (sq - lam / w).clamp_min(0) ** 2 / (sq + sigma**2))
    is_dup.append(torch.ones(len(sq), dtype=torch.bool))
    idx.append(torch.arange(len(sq)))
    ben, is_dup, idx = torch.cat(ben), torch.cat(is_dup), torch.cat(idx)
    order = torch.argsort(ben, descending=True)
    return {"benefit": ben[order], "is_dup": is_dup[order], "dup_index": idx[order]}


def predicted_stored(benefits: dict, p) -> torch.Tensor:
    """Indices of the duplicated samples among the ``p`` most beneficial directions with a positive
    benefit (the per-cluster solution with one unit per direction and p units)."""
    p = check_int("p", p, 0)
    keep = benefits["benefit"][:p] > 0
    chosen = benefits["dup_index"][:p][keep & benefits["is_dup"][:p]]
    return torch.sort(chosen).values


# ---------------------------------------------------------------- a rare cluster (data imbalance)


def rare_cluster_data(
    n_bulk,
    n_pool,
    *,
    d=32,
    bulk_rank=4,
    rare_rank=8,
    bulk_norm=5.0,
    rare_norm=5.0,
    bulk_spread=1.0,
    rare_spread=1.0,
    seed=0,
) -> ImageData:
    """A large cluster (the bulk) and a pool of points of a rare one, with antipodal means.

    Bulk point: ``-bulk_norm * e + bulk_spread * B z`` (z standard normal in R^bulk_rank); rare
    point: ``rare_norm * e + rare_spread * R z`` (z in R^rare_rank), with e, the columns of B and
    those of R orthonormal (a random frame of R^d). Points of different clusters then have inner
    product ``-bulk_norm * rare_norm`` exactly: a ReLU unit can serve one cluster and stay silent on
    the other. The first ``n_pool`` rows after the bulk are the rare pool; a model trains on the
    first n_k of them (sample weights) and is tested on the others. ``labels``: 0 bulk, 1 rare.
    ``extra``: ``e``, ``B``, ``R``, ``n_bulk``, ``n_pool``, ``rare_second_moment`` (d, d): the
    population second moment rare_norm^2 e e^T + rare_spread^2 R R^T of the rare cluster."""
    n_bulk = check_int("n_bulk", n_bulk, 1)
    n_pool = check_int("n_pool", n_pool, 1)
    d = check_int("d", d, 3)
    bulk_rank = check_int("bulk_rank", bulk_rank, 1)
    rare_rank = check_int("rare_rank", rare_rank, 1, d - 1 - bulk_rank)
    g = make_generator(seed)
    Q, Rr = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    Q = Q * torch.sign(torch.diagonal(Rr))
    e, B, R = Q[:, 0], Q[:, 1 : 1 + bulk_rank], Q[:, 1 + bulk_rank : 1 + bulk_rank + rare_rank]
    bulk = -bulk_norm * e + bulk_spread * torch.randn(n_bulk, bulk_rank, generator=g).double() @ B.T
    rare = rare_norm * e + rare_spread * torch.randn(n_pool, rare_rank, generator=g).double() @ R.T
    x = torch.cat([bulk, rare]).float()
    labels = torch.cat([torch.zeros(n_bulk), torch.ones(n_pool)]).long()
    second = rare_norm**2 * torch.outer(e, e) + rare_spread**2 * R @ R.T
    return ImageData(
        x=x.contiguous(),
        labels=labels,
        image_shape=None,
        value_range=(float(x.min()), float(x.max())),
        name="rare-cluster",
        extra={
            "e": e.float(),
            "B": B.float(),
            "R": R.float(),
            "n_bulk": n_bulk,
            "n_pool": n_pool,
            "rare_second_moment": second,
        },
    )


def rare_block(X_rare, n_rows, sigma, lam) -> dict:
    """The per-cluster solution for a rare cluster of ``n_k = len(X_rare)`` points among ``n_rows``
    training rows: its block ``M`` (d, d, float64), the spectrum ``s`` of S_k, the gains ``m`` with
    threshold ``tau = n_rows lam / n_k``, and ``rank = #{j: n_k s_j > n_rows lam}``, the number of
    directions that survive (0: the cluster dies; at most n_k, since S_k has rank <= n_k)."""
    X_rare = check_tensor("X_rare", X_rare, ndim=2).double()
    n_k = X_rare.shape[0]
    n_rows = check_int("n_rows", n_rows, n_k)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    tau = n_rows * lam / n_k
    s, U = torch.linalg.eigh(X_rare.T @ X_rare / n_k)
    s, U = s.flip(0).clamp_min(0), U.flip(1)
    m = (s - tau).clamp_min(0) / (s + sigma**2)
    return {
        "M": (U * m) @ U.T,
        "s": s,
        "m": m,
        "tau": tau,
        "rank": int((m > 0).sum()),
    }


def denoising_risk(M, second_moment, sigma) -> float:
    """``E ||M (x + sigma eps) - x||^2`` for x with second moment ``second_moment`` (d, d):
    ``tr((M - I) S (M - I)^T) + sigma^2 ||M||_F^2`` (the risk identity, averaged over x)."""
    M = check_tensor("M", M, ndim=2).double()
    S = check_tensor("second_moment", second_moment, ndim=2).double()
    A = M - torch.eye(M.shape[0], dtype=M.dtype)
    return float(torch.trace(A @ S @ A.T) + sigma**2 * M.pow(2).sum())
