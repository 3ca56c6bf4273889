"""The scorecard appendix: the rows of :func:`memgen.experiments.scorecard.evaluate` as HTML.

:func:`to_html` groups the rows by chapter, under a heading that links to the chapter. Each row
shows the claim with typeset math, its value and target, its verdict (reproduces, qualifies,
beyond) and whether it holds, and links to the section of the chapter that computes it. Below
:data:`memgen.css`'s breakpoint the rows become stacked cards (``_theme/memgen.css``).

Two tables here belong to the page, not to the claims, so the scorecard's JSON stays as it is:

- :data:`CLAIM_TEX`: each claim's sentence with its math in TeX (``$...$``), the same sentence as
  the ASCII ``claim`` of the JSON (a test checks that both hold the same numbers);
- :data:`SECTIONS`: the label of the chapter section that computes each claim, and its title (a
  test checks that the chapter has that label on that heading).

Views import no experiment: the rows come in as dicts with at least ``id``, ``claim``, ``value``,
``target`` and ``holds`` (and, from ``evaluate``, ``verdict``, ``chapter`` and ``doc``).
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["CLAIM_TEX", "SECTIONS", "VERDICT_TEXT", "anchor", "tex_html", "to_html"]

#: What each verdict means, as the table's legend says it.
VERDICT_TEXT = {
    "reproduces": "a claim of the paper, reproduced",
    "qualifies": "a claim of the paper (or a prediction drawn from it) that does not hold as "
    "stated; the row says what does",
    "beyond": "not in the paper: the book's own checks and findings",
}

#: Claim id -> (label of the section that computes it, the section's title).
SECTIONS = {
    "ch1.linear_identity_rel_err": ("ch1-risk-identity", "A linear warm-up: the risk identity"),
    "ch1.tweedie_score_max_abs_err": ("ch1-empirical", "The empirical optimal denoiser"),
    "ch1.empirical_denoiser_memorizes": (
        "ch1-sampling",
        "Sampling with the empirical denoiser returns training data",
    ),
    "mem.cosine_min": ("ch2-trained", "Trained networks find it"),
    "mem.r_rel_err_max": ("ch2-constant", r"The constant: $\norm{x}_2^4$, not $\norm{x}_4^4$"),
    "mem.top1_share_mean": ("ch2-spiky", "Spiky representations"),
    "gen.block_rel_err": ("ch3-mixture", "Checking it on a Gaussian mixture"),
    "gen.top1_share_mean": ("ch3-balanced", "Balanced representations"),
    "gen.psnr_vs_block_db": ("ch3-digits", "Real images: eigen-digits and better denoising"),
    "gen.psnr_below_block_ceiling_db": (
        "ch3-digits",
        "Real images: eigen-digits and better denoising",
    ),
    "gen.threshold_dead_directions_match": (
        "ch3-threshold-at-work",
        "The threshold at work: small clusters lose directions first",
    ),
    "gen.threshold_spectrum_rel_err": (
        "ch3-threshold-at-work",
        "The threshold at work: small clusters lose directions first",
    ),
    "mem.rotation_r_rel_change": (
        "ch2-constant",
        r"The constant: $\norm{x}_2^4$, not $\norm{x}_4^4$",
    ),
    "mixed.rare_rank_agreement": ("ch4-rare", "Imbalance: a rare cluster"),
    "mixed.rare_span_fraction_min": ("ch4-rare", "Imbalance: a rare cluster"),
    "mixed.rare_prototype_mse_rel_err": ("ch4-rare", "Imbalance: a rare cluster"),
    "mixed.dup_auroc": ("ch4-detector", "Spikiness as a detector"),
    "mixed.dup_stored_cosine_min": (
        "ch4-threshold",
        "Checking the threshold: a batched sweep over $m$",
    ),
    "mixed.threshold_agreement": (
        "ch4-threshold",
        "Checking the threshold: a batched sweep over $m$",
    ),
    "mixed.phase_frac_over_mean": ("ch4-phase", "The phase diagram"),
    "mixed.phase_frac_under_max": ("ch4-phase", "The phase diagram"),
    "thm.mask_stability": ("ch5-measurements", "Measurements on the trained network"),
    "thm.block_purity": ("ch5-measurements", "Measurements on the trained network"),
    "thm.loss_gap_rel": ("ch5-step3", "Step 3: each block is solved by the per-cluster solution"),
    "thm.robust_min_purity": ("ch5-robustness", "Robustness: noise level and optimizer"),
    "thm.reach_antipodal_gap": ("ch5-reach", "How far the theorem reaches"),
    "thm.reach_condition_agreement": ("ch5-reach", "How far the theorem reaches"),
    "thm.reach_condition_cells": ("ch5-reach", "How far the theorem reaches"),
    "thm.reach_orthogonal_kappa": ("ch5-reach", "How far the theorem reaches"),
    "thm.reach_closed_form_agreement": ("ch5-reach", "How far the theorem reaches"),
    "thm.reach_shared_loss_below_Lstar": ("ch5-reach", "How far the theorem reaches"),
    "diff.mem_copy_fraction": ("ch6-copies", "Copies"),
    "diff.gen_copy_fraction": ("ch6-copies", "Copies"),
    "diff.copy_test_false_positive": ("ch6-copies", "Copies"),
    "diff.mem_vs_gen_spikiness_ratio": ("ch6-spikiness", "Spiky or balanced along the trajectory"),
    "diff.mem_vs_gen_top1_ratio": ("ch6-spikiness", "Spiky or balanced along the trajectory"),
    "diff.mem_vs_gen_cv_ratio": ("ch6-spikiness", "Spiky or balanced along the trajectory"),
    "jac.mem_eff_rank": ("ch7-jacobians", "Jacobians at memorized and generalized inputs"),
    "jac.mem_out_own_fraction": ("ch7-jacobians", "Jacobians at memorized and generalized inputs"),
    "jac.gen_eff_rank": ("ch7-jacobians", "Jacobians at memorized and generalized inputs"),
    "jac.mem_top_sv_cosine": ("ch7-jacobians", "Jacobians at memorized and generalized inputs"),
    "jac.dae_mem_top_sv_cosine": ("ch7-dae", "The two-layer DAE"),
    "jac.bf_mem_top_sv_cosine": ("ch7-bias-free", "Removing the biases: a UNet that stores rays"),
    "jac.bf_mem_top_sv": ("ch7-bias-free", "Removing the biases: a UNet that stores rays"),
    "jac.bf_mem_eff_rank": ("ch7-bias-free", "Removing the biases: a UNet that stores rays"),
    "jac.bf_mem_out_own_fraction": (
        "ch7-bias-free",
        "Removing the biases: a UNet that stores rays",
    ),
    "jac.bf_gen_eff_rank": ("ch7-bias-free", "Removing the biases: a UNet that stores rays"),
    "jac.bf_euler_rel_err": ("ch7-bias-free", "Removing the biases: a UNet that stores rays"),
    "jac.bf_mem_top_sv_cosine_sigma05": (
        "ch7-bias-free",
        "Removing the biases: a UNet that stores rays",
    ),
    "jac.bf_mem_u1_in_differences_sigma1": (
        "ch7-bias-free",
        "Removing the biases: a UNet that stores rays",
    ),
    "jac.randomized_sv_rel_err": (
        "ch7-randomized",
        "Large inputs: a randomized top-k SVD from vector-Jacobian products",
    ),
    "detect.auroc": ("ch8-detection", "Detection: the score against two baselines"),
    "detect.tpr_at_1fpr": ("ch8-detection", "Detection: the score against two baselines"),
    "detect.speedup_vs_slowest_baseline": (
        "ch8-detection",
        "Detection: the score against two baselines",
    ),
    "steer.gen_over_mem_response": ("ch8-steering", "Steering"),
}

#: Claim id -> the claim's sentence with TeX math (``$...$``; the book's MathJax macros apply).
CLAIM_TEX = {
    "ch1.linear_identity_rel_err": (
        r"Monte Carlo estimate of $\E\norm{M(x + \sigma\varepsilon) - x}^2$ agrees with "
        r"$\norm{(M - I)x}^2 + \sigma^2 \norm{M}_F^2$ (relative error)"
    ),
    "ch1.tweedie_score_max_abs_err": (
        r"Tweedie: $(\emp(y) - y) / \sigma^2$ equals the autograd gradient of "
        r"$\log p_\sigma(y)$ (max abs error)"
    ),
    "ch1.empirical_denoiser_memorizes": (
        r"Sampling with the empirical optimal denoiser returns training points: fraction of "
        r"samples whose nearest training digit is closer than a tenth of the data's typical "
        r"spacing"
    ),
    "mem.cosine_min": (
        r"$p \ge n$ on separable digits: every surviving encoder column is a stored training "
        r"sample (min over units of the cosine to its sample, $p = 2n$)"
    ),
    "mem.r_rel_err_max": (
        r"The gain of the units active on $x_i$ along $x_i$ equals "
        r"$(\norm{x_i}^2 - n\lambda) / (\norm{x_i}^2 + \sigma^2)$, i.e. $r_i^2$ = that "
        r"$/ \norm{x_i}_2^2$ (max relative error over samples, $p = n$ and $p = 2n$)"
    ),
    "mem.top1_share_mean": (
        r"Spiky representations: mean top-1 share of $h$ on noisy training inputs (units storing "
        r"the same sample counted as one; $p = 2n$)"
    ),
    "gen.block_rel_err": (
        r"$p \ll n$ on a separable Gaussian mixture: "
        r"$\norm{\Wtwo \Wone^\top - \sum_k M_k}_F / \norm{\sum_k M_k}_F$ with $M_k$ the "
        r"per-cluster Wiener filter with threshold $n\lambda / n_k$"
    ),
    "gen.top1_share_mean": (
        r"Balanced representations: mean top-1 share of $h$ on noisy samples of the mixture"
    ),
    "mixed.dup_auroc": (
        r"Mixed regime: the top-1 share of $h$ (mean over noisy copies) separates duplicated "
        r"from distinct training samples (AUROC, duplicated samples of multiplicity 12 among "
        r"200 distinct ones)"
    ),
    "mixed.dup_stored_cosine_min": (
        r"Every memorized duplicated sample has a decoder column with cosine $\ge 0.95$ to it "
        r"(min over all stored samples of the multiplicity sweep)"
    ),
    "mixed.threshold_agreement": (
        r"A duplicated sample is stored iff $m > m^\star = n_{\mathrm{bulk}}\lambda / "
        r"(\norm{x}^2 - D\lambda)$: fraction of (sample, $m$, seed) cases of the batched sweep "
        r"where the trained network agrees"
    ),
    "mixed.phase_frac_over_mean": (
        r"Phase diagram: mean memorized fraction over the cells with $p \ge n$ "
        r"($8 \times 8$ grid, 3 seeds)"
    ),
    "mixed.phase_frac_under_max": (
        r"Phase diagram: largest memorized fraction over the cells with $p \le n / 4$"
    ),
    "thm.mask_stability": (
        r"Default setting (two antipodal clusters, width $p$ much smaller than $n$, "
        r"$\sigma = 0.2$): fraction of noisy training inputs whose ReLU pattern on the alive "
        r"units equals that of the clean input"
    ),
    "thm.block_purity": r"Default setting: fraction of active units that fire for one cluster only",
    "thm.loss_gap_rel": (
        r"Default setting: (exact loss of the trained network $-$ sum of the closed-form "
        r"per-cluster optima) / that sum"
    ),
    "thm.robust_min_purity": (
        r"Minimum block purity over $\sigma \in \{0.2, 1, 5\}$ $\times$ optimizer in "
        r"$\{$SGD, Adam, AdamW, RMSprop$\}$"
    ),
    "thm.reach_antipodal_gap": (
        r"Reach sweep, two antipodal clusters (random spread directions): "
        r"$\lvert L - L^\star\rvert / L^\star$, the trained loss $L$ by plain Monte Carlo paired "
        r"with the block solution on the same noise"
    ),
    "thm.reach_condition_agreement": (
        r"Reach sweep: fraction of the cells where the sufficient condition holds (the block "
        r"solution factorises into units of its own cluster, and no new unit has sharing gain "
        r"$\kappa > 1$) whose trained loss is neither below $L^\star$ by 3 standard errors nor "
        r"above it by 1%"
    ),
    "thm.reach_condition_cells": (
        r"Reach sweep: number of cells where the sufficient condition holds; the closed form "
        r"predicts every cell with spread directions orthogonal to the means (12 cells)"
    ),
    "thm.reach_orthogonal_kappa": (
        r"Reach sweep, spread directions orthogonal to every mean: largest sharing gain "
        r"$\kappa$ found for a new unit (the closed form says $\le 1$ for mean cosines $\le 0$)"
    ),
    "thm.reach_closed_form_agreement": (
        r"Reach sweep: fraction of cells where the closed-form sharing gain of two clusters "
        r"(means at cosine $c$, spread directions at principal cosine $\gamma$) is $> 1$ exactly "
        r"where the searched $\kappa$ is $> 1$"
    ),
    "thm.reach_shared_loss_below_Lstar": (
        r"Reach sweep: number of $(\alpha, \beta)$-separable cells whose trained loss is below "
        r"the per-cluster optimum $L^\star$ by more than 3 standard errors (separability does "
        r"not make the block solution the minimiser)"
    ),
    "diff.mem_copy_fraction": (
        r"A toy diffusion model (tied ReLU denoiser with a learned gain of $\sigma$, $p = 256$) "
        r"trained on 5 centred digits samples copies: fraction of 200 ancestral samples whose "
        r"direction is 3 times closer to its nearest training digit than to the second nearest "
        r"($d_1/d_2 < 1/3$)"
    ),
    "diff.gen_copy_fraction": (
        r"The same model trained on 1500 centred digits does not: fraction of its 200 samples "
        r"that are copies ($d_1/d_2 < 1/3$)"
    ),
    "diff.copy_test_false_positive": (
        r"The copy test is not too easy on digits: fraction of 297 held-out real digits that "
        r"it calls copies of the 1500 training digits ($d_1/d_2 < 1/3$)"
    ),
    "diff.mem_vs_gen_spikiness_ratio": (
        r"Spikier representations when memorizing: mean std of $h$ at the final sampling step, "
        r"memorizing model over generalizing model (the std is not scale-free: "
        r"$\norm{h}^2 = a(\sigma)\, x^\top (D - s x)$, see chapter 6)"
    ),
    "diff.mem_vs_gen_top1_ratio": (
        r"Spikier representations when memorizing, scale-free: mean top-1 share of $h$ at the "
        r"final sampling step, memorizing model over generalizing model"
    ),
    "diff.mem_vs_gen_cv_ratio": (
        r"Spikier when memorizing, by a scale-free spread statistic: mean coefficient of "
        r"variation $\operatorname{std}(h)/\operatorname{mean}(h)$ at the final samples "
        r"(smallest noise level), memorizing model over generalizing model"
    ),
    "jac.mem_eff_rank": (
        r"Memorizing UNet (32 digits) at noisy copies of its training digits ($\sigma = 0.2$): "
        r"median effective rank of the denoiser's Jacobian (number of singular values "
        r"$\ge 1/2$)"
    ),
    "jac.gen_eff_rank": (
        r"Generalizing UNet (1597 digits) at noisy held-out digits ($\sigma = 0.2$): median "
        r"effective rank of the Jacobian (number of singular values $\ge 1/2$)"
    ),
    "jac.mem_top_sv_cosine": (
        r"Memorizing UNet at noisy copies of its training digits ($\sigma = 0.2$): median "
        r"$|\cos|$ between the top singular vector of its Jacobian and the stored digit. The "
        r"paper's contrast predicts $\ge 0.9$; the book measures that it does NOT hold for a "
        r"denoiser with biases, whose Jacobian at a memorized point is nearly zero in every "
        r"direction (chapter 7 derives why; the same UNet without biases, "
        r"jac.bf_mem_top_sv_cosine, has the predicted rank-one Jacobian)"
    ),
    "jac.dae_mem_top_sv_cosine": (
        r"Memorizing two-layer DAE (chapter 2 setting: $p = n = 6$ separable digits) at noisy "
        r"training digits: median $|\cos|$ between the top singular vector of "
        r"$J = \Wtwo D(y) \Wone^\top$ and the stored digit (a bias-free network stores a ray, so "
        r"$J = r_i^2 x_i x_i^\top$)"
    ),
    "jac.bf_mem_top_sv_cosine": (
        r"Bias-free UNet (no additive constants, so $D(ty) = t D(y)$) trained on the same 32 "
        r"digits, at the same noisy copies ($\sigma = 0.2$): median $|\cos|$ between the top "
        r"singular vector of its Jacobian and the stored digit (it stores rays, like the DAE)"
    ),
    "jac.bf_mem_top_sv": (
        r"The same bias-free memorizing UNet passes the stored direction: median largest "
        r"singular value of its Jacobian at the noisy copies (the UNet with biases: near zero)"
    ),
    "jac.bf_mem_eff_rank": (
        r"Bias-free memorizing UNet at the noisy copies: median effective rank (singular "
        r"values $\ge 1/2$)"
    ),
    "jac.bf_gen_eff_rank": (
        r"Bias-free UNet trained on the 1597 digits, at the same noisy held-out digits: median "
        r"effective rank"
    ),
    "jac.bf_euler_rel_err": (
        r"Euler's identity for the bias-free UNets: max over all inputs of both models of "
        r"$\norm{J(y)\, y - D(y)} / \norm{D(y)}$"
    ),
    "jac.bf_mem_top_sv_cosine_sigma05": (
        r"Bias-free memorizing UNet at noisy copies of its digits at $\sigma = 0.5$ (fresh "
        r"noise): the top singular vector is still the stored digit, median $|\cos|$"
    ),
    "jac.bf_mem_u1_in_differences_sigma1": (
        r"The same model at $\sigma = 1$: median fraction of the top singular vector's norm in "
        r"the span of the differences $x_j - x_i$ to the other stored digits (the "
        r"posterior-covariance directions; a random direction: about 0.7)"
    ),
    "jac.randomized_sv_rel_err": (
        r"Randomized top-8 SVD from VJPs vs the full Jacobian of the generalizing UNet on a "
        r"$32 \times 32$ input ($d = 1024$): max relative error of the top 8 singular values"
    ),
    "detect.auroc": (
        r"Class-conditional digit UNet with 16 images duplicated 40 times under prompts of "
        r"their own: AUROC of the prompt-free spikiness score (std of the max-pooled last "
        r"up-block-0 SiLU activation, $\sigma = 0.2$) separating generated copies of training "
        r"images from novel samples"
    ),
    "detect.tpr_at_1fpr": (
        r"Same benchmark: true positive rate of the spikiness score at 1% false positive rate "
        r"(threshold = 99th percentile of the novel samples' scores)"
    ),
    "detect.speedup_vs_slowest_baseline": (
        r"Same benchmark: time per sample of the slowest baseline (local intrinsic dimension "
        r"from the full Jacobian) over that of the spikiness score, measured in one run"
    ),
    "steer.gen_over_mem_response": (
        r"Steering towards 'bold' (mean pooled-representation difference of bold and thin "
        r"digits, $\alpha = 2$, added to three decoder blocks mid-sampling): mean change of a "
        r"bold-vs-thin classifier's logit for generalized samples over that for memorized "
        r"samples"
    ),
    "mem.grid_stored_agreement": (
        r"Width limits memorization: on the first $n$ of the separable digits "
        r"($n \in \{2, 4, 6\}$, $p \in \{1, \dots, 24\}$), fraction of $(n, p)$ cells whose "
        r"fraction of stored samples equals the prediction "
        r"$\min(p, \#\{i : \norm{x_i}^2 > n\lambda\}) / n$"
    ),
    "jac.mem_flat_top_sv": (
        r"A memorizing denoiser with biases has a flat Jacobian at its memorized inputs, not the "
        r"paper's rank-one Jacobian along the stored image: median largest singular value of the "
        r"memorizing UNet's Jacobian at noisy copies of its 32 training digits ($\sigma = 0.2$). "
        r"The empirical denoiser's bound (posterior covariance over $\sigma^2$) is $\approx 0$ "
        r"at these inputs; a ray-storing denoiser needs $s_1 \ge \norm{x_i} / \norm{y}$ (median "
        r"$\approx 0.97$); target: the gain-$1/2$ threshold between the two"
    ),
    "jac.dit_mem_copy_fraction": (
        r"A transformer denoiser (diffusers DiTTransformer2DModel, 2 blocks of width 32, "
        r"$2 \times 2$ patches, EDM-style training as the UNets) trained on 8 digits memorizes: "
        r"fraction of 100 probability-flow samples that copy a training digit "
        r"($d_1/d_2 < 1/3$)"
    ),
    "jac.dit_mem_eff_rank": (
        r"The memorizing DiT at noisy copies of its 8 training digits ($\sigma = 0.2$): median "
        r"effective rank of its Jacobian (singular values $\ge 1/2$)"
    ),
    "jac.dit_gen_eff_rank": (
        r"The same DiT trained on the 1597 digits of the pool, at noisy held-out digits: median "
        r"effective rank (the Gaussian denoiser of the pool passes 39 directions here; the bar "
        r"is the UNets')"
    ),
    "jac.dit_mem_flat_top_sv": (
        r"The memorizing DiT has biases and layer norms, so, like the UNet, it stores points: a "
        r"flat Jacobian at its memorized inputs, median largest singular value below the "
        r"gain-$1/2$ threshold (a ray-storing denoiser would need "
        r"$s_1 \ge \norm{x_i} / \norm{y}$, median 0.98 at these inputs)"
    ),
    "jac.dit_mem_out_cos": (
        r"Its low rank is not a constant function: at the noisy copies the memorizing DiT "
        r"returns each input's own stored digit (median cosine of output and digit, both "
        r"centred)"
    ),
    "detect.norm_auroc": (
        r"The detector works through the size of the pooled vector: its Euclidean norm "
        r"$\norm{v}$ alone separates the copies from the novel samples at the std's own bar "
        r"(AUROC; same samples, layer, $\sigma$ and max pooling as detect.auroc)"
    ),
    "detect.cv_auroc": (
        r"Not through its shape, as the paper's 'spiky' reading has it: the scale-free "
        r"$\operatorname{std}(v) / \operatorname{mean}(v)$ of the same vector does not separate "
        r"copies better than chance (AUROC; target $1/2 + 2\,\mathrm{SE}$ of the null AUROC for "
        r"128 copies and 400 novel samples; below $1/2$ if a copy's vector is flatter)"
    ),
}

_MATH = re.compile(r"\$([^$]+)\$")


def tex_html(text: str) -> str:
    """``text`` with its ``$...$`` math as the inline-math spans Sphinx writes (MathJax typesets
    them), everything else HTML-escaped."""
    out, pos = [], 0
    for m in _MATH.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(f'<span class="math notranslate nohighlight">\\({escape(m.group(1))}\\)</span>')
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def anchor(claim_id: str) -> str:
    """The HTML id of a claim's row: ``sc-`` and the id with its dots as dashes."""
    return "sc-" + claim_id.replace(".", "-")


def _breakable(name: str) -> str:
    """``name`` escaped, with line-break opportunities after its dots and underscores."""
    return escape(name).replace(".", ".<wbr>").replace("_", "_<wbr>")


def _row(r: dict) -> str:
    claim = CLAIM_TEX.get(r["id"])
    claim_html = tex_html(claim) if claim else escape(r["claim"])
    where = ""
    section = SECTIONS.get(r["id"])
    if section and r.get("doc"):
        label, title = section
        where = (
            f'<a class="sc-where" href="{escape(r["doc"])}.html#{escape(label)}">'
            f"{tex_html(title)}</a>"
        )
    verdict = r.get("verdict", "")
    holds = (
        '<span class="sc-holds">&#10004; holds</span>'
        if r["holds"]
        else '<span class="sc-fails">&#10008; fails</span>'
    )
    return (
        f'<tr id="{anchor(r["id"])}" class="sc-row sc-{escape(verdict)}">'
        f'<td class="sc-claim" data-label="claim">{claim_html}'
        f'<span class="sc-meta"><code>{_breakable(r["id"])}</code>{where}</span></td>'
        f'<td class="sc-value" data-label="value">{r["value"]:.4g}</td>'
        f'<td class="sc-target" data-label="target">{escape(r["target"])}</td>'
        f'<td class="sc-verdict" data-label="verdict">'
        f'<span class="sc-badge sc-badge-{escape(verdict)}">{escape(verdict)}</span></td>'
        f'<td class="sc-result" data-label="holds">{holds}</td></tr>'
    )


_COLUMNS = (
    ("claim", "56%"),
    ("value", "10%"),
    ("target", "11%"),
    ("verdict", "13%"),
    ("holds", "10%"),
)


def to_html(rows: list[dict], chapter_titles: dict[str, str] | None = None) -> str:
    """The scorecard as HTML: one table per chapter, in the rows' order, each under a heading that
    links to the chapter (``chapter_titles``: docname -> "N. Title"; default: the docname)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get("doc") or r.get("chapter") or "", []).append(r)
    cols = "".join(f'<col style="width: {w}">' for _, w in _COLUMNS)
    head = "<tr>" + "".join(f"<th>{name}</th>" for name, _ in _COLUMNS) + "</tr>"
    parts = []
    for doc, group in groups.items():
        title = (chapter_titles or {}).get(doc, doc)
        n_hold = sum(bool(r["holds"]) for r in group)
        heading = f'<a href="{escape(doc)}.html">{escape(title)}</a>' if doc else ""
        parts.append(
            f'<div class="sc-chapter" id="sc-{escape(doc)}">'
            f'<p class="sc-chapter-title">{heading}'
            f'<span class="sc-count">{n_hold} of {len(group)} hold</span></p>'
            f'<table class="table memgen-scorecard"><colgroup>{cols}</colgroup>'
            f"<thead>{head}</thead><tbody>{''.join(_row(r) for r in group)}</tbody></table></div>"
        )
    return f'<div class="memgen-scorecard-groups">{"".join(parts)}</div>'
