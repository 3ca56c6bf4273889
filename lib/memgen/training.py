"""The one contract every trainer of the book follows (as the samplers of :mod:`memgen.sampling`
do).

- **Callback.** A trainer takes ``callback`` (None or a callable) and ``callback_every`` (an integer
  >= 1) and calls ``callback(info)`` after steps ``callback_every``, ``2 * callback_every``, ...
  with one dict ``info``: ``step`` (completed steps, 1-based), ``loss`` (the step's loss: a float,
  or a (B,) array for a batched trainer) and either ``model`` (a torch module, trained in place) or
  the weights (``W1``, ``W2`` numpy arrays for :func:`memgen.fit_fast.fit_dae`).
- **Result.** A trainer returns a :class:`TrainResult`.

The trainers: :func:`memgen.train_mc.train_dae` (the reference: plain Monte Carlo and autograd),
:func:`memgen.fit_fast.fit_dae` (the noise expectation in closed form plus a control variate),
:func:`memgen.diffusion.train_diffusion` (the toy diffusion model) and
:func:`memgen.unet.train_denoiser` (the small UNets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._checks import check_int


@dataclass
class TrainResult:
    """What every trainer returns.

    ``models``: the trained models (one per batch entry of a batched trainer, else one);
    ``losses``: the loss of every step, (steps,) or (steps, B) float64; ``steps``; ``seconds``: the
    wall-clock time of the loop; ``settings``: the trainer's settings a reader may look up (for
    example ``sigma``, ``lam``, ``optimizer``).
    """

    models: list
    losses: np.ndarray
    steps: int
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def model(self):
        """The first (for most trainers, the only) trained model."""
        return self.models[0]


def check_callback(callback: Callable | None, callback_every) -> int:
    """Validate a trainer's ``callback`` and ``callback_every``; return ``callback_every``."""
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {type(callback).__name__}")
    return check_int("callback_every", callback_every, 1)
