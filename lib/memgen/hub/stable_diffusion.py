"""Memorization detection and representation steering on Stable Diffusion v1.4 (chapter 8, Colab).

The paper's full-size recipe as code, for readers in Google Colab with a GPU. The same functions
are tested offline on tiny random-weight components of the same diffusers classes
(``tests/test_hub_detection.py``); the book's own offline version of both experiments runs on its
class-conditional digit model (:mod:`memgen.detection`, chapter 8).

Detection (paper Section 5, Figure 6)
    Generate an image from a prompt (:func:`generate`: DDIM, 50 steps, classifier-free guidance
    7.5), re-encode it with the VAE (latent mean times ``scaling_factor``), add noise at the DDPM
    timestep ``t = 10`` (``scheduler.add_noise``) and run the UNet ONCE with the EMPTY prompt.
    Record the SiLU of ``up_blocks.0.resnets.2`` after its second group norm (module
    ``up_blocks.0.resnets.2.nonlinearity``, last call; 1280 channels at 8x8 in SD v1.4), max-pool
    it over space into a vector ``v`` and score the image by the population std of ``v``
    (:func:`detection_scores`). The prompt is not needed: the score is a property of the image.
    :func:`detection_statistics` reads the same ``v`` by its size (norm, mean) and by its shape
    only (std / mean, top-1 share), to check on SD which of the two carries the signal (chapter 8).
    Benchmark (:func:`run_detection_benchmark`): 500 known-memorized LAION prompts (Webster 2023,
    collected by Wen et al. 2024: ``sdv1_500_memorized.jsonl``) against 500 ordinary prompts, AUROC
    and TPR at 1% FPR (:func:`memgen.metrics.auroc`, :func:`memgen.metrics.tpr_at_fpr`).

Baseline (Wen et al. 2024, :func:`wen_scores`)
    ``|| eps(z_t, prompt) - eps(z_t, "") ||`` on the generation's own trajectory, averaged over the
    first ``steps`` DDIM steps (default 1). It needs the prompt.

Steering (paper Figure 8)
    Two reference image sets A and B (e.g. 50 "old" and 50 "young" faces). The direction of each
    hooked layer is the mean spatially-averaged activation of A minus that of B, each from one UNet
    pass at ``t = 10`` with the empty prompt on the VAE-encoded, noised references
    (:func:`steering_directions`). :func:`steered_generate` adds ``alpha`` times the direction
    (broadcast over space) to the outputs of ``up_blocks.0.resnets.0-2`` and
    ``up_blocks.1.resnets.0-1`` during DDIM steps 20 to 37 of 40 (guidance 3.5); typical ``alpha``:
    0, 0.2, 0.4, 0.5. Generalized prompts change smoothly with ``alpha``; memorized ones barely
    change, then break.

Conventions: images are (B, 3, H, W) in [-1, 1] (the VAE's range); latents are the VAE latents
times ``scaling_factor`` (what the UNet sees); DDIM step indices ``i`` count from 0. Every score is
oriented so that LARGER means MORE LIKELY MEMORIZED. In Colab use ``device="cuda"`` and
``torch.float16`` (the defaults of :func:`load_sd_parts` when a GPU is present); tests use CPU
float32. No function touches the global random generator.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import time
import urllib.request
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .._checks import check_choice, check_float, check_int, check_tensor, make_generator
from ..detection import add_per_layer, capture, pool_features, representation_std
from ..metrics import auroc, tpr_at_fpr
from . import OFFLINE_POINTER, HubUnavailable, hub_errors
from .models import _device

MODEL_ID = "CompVis/stable-diffusion-v1-4"


#: The detector's layer: SiLU after the second group norm of the last resnet of the lowest-resolution
#: decoder block (called three times per pass: after norm1, on the time embedding, after norm2; the
#: last call is the one kept).
DETECTION_LAYER = "up_blocks.0.resnets.2.nonlinearity"

#: The blocks whose outputs the paper steers.
STEERING_LAYERS = ("up_blocks.0.resnets.0", "up_blocks.0.resnets.1", "up_blocks.0.resnets.2",
                   "up_blocks.1.resnets.0", "up_blocks.1.resnets.1")

#: Where the prompt sets live (plain files; :func:`download_prompts` fetches them in Colab).
#: ``memorized``: the 500 memorized LAION prompts of Webster (2023) as released by Wen et al.
#: (2024), a jsonl file with fields ``caption``, ``url``, ``index``. ``ordinary``: LAION captions
#: that Stable Diffusion v1.4 does not memorize, released with NeMo (Hintersdorf et al. 2024), a
#: ``;``-separated csv with a ``Caption`` column (the first 500 rows make the ordinary set).
PROMPT_SOURCES = {
    "memorized": "https://raw.githubusercontent.com/YuxinWenRick/diffusion_memorization/main/examples/"
                 "sdv1_500_memorized.jsonl",
    "ordinary": "https://raw.githubusercontent.com/ml-research/localizing_memorization_in_diffusion_models/"
                "main/prompts/unmemorized_laion_prompts.csv",
}

_TEXT_FIELDS = ("caption", "Caption", "prompt", "Prompt", "text")


# ------------------------------------------------------------------------------ the model's parts


@dataclass
class SDParts:
    """The pieces of Stable Diffusion the recipe needs, without a diffusers pipeline.

    ``encode_prompt(list_of_str) -> (B, L, D)`` text embeddings (``""`` is the unconditional
    prompt of classifier-free guidance and of the detector). ``scheduler`` supplies the noise
    schedule and DDIM update; every sampling call works on a fresh copy of it.
    """

    unet: torch.nn.Module
    vae: torch.nn.Module
    scheduler: object
    encode_prompt: Callable[[list], torch.Tensor]
    device: str = "cpu"
    dtype: torch.dtype = torch.float32

    @property
    def vae_factor(self) -> int:
        """Pixels per latent cell along each side (8 for SD)."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def num_train_timesteps(self) -> int:
        return int(self.scheduler.config.num_train_timesteps)


def load_sd_parts(model_id: str = MODEL_ID, device=None, dtype=None) -> SDParts:
    """Stable Diffusion's UNet, VAE, a DDIM scheduler and the CLIP prompt encoder from the Hub.

    Defaults: ``cuda`` and ``float16`` when a GPU is present, else CPU ``float32`` (slow: minutes
    per image). Needs ``transformers`` for CLIP (Colab has it). Raises :class:`HubUnavailable`
    naming the model and pointing to chapter 8's offline results when anything fails.
    """
    with hub_errors(model_id):
        try:
            import transformers  # noqa: F401
        except ImportError:
            raise HubUnavailable(
                f"{model_id}: the CLIP text encoder needs the transformers package: pip install "
                f"transformers (Colab has it). {OFFLINE_POINTER}") from None
        from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
        from transformers import CLIPTextModel, CLIPTokenizer

        dev = _device(device)
        dt = dtype if dtype is not None else (torch.float16 if str(dev).startswith("cuda") else torch.float32)
        unet = UNet2DConditionModel.from_pretrained(model_id, subfolder="unet", torch_dtype=dt).to(dev).eval()
        vae = AutoencoderKL.from_pretrained(model_id, subfolder="vae", torch_dtype=dt).to(dev).eval()
        scheduler = DDIMScheduler.from_pretrained(model_id, subfolder="scheduler")
        tok = CLIPTokenizer.from_pretrained(model_id, subfolder="tokenizer")
        text = CLIPTextModel.from_pretrained(model_id, subfolder="text_encoder", torch_dtype=dt).to(dev).eval()

    @torch.no_grad()
    def encode_prompt(prompts):
        ids = tok(list(prompts), padding="max_length", max_length=tok.model_max_length, truncation=True,
                  return_tensors="pt").input_ids
        return text(ids.to(dev))[0]

    return SDParts(unet, vae, scheduler, encode_prompt, dev, dt)


def try_load_sd_parts(**kwargs):
    """``(parts, None)`` or ``(None, message)``; never raises for an unreachable Hub."""
    try:
        return load_sd_parts(**kwargs), None
    except HubUnavailable as err:
        return None, str(err)


# ------------------------------------------------------------------------------ argument checks


def _check_prompts(prompts) -> list:
    if isinstance(prompts, str):
        prompts = [prompts]
    prompts = list(prompts) if prompts is not None else []
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise ValueError(f"prompts must be a non-empty list of strings, got {prompts!r:.80}")
    return prompts


def _check_t(parts: SDParts, t) -> int:
    return check_int("t", t, 0, parts.num_train_timesteps - 1)


def _check_steps(parts: SDParts, steps, name: str = "steps") -> int:
    return check_int(name, steps, 1, parts.num_train_timesteps)


def _check_layer(parts: SDParts, layer: str) -> str:
    from ..detection import _module

    _module(parts, layer)  # ValueError naming the layer and the candidates
    return layer


def _latent_hw(parts: SDParts, height, width) -> tuple:
    """Latent height and width for an image of ``height`` x ``width`` pixels (default: the UNet's
    native size, 512 for SD v1.4)."""
    s = parts.unet.config.sample_size
    s = s if isinstance(s, int) else s[0]
    f = parts.vae_factor
    down = 2 ** (len(parts.unet.config.block_out_channels) - 1)
    out = []
    for name, v in (("height", height), ("width", width)):
        v = s * f if v is None else check_int(name, v, 1)
        if v % (f * down):
            raise ValueError(f"{name} must be a multiple of {f * down} (VAE factor {f} times UNet "
                             f"downsampling {down}), got {v}")
        out.append(v // f)
    return tuple(out)


def _fresh_scheduler(parts: SDParts, steps: int):
    sched = type(parts.scheduler).from_config(parts.scheduler.config)
    sched.set_timesteps(steps, device=parts.device)
    return sched


def _randn(shape, generator: torch.Generator, parts: SDParts) -> torch.Tensor:
    """Seeded noise drawn on the CPU (the same numbers on every device) in the parts' dtype."""
    return torch.randn(shape, generator=generator, dtype=torch.float32).to(parts.device, parts.dtype)


# ------------------------------------------------------------------------------ VAE and UNet


@torch.no_grad()
def encode(parts: SDParts, images: torch.Tensor) -> torch.Tensor:
    """Images (B, 3, H, W) in [-1, 1] to UNet latents: the VAE posterior mean times ``scaling_factor``."""
    images = check_tensor("images", images, ndim=4, dtype=None)
    z = parts.vae.encode(images.to(parts.device, parts.dtype)).latent_dist.mean
    return z * parts.vae.config.scaling_factor


@torch.no_grad()
def decode(parts: SDParts, latents: torch.Tensor) -> torch.Tensor:
    """UNet latents to images (B, 3, H, W) clamped to [-1, 1]."""
    latents = check_tensor("latents", latents, ndim=4, dtype=None)
    img = parts.vae.decode(latents.to(parts.device, parts.dtype) / parts.vae.config.scaling_factor).sample
    return img.clamp(-1, 1)


def _eps(parts: SDParts, z: torch.Tensor, t, emb: torch.Tensor) -> torch.Tensor:
    """The UNet's noise prediction ``eps(z_t, t, prompt embedding)``."""
    return parts.unet(z, t, encoder_hidden_states=emb.to(parts.device, parts.dtype)).sample


def initial_latents(parts: SDParts, n: int, *, seed=0, height=None, width=None) -> torch.Tensor:
    """The starting noise ``z_T`` (n, C, h, w) of :func:`generate` for a seed (also used by
    :func:`wen_scores`, so both see the same trajectory)."""
    n = check_int("n", n, 1)
    h, w = _latent_hw(parts, height, width)
    return _randn((n, parts.unet.config.in_channels, h, w), make_generator(seed), parts)


# ------------------------------------------------------------------------------ sampling


def ddim_step(parts: SDParts, sched, z: torch.Tensor, t, cond: torch.Tensor, uncond: torch.Tensor,
              guidance: float) -> dict:
    """One DDIM step with classifier-free guidance:
    ``eps = eps(z, "") + guidance * (eps(z, prompt) - eps(z, ""))``, then the scheduler's DDIM
    update (eta = 0). With ``guidance == 1`` only the conditional pass runs (``eps_uncond`` is
    None). Returns ``{"eps_cond", "eps_uncond", "eps", "next"}``."""
    zin = sched.scale_model_input(z, t)
    eps_c = _eps(parts, zin, t, cond)
    if guidance == 1.0:
        eps_u, eps = None, eps_c
    else:
        eps_u = _eps(parts, zin, t, uncond)
        eps = eps_u + guidance * (eps_c - eps_u)
    return {"eps_cond": eps_c, "eps_uncond": eps_u, "eps": eps, "next": sched.step(eps, t, z).prev_sample}


@torch.no_grad()
def generate(parts: SDParts, prompts, *, steps: int = 50, guidance: float = 7.5, seed=0, height=None,
             width=None, callback: Callable | None = None) -> torch.Tensor:
    """Latents (B, C, h, w) generated from ``prompts`` by DDIM with classifier-free guidance.

    The paper's detection setting: 50 steps, guidance 7.5. The starting noise is
    :func:`initial_latents` for ``seed``. ``callback(info)`` is called once per step with
    ``info = {"i", "t", "latents" (before the step), "eps_cond", "eps_uncond", "eps", "next"}``.
    Decode to images with :func:`decode`.
    """
    prompts = _check_prompts(prompts)
    steps = _check_steps(parts, steps)
    guidance = check_float("guidance", guidance, 0.0)
    cond = parts.encode_prompt(prompts)
    uncond = parts.encode_prompt([""] * len(prompts))
    sched = _fresh_scheduler(parts, steps)
    z = initial_latents(parts, len(prompts), seed=seed, height=height, width=width) * sched.init_noise_sigma
    for i, t in enumerate(sched.timesteps):
        out = ddim_step(parts, sched, z, t, cond, uncond, guidance)
        if callback is not None:
            callback({"i": i, "t": int(t), "latents": z, **out})
        z = out["next"]
    return z


# ------------------------------------------------------------------------------ the detector


def _noised_latents(parts: SDParts, x: torch.Tensor, t: int, space: str, generator) -> torch.Tensor:
    """``x`` (images or latents) as latents noised to timestep ``t`` by ``scheduler.add_noise``."""
    z0 = encode(parts, x) if space == "image" else x.to(parts.device, parts.dtype)
    noise = _randn(z0.shape, generator, parts)
    tt = torch.full((len(z0),), t, dtype=torch.long, device=parts.device)
    return parts.scheduler.add_noise(z0, noise, tt), tt


@torch.no_grad()
def detection_features(parts: SDParts, x: torch.Tensor, *, t: int = 10, layer: str = DETECTION_LAYER,
                       space: str = "image", seed=0) -> torch.Tensor:
    """The detector's feature map (B, C, h, w) in float32: ``layer``'s last output in ONE UNet pass
    with the EMPTY prompt on ``x`` noised to timestep ``t``. ``x`` holds images in [-1, 1]
    (``space="image"``, encoded by the VAE first) or UNet latents (``space="latent"``)."""
    t = _check_t(parts, t)
    space = check_choice("space", space, ("image", "latent"))
    x = check_tensor("x", x, ndim=4, dtype=None)
    layer = _check_layer(parts, layer)
    zt, tt = _noised_latents(parts, x, t, space, make_generator(seed))
    with capture(parts, layer) as box:
        _eps(parts, zt, tt, parts.encode_prompt([""] * len(zt)))
    if "out" not in box or box["out"].ndim != 4:
        raise ValueError(f"layer {layer!r} does not output a (B, C, h, w) feature map in the UNet pass")
    return box["out"].float()


def detection_scores(parts: SDParts, x: torch.Tensor, *, t: int = 10, layer: str = DETECTION_LAYER,
                     pool: str = "max", space: str = "image", seed=0) -> torch.Tensor:
    """The paper's prompt-free detector, one score per image (B,): the population std over channels
    of :func:`detection_features` pooled over space (``pool="max"``, the paper, or ``"mean"``).
    Larger = more likely memorized."""
    pool = check_choice("pool", pool, ("max", "mean"))
    feat = detection_features(parts, x, t=t, layer=layer, space=space, seed=seed)
    return representation_std(pool_features(feat, pool)).cpu()


def detection_statistics(parts: SDParts, x: torch.Tensor, *, t: int = 10,
                         layer: str = DETECTION_LAYER, pool: str = "max", space: str = "image",
                         seed=0) -> dict:
    """Every statistic of :data:`memgen.detection.POOLED_STATISTICS` of the same pooled vector as
    :func:`detection_scores` (one UNet pass): ``{"std", "norm", "mean", "cv", "top1"}``, each (B,)
    on the CPU. ``std`` is the paper's score; the others test chapter 8's mechanism on SD: the
    size statistics (norm, mean) should separate memorized images as well as the std, the
    shape statistics (cv = std / mean, the top-1 share) should not, if the size carries the
    signal."""
    from ..detection import pooled_statistics

    pool = check_choice("pool", pool, ("max", "mean"))
    feat = detection_features(parts, x, t=t, layer=layer, space=space, seed=seed)
    return {k: v.cpu() for k, v in pooled_statistics(pool_features(feat, pool)).items()}


@torch.no_grad()
def wen_scores(parts: SDParts, prompts, *, steps: int = 1, num_inference_steps: int = 50,
               guidance: float = 7.5, seed=0, height=None, width=None) -> torch.Tensor:
    """Wen et al. (2024): ``|| eps(z_i, prompt) - eps(z_i, "") ||`` averaged over the first ``steps``
    DDIM steps of the generation from :func:`initial_latents` (``seed``), one score per prompt
    (B,). Runs only those steps (two UNet passes each). Larger = more likely memorized."""
    prompts = _check_prompts(prompts)
    num_inference_steps = _check_steps(parts, num_inference_steps, "num_inference_steps")
    steps = check_int("steps", steps, 1, num_inference_steps)
    guidance = check_float("guidance", guidance, 0.0)
    cond = parts.encode_prompt(prompts)
    uncond = parts.encode_prompt([""] * len(prompts))
    sched = _fresh_scheduler(parts, num_inference_steps)
    z = initial_latents(parts, len(prompts), seed=seed, height=height, width=width) * sched.init_noise_sigma
    total = torch.zeros(len(prompts))
    for t in sched.timesteps[:steps]:
        zin = sched.scale_model_input(z, t)
        eps_c, eps_u = _eps(parts, zin, t, cond), _eps(parts, zin, t, uncond)
        total += (eps_c - eps_u).float().flatten(1).norm(dim=1).cpu()
        z = sched.step(eps_u + guidance * (eps_c - eps_u), t, z).prev_sample
    return total / steps


# ------------------------------------------------------------------------------ the benchmark


def _sync(parts: SDParts):
    if str(parts.device).startswith("cuda"):
        torch.cuda.synchronize()


def run_detection_benchmark(parts: SDParts, memorized_prompts, ordinary_prompts, *, steps: int = 50,
                            guidance: float = 7.5, t: int = 10, wen_steps: int = 1, batch_size: int = 4,
                            seed=0, height=None, width=None, progress: bool = True) -> dict:
    """The paper's Figure 6 benchmark: generate from every prompt (memorized, then ordinary), score
    each image with :func:`detection_statistics` (the std and the other statistics of the same
    pooled vector, from one UNet pass) and each prompt with :func:`wen_scores`.

    Batch ``k`` of each set uses seed ``seed + k`` for generation, Wen's trajectory and the
    detector's noise. Returns ``{"std": ..., "wen": ...}`` and one entry per other statistic of
    :data:`memgen.detection.POOLED_STATISTICS` (``"norm"``, ``"mean"``, ``"cv"``, ``"top1"``; their
    ``seconds_per_sample`` is the std's: one pass gives them all), each
    ``{"memorized", "ordinary"}``
    (score tensors), ``"auroc"``, ``"tpr_at_1fpr"`` (threshold: 99th percentile of the ordinary
    scores) and ``"seconds_per_sample"`` (the std score: VAE encoding plus one UNet pass, after
    generation; Wen: its first ``wen_steps`` guided steps); plus ``"generation_seconds_per_sample"``.
    """
    from tqdm.auto import tqdm

    sets = {"memorized": _check_prompts(memorized_prompts), "ordinary": _check_prompts(ordinary_prompts)}
    batch_size = check_int("batch_size", batch_size, 1)
    base_seed = check_int("seed", seed, 0)
    from ..detection import POOLED_STATISTICS

    methods = POOLED_STATISTICS + ("wen",)  # "std" first
    scores = {m: {k: [] for k in sets} for m in methods}
    seconds = {"std": 0.0, "wen": 0.0, "generation": 0.0}
    n_total = sum(len(p) for p in sets.values())
    bar = tqdm(total=n_total, desc="detection benchmark", disable=not progress)
    for kind, prompts in sets.items():
        for k in range(0, len(prompts), batch_size):
            batch, s = prompts[k:k + batch_size], base_seed + k // batch_size
            t0 = time.perf_counter()
            wen = wen_scores(parts, batch, steps=wen_steps, num_inference_steps=steps, guidance=guidance, seed=s,
                             height=height, width=width)
            _sync(parts)
            t1 = time.perf_counter()
            images = decode(parts, generate(parts, batch, steps=steps, guidance=guidance, seed=s, height=height,
                                            width=width))
            _sync(parts)
            t2 = time.perf_counter()
            stats = detection_statistics(parts, images, t=t, seed=s)
            _sync(parts)
            t3 = time.perf_counter()
            seconds["wen"] += t1 - t0
            seconds["generation"] += t2 - t1
            seconds["std"] += t3 - t2
            scores["wen"][kind].append(wen)
            for name, v in stats.items():
                scores[name][kind].append(v)
            bar.update(len(batch))
    bar.close()
    result = {}
    for m in methods:
        pos, neg = torch.cat(scores[m]["memorized"]), torch.cat(scores[m]["ordinary"])
        timed = "wen" if m == "wen" else "std"
        result[m] = {"memorized": pos, "ordinary": neg, "auroc": auroc(pos, neg),
                     "tpr_at_1fpr": tpr_at_fpr(pos, neg, 0.01),
                     "seconds_per_sample": seconds[timed] / n_total}
    result["generation_seconds_per_sample"] = seconds["generation"] / n_total
    return result


# ------------------------------------------------------------------------------ steering


@torch.no_grad()
def steering_directions(parts: SDParts, refs_a: torch.Tensor, refs_b: torch.Tensor,
                        layers: Sequence[str] = STEERING_LAYERS, *, t: int = 10, space: str = "image",
                        batch_size: int = 8, seed=0) -> dict:
    """``{layer: direction (C,)}``: the mean over set A of each layer's spatially averaged output
    minus the same mean over set B, from one UNet pass per image at timestep ``t`` with the empty
    prompt on the VAE-encoded (``space="image"``), noised references. Both sets draw their noise
    from the same ``seed`` (a set against itself gives a zero direction). Float32, on
    ``parts.device``."""
    t = _check_t(parts, t)
    space = check_choice("space", space, ("image", "latent"))
    batch_size = check_int("batch_size", batch_size, 1)
    layers = [_check_layer(parts, layer) for layer in layers]
    if not layers:
        raise ValueError("layers must name at least one module, e.g. 'up_blocks.0.resnets.0'")

    def mean_activation(refs, name):
        refs = check_tensor(name, refs, ndim=4, dtype=None)
        if len(refs) == 0:
            raise ValueError(f"{name} must hold at least one reference image")
        g = make_generator(seed)
        sums = {layer: 0.0 for layer in layers}
        for k in range(0, len(refs), batch_size):
            zt, tt = _noised_latents(parts, refs[k:k + batch_size], t, space, g)
            with contextlib.ExitStack() as stack:
                boxes = {layer: stack.enter_context(capture(parts, layer)) for layer in layers}
                _eps(parts, zt, tt, parts.encode_prompt([""] * len(zt)))
            for layer in layers:
                sums[layer] = sums[layer] + pool_features(boxes[layer]["out"].float(), "mean").sum(0)
        return {layer: s / len(refs) for layer, s in sums.items()}

    a, b = mean_activation(refs_a, "refs_a"), mean_activation(refs_b, "refs_b")
    return {layer: (a[layer] - b[layer]).to(parts.device) for layer in layers}


@torch.no_grad()
def steered_generate(parts: SDParts, prompts, directions: dict, alpha: float, *, steps: int = 40,
                     window: tuple = (20, 38), guidance: float = 3.5, seed=0, height=None, width=None,
                     callback: Callable | None = None) -> torch.Tensor:
    """:func:`generate` while ``alpha * directions[layer]`` is added to the output of every layer of
    ``directions`` (broadcast over space, in both guidance passes) during the DDIM steps ``i`` with
    ``window[0] <= i < window[1]`` (like ``range``; the default (20, 38) is the paper's steps 20 to
    37 of 40). ``alpha = 0`` or an empty window (``window[0] == window[1]``) is plain generation
    from the same noise."""
    alpha = check_float("alpha", alpha)
    steps = _check_steps(parts, steps)
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ValueError(f"window must be a pair (start, stop) of step indices, got {window!r}")
    start = check_int("window[0]", window[0], 0, steps)
    stop = check_int("window[1]", window[1], 0, steps)
    if start > stop:
        raise ValueError(f"window must satisfy window[0] <= window[1] (steps start <= i < stop), got {tuple(window)}")
    if not isinstance(directions, dict) or not directions:
        raise ValueError("directions must be a non-empty dict {layer: (C,) tensor}, e.g. from steering_directions")
    deltas = {}
    for layer, d in directions.items():
        _check_layer(parts, layer)
        deltas[layer] = alpha * check_tensor(f"directions[{layer!r}]", d, ndim=1, dtype=None).to(parts.device)
    state = {"i": 0}

    def active():
        return start <= state["i"] < stop

    def cb(info):
        if callback is not None:
            callback(info)
        state["i"] = info["i"] + 1  # the next UNet calls belong to the next step

    with add_per_layer(parts, deltas, active):
        return generate(parts, prompts, steps=steps, guidance=guidance, seed=seed, height=height, width=width,
                        callback=cb)


# ------------------------------------------------------------------------------ prompt sets


def read_prompts(path, limit: int | None = None) -> list:
    """Prompts from a local file: ``.jsonl`` (one object per line; field ``caption``, ``prompt`` or
    ``text``), ``.csv`` (delimiter sniffed among ``,;\\t``; a column of the same names) or any other
    extension as plain text (one prompt per non-empty line). The first ``limit`` if given."""
    path = os.fspath(path)
    if limit is not None:
        limit = check_int("limit", limit, 1)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no prompt file at {path!r}; see memgen.hub.stable_diffusion.PROMPT_SOURCES "
                                "(download_prompts fetches them in Colab)")
    with open(path, encoding="utf-8", newline="") as f:
        if path.endswith(".jsonl"):
            rows = [json.loads(line) for line in f if line.strip()]
        elif path.endswith(".csv"):
            text = f.read()
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
        else:
            rows = None
            prompts = [line.strip() for line in f if line.strip()]
    if rows is not None:
        prompts = []
        for n, row in enumerate(rows):
            field = next((k for k in _TEXT_FIELDS if isinstance(row, dict) and k in row), None)
            if field is None:
                raise ValueError(f"{path}: row {n} has no prompt field (one of {', '.join(_TEXT_FIELDS)})")
            prompts.append(str(row[field]))
    if not prompts:
        raise ValueError(f"{path}: no prompts found")
    return prompts[:limit] if limit is not None else prompts


def load_prompt_sets(memorized_path, ordinary_path, *, n: int | None = 500) -> tuple:
    """``(memorized, ordinary)`` prompt lists from local files (:func:`read_prompts`), at most ``n``
    each (the paper: 500 and 500). Fetch the files first with :func:`download_prompts`."""
    return read_prompts(memorized_path, n), read_prompts(ordinary_path, n)


def download_prompts(key: str, dest_dir=".") -> str:
    """Download the prompt file ``PROMPT_SOURCES[key]`` into ``dest_dir`` (kept if already there)
    and return its path. Raises :class:`HubUnavailable` naming the address when the fetch fails."""
    key = check_choice("key", key, PROMPT_SOURCES)
    url = PROMPT_SOURCES[key]
    path = os.path.join(os.fspath(dest_dir), url.rsplit("/", 1)[-1])
    if os.path.isfile(path):
        return path
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            data = resp.read()
    except Exception as err:
        raise HubUnavailable(f"could not download the {key} prompts from {url} ({type(err).__name__}: {err}); "
                             f"download the file by hand and pass its path to load_prompt_sets. "
                             f"{OFFLINE_POINTER}") from err
    os.makedirs(os.fspath(dest_dir), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path
