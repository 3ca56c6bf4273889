"""The Hub code path, offline: tiny random-weight models of the same diffusers classes, the same
wrappers and Jacobian analysis; loaders fail with a clear message when the Hub is off."""

import math

import pytest
import torch

from memgen.hub import models as hub
from memgen.jacobian import full_jacobian, singular_values


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _tiny_unet2d():
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    return UNet2DModel(
        sample_size=4,
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        attention_head_dim=4,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
    ).eval()


def _tiny_dit():
    from diffusers import DiTTransformer2DModel

    torch.manual_seed(0)
    return DiTTransformer2DModel(
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=4,
        out_channels=8,
        num_layers=1,
        sample_size=4,
        patch_size=2,
        num_embeds_ada_norm=10,
    ).eval()


def _tiny_sd_unet():
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    return UNet2DConditionModel(
        sample_size=4,
        in_channels=4,
        out_channels=4,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        cross_attention_dim=8,
        attention_head_dim=2,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    ).eval()


def _wrapped(kind):
    abar = hub.ddpm_abar(10)
    if kind == "unet2d":
        return hub.wrap_unet2d(_tiny_unet2d(), 10, abar)
    if kind == "dit":
        return hub.wrap_dit(_tiny_dit(), 10, abar, class_label=3)
    ehs = torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(0))
    return hub.wrap_unet2d_condition(_tiny_sd_unet(), 10, abar, ehs)


@pytest.mark.parametrize("kind", ["unet2d", "dit", "sd"])
def test_randomized_spectrum_equals_full_through_attention(kind):
    den = _wrapped(kind)
    x_t = den.add_noise(
        torch.rand(den.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1, seed=2
    )
    full = hub.jacobian_spectrum(den, x_t, k=8)
    assert full["method"] == "full" and full["S"].shape == (den.dim,)
    # a sketch as wide as the dimension makes the randomized SVD exact: checks the VJP and
    # double-VJP plumbing through the attention layers
    rnd = hub.jacobian_spectrum(den, x_t, k=8, full_up_to=0, power_iters=1, chunk_size=5)
    assert rnd["method"] == "randomized"
    l = min(8 + 10, den.dim)
    if l == den.dim:
        assert torch.allclose(rnd["S"].double(), full["S"][:8], rtol=1e-3)
    else:  # the top singular value is found to within a few percent by two power iterations
        assert rnd["S"][0].item() == pytest.approx(full["S"][0].item(), rel=0.05)


def test_full_spectrum_matches_autograd_for_dit():
    den = _wrapped("dit")
    x_t = torch.randn(den.shape, generator=torch.Generator().manual_seed(3))
    with hub.math_attention():
        J = full_jacobian(den.fn, x_t)
        ref = torch.autograd.functional.jacobian(
            lambda v: den.fn(v.reshape(den.shape)).reshape(-1), x_t.reshape(-1)
        )
    assert torch.allclose(J, ref, atol=1e-5)
    assert torch.allclose(singular_values(J), hub.jacobian_spectrum(den, x_t)["S"], atol=1e-6)


def test_eps_to_x0_inverts_the_forward_process():
    abar = 0.7
    x0 = torch.randn(2, 5)
    eps = torch.randn(2, 5)
    x_t = math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps
    den = hub.eps_to_x0(lambda x: eps, abar)
    assert torch.allclose(den(x_t), x0, atol=1e-6)
    with pytest.raises(ValueError, match="abar"):
        hub.eps_to_x0(lambda x: x, 1.0)


def test_ddpm_abar_matches_diffusers_schedulers():
    from diffusers import DDPMScheduler

    lin = DDPMScheduler(
        num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear"
    )
    sl = DDPMScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear"
    )
    for t in (0, 10, 500, 999):
        assert hub.ddpm_abar(t) == pytest.approx(float(lin.alphas_cumprod[t]), rel=1e-5)
        assert hub.ddpm_abar(
            t, beta_start=0.00085, beta_end=0.012, schedule="scaled_linear"
        ) == pytest.approx(float(sl.alphas_cumprod[t]), rel=1e-5)
    with pytest.raises(ValueError, match="t must be"):
        hub.ddpm_abar(1000)


def test_add_noise_and_sigma():
    den = hub.HubDenoiser("x", lambda x: x, (1, 2), abar=0.8, t=0)
    assert den.sigma == pytest.approx(0.5)
    x_t = den.add_noise(torch.zeros(1, 2), seed=0)
    g = torch.Generator().manual_seed(0)
    assert torch.allclose(x_t, math.sqrt(0.2) * torch.randn(1, 2, generator=g))


@pytest.mark.parametrize("key", ["ddpm-cifar10", "dit", "sd-v1-4"])
def test_loaders_offline_say_so_and_point_to_offline_results(key):
    den, msg = hub.try_load(key)
    assert den is None
    assert hub.MODELS[key] in msg and "HF_HUB_OFFLINE" in msg and "chapter 7" in msg
    with pytest.raises(hub.HubUnavailable, match=hub.MODELS[key]):
        hub.LOADERS[key]()


def test_edm_is_named_as_not_loadable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    den, msg = hub.try_load("edm")
    assert den is None and "EDM" in msg and "diffusers format" in msg and "chapter 7" in msg


def test_hub_errors_wrap_any_failure(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(hub.HubUnavailable, match="some/model.*OSError.*no network"):
        with hub.hub_errors("some/model"):
            raise OSError("no network")


def test_try_load_rejects_unknown_model():
    with pytest.raises(ValueError, match="unknown model"):
        hub.try_load("imagen")


# ------------------------------------------------------------------------------ devices: meta and
# CPU
# The meta device stands in for a GPU on a CPU machine: it propagates shapes and devices without
# computing, so a tensor made on the wrong device (the randomized SVD's sketch drawn on the CPU was
# one) fails with "expected device meta but got cpu".


@pytest.mark.parametrize("kind", ["unet2d", "dit", "sd"])
@pytest.mark.parametrize("method", ["full", "randomized"])
def test_jacobian_recipe_stays_on_the_models_device(kind, method):
    den = _wrapped(kind)
    x0 = torch.rand(den.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    cpu = hub.jacobian_spectrum(
        den,
        den.add_noise(x0, seed=2),
        k=4,
        power_iters=1,
        chunk_size=5,
        full_up_to=10**6 if method == "full" else 0,
    )
    model = {"unet2d": _tiny_unet2d, "dit": _tiny_dit, "sd": _tiny_sd_unet}[kind]().to("meta")
    abar = hub.ddpm_abar(10)
    if kind == "unet2d":
        meta = hub.wrap_unet2d(model, 10, abar)
    elif kind == "dit":
        meta = hub.wrap_dit(model, 10, abar, class_label=3)
    else:
        meta = hub.wrap_unet2d_condition(model, 10, abar, torch.randn(1, 5, 8, device="meta"))
    assert meta.device == "meta" and meta.dtype == torch.float32
    x_t = meta.add_noise(x0, seed=2)
    assert x_t.device.type == "meta"
    r = hub.jacobian_spectrum(
        meta, x_t, k=4, power_iters=1, chunk_size=5, full_up_to=10**6 if method == "full" else 0
    )
    assert r["method"] == cpu["method"] == method
    assert r["S"].device.type == "meta" and r["effective_rank"] is None
    assert (
        r["S"].shape[0] == cpu["S"].shape[0]
        and r["U"].shape == cpu["U"].shape
        and r["V"].shape == cpu["V"].shape
    )
    # the CPU run has values: results on the CPU, singular values sorted and non-negative
    assert (
        cpu["S"].device.type == "cpu"
        and (cpu["S"][:-1] >= cpu["S"][1:]).all()
        and (cpu["S"] >= 0).all()
    )
    assert isinstance(cpu["effective_rank"], int)


def test_randomized_svd_draws_its_sketch_for_the_models_device():
    from memgen.jacobian import randomized_svd

    W = torch.randn(6, 6, generator=torch.Generator().manual_seed(0))
    S_cpu, _, _ = randomized_svd(lambda v: v @ W.T, torch.ones(6), 3, oversample=3, seed=4)
    Wm = W.to("meta")
    S_meta, U, V = randomized_svd(
        lambda v: v @ Wm.T, torch.ones(6, device="meta"), 3, oversample=3, seed=4
    )
    assert S_meta.device.type == U.device.type == V.device.type == "meta"
    assert S_cpu.shape == S_meta.shape == (3,)
    assert torch.allclose(S_cpu.double(), torch.linalg.svdvals(W.double())[:3], rtol=1e-4)
