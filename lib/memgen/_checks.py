"""Small input validators shared by every public function of :mod:`memgen`.

Each one raises ``ValueError`` whose message names the argument and the allowed values, e.g.
``"sigma must be >= 0, got -1.0"`` or ``"n must be an integer >= 1, got 0"``, and returns the
value in a canonical form (a Python ``int``/``float``, or a floating torch tensor).
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np
import torch


def _bounds_text(min_value, max_value, min_exclusive=False, max_exclusive=False) -> str:
    lo = (">" if min_exclusive else ">=") + f" {min_value}" if min_value is not None else None
    hi = ("<" if max_exclusive else "<=") + f" {max_value}" if max_value is not None else None
    if lo and hi:
        return f"{lo} and {hi}"
    return lo or hi or ""


def check_int(name: str, value, min_value: int | None = None, max_value: int | None = None) -> int:
    """``value`` as a Python int in ``[min_value, max_value]`` (bounds inclusive, ``None`` = open).

    Accepts Python and numpy integers (and 0-dim integer tensors); rejects bools and floats.
    """
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer {_bounds_text(min_value, max_value)}".rstrip()
            + f", got {value!r}"
        )
    value = int(value)
    if (min_value is not None and value < min_value) or (
        max_value is not None and value > max_value
    ):
        raise ValueError(
            f"{name} must be an integer {_bounds_text(min_value, max_value)}, got {value}"
        )
    return value


def check_float(
    name: str,
    value,
    min_value: float | None = None,
    max_value: float | None = None,
    *,
    min_exclusive: bool = False,
    max_exclusive: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a finite Python float within the bounds (inclusive unless ``*_exclusive``).

    Accepts ints, floats, numpy scalars and 0-dim tensors; rejects bools, NaN and (unless
    ``allow_inf``) infinities.
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be a finite number, got {value}")
    bad_lo = min_value is not None and (value <= min_value if min_exclusive else value < min_value)
    bad_hi = max_value is not None and (value >= max_value if max_exclusive else value > max_value)
    if bad_lo or bad_hi:
        raise ValueError(
            f"{name} must be {_bounds_text(min_value, max_value, min_exclusive, max_exclusive)}, "
            f"got {value}"
        )
    return value


def check_tensor(
    name: str,
    x,
    ndim: int | Sequence[int] | None = None,
    last_dim: int | None = None,
    finite: bool = True,
    dtype: torch.dtype | None = torch.float32,
) -> torch.Tensor:
    """``x`` (tensor, numpy array or nested list of numbers) as a floating torch tensor.

    - ``ndim``: required number of dimensions (an int or a collection of allowed ints);
    - ``last_dim``: required size of the last dimension;
    - ``finite``: reject NaN and inf (not checked on the ``meta`` device, which holds no values);
    - ``dtype``: the returned dtype (default float32). ``None`` keeps a floating input's dtype
      (float64 stays float64, e.g. for autograd checks) and turns other inputs into float32.

    Tensors are converted with ``.to`` so autograd graphs are kept.
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(
                f"{name} must be a tensor or array of numbers, got {type(x).__name__}"
            ) from None
    if (
        t.dtype == torch.bool
        or t.is_complex()
        or not (t.is_floating_point() or t.dtype in _INT_DTYPES)
    ):
        raise ValueError(f"{name} must hold real numbers, got dtype {t.dtype}")
    target = dtype if dtype is not None else (t.dtype if t.is_floating_point() else torch.float32)
    if t.dtype != target:
        t = t.to(target)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            want = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {want}, got shape {tuple(t.shape)}")
    if last_dim is not None and (t.ndim == 0 or t.shape[-1] != last_dim):
        raise ValueError(f"{name} must have last dimension {last_dim}, got shape {tuple(t.shape)}")
    if finite and not t.is_meta and not bool(torch.isfinite(t).all()):  # meta: no values to check
        raise ValueError(f"{name} must not contain NaN or inf")
    return t


_INT_DTYPES = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


def check_choice(
    name: str, value, choices: Iterable[str], *, case_insensitive: bool = False
) -> str:
    """``value`` if it is one of ``choices`` (lower-cased first when ``case_insensitive``).

    Message: ``"unknown optimizer 'foo'; choose one of: sgd, adam"``.
    """
    choices = list(choices)
    key = value.lower() if (case_insensitive and isinstance(value, str)) else value
    if not isinstance(key, str) or key not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
    return key


def make_generator(
    seed=None, generator: torch.Generator | None = None, *, name: str = "seed"
) -> torch.Generator:
    """A CPU ``torch.Generator``: ``generator`` if given, else a fresh one seeded with ``seed``.

    Never touches the global RNG. ``seed`` may itself be a ``torch.Generator``.
    """
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return generator
    if isinstance(seed, torch.Generator):
        return seed
    seed = check_int(name, seed, 0)
    return torch.Generator().manual_seed(seed)
