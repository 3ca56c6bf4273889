"""The two-layer ReLU denoising autoencoder of the paper: f(x) = W2 [W1^T x]_+.

``W1`` (encoder) and ``W2`` (decoder) are both (d, p): column j of each belongs to hidden unit j.
There are no biases. ``h(x) = [W1^T x]_+`` is the representation. Rows of a batch are samples,
so in code ``h = relu(x @ W1)`` and ``f = h @ W2.T``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import check_float, check_int, check_tensor, make_generator


class ReLUDAE(nn.Module):
    """f(x) = W2 [W1^T x]_+ with W1, W2 in R^{d x p}; ``tied=True`` uses one matrix W1 = W2.

    Initialisation: i.i.d. N(0, init_scale^2) entries, ``init_scale`` = 1/sqrt(d) by default (so
    W1^T x has entries of the size of ||x|| / sqrt(d)), drawn from a generator seeded with
    ``seed``; the global RNG is not touched. Parameters are float32, registered as ``W1`` (and
    ``W2`` when untied), so ``state_dict`` keys are ``"W1"``, ``"W2"``.
    """

    def __init__(self, d, p, *, tied=False, init_scale=None, seed=0):
        super().__init__()
        self.d = check_int("d", d, 1)
        self.p = check_int("p", p, 1)
        self.tied = bool(tied)
        scale = (
            1.0 / math.sqrt(self.d)
            if init_scale is None
            else check_float("init_scale", init_scale, 0.0)
        )
        g = make_generator(seed)
        self.register_parameter(
            "W1", nn.Parameter(scale * torch.randn(self.d, self.p, generator=g))
        )
        if not self.tied:
            self.register_parameter(
                "W2", nn.Parameter(scale * torch.randn(self.d, self.p, generator=g))
            )

    # nn.Module.__getattr__ would find the parameters too; properties make the tied case explicit.
    @property
    def W1(self) -> nn.Parameter:
        """Encoder weights (d, p)."""
        return self._param("W1")

    @property
    def W2(self) -> nn.Parameter:
        """Decoder weights (d, p); the same Parameter as ``W1`` when tied."""
        return self._param("W1" if self.tied else "W2")

    def _param(self, name: str) -> nn.Parameter:
        try:
            return self._parameters[name]
        except KeyError:  # before registration: let hasattr() and nn.Module see "no attribute"
            raise AttributeError(name) from None

    @classmethod
    def from_weights(cls, W1, W2=None) -> "ReLUDAE":
        """A model holding copies of given weights, each (d, p). ``W2=None`` or ``W2 is W1``:
        tied."""
        tied = W2 is None or W2 is W1
        W1 = check_tensor("W1", W1, ndim=2).detach()
        if W1.shape[0] < 1 or W1.shape[1] < 1:
            raise ValueError(f"W1 must be (d, p) with d, p >= 1, got shape {tuple(W1.shape)}")
        model = cls(W1.shape[0], W1.shape[1], tied=tied)
        with torch.no_grad():
            model.W1.copy_(W1)
            if not tied:
                W2 = check_tensor("W2", W2, ndim=2).detach()
                if W2.shape != W1.shape:
                    raise ValueError(
                        f"W2 must have the shape of W1 {tuple(W1.shape)}, got {tuple(W2.shape)}"
                    )
                model.W2.copy_(W2)
        return model

    def _input(self, x, finite=True) -> torch.Tensor:
        x = check_tensor("x", x, last_dim=self.d, finite=finite, dtype=self.W1.dtype)
        if x.ndim == 0:
            raise ValueError(f"x must have shape (..., {self.d}), got a scalar")
        return x

    def representation(self, x) -> torch.Tensor:
        """h = [W1^T x]_+ for x of shape (..., d); returns (..., p), entries >= 0."""
        return torch.relu(self._input(x) @ self.W1)

    def forward(self, x) -> torch.Tensor:
        """f(x) = W2 h(x) for x of shape (..., d); returns (..., d).

        The hot path of training: checks the shape but does not scan for NaN/inf.
        """
        x = self._input(x, finite=False)
        return torch.relu(x @ self.W1) @ self.W2.T

    def weight_penalty(self) -> torch.Tensor:
        """||W1||_F^2 + ||W2||_F^2 (for a tied model 2 ||W||_F^2): the paper's penalty, times
        lam."""
        return self.W1.pow(2).sum() + self.W2.pow(2).sum()

    def jacobian(self, y) -> torch.Tensor:
        """The Jacobian of f at y, in closed form: J(y) = W2 diag(1[W1^T y > 0]) W1^T.

        ``y`` (d,) -> (d, d); ``y`` (B, d) -> (B, d, d). (At points where some W1^T y = 0 exactly,
        f is not differentiable; the closed form then takes the ReLU's derivative at 0 as 0, like
        autograd does.)
        """
        y = check_tensor("y", y, ndim=(1, 2), last_dim=self.d, dtype=self.W1.dtype)
        mask = (y @ self.W1 > 0).to(self.W1.dtype)  # (p,) or (B, p)
        if y.ndim == 1:
            return (self.W2 * mask) @ self.W1.T
        return torch.einsum("ip,bp,jp->bij", self.W2, mask, self.W1)

    def extra_repr(self) -> str:
        return f"d={self.d}, p={self.p}, tied={self.tied}"
