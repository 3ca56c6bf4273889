"""Chapter 7 experiment drivers: real (UNet) denoisers and their Jacobians.

Configuration dicts first, then cached drivers the chapter and the scorecard both call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ..unet import TrainConfig, UNetConfig
from .cache import experiment

#: The digits split: a fixed seeded permutation of the 1797 scikit-learn digits; the last
#: ``N_HELD_OUT`` are never used for training.
SPLIT_SEED = 7
N_HELD_OUT = 200
N_MEMORIZED = 32
#: The memorizing DiT's training set: the first 8 of the memorizing UNet's 32 digits (trained on
#: all 32 with the same budget, the DiT did not memorize: model "dit_32").
N_DIT_MEMORIZED = 8

_CONFIG = UNetConfig(
    image_size=8,
    block_out_channels=(16, 32),
    layers_per_block=1,
    norm_num_groups=8,
    sigma_data=0.5,
    sigma_min=0.1,
    sigma_max=2.0,
    parameterisation="x0",
)

#: The bias-free UNet (:mod:`memgen.bfunet`): same data, noise range, parameterisation and loss;
#: no additive constants anywhere, so D(t y, sigma) = t D(y, sigma) for t > 0.
_BF_CONFIG = UNetConfig(
    image_size=8,
    block_out_channels=(32, 64),
    layers_per_block=1,
    sigma_data=0.5,
    sigma_min=0.1,
    sigma_max=2.0,
    parameterisation="x0",
    architecture="bias_free",
)

#: A small diffusers DiTTransformer2DModel (memgen.unet.DiTNet): 8x8 digits in patches of 2x2
#: (16 tokens), 2 transformer blocks of width 32 (2 heads of 16), adaLN-Zero on the noise level;
#: the same data, noise range, parameterisation, loss, optimiser and seed as the UNets.
_DIT_CONFIG = UNetConfig(
    image_size=8,
    sigma_data=0.5,
    sigma_min=0.1,
    sigma_max=2.0,
    parameterisation="x0",
    architecture="dit",
    patch_size=2,
    num_layers=2,
    attention_heads=2,
    attention_head_dim=16,
)
_DIT_TRAIN = TrainConfig(steps=6000, batch_size=32, lr=3e-3, seed=0)

#: The shipped models (data/unets/<name>.safetensors); "data" names the training set
#: (:func:`training_images`).
UNET_RUNS = {
    "memorizing": {
        "config": _CONFIG,
        "train": TrainConfig(steps=6000, batch_size=32, lr=3e-3, seed=0),
        "data": "memorizing",
    },
    "generalizing": {
        "config": _CONFIG,
        "train": TrainConfig(steps=4000, batch_size=32, lr=3e-3, seed=0),
        "data": "generalizing",
    },
    "bias_free_memorizing": {
        "config": _BF_CONFIG,
        "train": TrainConfig(steps=6000, batch_size=32, lr=3e-3, seed=0),
        "data": "memorizing",
    },
    "bias_free_generalizing": {
        "config": _BF_CONFIG,
        "train": TrainConfig(steps=6000, batch_size=32, lr=3e-3, seed=0),
        "data": "generalizing",
    },
    "dit_memorizing": {"config": _DIT_CONFIG, "train": _DIT_TRAIN, "data": "few"},
    "dit_32": {"config": _DIT_CONFIG, "train": _DIT_TRAIN, "data": "memorizing"},
    "dit_generalizing": {"config": _DIT_CONFIG, "train": _DIT_TRAIN, "data": "generalizing"},
}


@experiment
def digit_split() -> tuple:
    """``(x_all, train_index, held_out_index)``: all 1797 digits in [-1, 1] (8x8, flattened) and
    the index arrays of the training pool and of the held-out digits."""
    from ..data import load_digits

    x = load_digits().x
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    return x, perm[:-N_HELD_OUT].sort().values, perm[-N_HELD_OUT:].sort().values


def training_images(name: str) -> tuple:
    """``(x, index)``: the training images of model ``name`` (a key of :data:`UNET_RUNS`) and their
    indices in the digits set. The memorizing models see the first ``N_MEMORIZED`` of the training
    pool ("memorizing"), the memorizing DiT the first ``N_DIT_MEMORIZED`` ("few"), the generalizing
    ones the whole pool."""
    from .._checks import check_choice

    check_choice("name", name, tuple(UNET_RUNS))
    x, train, _ = digit_split()
    sizes = {"memorizing": N_MEMORIZED, "few": N_DIT_MEMORIZED, "generalizing": len(train)}
    n = sizes[UNET_RUNS[name]["data"]]
    index = train[:n]
    return x[index], index


#: The Jacobian analysis: noise levels, how many inputs, seeds.
@dataclass(frozen=True)
class JacobianSettings:
    """Chapter 7's Jacobian measurements."""

    sigma: float = (
        0.2  # evaluation noise level (small, as in the paper; the smallest trained is 0.1)
    )
    sigmas: tuple = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)  # the noise-level sweep (the trained range)
    n_inputs: int = 32  # memorized inputs: all 32 training images; generalized: 32 held-out digits
    n_sweep: int = 8  # inputs per noise level in the sweep
    k_show: int = 4  # singular vectors shown as images
    noise_seed: int = 0  # noise of the evaluation inputs
    dae_sigma: float | None = (
        None  # the chapter 3 DAEs are evaluated at their training noise (CH3.digits_sigma)
    )
    bench_size: int = (
        32  # randomized vs full Jacobian: the generalizing UNet run on 32x32 inputs (d = 1024)
    )
    bench_k: int = 8  # singular values of the randomized SVD
    bench_oversample: int = 16  # its oversampling
    bench_power_iters: int = 4  # its power iterations

    def replace(self, **changes) -> "JacobianSettings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


JAC = JacobianSettings()


@experiment
def load_models() -> dict:
    """The two shipped UNet denoisers (checksums verified), by name."""
    from ..unet import load_denoiser

    return {name: load_denoiser(name) for name in UNET_RUNS}


def held_out_images() -> torch.Tensor:
    """The first ``JAC.n_inputs`` held-out digits (never seen by either model)."""
    x, _, held = digit_split()
    return x[held[: JAC.n_inputs]]


def noisy(X: torch.Tensor, sigma: float, seed: int) -> torch.Tensor:
    """``X + sigma eps`` with seeded Gaussian noise."""
    g = torch.Generator().manual_seed(seed)
    return X + sigma * torch.randn(X.shape, generator=g)


def spectrum_at_inputs(fn, X: torch.Tensor, Y: torch.Tensor, stored: torch.Tensor, k: int) -> dict:
    """Full Jacobians of ``fn`` at the rows of ``Y`` (clean images ``X``): singular values, the top
    ``k`` left singular vectors (sign chosen to correlate positively with the clean image), the
    effective rank (singular values >= 1/2), the entropy rank, the cosine of the top singular
    vector with the clean image and with the closest *other* image of ``stored``, the cosine of
    the output with the clean image, and Euler's residual ``||J(y) y - D(y)|| / ||D(y)||`` (zero
    for a positively homogeneous ``fn``)."""
    from ..jacobian import abs_cosine, batched_jacobians, effective_rank, entropy_rank

    S, U, erank, hrank, cos_own, cos_other, out, euler = [], [], [], [], [], [], [], []
    Js = batched_jacobians(fn, Y)
    for x, y, J in zip(X, Y, Js):
        u, s, _ = torch.linalg.svd(J.double())
        u = u[:, :k] * torch.sign(u[:, :k].T @ x.double())[None]
        (
            S.append(s.float()),
            U.append(u.float().T),
            erank.append(effective_rank(s)),
            hrank.append(entropy_rank(s)),
        )
        cos_own.append(abs_cosine(u[:, 0], x))
        others = [abs_cosine(u[:, 0], z) for z in stored if not torch.equal(z, x)]
        cos_other.append(max(others))
        with torch.no_grad():
            out.append(fn(y[None])[0])
        euler.append(float((J @ y - out[-1]).norm() / out[-1].norm()))
    out = torch.stack(out)
    cos_out = np.array([abs_cosine(o - x.mean(), x - x.mean()) for o, x in zip(out, X)])
    # is the output's nearest image of ``stored`` (cosine, both centred) the input's own? (NaN
    # where the clean image is not in ``stored``): a constant function can be right for at most
    # one stored image
    Zc = stored - stored.mean(dim=1, keepdim=True)
    Oc = out.reshape(len(out), -1) - out.reshape(len(out), -1).mean(dim=1, keepdim=True)
    nearest = ((Oc / Oc.norm(dim=1, keepdim=True)) @ (Zc / Zc.norm(dim=1, keepdim=True)).T).argmax(
        1
    )
    own = [
        next((j for j, z in enumerate(stored) if torch.equal(z, x)), None)
        for x in X.reshape(len(X), -1)
    ]
    out_own = np.array(
        [np.nan if j is None else float(int(nb) == j) for nb, j in zip(nearest, own)]
    )
    return {
        "S": torch.stack(S),
        "U": torch.stack(U),
        "erank": np.array(erank),
        "hrank": np.array(hrank),
        "cos_own": np.array(cos_own),
        "cos_other": np.array(cos_other),
        "out": out,
        "cos_out": cos_out,
        "out_nearest_is_own": out_own,
        "euler": np.array(euler),
        "X": X,
        "Y": Y,
    }


@experiment
def ch7_unet_jacobians() -> dict:
    """Jacobians of the memorizing UNet at noisy copies of its training images and of the
    generalizing UNet at noisy held-out digits, at ``JAC.sigma``."""
    from ..empirical import jacobian_norm_bound

    c, models = JAC, load_models()
    sigma, k = c.sigma, c.k_show
    X_mem, _ = training_images("memorizing")
    X_new = held_out_images()
    Y_mem = noisy(X_mem, sigma, c.noise_seed)
    # the two predictions for s1 at the memorized inputs, from the data alone: the empirical
    # denoiser's bound (flat) and Euler's lower bound ||x_i|| / ||y|| of a ray-storing denoiser
    emp_bound = jacobian_norm_bound(Y_mem, X_mem, sigma)
    ray_s1 = X_mem.norm(dim=1) / Y_mem.norm(dim=1)
    mem = spectrum_at_inputs(lambda v: models["memorizing"](v, sigma), X_mem, Y_mem, X_mem, k)
    gen = spectrum_at_inputs(
        lambda v: models["generalizing"](v, sigma),
        X_new,
        noisy(X_new, sigma, c.noise_seed + 1),
        X_mem,
        k,
    )
    # the memorizing model at novel digits: it answers with a stored digit
    cross = spectrum_at_inputs(
        lambda v: models["memorizing"](v, sigma),
        X_new,
        noisy(X_new, sigma, c.noise_seed + 1),
        X_mem,
        k,
    )
    return {
        "sigma": sigma,
        "mem": mem,
        "gen": gen,
        "mem_at_new": cross,
        "mem_median_erank": float(np.median(mem["erank"])),
        "gen_median_erank": float(np.median(gen["erank"])),
        "mem_median_hrank": float(np.median(mem["hrank"])),
        "gen_median_hrank": float(np.median(gen["hrank"])),
        "mem_median_s1": float(mem["S"][:, 0].median()),
        "gen_median_s1": float(gen["S"][:, 0].median()),
        "mem_median_cos": float(np.median(mem["cos_own"])),
        "mem_out_own_fraction": float(np.mean(mem["out_nearest_is_own"])),
        "mem_median_cos_other": float(np.median(mem["cos_other"])),
        "gen_median_cos": float(np.median(gen["cos_own"])),
        "emp_bound_max": float(emp_bound.max()),
        "ray_s1_median": float(ray_s1.median()),
        "image_shape": (8, 8),
    }


@experiment
def ch7_bias_free_jacobians() -> dict:
    """The same analysis as :func:`ch7_unet_jacobians` (same inputs, same noise draws) for the two
    bias-free UNets, plus Euler's identity ``J(y) y = D(y)`` as a check of homogeneity: its largest
    relative error over all inputs of both bias-free models, and for contrast its median for the
    memorizing ``UNet2DModel`` at the same inputs (from :func:`ch7_unet_jacobians`)."""
    c, models = JAC, load_models()
    sigma, k = c.sigma, c.k_show
    X_mem, _ = training_images("bias_free_memorizing")
    X_new = held_out_images()
    out = {"sigma": sigma, "image_shape": (8, 8)}
    for key, name, X, seed in (
        ("mem", "bias_free_memorizing", X_mem, c.noise_seed),
        ("gen", "bias_free_generalizing", X_new, c.noise_seed + 1),
    ):
        fn = lambda v, m=models[name]: m(v, sigma)  # noqa: E731
        Y = noisy(X, sigma, seed)
        out[key] = r = spectrum_at_inputs(fn, X, Y, X_mem, k)
        out[key + "_median_erank"] = float(np.median(r["erank"]))
        out[key + "_median_hrank"] = float(np.median(r["hrank"]))
        out[key + "_median_s1"] = float(r["S"][:, 0].median())
        out[key + "_median_s2"] = float(r["S"][:, 1].median())
        out[key + "_median_cos"] = float(np.median(r["cos_own"]))
    out["mem_median_cos_other"] = float(np.median(out["mem"]["cos_other"]))
    out["mem_median_out_cos"] = float(np.median(out["mem"]["cos_out"]))
    out["mem_out_own_fraction"] = float(np.mean(out["mem"]["out_nearest_is_own"]))
    out["mem_own_beats_other"] = float(np.mean(out["mem"]["cos_own"] > out["mem"]["cos_other"]))
    out["euler_max_rel_err"] = float(max(out["mem"]["euler"].max(), out["gen"]["euler"].max()))
    out["unet2d_euler_median_rel_err"] = float(np.median(ch7_unet_jacobians()["mem"]["euler"]))
    return out


def copy_fraction(model, X: torch.Tensor, n: int = 100, seed: int = 0) -> float:
    """Fraction of ``n`` samples of ``model`` (probability-flow ODE, Heun, 30 geometric
    steps over the trained range, then 0) that copy a training image of ``X``: nearest-neighbour
    distance ratio d1/d2 < 1/3 (Carlini et al. 2023)."""
    from ..detection import nearest_training_ratio
    from ..sampling import sample_probability_flow, sigma_schedule

    cfg = model.config
    x_T = cfg.sigma_max * torch.randn(n, X.shape[1], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        sigmas = sigma_schedule(30, cfg.sigma_max, cfg.sigma_min)
        S = sample_probability_flow(model, x_T, sigmas, solver="heun")
    return float((nearest_training_ratio(S, X)["ratio"] < 1.0 / 3.0).double().mean())


@experiment
def ch7_dit_jacobians() -> dict:
    """The analysis of :func:`ch7_unet_jacobians` (same noise draws) for the small DiTs: the
    memorizing one (8 digits) at noisy copies of its training digits, the generalizing one at the
    noisy held-out digits, the memorizing one at the held-out digits, and ``dit_32`` (the same
    training on the memorizing UNet's 32 digits) at its 32. Full Jacobians by reverse mode with the
    MATH scaled-dot-product-attention backend (forward mode through diffusers' attention fails on
    a CPU). Also, from the data alone: the number of directions that the Gaussian (Wiener) denoiser
    of the generalizing training set passes with gain >= 1/2 at this sigma, ``#{l_j >= sigma^2}``,
    the empirical denoiser's Jacobian bound and the ray's Euler bound ||x_i|| / ||y|| at the
    memorized inputs; and each DiT's copy fraction (:func:`copy_fraction`), the independent test of
    which one memorizes."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from ..empirical import jacobian_norm_bound

    c, models = JAC, load_models()
    sigma, k = c.sigma, c.k_show
    X_mem, _ = training_images("dit_memorizing")
    X_32, _ = training_images("dit_32")
    X_gen, _ = training_images("dit_generalizing")
    X_new = held_out_images()
    Y_mem, Y_32 = noisy(X_mem, sigma, c.noise_seed), noisy(X_32, sigma, c.noise_seed)
    Y_new = noisy(X_new, sigma, c.noise_seed + 1)
    fns = {
        name: (lambda v, m=models[name]: m(v, sigma))
        for name in ("dit_memorizing", "dit_32", "dit_generalizing")
    }
    with sdpa_kernel(SDPBackend.MATH):
        mem = spectrum_at_inputs(fns["dit_memorizing"], X_mem, Y_mem, X_mem, k)
        gen = spectrum_at_inputs(fns["dit_generalizing"], X_new, Y_new, X_mem, k)
        cross = spectrum_at_inputs(fns["dit_memorizing"], X_new, Y_new, X_mem, k)
        d32 = spectrum_at_inputs(fns["dit_32"], X_32, Y_32, X_32, k)
        copies = {
            "mem": copy_fraction(models["dit_memorizing"], X_mem),
            "d32": copy_fraction(models["dit_32"], X_32),
            "gen": copy_fraction(models["dit_generalizing"], X_gen),
        }
    ell = torch.linalg.eigvalsh(torch.cov(X_gen.double().T))
    out = {
        "sigma": sigma,
        "mem": mem,
        "gen": gen,
        "mem_at_new": cross,
        "d32": d32,
        "image_shape": (8, 8),
        "n_mem": len(X_mem),
        "wiener_erank": int((ell >= sigma**2).sum()),
        "emp_bound_max": float(jacobian_norm_bound(Y_mem, X_mem, sigma).max()),
        "ray_s1_median": float((X_mem.norm(dim=1) / Y_mem.norm(dim=1)).median()),
        "cross_median_erank": float(np.median(cross["erank"])),
    }
    for key, r in (("mem", mem), ("gen", gen), ("d32", d32)):
        out[key + "_median_erank"] = float(np.median(r["erank"]))
        out[key + "_median_s1"] = float(r["S"][:, 0].median())
        out[key + "_median_out_cos"] = float(np.median(r["cos_out"]))
        out[key + "_copy_fraction"] = copies[key]
    out["mem_median_cos"] = float(np.median(mem["cos_own"]))
    return out


@experiment
def ch7_bias_free_sweep() -> dict:
    """The bias-free UNets over the noise levels of ``JAC.sigmas`` (all 32 memorized and 32
    held-out inputs, fresh noise per level): median effective rank of both; for the memorizing model
    the median cosine of its top singular vector u1 with the stored digit, its largest singular
    value, the (centred) cosine of its output with the stored digit, and the fraction of u1's norm
    in the span of the differences ``x_j - x_i`` to the other stored digits (the directions in which
    the posterior-covariance term of the empirical denoiser lives)."""
    c, models = JAC, load_models()
    X_mem, _ = training_images("bias_free_memorizing")
    X_new = held_out_images()
    # an orthonormal basis of span{x_j - x_i : j != i} for each stored digit i
    bases = [
        torch.linalg.qr(torch.cat([X_mem[:i], X_mem[i + 1 :]]).T - X_mem[i][:, None])[0]
        for i in range(len(X_mem))
    ]
    out = {
        "sigmas": c.sigmas,
        "mem_erank": [],
        "gen_erank": [],
        "mem_cos": [],
        "mem_s1": [],
        "mem_cos_out": [],
        "mem_u1_in_differences": [],
    }
    for i, sigma in enumerate(c.sigmas):
        mem = spectrum_at_inputs(
            lambda v: models["bias_free_memorizing"](v, sigma),
            X_mem,
            noisy(X_mem, sigma, 200 + i),
            X_mem,
            1,
        )
        gen = spectrum_at_inputs(
            lambda v: models["bias_free_generalizing"](v, sigma),
            X_new,
            noisy(X_new, sigma, 300 + i),
            X_mem,
            1,
        )
        out["mem_erank"].append(float(np.median(mem["erank"])))
        out["gen_erank"].append(float(np.median(gen["erank"])))
        out["mem_cos"].append(float(np.median(mem["cos_own"])))
        out["mem_s1"].append(float(mem["S"][:, 0].median()))
        out["mem_cos_out"].append(float(np.median(mem["cos_out"])))
        out["mem_u1_in_differences"].append(
            float(
                np.median(
                    [float((Q.T @ u).norm() / u.norm()) for Q, u in zip(bases, mem["U"][:, 0])]
                )
            )
        )
    return out


@experiment
def ch7_noise_sweep() -> dict:
    """Median effective rank of both UNets' Jacobians over a range of noise levels."""
    from ..jacobian import batched_jacobians, effective_rank

    c, models = JAC, load_models()
    X_mem = training_images("memorizing")[0][: c.n_sweep]
    X_new = held_out_images()[: c.n_sweep]
    out = {"sigmas": c.sigmas, "mem": [], "gen": [], "mem_S": [], "gen_S": []}
    for i, sigma in enumerate(c.sigmas):
        for key, name, X in (("mem", "memorizing", X_mem), ("gen", "generalizing", X_new)):
            Y = noisy(X, sigma, 100 + i)
            S = torch.linalg.svdvals(
                batched_jacobians(lambda v: models[name](v, sigma), Y).double()
            )
            out[key].append(float(np.median([effective_rank(s) for s in S])))
            out[key + "_S"].append(S.median(0).values.float())
    return out


@experiment
def memorizing_dae() -> tuple:
    """``(model, X)``: chapter 2's memorizing DAE, p = n = 6 separable centred digits, sigma = 0.2,
    lambda = 0.5 (``experiments.CH2``), trained with ``fit_dae`` (best of the first two CH2
    seeds)."""
    from ..fit_fast import fit_dae
    from ..memorization import separable_subset
    from . import ch02_memorization as ex2

    c = ex2.CH2
    Xall, _ = ex2.centred_digits()
    X = Xall[separable_subset(Xall, c.n, max_cosine=c.max_cosine, seed=c.subset_seed)]
    fit = fit_dae(X, c.p_exact, sigma=c.sigma, lam=c.lam, steps=c.steps, seed=list(c.seeds[:2]))
    return ex2.best_of(fit), X


@experiment
def ch7_dae_jacobians() -> dict:
    """Two-layer DAEs on centred digits, J = W2 D(y) W1^T in closed form: chapter 2's memorizing
    DAE (p = n = 6) at noisy copies of its training digits (its sigma), and chapter 3's generalizing
    DAE (p = 16, n = 1000) at noisy held-out digits (its sigma)."""
    from ..jacobian import abs_cosine, effective_rank, entropy_rank
    from . import ch02_memorization as ex2
    from . import ch03_generalization as ex3

    r = ex3.ch3_digits()
    mem, Xm = memorizing_dae()
    g = torch.Generator().manual_seed(JAC.noise_seed + 5)
    Xt = r["Xt"][: JAC.n_inputs]
    s_mem, s_gen = ex2.CH2.sigma, ex3.CH3.digits_sigma
    Ym = Xm + s_mem * torch.randn(Xm.shape, generator=g)
    Yt = Xt + s_gen * torch.randn(Xt.shape, generator=g)
    out = {
        "sigma_mem": s_mem,
        "sigma": s_gen,
        "p_mem": int(mem.p),
        "n_mem": len(Xm),
        "p": int(r["gen"].p),
        "n_gen": len(r["X"]),
    }
    for key, model, X, Y in (("mem", mem, Xm, Ym), ("gen", r["gen"], Xt, Yt)):
        with torch.no_grad():
            J = model.jacobian(Y)
        u, s, _ = torch.linalg.svd(J.double())
        out[key + "_S"] = s.float()
        out[key + "_erank"] = np.array([effective_rank(si) for si in s])
        out[key + "_hrank"] = np.array([entropy_rank(si) for si in s])
        out[key + "_cos"] = np.array([abs_cosine(u[i, :, 0], X[i]) for i in range(len(X))])
        out[key + "_top"] = (
            u[:, :, 0] * torch.sign((u[:, :, 0] * X.double()).sum(1, keepdim=True))
        ).float()
        out[key + "_X"] = X
    out["mem_median_erank"] = float(np.median(out["mem_erank"]))
    out["gen_median_erank"] = float(np.median(out["gen_erank"]))
    out["mem_median_cos"] = float(np.median(out["mem_cos"]))
    out["gen_median_cos"] = float(np.median(out["gen_cos"]))
    out["mem_median_hrank"] = float(np.median(out["mem_hrank"]))
    out["gen_median_hrank"] = float(np.median(out["gen_hrank"]))
    return out


def _bench_input(size: int) -> torch.Tensor:
    """A held-out digit upsampled to ``size x size``, plus noise at JAC.sigma (flattened)."""
    from ..unet import upsample_digits

    x = upsample_digits(held_out_images()[:1], size)
    return noisy(x, JAC.sigma, 7)


def randomized_vs_full(
    size: int | None = None, *, k=None, oversample=None, power_iters=None, repeats: int = 1
) -> dict:
    """The randomized top-k SVD against the full Jacobian + SVD on the same model and input: the
    generalizing UNet (fully convolutional, so it runs on ``size x size`` inputs), in one process.
    Returns both sets of top-k singular values, their relative errors, and both times (best of
    ``repeats``)."""
    import time

    from ..jacobian import full_jacobian, randomized_svd

    c = JAC
    size = size or c.bench_size
    k, oversample = k or c.bench_k, oversample if oversample is not None else c.bench_oversample
    power_iters = c.bench_power_iters if power_iters is None else power_iters
    model = load_models()["generalizing"]
    y = _bench_input(size).reshape(1, 1, size, size)
    fn = lambda v: model(v, c.sigma)  # noqa: E731
    t_full, t_rand = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s_full = torch.linalg.svdvals(full_jacobian(fn, y, chunk_size=256).double())
        t_full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        S, _, _ = randomized_svd(fn, y, k, oversample=oversample, power_iters=power_iters, seed=0)
        t_rand.append(time.perf_counter() - t0)
    rel = (S.double() - s_full[:k]).abs() / s_full[:k]
    return {
        "d": size * size,
        "k": k,
        "s_full": s_full[:k].float(),
        "s_rand": S.float(),
        "rel_err": rel.float(),
        "max_rel_err": float(rel.max()),
        "t_full": min(t_full),
        "t_rand": min(t_rand),
        "speedup": min(t_full) / min(t_rand),
    }


@experiment
def ch7_randomized() -> dict:
    """The chapter's run of :func:`randomized_vs_full` (cached for the scorecard)."""
    return randomized_vs_full()
