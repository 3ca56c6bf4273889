"""The shared validators: canonical values out, messages that name the argument and the range."""

import numpy as np
import pytest
import torch

from memgen._checks import check_choice, check_float, check_int, check_tensor, make_generator


def test_check_int_accepts_integers():
    assert check_int("n", 3, 1) == 3
    assert check_int("n", np.int64(5), 0, 10) == 5
    assert check_int("n", torch.tensor(2)) == 2
    assert type(check_int("n", np.int32(4))) is int


@pytest.mark.parametrize("value", [0, -3])
def test_check_int_message_names_argument_and_bound(value):
    with pytest.raises(ValueError, match=rf"^n must be an integer >= 1, got {value}$"):
        check_int("n", value, 1)


@pytest.mark.parametrize("value", [1.5, "3", True, None])
def test_check_int_rejects_non_integers(value):
    with pytest.raises(ValueError, match="n must be an integer"):
        check_int("n", value, 1)


def test_check_int_range_message():
    with pytest.raises(ValueError, match=r"k must be an integer >= 1 and <= 9, got 10"):
        check_int("k", 10, 1, 9)


def test_check_float():
    assert check_float("sigma", 1, 0.0) == 1.0
    assert check_float("sigma", torch.tensor(0.5), 0.0) == 0.5
    with pytest.raises(ValueError, match=r"^sigma must be >= 0.0, got -1.0$"):
        check_float("sigma", -1.0, 0.0)
    with pytest.raises(ValueError, match=r"lr must be > 0.0, got 0.0"):
        check_float("lr", 0.0, 0.0, min_exclusive=True)
    with pytest.raises(ValueError, match="sigma must be a finite number"):
        check_float("sigma", float("nan"))
    with pytest.raises(ValueError, match="sigma must be a finite number"):
        check_float("sigma", float("inf"))
    assert check_float("sigma", float("inf"), allow_inf=True) == float("inf")
    with pytest.raises(ValueError, match="sigma must be a real number"):
        check_float("sigma", "big")


def test_check_tensor_converts_and_keeps_graph():
    t = check_tensor("x", np.arange(6).reshape(2, 3), ndim=2, last_dim=3)
    assert t.dtype == torch.float32 and t.shape == (2, 3)
    y = torch.ones(3, dtype=torch.float64, requires_grad=True)
    assert check_tensor("y", y, dtype=None).dtype == torch.float64
    z = check_tensor("y", y)
    assert z.dtype == torch.float32 and z.requires_grad
    assert check_tensor("x", [[1, 2]], dtype=None).dtype == torch.float32


def test_check_tensor_errors():
    with pytest.raises(ValueError, match=r"x must be 2-D, got shape \(3,\)"):
        check_tensor("x", torch.zeros(3), ndim=2)
    with pytest.raises(ValueError, match=r"x must be 1-D or 2-D"):
        check_tensor("x", torch.zeros(1, 1, 1), ndim=(1, 2))
    with pytest.raises(ValueError, match=r"x must have last dimension 4, got shape \(2, 3\)"):
        check_tensor("x", torch.zeros(2, 3), last_dim=4)
    with pytest.raises(ValueError, match="x must not contain NaN or inf"):
        check_tensor("x", torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="x must not contain NaN or inf"):
        check_tensor("x", np.array([np.inf]))
    assert check_tensor("x", [float("nan")], finite=False).isnan().all()
    with pytest.raises(ValueError, match="x must hold real numbers"):
        check_tensor("x", torch.tensor([True]))
    with pytest.raises(ValueError, match="x must be a tensor or array of numbers"):
        check_tensor("x", {"a": 1})


def test_check_choice():
    assert check_choice("optimizer", "ADAM", ["sgd", "adam"], case_insensitive=True) == "adam"
    with pytest.raises(ValueError, match=r"^unknown optimizer 'foo'; choose one of: sgd, adam$"):
        check_choice("optimizer", "foo", ["sgd", "adam"])
    with pytest.raises(ValueError, match="unknown optimizer 'ADAM'"):
        check_choice("optimizer", "ADAM", ["sgd", "adam"])


def test_make_generator_is_seeded_and_leaves_global_rng_alone():
    state = torch.get_rng_state()
    a = torch.randn(3, generator=make_generator(7))
    b = torch.randn(3, generator=make_generator(7))
    assert torch.equal(a, b)
    assert torch.equal(state, torch.get_rng_state())
    g = torch.Generator()
    assert make_generator(0, g) is g and make_generator(g) is g
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        make_generator(-1)
    with pytest.raises(ValueError, match="generator must be a torch.Generator"):
        make_generator(0, generator=3)
