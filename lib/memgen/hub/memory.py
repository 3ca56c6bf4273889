"""Memory of the Hub recipes on a GPU, estimated offline on the ``meta`` device.

A free Colab T4 has about 15 GB of GPU memory. Before a reader starts a recipe that would run out
of it, the book computes each recipe's peak from the real architectures without downloading a
weight: :func:`build` makes the model from its published configuration (the dicts below, copied
from the checkpoints' ``config.json`` files) on the ``meta`` device, and :class:`PeakMemory`
replays the recipe there (the same library calls, with the same chunk sizes and dtypes) while it
counts the bytes of every tensor alive on that device. The peak it reports is that of the tensors
themselves; :func:`estimate` adds the weights and, for a GPU, a fixed allowance for the CUDA
context and the caching allocator's slack (:data:`CUDA_OVERHEAD_GB`, :data:`ALLOCATOR_SLACK`).

The attention runs with the MATH kernel on ``meta`` (the one the Jacobians need; it keeps the full
attention matrix), so for the recipes that only sample, where a T4 uses the memory-efficient
kernel, the estimate is an upper bound.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

#: GPU memory of a free Colab T4 runtime (GB, 10^9 bytes) and the budget the estimates must meet.
T4_GB = 15.0
BUDGET_GB = 14.0
#: The CUDA context and cuBLAS/cuDNN workspaces (GB), an allowance; and the slack on top of the
#: counted tensors (a fraction of their peak): the operations' internal buffers, which are not
#: outputs, and the allocator's fragmentation. Measured on the CPU for chapter 8's batched
#: Jacobians (16 rows): the process grew by 0.70 GB where PeakMemory counted 0.58 GB (x 1.20).
CUDA_OVERHEAD_GB = 0.6
ALLOCATOR_SLACK = 0.25

# ------------------------------------------------------------------------------ the real
# configurations

#: google/ddpm-cifar10-32, unet/config.json (UNet2DModel, 35.7 M parameters).
DDPM_CIFAR10_UNET = {
    "sample_size": 32,
    "in_channels": 3,
    "out_channels": 3,
    "center_input_sample": False,
    "time_embedding_type": "positional",
    "freq_shift": 1,
    "flip_sin_to_cos": False,
    "down_block_types": ("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
    "block_out_channels": (128, 256, 256, 256),
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "downsample_padding": 0,
    "act_fn": "silu",
    "attention_head_dim": None,
    "norm_num_groups": 32,
    "norm_eps": 1e-6,
}

#: facebook/DiT-XL-2-256, transformer/config.json (DiT-XL/2 at 256 px: 28 blocks of width 1152).
DIT_XL_2_256 = {
    "num_attention_heads": 16,
    "attention_head_dim": 72,
    "in_channels": 4,
    "out_channels": 8,
    "num_layers": 28,
    "dropout": 0.0,
    "norm_num_groups": 32,
    "attention_bias": True,
    "sample_size": 32,
    "patch_size": 2,
    "activation_fn": "gelu-approximate",
    "num_embeds_ada_norm": 1000,
    "upcast_attention": False,
    "norm_type": "ada_norm_zero",
    "norm_elementwise_affine": False,
    "norm_eps": 1e-5,
}

#: CompVis/stable-diffusion-v1-4, unet/config.json (UNet2DConditionModel, 860 M parameters).
SD14_UNET = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "center_input_sample": False,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "down_block_types": (
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "CrossAttnDownBlock2D",
        "DownBlock2D",
    ),
    "up_block_types": (
        "UpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
        "CrossAttnUpBlock2D",
    ),
    "block_out_channels": (320, 640, 1280, 1280),
    "layers_per_block": 2,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
    "act_fn": "silu",
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
}

#: CompVis/stable-diffusion-v1-4, vae/config.json (AutoencoderKL, 83.7 M parameters; DiT's
#: stabilityai/sd-vae-ft-ema has the same architecture).
SD14_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "act_fn": "silu",
    "latent_channels": 4,
    "norm_num_groups": 32,
    "sample_size": 512,
}

#: CompVis/stable-diffusion-v1-4, text_encoder/config.json (the text tower of
#: openai/clip-vit-large-patch14, CLIPTextModel, 123 M parameters).
SD14_TEXT = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "projection_dim": 768,
    "layer_norm_eps": 1e-5,
}

#: Parameter counts of the published checkpoints, which :func:`build` reproduces (tests check it).
PUBLISHED_PARAMETERS = {
    "ddpm-cifar10": 35_746_307,
    "dit": 675_129_632,
    "sd-unet": 859_520_964,
    "sd-vae": 83_653_863,
    "sd-text": 123_060_480,
}


def build(kind: str, dtype: torch.dtype = torch.float32, device: str = "meta"):
    """The real architecture ``kind`` (``"ddpm-cifar10"``, ``"dit"``, ``"sd-unet"``, ``"sd-vae"``,
    ``"sd-text"``) with no weights loaded, on ``device`` (default ``meta``: no memory is used)."""
    from .._checks import check_choice

    kind = check_choice("kind", kind, tuple(PUBLISHED_PARAMETERS))
    with _quiet(), torch.device(device):
        if kind == "ddpm-cifar10":
            from diffusers import UNet2DModel

            model = UNet2DModel(**DDPM_CIFAR10_UNET)
        elif kind == "dit":
            from diffusers import DiTTransformer2DModel

            model = DiTTransformer2DModel(**DIT_XL_2_256)
        elif kind == "sd-unet":
            from diffusers import UNet2DConditionModel

            model = UNet2DConditionModel(**SD14_UNET)
        elif kind == "sd-vae":
            from diffusers import AutoencoderKL

            model = AutoencoderKL(**SD14_VAE)
        else:
            from transformers import CLIPTextConfig, CLIPTextModel

            model = CLIPTextModel(CLIPTextConfig(**SD14_TEXT))
    return model.to(dtype).eval()


def parameter_bytes(*models) -> int:
    """Bytes of the parameters and buffers of ``models``."""
    return sum(
        t.numel() * t.element_size()
        for m in models
        for t in list(m.parameters()) + list(m.buffers())
    )


# ------------------------------------------------------------------------------ counting live bytes


class PeakMemory(TorchDispatchMode):
    """Inside ``with PeakMemory() as pm:``, the bytes of every tensor storage on ``device`` created
    by an operation are counted while the storage is alive; ``pm.peak`` is the largest total seen
    (bytes) and ``pm.current`` the total now. Storages made before the block (the weights) are not
    counted. Views share their base's storage and are counted once.
    """

    def __init__(self, device: str = "meta"):
        super().__init__()
        self.device = torch.device(device).type
        self.live: dict = {}  # storage id -> (weak reference, bytes)
        self.current = 0
        self.peak = 0

    def _release(self, key):
        entry = self.live.get(key)
        if entry is not None and torch.UntypedStorage._expired(entry[0]):
            del self.live[key]
            self.current -= entry[1]
            torch.UntypedStorage._free_weak_ref(entry[0])

    def _sweep(self):
        for key in list(self.live):
            self._release(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor) and t.device.type == self.device:
                storage = t.untyped_storage()
                key = storage._cdata
                if key in self.live and torch.UntypedStorage._expired(self.live[key][0]):
                    self._release(key)  # a freed storage's address, reused
                if key not in self.live:
                    self.live[key] = (storage._weak_ref(), storage.nbytes())
                    self.current += storage.nbytes()
                weakref.finalize(t, self._release, key)
        if (
            self.current > self.peak
        ):  # stale entries only overcount: recount exactly before a new peak
            self._sweep()
            self.peak = max(self.peak, self.current)
        return out

    def __exit__(self, *exc):
        out = super().__exit__(*exc)
        self._sweep()
        return out


@dataclass
class Estimate:
    """One recipe's GPU memory: ``weights_gb`` (parameters and buffers), ``activations_gb`` (the
    peak of the tensors the recipe creates, counted on ``meta``), ``total_gb`` (weights +
    activations x (1 + ALLOCATOR_SLACK) + CUDA_OVERHEAD_GB) and what was assumed."""

    recipe: str
    weights_gb: float
    activations_gb: float
    settings: dict = field(default_factory=dict)

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.activations_gb * (1 + ALLOCATOR_SLACK) + CUDA_OVERHEAD_GB

    @property
    def fits_t4(self) -> bool:
        return self.total_gb < BUDGET_GB

    def line(self) -> str:
        return (
            f"{self.recipe}: weights {self.weights_gb:.2f} GB + peak activations "
            f"{self.activations_gb:.2f} GB -> about {self.total_gb:.1f} GB on a T4 "
            f"({'fits' if self.fits_t4 else 'does NOT fit'} in {BUDGET_GB:.0f} GB)"
        )


def _gb(n: int) -> float:
    return n / 1e9


@contextlib.contextmanager
def _quiet():
    """diffusers and transformers warn about meta tensors and deprecated arguments; not here."""
    import warnings

    from diffusers.utils import logging as dlog

    level = dlog.get_verbosity()
    dlog.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        dlog.set_verbosity(level)


# ------------------------------------------------------------------------------ the recipes


def jacobian_recipe(
    key: str,
    *,
    k: int = 32,
    chunk_size: int | None = None,
    power_iters: int = 2,
    latent_size: int | None = None,
) -> Estimate:
    """Chapter 7's Hub cell for one model (``"ddpm-cifar10"``, ``"dit"`` or ``"sd-v1-4"``; the
    chunk size and SD's latent side default to :data:`memgen.hub.models.JACOBIAN_SETTINGS`): the
    denoiser in float32 (the Jacobian's products need it), then the randomized top-``k`` SVD
    (oversampling 10) with ``chunk_size`` VJPs per batched call. The peak of the randomized SVD is
    that of one batched call of each kind (the operator's forward pass, a chunk of VJPs, a chunk of
    double VJPs: every call frees its temporaries), so one of each is replayed; the sketch and the
    bases it keeps, (k + 10) vectors of size d each, are counted too. The VAE that the DiT and SD
    loaders keep (float32) is in the weights; SD's text encoder is freed after the prompt is
    embedded."""
    from .._checks import check_choice
    from ..jacobian import JacobianOperator
    from . import models as hub_models

    key = check_choice("key", key, tuple(hub_models.JACOBIAN_SETTINGS))
    settings = hub_models.JACOBIAN_SETTINGS[key]
    chunk_size = settings["chunk_size"] if chunk_size is None else chunk_size
    latent_size = settings.get("latent_size") if latent_size is None else latent_size
    kind = {"sd-v1-4": "sd-unet"}.get(key, key)
    with _quiet():
        model = build(kind, torch.float32)
        extra = [build("sd-vae", torch.float32)] if kind in ("dit", "sd-unet") else []
        abar = hub_models.ddpm_abar(10)
        if kind == "ddpm-cifar10":
            den = hub_models.wrap_unet2d(model, 10, abar)
        elif kind == "dit":
            den = hub_models.wrap_dit(model, 10, abar, class_label=207)
        else:
            den = hub_models.wrap_unet2d_condition(
                model, 10, abar, torch.zeros(1, 77, 768, device="meta"), latent_size=latent_size
            )
        width = k + 10  # the sketch's columns (oversampling 10)
        x_t = torch.zeros(den.shape, device="meta")
        with hub_models.math_attention(), PeakMemory() as pm:
            op = JacobianOperator(den.fn, x_t, chunk_size)
            keep = [
                torch.zeros(width, op.d_out, device="meta"),
                torch.zeros(op.d_in, width, device="meta"),
                torch.zeros(op.d_out, width, device="meta"),
            ]  # the sketch, Q and J Q
            op.rmatmat(torch.zeros(chunk_size, op.d_out, device="meta"))
            op.matmat(torch.zeros(chunk_size, op.d_in, device="meta"))
            del keep, op
    name = {
        "ddpm-cifar10": "google/ddpm-cifar10-32",
        "dit": "facebook/DiT-XL-2-256",
        "sd-unet": "CompVis/stable-diffusion-v1-4 (UNet)",
    }[kind]
    return Estimate(
        f"chapter 7, Jacobian of {name}",
        _gb(parameter_bytes(model, *extra)),
        _gb(pm.peak),
        {
            "dtype": "float32",
            "d": den.dim,
            "shape": den.shape,
            "k": k,
            "chunk_size": chunk_size,
            "power_iters": power_iters,
            "attention": "math",
        },
    )


def _sd_parts_on_meta(dtype: torch.dtype):
    from diffusers import DDIMScheduler

    from .stable_diffusion import SDParts

    unet, vae, text = build("sd-unet", dtype), build("sd-vae", dtype), build("sd-text", dtype)
    sched = DDIMScheduler(
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )

    @torch.no_grad()
    def encode_prompt(prompts):
        ids = torch.zeros(len(prompts), 77, dtype=torch.long, device="meta")
        return text(ids)[0]

    return SDParts(unet, vae, sched, encode_prompt, "meta", dtype), (unet, vae, text)


def detection_recipe(*, batch_size: int = 4, dtype: torch.dtype = torch.float16) -> Estimate:
    """Chapter 8's benchmark (:func:`memgen.hub.stable_diffusion.run_detection_benchmark`): UNet,
    VAE and text encoder in ``dtype`` (half precision on a T4), batches of ``batch_size`` prompts at
    512 x 512: Wen et al.'s first step, a guided DDIM generation (one DDIM step replayed: every step
    needs the same memory), the VAE decode and the detector's encode and UNet pass."""
    from . import stable_diffusion as hd

    with _quiet():
        parts, models = _sd_parts_on_meta(dtype)
        prompts = ["a prompt"] * batch_size
        with PeakMemory() as pm:
            hd.wen_scores(parts, prompts, num_inference_steps=50)
            images = hd.decode(parts, hd.generate(parts, prompts, steps=1))
            hd.detection_scores(parts, images)
            del images
    return Estimate(
        "chapter 8, Stable Diffusion v1.4 detection benchmark",
        _gb(parameter_bytes(*models)),
        _gb(pm.peak),
        {
            "dtype": str(dtype).removeprefix("torch."),
            "batch_size": batch_size,
            "resolution": 512,
            "attention": "math (upper bound)",
        },
    )


def steering_recipe(
    *, n_refs: int = 50, batch_size: int = 4, dtype: torch.dtype = torch.float16
) -> Estimate:
    """Chapter 8's steering cell: ``n_refs`` reference images per side generated in batches of
    ``batch_size`` (:func:`~memgen.hub.stable_diffusion.steering_references`, kept on the GPU,
    512 x 512), their directions with the references' prompts (batches of ``batch_size``), then a
    steered generation of two prompts (guidance 3.5). Every batch needs the same memory, so one
    batch of each kind is replayed (one DDIM step of each generation) while both full reference
    sets are held."""
    from . import stable_diffusion as hd

    with _quiet():
        parts, models = _sd_parts_on_meta(dtype)
        with PeakMemory() as pm:
            refs = {
                side: torch.zeros(n_refs, 3, 512, 512, dtype=dtype, device="meta") for side in "ab"
            }
            batch = hd.steering_references(
                parts, "a reference", batch_size, steps=1, batch_size=batch_size
            )
            dirs = hd.steering_directions(
                parts, batch, batch, batch_size=batch_size, prompts_a="old", prompts_b="young"
            )
            hd.steered_generate(parts, ["a prompt", "another"], dirs, 0.5, steps=1, window=(0, 1))
            del refs, batch, dirs
    return Estimate(
        "chapter 8, Stable Diffusion v1.4 steering",
        _gb(parameter_bytes(*models)),
        _gb(pm.peak),
        {
            "dtype": str(dtype).removeprefix("torch."),
            "n_refs": n_refs,
            "batch_size": batch_size,
            "resolution": 512,
            "attention": "math (upper bound)",
        },
    )


def all_estimates() -> list:
    """Every Hub recipe's :class:`Estimate`, in the book's order (about a minute on one CPU
    core)."""
    return [
        jacobian_recipe("ddpm-cifar10"),
        jacobian_recipe("dit"),
        jacobian_recipe("sd-v1-4"),
        detection_recipe(),
        steering_recipe(),
    ]


# ------------------------------------------------------------------------------ the committed table

#: The estimates as the chapters print them (written by ``python -m memgen.hub.memory``; a test
#: recomputes them and checks this file and the 14 GB budget).
TABLE = Path(__file__).with_name("t4_memory.json")


def native_sd_jacobian() -> Estimate:
    """For comparison, not a recipe: SD's Jacobian at its native 64 x 64 latents (d = 16384), one
    VJP per call: the reason chapter 7 takes it at 32 x 32 on a T4."""
    e = jacobian_recipe("sd-v1-4", chunk_size=1, latent_size=64)
    e.recipe = "for comparison, Jacobian of CompVis/stable-diffusion-v1-4 (UNet) at 64x64 latents"
    return e


def _row(e: Estimate) -> dict:
    return {
        "recipe": e.recipe,
        "weights_gb": round(e.weights_gb, 3),
        "activations_gb": round(e.activations_gb, 3),
        "total_gb": round(e.total_gb, 2),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in e.settings.items()},
    }


def to_json(estimates, native: Estimate | None = None) -> str:
    out = {
        "budget_gb": BUDGET_GB,
        "cuda_overhead_gb": CUDA_OVERHEAD_GB,
        "allocator_slack": ALLOCATOR_SLACK,
        "estimates": [_row(e) for e in estimates],
    }
    if native is not None:
        out["native_sd_jacobian"] = _row(native)
    return json.dumps(out, indent=1) + "\n"


def native_sd_activations_gb() -> float:
    """The committed activations (GB) of :func:`native_sd_jacobian`."""
    return json.loads(TABLE.read_text(encoding="utf-8"))["native_sd_jacobian"]["activations_gb"]


def load_table() -> list:
    """The committed estimates: one dict per recipe (``recipe``, ``weights_gb``,
    ``activations_gb``, ``total_gb``, ``settings``)."""
    return json.loads(TABLE.read_text(encoding="utf-8"))["estimates"]


def table_lines(chapter: int) -> list:
    """The committed estimates of one chapter's recipes, one printable line each."""
    return [
        f"{r['recipe']}: weights {r['weights_gb']:.2f} GB + activations {r['activations_gb']:.2f} "
        "GB "
        f"-> about {r['total_gb']:.1f} GB on a T4 (budget {BUDGET_GB:.0f} GB)"
        for r in load_table()
        if r["recipe"].startswith(f"chapter {chapter},")
    ]


def main() -> int:
    torch.set_num_threads(1)
    estimates, native = all_estimates(), native_sd_jacobian()
    for e in estimates + [native]:
        print(e.line())
    TABLE.write_text(to_json(estimates, native), encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0 if all(e.fits_t4 for e in estimates) else 1


if __name__ == "__main__":
    raise SystemExit(main())
