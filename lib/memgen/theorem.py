"""The block-structure theorem (chapter 5): separability, mask stability, block purity, the loss
split.

Notation: data rows ``X`` (n, d) with cluster ``labels`` (n,) in 0..K-1, the DAE
f(y) = W2 [W1^T y]_+ with columns w1_j, w2_j (unit j), noise y = x + sigma eps, eps ~ N(0, I_d),
and the loss of :mod:`memgen.train_mc`,

    L = (1/n) sum_i E ||f(x_i + sigma eps) - x_i||^2 + lam (||W1||_F^2 + ||W2||_F^2).

- (alpha, beta)-separability (:func:`separability`): cos(x_i, x_j) >= alpha within a cluster and
  cos(x_i, x_j) <= -beta across clusters. The block solution needs beta >= 0 (non-positively
  correlated clusters).
- Mask stability: unit j flips on x + sigma eps exactly when sigma w1_j^T eps crosses -w1_j^T x,
  and w1_j^T eps ~ N(0, ||w1_j||^2), so P(flip of j) = Phi_bar(gamma_j / sigma) with the unit's
  margin gamma_j = |w1_j^T x| / ||w1_j||. A union bound over units gives
  P(mask of x + sigma eps != mask of x) <= sum_j Phi_bar(gamma_j / sigma) (:func:`flip_bound`).
- The loss split (:func:`loss_split`): with masks frozen at the clean inputs and blocks that are
  pure (a unit fires on one cluster only) and complete (on every point of it), the loss is a sum of
  per-cluster linear denoising problems with M_k = W2[:, B_k] W1[:, B_k]^T.
- Per-cluster optima (:func:`per_cluster_optimum`): each such problem, with the weight decay in its
  nuclear-norm form 2 lam ||M_k||_*, has the closed-form minimum
  rho_k sum_j [s_kj - (s_kj - tau_k)_+^2 / (s_kj + sigma^2)], tau_k = n lam / n_k.
- How far it reaches (:func:`sharing_gain`, :func:`block_condition`): L* bounds block-structured
  networks only. A new unit b at the block solution lowers the loss iff its sharing gain
  kappa(b) = |G_T(b) b| / lam > 1; the block solution is the minimiser of the frozen-mask loss when
  it factorises into units of its own clusters (:func:`cone_realization`) and no b has kappa > 1.
  Closed forms for two clusters: :func:`pair_sharing_kappa` (means only) and
  :func:`spread_pair_kappa` (with overlapping spread directions).
"""

from __future__ import annotations

import math

import torch

from ._checks import check_float, check_int, check_tensor, make_generator
from .linear import second_moment_spectrum
from .memorization import alive_units


def _labels(labels, n: int) -> torch.Tensor:
    labels = torch.as_tensor(labels)
    if labels.shape != (n,) or labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(
            f"labels must be an integer tensor of shape ({n},), got {labels.dtype} "
            f"{tuple(labels.shape)}"
        )
    if n and int(labels.min()) < 0:
        raise ValueError("labels must be >= 0")
    return labels.long()


def _weights(model):
    W1 = model.W1.detach().double()
    W2 = model.W2.detach().double()
    return W1, W2


def phi_bar(z) -> torch.Tensor:
    """The standard normal tail P(Z > z), elementwise (float64)."""
    z = torch.as_tensor(z, dtype=torch.float64)
    return 0.5 * torch.erfc(z / math.sqrt(2.0))


# ---------------------------------------------------------------- separability


def separability(X, labels) -> dict:
    """The (alpha, beta) of a clustered data set: alpha = min cosine within a cluster (over pairs of
    distinct points; 1 if every cluster has one point), beta = - max cosine across clusters (the
    data
    are separable in the sense the block solution needs iff alpha > 0 and beta >= 0).

    Returns ``{"alpha", "beta", "separable", "min_norm", "K", "sizes"}`` (Python floats/ints)."""
    X = check_tensor("X", X, ndim=2, dtype=None).double()
    n = X.shape[0]
    check_int("number of rows of X", n, 2)
    labels = _labels(labels, n)
    norms = X.norm(dim=1)
    if bool((norms == 0).any()):
        raise ValueError("X must not contain zero rows (their cosine is undefined)")
    U = X / norms[:, None]
    C = U @ U.T
    same = labels[:, None] == labels[None, :]
    off = ~torch.eye(n, dtype=torch.bool)
    within = C[same & off]
    across = C[~same]
    if across.numel() == 0:
        raise ValueError("labels must name at least two clusters")
    alpha = float(within.min()) if within.numel() else 1.0
    beta = -float(across.max())
    return {
        "alpha": alpha,
        "beta": beta,
        "separable": alpha > 0 and beta >= 0,
        "min_norm": float(norms.min()),
        "K": int(labels.unique().numel()),
        "sizes": torch.bincount(labels).tolist(),
    }


def cone_margin(W, X, labels, units_cluster) -> torch.Tensor:
    """Margins gamma_ij = sign * w_j^T x_i / ||w_j|| (n, p) of units whose block is
    ``units_cluster``
    (p,): the sign is + on points of the unit's own cluster and - elsewhere, so the unit is on the
    right side of every point iff all its margins are > 0."""
    W = check_tensor("W", W, ndim=2, dtype=None).double()
    X = check_tensor("X", X, ndim=2, last_dim=W.shape[0], dtype=None).double()
    labels = _labels(labels, X.shape[0])
    units_cluster = torch.as_tensor(units_cluster).long()
    if units_cluster.shape != (W.shape[1],):
        raise ValueError(
            f"units_cluster must have shape ({W.shape[1]},), got {tuple(units_cluster.shape)}"
        )
    G = X @ (W / W.norm(dim=0).clamp_min(1e-300))
    sign = torch.where(labels[:, None] == units_cluster[None, :], 1.0, -1.0).double()
    return sign * G


# ---------------------------------------------------------------- masks and blocks


def mask_stability(model, X, sigma, *, draws=100, seed=0, units=None) -> dict:
    """Fraction of noisy inputs x_i + sigma eps whose activation pattern (on ``units``, default the
    alive units) equals that of the clean x_i; ``draws`` noisy copies per point.

    Returns ``{"stability": float, "per_point": (n,) fraction, "flip_rate": (p_units,) per-unit flip
    frequency, "units": (p,) bool}``."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    sigma = check_float("sigma", sigma, 0.0)
    draws = check_int("draws", draws, 1)
    units = (
        alive_units(*_weights(model)) if units is None else torch.as_tensor(units, dtype=torch.bool)
    )
    W1, _ = _weights(model)
    W = W1[:, units]
    g = make_generator(seed)
    clean = X @ W > 0  # (n, q)
    same = torch.zeros(X.shape[0], dtype=torch.float64)
    flips = torch.zeros(W.shape[1], dtype=torch.float64)
    for _ in range(draws):
        noisy = (X + sigma * torch.randn(X.shape, generator=g, dtype=torch.float64)) @ W > 0
        diff = noisy != clean
        same += (~diff.any(dim=1)).double()
        flips += diff.double().mean(dim=0)
    per_point = same / draws
    return {
        "stability": float(per_point.mean()),
        "per_point": per_point,
        "flip_rate": flips / draws,
        "units": units,
    }


def flip_bound(model, X, sigma, *, units=None) -> dict:
    """The Gaussian-tail bound of mask flips: per point and unit, P(flip) = Phi_bar(gamma_ij /
    sigma)
    with gamma_ij = |w1_j^T x_i| / ||w1_j|| (exact for one unit); per point, the union bound
    P(any flip) <= min(1, sum_j Phi_bar(gamma_ij / sigma)).

    Returns ``{"unit_prob": (n, q), "bound": (n,), "stability_bound": mean over points of
    1 - bound, "margin": (n, q) gamma}``."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    units = (
        alive_units(*_weights(model)) if units is None else torch.as_tensor(units, dtype=torch.bool)
    )
    W1, _ = _weights(model)
    W = W1[:, units]
    gamma = (X @ W).abs() / W.norm(dim=0).clamp_min(1e-300)
    prob = phi_bar(gamma / sigma)
    bound = prob.sum(dim=1).clamp_max(1.0)
    return {
        "unit_prob": prob,
        "bound": bound,
        "stability_bound": float((1 - bound).mean()),
        "margin": gamma,
    }


def activation_rates(model, X, labels, *, units=None) -> torch.Tensor:
    """R[j, k] = fraction of cluster k's rows of ``X`` on which unit j is active; (q, K) for the
    ``units`` (default: alive) in order."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    labels = _labels(labels, X.shape[0])
    units = (
        alive_units(*_weights(model)) if units is None else torch.as_tensor(units, dtype=torch.bool)
    )
    W1, _ = _weights(model)
    active = (X @ W1[:, units] > 0).double()
    K = int(labels.max()) + 1
    return torch.stack([active[labels == k].mean(0) for k in range(K)], dim=1)


def block_purity(model, X, labels, *, units=None, min_rate=0.0) -> dict:
    """Block structure read off the activations on ``X`` (clean points, or noisy copies with their
    clusters' labels).

    A unit *fires for* cluster k if it is active on more than ``min_rate`` of the cluster's rows
    (default 0: on any row). Among the active units (alive and firing for some cluster):
    ``purity`` = fraction that fire for one cluster only; ``completeness`` = fraction of the pure
    units active on every row of their cluster. ``cluster`` (q,) is each unit's main cluster
    (-1 if silent), ``rates`` (q, K) the activation rates."""
    min_rate = check_float("min_rate", min_rate, 0.0, 1.0)
    R = activation_rates(model, X, labels, units=units)
    fires = R > min_rate
    nfire = fires.sum(dim=1)
    active = nfire > 0
    pure = nfire == 1
    cluster = torch.where(active, R.argmax(dim=1), torch.full_like(nfire, -1))
    complete = pure & (R.max(dim=1).values >= 1.0)
    n_active = int(active.sum())
    return {
        "purity": float(pure.sum()) / n_active if n_active else float("nan"),
        "completeness": float(complete.sum()) / max(1, int(pure.sum())),
        "cluster": cluster,
        "rates": R,
        "n_active": n_active,
        "block_sizes": [int((cluster == k).sum()) for k in range(R.shape[1])],
    }


# ---------------------------------------------------------------- losses


def frozen_mask_loss(model, X, sigma, lam) -> dict:
    """The DAE loss with each mask frozen at its clean input, in closed form (float64):
    (1/n) sum_i [||W2 D_i W1^T x_i - x_i||^2 + sigma^2 ||W2 D_i W1^T||_F^2] + lam (||W1||^2 +
    ||W2||^2).
    Equal to the true loss when no noise draw flips a mask. Returns ``{"data", "penalty",
    "total"}``."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    W1, W2 = _weights(model)
    pre = X @ W1
    D = (pre > 0).double()
    R = (pre * D) @ W2.T - X
    Q = D.T @ D  # sum_i d_i d_i^T
    data = (R.pow(2).sum() + sigma**2 * (Q * (W1.T @ W1) * (W2.T @ W2)).sum()) / X.shape[0]
    penalty = lam * (W1.pow(2).sum() + W2.pow(2).sum())
    return {"data": float(data), "penalty": float(penalty), "total": float(data + penalty)}


def dae_loss_exact(model, X, sigma, lam, *, draws=200, seed=0) -> dict:
    """The DAE loss: the frozen-mask closed form plus a Monte Carlo estimate (``draws`` per point)
    of
    the flip correction Delta = (1/n) sum_i E[||f(y) - x_i||^2 - ||W2 D_i W1^T y - x_i||^2], which
    is
    zero on every draw that flips no mask. Returns ``{"frozen", "correction", "total",
    "flip_fraction"}`` (flip_fraction: draws with any flipped unit, over all units)."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    sigma = check_float("sigma", sigma, 0.0)
    draws = check_int("draws", draws, 1)
    frozen = frozen_mask_loss(model, X, sigma, lam)["total"]
    W1, W2 = _weights(model)
    D = (X @ W1 > 0).double()
    g = make_generator(seed)
    corr, flipped = 0.0, 0.0
    for _ in range(draws):
        Y = X + sigma * torch.randn(X.shape, generator=g, dtype=torch.float64)
        A = Y @ W1
        Dy = (A > 0).double()
        true = ((A * Dy) @ W2.T - X).pow(2).sum(1)
        lin = ((A * D) @ W2.T - X).pow(2).sum(1)
        corr += float((true - lin).mean())
        flipped += float((Dy != D).any(dim=1).double().mean())
    corr /= draws
    return {
        "frozen": frozen,
        "correction": corr,
        "total": frozen + corr,
        "flip_fraction": flipped / draws,
    }


def per_cluster_problem(M, Xk, sigma, tau) -> float:
    """Cluster k's linear problem at M: mean_i ||(M - I) x_i||^2 + sigma^2 ||M||_F^2 + 2 tau ||M||_*
    over the rows x_i of ``Xk`` (float)."""
    M = check_tensor("M", M, ndim=2, dtype=torch.float64)
    Xk = check_tensor("Xk", Xk, ndim=2, last_dim=M.shape[0], dtype=torch.float64)
    sigma = check_float("sigma", sigma, 0.0)
    tau = check_float("tau", tau, 0.0)
    risk = (Xk @ M.T - Xk).pow(2).sum(1).mean() + sigma**2 * M.pow(2).sum()
    return float(risk + 2 * tau * torch.linalg.svdvals(M).sum())


def per_cluster_optimum(X, labels, sigma, lam, *, widths=None) -> dict:
    """The sum of the per-cluster optima, in closed form:
    L* = sum_k rho_k sum_j [s_kj - (s_kj - tau_k)_+^2 / (s_kj + sigma^2)], rho_k = n_k / n,
    tau_k = n lam / n_k, s_kj the eigenvalues of S_k = X_k^T X_k / n_k. ``widths``: units per block
    (list of K ints); a block narrower than its filter keeps only its largest gains (each dropped
    direction then costs s_kj). Returns ``{"total", "per_cluster": [rho_k * optimum_k], "rank":
    [number of positive gains]}``."""
    X = check_tensor("X", X, ndim=2, dtype=None).double()
    n = X.shape[0]
    labels = _labels(labels, n)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    ks = labels.unique().tolist()
    if widths is not None and len(widths) != len(ks):
        raise ValueError(f"widths must list {len(ks)} block widths, got {len(widths)}")
    per, ranks = [], []
    for i, k in enumerate(ks):
        Xk = X[labels == k]
        nk = len(Xk)
        tau = n * lam / nk
        s = second_moment_spectrum(Xk)
        # the loss a direction saves, m_j (s_j - tau)_+ with m_j = wiener_gain(s_j, tau, sigma),
        # written as one quotient (s_j - tau)_+^2 / (s_j + sigma^2) so that it rounds as it always
        # has
        gain = (s - tau).clamp_min(0).pow(2) / (s + sigma**2).clamp_min(1e-300)
        if widths is not None:
            gain[check_int("widths entry", widths[i], 0) :] = 0.0
        per.append(nk / n * float((s - gain).sum()))
        ranks.append(int((gain > 0).sum()))
    return {"total": sum(per), "per_cluster": per, "rank": ranks}


def loss_split(model, X, labels, sigma, lam, *, cluster=None) -> dict:
    """The frozen-mask loss against its split into per-cluster problems.

    ``cluster`` (p,): the block of each unit (-1: not in a block), default from
    :func:`block_purity` on ``X`` (dead units: -1). Cluster k's term is
    rho_k [mean_{i in C_k} ||(M_k - I) x_i||^2 + sigma^2 ||M_k||_F^2] + lam (||W1[:, B_k]||^2 +
    ||W2[:, B_k]||^2) with M_k = W2[:, B_k] W1[:, B_k]^T; the units in no block add their weight
    decay
    to ``rest``. When every block is pure and complete, ``sum`` equals the frozen-mask loss
    ``frozen`` exactly. Also returns each block's lower bound rho_k * optimum_k and the nuclear-norm
    gap lam (||W1,k||^2 + ||W2,k||^2) - 2 lam ||M_k||_* >= 0 (zero iff balanced)."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    n = X.shape[0]
    labels = _labels(labels, n)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    W1, W2 = _weights(model)
    if cluster is None:
        alive = alive_units(*_weights(model))
        full = torch.full((model.p,), -1, dtype=torch.long)
        full[alive] = block_purity(model, X, labels, units=alive)["cluster"]
        cluster = full
    cluster = torch.as_tensor(cluster).long()
    if cluster.shape != (model.p,):
        raise ValueError(f"cluster must have shape ({model.p},), got {tuple(cluster.shape)}")
    terms, balance, blocks = [], [], []
    K = int(labels.max()) + 1
    for k in range(K):
        B = cluster == k
        Xk = X[labels == k]
        Mk = W2[:, B] @ W1[:, B].T
        risk = (Xk @ Mk.T - Xk).pow(2).sum(1).mean() + sigma**2 * Mk.pow(2).sum()
        pen = lam * (W1[:, B].pow(2).sum() + W2[:, B].pow(2).sum())
        nuc = 2 * lam * torch.linalg.svdvals(Mk).sum()
        terms.append(float(len(Xk) / n * risk + pen))
        balance.append(float(pen - nuc))
        blocks.append(Mk)
    rest = cluster < 0
    rest_pen = float(lam * (W1[:, rest].pow(2).sum() + W2[:, rest].pow(2).sum()))
    frozen = frozen_mask_loss(model, X, sigma, lam)["total"]
    total = sum(terms) + rest_pen
    return {
        "terms": terms,
        "rest": rest_pen,
        "sum": total,
        "frozen": frozen,
        "split_rel_err": abs(total - frozen) / frozen,
        "balance_gap": balance,
        "blocks": blocks,
        "cluster": cluster,
    }


# ---------------------------------------------------------------- how far the theorem reaches
#
# At the block solution (each cluster's map M_k the per-cluster solution), the data term's
# negative gradient on cluster k is (2 / n) sum_{i in C_k} [(I - M_k) x_i x_i^T - sigma^2 M_k]
# = 2 lam P_k, with P_k = sum_j min(1, s_kj / tau_k) u_kj u_kj^T. A new balanced unit
# w2 = sqrt(eps) a, w1 = sqrt(eps) b (|a| = |b| = 1) that fires on T(b) = {i : b^T x_i > 0}
# changes the frozen-mask loss by 2 eps (lam - a^T G_T b) + O(eps^2), where
# G_T = (1 / n) sum_{i in T} [(I - M_k(i)) x_i x_i^T - sigma^2 M_k(i)]. Its gain per unit of
# weight decay is kappa(b) = |G_T b| / (lam |b|). A unit that fires on whole clusters S has
# G_T = lam sum_{k in S} P_k: it pays its weight decay once and collects from every cluster it
# serves. If kappa(b) > 1 for some b, one more unit lowers the loss below L*.


def block_residuals(X, labels, sigma, lam) -> dict:
    """What :func:`sharing_gain` needs from the block solution: the rows ``X`` (float64), the
    residuals ``(I - M_k) x_i`` (n, d), each row's map ``M_k`` (n, d, d) and ``n lam``."""
    from .generalization import block_prediction

    X = check_tensor("X", X, ndim=2, dtype=None).double()
    labels = _labels(labels, X.shape[0])
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0, min_exclusive=True)
    blocks = block_prediction(X, labels, sigma, lam)["blocks"]
    ks = labels.unique().tolist()
    index = torch.as_tensor([ks.index(int(k)) for k in labels])
    Ms = torch.stack(blocks)[index]
    r = X - torch.einsum("nij,nj->ni", Ms, X)
    return {"X": X, "r": r, "M": Ms, "nlam": X.shape[0] * lam, "lam": lam, "sigma": sigma}


def _pattern_matrix(res, T) -> torch.Tensor:
    X, r, Ms = res["X"][T], res["r"][T], res["M"][T]
    return (r.T @ X - res["sigma"] ** 2 * Ms.sum(0)) / res["nlam"]


def sharing_gain(res, b) -> dict:
    """kappa(b) = |G_T(b) b| / (lam |b|) for a new unit with encoder direction ``b`` at the block
    solution ``res`` (:func:`block_residuals`): its first-order saving per unit of weight decay (the
    loss falls iff kappa > 1). With masks frozen, the unit w1 = sqrt(eps) b/|b|, w2 = sqrt(eps) a
    changes the loss by exactly -2 eps lam (kappa - 1) + eps^2 q, q = (1/n) sum_{i in T}
    [(b^T x_i)^2 / |b|^2 + sigma^2]: the best eps = lam (kappa - 1) / q saves
    lam^2 (kappa - 1)^2 / q. Returns ``{"kappa", "pattern": (n,) bool, "decoder": a, "curvature":
    q, "eps", "saving"}``."""
    b = torch.as_tensor(b, dtype=torch.float64)
    nb = float(b.norm())
    if nb == 0:
        raise ValueError("b must be nonzero")
    b = b / nb
    X = res["X"]
    T = X @ b > 0
    v = _pattern_matrix(res, T) @ b
    kappa = float(v.norm())
    q = float(((X[T] @ b).pow(2) + res["sigma"] ** 2).sum()) / X.shape[0]
    gain = max(0.0, kappa - 1)
    eps = res["lam"] * gain / q if q > 0 else 0.0
    return {
        "kappa": kappa,
        "pattern": T,
        "decoder": v / v.norm().clamp_min(1e-300),
        "curvature": q,
        "eps": eps,
        "saving": res["lam"] ** 2 * gain**2 / q if q > 0 else 0.0,
    }


def max_sharing_gain(res, starts, *, iters=10) -> dict:
    """A search for the largest kappa(b) (:func:`sharing_gain`): from each start, alternate between
    the pattern T(b) and the top right singular vector of G_T (the best b for that pattern), keeping
    the best b seen. The result is a lower bound on sup_b kappa(b): a value > 1 certifies that the
    block solution is not a minimiser; a value <= 1 only says the search found no better unit.
    Returns ``{"kappa", "b", "pattern"}``."""
    iters = check_int("iters", iters, 1)
    best = {"kappa": -1.0, "b": None, "pattern": None}
    for b in starts:
        b = torch.as_tensor(b, dtype=torch.float64)
        for _ in range(iters):
            g = sharing_gain(res, b)
            if g["kappa"] > best["kappa"]:
                best = {"kappa": g["kappa"], "b": b / b.norm(), "pattern": g["pattern"]}
            _, _, Vh = torch.linalg.svd(_pattern_matrix(res, g["pattern"]))
            v = Vh[0]
            keep = ((res["X"] @ v > 0) == g["pattern"]).sum() >= (
                (res["X"] @ -v > 0) == g["pattern"]
            ).sum()
            v = v if bool(keep) else -v
            if float((v - b / b.norm()).norm()) < 1e-10:
                break
            b = v
    return best


def pair_sharing_kappa(cosine, a=1.0) -> float:
    """Closed form, two rank-one clusters (the per-direction picture): sup over units b firing on
    both clusters of kappa(b) = |a (u0 u0^T + u1 u1^T) b| / |b|, u0^T u1 = ``cosine``,
    a = min(1, s / tau) each. It is a (1 + c) for c >= 0 (the bisector) and a sqrt(1 - c^2) for
    c <= 0 (the edge of the cone of units positive on both): a shared unit lowers the loss iff
    a (1 + c) > 1, never for c <= 0."""
    c = check_float("cosine", cosine, -1.0, 1.0)
    a = check_float("a", a, 0.0, 1.0)
    return a * (1 + c) if c >= 0 else a * math.sqrt(1 - c * c)


def spread_pair_kappa(cosine, gamma, tilt) -> float:
    """Closed form, the per-direction picture of two clusters: means at cosine ``cosine`` (c), and
    one kept spread direction each, u and v, orthogonal to the means, with |u^T v| = ``gamma``.
    Spread directions have no sign (u and -u are the same principal direction), so their angle can
    always be taken acute. A unit b = cos(phi) e + sin(phi) w (e the unit bisector of the means, w
    that of u and v) has |(P_0 + P_1) b|^2 = (1 + c)^2 cos^2 phi + (1 + gamma)^2 sin^2 phi, and
    fires on every point of both clusters while tan(phi) <= ``tilt`` (= |mu| sqrt(1 + c) /
    (sqrt(1 + gamma) h), h the largest spread coordinate along u or v). Returns the largest kappa
    of a unit firing on both clusters, max over that range and over the mean plane's edge
    (:func:`pair_sharing_kappa`): with gamma = 0 and c <= 0 it is <= 1 (sharing never pays)."""
    c = check_float("cosine", cosine, -1.0, 1.0)
    gamma = check_float("gamma", gamma, 0.0, 1.0)
    tilt = check_float("tilt", tilt, 0.0)
    phi = math.atan(tilt)
    spread = math.sqrt((1 + c) ** 2 * math.cos(phi) ** 2 + (1 + gamma) ** 2 * math.sin(phi) ** 2)
    return max(pair_sharing_kappa(c), spread)


def spread_pair_geometry(X, labels, k, l, rank) -> dict:
    """The quantities of :func:`spread_pair_kappa` read off clusters ``k`` and ``l`` of the data:
    the cosine of their means, the largest principal cosine gamma between their top-``rank`` spread
    subspaces (centred, with both means projected out), the largest spread coordinate h along the
    pair of principal directions (u, v), the tilt, the closed-form kappa, and the direction
    b = cos(phi) e + sin(phi) w at the largest tilt (a start for :func:`max_sharing_gain`)."""
    X = check_tensor("X", X, ndim=2, dtype=None).double()
    labels = _labels(labels, X.shape[0])
    rank = check_int("rank", rank, 1)
    mk, ml = X[labels == k].mean(0), X[labels == l].mean(0)
    Um, sm, _ = torch.linalg.svd(torch.stack([mk, ml]).T, full_matrices=False)
    Q = Um[:, sm > 1e-3 * sm[0]]  # the span of the means (one direction if they are antipodal)

    def spread(j, m):
        Y = X[labels == j] - m
        Y = Y - (Y @ Q) @ Q.T
        return torch.linalg.svd(Y, full_matrices=False)[2][:rank].T, Y

    Uk, Yk = spread(k, mk)
    Ul, Yl = spread(l, ml)
    A, sv, Bh = torch.linalg.svd(Uk.T @ Ul)
    u, v = Uk @ A[:, 0], Ul @ Bh[0]
    gamma = min(1.0, float(sv[0]))
    h = max(float((Yk @ u).abs().max()), float((Yl @ v).abs().max()))
    c = float(mk @ ml / (mk.norm() * ml.norm()))
    c = max(-1.0, min(1.0, c))
    mu = float((mk.norm() + ml.norm()) / 2)
    tilt = mu * math.sqrt(max(0.0, 1 + c)) / (math.sqrt(1 + gamma) * h) if h > 0 else math.inf
    e = mk / mk.norm() + ml / ml.norm()
    w = u + v
    phi = math.atan(tilt)
    b = math.cos(phi) * e / e.norm().clamp_min(1e-300) + math.sin(phi) * w / w.norm()
    return {
        "cosine": c,
        "gamma": gamma,
        "h": h,
        "tilt": tilt,
        "kappa": spread_pair_kappa(c, gamma, min(tilt, 1e12)),
        "b": b,
    }


def cone_realization(M, Xk, X_other) -> dict:
    """Try to write the PSD block map ``M`` = sum_s a_s a_s^T (balanced units: weight decay
    sum |a_s|^2 = tr M = ||M||_*) with every a_s positive on every row of ``Xk`` and negative on
    every row of ``X_other``: a_s = V h_s / sqrt(N), V = U diag(sqrt(m)) (M's eigenpairs, the
    direction nearest the cluster mean first, signed towards it), h_s the rows of an N x N
    Hadamard matrix (first column all ones). Returns ``{"own_margin": min_i a_s^T x_i / |x_i|
    over the cluster, "other_margin": max over the other rows (must be < 0), "realizable",
    "A": (d, N)}``; realizable is a certificate, its failure only says this construction fails."""
    M = check_tensor("M", M, ndim=2, dtype=None).double()
    Xk = check_tensor("Xk", Xk, ndim=2, last_dim=M.shape[0], dtype=None).double()
    X_other = check_tensor("X_other", X_other, ndim=2, last_dim=M.shape[0], dtype=None).double()
    s, U = torch.linalg.eigh((M + M.T) / 2)
    keep = s > 1e-10 * max(1.0, float(s.abs().max()))
    s, U = s[keep], U[:, keep]
    mu = Xk.mean(0)
    order = torch.argsort(-(U.T @ mu).abs())
    U, s = U[:, order], s[order]
    U = U * torch.where(U.T @ mu < 0, -1.0, 1.0).double()[None]
    r = len(s)
    N = 1
    while N < r + (1 if r > 1 else 0):
        N *= 2
    H = torch.ones(1, 1, dtype=torch.float64)
    while H.shape[0] < N:
        H = torch.cat([torch.cat([H, H], 1), torch.cat([H, -H], 1)], 0)
    A = (U * s.sqrt()) @ H[:, :r].T / math.sqrt(N)
    own = float((Xk @ A / Xk.norm(dim=1, keepdim=True)).min()) if r else float("nan")
    other = float((X_other @ A / X_other.norm(dim=1, keepdim=True)).max()) if len(X_other) else -1.0
    return {"own_margin": own, "other_margin": other, "realizable": own > 0 > other, "A": A}


def block_condition(X, labels, sigma, lam, *, starts=None, n_random=64, iters=10, seed=0) -> dict:
    """The book's sufficient condition for the block solution to minimise the frozen-mask loss:
    (A) every per-cluster solution has a balanced factorisation by units that fire on exactly its
    cluster (:func:`cone_realization`), and (B) no new unit has kappa(b) > 1
    (:func:`max_sharing_gain`, searched from ``n_random`` random directions, every training point,
    every pairwise bisector of the cluster means, the shared directions of
    :func:`spread_pair_geometry`, and ``starts``). Returns ``{"realizable",
    "own_margin", "other_margin", "kappa", "holds", "witness"}``; ``holds`` means (A) and
    kappa <= 1 + 1e-6."""
    from .generalization import block_prediction

    X = check_tensor("X", X, ndim=2, dtype=None).double()
    labels = _labels(labels, X.shape[0])
    res = block_residuals(X, labels, sigma, lam)
    blocks = block_prediction(X, labels, sigma, lam)["blocks"]
    ks = labels.unique().tolist()
    reals = [cone_realization(B, X[labels == k], X[labels != k]) for B, k in zip(blocks, ks)]
    g = make_generator(seed)
    means = torch.stack([X[labels == k].mean(0) for k in ks])
    means = means / means.norm(dim=1, keepdim=True)
    cand = [torch.randn(X.shape[1], generator=g, dtype=torch.float64) for _ in range(n_random)]
    cand += list(X)
    cand += [means[i] + means[j] for i in range(len(ks)) for j in range(i + 1, len(ks))]
    ranks = [max(1, r - 1) for r in per_cluster_optimum(X, labels, sigma, lam)["rank"]]
    pairs = [
        spread_pair_geometry(X, labels, ks[i], ks[j], min(ranks[i], ranks[j]))
        for i in range(len(ks))
        for j in range(i + 1, len(ks))
    ]
    cand += [p["b"] for p in pairs if bool(torch.isfinite(p["b"]).all())]
    if starts is not None:
        cand += list(torch.as_tensor(starts, dtype=torch.float64))
    cand = [b for b in cand if float(b.norm()) > 1e-12]
    best = max_sharing_gain(res, cand, iters=iters)
    realizable = all(r["realizable"] for r in reals)
    return {
        "realizable": realizable,
        "own_margin": min(r["own_margin"] for r in reals),
        "other_margin": max(r["other_margin"] for r in reals),
        "kappa": best["kappa"],
        "holds": realizable and best["kappa"] <= 1 + 1e-6,
        "witness": best["b"],
        "saving": sharing_gain(res, best["b"])["saving"],
        "kappa_closed": max(p["kappa"] for p in pairs),
        "gamma": max(p["gamma"] for p in pairs),
    }


def mc_loss(model, X, sigma, lam, *, draws=1000, seed=0, batch=100, reference=None) -> dict:
    """The DAE loss by plain Monte Carlo: ``draws`` fresh noise draws per point (float64), with its
    standard error (over the independent per-draw means). ``reference`` (n, d, d), each row's
    linear map (e.g. the block solution's M_k): also the loss difference to that linear denoiser on
    the same draws, whose expectation the risk identity gives exactly, so the difference has a much
    smaller standard error. Returns ``{"loss", "se", "data", "penalty"}`` and, with ``reference``,
    ``{"ref_data": exact risk of the reference, "diff_data", "diff_se"}``."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d, dtype=None).double()
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    draws = check_int("draws", draws, 2)
    W1, W2 = _weights(model)
    g = make_generator(seed)
    per, diff = [], []
    done = 0
    while done < draws:
        m = min(batch, draws - done)
        Y = X[None] + sigma * torch.randn((m,) + tuple(X.shape), generator=g, dtype=torch.float64)
        err = ((Y @ W1).clamp_min(0) @ W2.T - X[None]).pow(2).sum(-1)  # (m, n)
        per.append(err.mean(1))
        if reference is not None:
            lin = (torch.einsum("nij,mnj->mni", reference, Y) - X[None]).pow(2).sum(-1)
            diff.append((err - lin).mean(1))
        done += m
    per = torch.cat(per)
    penalty = float(lam * (W1.pow(2).sum() + W2.pow(2).sum()))
    out = {
        "data": float(per.mean()),
        "se": float(per.std() / math.sqrt(draws)),
        "penalty": penalty,
        "loss": float(per.mean()) + penalty,
    }
    if reference is not None:
        diff = torch.cat(diff)
        eye = torch.eye(X.shape[1], dtype=torch.float64)
        resid = torch.einsum("nij,nj->ni", reference - eye, X).pow(2).sum(1)
        ref = float((resid + sigma**2 * reference.pow(2).sum((1, 2))).mean())
        out |= {
            "ref_data": ref,
            "diff_data": float(diff.mean()),
            "diff_se": float(diff.std() / math.sqrt(draws)),
        }
    return out
