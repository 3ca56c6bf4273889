"""The reproduction scorecard: every quantitative claim of the book, recomputed.

Each claim has an ``id`` (``ch1.linear_identity_rel_err``), a sentence, a ``target`` such as
``"<= 0.02"`` and a function that computes its ``value`` with the same library code the chapter
uses (:mod:`memgen.experiments`). ``holds`` says whether the value meets the target.

Run ``python -m memgen.scorecard --json`` for the JSON list, or without ``--json`` for a table.
The book's scorecard appendix renders the same table from :func:`evaluate`.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import sys
import time
from dataclasses import dataclass
from html import escape
from typing import Callable

from . import ch01_denoising as ex1
from . import ch02_memorization as ex2
from . import ch03_generalization as ex3
from . import ch04_mixed as ex4
from . import ch05_theorem as ex5
from . import ch06_diffusion as ex6

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Claim:
    id: str
    chapter: str
    claim: str
    target: str
    compute: Callable[[bool], float]


CLAIMS: list[Claim] = []


def claim(id: str, chapter: str, text: str, target: str):
    """Register ``fn(quick) -> float`` as the computation behind a claim."""
    _parse_target(target)

    def register(fn: Callable[[bool], float]) -> Callable[[bool], float]:
        if any(c.id == id for c in CLAIMS):
            raise ValueError(f"duplicate claim id {id!r}")
        CLAIMS.append(Claim(id, chapter, text, target, fn))
        return fn

    return register


def _parse_target(target: str) -> tuple[Callable[[float, float], bool], float]:
    for sym in ("<=", ">=", "<", ">"):  # two-character operators first
        if target.startswith(sym):
            return _OPS[sym], float(target[len(sym):])
    raise ValueError(f"target must look like '<= 0.02' or '>= 0.95', got {target!r}")


def holds(value: float, target: str) -> bool:
    """Whether ``value`` meets ``target`` (NaN never does)."""
    op, threshold = _parse_target(target)
    return bool(value is not None and not math.isnan(value) and op(value, threshold))


# ---------------------------------------------------------------- chapter 1: the denoising objective


@claim(
    "ch1.linear_identity_rel_err",
    "ch1",
    "Monte Carlo estimate of E||M(x + sigma eps) - x||^2 agrees with ||(M - I)x||^2 + sigma^2 ||M||_F^2 "
    "(relative error)",
    "<= 0.02",
)
def _(quick: bool) -> float:
    return ex1.ch1_linear_identity()["rel_err"]


@claim(
    "ch1.tweedie_score_max_abs_err",
    "ch1",
    "Tweedie: (f_emp(y) - y) / sigma^2 equals the autograd gradient of log p_sigma(y) (max abs error)",
    "<= 1e-4",
)
def _(quick: bool) -> float:
    return ex1.ch1_tweedie_check()["max_abs_err"]


@claim(
    "ch1.empirical_denoiser_memorizes",
    "ch1",
    "Sampling with the empirical optimal denoiser returns training points: fraction of samples whose "
    "nearest training digit is closer than a tenth of the data's typical spacing",
    ">= 0.95",
)
def _(quick: bool) -> float:
    return ex1.ch1_empirical_sampling()["fraction_memorized"]


# ---------------------------------------------------------------- chapter 2: memorization


@claim(
    "mem.cosine_min",
    "ch2",
    "p >= n on separable digits: every surviving encoder column is a stored training sample "
    "(min over units of the cosine to its sample, p = 2n)",
    ">= 0.99",
)
def _(quick: bool) -> float:
    r = ex2.ch2_memorization()
    return min(r[ex2.CH2["p"]]["cosine_min"], r[ex2.CH2["p_exact"]]["cosine_min"])


@claim(
    "mem.r_rel_err_max",
    "ch2",
    "The gain of the units active on x_i along x_i equals (||x_i||^2 - n lam) / (||x_i||^2 + sigma^2), "
    "i.e. r_i^2 = that / ||x_i||_2^2 (max relative error over samples, p = n and p = 2n)",
    "<= 0.05",
)
def _(quick: bool) -> float:
    r = ex2.ch2_memorization()
    return max(float(r[p]["gain_rel_err"].max()) for p in (ex2.CH2["p"], ex2.CH2["p_exact"]))


@claim(
    "mem.top1_share_mean",
    "ch2",
    "Spiky representations: mean top-1 share of h on noisy training inputs (units storing the same "
    "sample counted as one; p = 2n)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return ex2.ch2_memorization()[ex2.CH2["p"]]["top1_grouped"]


# ---------------------------------------------------------------- chapter 3: generalization


@claim(
    "gen.block_rel_err",
    "ch3",
    "p << n on a separable Gaussian mixture: ||W2 W1^T - sum_k M_k||_F / ||sum_k M_k||_F with M_k the "
    "per-cluster Wiener filter with threshold n lam / n_k",
    "<= 0.05",
)
def _(quick: bool) -> float:
    return ex3.ch3_gmm_blocks()["block_rel_err"]


@claim(
    "gen.top1_share_mean",
    "ch3",
    "Balanced representations: mean top-1 share of h on noisy samples of the mixture",
    "<= 0.5",
)
def _(quick: bool) -> float:
    return ex3.ch3_gmm_blocks()["top1_mean"]


@claim(
    "gen.psnr_gain_db",
    "ch3",
    "On unseen digits, a width-16 DAE trained on 1000 digits denoises better than one of the same width "
    "trained on 16 (mean PSNR difference, dB)",
    "> 0",
)
def _(quick: bool) -> float:
    r = ex3.ch3_digits()
    return r["psnr_gen"] - r["psnr_mem"]


# ---------------------------------------------------------------- chapter 4: the mixed regime (ids mixed.*, phase.*)

@claim(
    "mixed.dup_auroc",
    "ch4",
    "Mixed regime: the top-1 share of h (mean over noisy copies) separates duplicated from distinct "
    "training samples (AUROC, duplicated samples of multiplicity 12 among 200 distinct ones)",
    ">= 0.95",
)
def _(quick: bool) -> float:
    return ex4.ch4_detector()["auroc_top1"]


@claim(
    "mixed.dup_stored_cosine_min",
    "ch4",
    "Every memorized duplicated sample has a decoder column with cosine >= 0.95 to it (min over all "
    "stored samples of the multiplicity sweep)",
    ">= 0.95",
)
def _(quick: bool) -> float:
    return ex4.ch4_multiplicity_sweep()["stored_cos_min"]


@claim(
    "mixed.threshold_agreement",
    "ch4",
    "A duplicated sample is stored iff m > m* = n_bulk lam / (||x||^2 - D lam): fraction of (sample, m, "
    "seed) cases of the batched sweep where the trained network agrees",
    ">= 0.85",
)
def _(quick: bool) -> float:
    return ex4.ch4_multiplicity_sweep()["agree"]


@claim(
    "mixed.phase_frac_over_mean",
    "ch4",
    "Phase diagram: mean memorized fraction over the cells with p >= n (8 x 8 grid, 3 seeds)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return ex4.phase_diagram()["frac_over_mean"]


@claim(
    "mixed.phase_frac_under_max",
    "ch4",
    "Phase diagram: largest memorized fraction over the cells with p <= n / 4",
    "<= 0.1",
)
def _(quick: bool) -> float:
    return ex4.phase_diagram()["frac_under_max"]


# ---------------------------------------------------------------- chapter 5: the block-structure theorem (ids thm.*)

# (chapter 5 claims go here)


@claim(
    "thm.mask_stability",
    "ch5",
    "Default setting (two antipodal clusters, width p much smaller than n, sigma = 0.2): fraction of noisy "
    "training inputs whose ReLU pattern on the alive units equals that of the clean input",
    ">= 0.99",
)
def _(quick: bool) -> float:
    return ex5.ch5_blocks()["stability"]


@claim(
    "thm.block_purity",
    "ch5",
    "Default setting: fraction of active units that fire for one cluster only",
    ">= 0.95",
)
def _(quick: bool) -> float:
    return ex5.ch5_blocks()["purity"]


@claim(
    "thm.loss_gap_rel",
    "ch5",
    "Default setting: (exact loss of the trained network - sum of the closed-form per-cluster optima) / "
    "that sum",
    "<= 0.02",
)
def _(quick: bool) -> float:
    return abs(ex5.ch5_blocks()["loss_gap_rel"])


@claim(
    "thm.robust_min_purity",
    "ch5",
    "Minimum block purity over sigma in {0.2, 1, 5} x optimizer in {SGD, Adam, AdamW, RMSprop}",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return min(r["purity"] for r in ex5.ch5_robustness()["rows"])


# ---------------------------------------------------------------- chapter 6: a toy diffusion model (ids diff.*)



@claim(
    "diff.mem_copy_fraction",
    "ch6",
    "A toy diffusion model (tied ReLU denoiser with a learned gain of sigma, p = 256) trained on 5 centred "
    "digits samples copies: fraction of 200 ancestral samples whose direction is 3 times closer to its "
    "nearest training digit than to the second nearest (d1/d2 < 1/3)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return ex6.ch6_sampling()["mem"]["copy_fraction"]


@claim(
    "diff.gen_copy_fraction",
    "ch6",
    "The same model trained on 1500 centred digits does not: fraction of its 200 samples that are copies "
    "(d1/d2 < 1/3)",
    "<= 0.1",
)
def _(quick: bool) -> float:
    return ex6.ch6_sampling()["gen"]["copy_fraction"]


@claim(
    "diff.copy_test_false_positive",
    "ch6",
    "The copy test is not too easy on digits: fraction of 297 held-out real digits that it calls copies of "
    "the 1500 training digits (d1/d2 < 1/3)",
    "<= 0.01",
)
def _(quick: bool) -> float:
    return ex6.ch6_calibration()["gen"]["ratio_fp"]


@claim(
    "diff.mem_vs_gen_spikiness_ratio",
    "ch6",
    "Spikier representations when memorizing: mean std of h at the final sampling step, memorizing model "
    "over generalizing model (the std is not scale-free: ||h||^2 = a(sigma) x^T (D - s x), see chapter 6)",
    ">= 2",
)
def _(quick: bool) -> float:
    return ex6.ch6_sampling()["std_ratio"]


@claim(
    "diff.mem_vs_gen_top1_ratio",
    "ch6",
    "Spikier representations when memorizing, scale-free: mean top-1 share of h at the final sampling step, "
    "memorizing model over generalizing model",
    ">= 2",
)
def _(quick: bool) -> float:
    return ex6.ch6_sampling()["top1_ratio"]


@claim(
    "diff.mem_vs_gen_cv_ratio",
    "ch6",
    "Spikier when memorizing, by a scale-free spread statistic: mean coefficient of variation std(h)/mean(h) "
    "at the final samples (smallest noise level), memorizing model over generalizing model",
    ">= 2",
)
def _(quick: bool) -> float:
    return ex6.ch6_std_diagnosis()["cv_ratio"]


# ---------------------------------------------------------------- chapter 7: Jacobians of real denoisers (ids jac.*)

# (chapter 7 claims go here)


@claim(
    "jac.mem_eff_rank",
    "ch7",
    "Memorizing UNet (32 digits) at noisy copies of its training digits (sigma = 0.2): median effective "
    "rank of the denoiser's Jacobian (number of singular values >= 1/2)",
    "<= 3",
)
def _(quick: bool) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_unet_jacobians()["mem_median_erank"]


@claim(
    "jac.gen_eff_rank",
    "ch7",
    "Generalizing UNet (1597 digits) at noisy held-out digits (sigma = 0.2): median effective rank of "
    "the Jacobian (number of singular values >= 1/2)",
    ">= 10",
)
def _(quick: bool) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_unet_jacobians()["gen_median_erank"]


@claim(
    "jac.mem_top_sv_cosine",
    "ch7",
    "Memorizing UNet at noisy copies of its training digits (sigma = 0.2): median |cosine| between the top "
    "singular vector of its Jacobian and the stored digit. The paper's contrast predicts >= 0.9; the book "
    "measures that it does NOT hold for a denoiser with biases, whose Jacobian at a memorized point is "
    "nearly zero in every direction (chapter 7 derives why; the same UNet without biases, "
    "jac.bf_mem_top_sv_cosine, has the predicted rank-one Jacobian)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_unet_jacobians()["mem_median_cos"]


@claim(
    "jac.dae_mem_top_sv_cosine",
    "ch7",
    "Memorizing two-layer DAE (chapter 2 setting: p = n = 6 separable digits) at noisy training digits: "
    "median |cosine| between the top singular vector of J = W2 D(y) W1^T and the stored digit (a bias-free "
    "network stores a ray, so J = r_i^2 x_i x_i^T)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_dae_jacobians()["mem_median_cos"]


def _bf(key: str) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_bias_free_jacobians()[key]


@claim(
    "jac.bf_mem_top_sv_cosine",
    "ch7",
    "Bias-free UNet (no additive constants, so D(ty) = t D(y)) trained on the same 32 digits, at the same "
    "noisy copies (sigma = 0.2): median |cosine| between the top singular vector of its Jacobian and the "
    "stored digit (it stores rays, like the DAE)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return _bf("mem_median_cos")


@claim(
    "jac.bf_mem_top_sv",
    "ch7",
    "The same bias-free memorizing UNet passes the stored direction: median largest singular value of its "
    "Jacobian at the noisy copies (the UNet with biases: near zero)",
    ">= 0.5",
)
def _(quick: bool) -> float:
    return _bf("mem_median_s1")


@claim(
    "jac.bf_mem_eff_rank",
    "ch7",
    "Bias-free memorizing UNet at the noisy copies: median effective rank (singular values >= 1/2)",
    "<= 3",
)
def _(quick: bool) -> float:
    return _bf("mem_median_erank")


@claim(
    "jac.bf_gen_eff_rank",
    "ch7",
    "Bias-free UNet trained on the 1597 digits, at the same noisy held-out digits: median effective rank",
    ">= 10",
)
def _(quick: bool) -> float:
    return _bf("gen_median_erank")


@claim(
    "jac.bf_euler_rel_err",
    "ch7",
    "Euler's identity for the bias-free UNets: max over all inputs of both models of "
    "||J(y) y - D(y)|| / ||D(y)||",
    "<= 1e-4",
)
def _(quick: bool) -> float:
    return _bf("euler_max_rel_err")


def _bf_sweep(key: str, sigma: float) -> float:
    from . import ch07_jacobians as ex7

    r = ex7.ch7_bias_free_sweep()
    return r[key][r["sigmas"].index(sigma)]


@claim(
    "jac.bf_mem_top_sv_cosine_sigma05",
    "ch7",
    "Bias-free memorizing UNet at noisy copies of its digits at sigma = 0.5 (fresh noise): the top singular "
    "vector is still the stored digit, median |cosine|",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return _bf_sweep("mem_cos", 0.5)


@claim(
    "jac.bf_mem_u1_in_differences_sigma1",
    "ch7",
    "The same model at sigma = 1: median fraction of the top singular vector's norm in the span of the "
    "differences x_j - x_i to the other stored digits (the posterior-covariance directions; a random "
    "direction: about 0.7)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return _bf_sweep("mem_u1_in_differences", 1.0)


@claim(
    "jac.randomized_sv_rel_err",
    "ch7",
    "Randomized top-8 SVD from VJPs vs the full Jacobian of the generalizing UNet on a 32x32 input "
    "(d = 1024): max relative error of the top 8 singular values",
    "<= 0.05",
)
def _(quick: bool) -> float:
    from . import ch07_jacobians as ex7

    return ex7.ch7_randomized()["max_rel_err"]


# ---------------------------------------------------------------- chapter 8: detection and steering (ids detect.*, steer.*)


@claim(
    "detect.auroc",
    "ch8",
    "Class-conditional digit UNet with 16 images duplicated 40 times under prompts of their own: AUROC of "
    "the prompt-free spikiness score (std of the max-pooled last up-block-0 SiLU activation, sigma = 0.2) "
    "separating generated copies of training images from novel samples",
    ">= 0.95",
)
def _(quick: bool) -> float:
    from . import ch08_applications as ex8

    return ex8.detection_table()["rows"][0]["auroc"]


@claim(
    "detect.tpr_at_1fpr",
    "ch8",
    "Same benchmark: true positive rate of the spikiness score at 1% false positive rate (threshold = 99th "
    "percentile of the novel samples' scores)",
    ">= 0.5",
)
def _(quick: bool) -> float:
    from . import ch08_applications as ex8

    return ex8.detection_table()["rows"][0]["tpr"]


@claim(
    "detect.speedup_vs_slowest_baseline",
    "ch8",
    "Same benchmark: time per sample of the slowest baseline (local intrinsic dimension from the full "
    "Jacobian) over that of the spikiness score, measured in one run",
    ">= 5",
)
def _(quick: bool) -> float:
    from . import ch08_applications as ex8

    return ex8.detection_table()["speedup_vs_slowest"]


@claim(
    "steer.gen_over_mem_response",
    "ch8",
    "Steering towards 'bold' (mean pooled-representation difference of bold and thin digits, alpha = 2, "
    "added to three decoder blocks mid-sampling): mean change of a bold-vs-thin classifier's logit for "
    "generalized samples over that for memorized samples",
    ">= 3",
)
def _(quick: bool) -> float:
    from . import ch08_applications as ex8

    return ex8.steering()["ratio"]


# ---------------------------------------------------------------- evaluation and command line


def evaluate(ids: list[str] | None = None, *, quick: bool = True, progress: bool = False) -> list[dict]:
    """Compute the claims (all, or those whose id or chapter prefix is in ``ids``).

    Returns a list of dicts with keys ``id``, ``claim``, ``value``, ``target``, ``holds``, ``seconds``.
    """
    chosen = CLAIMS
    if ids:
        known = {c.id for c in CLAIMS} | {c.chapter for c in CLAIMS}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"unknown claim id or chapter {unknown}; choose from: {sorted(known)}")
        chosen = [c for c in CLAIMS if c.id in ids or c.chapter in ids]
    rows = []
    for c in chosen:
        if progress:
            print(f"computing {c.id} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        value = float(c.compute(quick))
        rows.append(
            {
                "id": c.id,
                "claim": c.claim,
                "value": value,
                "target": c.target,
                "holds": holds(value, c.target),
                "seconds": round(time.perf_counter() - t0, 3),
            }
        )
    return rows


#: Column widths of the appendix table: it must fit the page, so that "holds" is visible without
#: scrolling sideways (long ids wrap anywhere; targets do not wrap).
_HTML_COLUMNS = (("id", "24%"), ("claim", "46%"), ("value", "11%"), ("target", "10%"), ("holds", "9%"))


def _breakable(name: str) -> str:
    """``name`` escaped, with line-break opportunities after its dots and underscores."""
    return escape(name).replace(".", ".<wbr>").replace("_", "_<wbr>")


def to_html(rows: list[dict]) -> str:
    """An HTML table of the rows, for the book's appendix (fixed layout, fits the page width)."""
    cols = "".join(f'<col style="width: {w}">' for _, w in _HTML_COLUMNS)
    head = "<tr>" + "".join(f"<th>{name}</th>" for name, _ in _HTML_COLUMNS) + "</tr>"
    body = "".join(
        f'<tr><td><code style="overflow-wrap: anywhere">{_breakable(r["id"])}</code></td><td>{escape(r["claim"])}</td>'
        f'<td>{r["value"]:.4g}</td><td style="white-space: nowrap">{escape(r["target"])}</td>'
        f"<td>{'&#10004; yes' if r['holds'] else '&#10008; NO'}</td></tr>"
        for r in rows
    )
    return (f'<table class="table memgen-scorecard" style="table-layout: fixed; width: 100%">'
            f"<colgroup>{cols}</colgroup><thead>{head}</thead><tbody>{body}</tbody></table>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memgen.scorecard", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    parser.add_argument("--full", action="store_true", help="full-size experiments instead of the quick mode")
    parser.add_argument("--only", action="append", metavar="ID", help="claim id or chapter (repeatable)")
    args = parser.parse_args(argv)
    try:
        rows = evaluate(args.only, quick=not args.full, progress=not args.json)
    except ValueError as err:
        parser.error(str(err))
    if args.json:
        print(json.dumps([{k: r[k] for k in ("id", "claim", "value", "target", "holds")} for r in rows], indent=2))
    else:
        for r in rows:
            mark = "ok  " if r["holds"] else "FAIL"
            print(f"{mark} {r['id']:<40} {r['value']:<12.4g} target {r['target']:<10} ({r['seconds']} s)")
    return 0 if all(r["holds"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
