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

HF_DATASETS = {"celeba": "eurecom-ds/celeba", "cifar10": "uoft-cs/cifar10", "mnist": "ylecun/mnist"}

#: The paper's CelebA setting (its official code): ``eurecom-ds/celeba``, 32 x 32 grayscale in
#: [-1, 1], flattened (d = 1024); the generalizing DAE trains on the first 10,000 images of the
#: train split, the memorizing one on five of them, chosen for separability.
CELEBA = {
    "dataset": "eurecom-ds/celeba",
    "split": "train",
    "size": 32,
    "grayscale": True,
    "n_train": 10_000,
    "memorized": (0, 36, 148, 195, 232),
}


def _is_connection_problem(err: BaseException) -> bool:
    """Whether err (or an exception in its cause/context chain) says the Hub was not reachable."""
    names = {
        "ConnectionError",
        "Timeout",
        "ConnectTimeout",
        "ReadTimeout",
        "OfflineModeIsEnabled",
        "LocalEntryNotFoundError",
        "MaxRetryError",
        "NewConnectionError",
    }
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, (ConnectionError, TimeoutError)) or type(err).__name__ in names:
            return True
        err = err.__cause__ or err.__context__
    return False


def _to_array(img, size: int, grayscale: bool) -> np.ndarray:
    from PIL import Image

    if isinstance(img, dict) and "bytes" in img:  # an undecoded image (parquet without features)
        import io

        img = Image.open(io.BytesIO(img["bytes"]))
    if not isinstance(img, Image.Image):
        img = Image.fromarray(np.asarray(img))
    img = img.convert("L" if grayscale else "RGB")
    if img.size != (size, size):
        img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32)


def _open(name: str, split: str, local, cache_dir, streaming: bool):
    """``(dataset, source)``: a Hub dataset or a local image folder / parquet file, streamed (rows
    read on demand: only what is taken is downloaded) or loaded whole."""
    import datasets

    if local is not None:
        path = os.fspath(local)
        if os.path.isdir(path):
            return datasets.load_dataset(
                "imagefolder", data_dir=path, split=split, cache_dir=cache_dir, streaming=streaming
            ), path
        if os.path.isfile(path) and path.endswith(".parquet"):
            return datasets.load_dataset(
                "parquet",
                data_files={split: path},
                split=split,
                cache_dir=cache_dir,
                streaming=streaming,
            ), path
        raise ValueError(
            f"local_dir must be an existing folder of images or a .parquet file, got {path!r}"
        )
    if "/" in name:
        hub_id = name
    else:
        hub_id = HF_DATASETS[
            check_choice("dataset", name, list(HF_DATASETS) + ["<hub id with '/'>"])
        ]
    try:
        return datasets.load_dataset(
            hub_id, split=split, cache_dir=cache_dir, streaming=streaming
        ), hub_id
    except Exception as err:  # noqa: BLE001 - classify, re-raise everything else unchanged
        if _is_connection_problem(err) or hub_offline():
            raise HubUnavailable(
                f"the Hugging Face Hub could not be reached for dataset {hub_id!r} "
                f"({type(err).__name__}: {err}). {OFFLINE_POINTER}"
            ) from err
        raise


def _image_column(ds, name) -> str:
    import datasets

    features = getattr(ds, "features", None) or {}
    image_cols = [k for k, f in features.items() if isinstance(f, datasets.Image)]
    if image_cols:
        return image_cols[0]
    columns = list(features) or list(getattr(ds, "column_names", None) or [])
    col = next((c for c in ("image", "img") if c in columns), None)
    if col is None:
        raise ValueError(f"dataset {name!r} has no image column; columns: {columns}")
    return col


def load_hf_images(
    name,
    *,
    split="train",
    n=None,
    indices=None,
    size=32,
    grayscale=True,
    value_range=(-1.0, 1.0),
    local_dir=None,
    cache_dir=None,
    streaming=None,
) -> ImageData:
    """Images through Hugging Face ``datasets``, resized to ``size`` x ``size`` and flattened.

    ``name``: ``"celeba"`` (eurecom-ds/celeba, the paper's), ``"cifar10"`` (uoft-cs/cifar10),
    ``"mnist"`` (ylecun/mnist) or any Hub id containing "/". With ``local_dir`` (a folder of images,
    optionally in class subfolders, or a ``.parquet`` file with an image column) the Hub is not
    used and ``name`` only labels the result; both work offline. Images are converted to grayscale
    (``image_shape`` (size, size), d = size^2) or RGB ((size, size, 3), d = 3 size^2), resized
    bilinearly with PIL, and pixel values 0..255 mapped to ``value_range``.

    Which images: ``n``, the first n of the split, or ``indices``, those rows (in the order given;
    e.g. :data:`CELEBA` ``["memorized"]``); neither: all. ``streaming`` (default: True whenever
    ``n`` or ``indices`` is given) reads the split row by row and stops after the last row needed,
    so five images do not download CelebA's 160,000. ``labels``: the dataset's ``label`` column, or
    0. ``cache_dir`` is passed to ``datasets.load_dataset``.

    Raises :class:`HubUnavailable` when the Hub cannot be reached (no network, or
    ``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` set and the dataset not cached).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    size = check_int("size", size, 1)
    value_range = _check_value_range(value_range)
    if n is not None and indices is not None:
        raise ValueError("give n (the first n images) or indices (those rows), not both")
    if n is not None:
        n = check_int("n", n, 1)
    if indices is not None:
        indices = [check_int("indices[i]", i, 0) for i in indices]
        if not indices:
            raise ValueError("indices must name at least one row")
    if not isinstance(split, str):
        raise ValueError(f"split must be a string such as 'train', got {split!r}")
    if streaming is None:
        streaming = n is not None or indices is not None
    elif not isinstance(streaming, bool):
        raise ValueError(f"streaming must be True, False or None, got {streaming!r}")

    ds, source = _open(name, split, local_dir, cache_dir, streaming)
    col = _image_column(ds, name)
    need = n if n is not None else (max(indices) + 1 if indices is not None else None)
    if streaming:
        rows = list(ds.take(need)) if need is not None else list(ds)
    else:
        if need is not None and need > len(ds):
            raise ValueError(
                f"n must be an integer <= {len(ds)} (the size of split {split!r}), got {need}"
            )
        rows = list(ds.select(range(need))) if need is not None else list(ds)
    if need is not None and len(rows) < need:
        what = f"n = {n}" if n is not None else f"index {max(indices)}"
        raise ValueError(
            f"{what} is out of range: split {split!r} of {name!r} has only {len(rows)} rows"
        )
    if indices is not None:
        rows = [rows[i] for i in indices]
    pixels = np.stack([_to_array(r[col], size, grayscale) for r in rows])
    labels = np.asarray([int(r.get("label", 0) or 0) for r in rows], dtype=np.int64)
    image_shape = (size, size) if grayscale else (size, size, 3)
    extra = {"source": source, "split": split, "streaming": streaming}
    if indices is not None:
        extra["indices"] = list(indices)
    return ImageData(
        x=_rescale(pixels.reshape(len(pixels), -1), 255.0, value_range),
        labels=torch.from_numpy(labels),
        image_shape=image_shape,
        value_range=value_range,
        name=name,
        extra=extra,
    )


def load_celeba(which: str = "memorized", *, local_dir=None, cache_dir=None) -> ImageData:
    """The paper's CelebA images (:data:`CELEBA`): ``which="memorized"`` the five images of the
    memorizing DAE, ``"train"`` the first 10,000 (the generalizing DAE's training set), both 32 x 32
    grayscale in [-1, 1], streamed from ``eurecom-ds/celeba`` (or read from ``local_dir``)."""
    which = check_choice("which", which, ("memorized", "train"))
    c = CELEBA
    kw = {
        "split": c["split"],
        "size": c["size"],
        "grayscale": c["grayscale"],
        "local_dir": local_dir,
        "cache_dir": cache_dir,
    }
    if which == "memorized":
        return load_hf_images("celeba", indices=c["memorized"], **kw)
    return load_hf_images("celeba", n=c["n_train"], **kw)


# ---------------------------------------------------------------- dispatcher

DATASETS = ("digits", "faces", "gmm", "celeba", "cifar10", "mnist")


def load(name, **kwargs) -> ImageData:
    """Load a dataset by name: one of ``digits``, ``faces``, ``gmm``, ``celeba``, ``cifar10``,
    ``mnist``.

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
