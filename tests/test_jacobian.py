"""Jacobians: reverse mode against autograd and closed forms; randomized SVD against the full
SVD."""

import math

import pytest
import torch

from memgen.dae import ReLUDAE
from memgen.jacobian import (
    JacobianOperator,
    abs_cosine,
    batched_jacobians,
    count_above,
    effective_rank,
    entropy_rank,
    full_jacobian,
    randomized_svd,
    singular_values,
)
from memgen.unet import Denoiser, UNetConfig, build_unet


@pytest.fixture(scope="module")
def tiny_denoiser():
    torch.manual_seed(0)
    cfg = UNetConfig(image_size=8, block_out_channels=(8, 16), norm_num_groups=4)
    return Denoiser(build_unet(cfg), cfg).eval()


def test_full_jacobian_matches_autograd(tiny_denoiser):
    y = 0.5 * torch.randn(1, 64, generator=torch.Generator().manual_seed(1))
    J = full_jacobian(lambda v: tiny_denoiser(v, 0.3), y)
    ref = torch.autograd.functional.jacobian(lambda v: tiny_denoiser(v[None], 0.3)[0], y[0])
    assert J.shape == (64, 64)
    assert torch.allclose(J, ref, atol=1e-5)


def test_batched_jacobians_match_one_by_one(tiny_denoiser):
    Y = 0.5 * torch.randn(3, 64, generator=torch.Generator().manual_seed(6))
    f = lambda v: tiny_denoiser(v, 0.2)  # noqa: E731
    Jb = batched_jacobians(f, Y)
    for i in range(3):
        assert torch.allclose(Jb[i], full_jacobian(f, Y[i : i + 1]), atol=1e-5)


def test_batched_jacobians_in_chunks_equal_one_call(tiny_denoiser):
    Y = 0.5 * torch.randn(7, 64, generator=torch.Generator().manual_seed(6))
    f = lambda v: tiny_denoiser(v, 0.2)  # noqa: E731
    whole = batched_jacobians(f, Y)
    for chunk in (3, 100):
        part = batched_jacobians(f, Y, chunk_size=chunk)
        assert part.shape == whole.shape and not part.requires_grad
        assert torch.allclose(part, whole, atol=1e-6)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        batched_jacobians(f, Y, chunk_size=0)


@pytest.mark.memory
def test_batched_jacobians_chunks_free_their_graphs(tiny_denoiser):
    """Peak memory of 16 rows in chunks of 4 stays near that of one chunk of 4 (each chunk's
    Jacobians are detached before the next chunk runs), far below one call over 16 rows."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import resource, sys, torch\n"
        "from memgen.jacobian import batched_jacobians\n"
        "from memgen.unet import Denoiser, UNetConfig, build_unet\n"
        "torch.manual_seed(0); torch.set_num_threads(1)\n"
        "cfg = UNetConfig(image_size=8, block_out_channels=(32, 64), norm_num_groups=8)\n"
        "m = Denoiser(build_unet(cfg), cfg).eval()\n"
        "Y = torch.randn(int(sys.argv[1]), 64)\n"
        "m(Y[:1], 0.2)\n"
        "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "batched_jacobians(lambda v: m(v, 0.2), Y, chunk_size=int(sys.argv[2]))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0)\n"
    )
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "lib"),
    }

    def growth_kb(n, chunk):  # a fresh process each: ru_maxrss is a high-water mark
        out = subprocess.run(
            [sys.executable, "-c", code, str(n), str(chunk)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        return int(out.stdout.split()[-1])

    one_chunk, chunked, whole = growth_kb(4, 4), growth_kb(16, 4), growth_kb(16, 16)
    assert chunked < 0.5 * whole, (one_chunk, chunked, whole)
    assert chunked < 2 * one_chunk + 50_000, (one_chunk, chunked, whole)


def test_full_jacobian_of_dae_is_closed_form():
    dae = ReLUDAE(20, 7, seed=3)
    y = torch.randn(20, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        J = full_jacobian(dae, y)
    W1, W2 = dae.W1.detach(), dae.W2.detach()
    mask = (y @ W1 > 0).float()
    assert torch.allclose(J, (W2 * mask) @ W1.T, atol=1e-6)
    assert torch.allclose(J, dae.jacobian(y).detach(), atol=1e-6)


def test_operator_products_match_full_jacobian(tiny_denoiser):
    y = 0.5 * torch.randn(1, 64, generator=torch.Generator().manual_seed(3))
    f = lambda v: tiny_denoiser(v, 0.1)  # noqa: E731
    J = full_jacobian(f, y)
    op = JacobianOperator(f, y)
    g = torch.Generator().manual_seed(4)
    U, V = torch.randn(5, 64, generator=g), torch.randn(3, 64, generator=g)
    assert torch.allclose(op.rmatmat(U), U @ J, atol=1e-5)  # rows J^T u
    assert torch.allclose(op.matmat(V), V @ J.T, atol=1e-5)  # rows J v (double VJP)
    chunked = JacobianOperator(f, y, chunk_size=2)
    assert torch.allclose(chunked.rmatmat(U), U @ J, atol=1e-5)
    assert torch.allclose(chunked.matmat(V), V @ J.T, atol=1e-5)


def _linear_with_spectrum(d, s, seed=0):
    g = torch.Generator().manual_seed(seed)
    Q1 = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64)).Q
    Q2 = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64)).Q
    return Q1 @ torch.diag(s) @ Q2.T


def test_randomized_svd_recovers_known_spectrum():
    d = 80
    s = torch.tensor([0.8**i for i in range(d)], dtype=torch.float64)
    A = _linear_with_spectrum(d, s)
    y = torch.zeros(d, dtype=torch.float64)
    S, U, V = randomized_svd(lambda v: A @ v, y, 8, oversample=10, power_iters=3, seed=1)
    assert torch.allclose(S, s[:8], rtol=1e-6)
    Ufull, _, Vh = torch.linalg.svd(A)
    for i in range(8):
        assert abs_cosine(U[:, i], Ufull[:, i]) > 0.999
        assert abs_cosine(V[:, i], Vh[i]) > 0.999


def test_randomized_svd_exact_when_sketch_is_full(tiny_denoiser):
    y = 0.5 * torch.randn(1, 64, generator=torch.Generator().manual_seed(5))
    f = lambda v: tiny_denoiser(v, 0.2)  # noqa: E731
    s_full = singular_values(full_jacobian(f, y))
    S, _, _ = randomized_svd(f, y, 10, oversample=54, power_iters=0)
    assert torch.allclose(S.double(), s_full[:10], rtol=1e-4)


def test_randomized_svd_top_values_on_trained_unet():
    from memgen.unet import load_denoiser

    model = load_denoiser("generalizing")
    x = torch.nn.functional.interpolate(
        torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8), size=(16, 16), mode="bilinear"
    ).reshape(1, -1)
    y = x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    f = lambda v: model(v, 0.1)  # noqa: E731 (the convolutional net also runs on 16x16 inputs)
    s_full = singular_values(full_jacobian(f, y))
    S, _, _ = randomized_svd(f, y, 5, oversample=10, power_iters=3, seed=0)
    assert torch.allclose(S.double(), s_full[:5], rtol=0.05)


def test_entropy_rank_values():
    assert entropy_rank(torch.ones(7)) == pytest.approx(7.0)
    assert entropy_rank(torch.tensor([3.0, 0.0, 0.0])) == pytest.approx(1.0)
    s = torch.tensor([4.0, 2.0, 1.0, 1.0])
    assert entropy_rank(s) == pytest.approx(entropy_rank(10 * s))
    p = s / s.sum()
    assert entropy_rank(s) == pytest.approx(math.exp(-(p * p.log()).sum().item()))
    A = torch.diag(torch.tensor([2.0, 2.0, 0.0]))
    assert entropy_rank(A) == pytest.approx(2.0)


def test_effective_rank_of_wiener_filter_counts_strong_directions():
    # J = U diag(l / (l + sigma^2)) U^T: gains >= 1/2 exactly where l >= sigma^2
    lam = torch.tensor([4.0, 1.0, 0.3, 0.2, 0.05, 0.01], dtype=torch.float64)
    sigma = 0.5
    J = _linear_with_spectrum(6, lam / (lam + sigma**2), seed=3)
    assert effective_rank(J) == int((lam >= sigma**2).sum()) == 3
    assert effective_rank(0.3 * torch.eye(5)) == 0  # a contraction passes nothing
    assert entropy_rank(0.3 * torch.eye(5)) == pytest.approx(
        5.0
    )  # the shape-only measure cannot tell


def test_count_above_and_cosine():
    assert count_above(torch.tensor([1.0, 0.6, 0.5, 0.1]), 0.5) == 3
    assert abs_cosine(torch.tensor([1.0, 0.0]), torch.tensor([-2.0, 0.0])) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [torch.zeros(4), torch.tensor([1.0, -0.5])])
def test_entropy_rank_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="entropy_rank|singular values"):
        entropy_rank(bad)


def test_effective_rank_rejects_bad_input():
    with pytest.raises(ValueError, match="singular values"):
        effective_rank(torch.tensor([1.0, -0.5]))
    with pytest.raises(ValueError, match="level must be"):
        effective_rank(torch.ones(3), level=-1.0)


def test_randomized_svd_validates_k(tiny_denoiser):
    y = torch.zeros(1, 64)
    with pytest.raises(ValueError, match="k must be"):
        randomized_svd(lambda v: tiny_denoiser(v, 0.2), y, 0)
    with pytest.raises(ValueError, match="power_iters"):
        randomized_svd(lambda v: tiny_denoiser(v, 0.2), y, 2, power_iters=-1)


def test_hutchinson_variance_matches_the_empirical_variance():
    """The closed form (||J||_F^2 + tr(J^2) - 2 sum J_aa^2) / m against 200,000 estimates, for a
    non-symmetric and a symmetric matrix and m = 1 and 4; the formula that subtracts the diagonal
    three times is far off."""
    from memgen.jacobian import hutchinson_trace, hutchinson_variance

    J = torch.randn(6, 6, generator=torch.Generator().manual_seed(0)).double()
    for A in (J, J + J.T):
        for m in (1, 4):
            est = hutchinson_trace(A, m, trials=200_000, seed=1)
            assert abs(float(est.mean()) - float(torch.trace(A))) < 0.05 * (1 + abs(torch.trace(A)))
            assert float(est.var()) == pytest.approx(hutchinson_variance(A, m), rel=0.02)
    S = J + J.T
    off = S - torch.diag(torch.diagonal(S))
    assert hutchinson_variance(S) == pytest.approx(2 * float(off.pow(2).sum()))
    off = J - torch.diag(torch.diagonal(J))
    three = float(J.pow(2).sum() + (off * off.T).sum() - 2 * torch.diagonal(J).pow(2).sum())
    assert abs(three - hutchinson_variance(J)) > 0.2 * hutchinson_variance(J)


def test_spectrum_at_inputs_tells_a_memorizer_from_a_constant_function():
    """out_nearest_is_own: 1 for a denoiser that returns each input's own stored image, at most
    1/n for a constant function (whose low rank is the same)."""
    from memgen.experiments.ch07_jacobians import spectrum_at_inputs

    g = torch.Generator().manual_seed(0)
    X = torch.randn(6, 16, generator=g)
    Y = X + 0.1 * torch.randn(X.shape, generator=g)

    def nearest(v):  # returns the nearest x_i (plus a small ridge, so J is not zero)
        return X[torch.cdist(v.reshape(-1, 16), X).argmin(1)].reshape(v.shape) + 0.01 * v

    const = X[2]
    mem = spectrum_at_inputs(nearest, X, Y, X, 2)
    flat = spectrum_at_inputs(lambda v: const.expand_as(v) + 0.01 * v, X, Y, X, 2)
    assert mem["out_nearest_is_own"].mean() == 1.0
    assert flat["out_nearest_is_own"].mean() <= 1 / 6 + 1e-12
    assert (mem["erank"] == 0).all() and (flat["erank"] == 0).all()
