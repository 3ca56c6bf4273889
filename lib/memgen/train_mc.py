"""Training a DAE at one noise level: the loss, its weight decay convention, and a seeded trainer.

The book's loss (the paper's), for tied and untied models alike:

    L(W1, W2) = (1/n) sum_i E_eps ||f(x_i + sigma eps) - x_i||^2 + lam (||W1||_F^2 + ||W2||_F^2)

(for a tied model W1 = W2 = W the penalty is 2 lam ||W||_F^2). The expectation is estimated with
``draws`` fresh Gaussian draws per sample and step.

PyTorch's ``weight_decay=wd`` adds ``wd * W`` to each parameter's gradient, i.e. a penalty
(wd/2)||W||^2 per parameter tensor: see :func:`lambda_from_torch_weight_decay`.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_float, check_int, check_tensor, make_generator
from .training import TrainResult, check_callback

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")


def lambda_from_torch_weight_decay(wd, *, tied: bool) -> float:
    """The book's ``lam`` equivalent to a PyTorch ``weight_decay=wd`` on the DAE's parameters.

    Torch penalises each parameter tensor by (wd/2)||W||^2. Untied: lam (||W1||^2 + ||W2||^2) has
    gradient 2 lam W_k per matrix, so lam = wd/2. Tied: the single tensor W is penalised once in
    torch, while the book's penalty 2 lam ||W||^2 has gradient 4 lam W, so lam = wd/4.
    """
    wd = check_float("wd", wd, 0.0)
    if not isinstance(tied, bool):
        raise ValueError(f"tied must be True or False, got {tied!r}")
    return wd / 4.0 if tied else wd / 2.0


def _check_model(model) -> nn.Module:
    if (
        not isinstance(model, nn.Module)
        or not hasattr(model, "weight_penalty")
        or not hasattr(model, "d")
    ):
        raise ValueError(
            "model must be a ReLUDAE-like nn.Module (with d and weight_penalty()), got "
            f"{type(model).__name__}"
        )
    return model


def _reconstruction(model, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """mean over draws and samples of ||f(y) - x||^2; y (draws, n, d), x (n, d)."""
    out = model(y.reshape(-1, y.shape[-1])).reshape(y.shape)
    return (out - x).pow(2).sum() / (y.shape[0] * y.shape[1])


def dae_loss(model, x, sigma, lam, *, noise=None, generator=None, draws=1) -> torch.Tensor:
    """The penalised denoising loss (a 0-dim tensor with autograd graph).

    mean over samples i and noise draws k of ||f(x_i + sigma eps_ik) - x_i||^2 (sum over the d
    coordinates) + lam * model.weight_penalty().

    - ``x``: (n, d) clean samples; ``sigma >= 0``; ``lam >= 0``;
    - ``noise``: optional fixed eps, (n, d) or (draws, n, d), standard normal by convention;
    - otherwise ``draws`` (>= 1) draws from ``generator`` (default: a fresh generator seeded
      with 0, so the call is deterministic and the global RNG is untouched).
    """
    model = _check_model(model)
    x = check_tensor("x", x, ndim=2, last_dim=model.d)
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    if noise is None:
        draws = check_int("draws", draws, 1)
        g = make_generator(0, generator)
        noise = torch.randn((draws, *x.shape), generator=g)
    else:
        noise = check_tensor("noise", noise, ndim=(2, 3), last_dim=model.d)
        if noise.shape[-2] != x.shape[0]:
            raise ValueError(
                f"noise must have shape ({x.shape[0]}, {model.d}) or (draws, {x.shape[0]}, "
                f"{model.d}), got {tuple(noise.shape)}"
            )
        noise = noise.reshape(-1, *x.shape)
    return _reconstruction(model, x + sigma * noise, x) + lam * model.weight_penalty()


def _make_optimizer(name: str, params, lr: float, lam: float, tied: bool):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    # decoupled decay: W <- W - lr * wd * W, with wd the gradient coefficient of the book's penalty
    return torch.optim.AdamW(params, lr=lr, weight_decay=(4.0 if tied else 2.0) * lam)


def train_dae(
    model,
    x,
    *,
    sigma,
    lam,
    optimizer="adam",
    lr=1e-3,
    steps=1000,
    batch_size=None,
    draws=1,
    seed=0,
    callback: Callable | None = None,
    callback_every=1,
    progress=True,
) -> TrainResult:
    """Train ``model`` (a :class:`~memgen.dae.ReLUDAE`) in place on ``x`` (n, d) at noise level
    sigma.

    Each step draws a batch (all n samples if ``batch_size`` is None, else ``batch_size`` distinct
    random samples) and ``draws`` fresh noise vectors per sample, and takes one optimizer step
    on the loss of :func:`dae_loss`. Randomness comes from one generator seeded with ``seed``: the
    same seed (and model initialisation) gives identical losses.

    ``optimizer``: "sgd" (no momentum), "adam", "adamw" or "rmsprop" (case-insensitive; torch's
    default betas/alpha), learning rate ``lr``. Weight decay convention:

    - sgd, adam, rmsprop: ``lam * model.weight_penalty()`` is part of the loss that is
      differentiated (optimizer ``weight_decay=0``);
    - adamw: decoupled decay. The penalty is left out of the gradient and torch AdamW shrinks each
      parameter by ``lr * wd * W`` per step with ``wd = 2 lam`` (untied) or ``4 lam`` (tied: W
      appears twice in the penalty), the gradient coefficient of the book's penalty. The shrink per
      step then matches, but AdamW's fixed point in general differs from the penalised loss's
      minimiser (Adam rescales the data gradient but not the decay).

    The reported loss always includes the penalty, so runs with different optimizers compare.
    Device: the model's (``x`` is moved there). The noise and the batches are always drawn on the
    CPU from the generator seeded with ``seed`` and copied to the device, so a GPU run sees the same
    random numbers as a CPU run (one host-to-device copy of the noise per step). On the ``meta``
    device (tests) ``losses`` is None.
    ``callback({"step", "loss", "model"})`` is called after steps ``callback_every``,
    ``2 * callback_every``, ... (the contract of :mod:`memgen.training`; ``loss`` a float).
    ``progress``: a tqdm progress bar (tqdm.auto).
    """
    model = _check_model(model)
    x = check_tensor("x", x, ndim=2, last_dim=model.d)
    n = x.shape[0]
    if n < 1:
        raise ValueError("x must contain at least one sample")
    sigma = check_float("sigma", sigma, 0.0)
    lam = check_float("lam", lam, 0.0)
    name = check_choice("optimizer", optimizer, OPTIMIZERS, case_insensitive=True)
    lr = check_float("lr", lr, 0.0, min_exclusive=True)
    steps = check_int("steps", steps, 1)
    b = n if batch_size is None else check_int("batch_size", batch_size, 1, n)
    draws = check_int("draws", draws, 1)
    callback_every = check_callback(callback, callback_every)
    device = next(model.parameters()).device
    on_cpu = device.type == "cpu"
    g = make_generator(seed)

    from tqdm.auto import tqdm

    tied = bool(getattr(model, "tied", False))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _make_optimizer(name, params, lr, lam, tied)
    lam_grad = 0.0 if name == "adamw" else lam
    x = x.to(device, next(model.parameters()).dtype)
    losses = torch.empty(steps, dtype=torch.float64, device=device)  # no per-step copy to the host
    y = torch.empty((draws, b, model.d), dtype=x.dtype, device=device)  # reused noise buffer
    host_noise = None if on_cpu else torch.empty(y.shape, dtype=y.dtype)  # drawn here, then copied
    bar = tqdm(total=steps, disable=not progress, desc=f"train_dae ({name})")
    postfix_every = max(1, steps // 100)
    t0 = time.perf_counter()
    model.train()
    for i in range(steps):
        xb = x if b == n else x[torch.randperm(n, generator=g)[:b].to(device)]
        if on_cpu:
            y.normal_(generator=g).mul_(sigma).add_(xb)  # y = xb + sigma * eps, in place
        else:  # a CPU generator cannot fill a tensor on another device
            y.copy_(host_noise.normal_(generator=g)).mul_(sigma).add_(xb)
        rec = _reconstruction(model, y, xb)
        if lam_grad > 0:
            penalty = model.weight_penalty()
            loss = rec + lam_grad * penalty
        else:  # the penalty is only reported (adamw, or lam = 0)
            with torch.no_grad():
                penalty = model.weight_penalty()
            loss = rec
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[i] = (rec + lam * penalty).detach()
        if callback is not None and (i + 1) % callback_every == 0:
            callback({"step": i + 1, "loss": float(losses[i]), "model": model})
        if progress:
            bar.update(1)
            if (i + 1) % postfix_every == 0:
                bar.set_postfix(loss=f"{float(losses[i]):.4g}")
    bar.close()
    return TrainResult(
        models=[model],
        losses=None if losses.is_meta else losses.cpu().numpy().astype(np.float64),
        steps=steps,
        seconds=time.perf_counter() - t0,
        settings={"optimizer": name, "sigma": sigma, "lam": lam},
    )
