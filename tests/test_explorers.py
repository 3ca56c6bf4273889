"""The DAE explorer: its state (shapes, theory agreement in the memorization regime), input
validation, and that moving a slider retrains. The figure is drawn to Agg, never shown."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from memgen.linear import memorization_gain  # noqa: E402
from memgen.views.explorers import dae_explorer, dae_explorer_state, draw_dae_state  # noqa: E402

STATE_KEYS = {
    "dataset",
    "n",
    "p",
    "sigma",
    "lam",
    "steps",
    "seed",
    "regime",
    "model",
    "x_train",
    "x_unseen",
    "image_shape",
    "W1",
    "W2",
    "final_loss",
    "train_seconds",
    "units",
    "unit_cos",
    "h_train",
    "h_unseen",
    "share_train",
    "std_train",
    "share_unseen",
    "std_unseen",
    "mean_share_train",
    "silent_train",
    "theory",
    "seconds",
}


@pytest.fixture(autouse=True)
def _quiet_show():
    # plt.show() under Agg warns that it cannot show; the Output widget just captures nothing
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-interactive.*")
        yield
    plt.close("all")


def test_explorer_returns_vbox_with_state():
    import ipywidgets as widgets

    box = dae_explorer(n=6, p=8, steps=150)
    assert isinstance(box, widgets.VBox)
    s = box.state
    assert STATE_KEYS <= set(s)
    assert s["x_train"].shape == (6, 64) and s["x_unseen"].shape == (64,)
    assert s["W1"].shape == (64, 8) and s["W2"].shape == (64, 8) and s["model"].p == 8
    assert s["h_train"].shape == (8,) and s["h_unseen"].shape == (8,)
    assert s["units"].shape == (8,) and s["unit_cos"].shape == (8,)
    assert np.all(np.abs(s["unit_cos"]) <= 1 + 1e-5)
    assert 0 <= s["share_train"] <= 1 and 0 <= s["mean_share_train"] <= 1
    assert s["regime"] == "memorization" and s["theory"]["kind"] == "gain"
    assert s["theory"]["learned"].shape == (6,) and s["theory"]["predicted"].shape == (6,)
    # the unseen input is not one of the training samples
    assert not any(np.allclose(s["x_unseen"].numpy(), x) for x in s["x_train"].numpy())


@pytest.mark.parametrize(
    "dataset, n, p, d", [("digits", 12, 4, 64), ("gmm", 10, 4, 16), ("faces", 3, 4, 625)]
)
def test_state_shapes_per_dataset_and_regime(dataset, n, p, d):
    s = dae_explorer_state(dataset, n, p, 0.2, 0.1, 60, 0)
    assert s["x_train"].shape == (n, d) and s["W1"].shape == (d, p)
    assert s["units"].shape == (min(8, p),)
    th = s["theory"]
    if p < n:
        assert s["regime"] == "linear" and th["kind"] == "eig"
        k = min(d, p + 4)
        assert th["learned"].shape == th["predicted"].shape == th["jacobian"].shape == (k,)
        assert np.all(np.diff(th["predicted"]) <= 1e-9)  # sorted descending
        assert np.count_nonzero(th["predicted"] > 1e-9) <= (2 * p if dataset == "gmm" else p)
    else:
        assert th["kind"] == "gain" and th["learned"].shape == (n,)
    fig = draw_dae_state(s)
    fig.canvas.draw()
    plt.close(fig)


def test_images_are_centred_by_the_full_dataset_mean():
    from memgen.data import load_digits

    s = dae_explorer_state("digits", 5, 6, 0.2, 0.1, 5, 3)
    full = load_digits()
    centred = full.x - full.x.mean(0)
    rows = [int(((centred - x) ** 2).sum(1).argmin()) for x in s["x_train"]]
    assert np.allclose(centred[rows].numpy(), s["x_train"].numpy())


def test_memorization_gains_match_theory():
    # p >= n on 4 centred digits (nearly separable in 64-d): each sample gets its own unit(s) and
    # the learned gain u_i^T J(x_i) u_i matches m_i = (||x_i||^2 - n lam) / (||x_i||^2 + sigma^2).
    # Checked before asserting: seeds 0..3 give |learned - m_i| < 0.003 (m_i ~ 0.97).
    s = dae_explorer_state("digits", 4, 8, 0.2, 0.1, 1500, 0)
    th = s["theory"]
    m = memorization_gain((s["x_train"] ** 2).sum(1), 4, 0.2, 0.1).numpy()
    np.testing.assert_allclose(th["predicted"], m, rtol=1e-5)
    rel = np.abs(th["learned"] - m) / m
    assert np.mean(rel <= 0.10) >= 0.75, rel
    assert th["frac_within_10pct"] >= 0.75
    assert s["mean_share_train"] > 2.0 / s["p"]  # spiky: far above the balanced 1/p


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n": 0}, "n"),
        ({"p": -1}, "p"),
        ({"dataset": "cifar"}, "dataset"),
        ({"sigma": -0.1}, "sigma"),
        ({"dataset": "faces", "n": 100}, "n"),
        ({"lam": -1.0}, "lam"),
        ({"steps": 0}, "steps"),
        ({"n": 2.5}, "n"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(kwargs, name):
    args = {
        "dataset": "digits",
        "n": 4,
        "p": 4,
        "sigma": 0.2,
        "lam": 0.1,
        "steps": 5,
        "seed": 0,
        **kwargs,
    }
    with pytest.raises(ValueError, match=name):
        dae_explorer_state(**args)
    with pytest.raises(ValueError, match=name):
        dae_explorer(**args)


def test_explorer_rejects_lam_zero_for_its_log_slider():
    with pytest.raises(ValueError, match="lam"):
        dae_explorer(lam=0.0, steps=5)


def test_moving_a_slider_retrains():
    box = dae_explorer(n=4, p=6, steps=40)
    first = box.state
    box.controls["p"].value = 10
    assert (
        box.state is not first and box.state["model"].p == 10 and box.state["W1"].shape == (64, 10)
    )
    box.controls["n"].value = 16
    assert box.state["n"] == 16 and box.state["regime"] == "linear"
    box.controls["log_sigma"].value = -0.5
    assert box.state["sigma"] == pytest.approx(10**-0.5)
    box.controls["dataset"].value = "gmm"
    assert box.state["x_train"].shape == (16, 16) and box.state["image_shape"] is None


def test_slider_to_an_impossible_n_reports_instead_of_raising():
    box = dae_explorer(dataset="faces", n=4, p=4, steps=20)
    box.controls["n"].value = 128  # faces have 99 training candidates
    assert box.state is None
    assert "n must be" in box.children[2].value


def test_statistical_panels_draw_with_seaborn(monkeypatch):
    """The explorer's bar charts of h (and the heat map of encoder columns for non-image data)
    are seaborn plots: seaborn is a dependency that does work, not only a declaration."""
    import seaborn as sns

    calls = []
    for name in ("barplot", "heatmap"):
        original = getattr(sns, name)
        monkeypatch.setattr(
            sns, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k)
        )
    s = dae_explorer_state(dataset="gmm", n=6, p=8, steps=60)
    fig = draw_dae_state(s)
    assert calls.count("barplot") == 2 and calls.count("heatmap") == 1
    bars = [p for p in fig.axes[1].patches]
    assert len(bars) == s["p"]
    assert np.allclose(
        sorted(b.get_height() for b in bars), sorted(np.asarray(s["h_train"])), atol=1e-6
    )
    plt.close(fig)
