"""Representation statistics and nearest neighbours.

The statistics act on the last dimension of a representation ``h`` of shape ``(..., p)`` (one
vector of ``p`` hidden-unit activations per input) and return a tensor of shape ``h.shape[:-1]``
(0-dim for a single vector):

- :func:`unit_std`: population standard deviation of the entries of ``h`` across units: the
  paper's memorization detector (large for a spiky ``h``, small for a balanced one);
- :func:`top1_share`: ``max_j h_j^2 / sum_j h_j^2`` in ``[1/p, 1]``: 1 for one-hot, 1/p for even;
- :func:`l4_l2_ratio`: ``||h||_4 / ||h||_2`` in ``[p^(-1/4), 1]``: the same contrast, smoother.

The two ratios are scale invariant; both are defined as 0 for an all-zero ``h`` (a representation
with no active unit carries no energy to share).
"""

from __future__ import annotations

import torch

from ._checks import check_choice, check_int, check_tensor

_CHUNK = 1024  # rows of Y per block when computing distances


def _as_h(h) -> torch.Tensor:
    return check_tensor("h", h, dtype=None)


def unit_std(h) -> torch.Tensor:
    """Population std (divide by p) of ``h`` across its last dimension. ``h``: (..., p), p >= 1."""
    h = _as_h(h)
    if h.ndim == 0 or h.shape[-1] < 1:
        raise ValueError(f"h must have a last dimension of size >= 1, got shape {tuple(h.shape)}")
    return (h - h.mean(dim=-1, keepdim=True)).pow(2).mean(dim=-1).sqrt()


def _normalised(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """h divided by max_j |h_j| (zero rows stay zero), and a mask of the nonzero rows."""
    if h.ndim == 0 or h.shape[-1] < 1:
        raise ValueError(f"h must have a last dimension of size >= 1, got shape {tuple(h.shape)}")
    scale = h.abs().amax(dim=-1, keepdim=True)
    nonzero = scale > 0
    return h / torch.where(nonzero, scale, torch.ones_like(scale)), nonzero.squeeze(-1)


def top1_share(h) -> torch.Tensor:
    """``max_j h_j^2 / sum_j h_j^2`` along the last dim of ``h`` (..., p); in [1/p, 1], 0 for h = 0.

    Computed after dividing by ``max |h_j|``, so it is exact for any scale (no under/overflow).
    """
    g, nonzero = _normalised(_as_h(h))
    g2 = g.pow(2)
    share = g2.amax(dim=-1) / g2.sum(dim=-1).clamp_min(torch.finfo(g.dtype).tiny)
    return torch.where(nonzero, share, torch.zeros_like(share))


def l4_l2_ratio(h) -> torch.Tensor:
    """``||h||_4 / ||h||_2`` along the last dim of ``h`` (..., p); in [p^(-1/4), 1], 0 for h = 0."""
    g, nonzero = _normalised(_as_h(h))
    g2 = g.pow(2)
    ratio = (
        g2.pow(2).sum(dim=-1).pow(0.25) / g2.sum(dim=-1).clamp_min(torch.finfo(g.dtype).tiny).sqrt()
    )
    return torch.where(nonzero, ratio, torch.zeros_like(ratio))


def _sq_dists(Y: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances (m, n), computed in float64 from the expansion, clamped at 0."""
    Y64, X64 = Y.double(), X.double()
    d2 = Y64.pow(2).sum(-1, keepdim=True) - 2.0 * Y64 @ X64.T + X64.pow(2).sum(-1)
    return d2.clamp_min(0.0)


def _unit_rows(X: torch.Tensor) -> torch.Tensor:
    norm = X.norm(dim=-1, keepdim=True)
    return X / torch.where(norm > 0, norm, torch.ones_like(norm))


def pairwise_cosine(x) -> torch.Tensor:
    """Cosine similarity matrix (n, n) of the rows of ``x`` (n, d); a zero row has cosine 0 with
    all."""
    x = check_tensor("x", x, ndim=2)
    u = _unit_rows(x)
    return u @ u.T


def nearest_neighbors(Y, X, *, metric: str = "l2") -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``Y`` (m, d) [or a single (d,)] its nearest row of ``X`` (n, d).

    Returns ``(values, indices)``, each of shape (m,) [or 0-dim]: for ``metric="l2"`` the
    Euclidean distance (float32, computed in float64) and for ``metric="cosine"`` the largest
    cosine similarity (zero rows have cosine 0). Processed in blocks of rows, so memory is O(n).
    """
    metric = check_choice("metric", metric, ("l2", "cosine"))
    X = check_tensor("X", X, ndim=2)
    if X.shape[0] < 1:
        raise ValueError("X must have at least one row")
    Y = check_tensor("Y", Y, ndim=(1, 2), last_dim=X.shape[1])
    single = Y.ndim == 1
    Y = Y.reshape(-1, X.shape[1])
    values, indices = [], []
    Xu = _unit_rows(X) if metric == "cosine" else None
    for start in range(0, len(Y), _CHUNK):
        block = Y[start : start + _CHUNK]
        if metric == "l2":
            v, i = _sq_dists(block, X).min(dim=1)
            values.append(v.sqrt().float())
        else:
            v, i = (_unit_rows(block) @ Xu.T).max(dim=1)
            values.append(v)
        indices.append(i)
    values, indices = torch.cat(values), torch.cat(indices)
    return (values[0], indices[0]) if single else (values, indices)


def nearest_other_distances(X) -> torch.Tensor:
    """Distance (n,) from each row of ``X`` (n >= 2, d) to its nearest OTHER row (float32)."""
    X = check_tensor("X", X, ndim=2)
    check_int("number of rows of X", X.shape[0], 2)
    out = []
    for start in range(0, len(X), _CHUNK):
        d2 = _sq_dists(X[start : start + _CHUNK], X)
        rows = torch.arange(d2.shape[0])
        d2[rows, rows + start] = float("inf")
        out.append(d2.min(dim=1).values.sqrt().float())
    return torch.cat(out)


def typical_spacing(X) -> float:
    """Median over the rows of ``X`` (n >= 2, d) of the distance to the nearest other row.

    The data's natural length scale: a sample closer than a small fraction of it to a training
    point is a copy. (Exact duplicates in ``X`` count as distance 0.) Returns a Python float.
    """
    return float(torch.quantile(nearest_other_distances(X).double(), 0.5))
