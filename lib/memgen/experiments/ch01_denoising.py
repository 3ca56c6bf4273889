"""Chapter 1's experiments: the denoising objective, the empirical denoiser, a first DAE."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from .. import data as mdata
from ..dae import ReLUDAE
from ..empirical import (
    empirical_denoiser,
    empirical_sampling_memorization,
    empirical_score,
    log_density,
)
from ..linear import (
    linear_denoising_risk,
    linear_denoising_risk_mc,
    optimal_linear_denoiser,
)
from ..stats import l4_l2_ratio, pairwise_cosine, top1_share, unit_std
from ..train_mc import train_dae
from .cache import experiment

# ---------------------------------------------------------------- chapter 1: the denoising
# objective


@dataclass(frozen=True)
class Ch1Settings:
    """Chapter 1's settings."""

    #: the linear identity: digits, the best linear (Wiener) denoiser at sigma
    identity_n: int = 200  # digits in the risk-identity check
    identity_sigma: float = 0.5  # its noise level
    identity_draws: int = 400  # Monte Carlo noise draws per digit
    #: Tweedie check: 50 digits, 64 noisy query points
    tweedie_n: int = 50  # training digits of the Tweedie check
    tweedie_sigma: float = 0.5  # its noise level
    #: sampling with the empirical optimal denoiser
    sampling_n: int = 200  # training digits the empirical denoiser samples from
    sampling_samples: int = 64  # samples drawn
    sampling_steps: int = 60  # sampler steps (geometric sigmas)
    #: the 2-D picture of the empirical denoiser
    toy_sigmas: tuple = (
        0.02,
        0.05,
        0.1,
        0.2,
        0.35,
        0.5,
        0.75,
        1.0,
        1.5,
        2.5,
    )  # the 2-D figure's noise-level slider
    #: the first trained DAE
    dae_n: int = 6  # training digits of the first DAE
    dae_p: int = 32  # its width
    dae_sigma: float = 0.2  # its noise level
    dae_lam: float = 1e-3  # its weight decay
    dae_steps: int = 2000  # its training steps (fit_dae)
    seed: int = 0  # every random draw of the chapter

    def replace(self, **changes) -> "Ch1Settings":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


CH1 = Ch1Settings()


@experiment
def ch1_linear_identity() -> dict:
    """Monte Carlo against the closed form E||M(x+sigma eps)-x||^2 = ||(M-I)x||^2 +
    sigma^2||M||_F^2."""
    X = mdata.load_digits(n=CH1.identity_n, seed=CH1.seed).x
    sigma = CH1.identity_sigma
    M = optimal_linear_denoiser(X, sigma)  # the Wiener filter S (S + sigma^2 I)^{-1}
    closed = float(linear_denoising_risk(M, X, sigma))
    mc = float(linear_denoising_risk_mc(M, X, sigma, n_draws=CH1.identity_draws, seed=CH1.seed))
    identity = float(
        linear_denoising_risk(torch.eye(X.shape[1]), X, sigma)
    )  # M = I: pure noise, sigma^2 d
    zero = float(linear_denoising_risk(torch.zeros_like(M), X, sigma))  # M = 0: mean ||x||^2
    return {
        "X": X,
        "M": M,
        "sigma": sigma,
        "closed": closed,
        "mc": mc,
        "rel_err": abs(mc - closed) / closed,
        "risk_identity": identity,
        "risk_zero": zero,
    }


@experiment
def ch1_tweedie_check() -> dict:
    """Tweedie's formula: the empirical score against torch autograd of log p_sigma."""
    X = mdata.load_digits(n=CH1.tweedie_n, seed=CH1.seed).x
    sigma = CH1.tweedie_sigma
    g = torch.Generator().manual_seed(CH1.seed)
    y = X[torch.randint(0, len(X), (64,), generator=g)] + sigma * torch.randn(
        64, X.shape[1], generator=g
    )
    y = y.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(log_density(y, X.double(), sigma).sum(), y)
    score = empirical_score(y.detach(), X.double(), sigma)
    err = (score - grad).abs().max().item()
    return {"max_abs_err": err, "score_scale": grad.abs().max().item()}


@experiment
def ch1_empirical_sampling() -> dict:
    """Sample with the empirical optimal denoiser on digits and measure the copies."""
    X = mdata.load_digits(n=CH1.sampling_n, seed=CH1.seed).x
    out = empirical_sampling_memorization(
        X, n_samples=CH1.sampling_samples, n_steps=CH1.sampling_steps, seed=CH1.seed
    )
    out["X"] = X
    return out


def toy_points_2d() -> torch.Tensor:
    """Seven training points in the plane: a hexagon and its centre."""
    angles = torch.arange(6) * (torch.pi / 3)
    ring = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return torch.cat([ring, torch.zeros(1, 2)])


@experiment
def ch1_toy_denoiser_frames(grid_size: int = 21, extent: float = 1.6) -> dict:
    """Where the empirical denoiser sends a grid of noisy points in 2-D, for each sigma."""
    X = toy_points_2d()
    ticks = torch.linspace(-extent, extent, grid_size)
    yy, xx = torch.meshgrid(ticks, ticks, indexing="ij")
    grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)
    outputs = {s: empirical_denoiser(grid, X, s) for s in CH1.toy_sigmas}
    return {"X": X, "grid": grid, "outputs": outputs}


@experiment
def ch1_first_dae() -> dict:
    """A first trained DAE on a few digits and its representation h."""
    digits = mdata.load_digits(seed=CH1.seed)
    # one training example of each of the first n classes, and an unseen digit of class 0
    idx = [int(torch.nonzero(digits.labels == k)[0]) for k in range(CH1.dae_n)]
    unseen = int(torch.nonzero(digits.labels == 0)[1])
    X = digits.x[idx]
    model = ReLUDAE(X.shape[1], CH1.dae_p, seed=CH1.seed)
    result = train_dae(
        model,
        X,
        sigma=CH1.dae_sigma,
        lam=CH1.dae_lam,
        optimizer="adam",
        lr=1e-2,
        steps=CH1.dae_steps,
        draws=8,
        seed=CH1.seed,
        progress=False,
    )
    g = torch.Generator().manual_seed(CH1.seed + 1)
    with torch.no_grad():
        y_train = X + CH1.dae_sigma * torch.randn(X.shape, generator=g)
        y_unseen = digits.x[unseen] + CH1.dae_sigma * torch.randn(X.shape[1], generator=g)
        h_train = model.representation(y_train)
        h_unseen = model.representation(y_unseen)
    return {
        "X": X,
        "image_shape": digits.image_shape,
        "model": model,
        "losses": result.losses,
        "y_train": y_train,
        "h_train": h_train,
        "x_unseen": digits.x[unseen],
        "y_unseen": y_unseen,
        "h_unseen": h_unseen,
        "top1_train": top1_share(h_train),
        "top1_unseen": float(top1_share(h_unseen)),
        "std_train": unit_std(h_train),
        "l4l2_train": l4_l2_ratio(h_train),
        "cosine_min": float(pairwise_cosine(X)[~torch.eye(len(X), dtype=torch.bool)].min()),
    }


@experiment
def ch1_official_tying(
    wd: float = 1e-2, lr: float = 1e-3, steps: int = 200, p: int = 16, seed: int = 0
) -> dict:
    """The official code's tying, replayed: ``decoder.weight = nn.Parameter(encoder.weight.t())``
    makes a second Parameter that shares the encoder's storage, and ``torch.optim.SGD(...,
    weight_decay=wd)`` over both decays that storage twice per step. Trained from the same
    initialisation on the same noise (6 digits, sigma = 0.5) next to the book's tied ``ReLUDAE``
    trained by plain SGD on the book's loss with ``lam = wd / 2`` and with ``lam = wd / 4`` (the
    value for a matrix decayed once); returns the largest weight difference of each after
    ``steps`` steps, relative to the largest weight."""
    from ..train_mc import dae_loss

    x = mdata.load_digits(seed=CH1.seed).x[:6]
    d, sigma = x.shape[1], 0.5
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(steps, *x.shape, generator=g)
    # the official model: nn.Linear layers without biases, the decoder tied as a new Parameter
    torch.manual_seed(seed)
    encoder = torch.nn.Linear(d, p, bias=False)
    decoder = torch.nn.Linear(p, d, bias=False)
    decoder.weight = torch.nn.Parameter(encoder.weight.t())
    shares = decoder.weight.data_ptr() == encoder.weight.data_ptr()
    params = [encoder.weight, decoder.weight]
    W0 = encoder.weight.detach().T.clone()
    opt = torch.optim.SGD(params, lr=lr, weight_decay=wd)
    for k in range(steps):
        y = x + sigma * noise[k]
        out = decoder(torch.relu(encoder(y)))
        loss = (out - x).pow(2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    W_official = encoder.weight.detach().T.clone()
    out = {"wd": wd, "steps": steps, "lr": lr, "shares_storage": bool(shares)}
    for name, lam in (("half", wd / 2), ("quarter", wd / 4)):
        model = ReLUDAE(d, p, tied=True)
        with torch.no_grad():
            model.W1.copy_(W0)
        sgd = torch.optim.SGD(model.parameters(), lr=lr)
        for k in range(steps):
            loss = dae_loss(model, x, sigma, lam, noise=noise[k])
            sgd.zero_grad()
            loss.backward()
            sgd.step()
        diff = (model.W1.detach() - W_official).abs().max() / W_official.abs().max()
        out[f"rel_diff_{name}"] = float(diff)
        out[f"lam_{name}"] = lam
    out["decay_rel_change"] = float((W_official - W0).abs().max() / W0.abs().max())
    return out
