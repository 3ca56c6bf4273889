"""Small convolutional denoisers: a diffusers ``UNet2DModel`` with EDM preconditioning.

The book's real denoisers (chapter 7) are tiny ``UNet2DModel`` networks (no attention) trained on
the offline digits, upsampled to 16x16. The network ``F`` is wrapped as an x0-predictor with the
preconditioning of Karras et al. (2022, "EDM"):

    D(y, sigma) = c_skip(sigma) y + c_out(sigma) F(c_in(sigma) y, c_noise(sigma)),
    c_skip = s^2 / (sigma^2 + s^2),  c_out = sigma s / sqrt(sigma^2 + s^2),
    c_in = 1 / sqrt(sigma^2 + s^2),  c_noise = 250 ln(sigma)   (s = sigma_data),

trained with the loss  E || D(x + sigma eps, sigma) - x ||^2 / c_out^2  (EDM's weighting) and
sigma drawn log-uniformly in ``[sigma_min, sigma_max]``. ``c_noise`` is EDM's ``ln(sigma)/4``
scaled by 1000 so that diffusers' sinusoidal timestep embedding (built for integer steps
0..1000) resolves it.

Checkpoints are ``safetensors`` files with a JSON config next to them and a ``SHA256SUMS``
manifest; :func:`load_denoiser` verifies the sha256 of both files before it reads them.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_float, check_int, make_generator
from .sampling import log_uniform_sigmas
from .shipped_data import ChecksumError, data_path, read_checksums, sha256_file
from .training import TrainResult, check_callback

#: Where the book's shipped checkpoints live (``data/unets`` at the repository root).
DATA_DIR = data_path("unets")  # the repository's data/unets or the installed memgen_data.unets


@dataclass
class UNetConfig:
    """Everything needed to rebuild and retrain one small denoiser."""

    image_size: int = 16
    block_out_channels: tuple = (32, 64)
    layers_per_block: int = 1
    norm_num_groups: int = 8
    sigma_data: float = 0.5
    sigma_min: float = 0.02
    sigma_max: float = 5.0
    parameterisation: str = "x0"  # "x0" (direct), "edm" (x0 with EDM's skip) or "eps"
    #: 0: unconditional. K > 0: class-conditional with labels 0..K-1 and the extra label K meaning
    #: "no condition" (the empty prompt), learned by condition dropout during training.
    num_classes: int = 0
    #: "unet2d": diffusers' UNet2DModel. "bias_free": :class:`memgen.bfunet.BiasFreeUNet`,
    #: positively
    #: homogeneous in the image (no biases, no normalisation, noise level as multiplicative gains;
    #: ``norm_num_groups`` is unused, and it is unconditional). "dit": diffusers'
    #: DiTTransformer2DModel (:class:`DiTNet`; unconditional; ``block_out_channels`` and
    #: ``norm_num_groups`` unused, the four fields below set its size).
    architecture: str = "unet2d"
    #: DiT only: patch side (tokens = (image_size / patch_size)^2), transformer blocks, attention
    #: heads and their width (the model's width is heads * head_dim).
    patch_size: int = 2
    num_layers: int = 2
    attention_heads: int = 2
    attention_head_dim: int = 16

    @property
    def null_label(self) -> int:
        """The label of the unconditional model (``num_classes``); only for conditional models."""
        return self.num_classes

    def unet_kwargs(self) -> dict:
        n = len(self.block_out_channels)
        extra = {"num_class_embeds": self.num_classes + 1} if self.num_classes else {}
        return dict(
            sample_size=self.image_size,
            in_channels=1,
            out_channels=1,
            down_block_types=("DownBlock2D",) * n,
            up_block_types=("UpBlock2D",) * n,
            block_out_channels=tuple(self.block_out_channels),
            layers_per_block=self.layers_per_block,
            norm_num_groups=self.norm_num_groups,
            add_attention=False,
            **extra,
        )


class DiTNet(nn.Module):
    """``F(x, c_noise)`` as a diffusers ``DiTTransformer2DModel``: patchify, ``num_layers``
    transformer blocks with adaLN-Zero conditioning on the noise embedding, unpatchify.

    DiT's adaLN-Zero needs a class label; this network is unconditional, so every call passes the
    label 0 (``num_embeds_ada_norm=1``; diffusers' label dropout during training then swaps it for
    its null label 10% of the time, both learned constants). ``forward`` returns the diffusers
    output (``.sample``), so :class:`Denoiser` wraps it like a ``UNet2DModel``."""

    def __init__(self, config: "UNetConfig"):
        super().__init__()
        from diffusers import DiTTransformer2DModel

        check_int("config.patch_size", config.patch_size, 1)
        if config.image_size % config.patch_size:
            raise ValueError(
                f"config.image_size ({config.image_size}) must be a multiple of config.patch_size "
                f"({config.patch_size})"
            )
        if config.num_classes:
            raise ValueError(
                f"config.num_classes must be 0 for architecture='dit', got {config.num_classes}"
            )
        self.dit = DiTTransformer2DModel(
            num_attention_heads=check_int("config.attention_heads", config.attention_heads, 1),
            attention_head_dim=check_int("config.attention_head_dim", config.attention_head_dim, 1),
            in_channels=1,
            out_channels=1,
            num_layers=check_int("config.num_layers", config.num_layers, 1),
            sample_size=config.image_size,
            patch_size=config.patch_size,
            num_embeds_ada_norm=1,
            norm_type="ada_norm_zero",
        )

    def forward(self, x: torch.Tensor, timestep: torch.Tensor, class_labels=None):
        labels = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        return self.dit(x, timestep=timestep, class_labels=labels)


def build_unet(config: UNetConfig):
    """A freshly initialised (torch global seed dependent) network ``F``: an attention-free
    ``UNet2DModel``, a :class:`memgen.bfunet.BiasFreeUNet` for ``architecture="bias_free"``, or a
    :class:`DiTNet` (a ``DiTTransformer2DModel``) for ``architecture="dit"``."""
    check_int("config.image_size", config.image_size, 4)
    check_int("config.num_classes", config.num_classes, 0)
    check_choice("config.parameterisation", config.parameterisation, ("x0", "edm", "eps"))
    check_choice("config.architecture", config.architecture, ("unet2d", "bias_free", "dit"))
    if config.architecture == "dit":
        return DiTNet(config)
    if config.architecture == "bias_free":
        from .bfunet import BiasFreeUNet

        if config.num_classes:
            raise ValueError(
                "config.num_classes must be 0 for architecture='bias_free' (an added class "
                f"embedding is a bias), got {config.num_classes}"
            )
        return BiasFreeUNet(config.image_size, config.block_out_channels, config.layers_per_block)
    from diffusers import UNet2DModel

    return UNet2DModel(**config.unet_kwargs())


class Denoiser(nn.Module):
    """``D(y, sigma)``: the posterior-mean (x0) estimate of a clean image from ``y = x + sigma
    eps``.

    ``y`` has shape (B, 1, H, W) or (B, H*W) (flattened; returned flattened too). ``sigma`` is a
    float or a (B,) tensor. A class-conditional model (``config.num_classes > 0``) also takes
    ``class_labels`` (an int or a (B,) tensor; ``None`` means the unconditional label). With
    ``parameterisation="eps"`` the network predicts the noise and
    ``D = y - sigma F(y, c_noise)`` (no input scaling, for comparison).
    """

    def __init__(self, unet, config: UNetConfig):
        super().__init__()
        self.unet = unet
        self.config = config

    @property
    def image_shape(self) -> tuple:
        return (self.config.image_size, self.config.image_size)

    def coefficients(self, sigma: torch.Tensor) -> tuple:
        s = self.config.sigma_data
        if self.config.parameterisation == "eps":
            one = torch.ones_like(sigma)
            return one, -sigma, one, 250.0 * torch.log(sigma)
        root = torch.sqrt(sigma**2 + s**2)
        if self.config.parameterisation == "x0":
            return (
                torch.zeros_like(sigma),
                torch.ones_like(sigma),
                1.0 / root,
                250.0 * torch.log(sigma),
            )
        return s**2 / root**2, sigma * s / root, 1.0 / root, 250.0 * torch.log(sigma)

    def labels(self, class_labels, B: int, device=None):
        """``class_labels`` as a (B,) long tensor (``None``: the null label), checked; ``None`` for
        an
        unconditional model (which accepts only ``class_labels=None``)."""
        K = self.config.num_classes
        if K == 0:
            if class_labels is not None:
                raise ValueError(
                    "class_labels given, but this denoiser is unconditional (config.num_classes = "
                    "0)"
                )
            return None
        if class_labels is None:
            class_labels = K
        c = torch.as_tensor(class_labels, dtype=torch.long, device=device)
        c = c.expand(B) if c.ndim == 0 else c
        if c.shape != (B,):
            raise ValueError(
                f"class_labels must be an int or have shape ({B},), got {tuple(c.shape)}"
            )
        if len(c) and (int(c.min()) < 0 or int(c.max()) > K):
            raise ValueError(
                f"class_labels must lie in [0, {K}] ({K} = no condition), got "
                f"[{int(c.min())}, {int(c.max())}]"
            )
        return c

    def forward(self, y: torch.Tensor, sigma, class_labels=None) -> torch.Tensor:
        flat = y.ndim == 2
        h = self.config.image_size
        if flat:
            y = y.reshape(-1, 1, h, h)
        B = y.shape[0]
        sigma = torch.as_tensor(sigma, dtype=y.dtype, device=y.device)
        sigma = sigma.expand(B) if sigma.ndim == 0 else sigma
        c_skip, c_out, c_in, c_noise = self.coefficients(sigma)
        b = (-1, 1, 1, 1)
        labels = self.labels(class_labels, B, y.device)
        F = self.unet(c_in.reshape(b) * y, c_noise, class_labels=labels).sample
        out = c_skip.reshape(b) * y + c_out.reshape(b) * F
        return out.reshape(B, -1) if flat else out


def upsample_digits(x: torch.Tensor, size: int = 16) -> torch.Tensor:
    """Flattened 8x8 digits (n, 64) to flattened ``size x size`` images by bilinear upsampling."""
    size = check_int("size", size, 8)
    imgs = x.reshape(-1, 1, 8, 8)
    up = torch.nn.functional.interpolate(
        imgs, size=(size, size), mode="bilinear", align_corners=False
    )
    return up.reshape(len(x), -1)


@dataclass
class TrainConfig:
    """Training settings: Adam, EDM loss, sigma log-uniform, fresh noise every step."""

    steps: int = 6000
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    log_every: int = 500
    #: Conditional models only: the probability that a training label is replaced by the null label
    #: (classifier-free guidance's condition dropout).
    cond_dropout: float = 0.1
    extra: dict = field(default_factory=dict)


def loss_weight(sigma: torch.Tensor, sigma_data: float) -> torch.Tensor:
    """EDM's weighting ``(sigma^2 + s^2) / (sigma s)^2`` (= 1 / c_out^2 of the EDM preconditioning),
    used for every parameterisation: it makes the expected loss of a good denoiser of order one at
    every noise level, so small noise levels are learned as carefully as large ones."""
    s = sigma_data
    return (sigma**2 + s**2) / (sigma * s) ** 2


def edm_loss(
    model: Denoiser, x: torch.Tensor, sigma: torch.Tensor, eps: torch.Tensor, class_labels=None
) -> torch.Tensor:
    """Mean of ``loss_weight(sigma) || D(x + sigma eps) - x ||^2`` over the batch (pixels
    averaged)."""
    y = x + sigma[:, None] * eps
    out = model(y, sigma) if class_labels is None else model(y, sigma, class_labels)
    return (((out - x) ** 2).mean(1) * loss_weight(sigma, model.config.sigma_data)).mean()


def train_denoiser(
    x: torch.Tensor,
    config: UNetConfig,
    train: TrainConfig,
    *,
    device: str = "cpu",
    progress: bool = False,
    labels: torch.Tensor | None = None,
    callback: Callable | None = None,
    callback_every: int | None = None,
) -> TrainResult:
    """Train a :class:`Denoiser` on flattened images ``x`` (n, image_size**2), seeded.

    A class-conditional config (``config.num_classes > 0``) needs ``labels`` (n,) in
    ``[0, num_classes)``; each drawn label is replaced by the null label with probability
    ``train.cond_dropout``.

    Returns a :class:`~memgen.training.TrainResult`: ``model`` (on CPU, eval mode), ``losses``
    (the batch loss of every step). ``callback({"step", "loss", "model"})`` is called every
    ``callback_every`` steps (default ``train.log_every``) and after the last step, with ``loss``
    the mean batch loss since the previous call (:mod:`memgen.training`). Training is
    reproducible for a fixed seed, device and torch version.
    """
    from tqdm.auto import tqdm

    d = config.image_size**2
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"x must have shape (n, {d}), got {tuple(x.shape)}")
    check_int("train.steps", train.steps, 1)
    check_int("train.batch_size", train.batch_size, 1)
    check_float("train.lr", train.lr, 0.0, min_exclusive=True)
    K = config.num_classes
    if K:
        if labels is None:
            raise ValueError(
                f"labels are required: config.num_classes = {K} (a class-conditional model)"
            )
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.shape != (len(x),) or int(labels.min()) < 0 or int(labels.max()) >= K:
            raise ValueError(f"labels must have shape ({len(x)},) and values in [0, {K - 1}]")
        check_float("train.cond_dropout", train.cond_dropout, 0.0, 1.0)
    elif labels is not None:
        raise ValueError("labels given, but config.num_classes = 0 (an unconditional model)")
    torch.manual_seed(train.seed)
    unet = build_unet(config)
    model = Denoiser(unet, config).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=train.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / 200) * 0.5 * (1 + math.cos(math.pi * k / train.steps))
    )
    g = make_generator(train.seed + 1)
    xs = x.to(device)
    n = len(xs)
    every = check_callback(callback, train.log_every if callback_every is None else callback_every)
    losses = np.empty(train.steps)
    t0, running = time.perf_counter(), 0.0
    for k in tqdm(range(train.steps), disable=not progress):
        idx = torch.randint(n, (train.batch_size,), generator=g)
        sigma = log_uniform_sigmas(
            train.batch_size, config.sigma_min, config.sigma_max, generator=g, dtype=torch.float32
        )
        eps = torch.randn(train.batch_size, d, generator=g)
        c = None
        if K:  # condition dropout: the null label K with probability cond_dropout
            c = torch.where(
                torch.rand(train.batch_size, generator=g) < train.cond_dropout, K, labels[idx]
            )
            c = c.to(device)
        loss = edm_loss(model, xs[idx.to(device)], sigma.to(device), eps.to(device), c)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses[k] = loss.item()
        running += losses[k]
        if (k + 1) % every == 0 or k + 1 == train.steps:
            m = (k + 1) % every or every
            if callback is not None:
                callback({"step": k + 1, "loss": running / m, "model": model})
            running = 0.0
    return TrainResult(
        models=[model.cpu().eval()],
        losses=losses,
        steps=train.steps,
        seconds=time.perf_counter() - t0,
        settings={"device": device},
    )


def print_progress(info: dict) -> None:
    """A trainer callback that prints one progress line per call (for the retraining scripts)."""
    print(f"step {info['step']:6d}  loss {info['loss']:.4f}", flush=True)


# ------------------------------------------------------------------------------ checkpoints


def save_denoiser(model: Denoiser, name: str, folder=DATA_DIR, *, meta: dict | None = None) -> dict:
    """Write ``<name>.safetensors`` and ``<name>.json`` into ``folder`` and record their sha256
    in ``folder/SHA256SUMS`` (one ``<hex>  <file>`` line per file, like ``sha256sum``)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    cfg = folder / f"{name}.json"
    state = {k: v.detach().contiguous().cpu() for k, v in model.unet.state_dict().items()}
    save_file(state, str(weights))
    cfg.write_text(
        json.dumps({"config": asdict(model.config), "meta": meta or {}}, indent=1, sort_keys=True)
        + "\n"
    )
    sums = read_manifest(folder) if (folder / "SHA256SUMS").exists() else {}
    sums[weights.name] = sha256_file(weights)
    sums[cfg.name] = sha256_file(cfg)
    (folder / "SHA256SUMS").write_text("".join(f"{v}  {k}\n" for k, v in sorted(sums.items())))
    return sums


def read_manifest(folder=DATA_DIR) -> dict:
    """``{file name: sha256}`` from ``folder/SHA256SUMS``."""
    return read_checksums(folder)


def verify_file(path, folder=None) -> None:
    """Raise :class:`ChecksumError` unless ``path``'s sha256 equals the manifest's entry."""
    path = Path(path)
    sums = read_manifest(folder or path.parent)
    if path.name not in sums:
        raise ChecksumError(f"{path.name} is not listed in {path.parent / 'SHA256SUMS'}")
    actual = sha256_file(path)
    if actual != sums[path.name]:
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {sums[path.name]}, got {actual}. "
            "The file is corrupted or was replaced; restore it from git (git checkout -- "
            "data/unets) "
            "or regenerate it with `python data/unets/train_unets.py`."
        )


def load_denoiser(name: str, folder=DATA_DIR, *, verify: bool = True) -> Denoiser:
    """Load a checkpoint written by :func:`save_denoiser` (checksums verified first), in eval
    mode."""
    from safetensors.torch import load_file

    folder = Path(folder)
    weights, cfg = folder / f"{name}.safetensors", folder / f"{name}.json"
    for p in (weights, cfg):
        if not p.exists():
            raise FileNotFoundError(
                f"checkpoint file {p} is missing; run `python data/unets/train_unets.py`"
            )
        if verify:
            verify_file(p, folder)
    raw = json.loads(cfg.read_text())["config"]
    raw["block_out_channels"] = tuple(raw["block_out_channels"])
    config = UNetConfig(**raw)
    unet = build_unet(config)
    unet.load_state_dict(load_file(str(weights)))
    return Denoiser(unet, config).eval()


def checkpoint_meta(name: str, folder=DATA_DIR) -> dict:
    """The ``meta`` dict stored with a checkpoint (training set, seconds, device, ...)."""
    return json.loads((Path(folder) / f"{name}.json").read_text())["meta"]
