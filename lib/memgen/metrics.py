"""Metrics that experiments and views share: AUROC, the ROC curve, TPR at a fixed FPR, PSNR.

One definition each. AUROC is the Mann-Whitney U statistic (ties count 1/2); the TPR at a false
positive rate follows the paper (threshold at the (1 - fpr) quantile of the negative scores).
"""

from __future__ import annotations

import numpy as np
import torch

from ._checks import check_float, check_tensor


def _scores(pos, neg) -> tuple[np.ndarray, np.ndarray]:
    pos = check_tensor("pos", pos, ndim=1, dtype=torch.float64).numpy()
    neg = check_tensor("neg", neg, ndim=1, dtype=torch.float64).numpy()
    if len(pos) < 1 or len(neg) < 1:
        raise ValueError("pos and neg must each hold at least one score")
    return pos, neg


def _average_ranks(a: np.ndarray) -> np.ndarray:
    """1-based ranks of ``a`` with ties given their average rank."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    ranks = np.empty(len(a))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def auroc(pos, neg) -> float:
    """Area under the ROC curve of scores ``pos`` (positives, e.g. duplicated samples) against
    ``neg``:
    the probability that a random positive scores higher than a random negative, ties counting 1/2
    (the Mann-Whitney U statistic divided by ``len(pos) * len(neg)``)."""
    pos, neg = _scores(pos, neg)
    ranks = _average_ranks(np.concatenate([pos, neg]))
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def roc_curve(pos, neg) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve: false and true positive rates (each from 0 to 1) as the threshold on the score
    decreases through every distinct score (a sample counts as positive when its score is >= the
    threshold). Its trapezoid area equals :func:`auroc`."""
    pos, neg = _scores(pos, neg)
    thresholds = np.unique(np.concatenate([pos, neg]))[::-1]
    tpr = np.array([0.0] + [(pos >= t).mean() for t in thresholds])
    fpr = np.array([0.0] + [(neg >= t).mean() for t in thresholds])
    return fpr, tpr


def tpr_at_fpr(pos, neg, fpr=0.01) -> float:
    """True positive rate at a false positive rate of ``fpr``, as the paper measures it: the
    threshold
    is the (1 - fpr) quantile of the negative scores, and a positive is detected if its score is
    above it."""
    pos, neg = _scores(pos, neg)
    fpr = check_float("fpr", fpr, 0.0, 1.0)
    threshold = np.quantile(neg, 1.0 - fpr)
    return float((pos > threshold).mean())


def psnr(estimate, clean, *, peak=2.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per row, 10 log10(peak^2 / mean squared error); images in
    [-1, 1] have ``peak`` 2."""
    estimate = check_tensor("estimate", estimate)
    clean = check_tensor("clean", clean)
    if estimate.shape != clean.shape:
        raise ValueError(
            f"estimate and clean must have the same shape, got {tuple(estimate.shape)} and "
            f"{tuple(clean.shape)}"
        )
    mse = (estimate - clean).pow(2).mean(dim=-1)
    return 10 * torch.log10(peak**2 / mse)
