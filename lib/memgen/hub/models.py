"""Pretrained diffusion models from the Hugging Face Hub, wrapped as denoisers for Jacobian
analysis.

For readers in Colab (a GPU helps but is optional). Each ``load_*`` function downloads one
checkpoint with ``diffusers`` and returns a :class:`HubDenoiser`: a function ``x_t -> x0_hat`` at
one
fixed timestep, plus what is needed to make a noisy input. When the Hub cannot be reached (no
network, ``HF_HUB_OFFLINE=1``, a missing package) the loaders raise :class:`HubUnavailable` whose
message names the model and points to the book's offline results (chapter 7's shipped UNets).

Models (the paper checks the same Jacobian contrast on EDM, DiT and Stable Diffusion v1.4):

- ``google/ddpm-cifar10-32``: ``UNet2DModel``, epsilon prediction, 3x32x32 pixels (d = 3072);
- ``facebook/DiT-XL-2-256``: ``DiTTransformer2DModel`` (class-conditional, learned variance: the
  first 4 of 8 output channels are epsilon), latents 4x32x32 (d = 4096);
- ``CompVis/stable-diffusion-v1-4``: ``UNet2DConditionModel`` (text-conditional; we use the empty
  prompt, as the paper does), latents 4x64x64 (d = 16384), with its VAE to encode images;
- EDM (Karras et al. 2022): the official checkpoints are pickles that need NVlabs' ``edm`` code
  (``dnnlib``, ``torch_utils``); no EDM checkpoint loads as a diffusers model, so
  :func:`load_edm` always raises :class:`HubUnavailable` saying so.

The same wrappers are tested offline on tiny random-weight models of the same classes
(``tests/test_hub.py``). DDPM-type models are turned into x0 denoisers by
``x0_hat = (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t)``; the equivalent noise level of
``x_t / sqrt(abar_t) = x0 + sigma eps`` is ``sigma = sqrt((1 - abar_t) / abar_t)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

from .._checks import check_float, check_int, make_generator
from . import OFFLINE_POINTER, HubUnavailable, hub_errors, hub_offline  # noqa: F401

#: The Hub ids this module knows.
MODELS = {
    "ddpm-cifar10": "google/ddpm-cifar10-32",
    "dit": "facebook/DiT-XL-2-256",
    "sd-v1-4": "CompVis/stable-diffusion-v1-4",
    "edm": None,
}

#: Chapter 7's Hub cell on a T4 (15 GB) for each model: VJPs per batched call (``chunk_size``) and,
#: for Stable Diffusion, the latent side. :func:`memgen.hub.memory.jacobian_recipe` estimates the
#: GPU memory of each (about 1.3, 11 and 11 GB; a test keeps every estimate under 14 GB).
JACOBIAN_SETTINGS = {
    "ddpm-cifar10": {"chunk_size": 4},
    "dit": {"chunk_size": 1},
    "sd-v1-4": {"chunk_size": 2, "latent_size": 32},
}


@dataclass
class HubDenoiser:
    """``fn(x_t) -> x0_hat`` at one fixed timestep ``t`` (input and output of ``shape``).

    ``sigma`` is the equivalent noise level of ``x_t / sqrt(abar_t)``; ``add_noise(x0, seed)``
    makes ``x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps``. ``encode``/``decode`` map images to the
    model's space and back (identity for pixel models, the VAE for latent ones).
    """

    name: str
    fn: Callable
    shape: tuple
    abar: float
    t: int
    encode: Callable = field(default=lambda x: x)
    decode: Callable = field(default=lambda z: z)
    device: str = "cpu"
    dtype: torch.dtype = (
        torch.float32
    )  # the model's weights; add_noise returns inputs of this dtype

    @property
    def sigma(self) -> float:
        return math.sqrt((1 - self.abar) / self.abar)

    @property
    def dim(self) -> int:
        return int(math.prod(self.shape))

    def add_noise(self, x0: torch.Tensor, seed=0) -> torch.Tensor:
        """``x_t`` on the model's device and in its dtype; the noise is drawn on the CPU (the same
        numbers on every device)."""
        g = make_generator(seed)
        x0 = x0.to(self.device, self.dtype)
        eps = torch.randn(x0.shape, generator=g).to(x0)
        return math.sqrt(self.abar) * x0 + math.sqrt(1 - self.abar) * eps


def eps_to_x0(eps_fn: Callable, abar: float) -> Callable:
    """The x0 denoiser ``x_t -> (x_t - sqrt(1 - abar) eps_fn(x_t)) / sqrt(abar)``."""
    abar = check_float("abar", abar, 0.0, 1.0, min_exclusive=True, max_exclusive=True)
    a, b = math.sqrt(abar), math.sqrt(1 - abar)
    return lambda x: (x - b * eps_fn(x)) / a


def ddpm_abar(
    t: int,
    num_train_timesteps: int = 1000,
    beta_start=1e-4,
    beta_end=0.02,
    schedule: str = "linear",
) -> float:
    """``abar_t = prod_{s <= t} (1 - beta_s)`` of DDPM's linear schedule (or SD's scaled_linear)."""
    t = check_int("t", t, 0, num_train_timesteps - 1)
    if schedule == "linear":
        betas = torch.linspace(beta_start, beta_end, num_train_timesteps, dtype=torch.float64)
    elif schedule == "scaled_linear":
        betas = (
            torch.linspace(beta_start**0.5, beta_end**0.5, num_train_timesteps, dtype=torch.float64)
            ** 2
        )
    else:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of: linear, scaled_linear")
    return float(torch.cumprod(1 - betas, 0)[t])


def _placement(model) -> dict:
    """``{"device", "dtype"}`` of a model's parameters (HubDenoiser's fields)."""
    p = next(model.parameters())
    return {"device": str(p.device), "dtype": p.dtype}


def host(t: torch.Tensor) -> torch.Tensor:
    """``t`` detached and on the CPU, for results handed back to the reader; on the ``meta``
    device (the tests' stand-in for a GPU, which holds no values) ``t`` stays where it is."""
    t = t.detach()
    return t if t.is_meta else t.cpu()


def math_attention():
    """Context: the MATH scaled-dot-product-attention kernel (twice differentiable, so the
    double-VJP products of :mod:`memgen.jacobian` work through attention)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel(SDPBackend.MATH)


# ------------------------------------------------------------------------ wrappers (tested offline)


def wrap_unet2d(unet, t: int, abar: float, name: str = "UNet2DModel") -> HubDenoiser:
    """A ``UNet2DModel`` that predicts epsilon (DDPM) as an x0 denoiser at timestep ``t``."""
    c, s = unet.config.in_channels, unet.config.sample_size
    s = s if isinstance(s, int) else s[0]
    tt = torch.tensor([t])

    def eps(x):
        return unet(x, tt.to(x.device)).sample

    return HubDenoiser(name, eps_to_x0(eps, abar), (1, c, s, s), abar, t, **_placement(unet))


def wrap_dit(dit, t: int, abar: float, class_label: int = 0, name: str = "DiT") -> HubDenoiser:
    """A ``DiTTransformer2DModel`` (learned variance: output channels = 2 x input) as an x0
    denoiser of latents at timestep ``t`` for one class label."""
    c, s = dit.config.in_channels, dit.config.sample_size
    tt, label = torch.tensor([t]), torch.tensor([class_label])

    def eps(x):
        out = dit(x, timestep=tt.to(x.device), class_labels=label.to(x.device)).sample
        return out[:, :c]

    return HubDenoiser(name, eps_to_x0(eps, abar), (1, c, s, s), abar, t, **_placement(dit))


def wrap_unet2d_condition(
    unet,
    t: int,
    abar: float,
    encoder_hidden_states: torch.Tensor,
    name: str = "UNet2DConditionModel",
    latent_size: int | None = None,
) -> HubDenoiser:
    """A text-conditional ``UNet2DConditionModel`` (Stable Diffusion) as an x0 denoiser of latents
    at timestep ``t`` for fixed prompt embeddings (the paper: the empty prompt). ``latent_size``:
    the side of the latents it takes (None: the model's ``sample_size``, 64 for SD v1.4; the UNet
    is convolutional, so any multiple of 8 works, e.g. 32 for 256-pixel images)."""
    c, s = unet.config.in_channels, unet.config.sample_size
    if latent_size is not None:
        s = check_int("latent_size", latent_size, 8)
        if s % 8:
            raise ValueError(
                f"latent_size must be a multiple of 8 (the UNet downsamples three times), got {s}"
            )
    tt = torch.tensor([t])
    ehs = encoder_hidden_states.detach()

    def eps(x):
        return unet(x, tt.to(x.device), encoder_hidden_states=ehs.to(x)).sample

    return HubDenoiser(name, eps_to_x0(eps, abar), (1, c, s, s), abar, t, **_placement(unet))


def jacobian_spectrum(
    den: HubDenoiser,
    x_t: torch.Tensor,
    *,
    k: int = 32,
    full_up_to: int = 4096,
    power_iters: int = 2,
    seed=0,
    chunk_size: int | None = None,
) -> dict:
    """Singular values (and top vectors) of ``d x0_hat / d x_t`` at ``x_t``.

    Full Jacobian by reverse mode when the dimension is at most ``full_up_to``; otherwise the
    randomized top-``k`` SVD from VJPs (:func:`memgen.jacobian.randomized_svd`). ``chunk_size``
    bounds how many VJPs run in one batched call (memory: use e.g. 4-8 for Stable Diffusion).
    Returns
    ``{"S", "U", "V", "method", "effective_rank"}`` (the number of singular values >= 1/2 among
    those found: for the randomized method, among the top k only, so a value of k means "k or
    more").
    """
    from ..jacobian import effective_rank, full_jacobian, randomized_svd

    k = check_int("k", k, 1, den.dim)
    with math_attention():
        if den.dim <= full_up_to:
            J = full_jacobian(den.fn, x_t, chunk_size=chunk_size)
            U, S, Vh = torch.linalg.svd(J.double(), full_matrices=False)
            S, U, V, method = S, U[:, :k], Vh[:k].T, "full"
        else:
            S, U, V = randomized_svd(
                den.fn, x_t, k, power_iters=power_iters, seed=seed, chunk_size=chunk_size
            )
            method = "randomized"
    S, U, V = host(S), host(U), host(V)
    # on the meta device (tests) there are no values to count
    return {
        "S": S,
        "U": U,
        "V": V,
        "method": method,
        "effective_rank": None if S.is_meta else effective_rank(S),
    }


# ----------------------------------------------------------------------------- loaders (online)


def _device(device):
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_ddpm_cifar10(t: int = 10, device=None) -> HubDenoiser:
    """``google/ddpm-cifar10-32`` (UNet2DModel, epsilon prediction, linear betas) at timestep t."""
    name = MODELS["ddpm-cifar10"]
    with hub_errors(name):
        from diffusers import UNet2DModel

        unet = UNet2DModel.from_pretrained(name).to(_device(device)).eval()
    den = wrap_unet2d(unet, t, ddpm_abar(t), name)
    den.device = str(unet.device)
    return den


def load_dit(t: int = 10, class_label: int = 207, device=None) -> HubDenoiser:
    """``facebook/DiT-XL-2-256`` (DiTTransformer2DModel) at timestep t for one ImageNet class;
    ``encode``/``decode`` use the pipeline's VAE (latents scaled by 0.18215)."""
    name = MODELS["dit"]
    with hub_errors(name):
        from diffusers import AutoencoderKL, DiTTransformer2DModel

        dev = _device(device)
        dit = DiTTransformer2DModel.from_pretrained(name, subfolder="transformer").to(dev).eval()
        vae = AutoencoderKL.from_pretrained(name, subfolder="vae").to(dev).eval()
    den = wrap_dit(dit, t, ddpm_abar(t), class_label, name)
    den.encode, den.decode = _vae_codec(vae, 0.18215)
    den.device = dev
    return den


def load_sd_unet(
    t: int = 10, prompt: str = "", device=None, latent_size: int | None = 32
) -> HubDenoiser:
    """``CompVis/stable-diffusion-v1-4``'s UNet2DConditionModel at timestep t (scaled_linear betas
    0.00085..0.012) with the CLIP embedding of ``prompt`` (default empty, as in the paper), and its
    VAE as ``encode``/``decode``. Needs ``transformers`` (Colab has it). Float32 (the Jacobian's
    double-VJP products need it). ``latent_size`` 32 (256-pixel images, d = 4096) by default: at
    SD's native 64 (d = 16384) one double VJP keeps about 23 GB of activations, beyond a T4
    (:func:`memgen.hub.memory.jacobian_recipe`); pass 64 on a GPU with 40 GB or more."""
    name = MODELS["sd-v1-4"]
    with hub_errors(name):
        from diffusers import AutoencoderKL, UNet2DConditionModel
        from transformers import CLIPTextModel, CLIPTokenizer

        dev = _device(device)
        unet = UNet2DConditionModel.from_pretrained(name, subfolder="unet").to(dev).eval()
        vae = AutoencoderKL.from_pretrained(name, subfolder="vae").to(dev).eval()
        tok = CLIPTokenizer.from_pretrained(name, subfolder="tokenizer")
        text = CLIPTextModel.from_pretrained(name, subfolder="text_encoder").to(dev).eval()
        ids = tok(
            [prompt], padding="max_length", max_length=tok.model_max_length, return_tensors="pt"
        ).input_ids
        with torch.no_grad():
            ehs = text(ids.to(dev))[0]
    abar = ddpm_abar(t, beta_start=0.00085, beta_end=0.012, schedule="scaled_linear")
    den = wrap_unet2d_condition(unet, t, abar, ehs, name, latent_size=latent_size)
    den.encode, den.decode = _vae_codec(vae, vae.config.scaling_factor)
    den.device = dev
    return den


def load_edm(**_) -> HubDenoiser:
    """No EDM checkpoint loads with diffusers: always raises :class:`HubUnavailable` saying so."""
    raise HubUnavailable(
        "EDM (Karras et al. 2022): no EDM checkpoint is published in diffusers format; the "
        "official "
        "NVlabs checkpoints are pickles that need the edm repository's code (dnnlib, torch_utils), "
        f"which this book does not vendor. {OFFLINE_POINTER} Our own small UNets use EDM's "
        "preconditioning (memgen.unet), so chapter 7's offline results are the EDM-style case."
    )


def _vae_codec(vae, scale: float) -> tuple:
    def encode(img):  # img in [-1, 1], (B, 3, H, W)
        with torch.no_grad():
            return vae.encode(img.to(vae.device, vae.dtype)).latent_dist.mean * scale

    def decode(z):
        with torch.no_grad():
            return vae.decode(z.to(vae.device, vae.dtype) / scale).sample

    return encode, decode


LOADERS = {
    "ddpm-cifar10": load_ddpm_cifar10,
    "dit": load_dit,
    "sd-v1-4": load_sd_unet,
    "edm": load_edm,
}


def try_load(key: str, **kwargs):
    """``(denoiser, None)`` or ``(None, message)``: the message says why the model is not available
    and where the offline results are. Never raises for an unreachable Hub."""
    if key not in LOADERS:
        raise ValueError(f"unknown model {key!r}; choose one of: {', '.join(LOADERS)}")
    try:
        return LOADERS[key](**kwargs), None
    except HubUnavailable as err:
        return None, str(err)
