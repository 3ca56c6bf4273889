"""A toy diffusion model: the time-conditioned two-layer ReLU denoiser of the paper's toy
experiment.

The denoiser is written as in EDM (Karras et al. 2022): ``D_theta(x; sigma)`` maps a noisy input
``x = x0 + sigma * eps`` to an estimate of the clean ``x0``. The paper's model (``DAECond`` of the
official ``ReLU_Diffusion`` notebook), in book notation (W in R^{d x p}, one column per unit):

    c_noise(sigma) = ln(sigma)                                   (the network's noise input)
    g(sigma)       = exp(g_phi(c_noise(sigma)))  in R^p          (ONE positive gain per unit; g_phi
    is
                                                                  Linear(1, 256)-ReLU-Linear(256,
                                                                  p),
                                                                  its last layer zero-initialised)
    r(x)           = [W^T x]_+                                   (the representation, p units: the
                                                                  notebook's rep(), WITHOUT the
                                                                  gain)
    D_theta(x; sigma) = W (g(sigma) * r(x)) + s x                (tied decoder plus a learned skip
    s)

``gain="scalar"`` is the variant the book used first, kept as a comparison: one gain
``a(sigma) = exp(g_phi(ln sigma))`` shared by all units (g_phi: Linear(1, 16)-SiLU-Linear(16, 1)).
At a fixed sigma either model is chapter 1's two-layer ReLU DAE with encoder W and decoder
W diag(g(sigma)), plus the linear skip s x. The model is trained to predict x0 over a range of
noise levels,

    L(theta) = E_{x0 ~ data} E_{sigma ~ logU[sigma_min, sigma_max]} E_eps ||D_theta(x0 + sigma eps;
    sigma) - x0||^2,

(mean over the batch, sum over the d coordinates), with PyTorch weight decay on every parameter.
Its score estimate is Tweedie's (D_theta(x; sigma) - x) / sigma^2, which the samplers of
:mod:`memgen.sampling` use; :func:`record_trajectory` keeps x, D_theta and r at every step.

Copies: :func:`copy_statistics` compares each generated sample with its nearest and second-nearest
training images (distance ratio d1/d2, Carlini et al. 2023) and reports the nearest cosine.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_float, check_int, check_tensor, make_generator
from .sampling import log_uniform_sigmas, sample_probability_flow, sample_ve_ancestral

# noqa: F401 (re-exported: the chapter's loaders use them)
from .shipped_data import ChecksumError, sha256_file
from .stats import top1_share, unit_std
from .training import TrainResult, check_callback

OPTIMIZERS = ("adam", "rmsprop")
SAMPLERS = ("ancestral", "probability_flow")
GAINS = ("unit", "scalar")
#: The default width of g_phi's hidden layer for each kind of gain (the paper's 256; the scalar
#: variant's 16).
DEFAULT_HIDDEN = {"unit": 256, "scalar": 16}


class ToyDiffusionDenoiser(nn.Module):
    """``D_theta(x; sigma) = W (g(sigma) * [W^T x]_+) + s x`` (module docstring).

    - ``d``: data dimension; ``p``: hidden units (the paper's toy uses 256);
    - ``gain``: ``"unit"`` (the paper: one gain per unit, g_phi = Linear(1, hidden)-ReLU-
      Linear(hidden, p)) or ``"scalar"`` (one gain for all units, g_phi = Linear(1, hidden)-SiLU-
      Linear(hidden, 1));
    - ``hidden``: width of g_phi's hidden layer (default :data:`DEFAULT_HIDDEN`);
    - ``init_scale``: std of the entries of ``W`` at initialisation (default 1/sqrt(d)); g_phi's
      output layer starts at zero (so every gain is 1) and the skip ``s`` at ``skip_init``.

    Parameters (``state_dict`` keys): ``W`` (d, p), ``skip`` (0-dim), ``mlp.0.weight``/``bias``
    (hidden, 1)/(hidden,), ``mlp.2.weight``/``bias`` (p or 1, hidden)/(p or 1,). Seeded with
    ``seed``; the global RNG is not touched. Call as ``model(x, sigma)`` with ``x`` (B, d) or (d,)
    and ``sigma`` a float > 0 or a (B,) tensor of noise levels: the signature every sampler of
    :mod:`memgen.sampling` uses.
    """

    def __init__(
        self, d, p=256, *, gain="unit", hidden=None, init_scale=None, skip_init=0.0, seed=0
    ):
        super().__init__()
        self.d = check_int("d", d, 1)
        self.p = check_int("p", p, 1)
        self.gain_kind = check_choice("gain", gain, GAINS)
        hidden = DEFAULT_HIDDEN[self.gain_kind] if hidden is None else hidden
        self.hidden = check_int("hidden", hidden, 1)
        scale = (
            1.0 / math.sqrt(self.d)
            if init_scale is None
            else check_float("init_scale", init_scale, 0.0)
        )
        skip_init = check_float("skip_init", skip_init)
        g = make_generator(seed)
        self.W = nn.Parameter(scale * torch.randn(self.d, self.p, generator=g))
        self.skip = nn.Parameter(torch.tensor(skip_init))
        unit = self.gain_kind == "unit"
        act = nn.ReLU() if unit else nn.SiLU()
        out = self.p if unit else 1
        self.mlp = nn.Sequential(nn.Linear(1, self.hidden), act, nn.Linear(self.hidden, out))
        with torch.no_grad():
            if unit:  # torch's default nn.Linear(1, hidden) init, U(-1, 1), from our generator
                self.mlp[0].weight.copy_(2 * torch.rand(self.hidden, 1, generator=g) - 1)
                self.mlp[0].bias.copy_(2 * torch.rand(self.hidden, generator=g) - 1)
            else:
                self.mlp[0].weight.copy_(torch.randn(self.hidden, 1, generator=g))
                self.mlp[0].bias.copy_(0.5 * torch.randn(self.hidden, generator=g))
            self.mlp[2].weight.zero_()
            self.mlp[2].bias.zero_()

    # ------------------------------------------------------------------ pieces of D_theta

    def _sigma(self, sigma, batch: int) -> torch.Tensor:
        """sigma as a (batch, 1) tensor of positive noise levels."""
        if isinstance(sigma, torch.Tensor) and sigma.numel() > 1:
            s = check_tensor("sigma", sigma, ndim=1)
            if s.shape[0] != batch:
                raise ValueError(
                    f"sigma must be a float or a tensor of shape ({batch},), got shape "
                    f"{tuple(s.shape)}"
                )
            if bool((s <= 0).any()):
                raise ValueError("sigma must be > 0 (every entry)")
            return s.reshape(-1, 1)
        s = check_float("sigma", sigma, 0.0, min_exclusive=True)
        return torch.full((batch, 1), s)

    def _input(self, x) -> tuple[torch.Tensor, bool]:
        x = check_tensor("x", x, ndim=(1, 2), last_dim=self.d, dtype=None)
        return x.reshape(-1, self.d), x.ndim == 1

    def _gains(self, s: torch.Tensor, dtype) -> torch.Tensor:
        """exp(g_phi(ln sigma)) for a (B, 1) tensor of sigmas: (B, p) or (B, 1), in the graph."""
        return torch.exp(self.mlp(torch.log(s).float())).to(dtype)

    def gain(self, sigma) -> torch.Tensor:
        """The gains exp(g_phi(ln sigma)), detached (for inspection; the forward pass computes them
        inside the graph). Unit gains: (p,) for a float sigma, (B, p) for a (B,) tensor. Scalar
        gain: 0-dim for a float sigma, (B,) for a (B,) tensor."""
        single = not (isinstance(sigma, torch.Tensor) and sigma.numel() > 1)
        s = self._sigma(sigma, 1 if single else sigma.numel())
        with torch.no_grad():
            a = self._gains(s, torch.float32)
        a = a if self.gain_kind == "unit" else a.reshape(-1)
        return a[0] if single else a

    def representation(self, x) -> torch.Tensor:
        """r(x) = [W^T x]_+, shape (B, p) (or (p,) for a single x): the paper's ``rep()``, without
        the gain, so it does not depend on sigma."""
        x2, single = self._input(x)
        r = torch.relu(x2 @ self.W.to(x2.dtype))
        return r[0] if single else r

    def gated(self, x, sigma) -> torch.Tensor:
        """g(sigma) * r(x): the hidden activations the decoder W reads, (B, p) (or (p,))."""
        x2, single = self._input(x)
        s = self._sigma(sigma, x2.shape[0]).to(x2.dtype)
        h = self._gains(s, x2.dtype) * torch.relu(x2 @ self.W.to(x2.dtype))
        return h[0] if single else h

    def forward(self, x, sigma) -> torch.Tensor:
        """D_theta(x; sigma) = W (g(sigma) * r(x)) + s x; the shape of x."""
        x2, single = self._input(x)
        h = self.gated(x2, sigma)
        out = h @ self.W.to(x2.dtype).T + self.skip.to(x2.dtype) * x2
        return out[0] if single else out

    def extra_repr(self) -> str:
        return f"d={self.d}, p={self.p}, gain={self.gain_kind!r}, hidden={self.hidden}"


# ---------------------------------------------------------------- the x0-prediction loss


def x0_loss(model, x0, sigma, noise) -> torch.Tensor:
    """The x0-prediction loss of one batch: mean_b ||D_theta(x0_b + sigma_b eps_b; sigma_b) -
    x0_b||^2.

    ``x0`` (B, d) clean samples, ``sigma`` (B,) noise levels > 0, ``noise`` (B, d) standard normal
    draws. Returns a 0-dim tensor with autograd graph (no weight decay: the optimizer applies it).
    """
    if not isinstance(model, ToyDiffusionDenoiser):
        raise ValueError(f"model must be a ToyDiffusionDenoiser, got {type(model).__name__}")
    x0 = check_tensor("x0", x0, ndim=2, last_dim=model.d, dtype=None)
    noise = check_tensor("noise", noise, ndim=2, last_dim=model.d, dtype=None)
    if noise.shape != x0.shape:
        raise ValueError(f"noise must have x0's shape {tuple(x0.shape)}, got {tuple(noise.shape)}")
    sigma = check_tensor("sigma", sigma, ndim=1, dtype=None)
    if sigma.shape[0] != x0.shape[0] or bool((sigma <= 0).any()):
        raise ValueError(
            f"sigma must be a ({x0.shape[0]},) tensor of noise levels > 0, got shape "
            f"{tuple(sigma.shape)}"
        )
    x = x0 + sigma.reshape(-1, 1) * noise
    return (model(x, sigma) - x0).pow(2).sum(dim=1).mean()


def train_diffusion(
    model,
    x,
    *,
    optimizer="adam",
    lr=1e-3,
    weight_decay=0.0,
    steps=1000,
    batch_size=256,
    sigma_min=0.02,
    sigma_max=2.0,
    lr_final=None,
    seed=0,
    callback=None,
    callback_every=1,
    progress=False,
) -> TrainResult:
    """Train ``model`` (a :class:`ToyDiffusionDenoiser`) in place on ``x`` (n, d) with
    :func:`x0_loss`.

    Each step draws ``batch_size`` training rows uniformly with replacement (so 5 training images
    are each seen about batch_size / 5 times per step, at different noise levels), a noise level per
    row log-uniform in [sigma_min, sigma_max] and fresh Gaussian noise, all from one generator
    seeded with ``seed``. ``optimizer``: "adam" or "rmsprop" (torch defaults otherwise) with
    ``weight_decay`` passed to torch (a gradient term ``weight_decay * theta`` on every parameter).
    ``lr_final``: if given, the learning rate decays geometrically from ``lr`` to ``lr_final``.
    ``callback``/``callback_every`` and the returned :class:`~memgen.training.TrainResult`
    (``losses``:
    the batch loss of every step, without weight decay) follow :mod:`memgen.training`.
    """
    if not isinstance(model, ToyDiffusionDenoiser):
        raise ValueError(f"model must be a ToyDiffusionDenoiser, got {type(model).__name__}")
    x = check_tensor("x", x, ndim=2, last_dim=model.d)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS, case_insensitive=True)
    lr = check_float("lr", lr, 0.0, min_exclusive=True)
    lr_final = (
        lr if lr_final is None else check_float("lr_final", lr_final, 0.0, min_exclusive=True)
    )
    weight_decay = check_float("weight_decay", weight_decay, 0.0)
    steps = check_int("steps", steps, 1)
    callback_every = check_callback(callback, callback_every)
    batch_size = check_int("batch_size", batch_size, 1)
    sigma_min = check_float("sigma_min", sigma_min, 0.0, min_exclusive=True)
    sigma_max = check_float("sigma_max", sigma_max, sigma_min)
    g = make_generator(seed)
    cls = torch.optim.Adam if optimizer == "adam" else torch.optim.RMSprop
    opt = cls(model.parameters(), lr=lr, weight_decay=weight_decay)
    gamma = (lr_final / lr) ** (1.0 / max(steps - 1, 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
    losses = np.empty(steps)
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    for step in tqdm(range(steps), disable=not progress, desc="train_diffusion"):
        idx = torch.randint(0, x.shape[0], (batch_size,), generator=g)
        sig = log_uniform_sigmas(batch_size, sigma_min, sigma_max, generator=g)
        eps = torch.randn(batch_size, model.d, generator=g)
        loss = x0_loss(model, x[idx], sig, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses[step] = loss.item()
        if callback is not None and (step + 1) % callback_every == 0:
            callback({"step": step + 1, "loss": float(losses[step]), "model": model})
    return TrainResult(
        models=[model],
        losses=losses,
        steps=steps,
        seconds=time.perf_counter() - t0,
        settings={"optimizer": optimizer, "lr": lr, "weight_decay": weight_decay},
    )


# ---------------------------------------------------------------- trajectories and copies


def record_trajectory(model, x, sigmas, *, sampler="ancestral", generator=None, keep=None) -> dict:
    """Run a sampler of :mod:`memgen.sampling` with ``model`` and record every step through its
    callback.

    ``x``: initial noise (B, d) (e.g. ``sigmas[0] * randn``); ``sigmas``: the schedule (ending in
    0);
    ``sampler``: "ancestral" (:func:`~memgen.sampling.sample_ve_ancestral`, noise from
    ``generator``)
    or "probability_flow" (:func:`~memgen.sampling.sample_probability_flow`, Euler, so one denoiser
    call per step). ``keep``: indices of the rows whose full trajectory is stored (default: all).

    Returns a dict: ``sigma`` (T,) the noise level of each step (T = len(sigmas) - 1), ``x``,
    ``denoised`` (T, k, d) and ``h`` (T, k, p) for the kept rows (the iterate x_t, D_theta(x_t;
    sigma_t)
    and the representation r(x_t) = [W^T x_t]_+, without the gain), ``std`` and ``top1`` (T, B):
    :func:`~memgen.stats.unit_std` and :func:`~memgen.stats.top1_share` of r for every row, and
    ``final`` (B, d) the samples.
    """
    if not isinstance(model, ToyDiffusionDenoiser):
        raise ValueError(f"model must be a ToyDiffusionDenoiser, got {type(model).__name__}")
    sampler = check_choice("sampler", sampler, SAMPLERS)
    x = check_tensor("x", x, ndim=2, last_dim=model.d)
    keep = torch.arange(x.shape[0]) if keep is None else torch.as_tensor(keep, dtype=torch.int64)
    if keep.ndim != 1 or (len(keep) and (int(keep.min()) < 0 or int(keep.max()) >= x.shape[0])):
        raise ValueError(
            f"keep must be a list of row indices in 0..{x.shape[0] - 1}, got {keep.tolist()}"
        )
    rec = {k: [] for k in ("sigma", "x", "denoised", "h", "std", "top1")}

    def callback(step):
        h = model.representation(step["x"])
        rec["sigma"].append(step["sigma"])
        rec["x"].append(step["x"][keep])
        rec["denoised"].append(step["denoised"][keep])
        rec["h"].append(h[keep])
        rec["std"].append(unit_std(h))
        rec["top1"].append(top1_share(h))

    with torch.no_grad():
        if sampler == "ancestral":
            final = sample_ve_ancestral(model, x, sigmas, generator=generator, callback=callback)
        else:
            final = sample_probability_flow(model, x, sigmas, callback=callback, solver="euler")
    out = {k: torch.stack(v) for k, v in rec.items() if k != "sigma"}
    out["sigma"] = torch.tensor(rec["sigma"], dtype=torch.float64)
    out["final"] = final
    return out


def copy_statistics(samples, X) -> dict:
    """How close each sample is to a training image, by direction (the model is positively
    homogeneous).

    Rows of ``samples`` (m, d) and of ``X`` (n >= 2, d) are normalised to unit length; for each
    sample, ``cosine`` (m,) is the largest cosine with a training row, ``index`` (m,) that row,
    ``second_index`` the runner-up, and ``ratio`` (m,) = d1 / d2, the distance between the unit
    vectors to the nearest over that to the second-nearest training row (chordal distance
    sqrt(2 - 2 cos)). A sample is a copy when ``ratio`` is small (Carlini et al. 2023 use < 1/3).
    """
    X = check_tensor("X", X, ndim=2)
    check_int("number of rows of X", X.shape[0], 2)
    samples = check_tensor("samples", samples, ndim=2, last_dim=X.shape[1])

    def unit(a):
        return a.double() / a.double().norm(dim=1, keepdim=True).clamp_min(1e-12)

    C = unit(samples) @ unit(X).T
    top = C.topk(2, dim=1)
    dist = (2.0 - 2.0 * top.values).clamp_min(0.0).sqrt()
    ratio = dist[:, 0] / dist[:, 1].clamp_min(1e-12)
    return {
        "cosine": top.values[:, 0].float(),
        "index": top.indices[:, 0],
        "second_index": top.indices[:, 1],
        "ratio": ratio.float(),
    }


def copy_fraction(samples, X, *, max_ratio=1.0 / 3.0) -> float:
    """Fraction of samples whose direction ratio d1/d2 (:func:`copy_statistics`) is below
    ``max_ratio``."""
    max_ratio = check_float("max_ratio", max_ratio, 0.0, 1.0, min_exclusive=True)
    return float((copy_statistics(samples, X)["ratio"] < max_ratio).double().mean())


# ---------------------------------------------------------------- checkpoints with checksums


def save_checkpoint(model, path) -> str:
    """Save ``model``'s configuration and weights (a dict of plain tensors, ``torch.save``) to
    ``path``.

    Returns the file's sha256 (record it next to the file; :func:`load_checkpoint` verifies it)."""
    if not isinstance(model, ToyDiffusionDenoiser):
        raise ValueError(f"model must be a ToyDiffusionDenoiser, got {type(model).__name__}")
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    state["config"] = torch.tensor([model.d, model.p, model.hidden, GAINS.index(model.gain_kind)])
    torch.save(state, path)
    return sha256_file(path)


def load_checkpoint(path, sha256=None) -> ToyDiffusionDenoiser:
    """Load a :class:`ToyDiffusionDenoiser` saved by :func:`save_checkpoint`.

    If ``sha256`` is given, the file's checksum is checked first and a mismatch raises
    :class:`ChecksumError` (a ValueError) naming the file, both checksums and how to regenerate it.
    """
    import os

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"path must be an existing checkpoint file, got {path!r}")
    if sha256 is not None:
        actual = sha256_file(path)
        if actual != str(sha256).lower():
            raise ChecksumError(
                f"checksum mismatch for {path}: expected sha256 {sha256}, got {actual}. The file "
                "is corrupt or "
                "was made by different code; regenerate it with `python "
                "data/toy_diffusion/make_checkpoints.py`."
            )
    state = torch.load(path, map_location="cpu", weights_only=True)
    config = [int(v) for v in state.pop("config")]
    d, p, hidden = config[:3]
    gain = GAINS[config[3]] if len(config) > 3 else "scalar"  # files without the entry: scalar gain
    model = ToyDiffusionDenoiser(d, p, gain=gain, hidden=hidden)
    model.load_state_dict(state)
    return model.eval()
