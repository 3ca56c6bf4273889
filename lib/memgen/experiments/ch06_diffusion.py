"""Chapter 6 experiments: a memorizing and a generalizing toy diffusion model on centred digits.

Settings in :data:`CH6`; every function is seeded and cached in-process, so the chapter and the
scorecard (:mod:`memgen.scorecard`, ids ``diff.*``) compute each result once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import json
import time
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
    steps: int
    batch_size: int
    lr_final: float | None = None  # geometric decay from lr to lr_final


@dataclass(frozen=True)
class Ch6Settings:
    """Chapter 6's toy diffusion models and sampler."""

    #: the model of the paper's toy: p = 256 units, sigma log-uniform in [0.02, 2], x0 prediction
    p: int = 256
    hidden: int = 16
    sigma_min: float = 0.02
    sigma_max: float = 2.0
    #: memorizing: 5 separable centred digits, RMSprop 1e-3, weight decay 1e-2 (the paper's toy)
    mem: ToyRun = field(default_factory=lambda: ToyRun(n=5, optimizer="rmsprop", lr=1e-3, weight_decay=1e-2, steps=30000, batch_size=64))
    #: generalizing: 1500 centred digits, Adam, weight decay 5e-4 (the rest, 297 digits, held out)
    gen: ToyRun = field(default_factory=lambda: ToyRun(n=1500, optimizer="adam", lr=1e-3, lr_final=1e-4, weight_decay=5e-4, steps=10000,
            batch_size=256))
    #: sampling: 60 geometric steps from 2 to 0.02, then 0 (the paper's toy sampler)
    n_steps: int = 60
    n_samples: int = 200
    n_show: int = 6  # samples whose whole trajectory the figures show
    frame_every: int = 3  # the trajectory figure shows every 3rd step (and the last)
    #: copies: direction ratio d1/d2 < 1/3 (Carlini et al. 2023); the cosine criterion for comparison
    copy_ratio: float = 1.0 / 3.0
    copy_cosine: float = 0.95
    seed: int = 0

    def replace(self, **changes) -> "Ch6Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH6 = Ch6Settings()


@experiment
def ch6_data() -> dict:
    """Centred digits: the 5 memorized ones (pairwise cosines <= 0), 1500 for generalization, the rest held out."""
    Xall, digits = centred_digits()
    mem_idx = separable_subset(Xall, CH6.mem.n, max_cosine=0.0, seed=CH6.seed)
    perm = torch.randperm(len(Xall), generator=torch.Generator().manual_seed(CH6.seed))
    gen_idx, test_idx = perm[:CH6.gen.n].sort().values, perm[CH6.gen.n:].sort().values
    return {"X_mem": Xall[mem_idx], "X_gen": Xall[gen_idx], "X_test": Xall[test_idx], "mem_index": mem_idx,
            "test_index": test_idx, "image_shape": digits.image_shape}


#: Where the shipped checkpoints live (made by data/toy_diffusion/make_checkpoints.py).
CHECKPOINT_DIR = data_path("toy_diffusion")  # the repository's data/ or the installed memgen_data
KINDS = ("mem", "gen")
LOSS_WINDOW = 100  # the stored loss curve: means over windows of this many steps


def _train(kind: str, progress: bool = False) -> dict:
    c, data = CH6[kind], ch6_data()
    X = data["X_mem"] if kind == "mem" else data["X_gen"]
    model = ToyDiffusionDenoiser(X.shape[1], CH6.p, hidden=CH6.hidden, seed=CH6.seed)
    res = train_diffusion(model, X, optimizer=c.optimizer, lr=c.lr, lr_final=c.lr_final,
                          weight_decay=c.weight_decay, steps=c.steps, batch_size=c.batch_size,
                          sigma_min=CH6.sigma_min, sigma_max=CH6.sigma_max, seed=CH6.seed, progress=progress)
    curve = res.losses[: len(res.losses) // LOSS_WINDOW * LOSS_WINDOW].reshape(-1, LOSS_WINDOW).mean(1)
    return {"model": model.eval(), "X": X, "loss_curve": curve, "seconds": res.seconds}


def train_models(progress: bool = False) -> dict:
    """Train both models from scratch with the settings of :data:`CH6` (seeded; minutes on a CPU)."""
    return {kind: _train(kind, progress) for kind in KINDS}


def write_checkpoints(models: dict, folder=CHECKPOINT_DIR) -> dict:
    """Save ``{kind}.pt`` for both models, ``training.json`` (loss curves) and ``SHA256SUMS``.

    Every file is a function of the settings and the seed only (no timings, no dates), so running
    the script again on the same platform reproduces the checksums."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        save_checkpoint(models[kind]["model"], folder / f"{kind}.pt")
    meta = {kind: {"loss_window": LOSS_WINDOW,
                   "loss_curve": [round(float(v), 5) for v in models[kind]["loss_curve"]]} for kind in KINDS}
    (folder / "training.json").write_text(json.dumps(meta, indent=1) + "\n")
    names = [f"{kind}.pt" for kind in KINDS] + ["training.json"]
    sums = {name: sha256_file(folder / name) for name in names}
    (folder / "SHA256SUMS").write_text("".join(f"{h}  {name}\n" for name, h in sums.items()))
    return sums


def read_checksums(folder=CHECKPOINT_DIR) -> dict:
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (the format of ``sha256sum``)."""
    return shipped_data.read_checksums(folder)


def load_models(folder=CHECKPOINT_DIR) -> dict:
    """The shipped models, each file verified against ``SHA256SUMS`` (a mismatch raises ChecksumError)."""
    from ..diffusion import ChecksumError

    folder = Path(folder)
    sums = read_checksums(folder)
    meta_path = folder / "training.json"
    if sha256_file(meta_path) != sums["training.json"]:
        raise ChecksumError(f"checksum mismatch for {meta_path}; regenerate it with "
                            "`python data/toy_diffusion/make_checkpoints.py`")
    meta = json.loads(meta_path.read_text())
    data = ch6_data()
    return {kind: {"model": load_checkpoint(folder / f"{kind}.pt", sums[f"{kind}.pt"]),
                   "X": data["X_mem"] if kind == "mem" else data["X_gen"],
                   "loss_curve": np.asarray(meta[kind]["loss_curve"]), "seconds": None}
            for kind in KINDS}


@experiment
def ch6_models() -> dict:
    """Both models: loaded from the shipped checkpoints (checksums verified) when they are there, else
    trained here (for instance in Colab, where the repository's data/ folder is not installed).
    ``{"mem": {...}, "gen": {...}}`` with model, X, loss_curve, seconds (training time here, None when
    loaded), source ("checkpoint" or "trained")."""
    if (CHECKPOINT_DIR / "SHA256SUMS").is_file():
        models, source = load_models(), "checkpoint"
    else:
        print("no shipped checkpoints found: training both models here (a few minutes on a CPU)")
        models, source = train_models(progress=True), "trained"
    for m in models.values():
        m["source"] = source
        m["model"].requires_grad_(False)  # inference only from here on
    return models


@experiment
def ch6_sampling() -> dict:
    """Sample ``n_samples`` digits from each model with the ancestral VE sampler (the same initial
    noise and the same sampler noise for both), recording the trajectory; and with the deterministic
    probability-flow sampler from the same starts. Copy statistics against each training set."""
    models = ch6_models()
    sigmas = sigma_schedule(CH6.n_steps, CH6.sigma_max, CH6.sigma_min)
    d = models["mem"]["X"].shape[1]
    x_T = CH6.sigma_max * torch.randn(CH6.n_samples, d, generator=torch.Generator().manual_seed(CH6.seed + 1))
    out = {"sigmas": sigmas, "x_T": x_T}
    t0 = time.perf_counter()
    for kind, m in models.items():
        g = torch.Generator().manual_seed(CH6.seed + 2)
        traj = record_trajectory(m["model"], x_T, sigmas, sampler="ancestral", generator=g)
        pf = record_trajectory(m["model"], x_T, sigmas, sampler="probability_flow", keep=[])
        stats = copy_statistics(traj["final"], m["X"])
        pf_stats = copy_statistics(pf["final"], m["X"])
        out[kind] = {
            "traj": traj,
            "copies": stats,
            "copy_fraction": float((stats["ratio"] < CH6.copy_ratio).double().mean()),
            "cosine_fraction": float((stats["cosine"] >= CH6.copy_cosine).double().mean()),
            "pf_final": pf["final"],
            "pf_copy_fraction": float((pf_stats["ratio"] < CH6.copy_ratio).double().mean()),
            "final_std": float(traj["std"][-1].mean()),
            "final_top1": float(traj["top1"][-1].mean()),
            # per step: the fraction of the guesses D(x_t; sigma_t) that are already copies
            "guess_copy": torch.tensor([float((copy_statistics(traj["denoised"][t], m["X"])["ratio"]
                                               < CH6.copy_ratio).double().mean()) for t in range(len(traj["sigma"]))]),
        }
    out["seconds"] = time.perf_counter() - t0
    out["std_ratio"] = out["mem"]["final_std"] / out["gen"]["final_std"]
    out["top1_ratio"] = out["mem"]["final_top1"] / out["gen"]["final_top1"]
    return out


@experiment
def ch6_std_diagnosis() -> dict:
    """Why the std of h does not separate the two toy models: h at each model's final samples and at
    the smallest noise level, as sampled and rescaled to unit norm (h is positively homogeneous in x,
    so this removes the input's scale and nothing else). Mean std and mean coefficient of variation
    std/mean (scale-free) of h per model, and the memorizing-over-generalizing ratios."""
    from ..stats import unit_std

    samp, models = ch6_sampling(), ch6_models()
    sigma = float(samp["sigmas"][-2])  # the last nonzero noise level of the sampler
    out = {"sigma": sigma}
    for kind, m in models.items():
        x = samp[kind]["traj"]["final"]
        with torch.no_grad():
            h = m["model"].representation(x, sigma)
            h_unit = m["model"].representation(x / x.norm(dim=1, keepdim=True), sigma)
        out[kind] = {"std": float(unit_std(h).mean()), "std_unit": float(unit_std(h_unit).mean()),
                     "cv": float((unit_std(h) / h.mean(dim=1)).mean())}
    for key in ("std", "std_unit", "cv"):
        out[key + "_ratio"] = out["mem"][key] / out["gen"][key]
    return out


@experiment
def ch6_calibration() -> dict:
    """The copy criterion on real digits that are copies of nothing: held-out digits against each
    training set (the false-positive rate of each criterion)."""
    data = ch6_data()
    rows = {}
    for kind, X in (("mem", data["X_mem"]), ("gen", data["X_gen"])):
        s = copy_statistics(data["X_test"], X)
        rows[kind] = {"stats": s, "ratio_fp": float((s["ratio"] < CH6.copy_ratio).double().mean()),
                      "cosine_fp": float((s["cosine"] >= CH6.copy_cosine).double().mean())}
    return rows
