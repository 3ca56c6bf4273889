"""The per-cluster (block) prediction of the generalization regime (chapter 3), and denoising
quality.

For a mixture whose clusters are (alpha, beta)-separable, the trained DAE acts on cluster k as the
linear map M_k = sum_j m_j u_j u_j^T with m_j = max(0, (s_j - n lam / n_k) / (s_j + sigma^2)), where
s_j, u_j are the eigenpairs of the cluster's uncentred second moment S_k = X_k^T X_k / n_k. Because
the units of different clusters are disjoint, W2 W1^T = sum_k M_k.
"""

from __future__ import annotations

import torch

from ._checks import check_float, check_tensor
from .linear import optimal_linear_denoiser, second_moment_spectrum, wiener_gain


def block_prediction(X, labels, sigma, lam, *, rank=None) -> dict:
    """The per-cluster solutions M_k and their sum; ``rank``: per-cluster widths p_k (list) or None.

    Returns ``{"M": sum_k M_k (d, d) float64, "blocks": [M_k], "gains": [(s_j, m_j) sorted
    descending, as two tensors]}``. The penalty of cluster k is n lam / n_k (the loss averages over
    all n samples, a cluster's share of it is n_k / n)."""
    X = check_tensor("X", X, ndim=2).double()
    labels = torch.as_tensor(labels)
    if labels.shape != (X.shape[0],):
        raise ValueError(f"labels must have shape ({X.shape[0]},), got {tuple(labels.shape)}")
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    n = X.shape[0]
    blocks, gains = [], []
    for i, k in enumerate(torch.unique(labels).tolist()):
        Xk = X[labels == k]
        lam_k = lam * n / len(Xk)
        Mk = optimal_linear_denoiser(Xk, sigma, lam_k, rank=None if rank is None else rank[i])
        s = second_moment_spectrum(Xk)
        blocks.append(Mk)
        gains.append((s, wiener_gain(s, lam_k, sigma)))
    return {"M": sum(blocks), "blocks": blocks, "gains": gains}
