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
from typing import Callable

from . import experiments as ex

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
    return ex.ch1_linear_identity()["rel_err"]


@claim(
    "ch1.tweedie_score_max_abs_err",
    "ch1",
    "Tweedie: (f_emp(y) - y) / sigma^2 equals the autograd gradient of log p_sigma(y) (max abs error)",
    "<= 1e-4",
)
def _(quick: bool) -> float:
    return ex.ch1_tweedie_check()["max_abs_err"]


@claim(
    "ch1.empirical_denoiser_memorizes",
    "ch1",
    "Sampling with the empirical optimal denoiser returns training points: fraction of samples whose "
    "nearest training digit is closer than a tenth of the data's typical spacing",
    ">= 0.95",
)
def _(quick: bool) -> float:
    return ex.ch1_empirical_sampling()["fraction_memorized"]


# ---------------------------------------------------------------- chapter 2: memorization


@claim(
    "mem.cosine_min",
    "ch2",
    "p >= n on separable digits: every surviving encoder column is a stored training sample "
    "(min over units of the cosine to its sample, p = 2n)",
    ">= 0.99",
)
def _(quick: bool) -> float:
    r = ex.ch2_memorization()
    return min(r[ex.CH2["p"]]["cosine_min"], r[ex.CH2["p_exact"]]["cosine_min"])


@claim(
    "mem.r_rel_err_max",
    "ch2",
    "The gain of the units active on x_i along x_i equals (||x_i||^2 - n lam) / (||x_i||^2 + sigma^2), "
    "i.e. r_i^2 = that / ||x_i||_2^2 (max relative error over samples, p = n and p = 2n)",
    "<= 0.05",
)
def _(quick: bool) -> float:
    r = ex.ch2_memorization()
    return max(float(r[p]["gain_rel_err"].max()) for p in (ex.CH2["p"], ex.CH2["p_exact"]))


@claim(
    "mem.top1_share_mean",
    "ch2",
    "Spiky representations: mean top-1 share of h on noisy training inputs (units storing the same "
    "sample counted as one; p = 2n)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    return ex.ch2_memorization()[ex.CH2["p"]]["top1_grouped"]


# ---------------------------------------------------------------- chapter 3: generalization


@claim(
    "gen.block_rel_err",
    "ch3",
    "p << n on a separable Gaussian mixture: ||W2 W1^T - sum_k M_k||_F / ||sum_k M_k||_F with M_k the "
    "per-cluster Wiener filter with threshold n lam / n_k",
    "<= 0.05",
)
def _(quick: bool) -> float:
    return ex.ch3_gmm_blocks()["block_rel_err"]


@claim(
    "gen.top1_share_mean",
    "ch3",
    "Balanced representations: mean top-1 share of h on noisy samples of the mixture",
    "<= 0.5",
)
def _(quick: bool) -> float:
    return ex.ch3_gmm_blocks()["top1_mean"]


@claim(
    "gen.psnr_gain_db",
    "ch3",
    "On unseen digits, a width-16 DAE trained on 1000 digits denoises better than one of the same width "
    "trained on 16 (mean PSNR difference, dB)",
    "> 0",
)
def _(quick: bool) -> float:
    r = ex.ch3_digits()
    return r["psnr_gen"] - r["psnr_mem"]


# ---------------------------------------------------------------- chapter 4: the mixed regime (ids mixed.*, phase.*)

# (chapter 4 claims go here)


# ---------------------------------------------------------------- chapter 5: the block-structure theorem (ids thm.*)

# (chapter 5 claims go here)


# ---------------------------------------------------------------- chapter 6: a toy diffusion model (ids diff.*)

# (chapter 6 claims go here)


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
    from . import experiments_jacobian as xj

    return xj.ch7_unet_jacobians()["mem_median_erank"]


@claim(
    "jac.gen_eff_rank",
    "ch7",
    "Generalizing UNet (1597 digits) at noisy held-out digits (sigma = 0.2): median effective rank of "
    "the Jacobian (number of singular values >= 1/2)",
    ">= 10",
)
def _(quick: bool) -> float:
    from . import experiments_jacobian as xj

    return xj.ch7_unet_jacobians()["gen_median_erank"]


@claim(
    "jac.mem_top_sv_cosine",
    "ch7",
    "Memorizing two-layer DAE (chapter 2 setting: p = n = 6 separable digits) at noisy training digits: "
    "median |cosine| between the top singular vector of J = W2 D(y) W1^T and the stored digit (the "
    "memorizing UNet's value, which is small, is reported in chapter 7)",
    ">= 0.9",
)
def _(quick: bool) -> float:
    from . import experiments_jacobian as xj

    return xj.ch7_dae_jacobians()["mem_median_cos"]


@claim(
    "jac.randomized_sv_rel_err",
    "ch7",
    "Randomized top-8 SVD from VJPs vs the full Jacobian of the generalizing UNet on a 32x32 input "
    "(d = 1024): max relative error of the top 8 singular values",
    "<= 0.05",
)
def _(quick: bool) -> float:
    from . import experiments_jacobian as xj

    return xj.ch7_randomized()["max_rel_err"]


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


def to_html(rows: list[dict]) -> str:
    """An HTML table of the rows, for the book's appendix."""
    head = "<tr><th>id</th><th>claim</th><th>value</th><th>target</th><th>holds</th></tr>"
    body = "".join(
        f"<tr><td><code>{r['id']}</code></td><td>{r['claim']}</td><td>{r['value']:.4g}</td>"
        f"<td>{r['target']}</td><td>{'&#10004; yes' if r['holds'] else '&#10008; NO'}</td></tr>"
        for r in rows
    )
    return f'<table class="table memgen-scorecard"><thead>{head}</thead><tbody>{body}</tbody></table>'


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
