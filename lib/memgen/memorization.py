"""Reading the memorization solution out of trained weights (chapter 2).

In the over-parameterised regime each surviving unit j stores one training sample: its encoder and
decoder columns are r x_i. These functions find which sample each unit stores, the gain of the
units active on a sample along that sample (the quantity that is invariant when gradient descent
shares a sample between units), and the representation with the units of one sample summed.
"""

from __future__ import annotations

import torch

from ._checks import check_float, check_int, check_tensor


def separable_subset(x, n, *, max_cosine=0.0, seed=0) -> torch.Tensor:
    """Indices of ``n`` rows of ``x`` whose pairwise cosines are all <= ``max_cosine``.

    Greedy: visit the rows in a random order (``seed``) and keep a row if it satisfies the bound
    with
    every row kept so far. Raises ValueError if fewer than ``n`` rows can be found that way.
    """
    x = check_tensor("x", x, ndim=2)
    n = check_int("n", n, 1, x.shape[0])
    max_cosine = check_float("max_cosine", max_cosine, -1.0, 1.0)
    U = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(int(seed)))
    chosen: list[int] = []
    for i in order.tolist():
        if all(float(U[i] @ U[j]) <= max_cosine for j in chosen):
            chosen.append(i)
            if len(chosen) == n:
                return torch.tensor(chosen)
    raise ValueError(
        f"only {len(chosen)} rows have pairwise cosines <= {max_cosine}; ask for n <= "
        f"{len(chosen)} "
        "or raise max_cosine"
    )


def alive_units(W1, W2=None, *, tol=1e-2) -> torch.Tensor:
    """The book's one rule for a unit that is alive: its size exceeds ``tol`` times the largest.

    A unit's size is the norm of its column of ``W1`` (d, p), or, when the decoder ``W2`` (d, p) is
    given, the norm of its contribution ||w1_j|| ||w2_j|| (for a tied model, ||w_j||^2). Returns a
    (p,) bool tensor (all False when every column is zero)."""
    W1 = check_tensor("W1", W1, ndim=2, dtype=None).detach()
    tol = check_float("tol", tol, 0.0, 1.0)
    size = W1.norm(dim=0)
    if W2 is not None:
        W2 = check_tensor("W2", W2, ndim=2, dtype=None).detach()
        if W2.shape != W1.shape:
            raise ValueError(
                f"W2 must have the shape of W1 {tuple(W1.shape)}, got {tuple(W2.shape)}"
            )
        size = size * W2.norm(dim=0)
    return size > tol * size.max()


def unit_owners(W, X, *, alive_tol=1e-2) -> dict:
    """For each unit (column of ``W``, (d, p)): the training sample (row of ``X``, (n, d)) it is
    closest to in cosine, that cosine, and whether the unit is alive (column norm above
    ``alive_tol`` times the largest column norm). Returns a dict of tensors ``owner`` (p,),
    ``cosine`` (p,), ``alive`` (p,) bool, ``norm`` (p,)."""
    W = check_tensor("W", W, ndim=2).detach()
    X = check_tensor("X", X, ndim=2, last_dim=W.shape[0])
    norm = W.norm(dim=0)
    cos = (W / norm.clamp_min(1e-12)).T @ (X / X.norm(dim=1, keepdim=True)).T  # (p, n)
    best = cos.max(dim=1)
    return {
        "owner": best.indices,
        "cosine": best.values,
        "alive": alive_units(W, tol=alive_tol),
        "norm": norm,
    }


def gains_along_samples(model, X) -> torch.Tensor:
    """g_i = u_i^T (sum over units active on x_i of w2_j w1_j^T) u_i, u_i = x_i / ||x_i||; (n,).

    For the memorization solution this is m_i = (||x_i||^2 - n lam) / (||x_i||^2 + sigma^2), however
    many units share the sample; and r_i^2 (summed over those units) = g_i / ||x_i||^2."""
    X = check_tensor("X", X, ndim=2, last_dim=model.d)
    with torch.no_grad():
        W1, W2 = model.W1.detach(), model.W2.detach()
        U = X / X.norm(dim=1, keepdim=True)
        active = (X @ W1 > 0).to(X.dtype)  # (n, p)
        return ((U @ W2) * (U @ W1) * active).sum(dim=1)


def grouped_representation(h, owner, n) -> torch.Tensor:
    """Sum the entries of ``h`` (..., p) over units that store the same sample: (..., n)."""
    h = check_tensor("h", h)
    owner = torch.as_tensor(owner)
    n = check_int("n", n, 1)
    out = torch.zeros(*h.shape[:-1], n, dtype=h.dtype)
    return out.index_add_(-1, owner, h)


def storing_units(owners: dict, n: int) -> torch.Tensor:
    """For each sample 0..n-1, the alive unit of largest norm among those storing it (-1 if
    none)."""
    out = torch.full((n,), -1, dtype=torch.long)
    for i in range(n):
        mine = torch.nonzero((owners["owner"] == i) & owners["alive"]).flatten()
        if len(mine):
            out[i] = mine[torch.argmax(owners["norm"][mine])]
    return out
