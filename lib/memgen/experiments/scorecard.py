"""The reproduction scorecard: every quantitative claim of the book, as one declarative table.

Each :class:`Claim` names the experiment that computes it (a function of
:mod:`memgen.experiments`, the same one the chapter calls), the keys it reads from that
experiment's result (by name, never by position), how several read values combine, the target and
the claim's sentence, and its verdict:

- ``reproduces``: a claim of the paper, reproduced;
- ``qualifies``: a claim of the paper, or a prediction drawn from it, that does not hold as
  stated; the row says what does;
- ``beyond``: not in the paper (the book's own checks and findings).

:func:`evaluate` computes the rows. Run ``python -m memgen.scorecard --json`` for the JSON list, or
without ``--json`` for a table. The book's scorecard appendix renders the same rows
(:mod:`memgen.views.scorecard`).
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import ch01_denoising as ex1
from . import ch02_memorization as ex2
from . import ch03_generalization as ex3
from . import ch04_mixed as ex4
from . import ch05_theorem as ex5
from . import ch06_diffusion as ex6
from . import ch07_jacobians as ex7
from . import ch08_applications as ex8

REPRODUCES, QUALIFIES, BEYOND = "reproduces", "qualifies", "beyond"
VERDICTS = (REPRODUCES, QUALIFIES, BEYOND)

#: The chapter each claim belongs to, and the page (docname) that computes it.
CHAPTER_DOCS = {
    "ch1": "ch01_denoising",
    "ch2": "ch02_memorization",
    "ch3": "ch03_generalization",
    "ch4": "ch04_mixed",
    "ch5": "ch05_theorem",
    "ch6": "ch06_diffusion",
    "ch7": "ch07_jacobians",
    "ch8": "ch08_applications",
}

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Where:
    """Path step: the element of a list of dicts whose ``field`` equals ``value``."""

    field: str
    value: Any


@dataclass(frozen=True)
class At:
    """Path step: the element of a list at the position of ``value`` in the sibling list ``axis``
    (for results that store a sweep as parallel lists, e.g. ``{"sigmas": [...], "mem_cos":
    [...]}``)."""

    axis: str
    value: Any


#: Path step: every element of a list (the rest of the path is read from each).
EACH = "*"

#: How the values read along several paths (or an EACH) become the claim's one number.
COMBINE: dict[str, Callable[[list[float]], float]] = {
    "one": lambda v: v[0],
    "min": min,
    "max": max,
    "abs": lambda v: abs(v[0]),
    "difference": lambda v: v[0] - v[1],
}


@dataclass(frozen=True)
class Claim:
    id: str  # "<namespace>.<name>"; one namespace belongs to one chapter
    chapter: str  # "ch1" ... "ch8"
    verdict: str  # one of VERDICTS
    experiment: Callable[[], dict]  # the cached experiment the chapter calls
    paths: Sequence[tuple]  # where the value lies in the experiment's result
    target: str  # "<= 0.02", ">= 0.95", ...
    claim: str  # the sentence the book states
    combine: str = "one"  # a key of COMBINE

    def __post_init__(self):
        _parse_target(self.target)
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.combine not in COMBINE:
            raise ValueError(f"combine must be one of {sorted(COMBINE)}, got {self.combine!r}")
        if self.chapter not in CHAPTER_DOCS:
            raise ValueError(f"chapter must be one of {sorted(CHAPTER_DOCS)}, got {self.chapter!r}")

    @property
    def doc(self) -> str:
        """The chapter page that computes the claim."""
        return CHAPTER_DOCS[self.chapter]


def _parse_target(target: str) -> tuple[Callable[[float, float], bool], float]:
    for sym in ("<=", ">=", "<", ">"):  # two-character operators first
        if target.startswith(sym):
            return _OPS[sym], float(target[len(sym) :])
    raise ValueError(f"target must look like '<= 0.02' or '>= 0.95', got {target!r}")


def holds(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (NaN never does)."""
    op, threshold = _parse_target(target)
    return bool(value is not None and not math.isnan(value) and op(value, threshold))


def read(result, path: Sequence) -> list[float]:
    """The numbers at ``path`` in ``result`` (several with :data:`EACH` or an array), flattened."""
    parent, cur = None, result
    for i, step in enumerate(path):
        if step == EACH:
            return [v for item in cur for v in read(item, path[i + 1 :])]
        if isinstance(step, Where):
            matches = [item for item in cur if item.get(step.field) == step.value]
            if len(matches) != 1:
                raise KeyError(f"{len(matches)} entries with {step.field} == {step.value!r}")
            parent, cur = cur, matches[0]
        elif isinstance(step, At):
            parent, cur = cur, cur[list(parent[step.axis]).index(step.value)]
        else:
            parent, cur = cur, cur[step]
    return [float(v) for v in np.ravel(np.asarray(cur, dtype=float))]


def value_of(c: Claim) -> float:
    """Compute one claim's value: run (or reuse) its experiment and read its paths."""
    result = c.experiment()
    values = [v for path in c.paths for v in read(result, path)]
    return float(COMBINE[c.combine](values))


CLAIMS: list[Claim] = [
    # -------------------- ch01_denoising
    Claim(
        "ch1.linear_identity_rel_err",
        "ch1",
        BEYOND,
        ex1.ch1_linear_identity,
        [("rel_err",)],
        target="<= 0.02",
        claim=(
            "Monte Carlo estimate of E||M(x + sigma eps) - x||^2 agrees with ||(M - I)x||^2 + "
            "sigma^2 ||M||_F^2 (relative error)"
        ),
    ),
    Claim(
        "ch1.tweedie_score_max_abs_err",
        "ch1",
        BEYOND,
        ex1.ch1_tweedie_check,
        [("max_abs_err",)],
        target="<= 1e-4",
        claim=(
            "Tweedie: (f_emp(y) - y) / sigma^2 equals the autograd gradient of log p_sigma(y) "
            "(max abs error)"
        ),
    ),
    Claim(
        "ch1.empirical_denoiser_memorizes",
        "ch1",
        REPRODUCES,
        ex1.ch1_empirical_sampling,
        [("fraction_memorized",)],
        target=">= 0.95",
        claim=(
            "Sampling with the empirical optimal denoiser returns training points: fraction of "
            "samples whose nearest training digit is closer than a tenth of the data's typical "
            "spacing"
        ),
    ),
    # -------------------- ch02_memorization
    Claim(
        "mem.cosine_min",
        "ch2",
        REPRODUCES,
        ex2.ch2_memorization,
        [(ex2.CH2.p, "cosine_min"), (ex2.CH2.p_exact, "cosine_min")],
        combine="min",
        target=">= 0.99",
        claim=(
            "p >= n on separable digits: every surviving encoder column is a stored training "
            "sample (min over units of the cosine to its sample, p = 2n)"
        ),
    ),
    Claim(
        "mem.r_rel_err_max",
        "ch2",
        QUALIFIES,
        ex2.ch2_memorization,
        [(ex2.CH2.p, "gain_rel_err"), (ex2.CH2.p_exact, "gain_rel_err")],
        combine="max",
        target="<= 0.05",
        claim=(
            "The gain of the units active on x_i along x_i equals (||x_i||^2 - n lam) / "
            "(||x_i||^2 + sigma^2), i.e. r_i^2 = that / ||x_i||_2^2 (max relative error over "
            "samples, p = n and p = 2n)"
        ),
    ),
    Claim(
        "mem.rotation_r_rel_change",
        "ch2",
        BEYOND,
        ex2.ch2_rotation,
        [("r_rel_change",)],
        target="<= 0.05",
        claim=(
            "Rotation decides the constant: trained on Q x_i (Q a random orthogonal matrix, "
            "which changes ||x_i||_4^4 but not ||x_i||_2), the p = n network's r_i equal those "
            "trained on the x_i (max relative change; the bar is mem.r_rel_err_max's)"
        ),
    ),
    Claim(
        "mem.top1_share_mean",
        "ch2",
        REPRODUCES,
        ex2.ch2_memorization,
        [(ex2.CH2.p, "top1_grouped")],
        target=">= 0.9",
        claim=(
            "Spiky representations: mean top-1 share of h on noisy training inputs (units storing "
            "the same sample counted as one; p = 2n)"
        ),
    ),
    Claim(
        "mem.grid_stored_agreement",
        "ch2",
        REPRODUCES,
        ex2.regime_grid,
        [("stored_agreement",)],
        target=">= 0.9",
        claim=(
            "Width limits memorization: on the first n of the separable digits (n in {2, 4, 6}, "
            "p in {1, ..., 24}), fraction of (n, p) cells whose fraction of stored samples "
            "equals the prediction min(p, #{i: ||x_i||^2 > n lam}) / n"
        ),
    ),
    # -------------------- ch03_generalization
    Claim(
        "gen.block_rel_err",
        "ch3",
        REPRODUCES,
        ex3.ch3_gmm_blocks,
        [("block_rel_err",)],
        target="<= 0.05",
        claim=(
            "p << n on a separable Gaussian mixture: ||W2 W1^T - sum_k M_k||_F / ||sum_k M_k||_F "
            "with M_k the per-cluster Wiener filter with threshold n lam / n_k"
        ),
    ),
    Claim(
        "gen.top1_share_mean",
        "ch3",
        REPRODUCES,
        ex3.ch3_gmm_blocks,
        [("top1_mean",)],
        target="<= 0.5",
        claim=("Balanced representations: mean top-1 share of h on noisy samples of the mixture"),
    ),
    Claim(
        "gen.psnr_vs_block_db",
        "ch3",
        REPRODUCES,
        ex3.ch3_digits,
        [("psnr_gen",), ("psnr_block_half",)],
        combine="difference",
        target=">= 0",
        claim=(
            "On unseen centred digits (sigma = 0.5), the width-16 DAE trained on 1000 digits "
            "denoises at least as well as the closed-form block it can represent with pairs of "
            "units (w, -w): rank p/2 = 8, threshold 2 lam (mean PSNR difference, dB)"
        ),
    ),
    Claim(
        "gen.psnr_below_block_ceiling_db",
        "ch3",
        REPRODUCES,
        ex3.ch3_digits,
        [("psnr_gen",), ("psnr_block_full",)],
        combine="difference",
        target="<= 0",
        claim=(
            "... and no better than the rank-p = 16 block, the most that 16 units acting as one "
            "linear block can pass (mean PSNR difference, dB, same noisy unseen digits)"
        ),
    ),
    Claim(
        "gen.threshold_dead_directions_match",
        "ch3",
        REPRODUCES,
        ex3.ch3_threshold,
        [("dead_match",)],
        target=">= 1",
        claim=(
            "The threshold n lam / n_k exercised (clusters of 320 and 80 points, lam in {0.1, "
            "0.26, 0.4}): fraction of (lam, cluster, direction) cases among the nonzero "
            "eigen-directions of S_k where the learned block's singular value is below 0.05 "
            "exactly when s_j <= n lam / n_k"
        ),
    ),
    Claim(
        "gen.threshold_spectrum_rel_err",
        "ch3",
        REPRODUCES,
        ex3.ch3_threshold,
        [("spectrum_rel_err",)],
        target="<= 0.05",
        claim=(
            "Same setting: ||learned singular values - predicted m_j|| / ||m|| over both "
            "clusters' nonzero directions (max over lam)"
        ),
    ),
    # -------------------- ch04_mixed
    Claim(
        "mixed.dup_auroc",
        "ch4",
        REPRODUCES,
        ex4.ch4_detector,
        [("auroc_top1",)],
        target=">= 0.95",
        claim=(
            "Mixed regime: the top-1 share of h (mean over noisy copies) separates duplicated "
            "from distinct training samples (AUROC, duplicated samples of multiplicity 12 among "
            "200 distinct ones)"
        ),
    ),
    Claim(
        "mixed.dup_stored_cosine_min",
        "ch4",
        REPRODUCES,
        ex4.ch4_multiplicity_sweep,
        [("stored_cos_min",)],
        target=">= 0.95",
        claim=(
            "Every memorized duplicated sample has a decoder column with cosine >= 0.95 to it "
            "(min over all stored samples of the multiplicity sweep)"
        ),
    ),
    Claim(
        "mixed.threshold_agreement",
        "ch4",
        REPRODUCES,
        ex4.ch4_multiplicity_sweep,
        [("agree",)],
        target=">= 0.85",
        claim=(
            "A duplicated sample is stored iff m > m* = n_bulk lam / (||x||^2 - D lam): fraction "
            "of (sample, m, seed) cases of the batched sweep where the trained network agrees"
        ),
    ),
    Claim(
        "mixed.phase_frac_over_mean",
        "ch4",
        REPRODUCES,
        ex4.phase_diagram,
        [("frac_over_mean",)],
        target=">= 0.9",
        claim=(
            "Phase diagram: mean memorized fraction over the cells with p >= n (8 x 8 grid, 3 "
            "seeds)"
        ),
    ),
    Claim(
        "mixed.phase_frac_under_max",
        "ch4",
        REPRODUCES,
        ex4.phase_diagram,
        [("frac_under_max",)],
        target="<= 0.1",
        claim=("Phase diagram: largest memorized fraction over the cells with p <= n / 4"),
    ),
    Claim(
        "mixed.rare_rank_agreement",
        "ch4",
        REPRODUCES,
        ex4.ch4_rare_cluster,
        [("rank_agreement",)],
        target=">= 0.9",
        claim=(
            "Imbalance: a rare cluster of n_k points (n_k in 1..32, rank-8 covariance) next to a "
            "cluster of 200, lam in {0.002, 0.3}: fraction of cases where the rank of the rare "
            "cluster's trained block (singular values above 0.05) equals #{j: n_k s_j > n lam}"
        ),
    ),
    Claim(
        "mixed.rare_span_fraction_min",
        "ch4",
        REPRODUCES,
        ex4.ch4_rare_cluster,
        [("span_fraction_min",)],
        target=">= 0.99",
        claim=(
            "A rare cluster with n_k <= r points is stored sample by sample: share of its "
            "trained block ||P M||_F^2 / ||M||_F^2 inside the span of its n_k training points "
            "(min over the cases with 0 < rank and n_k <= r)"
        ),
    ),
    Claim(
        "mixed.rare_prototype_mse_rel_err",
        "ch4",
        BEYOND,
        ex4.ch4_rare_cluster,
        [("mse_rel_err_big_lam",)],
        target="<= 0.05",
        claim=(
            "At lam = 0.3 the rare cluster dies (n_k s_1 <= n lam) or is kept as its mean alone: "
            "its denoising errors on training and held-out rare points match the block's "
            "closed form ||(M_k - I)x||^2 + sigma^2 ||M_k||_F^2 (max relative error)"
        ),
    ),
    # -------------------- ch05_theorem
    Claim(
        "thm.mask_stability",
        "ch5",
        REPRODUCES,
        ex5.ch5_blocks,
        [("stability",)],
        target=">= 0.99",
        claim=(
            "Default setting (two antipodal clusters, width p much smaller than n, sigma = 0.2): "
            "fraction of noisy training inputs whose ReLU pattern on the alive units equals that "
            "of the clean input"
        ),
    ),
    Claim(
        "thm.block_purity",
        "ch5",
        REPRODUCES,
        ex5.ch5_blocks,
        [("purity",)],
        target=">= 0.95",
        claim=("Default setting: fraction of active units that fire for one cluster only"),
    ),
    Claim(
        "thm.loss_gap_rel",
        "ch5",
        REPRODUCES,
        ex5.ch5_blocks,
        [("loss_gap_rel",)],
        combine="abs",
        target="<= 0.02",
        claim=(
            "Default setting: (exact loss of the trained network - sum of the closed-form per- "
            "cluster optima) / that sum"
        ),
    ),
    Claim(
        "thm.robust_min_purity",
        "ch5",
        REPRODUCES,
        ex5.ch5_robustness,
        [("rows", EACH, "purity")],
        combine="min",
        target=">= 0.9",
        claim=(
            "Minimum block purity over sigma in {0.2, 1, 5} x optimizer in {SGD, Adam, AdamW, "
            "RMSprop}"
        ),
    ),
    Claim(
        "thm.reach_antipodal_gap",
        "ch5",
        REPRODUCES,
        ex5.ch5_reach,
        [("antipodal_gap",)],
        combine="abs",
        target="<= 0.01",
        claim=(
            "Reach sweep, two antipodal clusters (random spread directions): |trained loss - L*| / "
            "L*, the trained loss by plain Monte Carlo paired with the block solution on the same "
            "noise"
        ),
    ),
    Claim(
        "thm.reach_condition_agreement",
        "ch5",
        BEYOND,
        ex5.ch5_reach,
        [("hold_agreement",)],
        target=">= 1",
        claim=(
            "Reach sweep: fraction of the cells where the book's sufficient condition holds (the "
            "block solution factorises into units of its own cluster, and no new unit has sharing "
            "gain kappa > 1) whose trained loss is neither below L* by 3 standard errors nor above "
            "it by 1%"
        ),
    ),
    Claim(
        "thm.reach_condition_cells",
        "ch5",
        BEYOND,
        ex5.ch5_reach,
        [("n_hold",)],
        target=">= 12",
        claim=(
            "Reach sweep: number of cells where the sufficient condition holds; the closed form "
            "predicts every cell with spread directions orthogonal to the means (12 cells)"
        ),
    ),
    Claim(
        "thm.reach_orthogonal_kappa",
        "ch5",
        BEYOND,
        ex5.ch5_reach,
        [("orthogonal_max_kappa",)],
        target="<= 1.000001",
        claim=(
            "Reach sweep, spread directions orthogonal to every mean: largest sharing gain kappa "
            "found for a new unit (the closed form says <= 1 for mean cosines <= 0)"
        ),
    ),
    Claim(
        "thm.reach_closed_form_agreement",
        "ch5",
        BEYOND,
        ex5.ch5_reach,
        [("closed_form_agreement",)],
        target=">= 1",
        claim=(
            "Reach sweep: fraction of cells where the closed-form sharing gain of two clusters "
            "(means at cosine c, spread directions at principal cosine gamma) is > 1 exactly where "
            "the searched kappa is > 1"
        ),
    ),
    Claim(
        "thm.reach_shared_loss_below_Lstar",
        "ch5",
        QUALIFIES,
        ex5.ch5_reach,
        [("n_separable_below",)],
        target=">= 1",
        claim=(
            "Reach sweep: number of (alpha, beta)-separable cells whose trained loss is below the "
            "per-cluster optimum L* by more than 3 standard errors (separability does not make "
            "the block solution the minimiser)"
        ),
    ),
    # -------------------- ch06_diffusion
    Claim(
        "diff.mem_copy_fraction",
        "ch6",
        REPRODUCES,
        ex6.ch6_sampling,
        [("mem", "copy_fraction")],
        target=">= 0.9",
        claim=(
            "The paper's toy diffusion model (tied ReLU denoiser with one learned gain per "
            "unit, p = 256) trained on 5 centred digits samples copies: fraction of 200 "
            "ancestral samples whose direction is 3 times closer to its nearest training digit "
            "than to the second nearest (d1/d2 < 1/3)"
        ),
    ),
    Claim(
        "diff.gen_copy_fraction",
        "ch6",
        REPRODUCES,
        ex6.ch6_sampling,
        [("gen", "copy_fraction")],
        target="<= 0.1",
        claim=(
            "The same model trained on 1500 centred digits does not: fraction of its 200 "
            "samples that are copies (d1/d2 < 1/3)"
        ),
    ),
    Claim(
        "diff.copy_test_false_positive",
        "ch6",
        BEYOND,
        ex6.ch6_calibration,
        [("gen", "ratio_fp")],
        target="<= 0.01",
        claim=(
            "The copy test is not too easy on digits: fraction of 297 held-out real digits that "
            "it calls copies of the 1500 training digits (d1/d2 < 1/3)"
        ),
    ),
    Claim(
        "diff.mem_vs_gen_top1_ratio",
        "ch6",
        REPRODUCES,
        ex6.ch6_sampling,
        [("top1_ratio",)],
        target=">= 2",
        claim=(
            "Spikier representations when memorizing, scale-free: mean top-1 share of the "
            "representation r = ReLU(W^T x) (the paper's rep(), without the gains) at the final "
            "sampling step, memorizing model over generalizing model"
        ),
    ),
    Claim(
        "diff.mem_vs_gen_cv_ratio",
        "ch6",
        REPRODUCES,
        ex6.ch6_std_diagnosis,
        [("cv_ratio",)],
        target=">= 2",
        claim=(
            "Spikier when memorizing, by a scale-free spread statistic: mean coefficient of "
            "variation std(r)/mean(r) at the final samples, memorizing model over generalizing "
            "model"
        ),
    ),
    Claim(
        "diff.mem_vs_gen_spikiness_ratio",
        "ch6",
        QUALIFIES,
        ex6.ch6_std_diagnosis,
        [("std_equal_size_ratio",)],
        target="< 2",
        claim=(
            "The std of r is not a spikiness measure here: std(r) = ||r|| sqrt(p - PR) / p (PR "
            "the participation ratio), a size times a shape factor, so at equal size (r / "
            "||r||) the std ratio memorizing / generalizing stays below 2 unless generalized "
            "samples spread evenly over 3/4 of the 256 units (mean std of r / ||r|| at the "
            "final samples; as sampled the ratio is this times the ratio of sizes)"
        ),
    ),
    # -------------------- ch07_jacobians
    Claim(
        "jac.mem_eff_rank",
        "ch7",
        REPRODUCES,
        ex7.ch7_unet_jacobians,
        [("mem_median_erank",)],
        target="<= 3",
        claim=(
            "Memorizing UNet (32 digits) at noisy copies of its training digits (sigma = 0.2): "
            "median effective rank of the denoiser's Jacobian (number of singular values >= "
            "1/2)"
        ),
    ),
    Claim(
        "jac.mem_out_own_fraction",
        "ch7",
        BEYOND,
        ex7.ch7_unet_jacobians,
        [("mem_out_own_fraction",)],
        target=">= 0.9",
        claim=(
            "Paired with jac.mem_eff_rank, which a constant function would also meet: at the same "
            "noisy copies the memorizing UNet's output is nearest (centred cosine) to the input's "
            "own training digit (fraction of the 32 inputs; a constant function: at most 1/32)"
        ),
    ),
    Claim(
        "jac.gen_eff_rank",
        "ch7",
        REPRODUCES,
        ex7.ch7_unet_jacobians,
        [("gen_median_erank",)],
        target=">= 10",
        claim=(
            "Generalizing UNet (1597 digits) at noisy held-out digits (sigma = 0.2): median "
            "effective rank of the Jacobian (number of singular values >= 1/2)"
        ),
    ),
    Claim(
        "jac.mem_flat_top_sv",
        "ch7",
        QUALIFIES,
        ex7.ch7_unet_jacobians,
        [("mem_median_s1",)],
        target="<= 0.5",
        claim=(
            "A memorizing denoiser WITH biases has a flat Jacobian at its memorized inputs, not "
            "the paper's rank-one Jacobian along the stored image: median largest singular "
            "value of the memorizing UNet's Jacobian at noisy copies of its 32 training digits "
            "(sigma = 0.2). The empirical denoiser's bound (posterior covariance over sigma^2) "
            "is ~0 at these inputs; a ray-storing denoiser needs s1 >= ||x_i|| / ||y|| (median "
            "~0.97); target: the gain-1/2 threshold between the two"
        ),
    ),
    Claim(
        "jac.dae_mem_top_sv_cosine",
        "ch7",
        REPRODUCES,
        ex7.ch7_dae_jacobians,
        [("mem_median_cos",)],
        target=">= 0.9",
        claim=(
            "Memorizing two-layer DAE (chapter 2 setting: p = n = 6 separable digits) at noisy "
            "training digits: median |cosine| between the top singular vector of J = W2 D(y) "
            "W1^T and the stored digit (a bias-free network stores a ray, so J = r_i^2 x_i "
            "x_i^T)"
        ),
    ),
    Claim(
        "jac.bf_mem_top_sv_cosine",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("mem_median_cos",)],
        target=">= 0.9",
        claim=(
            "Bias-free UNet (no additive constants, so D(ty) = t D(y)) trained on the same 32 "
            "digits, at the same noisy copies (sigma = 0.2): median |cosine| between the top "
            "singular vector of its Jacobian and the stored digit (it stores rays, like the "
            "DAE)"
        ),
    ),
    Claim(
        "jac.bf_mem_top_sv",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("mem_median_s1",)],
        target=">= 0.5",
        claim=(
            "The same bias-free memorizing UNet passes the stored direction: median largest "
            "singular value of its Jacobian at the noisy copies (the UNet with biases: near "
            "zero)"
        ),
    ),
    Claim(
        "jac.bf_mem_eff_rank",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("mem_median_erank",)],
        target="<= 3",
        claim=(
            "Bias-free memorizing UNet at the noisy copies: median effective rank (singular "
            "values >= 1/2)"
        ),
    ),
    Claim(
        "jac.bf_mem_out_own_fraction",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("mem_out_own_fraction",)],
        target=">= 0.9",
        claim=(
            "Paired with jac.bf_mem_eff_rank: the bias-free memorizing UNet's output at the noisy "
            "copies is nearest to the input's own training digit (fraction of the 32 inputs; a "
            "constant function: at most 1/32)"
        ),
    ),
    Claim(
        "jac.bf_gen_eff_rank",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("gen_median_erank",)],
        target=">= 10",
        claim=(
            "Bias-free UNet trained on the 1597 digits, at the same noisy held-out digits: "
            "median effective rank"
        ),
    ),
    Claim(
        "jac.bf_euler_rel_err",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_jacobians,
        [("euler_max_rel_err",)],
        target="<= 1e-4",
        claim=(
            "Euler's identity for the bias-free UNets: max over all inputs of both models of "
            "||J(y) y - D(y)|| / ||D(y)||"
        ),
    ),
    Claim(
        "jac.bf_mem_top_sv_cosine_sigma05",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_sweep,
        [("mem_cos", At("sigmas", 0.5))],
        target=">= 0.9",
        claim=(
            "Bias-free memorizing UNet at noisy copies of its digits at sigma = 0.5 (fresh "
            "noise): the top singular vector is still the stored digit, median |cosine|"
        ),
    ),
    Claim(
        "jac.bf_mem_u1_in_differences_sigma1",
        "ch7",
        BEYOND,
        ex7.ch7_bias_free_sweep,
        [("mem_u1_in_differences", At("sigmas", 1.0))],
        target=">= 0.9",
        claim=(
            "The same model at sigma = 1: median fraction of the top singular vector's norm in "
            "the span of the differences x_j - x_i to the other stored digits (the posterior- "
            "covariance directions; a random direction: about 0.7)"
        ),
    ),
    Claim(
        "jac.dit_mem_copy_fraction",
        "ch7",
        BEYOND,
        ex7.ch7_dit_jacobians,
        [("mem_copy_fraction",)],
        target=">= 0.9",
        claim=(
            "A transformer denoiser (diffusers DiTTransformer2DModel, 2 blocks of width 32, 2x2 "
            "patches, EDM-style training as the UNets) trained on 8 digits memorizes: fraction "
            "of 100 probability-flow samples that copy a training digit (d1/d2 < 1/3)"
        ),
    ),
    Claim(
        "jac.dit_mem_eff_rank",
        "ch7",
        REPRODUCES,
        ex7.ch7_dit_jacobians,
        [("mem_median_erank",)],
        target="<= 3",
        claim=(
            "The memorizing DiT at noisy copies of its 8 training digits (sigma = 0.2): median "
            "effective rank of its Jacobian (singular values >= 1/2)"
        ),
    ),
    Claim(
        "jac.dit_gen_eff_rank",
        "ch7",
        REPRODUCES,
        ex7.ch7_dit_jacobians,
        [("gen_median_erank",)],
        target=">= 10",
        claim=(
            "The same DiT trained on the 1597 digits of the pool, at noisy held-out digits: "
            "median effective rank (the Gaussian denoiser of the pool passes 39 directions "
            "here; the bar is the UNets')"
        ),
    ),
    Claim(
        "jac.dit_mem_flat_top_sv",
        "ch7",
        QUALIFIES,
        ex7.ch7_dit_jacobians,
        [("mem_median_s1",)],
        target="<= 0.5",
        claim=(
            "The memorizing DiT has biases and layer norms, so, like the UNet, it stores "
            "points: a flat Jacobian at its memorized inputs, median largest singular value "
            "below the gain-1/2 threshold (a ray-storing denoiser would need s1 >= ||x_i|| / "
            "||y||, median 0.98 at these inputs)"
        ),
    ),
    Claim(
        "jac.dit_mem_out_cos",
        "ch7",
        BEYOND,
        ex7.ch7_dit_jacobians,
        [("mem_median_out_cos",)],
        target=">= 0.9",
        claim=(
            "Its low rank is not a constant function: at the noisy copies the memorizing DiT "
            "returns each input's own stored digit (median cosine of output and digit, both "
            "centred)"
        ),
    ),
    Claim(
        "jac.randomized_sv_rel_err",
        "ch7",
        BEYOND,
        ex7.ch7_randomized,
        [("max_rel_err",)],
        target="<= 0.05",
        claim=(
            "Randomized top-8 SVD from VJPs vs the full Jacobian of the generalizing UNet on a "
            "32x32 input (d = 1024): max relative error of the top 8 singular values"
        ),
    ),
    # -------------------- ch08_applications
    Claim(
        "detect.auroc",
        "ch8",
        REPRODUCES,
        ex8.detection_table,
        [("rows", Where("method", ex8.SPIKINESS), "auroc")],
        target=">= 0.95",
        claim=(
            "Class-conditional digit UNet with 16 images duplicated 40 times under prompts of "
            "their own: AUROC of the prompt-free spikiness score (std of the max-pooled last "
            "up- block-0 SiLU activation, sigma = 0.2) separating generated copies of training "
            "images from novel samples"
        ),
    ),
    Claim(
        "detect.tpr_at_1fpr",
        "ch8",
        REPRODUCES,
        ex8.detection_table,
        [("rows", Where("method", ex8.SPIKINESS), "tpr")],
        target=">= 0.5",
        claim=(
            "Same benchmark: true positive rate of the spikiness score at 1% false positive "
            "rate (threshold = 99th percentile of the novel samples' scores)"
        ),
    ),
    Claim(
        "detect.norm_auroc",
        "ch8",
        BEYOND,
        ex8.detection_statistics,
        [("rows", Where("statistic", "norm"), "auroc")],
        target=">= 0.95",
        claim=(
            "The detector works through the SIZE of the pooled vector: its Euclidean norm alone "
            "separates the copies from the novel samples at the std's own bar (AUROC; same "
            "samples, layer, sigma and max pooling as detect.auroc)"
        ),
    ),
    Claim(
        "detect.cv_auroc",
        "ch8",
        QUALIFIES,
        ex8.detection_statistics,
        [("rows", Where("statistic", "cv"), "auroc")],
        target="<= 0.56",
        claim=(
            "Not through its SHAPE, as the paper's 'spiky' reading has it: the scale-free "
            "std/mean of the same vector does not separate copies better than chance (AUROC; "
            "target 1/2 + 2 standard errors of the null AUROC for 128 copies and 400 novel "
            "samples; below 1/2 if a copy's vector is flatter)"
        ),
    ),
    Claim(
        "detect.speedup_vs_slowest_baseline",
        "ch8",
        REPRODUCES,
        ex8.detection_table,
        [("speedup_vs_slowest",)],
        target=">= 5",
        claim=(
            "Same benchmark: time per sample of the slowest baseline (local intrinsic dimension "
            "from the full Jacobian) over that of the spikiness score, measured in one run"
        ),
    ),
    Claim(
        "steer.gen_over_mem_response",
        "ch8",
        REPRODUCES,
        ex8.steering,
        [("ratio",)],
        target=">= 3",
        claim=(
            "Steering towards 'bold' (mean pooled-representation difference of bold and thin "
            "digits, alpha = 2, added to three decoder blocks mid-sampling): mean change of a "
            "bold-vs-thin classifier's logit for generalized samples over that for memorized "
            "samples"
        ),
    ),
]


def _check_unique(claims: list[Claim]) -> None:
    ids = [c.id for c in claims]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids {sorted(dup)}")


_check_unique(CLAIMS)


def select(ids: list[str] | None = None) -> list[Claim]:
    """The claims whose id or chapter ("ch1" ... "ch8") is in ``ids`` (all when None)."""
    if not ids:
        return list(CLAIMS)
    known = {c.id for c in CLAIMS} | {c.chapter for c in CLAIMS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"unknown claim id or chapter {unknown}; choose from: {sorted(known)}")
    return [c for c in CLAIMS if c.id in ids or c.chapter in ids]


#: The fields of a row of ``--json``.
FIELDS = ("id", "claim", "value", "target", "holds", "verdict")


def evaluate(ids: list[str] | None = None, *, progress: bool = False) -> list[dict]:
    """Compute the claims (all, or those whose id or chapter is in ``ids``).

    Returns a list of dicts with the keys of :data:`FIELDS` plus ``chapter``, ``doc`` (the page
    that computes the claim) and ``seconds``.
    """
    rows = []
    for c in select(ids):
        if progress:
            print(f"computing {c.id} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        value = value_of(c)
        rows.append(
            {
                "id": c.id,
                "claim": c.claim,
                "value": value,
                "target": c.target,
                "holds": holds(value, c.target),
                "verdict": c.verdict,
                "chapter": c.chapter,
                "doc": c.doc,
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m memgen.scorecard", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    parser.add_argument(
        "--only", action="append", metavar="ID", help="claim id or chapter, e.g. ch1 (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        rows = evaluate(args.only, progress=not args.json)
    except ValueError as err:
        parser.error(str(err))
    if args.json:
        print(json.dumps([{k: r[k] for k in FIELDS} for r in rows], indent=2))
    else:
        for r in rows:
            mark = "ok  " if r["holds"] else "FAIL"
            print(
                f"{mark} {r['id']:<40} {r['value']:<12.4g} target {r['target']:<10} "
                f"{r['verdict']:<10} ({r['seconds']} s)"
            )
    return 0 if all(r["holds"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
