"""The ReLU DAE: shapes, tied weights, the penalty convention, and the closed-form Jacobian against
torch autograd (the oracle)."""

import pytest
import torch

from memgen.dae import ReLUDAE


def test_shapes_and_forward_formula():
    m = ReLUDAE(6, 4, seed=1)
    assert m.W1.shape == (6, 4) and m.W2.shape == (6, 4) and m.W1.dtype == torch.float32
    x = torch.randn(3, 5, 6, generator=torch.Generator().manual_seed(0))
    h = m.representation(x)
    assert h.shape == (3, 5, 4) and bool((h >= 0).all())
    assert m(x).shape == (3, 5, 6)
    x1 = x[0, 0]
    expected = m.W2 @ torch.clamp(m.W1.T @ x1, min=0)
    torch.testing.assert_close(m(x1), expected)
    assert {n for n, _ in m.named_parameters()} == {"W1", "W2"}


def test_seeded_init_and_default_scale():
    a, b = ReLUDAE(400, 50, seed=3), ReLUDAE(400, 50, seed=3)
    assert torch.equal(a.W1, b.W1) and torch.equal(a.W2, b.W2)
    assert not torch.equal(a.W1, ReLUDAE(400, 50, seed=4).W1)
    assert abs(float(a.W1.detach().std()) - 400**-0.5) < 0.1 * 400**-0.5  # N(0, 1/d)
    assert float(ReLUDAE(5, 3, init_scale=0.0).W1.detach().abs().max()) == 0.0


def test_tied_shares_one_parameter():
    m = ReLUDAE(5, 3, tied=True)
    assert m.W1 is m.W2
    assert m.W1.data_ptr() == m.W2.data_ptr()
    assert [n for n, _ in m.named_parameters()] == ["W1"]
    with torch.no_grad():
        m.W1[0, 0] = 7.0
    assert float(m.W2[0, 0].detach()) == 7.0
    # the book's single convention: lam (||W1||^2 + ||W2||^2) = 2 lam ||W||^2 for tied
    torch.testing.assert_close(m.weight_penalty(), 2 * m.W1.pow(2).sum())


def test_weight_penalty_untied():
    m = ReLUDAE(5, 3)
    torch.testing.assert_close(m.weight_penalty(), m.W1.pow(2).sum() + m.W2.pow(2).sum())


def test_from_weights():
    W1, W2 = torch.randn(4, 2), torch.randn(4, 2)
    m = ReLUDAE.from_weights(W1, W2)
    assert not m.tied and torch.equal(m.W1.detach(), W1) and torch.equal(m.W2.detach(), W2)
    W1[0, 0] += 1  # a copy, not a view
    assert not torch.equal(m.W1.detach(), W1)
    t = ReLUDAE.from_weights(W1)
    assert t.tied and t.W1 is t.W2
    with pytest.raises(ValueError, match=r"W2 must have the shape of W1 \(4, 2\)"):
        ReLUDAE.from_weights(W1, torch.randn(4, 3))


@pytest.mark.parametrize("tied", [False, True])
def test_jacobian_matches_autograd(tied):
    d, p = 7, 5
    m = ReLUDAE(d, p, tied=tied, seed=2)
    g = torch.Generator().manual_seed(0)
    Y = torch.randn(4, d, generator=g)
    J = m.jacobian(Y)
    assert J.shape == (4, d, d)
    for b in range(4):
        oracle = torch.autograd.functional.jacobian(m, Y[b])
        torch.testing.assert_close(J[b], oracle, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(m.jacobian(Y[b]), oracle, atol=1e-5, rtol=1e-5)
    assert m.jacobian(Y[0]).shape == (d, d)


def test_jacobian_of_single_active_unit_is_rank_one():
    x = torch.tensor([3.0, 0.0, 4.0])
    m = ReLUDAE.from_weights((x / 5).reshape(3, 1))  # tied, one unit storing x
    J = m.jacobian(x)
    torch.testing.assert_close(J, torch.outer(x, x) / 25)
    assert int(torch.linalg.matrix_rank(J)) == 1
    assert float(m.jacobian(-x).detach().abs().max()) == 0.0  # inactive unit: zero Jacobian


def test_bad_inputs():
    with pytest.raises(ValueError, match="d must be an integer >= 1, got 0"):
        ReLUDAE(0, 3)
    with pytest.raises(ValueError, match="p must be an integer >= 1, got -2"):
        ReLUDAE(3, -2)
    with pytest.raises(ValueError, match="init_scale must be >= 0"):
        ReLUDAE(3, 2, init_scale=-1.0)
    m = ReLUDAE(3, 2)
    with pytest.raises(ValueError, match=r"x must have last dimension 3, got shape \(2, 4\)"):
        m(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="x must not contain NaN or inf"):
        m.representation(torch.tensor([1.0, float("nan"), 0.0]))
    with pytest.raises(ValueError, match=r"y must be 1-D or 2-D"):
        m.jacobian(torch.zeros(1, 1, 3))
