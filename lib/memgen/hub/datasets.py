"""Images through Hugging Face ``datasets`` (CelebA, CIFAR-10, MNIST, any Hub id or a local folder).

For Colab. :func:`load` is the one dispatcher over the offline datasets of :mod:`memgen.data` and
the Hub ones. When the Hub cannot be reached the loaders raise :class:`memgen.hub.HubUnavailable`.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from .._checks import check_choice, check_int
from ..data import (
    ImageData,
    _check_value_range,
    _rescale,
    gaussian_mixture,
    load_digits,
    load_faces,
)
from . import OFFLINE_POINTER, HubUnavailable, hub_offline

HF_DATASETS = {"celeba": "nielsr/CelebA-faces", "cifar10": "uoft-cs/cifar10", "mnist": "ylecun/mnist"}


def _is_connection_problem(err: BaseException) -> bool:
    """Whether err (or an exception in its cause/context chain) says the Hub was not reachable."""
    names = {"ConnectionError", "Timeout", "ConnectTimeout", "ReadTimeout", "OfflineModeIsEnabled",
             "LocalEntryNotFoundError", "MaxRetryError", "NewConnectionError"}
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, (ConnectionError, TimeoutError)) or type(err).__name__ in names:
            return True
        err = err.__cause__ or err.__context__
    return False


def _to_array(img, size: int, grayscale: bool) -> np.ndarray:
    from PIL import Image

    if not isinstance(img, Image.Image):
        img = Image.fromarray(np.asarray(img))
    img = img.convert("L" if grayscale else "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def load_hf_images(
    name,
    *,
    split="train",
    n=None,
    size=32,
    grayscale=True,
    value_range=(-1.0, 1.0),
    local_dir=None,
    cache_dir=None,
) -> ImageData:
    """Images through Hugging Face ``datasets``, resized to ``size`` x ``size`` and flattened.

    ``name``: ``"celeba"`` (nielsr/CelebA-faces), ``"cifar10"`` (uoft-cs/cifar10), ``"mnist"``
    (ylecun/mnist) or any Hub id containing "/". With ``local_dir`` (a folder of images, optionally
    in class subfolders) the Hub is not used: ``load_dataset("imagefolder", data_dir=local_dir)``
    works offline, and ``name`` only labels the result. Images are converted to grayscale
    (``image_shape`` (size, size), d = size^2) or RGB ((size, size, 3), d = 3 size^2), resized
    bilinearly with PIL, and pixel values 0..255 mapped to ``value_range``. ``n``: the first n
    images of the split (None: all). ``labels``: the dataset's ``label`` column, or 0.
    ``cache_dir`` is passed to ``datasets.load_dataset``.

    Raises :class:`HubUnavailable` when the Hub cannot be reached (no network, or
    ``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` set and the dataset not cached).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    size = check_int("size", size, 1)
    value_range = _check_value_range(value_range)
    if n is not None:
        n = check_int("n", n, 1)
    if not isinstance(split, str):
        raise ValueError(f"split must be a string such as 'train', got {split!r}")

    import datasets

    if local_dir is not None:
        if not os.path.isdir(local_dir):
            raise ValueError(f"local_dir must be an existing folder of images, got {str(local_dir)!r}")
        ds = datasets.load_dataset("imagefolder", data_dir=str(local_dir), split=split, cache_dir=cache_dir)
    else:
        if "/" in name:
            hub_id = name
        else:
            hub_id = HF_DATASETS[check_choice("dataset", name, list(HF_DATASETS) + ["<hub id with '/'>"])]
        try:
            ds = datasets.load_dataset(hub_id, split=split, cache_dir=cache_dir)
        except Exception as err:  # noqa: BLE001 - classify, re-raise everything else unchanged
            if _is_connection_problem(err) or hub_offline():
                raise HubUnavailable(
                    f"the Hugging Face Hub could not be reached for dataset {hub_id!r} "
                    f"({type(err).__name__}: {err}). {OFFLINE_POINTER}"
                ) from err
            raise

    if n is not None:
        if n > len(ds):
            raise ValueError(f"n must be an integer <= {len(ds)} (the size of split {split!r}), got {n}")
        ds = ds.select(range(n))
    image_cols = [k for k, f in ds.features.items() if isinstance(f, datasets.Image)]
    col = image_cols[0] if image_cols else next((c for c in ("image", "img") if c in ds.column_names), None)
    if col is None:
        raise ValueError(f"dataset {name!r} has no image column; columns: {ds.column_names}")
    pixels = np.stack([_to_array(img, size, grayscale) for img in ds[col]])
    labels = np.asarray(ds["label"], dtype=np.int64) if "label" in ds.column_names else np.zeros(len(ds), np.int64)
    image_shape = (size, size) if grayscale else (size, size, 3)
    return ImageData(
        x=_rescale(pixels.reshape(len(pixels), -1), 255.0, value_range),
        labels=torch.from_numpy(labels),
        image_shape=image_shape,
        value_range=value_range,
        name=name,
        extra={"source": str(local_dir) if local_dir is not None else hub_id, "split": split},
    )


# ---------------------------------------------------------------- dispatcher

DATASETS = ("digits", "faces", "gmm", "celeba", "cifar10", "mnist")


def load(name, **kwargs) -> ImageData:
    """Load a dataset by name: one of ``digits``, ``faces``, ``gmm``, ``celeba``, ``cifar10``, ``mnist``.

    Keyword arguments go to :func:`memgen.data.load_digits`, :func:`~memgen.data.load_faces`,
    :func:`~memgen.data.gaussian_mixture`
    (which needs ``n``) or :func:`load_hf_images`.
    """
    name = check_choice("dataset", name, DATASETS)
    if name == "digits":
        return load_digits(**kwargs)
    if name == "faces":
        return load_faces(**kwargs)
    if name == "gmm":
        return gaussian_mixture(**kwargs)
    return load_hf_images(name, **kwargs)
