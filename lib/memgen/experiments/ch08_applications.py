"""Chapter 8 experiment drivers: memorization detection from representation spikiness, and steering.

The benchmark model is a class-conditional ``UNet2DModel`` (memgen.unet) trained on the digits of
chapter 7's training pool, each under its digit class (the "ordinary prompts" 0..9), plus
``N_DUPLICATED`` digits of the pool that are also duplicated ``COPIES`` times, each copy under a
label of its own (the "memorized prompts" 10..25, like LAION captions whose images were duplicated).
Labels are dropped to the null label with probability 0.1 during training, so the unconditional
model (the empty prompt) exists too. The checkpoint ships in ``data/detect``.

Configuration first, then cached drivers that the chapter and the scorecard both call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ..shipped_data import data_path
from ..unet import TrainConfig, UNetConfig
from .cache import experiment

N_DUPLICATED = 16  # memorized prompts: digits of the pool duplicated under a label of their own
COPIES = 40  # copies of each in the training set
DUP_SEED = 3  # which pool digits are duplicated (a seeded permutation of the pool)
NAME = "conditional"  # data/detect/conditional.safetensors
CHECKPOINT_DIR = data_path(
    "detect"
)  # the repository's data/detect or the installed memgen_data.detect

CONFIG = UNetConfig(
    image_size=8,
    block_out_channels=(32, 64),
    layers_per_block=1,
    norm_num_groups=8,
    sigma_data=0.5,
    sigma_min=0.05,
    sigma_max=2.0,
    parameterisation="x0",
    num_classes=10 + N_DUPLICATED,
)
TRAIN = TrainConfig(steps=4000, batch_size=64, lr=2e-3, seed=0, log_every=400, cond_dropout=0.1)


#: The detection benchmark and the detector's settings. The layer is the analogue of the paper's
#: hook in Stable Diffusion (the SiLU of the last resnet of the lowest-resolution decoder block,
#: ``up_blocks.0.resnets.2`` there; our up block 0 has two resnets). The SiLU module is called three
#: times per resnet (after norm1, on the time embedding, after norm2); the hook keeps the last call.
@dataclass(frozen=True)
class DetectSettings:
    """Chapter 8's detection benchmark and detector."""

    per_class: int = 40  # samples per ordinary prompt (digit class)
    per_memorized: int = 8  # samples per memorized prompt
    steps: int = 30  # sampler steps (Heun, geometric sigmas from sigma_max to sigma_min, then 0)
    guidance: float = 1.0  # classifier-free guidance weight of the benchmark
    sample_seed: int = 0  # the benchmark's initial noise
    copy_ratio: float = 1.0 / 3.0  # a sample is a copy when d1 / d2 < 1/3 (Carlini et al. 2023)
    layer: str = "up_blocks.0.resnets.1.nonlinearity"  # the detector's hooked layer
    sigma: float = 0.2  # noise level of the detector's one pass
    pool: str = "max"  # spatial pooling of the hooked activation
    lid_sigma: float = 0.2  # noise level of the LID baseline
    timing_n: int = 64  # samples timed per method (best of 3)
    sweep_layers: tuple = (
        "down_blocks.1.resnets.0",
        "mid_block.resnets.1",
        "up_blocks.0.resnets.0.nonlinearity",
        "up_blocks.0.resnets.1.nonlinearity",
        "up_blocks.1.resnets.1.nonlinearity",
    )  # layers of the sweep
    sweep_sigmas: tuple = (0.05, 0.1, 0.2, 0.5, 1.0)  # noise levels of the sweep
    sweep_pools: tuple = ("max", "mean")  # poolings of the sweep

    def replace(self, **changes) -> "DetectSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


DETECT = DetectSettings()


#: Steering: the attribute "bold" (the quarter of the pool with the most ink) against "thin" (the
#: quarter with the least), added to the decoder's resnet outputs in the middle of sampling.
@dataclass(frozen=True)
class SteerSettings:
    """Chapter 8's steering experiment."""

    layers: tuple = (
        "up_blocks.0.resnets.0",
        "up_blocks.0.resnets.1",
        "up_blocks.1.resnets.0",
    )  # decoder blocks the direction is added to
    window: tuple = (
        0.3,
        0.9,
    )  # steps i with 0.3 <= i / steps < 0.9 (the paper: DDIM steps 20-37 of 40)
    steps: int = (
        30  # Euler steps of the probability-flow ODE (deterministic: same noise for every alpha)
    )
    sigma: float = 0.2  # the reference pass's noise level
    pool: str = "mean"  # spatial pooling of the reference pass
    alphas: tuple = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)  # steering strengths of the figure
    alpha_fixed: float = 2.0  # the scorecard's alpha
    per_class: int = 6  # generalized samples per digit class
    per_memorized: int = 4  # samples per memorized prompt
    seed: int = 5  # initial noise of the steered samples
    quantile: float = 0.25  # the bold and thin reference sets: this top and bottom quantile of ink

    def replace(self, **changes) -> "SteerSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


STEER = SteerSettings()

#: The paper's Table (Stable Diffusion v1.4, LAION memorized prompts), quoted, not recomputed.
PAPER_TABLE = [
    {"method": "Carlini et al.", "auc": 0.498, "tpr": 0.020, "time": 3.724},
    {"method": "Wen et al.", "auc": 0.986, "tpr": 0.961, "time": 0.134},
    {"method": "Hintersdorf et al.", "auc": 0.957, "tpr": 0.500, "time": 0.009},
    {"method": "Ross et al.", "auc": 0.956, "tpr": 0.915, "time": 0.545},
    {"method": "representation std (paper)", "auc": 0.987, "tpr": 0.961, "time": 0.067},
]


@experiment
def training_set() -> dict:
    """The benchmark model's training set: ``x`` (rows), ``labels``, the digit indices of the
    duplicated images ``dup_index`` and of the pool ``pool``, the digit class of each memorized
    prompt ``dup_class``, and the distinct training images ``distinct`` (the pool)."""
    from ..data import load_digits
    from .ch07_jacobians import digit_split

    x, pool, held = digit_split()
    y = load_digits().labels
    g = torch.Generator().manual_seed(DUP_SEED)
    dup = pool[torch.randperm(len(pool), generator=g)[:N_DUPLICATED]]
    X = torch.cat([x[pool], x[dup].repeat(COPIES, 1)])
    L = torch.cat([y[pool], (10 + torch.arange(N_DUPLICATED)).repeat(COPIES)])
    return {
        "x": X,
        "labels": L,
        "dup_index": dup,
        "dup_class": y[dup],
        "pool": pool,
        "held": held,
        "distinct": x[pool],
        "digit_labels": y[pool],
    }


def train_model(device: str = "cpu", progress: bool = False, callback=None):
    """Train the benchmark model from scratch (``data/detect/train_detector.py`` calls this)."""
    from ..unet import train_denoiser

    ts = training_set()
    return train_denoiser(
        ts["x"],
        CONFIG,
        TRAIN,
        device=device,
        labels=ts["labels"],
        progress=progress,
        callback=callback,
    )


@experiment
def load_model():
    """The shipped benchmark model (checksums verified)."""
    from ..unet import load_denoiser

    return load_denoiser(NAME, CHECKPOINT_DIR)


def prompt_labels(
    per_class: int, per_memorized: int, exclude_class: int | None = None
) -> torch.Tensor:
    """Class labels of the samples: ``per_class`` of each digit class, then ``per_memorized`` of
    each memorized prompt (optionally leaving out one digit class and the memorized prompts whose
    image is of that class)."""
    ts = training_set()
    ordinary = [c for c in range(10) if c != exclude_class]
    memorized = [10 + k for k in range(N_DUPLICATED) if int(ts["dup_class"][k]) != exclude_class]
    return torch.cat(
        [
            torch.tensor(ordinary).repeat_interleave(per_class),
            torch.tensor(memorized).repeat_interleave(per_memorized),
        ]
    )


@experiment
def benchmark_samples(guidance: float = DETECT.guidance) -> dict:
    """Generated samples of every prompt, labelled memorized when they copy a training image.
    ``guidance``: the classifier-free guidance weight of the sampler (same prompts and noise for
    all).

    Returns ``samples`` (m, 64), ``labels`` (the prompt of each), ``x_T`` (the initial noise),
    ``memorized_prompt`` (bool), ``copy`` (bool: nearest-neighbour ratio below ``copy_ratio``),
    ``ratio`` and ``nearest`` (the nearest distinct training image of each sample)."""
    from ..detection import guided, nearest_training_ratio
    from ..sampling import sample_probability_flow, sigma_schedule

    c, model, ts = DETECT, load_model(), training_set()
    labels = prompt_labels(c.per_class, c.per_memorized)
    g = torch.Generator().manual_seed(c.sample_seed)
    x_T = CONFIG.sigma_max * torch.randn(len(labels), 64, generator=g)
    sigmas = sigma_schedule(c.steps, CONFIG.sigma_max, CONFIG.sigma_min)
    with torch.no_grad():
        S = sample_probability_flow(guided(model, labels, guidance), x_T, sigmas, solver="heun")
    nn = nearest_training_ratio(S, ts["distinct"])
    return {
        "samples": S,
        "labels": labels,
        "x_T": x_T,
        "memorized_prompt": labels >= 10,
        "copy": nn["ratio"] < c.copy_ratio,
        "ratio": nn["ratio"],
        "nearest": nn["unique"][nn["index"]],
    }


def _metrics(score: torch.Tensor, positive: torch.Tensor) -> dict:
    from ..metrics import auroc, tpr_at_fpr

    return {
        "auroc": auroc(score[positive], score[~positive]),
        "tpr": tpr_at_fpr(score[positive], score[~positive]),
    }


#: The name of the book's detector in :func:`detection_table`'s rows.
SPIKINESS = "representation std (this book)"


@experiment
def detection_table() -> dict:
    """The spikiness score and the two baselines on the same samples, from one run: AUROC, TPR at
    1% FPR and time per sample (best of 3 over ``timing_n`` samples), plus the scores themselves."""
    from ..detection import lid_score, spikiness_score, time_per_sample, wen_score

    c, model, b = DETECT, load_model(), benchmark_samples()
    S, pos, labels, x_T = b["samples"], b["copy"], b["labels"], b["x_T"]
    kw = {"sigma": c.sigma, "layer": c.layer, "pool": c.pool}
    methods = {
        SPIKINESS: lambda i: spikiness_score(model, S[i], **kw),
        "Wen et al. (prompt needed)": lambda i: wen_score(
            model, x_T[i], labels[i], CONFIG.sigma_max
        ),
        "LID, tr of Jacobian (Ross et al.-style)": lambda i: lid_score(
            model, S[i], sigma=c.lid_sigma
        ),
    }
    everything = torch.arange(len(S))
    timed = everything[: c.timing_n]
    rows, scores = [], {}
    for name, fn in methods.items():
        score = fn(everything).detach()
        seconds = time_per_sample(lambda: fn(timed), len(timed))
        scores[name] = score
        rows.append({"method": name, **_metrics(score, pos), "time": seconds})
    spiky = rows[0]["time"]
    slowest = max(r["time"] for r in rows[1:])
    return {
        "rows": rows,
        "scores": scores,
        "positive": pos,
        "n_pos": int(pos.sum()),
        "n_neg": int((~pos).sum()),
        "speedup_vs_slowest": slowest / spiky,
        "paper": PAPER_TABLE,
    }


#: What each statistic of :func:`detection_statistics` reads: the size or the shape of v.
STATISTIC_KIND = {
    "std": "size and shape",
    "norm": "size",
    "mean": "size",
    "cv": "shape",
    "top1": "shape",
}


def null_auroc_se(n_pos: int, n_neg: int) -> float:
    """Standard error of the AUROC of a score that does not depend on the group (the Mann-Whitney
    null): ``sqrt((n_pos + n_neg + 1) / (12 n_pos n_neg))``, around a mean of 1/2."""
    return float(np.sqrt((n_pos + n_neg + 1) / (12.0 * n_pos * n_neg)))


@experiment
def detection_statistics() -> dict:
    """The detector's pooled vector v (same samples, layer, sigma and pooling as the spikiness
    score) read by every statistic of :data:`memgen.detection.POOLED_STATISTICS`: AUROC and TPR at
    1% FPR of each, the null AUROC's standard error for these group sizes, and per group the median
    over samples of ``top5 / median`` (the five largest channels' mean over the median channel)."""
    from ..detection import pooled_representation, pooled_statistics

    c, model, b = DETECT, load_model(), benchmark_samples()
    pos = b["copy"]
    v = pooled_representation(model, b["samples"], sigma=c.sigma, layer=c.layer, pool=c.pool)
    stats = pooled_statistics(v)
    rows = [
        {"statistic": k, "reads": STATISTIC_KIND[k], **_metrics(s, pos)} for k, s in stats.items()
    ]
    top = v.sort(dim=1, descending=True).values
    peak = top[:, :5].mean(1) / top.median(dim=1).values
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return {
        "rows": rows,
        "scores": stats,
        "positive": pos,
        "n_pos": n_pos,
        "n_neg": n_neg,
        "null_se": null_auroc_se(n_pos, n_neg),
        "peak_over_median": {
            "copy": float(peak[pos].median()),
            "novel": float(peak[~pos].median()),
        },
    }


@experiment
def detection_sweep() -> dict:
    """AUROC and TPR at 1% FPR of the spikiness score for every (layer, sigma, pool) of the
    sweep."""
    from ..detection import spikiness_score

    c, model, b = DETECT, load_model(), benchmark_samples()
    rows = []
    for layer in c.sweep_layers:
        for sigma in c.sweep_sigmas:
            for pool in c.sweep_pools:
                score = spikiness_score(model, b["samples"], sigma=sigma, layer=layer, pool=pool)
                rows.append(
                    {"layer": layer, "sigma": sigma, "pool": pool, **_metrics(score, b["copy"])}
                )
    return {"rows": rows}


@experiment
def guidance_check(guidance: float) -> dict:
    """The benchmark regenerated with classifier-free guidance ``guidance`` (same prompts and
    noise):
    copy fractions per prompt type and the spikiness score's AUROC and TPR at 1% FPR."""
    from ..detection import spikiness_score

    c, b = DETECT, benchmark_samples(guidance)
    copy, mp = b["copy"], b["memorized_prompt"]
    score = spikiness_score(load_model(), b["samples"], sigma=c.sigma, layer=c.layer, pool=c.pool)
    return {
        "guidance": guidance,
        "copy_mem": float(copy[mp].float().mean()),
        "copy_gen": float(copy[~mp].float().mean()),
        **_metrics(score, copy),
    }


@experiment
def attribute_classifier() -> dict:
    """A logistic-regression "bold vs thin" classifier trained on the two reference sets (the
    quarters of the pool with the most and the least ink), and a digit classifier on the pool."""
    from sklearn.linear_model import LogisticRegression

    ts = training_set()
    X, y = ts["distinct"], ts["digit_labels"]
    ink = X.mean(1)
    lo, hi = ink.quantile(STEER.quantile), ink.quantile(1 - STEER.quantile)
    bold, thin = X[ink >= hi], X[ink <= lo]
    Xa = torch.cat([bold, thin]).numpy()
    ya = np.r_[np.ones(len(bold)), np.zeros(len(thin))]
    attr = LogisticRegression(max_iter=5000, C=1.0).fit(Xa, ya)
    digit = LogisticRegression(max_iter=5000).fit(X.numpy(), y.numpy())
    return {
        "attr": attr,
        "digit": digit,
        "bold": bold,
        "thin": thin,
        "train_acc": attr.score(Xa, ya),
    }


def boldness(S: torch.Tensor) -> np.ndarray:
    """The attribute: the bold-vs-thin classifier's logit of each image (rows of ``S``)."""
    return attribute_classifier()["attr"].decision_function(np.asarray(S, dtype=np.float64))


@experiment
def steering() -> dict:
    """Steer generalized (digit-class prompts) and memorized (memorized prompts) samples towards
    "bold" for every alpha, from the same initial noise; the change of the attribute per sample."""
    from ..detection import steer, steering_direction
    from ..sampling import sigma_schedule

    c, model, ac = STEER, load_model(), attribute_classifier()
    labels = prompt_labels(c.per_class, c.per_memorized)
    gen = labels < 10
    g = torch.Generator().manual_seed(c.seed)
    x_T = CONFIG.sigma_max * torch.randn(len(labels), 64, generator=g)
    sigmas = sigma_schedule(c.steps, CONFIG.sigma_max, CONFIG.sigma_min)
    direction = {
        layer: steering_direction(
            model, ac["bold"], ac["thin"], layer=layer, sigma=c.sigma, pool=c.pool
        )
        for layer in c.layers
    }
    samples = []
    for alpha in c.alphas:
        samples.append(
            steer(model, x_T, sigmas, labels, directions=direction, alpha=alpha, window=c.window)
        )
    samples = torch.stack(samples)  # (n_alpha, m, 64)
    attr = np.stack([boldness(S) for S in samples])
    change = attr - attr[0]
    digit0 = ac["digit"].predict(samples[0].numpy())
    kept = np.stack([ac["digit"].predict(S.numpy()) == digit0 for S in samples])
    moved = (samples - samples[0]).norm(dim=2).numpy()
    # still a copy of a training image (the benchmark's criterion), per alpha and sample
    from ..detection import nearest_training_ratio

    distinct = training_set()["distinct"]
    copy = np.stack(
        [
            (nearest_training_ratio(S, distinct)["ratio"] < DETECT.copy_ratio).numpy()
            for S in samples
        ]
    )
    k = list(c.alphas).index(c.alpha_fixed)
    g_mean, m_mean = float(change[k, gen].mean()), float(change[k, ~gen].mean())
    return {
        "alphas": c.alphas,
        "labels": labels,
        "generalized": gen,
        "samples": samples,
        "attr": attr,
        "change": change,
        "kept": kept,
        "moved": moved,
        "copy": copy,
        "alpha_fixed": c.alpha_fixed,
        "gen_change": g_mean,
        "mem_change": m_mean,
        "ratio": g_mean / max(abs(m_mean), 1e-12),
        "direction_norms": {k_: float(v.norm()) for k_, v in direction.items()},
    }


@experiment
def hutchinson_check(d: int = 6, trials: int = 200_000, seed: int = 0) -> dict:
    """The variance of Hutchinson's trace estimator (one Rademacher probe), measured over
    ``trials`` estimates on a random (non-symmetric) d x d matrix, against the closed form
    :func:`memgen.jacobian.hutchinson_variance` and against the formula the chapter used to
    print, ``||J||_F^2 + sum_{a != b} J_ab J_ba - 2 sum_a J_aa^2`` (which subtracts the diagonal
    three times)."""
    from ..jacobian import hutchinson_trace, hutchinson_variance

    J = torch.randn(d, d, generator=torch.Generator().manual_seed(seed)).double()
    est = hutchinson_trace(J, 1, trials=trials, seed=seed + 1)
    off = J * (1 - torch.eye(d, dtype=J.dtype))
    old = float(J.pow(2).sum() + (off * off.T).sum() - 2 * torch.diagonal(J).pow(2).sum())
    empirical = float(est.var())
    formula = hutchinson_variance(J)
    return {
        "d": d,
        "trials": trials,
        "trace": float(torch.trace(J)),
        "mean": float(est.mean()),
        "empirical": empirical,
        "formula": formula,
        "old_formula": old,
        "rel_err": abs(formula - empirical) / empirical,
        "old_rel_err": abs(old - empirical) / empirical,
    }
