"""Memorization detection from representation spikiness (chapter 8), its baselines, and steering.

The paper's detector (Section 5): noise a generated image slightly, run the denoiser ONCE with no
condition (the empty prompt), take an intermediate feature map of a low-resolution decoder block,
pool it over space into a vector ``v`` (one entry per channel) and score the image by the population
standard deviation of ``v``. A memorized image drives a few channels hard (a spiky representation,
large std); a novel one spreads its activation over many (a balanced representation, small std).

Baselines run on the same samples:

- :func:`wen_score` (Wen et al. 2024): the magnitude of the text-conditional noise prediction,
  ``|| eps(x_t, c) - eps(x_t, null) ||`` at the first step(s) of generation. It needs the prompt
  (here: the class label) and a model trained with condition dropout.
- :func:`lid_score` (in the spirit of Ross et al. 2025): a local intrinsic dimension estimate, the
  trace of the denoiser's Jacobian at a small noise level, ``tr dD/dy``. For a data manifold of
  dimension k, ``D`` keeps the k tangent directions and removes the others, so the trace is close to
  k; a memorized image is an isolated point with (near) zero local dimension. It takes one
  vector-Jacobian product per pixel, which is what makes it slow.

Every score is oriented so that LARGER means MORE LIKELY MEMORIZED.

Steering (:func:`steering_direction`, :func:`steer`): the difference of mean pooled representations
of two reference sets, added with strength ``alpha`` to the outputs of chosen decoder blocks during
a
window of sampling steps.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Callable, Sequence

import torch

from ._checks import check_choice, check_float, check_int, check_tensor, make_generator

POOLS = ("max", "mean")


# ------------------------------------------------------------------------------ hooks


def _module(model, layer: str):
    """The sub-module ``layer`` of the model's UNet (e.g. ``"up_blocks.0.resnets.1"``), with a clear
    error listing the candidates when the name is wrong."""
    unet = getattr(model, "unet", model)
    if not isinstance(layer, str) or not layer:
        raise ValueError(
            f"layer must be a module name such as 'up_blocks.0.resnets.1', got {layer!r}"
        )
    try:
        return unet.get_submodule(layer)
    except AttributeError:
        names = [n for n, _ in unet.named_modules() if re.search(r"resnets\.\d+$", n)]
        raise ValueError(
            f"layer {layer!r} is not a module of this UNet; resnet blocks are: {', '.join(names)}"
        ) from None


def _tensor_output(layer: str, out):
    """A hooked module's output, which must be one tensor (not a block's tuple of skip
    connections)."""
    if not isinstance(out, torch.Tensor):
        raise ValueError(
            f"layer {layer!r} returns a {type(out).__name__}, not a feature map; hook one of its "
            "resnet blocks instead (e.g. 'down_blocks.0.resnets.0')"
        )
    return out


@contextlib.contextmanager
def capture(model, layer: str):
    """Record the output of ``layer`` on every forward pass inside the ``with`` block.

    Yields a dict whose ``"out"`` entry is the last recorded output (B, C, h, w).
    """
    box: dict = {}

    def hook(m, i, o):
        box["out"] = _tensor_output(layer, o).detach()

    handle = _module(model, layer).register_forward_hook(hook)
    try:
        yield box
    finally:
        handle.remove()


@contextlib.contextmanager
def add_to_outputs(
    model, layers: Sequence[str], delta: torch.Tensor, active: Callable[[], bool] = lambda: True
):
    """Add ``delta`` (C,) per channel to the outputs of ``layers`` (broadcast over space) while
    ``active()`` is true. Used by :func:`steer`."""
    handles = []

    def hook(m, i, o):
        if not active():
            return o
        return _tensor_output(layer_of[m], o) + delta.to(o.device, o.dtype).reshape(1, -1, 1, 1)

    layer_of = {}
    try:
        for layer in layers:
            mod = _module(model, layer)
            layer_of[mod] = layer
            handles.append(mod.register_forward_hook(hook))
        yield
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def add_per_layer(model, deltas: dict, active: Callable[[], bool] = lambda: True):
    """:func:`add_to_outputs` with a vector of its own for each layer: ``deltas = {layer:
    (C,)}``."""
    with contextlib.ExitStack() as stack:
        for layer, delta in deltas.items():
            stack.enter_context(add_to_outputs(model, [layer], delta, active))
        yield


def pool_features(feat: torch.Tensor, how: str = "max") -> torch.Tensor:
    """Pool a feature map (B, C, h, w) over space into (B, C): ``"max"`` (the paper) or
    ``"mean"``."""
    feat = check_tensor("feat", feat, ndim=4, dtype=None)
    how = check_choice("pool", how, POOLS)
    return feat.amax(dim=(2, 3)) if how == "max" else feat.mean(dim=(2, 3))


def renoise(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    """``x + sigma * eps`` with seeded noise (the global RNG is not used), drawn on the CPU so that
    every device sees the same numbers, then moved to ``x``'s device."""
    g = make_generator(seed)
    return x + sigma * torch.randn(x.shape, generator=g, dtype=x.dtype).to(x.device)


def pooled_representation(
    model,
    x: torch.Tensor,
    *,
    sigma: float = 0.1,
    layer: str = "up_blocks.0.resnets.1",
    pool: str = "max",
    class_labels=None,
    seed: int = 0,
) -> torch.Tensor:
    """The pooled representation (B, C) of images ``x`` (B, d): one denoiser pass at noise level
    ``sigma`` (seeded noise), the output of ``layer`` pooled over space. ``class_labels=None`` is
    the unconditional pass (the paper's empty prompt)."""
    x = check_tensor("x", x, ndim=2, dtype=None)
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    with torch.no_grad(), capture(model, layer) as box:
        model(renoise(x, sigma, seed), sigma, class_labels)
    if "out" not in box:
        raise ValueError(
            f"layer {layer!r} was not called in the forward pass (a container?); use a block such "
            "as 'up_blocks.0.resnets.1'"
        )
    return pool_features(box["out"], pool)


def representation_std(v: torch.Tensor) -> torch.Tensor:
    """Population standard deviation of each row of ``v`` (B, C): the spikiness score."""
    v = check_tensor("v", v, ndim=2, dtype=None)
    return v.std(dim=1, unbiased=False)


#: Statistics of the pooled vector ``v`` (B, C) that chapter 8 compares with the std, each (B,).
#: ``std`` is the paper's score; ``norm`` and ``mean`` measure its SIZE; ``cv`` (std / mean) and
#: ``top1`` (max_c v_c^2 / sum_c v_c^2) its SHAPE only (unchanged when v is multiplied by c > 0).
#: Since std^2 = ||v||^2 / C - mean^2, a family of vectors of one shape and varying size has std,
#: norm and mean all proportional to the size, and cv and top1 constant.
POOLED_STATISTICS = ("std", "norm", "mean", "cv", "top1")


def pooled_statistics(v: torch.Tensor) -> dict:
    """``{name: (B,) tensor}`` for every name of :data:`POOLED_STATISTICS`, from pooled vectors
    ``v`` (B, C): population std, Euclidean norm, mean over channels, coefficient of variation
    std / mean (a mean <= 0 gives NaN: no scale to divide by) and the top-1 share of v^2."""
    from .stats import top1_share

    v = check_tensor("v", v, ndim=2, dtype=None)
    std, mean = representation_std(v), v.mean(dim=1)
    ratio = std / mean.clamp_min(torch.finfo(v.dtype).tiny)
    cv = torch.where(mean > 0, ratio, torch.full_like(std, float("nan")))
    return {"std": std, "norm": v.norm(dim=1), "mean": mean, "cv": cv, "top1": top1_share(v)}


def spikiness_score(model, x: torch.Tensor, **kwargs) -> torch.Tensor:
    """The paper's prompt-free detector: :func:`representation_std` of :func:`pooled_representation`
    (same keyword arguments). One forward pass per image; larger = more likely memorized."""
    return representation_std(pooled_representation(model, x, **kwargs))


# ------------------------------------------------------------------------------ baselines


def wen_score(model, x_T: torch.Tensor, class_labels, sigma_max: float) -> torch.Tensor:
    """Wen et al. (2024): ``|| eps(x_T, c) - eps(x_T, null) ||`` at the first sampling step, from
    the
    generation's initial noise ``x_T`` (B, d) at ``sigma_max`` and its condition ``class_labels``.
    With an x0-predicting denoiser ``eps = (y - D(y)) / sigma``, so the difference is
    ``(D_null - D_c) / sigma``. Two forward passes per image; larger = more likely memorized."""
    x_T = check_tensor("x_T", x_T, ndim=2, dtype=None)
    s = check_float("sigma_max", sigma_max, 0.0, min_exclusive=True)
    with torch.no_grad():
        d_c = model(x_T, s, class_labels)
        d_0 = model(x_T, s, None)
    return ((d_0 - d_c) / s).norm(dim=1)


#: Images per batched Jacobian call of :func:`lid_estimate` (bounds its memory; see
#: :func:`memgen.jacobian.batched_jacobians`).
LID_CHUNK = 16


def lid_estimate(
    model, x: torch.Tensor, *, sigma: float = 0.1, seed: int = 0, chunk_size: int | None = LID_CHUNK
) -> torch.Tensor:
    """Local intrinsic dimension estimate per image: ``tr dD/dy`` at ``y = x + sigma eps``
    (unconditional), from full Jacobians by reverse mode (d vector-Jacobian products per image,
    vectorised with ``vmap``; :func:`memgen.jacobian.batched_jacobians`), ``chunk_size`` images at
    a time (None: all at once, whose memory grows with the number of images)."""
    from .jacobian import batched_jacobians

    x = check_tensor("x", x, ndim=2, dtype=None)
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    J = batched_jacobians(lambda v: model(v, sigma), renoise(x, sigma, seed), chunk_size=chunk_size)
    return torch.diagonal(J, dim1=1, dim2=2).sum(1)


def lid_score(model, x: torch.Tensor, **kwargs) -> torch.Tensor:
    """``-lid_estimate``: low local dimension = more likely memorized."""
    return -lid_estimate(model, x, **kwargs)


def time_per_sample(
    fn: Callable[[], object], n: int, *, repeats: int = 3, threads: int | None = 1
) -> float:
    """Best-of-``repeats`` wall time of ``fn()`` divided by the ``n`` samples it scores (seconds).

    ``threads``: torch's intra-op thread count during the timing (restored afterwards; ``None``
    leaves it alone). One thread by default: on a shared CPU, several threads make small models'
    timings depend on whatever else runs (threads wait for each other), and every method is then
    timed alike."""
    n = check_int("n", n, 1)
    repeats = check_int("repeats", repeats, 1)
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(check_int("threads", threads, 1))
    try:
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
    finally:
        torch.set_num_threads(old)
    return best / n


# ------------------------------------------------------------------------------ labelling samples


def nearest_training_ratio(samples: torch.Tensor, X: torch.Tensor) -> dict:
    """For each sample: the Euclidean distance ``d1`` to its nearest training image, ``d2`` to the
    second nearest DISTINCT training image (duplicates are merged first), their ``ratio`` d1 / d2
    and
    the nearest image's ``index`` into the distinct rows ``unique`` (returned too). A sample is a
    copy
    when the ratio is small: it sits much closer to one training image than to any other
    (Carlini et al. 2023 use 1/3)."""
    X = check_tensor("X", X, ndim=2, dtype=None)
    samples = check_tensor("samples", samples, ndim=2, dtype=None, last_dim=X.shape[1])
    unique = torch.unique(X.double(), dim=0)
    if len(unique) < 2:
        raise ValueError("X must hold at least two distinct training images")
    D = torch.cdist(samples.double(), unique)
    top = D.topk(2, dim=1, largest=False)
    ratio = top.values[:, 0] / top.values[:, 1].clamp_min(1e-12)
    return {
        "d1": top.values[:, 0],
        "d2": top.values[:, 1],
        "ratio": ratio,
        "index": top.indices[:, 0],
        "unique": unique.to(X.dtype),
    }


# ------------------------------------------------------------------------------ guided sampling and
# steering


def guided(model, class_labels, guidance: float = 1.0) -> Callable:
    """``denoiser(x, sigma)`` for the samplers of :mod:`memgen.sampling`: the class-conditional
    prediction with classifier-free guidance ``D_null + w (D_c - D_null)`` (``w = 1``: plain
    conditional)."""
    w = check_float("guidance", guidance, 0.0)

    def den(x, sigma):
        d_c = model(x, sigma, class_labels)
        if w == 1.0:
            return d_c
        d_0 = model(x, sigma, None)
        return d_0 + w * (d_c - d_0)

    return den


def steering_direction(
    model,
    X_target: torch.Tensor,
    X_rest: torch.Tensor,
    *,
    layer: str,
    sigma: float = 0.1,
    pool: str = "mean",
    seed: int = 0,
) -> torch.Tensor:
    """Concept direction (C,): mean pooled representation of the target references minus that of
    the other references (unconditional pass at noise ``sigma``)."""
    a = pooled_representation(model, X_target, sigma=sigma, layer=layer, pool=pool, seed=seed).mean(
        0
    )
    b = pooled_representation(
        model, X_rest, sigma=sigma, layer=layer, pool=pool, seed=seed + 1
    ).mean(0)
    return a - b


def steer(
    model,
    x_T: torch.Tensor,
    sigmas: torch.Tensor,
    class_labels,
    *,
    directions: dict,
    alpha: float,
    window: tuple = (0.0, 1.0),
    guidance: float = 1.0,
    callback: Callable | None = None,
) -> torch.Tensor:
    """Sample with the probability-flow ODE (Euler, deterministic) from ``x_T`` while adding
    ``alpha * directions[layer]`` to the output of each ``layer`` during the steps whose index ``i``
    satisfies ``window[0] <= i / n_steps < window[1]``. ``alpha = 0`` is plain sampling from the
    same noise."""
    from .sampling import sample_probability_flow

    alpha = check_float("alpha", alpha)
    lo, hi = (
        check_float("window[0]", window[0], 0.0, 1.0),
        check_float("window[1]", window[1], 0.0, 1.0),
    )
    if lo > hi:
        raise ValueError(f"window must satisfy window[0] <= window[1], got {window}")
    if not isinstance(directions, dict) or not directions:
        raise ValueError("directions must be a non-empty dict {layer name: (C,) tensor}")
    n_steps = len(sigmas) - 1
    state = {"i": 0}

    def cb(info):
        state["i"] = info["i"] + 1  # the next denoiser call belongs to the next step
        if callback is not None:
            callback(info)

    def active():
        return lo <= state["i"] / n_steps < hi

    with add_per_layer(model, {layer: alpha * d for layer, d in directions.items()}, active):
        return sample_probability_flow(
            guided(model, class_labels, guidance), x_T, sigmas, callback=cb, solver="euler"
        )
