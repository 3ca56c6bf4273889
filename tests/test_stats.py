"""Representation statistics: hand-computed values, bounds and scale invariance (hypothesis),
nearest neighbours and the typical spacing."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from memgen.stats import (
    l4_l2_ratio,
    nearest_neighbors,
    nearest_other_distances,
    pairwise_cosine,
    top1_share,
    typical_spacing,
    unit_std,
)

FAST = settings(max_examples=60, deadline=None, database=None)


def test_hand_computed_values():
    p = 16
    one_hot = torch.zeros(p)
    one_hot[3] = 2.5
    uniform = torch.full((p,), 0.7)
    assert float(top1_share(one_hot)) == 1.0 and float(l4_l2_ratio(one_hot)) == pytest.approx(1.0)
    assert float(top1_share(uniform)) == pytest.approx(1 / p)
    assert float(l4_l2_ratio(uniform)) == pytest.approx(p**-0.25)
    assert float(unit_std(uniform)) == pytest.approx(0.0, abs=1e-7)
    # population std of (2.5, 0, ..., 0): sqrt(mean h^2 - mean(h)^2)
    assert float(unit_std(one_hot)) == pytest.approx(math.sqrt(2.5**2 / p - (2.5 / p) ** 2))
    h = torch.tensor([3.0, 4.0, 0.0, 0.0])
    assert float(top1_share(h)) == pytest.approx(16 / 25)
    assert float(l4_l2_ratio(h)) == pytest.approx((81 + 256) ** 0.25 / 5)
    assert float(unit_std(h)) == pytest.approx(float(np.std([3.0, 4.0, 0.0, 0.0])))


def test_zero_vector_and_batches():
    H = torch.stack([torch.zeros(5), torch.tensor([1.0, 0, 0, 0, 0]), torch.ones(5)])
    assert top1_share(H).tolist() == pytest.approx([0.0, 1.0, 0.2])
    assert l4_l2_ratio(H).tolist() == pytest.approx([0.0, 1.0, 5**-0.25])
    assert unit_std(torch.zeros(2, 3, 7)).shape == (2, 3)
    assert top1_share(np.ones((4, 2))).shape == (4,)  # numpy input accepted
    with pytest.raises(ValueError, match="h must not contain NaN or inf"):
        top1_share(torch.tensor([1.0, float("inf")]))
    with pytest.raises(ValueError, match="h must have a last dimension of size >= 1"):
        unit_std(torch.zeros(3, 0))


# entries 0 or of magnitude in [1e-100, 1e6], so that rescaling by [1e-30, 1e30] stays in float64
# range
magnitudes = st.floats(1e-100, 1e6)
vectors = arrays(
    np.float64,
    st.integers(1, 40),
    elements=st.one_of(st.just(0.0), magnitudes, magnitudes.map(lambda v: -v)),
)


@FAST
@given(vectors)
def test_bounds(h):
    p = len(h)
    t, r = float(top1_share(h)), float(l4_l2_ratio(h))
    if not np.any(h):
        assert t == 0.0 and r == 0.0
    else:
        assert 1 / p - 1e-12 <= t <= 1 + 1e-12
        assert p**-0.25 - 1e-12 <= r <= 1 + 1e-12
    assert float(unit_std(h)) >= 0.0


@FAST
@given(vectors, st.floats(1e-30, 1e30), st.booleans())
def test_scale_invariance(h, c, flip):
    c = -c if flip else c
    for f in (top1_share, l4_l2_ratio):
        assert float(f(c * h)) == pytest.approx(float(f(h)), rel=1e-9, abs=1e-12)


@FAST
@given(vectors, st.randoms(use_true_random=False))
def test_permutation_invariance(h, rnd):
    perm = list(range(len(h)))
    rnd.shuffle(perm)
    for f in (top1_share, l4_l2_ratio, unit_std):
        assert float(f(h[perm])) == pytest.approx(float(f(h)), rel=1e-9, abs=1e-9)


def test_nearest_neighbors_l2_and_cosine():
    X = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    Y = torch.tensor([[0.9, 0.1], [0.0, 10.0], [-1.0, -0.1]])
    d, i = nearest_neighbors(Y, X)
    assert i.tolist() == [0, 1, 0]
    torch.testing.assert_close(d, torch.cdist(Y, X).min(1).values)
    c, j = nearest_neighbors(Y, X, metric="cosine")
    assert j.tolist() == [0, 1, 2]
    torch.testing.assert_close(c[1], torch.tensor(1.0))
    d0, i0 = nearest_neighbors(Y[0], X)
    assert d0.shape == () and int(i0) == 0
    with pytest.raises(ValueError, match="unknown metric 'l1'; choose one of: l2, cosine"):
        nearest_neighbors(Y, X, metric="l1")
    with pytest.raises(ValueError, match="Y must have last dimension 2"):
        nearest_neighbors(torch.zeros(2, 3), X)


def test_nearest_neighbors_in_blocks_matches_brute_force():
    g = torch.Generator().manual_seed(0)
    X, Y = (
        torch.randn(50, 3, generator=g),
        torch.randn(2500, 3, generator=g),
    )  # more rows than one block
    d, i = nearest_neighbors(Y, X)
    D = torch.cdist(Y, X)
    assert torch.equal(i, D.argmin(1))
    torch.testing.assert_close(d, D.min(1).values, atol=1e-5, rtol=1e-5)


def test_pairwise_cosine():
    x = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    C = pairwise_cosine(x)
    torch.testing.assert_close(
        C, torch.tensor([[1.0, 2**-0.5, 0.0], [2**-0.5, 1.0, 0.0], [0.0, 0.0, 0.0]])
    )


def test_typical_spacing():
    X = torch.tensor([[0.0], [1.0], [3.0], [7.0]])  # nearest-other distances 1, 1, 2, 4
    assert nearest_other_distances(X).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert typical_spacing(X) == pytest.approx(1.5)  # the median of (1, 1, 2, 4)
    assert typical_spacing(torch.tensor([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="number of rows of X must be an integer >= 2, got 1"):
        typical_spacing(torch.zeros(1, 3))
