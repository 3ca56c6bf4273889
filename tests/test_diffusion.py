"""The toy diffusion model (chapter 6): forward against a hand computation and against a
transcription of the official DAECond, its exact invariants (DAE at fixed sigma, positive
homogeneity, the gain-weighted norm of r), the loss, the sampler callback contract, memorization of
two points, copy statistics, checkpoints with checksums, validation."""

import math

import numpy as np
import pytest
import torch

from memgen.dae import ReLUDAE
from memgen.diffusion import (
    ChecksumError,
    ToyDiffusionDenoiser,
    copy_fraction,
    copy_statistics,
    load_checkpoint,
    record_trajectory,
    save_checkpoint,
    sha256_file,
    train_diffusion,
    x0_loss,
)
from memgen.sampling import log_uniform_sigmas, sample_ve_ancestral, sigma_schedule


def small_model():
    m = ToyDiffusionDenoiser(3, 2, gain="scalar", hidden=2, seed=0)
    with torch.no_grad():
        m.W.copy_(torch.tensor([[1.0, -0.5], [0.0, 2.0], [0.5, 1.0]]))
        m.skip.fill_(0.25)
        m.mlp[0].weight.copy_(torch.tensor([[1.0], [-2.0]]))
        m.mlp[0].bias.copy_(torch.tensor([0.5, 0.1]))
        m.mlp[2].weight.copy_(torch.tensor([[0.3, -0.2]]))
        m.mlp[2].bias.copy_(torch.tensor([0.1]))
    return m


def test_forward_against_a_hand_computation():
    m = small_model()
    x, sigma = np.array([1.0, -1.0, 2.0]), 0.5
    silu = lambda z: z / (1.0 + np.exp(-z))  # noqa: E731
    c = math.log(sigma)
    g = 0.3 * silu(1.0 * c + 0.5) - 0.2 * silu(-2.0 * c + 0.1) + 0.1
    a = math.exp(g)
    W = np.array([[1.0, -0.5], [0.0, 2.0], [0.5, 1.0]])
    pre = W.T @ x  # [2.0, -0.5]
    r = np.maximum(pre, 0.0)
    D = W @ (a * r) + 0.25 * x
    got_r = m.representation(torch.tensor(x, dtype=torch.float32))
    got_h = m.gated(torch.tensor(x, dtype=torch.float32), sigma)
    got_D = m(torch.tensor(x, dtype=torch.float32), sigma)
    np.testing.assert_allclose(got_r.detach().numpy(), r, rtol=1e-6)  # rep(): no gain
    np.testing.assert_allclose(got_h.detach().numpy(), a * r, rtol=1e-5)
    np.testing.assert_allclose(got_D.detach().numpy(), D, rtol=1e-5)
    assert float(m.gain(sigma)) == pytest.approx(a, rel=1e-6)
    # a batch with one sigma per row gives the same rows as separate calls
    X = torch.tensor([[1.0, -1.0, 2.0], [0.5, 0.5, -1.0]])
    s = torch.tensor([0.5, 1.7])
    both = m(X, s)
    torch.testing.assert_close(both[0], m(X[0], 0.5))
    torch.testing.assert_close(both[1], m(X[1], 1.7))


def test_unit_gains_by_hand():
    """One gain per unit: g = exp(B2 relu(B1 ln sigma + c1) + c2), D = W (g * relu(W^T x)) + s x."""
    m = ToyDiffusionDenoiser(3, 2, hidden=2, seed=0)
    assert m.gain_kind == "unit" and m.mlp[2].weight.shape == (2, 2)
    B1, c1 = np.array([[1.0], [-2.0]]), np.array([0.5, 0.1])
    B2, c2 = np.array([[0.3, -0.2], [-0.4, 0.6]]), np.array([0.1, -0.3])
    W = np.array([[1.0, -0.5], [0.0, 2.0], [0.5, 1.0]])
    with torch.no_grad():
        m.W.copy_(torch.tensor(W))
        m.skip.fill_(-0.1)
        m.mlp[0].weight.copy_(torch.tensor(B1))
        m.mlp[0].bias.copy_(torch.tensor(c1))
        m.mlp[2].weight.copy_(torch.tensor(B2))
        m.mlp[2].bias.copy_(torch.tensor(c2))
    x, sigma = np.array([1.0, 1.0, 2.0]), 0.3
    g = np.exp(B2 @ np.maximum(B1[:, 0] * math.log(sigma) + c1, 0.0) + c2)
    r = np.maximum(W.T @ x, 0.0)  # both units active
    D = W @ (g * r) - 0.1 * x
    xt = torch.tensor(x, dtype=torch.float32)
    np.testing.assert_allclose(m.gain(sigma).numpy(), g, rtol=1e-5)
    np.testing.assert_allclose(m.representation(xt).detach().numpy(), r, rtol=1e-6)
    np.testing.assert_allclose(m(xt, sigma).detach().numpy(), D, rtol=1e-5)
    assert not np.allclose(g[0], g[1])  # the units' gains differ


class _OfficialDAECond(torch.nn.Module):
    """The official notebook's toy model, transcribed: W is a (p, d) bias-free Linear (rows are the
    units), the time MLP gives one gain per unit, rep() leaves the gain out."""

    def __init__(self, d, p):
        super().__init__()
        self.W = torch.nn.Linear(d, p, bias=False)
        self.time_mlp = torch.nn.Sequential(
            torch.nn.Linear(1, 256), torch.nn.ReLU(), torch.nn.Linear(256, p)
        )
        self.skip = torch.nn.Parameter(torch.tensor(0.0))

    def forward(self, x_t, sigma):
        s = torch.log(sigma).view(-1, 1)
        h = torch.relu(self.W(x_t)) * torch.exp(self.time_mlp(s))
        return h @ self.W.weight + self.skip * x_t

    def rep(self, x_t):
        return torch.relu(self.W(x_t))


def test_unit_gain_model_is_the_official_daecond():
    d, p = 6, 9
    m = ToyDiffusionDenoiser(d, p, seed=3)
    with torch.no_grad():  # a non-trivial time MLP output layer and skip
        m.mlp[2].weight.copy_(0.1 * torch.randn(p, 256, generator=torch.Generator().manual_seed(1)))
        m.mlp[2].bias.copy_(0.05 * torch.arange(p, dtype=torch.float32))
        m.skip.fill_(0.2)
    ref = _OfficialDAECond(d, p)
    with torch.no_grad():
        ref.W.weight.copy_(m.W.T)
        ref.time_mlp[0].load_state_dict(m.mlp[0].state_dict())
        ref.time_mlp[2].load_state_dict(m.mlp[2].state_dict())
        ref.skip.copy_(m.skip)
    x = torch.randn(7, d, generator=torch.Generator().manual_seed(2))
    sig = torch.tensor([0.02, 0.1, 0.3, 0.5, 1.0, 1.5, 2.0])
    torch.testing.assert_close(m(x, sig), ref(x, sig))
    torch.testing.assert_close(m.representation(x), ref.rep(x))
    # a fresh model: every gain is 1 (zero-initialised last layer)
    torch.testing.assert_close(ToyDiffusionDenoiser(d, p).gain(0.7), torch.ones(p))


@pytest.mark.parametrize("gain", ["unit", "scalar"])
def test_fixed_sigma_is_a_relu_dae_plus_skip(gain):
    """At a fixed sigma: encoder W, decoder W diag(g(sigma)), plus s I."""
    m = ToyDiffusionDenoiser(6, 5, gain=gain, seed=1)
    with torch.no_grad():
        m.skip.fill_(0.3)
        m.mlp[2].bias.copy_(torch.linspace(-0.4, 0.4, m.mlp[2].bias.numel()))
    sigma = 0.7
    g = m.gain(sigma) * torch.ones(5)
    dae = ReLUDAE.from_weights(m.W.detach(), m.W.detach() * g)
    y = torch.randn(10, 6, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(m(y, sigma), dae(y) + 0.3 * y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("gain", ["unit", "scalar"])
def test_positive_homogeneity_and_the_gain_weighted_norm(gain):
    """D(c x; sigma) = c D(x; sigma), r(c x) = c r(x) for c > 0, and
    x^T (D(x; sigma) - s x) = sum_j g_j(sigma) r_j(x)^2 (a(sigma) ||r||^2 for the scalar gain)."""
    m = ToyDiffusionDenoiser(8, 16, gain=gain, seed=2)
    with torch.no_grad():
        m.skip.fill_(-0.2)
        m.mlp[2].bias.copy_(torch.linspace(-0.3, 0.5, m.mlp[2].bias.numel()))
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    for c in (0.1, 3.0):
        torch.testing.assert_close(m(c * x, 0.3), c * m(x, 0.3))
        torch.testing.assert_close(m.representation(c * x), c * m.representation(x))
    r = m.representation(x)
    g = (m.gain(0.3) * torch.ones(16)).double()
    lhs = (x * (m(x, 0.3) - m.skip.double() * x)).sum(1)
    torch.testing.assert_close(lhs.detach(), (g * r.pow(2)).sum(1).detach(), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(m.gated(x, 0.3), g * r)


def test_x0_loss_matches_its_definition_and_autograd():
    m = ToyDiffusionDenoiser(4, 6, seed=0)
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(7, 4, generator=g), torch.randn(7, 4, generator=g)
    sig = log_uniform_sigmas(7, 0.02, 2.0, generator=g)
    loss = x0_loss(m, x0, sig, eps)
    with torch.no_grad():
        by_hand = (
            sum(
                float(((m(x0[b] + sig[b] * eps[b], float(sig[b])) - x0[b]) ** 2).sum())
                for b in range(7)
            )
            / 7
        )
    assert float(loss.detach()) == pytest.approx(by_hand, rel=1e-5)
    # the gradient of the loss with respect to the skip is 2 mean_b (D_b - x0_b) . x_b
    # (one-parameter oracle)
    (gs,) = torch.autograd.grad(loss, [m.skip])
    x = x0 + sig[:, None] * eps
    expected = 2 * ((m(x, sig) - x0) * x).sum(1).mean()
    assert float(gs) == pytest.approx(float(expected.detach()), rel=1e-4)


def test_sample_sigmas_is_log_uniform():
    s = log_uniform_sigmas(20000, 0.02, 2.0, generator=torch.Generator().manual_seed(0))
    assert float(s.min()) >= 0.02 and float(s.max()) <= 2.0
    u = (torch.log(s) - math.log(0.02)) / (math.log(2.0) - math.log(0.02))
    for q in (0.1, 0.5, 0.9):  # uniform quantiles of the log
        assert float(torch.quantile(u, q)) == pytest.approx(q, abs=0.015)


def test_record_trajectory_follows_the_callback_contract():
    m = ToyDiffusionDenoiser(4, 8, seed=0)
    sigmas = sigma_schedule(6, 2.0, 0.02)
    x = 2.0 * torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    rec = record_trajectory(m, x, sigmas, generator=torch.Generator().manual_seed(1), keep=[0, 3])
    assert (
        rec["x"].shape == (6, 2, 4) and rec["h"].shape == (6, 2, 8) and rec["std"].shape == (6, 5)
    )
    torch.testing.assert_close(rec["sigma"], sigmas[:-1].double())
    torch.testing.assert_close(rec["x"][0], x[[0, 3]])
    for t in (0, 5):  # every recorded h and D is the model's at that step's x and sigma
        torch.testing.assert_close(rec["h"][t], m.representation(rec["x"][t]))
        torch.testing.assert_close(rec["denoised"][t], m(rec["x"][t], float(rec["sigma"][t])))
    torch.testing.assert_close(rec["final"][[0, 3]], rec["denoised"][-1])  # the last step returns D
    # the same as calling the sampler directly with the same generator
    direct = sample_ve_ancestral(m, x, sigmas, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(rec["final"], direct)
    pf = record_trajectory(m, x, sigmas, sampler="probability_flow", keep=[])
    assert pf["x"].shape == (6, 0, 4) and pf["final"].shape == (5, 4)


def test_a_model_trained_on_two_points_reproduces_them():
    X = torch.zeros(2, 8)
    X[0, :4], X[1, 4:] = 1.0, -1.0  # orthogonal
    X[1, 0] = -0.5  # x_0 . x_1 < 0: a ReLU unit storing one point is silent on the other
    m = ToyDiffusionDenoiser(8, 16, seed=0)
    train_diffusion(
        m, X, optimizer="adam", lr=1e-2, lr_final=1e-3, weight_decay=0.0, steps=600, batch_size=16
    )
    x = 2.0 * torch.randn(40, 8, generator=torch.Generator().manual_seed(1))
    out = sample_ve_ancestral(m, x, sigma_schedule(60), generator=torch.Generator().manual_seed(2))
    stats = copy_statistics(out, X)
    assert float(stats["cosine"].median()) > 0.99
    assert copy_fraction(out, X) >= 0.9
    assert set(stats["index"].tolist()) == {0, 1}  # both points come back


def test_copy_statistics_by_hand():
    X = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    Y = torch.tensor(
        [[3.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    )  # a scaled copy of x_0; halfway between x_0 and x_1
    s = copy_statistics(Y, X)
    assert s["index"][0] == 0 and float(s["ratio"][0]) == pytest.approx(0.0, abs=1e-6)
    assert float(s["cosine"][0]) == pytest.approx(1.0)
    assert float(s["ratio"][1]) == pytest.approx(1.0) and float(s["cosine"][1]) == pytest.approx(
        2**-0.5
    )
    assert copy_fraction(Y, X) == 0.5


@pytest.mark.parametrize("gain", ["unit", "scalar"])
def test_checkpoint_roundtrip_and_checksum(tmp_path, gain):
    m = ToyDiffusionDenoiser(5, 7, gain=gain, hidden=3, seed=4)
    with torch.no_grad():
        m.mlp[2].bias.copy_(torch.linspace(-0.2, 0.2, m.mlp[2].bias.numel()))
    path = tmp_path / "m.pt"
    digest = save_checkpoint(m, path)
    assert digest == sha256_file(path) and len(digest) == 64
    back = load_checkpoint(path, digest)
    assert back.gain_kind == gain and back.hidden == 3
    x = torch.randn(3, 5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(back(x, 0.3), m(x, 0.3))
    with pytest.raises(
        ChecksumError, match="checksum mismatch for .*m.pt: expected sha256 0+, got"
    ):
        load_checkpoint(path, "0" * 64)
    with pytest.raises(ValueError, match="path must be an existing checkpoint file"):
        load_checkpoint(tmp_path / "missing.pt")


def test_a_checkpoint_without_the_gain_entry_is_a_scalar_gain_model(tmp_path):
    m = ToyDiffusionDenoiser(4, 3, gain="scalar", seed=0)
    path = tmp_path / "old.pt"
    save_checkpoint(m, path)
    state = torch.load(path, weights_only=True)
    state["config"] = state["config"][:3]  # the format of the first shipped files
    torch.save(state, path)
    back = load_checkpoint(path)
    assert back.gain_kind == "scalar"
    x = torch.randn(2, 4, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(back(x, 0.5), m(x, 0.5))


def test_shipped_checkpoints_match_their_checksums():
    from memgen.experiments import ch06_diffusion as ed

    if not (ed.CHECKPOINT_DIR / "SHA256SUMS").is_file():
        pytest.skip("no shipped checkpoints")
    sums = ed.read_checksums()
    assert set(sums) == {
        "mem.pt",
        "gen.pt",
        "training.json",
        "mem_scalar.pt",
        "gen_scalar.pt",
        "training_scalar.json",
    }
    for name, h in sums.items():
        assert sha256_file(ed.CHECKPOINT_DIR / name) == h, name
    for variant, gain in (("unit", "unit"), ("scalar", "scalar")):
        models = ed.load_models(variant=variant)
        m = models["mem"]["model"]
        assert m.p == ed.CH6.p and m.gain_kind == gain
        assert models["mem"]["X"].shape == (ed.CH6.mem.n, 64)


def test_validation():
    with pytest.raises(ValueError, match="d must be an integer >= 1, got 0"):
        ToyDiffusionDenoiser(0)
    m = ToyDiffusionDenoiser(3, 4)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        m(torch.zeros(3), 0.0)
    with pytest.raises(ValueError, match="sigma must be a float or a tensor of shape \\(2,\\)"):
        m(torch.zeros(2, 3), torch.tensor([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="x must have last dimension 3"):
        m(torch.zeros(2, 4), 0.5)
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; choose one of: adam, rmsprop"):
        train_diffusion(m, torch.zeros(2, 3), optimizer="sgd")
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        train_diffusion(m, torch.zeros(2, 3), steps=0)
    with pytest.raises(ValueError, match="sigma_max must be >= 0.5"):
        log_uniform_sigmas(3, 0.5, 0.1)
    with pytest.raises(ValueError, match="number of rows of X must be an integer >= 2"):
        copy_statistics(torch.zeros(1, 3), torch.ones(1, 3))
    with pytest.raises(ValueError, match="unknown sampler 'ddim'"):
        record_trajectory(m, torch.zeros(2, 3), sigma_schedule(3), sampler="ddim")
    with pytest.raises(ValueError, match="keep must be a list of row indices in 0..1"):
        record_trajectory(m, torch.zeros(2, 3), sigma_schedule(3), keep=[2])
    with pytest.raises(ValueError, match="max_ratio must be > 0.0 and <= 1.0"):
        copy_fraction(torch.ones(1, 3), torch.eye(3), max_ratio=0)
    with pytest.raises(ValueError, match="model must be a ToyDiffusionDenoiser"):
        x0_loss(ReLUDAE(3, 2), torch.zeros(1, 3), torch.ones(1), torch.zeros(1, 3))


def test_spread_statistics_closed_forms():
    """a on k of p units: std = a sqrt(k (p - k)) / p, participation ratio k, cv sqrt(p / k - 1);
    std = ||r|| std_equal_size and std_equal_size = sqrt(p - pr) / p for any non-negative r."""
    from memgen.experiments.ch06_diffusion import spread_statistics

    p, a = 12, 1.7
    r = torch.zeros(3, p, dtype=torch.float64)
    for i, k in enumerate((1, 4, 12)):
        r[i, :k] = a
    zero = torch.zeros(1, p, dtype=torch.float64)
    st = spread_statistics(torch.cat([r, zero]))  # the zero row is dropped
    k = torch.tensor([1.0, 4.0, 12.0], dtype=torch.float64)
    torch.testing.assert_close(st["std"], a * torch.sqrt(k * (p - k)) / p)
    torch.testing.assert_close(st["pr"], k)
    torch.testing.assert_close(st["cv"][:2], torch.sqrt(p / k[:2] - 1))
    rr = torch.rand(20, p, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    rr[rr < 0.5] = 0
    st = spread_statistics(rr)
    torch.testing.assert_close(st["std"], st["norm"] * st["std_equal_size"])
    torch.testing.assert_close(st["std_equal_size"], torch.sqrt(p - st["pr"]) / p)


def test_std_diagnosis_against_homogeneity():
    # r(x / ||x||) = r(x) / ||x|| for this bias-free representation: recompute the unit-norm std
    # that way, and the raw std ratio from the sampler's own record
    from memgen.experiments import ch06_diffusion as ed
    from memgen.stats import unit_std

    r, samp, models = ed.ch6_std_diagnosis(), ed.ch6_sampling(), ed.ch6_models()
    for kind in ("mem", "gen"):
        x = samp[kind]["traj"]["final"]
        with torch.no_grad():
            h = models[kind]["model"].representation(x)
        assert abs(float((unit_std(h) / x.norm(dim=1)).mean()) - r[kind]["std_unit"]) < 1e-5
        assert r[kind]["cv"] > 0 and r[kind]["std"] > 0 and 1 <= r[kind]["pr"] <= r[kind]["active"]
    assert abs(r["std_ratio"] - samp["std_ratio"]) < 0.05  # the final iterate vs the final sample
    # the equal-size ratio cannot exceed the bound that shape alone allows
    assert r["std_equal_size_ratio"] <= r["equal_size_bound"]
