"""The GPU guard of the Hub cells, and what those cells would cost without a GPU.

Colab's default runtime has no GPU. A Hub cell calls :func:`require_gpu` first: with a CUDA GPU it
returns True; without one it prints how to switch the runtime and what the cell would cost on the
CPU, and returns False, so the cell does not start a run of hours. The costs are computed from one
measurement, :data:`SD_PASS_CPU_SECONDS`, and the number of network passes each recipe makes.
"""

from __future__ import annotations

import torch

from .._checks import check_int

#: One Stable Diffusion v1.4 UNet forward pass at 64x64 latents (512-pixel images), the real
#: architecture with random weights, on one CPU thread: 30.6 s (measured on the book's 2-core
#: machine). The CPU costs below scale it by the passes each recipe needs.
SD_PASS_CPU_SECONDS = 30.6

#: How to get a GPU in Colab.
SWITCH_RUNTIME = (
    "In Colab: Runtime > Change runtime type > Hardware accelerator: T4 GPU > Save, then "
    "run the notebook again from the top (the free T4 has about 15 GB of GPU memory)."
)


def has_gpu() -> bool:
    """Whether a CUDA GPU is available."""
    return bool(torch.cuda.is_available())


def require_gpu(what: str, cpu_cost: str) -> bool:
    """True when a CUDA GPU is available. Otherwise print that ``what`` needs a GPU, what it would
    cost on this machine's CPU (``cpu_cost``), and how to switch Colab's runtime; return False."""
    if not isinstance(what, str) or not what:
        raise ValueError(f"what must name the cell's computation, got {what!r}")
    if has_gpu():
        return True
    print(
        f"{what} needs a GPU, and this runtime has none (torch.cuda.is_available() is False). "
        f"On the CPU it would take {cpu_cost}, so it was not started. {SWITCH_RUNTIME}"
    )
    return False


def sd_detection_passes(n_prompts: int, *, steps: int = 50, wen_steps: int = 1) -> int:
    """UNet passes of :func:`memgen.hub.stable_diffusion.run_detection_benchmark` for ``n_prompts``
    prompts: Wen et al.'s ``wen_steps`` guided steps (2 passes each), the generation's ``steps``
    guided steps (2 each) and the detector's one pass."""
    n_prompts = check_int("n_prompts", n_prompts, 1)
    steps = check_int("steps", steps, 1)
    wen_steps = check_int("wen_steps", wen_steps, 1, steps)
    return n_prompts * (2 * wen_steps + 2 * steps + 1)


def sd_steering_passes(
    n_refs: int = 50, *, ref_steps: int = 50, steps: int = 40, n_images: int = 8
) -> int:
    """UNet passes of chapter 8's steering cell: ``n_refs`` references per side generated with
    ``ref_steps`` guided steps, one extraction pass each, and ``n_images`` steered images of
    ``steps`` guided steps."""
    n_refs = check_int("n_refs", n_refs, 1)
    ref_steps = check_int("ref_steps", ref_steps, 1)
    steps = check_int("steps", steps, 1)
    n_images = check_int("n_images", n_images, 1)
    return 2 * n_refs * (2 * ref_steps + 1) + n_images * 2 * steps


def jacobian_products(k: int = 32, *, oversample: int = 10, power_iters: int = 2) -> int:
    """Vector-Jacobian products of :func:`memgen.jacobian.randomized_svd` (each costs a forward and
    a backward pass or more): ``(k + oversample) (2 + 2 power_iters)``."""
    k = check_int("k", k, 1)
    oversample = check_int("oversample", oversample, 0)
    power_iters = check_int("power_iters", power_iters, 0)
    return (k + oversample) * (2 + 2 * power_iters)


def cpu_hours(passes: int, seconds_per_pass: float = SD_PASS_CPU_SECONDS) -> float:
    """Hours of ``passes`` passes at ``seconds_per_pass`` each on one CPU thread."""
    passes = check_int("passes", passes, 0)
    return passes * float(seconds_per_pass) / 3600.0
