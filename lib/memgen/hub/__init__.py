"""Pretrained models and data from the Hugging Face Hub, for readers in Colab.

- :mod:`memgen.hub.models`            DDPM, DiT and Stable Diffusion v1.4 wrapped as denoisers
- :mod:`memgen.hub.stable_diffusion`  the Stable Diffusion v1.4 detection and steering recipe
- :mod:`memgen.hub.datasets`          images through Hugging Face ``datasets`` (CelebA, CIFAR-10,
  MNIST)

Everything here needs the network (the ``hub`` extra). When the Hub cannot be reached, every loader
raises the one exception :class:`HubUnavailable`, whose message names what failed and ends with
:data:`OFFLINE_POINTER`, where the book's offline results are.
"""

from __future__ import annotations

import contextlib
import os

#: Where the book's offline results are; every :class:`HubUnavailable` message ends with it.
OFFLINE_POINTER = (
    "The book's offline results are in chapter 7 (the small UNets shipped in data/unets, loaded "
    "with memgen.unet.load_denoiser) and chapter 8 (the book's own class-conditional digit model, "
    "memgen.experiments.ch08_applications); offline data: memgen.data.load_digits, "
    "memgen.data.load_faces and memgen.data.gaussian_mixture, or "
    "memgen.hub.datasets.load_hf_images(..., local_dir=...) with an image folder or a parquet file."
)


class HubUnavailable(RuntimeError):
    """The Hub could not be used: offline, a missing package, or no loadable checkpoint."""


def hub_offline() -> bool:
    """True when the environment switches the Hub off (``HF_HUB_OFFLINE`` or
    ``HF_DATASETS_OFFLINE``)."""
    return any(
        os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
        for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


@contextlib.contextmanager
def hub_errors(what: str, *, local: bool = False):
    """Turn any download/load failure into a :class:`HubUnavailable` naming ``what`` and ending
    with :data:`OFFLINE_POINTER`. ``local=True`` (loading from a folder on disk) skips the
    offline switch, since nothing is downloaded."""
    if hub_offline() and not local:
        raise HubUnavailable(
            f"{what}: the Hugging Face Hub is switched off (HF_HUB_OFFLINE=1), so it cannot "
            f"be downloaded. {OFFLINE_POINTER}"
        )
    try:
        yield
    except HubUnavailable:
        raise
    except Exception as err:  # network errors, missing files, missing packages, out of memory
        raise HubUnavailable(
            f"{what}: could not load from the Hugging Face Hub ({type(err).__name__}: {err}). "
            f"{OFFLINE_POINTER}"
        ) from err
