"""Datasets as flat float32 tensors: offline ones (digits, faces, Gaussian mixtures) and a Hub
loader.

Every loader returns an :class:`ImageData`: rows of ``x`` are samples, flattened to ``d`` values.
Offline (no network needed): :func:`load_digits` (scikit-learn, 8x8), :func:`load_faces`
(scikit-image LFW subset, 25x25) and :func:`gaussian_mixture`. The Hub loader (CelebA,
CIFAR-10, MNIST, for Colab) is :func:`memgen.hub.datasets.load_hf_images`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ._checks import check_choice, check_float, check_int, make_generator


@dataclass
class ImageData:
    """A dataset of ``n`` samples of dimension ``d``.

    - ``x``: (n, d) float32 tensor, values in ``value_range`` for image data;
    - ``labels``: (n,) int64 tensor (class, cluster, or 0 where there is no label);
    - ``image_shape``: ``(h, w)`` for grayscale images, ``(h, w, c)`` for colour ones (rows of ``x``
      are the images flattened in C order), ``None`` for non-image data;
    - ``value_range``: ``(lo, hi)``, the range pixel values were mapped to (for non-image data the
      observed min and max);
    - ``name``: the dataset's name; ``extra``: loader-specific arrays (documented per loader).
    """

    x: torch.Tensor
    labels: torch.Tensor
    image_shape: tuple | None
    value_range: tuple
    name: str
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def images(self) -> torch.Tensor:
        """``x`` reshaped to (n, *image_shape), e.g. (n, h, w)."""
        if self.image_shape is None:
            raise ValueError(
                f"images() needs image data; dataset {self.name!r} has image_shape None"
            )
        return self.x.reshape(len(self), *self.image_shape)


def _check_value_range(value_range) -> tuple[float, float]:
    try:
        lo, hi = value_range
    except (TypeError, ValueError):
        raise ValueError(
            f"value_range must be a pair (lo, hi) with lo < hi, got {value_range!r}"
        ) from None
    lo, hi = check_float("value_range[0]", lo), check_float("value_range[1]", hi)
    if not lo < hi:
        raise ValueError(f"value_range must be a pair (lo, hi) with lo < hi, got {value_range!r}")
    return lo, hi


def _rescale(v: np.ndarray, v_max: float, value_range) -> torch.Tensor:
    """Map values in [0, v_max] linearly to value_range, as float32."""
    lo, hi = value_range
    return torch.from_numpy(np.asarray(lo + (hi - lo) * (v / v_max), dtype=np.float32))


def _choose(N: int, n, seed) -> torch.Tensor:
    """Indices of the first N (n None) or of n distinct random rows, sorted."""
    if n is None:
        return torch.arange(N)
    n = check_int("n", n, 1, N)
    return torch.randperm(N, generator=make_generator(seed))[:n].sort().values


def load_digits(n=None, *, classes=None, seed=0, value_range=(-1.0, 1.0)) -> ImageData:
    """scikit-learn's handwritten digits: 1797 images 8x8 (d = 64), pixel values 0..16 mapped
    linearly to ``value_range``.

    ``classes``: optional digit class or iterable of classes (0..9) to keep. ``n``: number of
    distinct
    samples chosen at random with ``seed`` (kept in dataset order); ``None`` keeps all, in the
    original order. ``extra["index"]``: the rows' indices in the full scikit-learn set.
    """
    from sklearn.datasets import load_digits as _sk_digits

    value_range = _check_value_range(value_range)
    raw = _sk_digits()
    keep = np.arange(len(raw.target))
    if classes is not None:
        classes = [classes] if isinstance(classes, (int, np.integer)) else list(classes)
        classes = [check_int("classes entry", c, 0, 9) for c in classes]
        if not classes:
            raise ValueError("classes must name at least one digit class 0..9")
        keep = keep[np.isin(raw.target, classes)]
    idx = keep[_choose(len(keep), n, seed).numpy()]
    return ImageData(
        x=_rescale(raw.data[idx], 16.0, value_range),
        labels=torch.as_tensor(raw.target[idx], dtype=torch.int64),
        image_shape=(8, 8),
        value_range=value_range,
        name="digits",
        extra={"index": torch.as_tensor(idx)},
    )


def load_faces(n=None, *, seed=0, value_range=(-1.0, 1.0)) -> ImageData:
    """Faces from scikit-image's LFW subset: the first 100 images (the other 100 of
    ``skimage.data.lfw_subset()`` are background crops), 25x25 grayscale, d = 625, values
    in [0, 1] mapped to ``value_range``.

    ``n``: distinct faces chosen at random with ``seed`` (kept in order); ``None``: all 100.
    ``labels`` are all 0 (no identities); ``extra["index"]``: indices in the subset.
    """
    from skimage.data import lfw_subset

    value_range = _check_value_range(value_range)
    faces = lfw_subset()[:100]
    idx = _choose(len(faces), n, seed).numpy()
    return ImageData(
        x=_rescale(faces[idx].reshape(len(idx), -1), 1.0, value_range),
        labels=torch.zeros(len(idx), dtype=torch.int64),
        image_shape=(25, 25),
        value_range=value_range,
        name="faces",
        extra={"index": torch.as_tensor(idx)},
    )


def _orthonormal(d: int, k: int, g: torch.Generator) -> torch.Tensor:
    """A random d x k matrix with orthonormal columns (QR of a Gaussian matrix, signs fixed)."""
    Q, R = torch.linalg.qr(torch.randn(d, k, generator=g, dtype=torch.float64))
    return (Q * torch.sign(torch.diagonal(R))).float()


def gaussian_mixture(
    n,
    *,
    K=2,
    d=16,
    rank=None,
    spread=1.0,
    separation=5.0,
    n_duplicated=0,
    multiplicity=1,
    means="orthogonal",
    mean_cosine=None,
    bases="random",
    seed=0,
) -> ImageData:
    """A mixture of ``K`` low-rank Gaussian clusters in R^d, optionally with duplicated samples.

    Cluster k has mean ``separation * q_k`` (the q_k orthonormal, so K <= d) and covariance
    ``spread**2 * U_k U_k^T`` with U_k a random d x ``rank`` orthonormal basis (rank None -> d).
    The ``n`` distinct samples are interleaved over clusters (labels 0, 1, ..., K-1, 0, 1, ...), so
    the clusters get n // K or n // K + 1 samples each. Then the first ``n_duplicated`` distinct
    samples (which cover the clusters in turn) appear ``multiplicity`` times in total: their extra
    copies are appended after the distinct samples, so there are
    ``n + n_duplicated * (multiplicity - 1)`` rows.

    ``means="simplex"`` (K >= 2) centres the q_k first: mean k is ``separation`` times the unit
    vector of q_k - mean_l q_l, so the means have norm ``separation`` and pairwise cosine
    -1/(K-1) (antipodal for K = 2). ``means="equiangular"`` gives every pair of means the cosine
    ``mean_cosine`` (in [-1/(K-1), 1]; -1/(K-1) is the simplex): mean k is ``separation`` times
    sum_l (G^{1/2})_kl q_l with G = (1 - c) I + c 11^T. Negative cosines make samples of different
    clusters negatively correlated (the (alpha, beta)-separability of chapter 5), but that is not
    what the block structure rests on: for any pair of means other than antipodal ones a ReLU
    unit can fire on both clusters, and chapter 5 ("How far the theorem reaches") derives when
    such shared units lower the loss below the per-cluster optimum. With orthogonal means the
    clusters are uncorrelated, and a ReLU unit that serves one cluster fires on half of another.

    ``bases="random"`` draws each U_k at random (so a cluster's spread directions overlap the other
    clusters' means by about 1/sqrt(d)); ``bases="orthogonal"`` takes the U_k orthogonal to every
    mean and to each other (needs K + K * rank <= d): the clusters then interact only through the
    angles of their means.

    ``extra``: ``means`` (K, d), ``bases`` (K, d, rank), ``is_duplicated`` (rows,) bool (True for
    every copy of a duplicated sample, the original included), ``source_index`` (rows,) the index of
    the distinct sample each row copies. ``image_shape`` is None.
    """
    n = check_int("n", n, 1)
    d = check_int("d", d, 1)
    K = check_int("K", K, 1, d)
    rank = d if rank is None else check_int("rank", rank, 1, d)
    spread = check_float("spread", spread, 0.0)
    separation = check_float("separation", separation, 0.0)
    n_duplicated = check_int("n_duplicated", n_duplicated, 0, n)
    multiplicity = check_int("multiplicity", multiplicity, 1)
    means = check_choice("means", means, ("orthogonal", "simplex", "equiangular"))
    bases = check_choice("bases", bases, ("random", "orthogonal"))
    if means in ("simplex", "equiangular") and K < 2:
        raise ValueError(f"means={means!r} needs K >= 2 clusters")
    if means == "equiangular":
        if mean_cosine is None:
            raise ValueError("means='equiangular' needs mean_cosine")
        mean_cosine = check_float("mean_cosine", mean_cosine, -1.0 / (K - 1) - 1e-12, 1.0)
    elif mean_cosine is not None:
        raise ValueError("mean_cosine is used only with means='equiangular'")
    if bases == "orthogonal" and K + K * rank > d:
        raise ValueError(f"bases='orthogonal' needs K + K * rank <= d, got {K + K * rank} > {d}")
    g = make_generator(seed)

    if bases == "orthogonal":
        Q = _orthonormal(d, K + K * rank, g)
        q = Q[:, :K].T  # (K, d)
    else:
        q = _orthonormal(d, K, g).T  # (K, d)
    if means == "simplex":
        q = q - q.mean(0)
        q = q / q.norm(dim=1, keepdim=True)
    elif means == "equiangular":
        G = (1 - mean_cosine) * torch.eye(K, dtype=torch.float64) + mean_cosine
        ev, V = torch.linalg.eigh(G)
        root = V @ torch.diag(ev.clamp_min(0).sqrt()) @ V.T
        q = (root @ q.double()).float()
    means = separation * q
    if bases == "orthogonal":
        bases = torch.stack([Q[:, K + k * rank : K + (k + 1) * rank] for k in range(K)])
    else:
        bases = torch.stack([_orthonormal(d, rank, g) for _ in range(K)])  # (K, d, rank)
    labels = torch.arange(n) % K
    z = torch.randn(n, rank, generator=g)
    x = means[labels] + spread * torch.einsum("ndr,nr->nd", bases[labels], z)

    copies = torch.arange(n_duplicated).repeat_interleave(multiplicity - 1)
    source = torch.cat([torch.arange(n), copies])
    x = x[source]
    return ImageData(
        x=x.contiguous(),
        labels=labels[source].to(torch.int64),
        image_shape=None,
        value_range=(float(x.min()), float(x.max())),
        name="gmm",
        extra={
            "means": means,
            "bases": bases,
            "is_duplicated": source < n_duplicated,
            "source_index": source,
        },
    )
