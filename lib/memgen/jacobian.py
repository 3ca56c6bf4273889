"""Jacobians of denoisers with respect to their input, their spectra, and an effective rank.

- :func:`full_jacobian`: the whole (d_out, d_in) Jacobian by reverse mode (``torch.func.jacrev``:
  one vector-Jacobian product per output coordinate, batched with ``vmap``). Forward mode is not
  used: it fails through diffusers' attention on CPU.
- :func:`randomized_svd`: the top-k singular triplets from matrix-free products only, by the
  randomized range finder of Halko, Martinsson and Tropp (2011) run on ``J^T``: ``J^T u`` is one
  VJP, and ``J v`` is obtained by the *double-VJP trick* (``u -> J^T u`` is linear, so its own VJP
  with cotangent ``v`` is ``J v``), so reverse mode alone suffices.
- :func:`effective_rank`: the book's effective rank of a denoiser's Jacobian, the number of
  singular values ``>= 1/2`` (directions the denoiser passes with gain at least one half: a Wiener
  gain ``s / (s + sigma^2)`` is ``>= 1/2`` exactly when the signal variance along the direction is
  at
  least the noise variance). A denoiser's Jacobian is dimensionless (output and input are both
  images), so an absolute threshold is meaningful.
- :func:`entropy_rank`: Roy and Vetterli's (2007) scale-invariant effective rank, ``exp`` of the
  Shannon entropy of the normalised singular values, shown for comparison (it measures the *shape*
  of the spectrum only, so it cannot tell a small isotropic residual from the identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ._checks import check_float, check_int, check_tensor, make_generator


def _as_vector_fn(f: Callable, y: torch.Tensor) -> tuple:
    """(g, y0): ``g`` maps a flat vector of y's size to a flat vector; y0 = y flattened."""
    shape = y.shape

    def g(v):
        return f(v.reshape(shape)).reshape(-1)

    return g, y.detach().reshape(-1)


def full_jacobian(f: Callable, y: torch.Tensor, *, chunk_size: int | None = None) -> torch.Tensor:
    """``J = df/dy`` at ``y`` as a (d_out, d_in) matrix, by reverse mode (``torch.func.jacrev``).

    ``f`` takes a tensor of ``y``'s shape (any shape; e.g. (1, C, H, W) or (d,)) and returns a
    tensor; both are flattened. ``chunk_size`` bounds how many VJPs are batched at once (memory).
    """
    y = check_tensor("y", y, dtype=None)
    g, y0 = _as_vector_fn(f, y)
    if chunk_size is None:
        return torch.func.jacrev(g)(y0).detach()
    chunk_size = check_int("chunk_size", chunk_size, 1)
    # jacrev's own chunk_size keeps every chunk's rows, and with them the autograd graph of their
    # products (when the parameters require grad), until the end: 1024 rows of chapter 7's UNet at
    # 32 x 32 peaked at 5.8 GB. The same products (one VJP per basis vector, batched with vmap),
    # each chunk detached before the next: 0.9 GB, bitwise the same matrix.
    out, vjp_fn = torch.func.vjp(g, y0)
    basis = torch.eye(out.numel(), dtype=out.dtype, device=out.device)
    rows = [
        torch.func.vmap(vjp_fn)(basis[i : i + chunk_size])[0].detach()
        for i in range(0, out.numel(), chunk_size)
    ]
    return torch.cat(rows).reshape(out.numel(), y0.numel())


def batched_jacobians(
    f: Callable, Y: torch.Tensor, *, chunk_size: int | None = None
) -> torch.Tensor:
    """Full Jacobians of a *per-sample* map at every row of ``Y`` (B, d): returns (B, d_out, d).

    ``f`` maps a batch (B, d) to a batch (B, d_out) row by row (no interaction between rows, as for
    a denoiser in eval mode). One nested ``vmap(jacrev(...))`` call per ``chunk_size`` rows (None:
    all B in one call). Memory grows like ``chunk_size * d_out`` simultaneous vector-Jacobian
    products: all 528 samples of chapter 8's LID baseline in one call peaked at 23 GB, 16 rows at a
    time at 1.3 GB. Each chunk's Jacobians are detached before the next chunk runs: when the
    model's parameters require grad, the Jacobians keep the autograd graph of their products alive
    until detached, which is why ``vmap``'s own ``chunk_size`` argument did not lower the peak
    (measured with torch 2.13: 32 rows in chunks of 16 peaked as high as one call of 32).
    """
    Y = check_tensor("Y", Y, ndim=2, dtype=None).detach()
    step = len(Y) if chunk_size is None else check_int("chunk_size", chunk_size, 1)
    single = lambda y: f(y[None])[0]  # noqa: E731
    jac = torch.func.vmap(torch.func.jacrev(single))
    return torch.cat([jac(Y[i : i + step]).detach() for i in range(0, len(Y), max(step, 1))])


@dataclass
class JacobianOperator:
    """Matrix-free products with the Jacobian of ``f`` at ``y``: ``rmatmat(U) = U J`` (rows of U
    are cotangents, d_out each; returns (m, d_in), i.e. rows ``J^T u``) and ``matmat(V) = V J^T``
    (rows of V are tangents, d_in each; returns (m, d_out), i.e. rows ``J v``, by double VJP)."""

    f: Callable
    y: torch.Tensor
    chunk_size: int | None = (
        None  # products batched per vmap call (None: all at once); bounds memory
    )

    def __post_init__(self):
        g, y0 = _as_vector_fn(self.f, self.y)
        out, vjp_fn = torch.func.vjp(g, y0)
        self.d_in, self.d_out = y0.numel(), out.numel()
        self.out = out.detach()
        self._vjp = lambda u: vjp_fn(u)[0]
        _, vjp2 = torch.func.vjp(self._vjp, torch.zeros_like(out))
        self._jvp = lambda v: vjp2(v)[0]

    def _batched(self, fn, A: torch.Tensor) -> torch.Tensor:
        step = self.chunk_size or len(A)
        return torch.cat(
            [torch.func.vmap(fn)(A[i : i + step]).detach() for i in range(0, len(A), step)]
        )

    def rmatmat(self, U: torch.Tensor) -> torch.Tensor:
        return self._batched(self._vjp, U)

    def matmat(self, V: torch.Tensor) -> torch.Tensor:
        return self._batched(self._jvp, V)


def randomized_svd(
    f: Callable,
    y: torch.Tensor,
    k: int,
    *,
    oversample: int = 10,
    power_iters: int = 2,
    seed=0,
    chunk_size: int | None = None,
) -> tuple:
    """Top-``k`` singular values and vectors of the Jacobian of ``f`` at ``y`` from VJPs only.

    Halko-Martinsson-Tropp on ``A = J^T`` (d_in x d_out): sketch ``Y = A Omega`` with
    ``l = k + oversample`` Gaussian columns (l VJPs), ``power_iters`` rounds of ``Y <- A (A^T Y)``
    with re-orthonormalisation (each: l double-VJPs for ``A^T = J`` and l VJPs), ``Q = orth(Y)``,
    then the small SVD of ``B = Q^T A``, i.e. ``B^T = J Q`` (l double-VJPs).
    Returns ``(S, U, V)``: S (k,) descending, U (d_out, k) left and V (d_in, k) right singular
    vectors of J (``J ~ U diag(S) V^T``). Cost: ``l (1 + 2 power_iters + 1)`` products.
    ``chunk_size``: how many products run in one batched call (None: all l; lower it for big
    models).
    """
    y = check_tensor("y", y, dtype=None)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, 1)
    op = JacobianOperator(f, y, chunk_size)
    k = check_int("k", k, 1, min(op.d_in, op.d_out))
    oversample = check_int("oversample", oversample, 0)
    power_iters = check_int("power_iters", power_iters, 0)
    l = min(k + oversample, op.d_in, op.d_out)
    g = make_generator(seed)
    # drawn on the CPU (the same sketch on every device), then moved to the model's device
    omega = torch.randn(l, op.d_out, generator=g, dtype=op.out.dtype).to(op.out.device)
    Y = op.rmatmat(omega)  # rows J^T w: columns of A Omega, (l, d_in)
    Q = torch.linalg.qr(Y.T).Q  # (d_in, l), spans the top right singular vectors of J
    for _ in range(power_iters):
        Z = torch.linalg.qr(op.matmat(Q.T).T).Q  # (d_out, l): J Q
        Q = torch.linalg.qr(op.rmatmat(Z.T).T).Q  # (d_in, l): J^T Z
    BT = op.matmat(Q.T).T  # (d_out, l) = J Q
    Ub, S, Vbh = torch.linalg.svd(BT, full_matrices=False)
    return S[:k], Ub[:, :k], (Q @ Vbh.T)[:, :k]


def singular_values(J: torch.Tensor) -> torch.Tensor:
    """Singular values of a matrix, descending (float64 for accuracy)."""
    J = check_tensor("J", J, ndim=2)
    return torch.linalg.svdvals(J.double())


def effective_rank(s, level: float = 0.5) -> int:
    """Number of singular values ``>= level`` (default 1/2) of a denoiser's Jacobian.

    ``s``: singular values, or a matrix (its singular values are used).
    """
    s = torch.as_tensor(s)
    if s.ndim == 2:
        s = singular_values(s)
    return count_above(s, level)


def entropy_rank(s, *, eps: float = 1e-12) -> float:
    """Roy and Vetterli's (2007) effective rank ``exp(H(p))``, ``p_i = s_i / sum_j s_j``.

    ``s``: singular values (>= 0), or a matrix (its singular values are used). Equals r for r equal
    nonzero singular values, 1 for a rank-one matrix; a real number in [1, len(s)], invariant to
    scaling the matrix. An all-zero input raises ValueError.
    """
    s = torch.as_tensor(s)
    if s.ndim == 2:
        s = singular_values(s)
    s = check_tensor("s", s, ndim=1).double()
    if (s < 0).any():
        raise ValueError("s must be singular values (all >= 0)")
    total = s.sum()
    if total <= eps:
        raise ValueError("entropy_rank needs a nonzero matrix (all singular values are 0)")
    p = s / total
    p = p[p > 0]
    return float(torch.exp(-(p * torch.log(p)).sum()))


def count_above(s, level: float) -> int:
    """Number of singular values ``>= level`` (an absolute threshold)."""
    s = torch.as_tensor(s)
    if (s < 0).any():
        raise ValueError("s must be singular values (all >= 0)")
    s = check_tensor("s", s, ndim=1)
    level = check_float("level", level, 0.0)
    return int((s >= level).sum())


def abs_cosine(u: torch.Tensor, v: torch.Tensor) -> float:
    """``|cos(u, v)|``: singular vectors have an arbitrary sign."""
    u, v = u.reshape(-1).double(), v.reshape(-1).double()
    return float((u @ v).abs() / (u.norm() * v.norm()).clamp_min(1e-30))


def hutchinson_trace(J: torch.Tensor, m: int, *, trials: int = 1, seed: int = 0) -> torch.Tensor:
    """Hutchinson's estimates of ``tr J``: ``(1/m) sum_j z_j^T J z_j`` with Rademacher ``z_j``.

    ``J`` (d, d); returns ``trials`` independent estimates (float64), each from ``m`` probes (with
    a real denoiser each ``z^T J z`` is one vector-Jacobian product)."""
    J = check_tensor("J", J, ndim=2).double()
    if J.shape[0] != J.shape[1]:
        raise ValueError(f"J must be square, got {tuple(J.shape)}")
    m = check_int("m", m, 1)
    trials = check_int("trials", trials, 1)
    g = make_generator(seed)
    z = torch.randint(0, 2, (trials, m, J.shape[0]), generator=g).double() * 2 - 1
    return torch.einsum("tma,ab,tmb->tm", z, J, z).mean(1)


def hutchinson_variance(J: torch.Tensor, m: int = 1) -> float:
    """The variance of :func:`hutchinson_trace` with ``m`` Rademacher probes:
    ``(||J||_F^2 + tr(J^2) - 2 sum_a J_aa^2) / m``, i.e. ``(1/m) sum_{a != b} J_ab (J_ab + J_ba)``
    (``z^T J z - tr J = sum_{a != b} z_a z_b J_ab``, and ``E[z_a z_b z_c z_d]`` is 1 only for
    ``{c, d} = {a, b}``). For a symmetric J: ``(2/m) sum_{a != b} J_ab^2``."""
    J = check_tensor("J", J, ndim=2).double()
    m = check_int("m", m, 1)
    diag = torch.diagonal(J)
    return float((J.pow(2).sum() + torch.trace(J @ J) - 2 * diag.pow(2).sum()) / m)
