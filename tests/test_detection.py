"""memgen.detection: spikiness score, its baselines (Wen, LID), copy labelling, guidance and
steering.

Every value is checked against an independent computation (hand-registered hooks, numpy, autograd,
hand-made examples) on a tiny class-conditional UNet (8x8 images, 8/16 channels).
"""

import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from memgen.detection import (
    add_to_outputs,
    capture,
    guided,
    lid_estimate,
    lid_score,
    nearest_training_ratio,
    pool_features,
    pooled_representation,
    pooled_statistics,
    renoise,
    representation_std,
    spikiness_score,
    steer,
    steering_direction,
    time_per_sample,
    wen_score,
)
from memgen.sampling import sample_probability_flow, sigma_schedule
from memgen.unet import Denoiser, UNetConfig, build_unet

CFG_COND = UNetConfig(image_size=8, block_out_channels=(8, 16), norm_num_groups=4, num_classes=3)
LAYER = "up_blocks.0.resnets.1"  # the default layer: 16 channels at 4x4


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscription stalls on busy machines (restored
    after)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Denoiser(build_unet(CFG_COND), CFG_COND).eval()


@pytest.fixture(scope="module")
def x():
    return torch.randn(3, 64, generator=torch.Generator().manual_seed(1))


def _noise(x, sigma, seed):
    """The seeded noising the module documents: x + sigma * randn from a generator seeded with
    seed."""
    return x + sigma * torch.randn(
        x.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype
    )


def _record(model, layer, fn):
    """Run fn() with a hand-registered forward hook on ``layer``; return every recorded output."""
    outs = []
    h = model.unet.get_submodule(layer).register_forward_hook(
        lambda m, i, o: outs.append(o.detach().clone())
    )
    try:
        with torch.no_grad():
            fn()
    finally:
        h.remove()
    return outs


# ------------------------------------------------------------------------------ capture and pooling


def test_capture_equals_hand_hook_and_removes_itself(model, x):
    """capture records the layer's output as a plain forward hook does, and unregisters on exit."""
    mod = model.unet.get_submodule(LAYER)
    n_hooks = len(mod._forward_hooks)
    outs = _record(model, LAYER, lambda: model(x, 0.1))
    with torch.no_grad(), capture(model, LAYER) as box:
        model(x, 0.1)
        assert len(mod._forward_hooks) == n_hooks + 1
    assert len(mod._forward_hooks) == n_hooks
    assert len(outs) == 1 and box["out"].shape == (3, 16, 4, 4)
    assert torch.equal(box["out"], outs[0])


def test_capture_keeps_the_last_call_of_a_reused_module(model, x):
    """The resnet's SiLU is called several times per pass (norm1 path, time embedding, norm2 path):
    capture keeps the last call, which is SiLU(norm2(...))."""
    layer = LAYER + ".nonlinearity"
    calls = _record(model, layer, lambda: model(x, 0.1))
    norm2 = _record(model, LAYER + ".norm2", lambda: model(x, 0.1))
    assert len(calls) >= 2
    with torch.no_grad(), capture(model, layer) as box:
        model(x, 0.1)
    assert torch.equal(box["out"], calls[-1])
    assert not torch.equal(box["out"], calls[0]) or calls[0].shape != box["out"].shape
    assert torch.allclose(box["out"], torch.nn.functional.silu(norm2[0]), atol=1e-6)


def test_capture_keeps_the_last_forward_pass(model, x):
    """With two forward passes inside the block, "out" holds the second one."""
    with torch.no_grad(), capture(model, LAYER) as box:
        model(x, 0.1)
        first = box["out"].clone()
        model(2 * x, 0.1)
    outs = _record(model, LAYER, lambda: model(2 * x, 0.1))
    assert torch.equal(box["out"], outs[0]) and not torch.equal(box["out"], first)


def test_pool_features_by_hand():
    """max / mean pooling over space of a hand-built feature map."""
    feat = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    feat[1, 2, 0, 1] = 100.0
    assert torch.equal(pool_features(feat, "max"), torch.tensor([[3.0, 7, 11], [15, 19, 100]]))
    assert torch.allclose(
        pool_features(feat, "mean"),
        torch.tensor([[1.5, 5.5, 9.5], [13.5, 17.5, (20 + 100 + 22 + 23) / 4]]),
    )
    with pytest.raises(ValueError, match="feat"):
        pool_features(feat[0], "max")


@pytest.mark.parametrize(
    "layer",
    [
        LAYER,
        LAYER + ".nonlinearity",
        "mid_block.resnets.0",
        "down_blocks.1.resnets.0",
        "up_blocks.1.resnets.0",
    ],
)
@pytest.mark.parametrize("pool", ["max", "mean"])
def test_pooled_representation_matches_hand_hook(model, x, layer, pool):
    """pooled_representation = amax / mean over (2, 3) of the layer's (last) output on the seeded
    noised input, unconditional pass; shape (B, C)."""
    sigma, seed = 0.2, 5
    outs = _record(model, layer, lambda: model(_noise(x, sigma, seed), sigma, None))
    feat = outs[-1]
    expect = feat.amax(dim=(2, 3)) if pool == "max" else feat.mean(dim=(2, 3))
    v = pooled_representation(model, x, sigma=sigma, layer=layer, pool=pool, seed=seed)
    assert v.shape == (3, feat.shape[1])
    assert torch.allclose(v, expect, atol=1e-6)


def test_pooled_representation_with_class_labels(model, x):
    """class_labels is passed to the denoiser; the null label equals None (the empty prompt)."""
    labels = torch.tensor([0, 1, 2])
    outs = _record(model, LAYER, lambda: model(_noise(x, 0.1, 0), 0.1, labels))
    v = pooled_representation(model, x, class_labels=labels)
    assert torch.allclose(v, outs[0].amax(dim=(2, 3)), atol=1e-6)
    assert torch.allclose(
        pooled_representation(model, x, class_labels=CFG_COND.null_label),
        pooled_representation(model, x),
        atol=1e-6,
    )
    assert not torch.allclose(v, pooled_representation(model, x), atol=1e-4)


def test_noise_is_seeded_and_leaves_global_rng_alone(model, x):
    """Same seed -> same result, other seed -> different; the global RNG state is untouched."""
    state = torch.get_rng_state()
    a = pooled_representation(model, x, seed=3)
    b = pooled_representation(model, x, seed=3)
    c = pooled_representation(model, x, seed=4)
    r = renoise(x, 0.5, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a, b) and not torch.allclose(a, c)
    assert torch.equal(r, _noise(x, 0.5, 3))


# ------------------------------------------------------------------------------ the spikiness score


def test_representation_std_is_numpy_population_std():
    """Row-wise std with ddof = 0."""
    v = torch.randn(5, 17, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert np.allclose(representation_std(v).numpy(), np.std(v.numpy(), axis=1, ddof=0), atol=1e-12)
    assert torch.allclose(representation_std(torch.tensor([[1.0, 3.0]])), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="v"):
        representation_std(torch.ones(4))


def test_spiky_vector_has_larger_std_than_balanced_one():
    """Same total activation: one hot channel (spiky) vs spread evenly (balanced)."""
    v = torch.tensor([[8.0, 0, 0, 0, 0, 0, 0, 0], [1.0] * 8])
    s = representation_std(v)
    assert s[0] > s[1] and s[1] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=2, max_size=12))
def test_std_bounded_by_one_hot_with_same_sum(values):
    """For non-negative v with sum S, 0 = std(constant) <= std(v) <= std(S e_1): concentrating the
    activation in one channel is the spikiest."""
    v = torch.tensor([values], dtype=torch.float64)
    S, C = float(v.sum()), v.shape[1]
    spike = torch.zeros(1, C, dtype=torch.float64)
    spike[0, 0] = S
    flat = torch.full((1, C), S / C, dtype=torch.float64)
    s, s_spike, s_flat = (float(representation_std(t)) for t in (v, spike, flat))
    assert s_flat <= 1e-9
    assert s <= s_spike + 1e-9
    assert s == pytest.approx(float(np.std(values)), abs=1e-9)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_pooled_statistics_of_k_equal_channels(k):
    """a on k of C channels, 0 elsewhere: std = a sqrt(k (C - k)) / C, norm = a sqrt(k),
    mean = a k / C, cv = sqrt(C / k - 1), top1 = 1 / k (closed forms); size ones scale with a."""
    C, a = 16, 2.5
    v = torch.zeros(1, C, dtype=torch.float64)
    v[0, :k] = a
    s = {name: float(t[0]) for name, t in pooled_statistics(v).items()}
    assert s["std"] == pytest.approx(a * np.sqrt(k * (C - k)) / C)
    assert s["norm"] == pytest.approx(a * np.sqrt(k))
    assert s["mean"] == pytest.approx(a * k / C)
    assert s["cv"] == pytest.approx(np.sqrt(C / k - 1))
    assert s["top1"] == pytest.approx(1 / k)
    assert s["std"] ** 2 == pytest.approx(s["norm"] ** 2 / C - s["mean"] ** 2)  # the identity


def test_pooled_statistics_cv_needs_a_positive_mean():
    v = torch.tensor([[1.0, -1.0], [-1.0, -2.0], [1.0, 3.0]])
    cv = pooled_statistics(v)["cv"]
    assert bool(cv[:2].isnan().all()) and float(cv[2]) == pytest.approx(1.0 / 2.0)


def test_spikiness_score_is_std_of_pooled_representation(model, x):
    kw = dict(sigma=0.3, layer="mid_block.resnets.0", pool="mean", seed=2)
    score = spikiness_score(model, x, **kw)
    assert score.shape == (3,)
    assert torch.allclose(score, representation_std(pooled_representation(model, x, **kw)))
    v = pooled_representation(model, x, **kw).double().numpy()
    assert np.allclose(score.numpy(), v.std(axis=1), atol=1e-6)


# ------------------------------------------------------------------------------ error messages


def test_unknown_layer_lists_resnet_blocks(model, x):
    with pytest.raises(
        ValueError,
        match=r"'up_blocks\.9\.resnets\.0'.*resnet blocks are:.*up_blocks\.0\.resnets\.1",
    ):
        pooled_representation(model, x, layer="up_blocks.9.resnets.0")
    with pytest.raises(ValueError, match="layer"):
        pooled_representation(model, x, layer="")


def test_container_layer_was_not_called(model, x):
    with pytest.raises(ValueError, match="was not called"):
        pooled_representation(model, x, layer="up_blocks.0.resnets")


def test_bad_pool_sigma_and_shape(model, x):
    with pytest.raises(ValueError, match="pool"):
        pooled_representation(model, x, pool="median")
    for s in (0.0, -0.1):
        with pytest.raises(ValueError, match="sigma"):
            pooled_representation(model, x, sigma=s)
        with pytest.raises(ValueError, match="sigma"):
            lid_estimate(model, x[:1], sigma=s)
        with pytest.raises(ValueError, match="sigma_max"):
            wen_score(model, x, 0, s)
    with pytest.raises(ValueError, match="x"):
        pooled_representation(model, x.reshape(3, 1, 8, 8))
    with pytest.raises(ValueError, match="x"):
        lid_estimate(model, x[0])
    with pytest.raises(ValueError, match="x_T"):
        wen_score(model, x.reshape(3, 1, 8, 8), 0, 1.0)


# ------------------------------------------------------------------------------ baselines


def test_wen_score_by_hand(model, x):
    """|| (D(x, s, null) - D(x, s, c)) / s || per row."""
    s, labels = 2.5, torch.tensor([0, 1, 2])
    with torch.no_grad():
        expect = ((model(x, s, None) - model(x, s, labels)) / s).norm(dim=1)
    got = wen_score(model, x, labels, s)
    assert got.shape == (3,) and bool((got > 0).all())
    assert torch.allclose(got, expect, atol=1e-6)


def test_wen_score_is_zero_for_the_null_label(model, x):
    assert torch.allclose(wen_score(model, x, CFG_COND.null_label, 2.0), torch.zeros(3))
    assert torch.allclose(wen_score(model, x, None, 2.0), torch.zeros(3))


def test_lid_estimate_is_trace_of_autograd_jacobian(model, x):
    """tr dD/dy at y = x + sigma eps (seeded), unconditional, against
    torch.autograd.functional.jacobian."""
    sigma, seed = 0.15, 7
    xs = x[:2]
    y = _noise(xs, sigma, seed)
    expect = torch.stack(
        [
            torch.trace(
                torch.autograd.functional.jacobian(lambda v: model(v[None], sigma)[0], y[b])
            )
            for b in range(len(y))
        ]
    )
    got = lid_estimate(model, xs, sigma=sigma, seed=seed)
    assert got.shape == (2,)
    assert torch.allclose(got, expect, rtol=1e-4, atol=1e-4)
    assert torch.allclose(lid_score(model, xs, sigma=sigma, seed=seed), -got)


@pytest.mark.parametrize("k", [0, 1, 3, 6])
def test_lid_estimate_of_a_projection_is_its_rank(k):
    """For D(y) = P y with P an orthogonal projection of rank k, tr dD/dy = k at every point."""
    d = 10
    Q, _ = torch.linalg.qr(
        torch.randn(d, d, generator=torch.Generator().manual_seed(k), dtype=torch.float64)
    )
    P = Q[:, :k] @ Q[:, :k].T

    def proj(v, sigma):
        return v @ P.T

    pts = torch.randn(4, d, generator=torch.Generator().manual_seed(10), dtype=torch.float64)
    assert torch.allclose(
        lid_estimate(proj, pts, sigma=0.3),
        torch.full((4,), float(k), dtype=torch.float64),
        atol=1e-10,
    )
    assert torch.allclose(
        lid_score(proj, pts), torch.full((4,), -float(k), dtype=torch.float64), atol=1e-10
    )


def test_time_per_sample_divides_by_n():
    """Best-of-repeats wall time / n: at least the sleep time / n, and divided by n (with n = 1000
    an
    undivided time would be >= 0.01 s); fn is called ``repeats`` times."""
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.01)

    t = time_per_sample(fn, 4, repeats=2)
    assert isinstance(t, float) and t > 0
    assert t >= 0.01 / 4 * 0.99
    assert t < 5.0  # loose sanity bound only
    assert len(calls) == 2
    t = time_per_sample(fn, 1000, repeats=1)
    assert 0.01 / 1000 * 0.99 <= t < 0.005  # a 5 s sleep would be needed to fail the upper bound
    with pytest.raises(ValueError, match="n"):
        time_per_sample(fn, 0)
    with pytest.raises(ValueError, match="repeats"):
        time_per_sample(fn, 1, repeats=0)


# ------------------------------------------------------------------------------ labelling samples


def test_nearest_training_ratio_by_hand():
    """Duplicates are merged: a sample equal to a duplicated training image has d1 = 0 and d2 the
    distance to the nearest OTHER image."""
    X = torch.tensor([[3.0, 4.0], [0.0, 0.0], [6.0, 8.0], [0.0, 0.0]])
    samples = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0], [6.0, 9.0]])
    out = nearest_training_ratio(samples, X)
    unique = out["unique"]
    assert unique.shape == (3, 2) and unique.dtype == X.dtype
    assert {tuple(r) for r in unique.tolist()} == {(0.0, 0.0), (3.0, 4.0), (6.0, 8.0)}
    nearest = [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [6.0, 8.0]]
    assert unique[out["index"]].tolist() == nearest
    d1 = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    d2 = torch.tensor([5.0, 5.0, 20**0.5, (9 + 25) ** 0.5], dtype=torch.float64)
    assert torch.allclose(out["d1"].double(), d1, atol=1e-12)
    assert torch.allclose(out["d2"].double(), d2, atol=1e-12)
    assert torch.allclose(out["ratio"].double(), d1 / d2, atol=1e-12)
    assert out["ratio"][0] == 0 and out["ratio"][1] == 0


def test_nearest_training_ratio_errors():
    with pytest.raises(ValueError, match="distinct"):
        nearest_training_ratio(torch.zeros(1, 2), torch.ones(3, 2))
    with pytest.raises(ValueError, match="distinct"):
        nearest_training_ratio(torch.zeros(1, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match="samples"):
        nearest_training_ratio(torch.zeros(1, 3), torch.eye(2))


# ------------------------------------------------------------------------------ guidance, hooks,
# steering


def test_guided_is_classifier_free_guidance(model, x):
    s, labels = 0.7, torch.tensor([2, 0, 1])
    with torch.no_grad():
        cond, uncond = model(x, s, labels), model(x, s, None)
        w1, w0, w2 = (guided(model, labels, w)(x, s) for w in (1.0, 0.0, 2.0))
    assert torch.allclose(w1, cond, atol=1e-6)
    assert torch.allclose(w0, uncond, atol=1e-6)
    assert torch.allclose(w2, 2 * cond - uncond, atol=1e-5)
    assert guided(model, labels)(x, s).shape == x.shape
    with pytest.raises(ValueError, match="guidance"):
        guided(model, labels, -1.0)


def test_add_to_outputs_shifts_per_channel_while_active(model, x):
    """The hooked layer's output moves by delta[c] on channel c when active() is True, not when
    False;
    the hooks are gone after the block."""
    delta = torch.linspace(-1.0, 1.0, 16)
    with torch.no_grad():
        base_out = model(x, 0.2)
    base = _record(model, LAYER, lambda: model(x, 0.2))[0]
    flag = {"on": True}
    with add_to_outputs(model, [LAYER], delta, lambda: flag["on"]):
        shifted = _record(model, LAYER, lambda: model(x, 0.2))[0]
        with torch.no_grad():
            on_out = model(x, 0.2)
        flag["on"] = False
        off = _record(model, LAYER, lambda: model(x, 0.2))[0]
        with torch.no_grad():
            off_out = model(x, 0.2)
    assert torch.allclose(shifted - base, delta.reshape(1, -1, 1, 1).expand_as(base), atol=1e-5)
    assert torch.equal(off, base) and torch.equal(off_out, base_out)
    assert not torch.allclose(on_out, base_out, atol=1e-4)
    with torch.no_grad():
        assert torch.equal(model(x, 0.2), base_out)
    assert len(model.unet.get_submodule(LAYER)._forward_hooks) == 0


def test_add_to_outputs_removes_hooks_on_error(model):
    """A bad layer name after a good one: the good layer's hook does not leak."""
    with pytest.raises(ValueError):
        with add_to_outputs(model, [LAYER, "nope"], torch.zeros(16)):
            pass
    assert len(model.unet.get_submodule(LAYER)._forward_hooks) == 0


def test_steering_direction_is_difference_of_mean_representations(model, x):
    xt, xr = x[:2], x[2:]
    d = steering_direction(model, xt, xr, layer=LAYER, sigma=0.2, seed=4)
    a = pooled_representation(model, xt, sigma=0.2, layer=LAYER, pool="mean", seed=4).mean(0)
    b = pooled_representation(model, xr, sigma=0.2, layer=LAYER, pool="mean", seed=5).mean(0)
    assert d.shape == (16,) and torch.allclose(d, a - b, atol=1e-6)


SIGMAS = sigma_schedule(4, 2.0, 0.05)  # 4 steps


@pytest.fixture(scope="module")
def x_T():
    return 2.0 * torch.randn(2, 64, generator=torch.Generator().manual_seed(3))


@pytest.fixture(scope="module")
def direction():
    return torch.randn(16, generator=torch.Generator().manual_seed(9))


@pytest.mark.parametrize("guidance", [1.0, 2.0])
def test_steer_without_steering_is_plain_sampling(model, x_T, direction, guidance):
    """alpha = 0, or an empty window, reproduce Euler probability-flow sampling exactly."""
    labels = torch.tensor([0, 2])
    plain = sample_probability_flow(guided(model, labels, guidance), x_T, SIGMAS, solver="euler")
    a0 = steer(
        model, x_T, SIGMAS, labels, directions={LAYER: direction}, alpha=0.0, guidance=guidance
    )
    empty = steer(
        model,
        x_T,
        SIGMAS,
        labels,
        directions={LAYER: direction},
        alpha=3.0,
        window=(0.5, 0.5),
        guidance=guidance,
    )
    assert torch.equal(a0, plain) and torch.equal(empty, plain)
    assert len(model.unet.get_submodule(LAYER)._forward_hooks) == 0


def test_steer_window_leaves_early_steps_alone(model, x_T, direction):
    """window (0.5, 1): steps 0, 1 of 4 are unsteered (same iterates and denoised estimates), step
    2's
    estimate is steered, and the final sample differs."""
    labels = torch.tensor([1, 1])
    rec0, rec1 = [], []
    plain = steer(
        model,
        x_T,
        SIGMAS,
        labels,
        directions={LAYER: direction},
        alpha=0.0,
        callback=lambda info: rec0.append({k: info[k] for k in ("i", "x", "denoised")}),
    )
    steered = steer(
        model,
        x_T,
        SIGMAS,
        labels,
        directions={LAYER: direction},
        alpha=2.0,
        window=(0.5, 1.0),
        callback=lambda info: rec1.append({k: info[k] for k in ("i", "x", "denoised")}),
    )
    assert [r["i"] for r in rec1] == [0, 1, 2, 3]
    for i in (0, 1):
        assert torch.equal(rec0[i]["x"], rec1[i]["x"]) and torch.equal(
            rec0[i]["denoised"], rec1[i]["denoised"]
        )
    assert torch.equal(rec0[2]["x"], rec1[2]["x"])  # the iterate entering step 2 is still unsteered
    assert not torch.allclose(rec0[2]["denoised"], rec1[2]["denoised"], atol=1e-4)
    assert not torch.allclose(plain, steered, atol=1e-4)


@pytest.mark.parametrize("window", [(0.0, 1.0), (0.5, 1.0), (0.25, 0.75)])
def test_steer_matches_hand_hooked_sampler(model, x_T, direction, window):
    """Oracle: a hand-registered hook adding alpha * d during steps with window[0] <= i/n <
    window[1]
    (step index from counting denoiser calls), then plain Euler sampling."""
    labels, alpha, n = torch.tensor([0, 1]), 1.5, len(SIGMAS) - 1
    step = {"i": 0}

    def hook(m, i, o):
        return (
            o + alpha * direction.reshape(1, -1, 1, 1)
            if window[0] <= step["i"] / n < window[1]
            else o
        )

    def den(v, s):
        out = model(v, s, labels)
        step["i"] += 1
        return out

    h = model.unet.get_submodule(LAYER).register_forward_hook(hook)
    try:
        expect = sample_probability_flow(den, x_T, SIGMAS, solver="euler")
    finally:
        h.remove()
    got = steer(
        model, x_T, SIGMAS, labels, directions={LAYER: direction}, alpha=alpha, window=window
    )
    assert torch.allclose(got, expect, atol=1e-6)


def test_steer_two_layers_add_both_directions(model, x_T, direction):
    """Each entry of ``directions`` hooks its own layer (oracle: hand hooks on both, whole
    window)."""
    labels, alpha = torch.tensor([2, 2]), 0.8
    d8 = torch.randn(8, generator=torch.Generator().manual_seed(11))
    dirs = {LAYER: direction, "up_blocks.1.resnets.0": d8}
    hs = [
        model.unet.get_submodule(k).register_forward_hook(
            lambda m, i, o, d=d: o + alpha * d.reshape(1, -1, 1, 1)
        )
        for k, d in dirs.items()
    ]
    try:
        expect = sample_probability_flow(guided(model, labels), x_T, SIGMAS, solver="euler")
    finally:
        for h in hs:
            h.remove()
    got = steer(model, x_T, SIGMAS, labels, directions=dirs, alpha=alpha)
    assert torch.allclose(got, expect, atol=1e-6)


def test_steer_rejects_bad_window_and_directions(model, x_T, direction):
    labels = torch.tensor([0, 0])
    with pytest.raises(ValueError, match="window"):
        steer(
            model, x_T, SIGMAS, labels, directions={LAYER: direction}, alpha=1.0, window=(0.8, 0.2)
        )
    with pytest.raises(ValueError, match="window"):
        steer(
            model, x_T, SIGMAS, labels, directions={LAYER: direction}, alpha=1.0, window=(0.0, 1.5)
        )
    with pytest.raises(ValueError, match="directions"):
        steer(model, x_T, SIGMAS, labels, directions={}, alpha=1.0)
    with pytest.raises(ValueError, match="alpha"):
        steer(model, x_T, SIGMAS, labels, directions={LAYER: direction}, alpha=float("nan"))


def test_a_block_with_tuple_output_gives_a_clear_error():
    # a down block returns (hidden, skip connections): the hook names the layer and suggests a
    # resnet
    torch.manual_seed(0)
    model = Denoiser(build_unet(CFG_COND), CFG_COND).eval()
    x = torch.randn(2, 64)
    with pytest.raises(ValueError, match="down_blocks.0.*resnet"):
        pooled_representation(model, x, layer="down_blocks.0")
    with pytest.raises(ValueError, match="down_blocks.0"):
        with add_to_outputs(model, ["down_blocks.0"], torch.zeros(8)):
            model(x, 0.1)


def test_unknown_layer_lists_only_resnet_blocks():
    torch.manual_seed(0)
    model = Denoiser(build_unet(CFG_COND), CFG_COND).eval()
    with pytest.raises(ValueError) as err:
        pooled_representation(model, torch.randn(1, 64), layer="nope")
    listed = str(err.value).split("resnet blocks are: ")[1].split(", ")
    assert "mid_block.resnets.0" in listed and "up_blocks.0.resnets.1" in listed
    assert all(name.split(".")[-2] == "resnets" for name in listed)
