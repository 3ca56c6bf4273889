"""The phase diagram: the batched grid against its closed forms and the one-by-one loop, and the
read-outs on constructed networks."""

import math

import numpy as np
import pytest
import torch

from memgen.dae import ReLUDAE
from memgen.linear import memorization_gain
from memgen.memorization import gains_along_samples
from memgen.phase import (
    boundary,
    grouped_top1,
    memorized_fraction,
    phase_maps,
    train_grid,
    train_one_by_one,
)


def _simplex(n=4, d=12, scale=3.0):
    q, _ = torch.linalg.qr(torch.randn(d, n, generator=torch.Generator().manual_seed(0)))
    return scale * (q.T - q.T.mean(0))  # pairwise cosine -1/(n-1), as are those of any subset


def test_grid_models_reach_their_own_closed_form():
    """Every p >= n + 2 cell of the batched grid stores its n samples with the gain of its own n (at
    p = n exactly gradient descent sometimes gives a sample two units and another none)."""
    X = _simplex()
    sigma, lam = 0.2, 0.1
    grid = train_grid(X, ns=(2, 4), ps=(2, 4, 6), seeds=(0, 1), sigma=sigma, lam=lam, steps=1500)
    assert len(grid["models"]) == 12 and all(m.p == 6 for m in grid["models"])
    tail = grid["losses"][-20:].mean(0)
    for n in (2, 4):
        for p in (4, 6):
            if p < n + 2:
                continue
            idx = [b for b, c in enumerate(grid["cells"]) if c[:2] == (n, p)]
            m = grid["models"][min(idx, key=lambda b: tail[b])]
            if p < 6:
                assert float(m.W1.detach()[:, p:].abs().max()) == 0.0
            gains = gains_along_samples(m, X[:n])
            torch.testing.assert_close(
                gains, memorization_gain(X[:n].norm(dim=1) ** 2, n, sigma, lam), rtol=0.03, atol=0
            )
            assert memorized_fraction(m, X[:n]) == 1.0


def test_batched_and_one_by_one_agree():
    """The same (n, p) cells trained one by one give the same memorized fractions (separable
    data)."""
    X = _simplex(n=4, d=16)
    kw = {"ns": (2, 4), "ps": (1, 6), "seeds": (0, 1, 2), "sigma": 0.2, "lam": 0.1, "steps": 1000}
    a = phase_maps(train_grid(X, **kw), X, 0.2)
    b = phase_maps(train_one_by_one(X, **kw), X, 0.2)
    assert a["frac"].shape == (2, 2) and a["top1_all"].shape == (2, 2, 3)
    np.testing.assert_allclose(a["frac"], b["frac"], atol=0.2)
    # p = 1 stores at most one of 4 samples; p = n + 2 stores (nearly) all, in both ways of training
    assert a["frac"][1, 0] <= 0.25 and b["frac"][1, 0] <= 0.25
    assert a["frac"][1, 1] >= 0.75 and b["frac"][1, 1] >= 0.75


def test_readouts_on_constructed_networks():
    X = 2.0 * torch.eye(8)[:4]
    W = torch.zeros(8, 6)
    W[:, 0] = W[:, 1] = 0.3 * X[0]  # sample 0 split over two units
    W[:, 2] = 0.5 * X[1]
    W[:, 3] = 0.5 * (X[2] + X[3])  # a unit between samples 2 and 3: stores neither
    model = ReLUDAE.from_weights(W, W.clone())
    assert memorized_fraction(model, X) == pytest.approx(0.5)
    # grouped: samples 0 and 1 are one-hot; samples 2 and 3 activate only unit 3 -> also one-hot
    assert grouped_top1(model, X, 0.0, draws=1) == pytest.approx(1.0)
    with torch.no_grad():
        from memgen.stats import top1_share

        raw = float(top1_share(model.representation(X)).mean())
    assert raw == pytest.approx((0.5 + 1 + 1 + 1) / 4)


def test_boundary():
    ns, ps = [2, 4, 8], [1, 2, 4, 8]
    V = np.array(
        [
            [0.6, 1.0, 1.0, 1.0],  # starts above: ps[0]
            [0.0, 0.25, 0.75, 1.0],  # crosses 0.5 half-way between p = 2 and p = 4
            [0.0, 0.0, 0.1, 0.2],
        ]
    )  # never
    b = boundary(V, ns, ps, level=0.5)
    assert b[0] == 1.0 and b[1] == pytest.approx(3.0) and math.isnan(b[2])
    with pytest.raises(ValueError, match="values must have shape"):
        boundary(V[:2], ns, ps)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"ns": (2, 9)}, "ns entry"), ({"ps": (0,)}, "ps entry"), ({"seeds": ()}, "at least one")],
)
def test_bad_grid(kwargs, match):
    args = {"ns": (2,), "ps": (2,), "seeds": (0,), "sigma": 0.1, "lam": 0.0, "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        train_grid(torch.ones(8, 3), **args)
