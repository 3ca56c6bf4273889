"""Chapter 6 experiments: a memorizing and a generalizing toy diffusion model on centred digits.

Settings in :data:`CH6`; every function is seeded and cached in-process, so the chapter and the
scorecard (:mod:`memgen.scorecard`, ids ``diff.*``) compute each result once.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import shipped_data
from ..diffusion import (
    ToyDiffusionDenoiser,
    copy_statistics,
    load_checkpoint,
    record_trajectory,
    save_checkpoint,
    sha256_file,
    train_diffusion,
)
from ..memorization import separable_subset
from ..sampling import sigma_schedule
from ..shipped_data import data_path
from .cache import experiment
from .ch02_memorization import centred_digits


@dataclass(frozen=True)
class ToyRun:
    """One toy diffusion training run of chapter 6."""

    n: int  # training digits
    optimizer: str  # "adam" or "rmsprop"
    lr: float  # learning rate
    weight_decay: float  # torch's weight_decay (a gradient term weight_decay * theta)
    steps: int  # training steps
    batch_size: int  # rows per step (drawn with replacement)
    lr_final: float | None = None  # geometric decay from lr to lr_final


@dataclass(frozen=True)
class Ch6Settings:
    """Chapter 6's toy diffusion models and sampler."""

    #: the model of the paper's toy: p = 256 units, sigma log-uniform in [0.02, 2], x0 prediction
    p: int = 256  # hidden units
    #: "unit": one gain per unit, the paper's DAECond (g_phi: Linear(1, 256)-ReLU-Linear(256, 256));
    #: "scalar": the book's first variant, one gain for all units (g_phi: 1-16-1, SiLU)
    gain: str = "unit"
    hidden: int = 256  # width of g_phi's hidden layer
    sigma_min: float = 0.02  # smallest training and sampling noise level
    sigma_max: float = 2.0  # largest
    #: memorizing: 5 separable centred digits, RMSprop 1e-3, weight decay 1e-2 (the paper's toy;
    #: 12000 steps of batch 64 instead of its 100k, to keep the CPU training near 3 minutes)
    mem: ToyRun = field(
        default_factory=lambda: ToyRun(
            n=5, optimizer="rmsprop", lr=1e-3, weight_decay=1e-2, steps=12000, batch_size=64
        )
    )  # the memorizing run
    #: generalizing: 1500 centred digits, Adam, weight decay 5e-4 (the rest, 297 digits, held out)
    gen: ToyRun = field(
        default_factory=lambda: ToyRun(
            n=1500,
            optimizer="adam",
            lr=1e-3,
            lr_final=1e-4,
            weight_decay=5e-4,
            steps=10000,
            batch_size=256,
        )
    )  # the generalizing run
    #: sampling: 60 geometric steps from 2 to 0.02, then 0 (the paper's toy sampler)
    n_steps: int = 60  # sampler steps
    n_samples: int = 200  # samples per model
    n_show: int = 6  # samples whose whole trajectory the figures show
    frame_every: int = 3  # the trajectory figure shows every 3rd step (and the last)
    #: copies: direction ratio d1/d2 < 1/3 (Carlini et al. 2023); the cosine criterion for
    #: comparison
    copy_ratio: float = 1.0 / 3.0  # a copy: d1/d2 below this (Carlini et al. 2023)
    copy_cosine: float = 0.95  # the cosine criterion, for comparison
    seed: int = 0  # data split and sampler noise

    def replace(self, **changes) -> "Ch6Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH6 = Ch6Settings()
#: The comparison: the scalar-gain variant with the settings its shipped checkpoints were trained
#: with (30000 memorizing steps). Same data, sampler and seeds.
CH6_SCALAR = CH6.replace(gain="scalar", hidden=16, mem=dataclasses.replace(CH6.mem, steps=30000))
VARIANTS = {"unit": CH6, "scalar": CH6_SCALAR}


@experiment
def ch6_data() -> dict:
    """Centred digits: the 5 memorized ones (pairwise cosines <= 0), 1500 for generalization, the
    rest held out."""
    Xall, digits = centred_digits()
    mem_idx = separable_subset(Xall, CH6.mem.n, max_cosine=0.0, seed=CH6.seed)
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(CH6.seed))
    gen_idx, test_idx = perm[: CH6.gen.n].sort().values, perm[CH6.gen.n :].sort().values
    return {
        "X_mem": Xall[mem_idx],
        "X_gen": Xall[gen_idx],
        "X_test": Xall[test_idx],
        "mem_index": mem_idx,
        "test_index": test_idx,
        "image_shape": digits.image_shape,
    }


#: Where the shipped checkpoints live (made by data/toy_diffusion/make_checkpoints.py).
CHECKPOINT_DIR = data_path("toy_diffusion")  # the repository's data/ or the installed memgen_data
KINDS = ("mem", "gen")
LOSS_WINDOW = 100  # the stored loss curve: means over windows of this many steps
#: File names: ``mem.pt``, ``gen.pt``, ``training.json`` for the paper's model, the same with
#: ``_scalar`` for the scalar-gain comparison.
SUFFIX = {"unit": "", "scalar": "_scalar"}


def _settings(variant: str) -> Ch6Settings:
    from .._checks import check_choice

    return VARIANTS[check_choice("variant", variant, tuple(VARIANTS))]


def _train(kind: str, variant: str = "unit", progress: bool = False) -> dict:
    c, data = _settings(variant), ch6_data()
    run = getattr(c, kind)
    X = data["X_mem"] if kind == "mem" else data["X_gen"]
    model = ToyDiffusionDenoiser(X.shape[1], c.p, gain=c.gain, hidden=c.hidden, seed=c.seed)
    res = train_diffusion(
        model,
        X,
        optimizer=run.optimizer,
        lr=run.lr,
        lr_final=run.lr_final,
        weight_decay=run.weight_decay,
        steps=run.steps,
        batch_size=run.batch_size,
        sigma_min=c.sigma_min,
        sigma_max=c.sigma_max,
        seed=c.seed,
        progress=progress,
    )
    curve = (
        res.losses[: len(res.losses) // LOSS_WINDOW * LOSS_WINDOW].reshape(-1, LOSS_WINDOW).mean(1)
    )
    return {"model": model.eval(), "X": X, "loss_curve": curve, "seconds": res.seconds}


def train_models(variant: str = "unit", progress: bool = False) -> dict:
    """Train both models of ``variant`` ("unit" or "scalar") from scratch with its settings
    (:data:`VARIANTS`; seeded; minutes on a CPU)."""
    return {kind: _train(kind, variant, progress) for kind in KINDS}


def _names(variant: str) -> list:
    sfx = SUFFIX[variant]
    return [f"{kind}{sfx}.pt" for kind in KINDS] + [f"training{sfx}.json"]


def write_checkpoints(models: dict, folder=CHECKPOINT_DIR, variant: str = "unit") -> dict:
    """Save ``{kind}.pt`` for both models of ``variant``, ``training.json`` (loss curves; names
    with ``_scalar`` for the scalar variant) and update ``SHA256SUMS`` (the other variant's lines
    are kept).

    Every file is a function of the settings and the seed only (no timings, no dates), so running
    the script again on the same platform reproduces the checksums."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sfx = SUFFIX[variant]
    for kind in KINDS:
        save_checkpoint(models[kind]["model"], folder / f"{kind}{sfx}.pt")
    meta = {
        kind: {
            "loss_window": LOSS_WINDOW,
            "loss_curve": [round(float(v), 5) for v in models[kind]["loss_curve"]],
        }
        for kind in KINDS
    }
    (folder / f"training{sfx}.json").write_text(json.dumps(meta, indent=1) + "\n")
    sums = read_checksums(folder) if (folder / "SHA256SUMS").is_file() else {}
    new = {name: sha256_file(folder / name) for name in _names(variant)}
    sums.update(new)
    order = [n for v in VARIANTS for n in _names(v) if n in sums]
    (folder / "SHA256SUMS").write_text("".join(f"{sums[n]}  {n}\n" for n in order))
    return new


def read_checksums(folder=CHECKPOINT_DIR) -> dict:
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (the format of ``sha256sum``)."""
    return shipped_data.read_checksums(folder)


def load_models(folder=CHECKPOINT_DIR, variant: str = "unit") -> dict:
    """The shipped models of ``variant``, each file verified against ``SHA256SUMS`` (a mismatch
    raises ChecksumError)."""
    from ..diffusion import ChecksumError

    folder, sfx = Path(folder), SUFFIX[variant]
    sums = read_checksums(folder)
    meta_path = folder / f"training{sfx}.json"
    if sha256_file(meta_path) != sums[meta_path.name]:
        raise ChecksumError(
            f"checksum mismatch for {meta_path}; regenerate it with "
            "`python data/toy_diffusion/make_checkpoints.py`"
        )
    meta = json.loads(meta_path.read_text())
    data = ch6_data()
    return {
        kind: {
            "model": load_checkpoint(folder / f"{kind}{sfx}.pt", sums[f"{kind}{sfx}.pt"]),
            "X": data["X_mem"] if kind == "mem" else data["X_gen"],
            "loss_curve": np.asarray(meta[kind]["loss_curve"]),
            "seconds": None,
        }
        for kind in KINDS
    }


@experiment
def ch6_models(variant: str = "unit") -> dict:
    """Both models of ``variant`` ("unit": the paper's; "scalar": the comparison): loaded from the
    shipped checkpoints (checksums verified) when they are there, else trained here (for instance in
    Colab, where the repository's data/ folder is not installed). ``{"mem": {...}, "gen": {...}}``
    with model, X, loss_curve, seconds (training time here, None when loaded), source
    ("checkpoint" or "trained")."""
    _settings(variant)
    shipped = (CHECKPOINT_DIR / "SHA256SUMS").is_file()
    if shipped and _names(variant)[0] in read_checksums(CHECKPOINT_DIR):
        models, source = load_models(CHECKPOINT_DIR, variant), "checkpoint"
    else:
        print(
            f"no shipped {variant}-gain checkpoints found: training both models here "
            "(minutes on a CPU)"
        )
        models, source = train_models(variant, progress=True), "trained"
    for m in models.values():
        m["source"] = source
        m["model"].requires_grad_(False)  # inference only from here on
    return models


@experiment
def ch6_sampling(variant: str = "unit") -> dict:
    """Sample ``n_samples`` digits from each model with the ancestral VE sampler (the same initial
    noise and the same sampler noise for both), recording the trajectory; and with the deterministic
    probability-flow sampler from the same starts. Copy statistics against each training set. The
    ratios compare the mean std and top-1 share of r = [W^T x]_+ at the last step."""
    c, models = _settings(variant), ch6_models(variant)
    sigmas = sigma_schedule(c.n_steps, c.sigma_max, c.sigma_min)
    d = models["mem"]["X"].shape[1]
    g0 = torch.Generator().manual_seed(c.seed + 1)
    x_T = c.sigma_max * torch.randn(c.n_samples, d, generator=g0)
    out = {"sigmas": sigmas, "x_T": x_T}
    t0 = time.perf_counter()
    for kind, m in models.items():
        g = torch.Generator().manual_seed(c.seed + 2)
        traj = record_trajectory(m["model"], x_T, sigmas, sampler="ancestral", generator=g)
        pf = record_trajectory(m["model"], x_T, sigmas, sampler="probability_flow", keep=[])
        stats = copy_statistics(traj["final"], m["X"])
        pf_stats = copy_statistics(pf["final"], m["X"])
        out[kind] = {
            "traj": traj,
            "copies": stats,
            "copy_fraction": float((stats["ratio"] < c.copy_ratio).double().mean()),
            "cosine_fraction": float((stats["cosine"] >= c.copy_cosine).double().mean()),
            "pf_final": pf["final"],
            "pf_copy_fraction": float((pf_stats["ratio"] < c.copy_ratio).double().mean()),
            "final_std": float(traj["std"][-1].mean()),
            "final_top1": float(traj["top1"][-1].mean()),
            # per step: the fraction of the guesses D(x_t; sigma_t) that are already copies
            "guess_copy": torch.tensor(
                [
                    float(
                        (copy_statistics(traj["denoised"][t], m["X"])["ratio"] < c.copy_ratio)
                        .double()
                        .mean()
                    )
                    for t in range(len(traj["sigma"]))
                ]
            ),
        }
    out["seconds"] = time.perf_counter() - t0
    out["std_ratio"] = out["mem"]["final_std"] / out["gen"]["final_std"]
    out["top1_ratio"] = out["mem"]["final_top1"] / out["gen"]["final_top1"]
    return out


def spread_statistics(r: torch.Tensor) -> dict:
    """Per row of a representation ``r`` (B, p) with non-negative entries: ``std``, ``norm``,
    ``mean``, ``cv`` = std / mean, ``std_equal_size`` = std(r / ||r||) and the participation ratio
    ``pr`` = ||r||_1^2 / ||r||_2^2 (between 1 for one active unit and p for all equal). Identities:
    std = ||r|| std_equal_size and std_equal_size = sqrt(p - pr) / p. Rows with r = 0 are
    dropped."""
    from ..stats import unit_std

    r = r[r.norm(dim=1) > 0]
    norm, mean = r.norm(dim=1), r.mean(dim=1)
    std = unit_std(r)
    return {
        "std": std,
        "norm": norm,
        "mean": mean,
        "cv": std / mean,
        "std_equal_size": std / norm,
        "pr": r.sum(dim=1).pow(2) / norm.pow(2),
    }


@experiment
def ch6_std_diagnosis(variant: str = "unit") -> dict:
    """Why the std of the representation does not separate the two toy models: r = [W^T x]_+ at
    each model's final samples (r is positively homogeneous in x), split into its size and its
    shape. Per model the means of :func:`spread_statistics` (std as sampled, the norm of r, the
    coefficient of variation, the std at equal size ||r|| = 1, the participation ratio) and the std
    at unit input norm; the memorizing-over-generalizing ratio of each; the bound that shape alone
    puts on the equal-size std ratio (the memorizing mean at most sqrt(p - 1) / p, one active unit)
    and the largest participation ratio of a generalized sample ``pr_gen_max``."""
    from ..stats import unit_std

    c, samp, models = _settings(variant), ch6_sampling(variant), ch6_models(variant)
    out = {"p": c.p}
    for kind, m in models.items():
        x = samp[kind]["traj"]["final"]
        with torch.no_grad():
            r = m["model"].representation(x)
            r_unit = m["model"].representation(x / x.norm(dim=1, keepdim=True))
        st = spread_statistics(r)
        out[kind] = {k: float(v.mean()) for k, v in st.items()}
        out[kind]["std_unit"] = float(unit_std(r_unit).mean())
        out[kind]["active"] = float((r > 0).sum(dim=1).double().mean())
    for key in ("std", "norm", "std_unit", "cv", "std_equal_size", "pr"):
        out[key + "_ratio"] = out["mem"][key] / out["gen"][key]
    # std(u) <= sqrt(p - 1) / p for a unit vector u >= 0 (one active unit): the largest value the
    # memorizing model's mean can take, over the generalizing model's mean
    out["equal_size_bound"] = float(np.sqrt(c.p - 1) / c.p / out["gen"]["std_equal_size"])
    out["pr_gen_max"] = float(
        spread_statistics(models["gen"]["model"].representation(samp["gen"]["traj"]["final"]))[
            "pr"
        ].max()
    )
    return out


@experiment
def ch6_calibration() -> dict:
    """The copy criterion on real digits that are copies of nothing: held-out digits against each
    training set (the false-positive rate of each criterion)."""
    data = ch6_data()
    rows = {}
    for kind, X in (("mem", data["X_mem"]), ("gen", data["X_gen"])):
        st = copy_statistics(data["X_test"], X)
        rows[kind] = {
            "stats": st,
            "ratio_fp": float((st["ratio"] < CH6.copy_ratio).double().mean()),
            "cosine_fp": float((st["cosine"] >= CH6.copy_cosine).double().mean()),
        }
    return rows
