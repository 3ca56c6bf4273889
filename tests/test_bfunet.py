"""The bias-free UNet: positive homogeneity and Euler's identity against autograd, errors,
checkpoints."""

import json
import shutil

import pytest
import torch

from memgen.unet import (
    DATA_DIR,
    Denoiser,
    TrainConfig,
    UNetConfig,
    build_unet,
    load_denoiser,
    read_manifest,
    save_denoiser,
    train_denoiser,
)

BF = UNetConfig(
    image_size=8, block_out_channels=(8, 16), layers_per_block=1, architecture="bias_free"
)


def _random_bf(cfg=BF, seed=0):
    """A bias-free denoiser with every weight random (the zero-initialised convolutions and gain
    layer
    too), so that no test passes because the network is still linear."""
    torch.manual_seed(seed)
    model = Denoiser(build_unet(cfg), cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.3 * torch.randn_like(p))
    return model


@pytest.mark.parametrize("param", ["x0", "edm", "eps"])
def test_denoiser_is_positively_homogeneous(param):
    cfg = UNetConfig(**{**BF.__dict__, "parameterisation": param})
    model = _random_bf(cfg).double()  # float64: the check is then exact to rounding
    y = torch.randn(4, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    sigma = torch.tensor([0.1, 0.3, 1.0, 2.0], dtype=torch.float64)
    with torch.no_grad():
        out = model(y, sigma)
        for t in (0.25, 3.0):
            assert torch.allclose(model(t * y, sigma), t * out, rtol=1e-10, atol=1e-10)
        # but not odd: a ReLU network is homogeneous for t > 0 only
        assert not torch.allclose(model(-y, sigma), -out, atol=1e-3)


def test_unet2d_is_not_homogeneous():
    # the contrast the chapter draws: biases and GroupNorm break the symmetry (so the test above can
    # fail)
    cfg = UNetConfig(image_size=8, block_out_channels=(8, 16), norm_num_groups=4)
    torch.manual_seed(0)
    model = Denoiser(build_unet(cfg), cfg).eval()
    y = torch.randn(2, 64)
    with torch.no_grad():
        assert (model(2 * y, 0.3) - 2 * model(y, 0.3)).abs().max() > 1e-2


def test_euler_identity_against_autograd():
    # homogeneity of degree one means J(y) y = D(y), with J from torch autograd as the oracle
    model = _random_bf().double()
    for seed in range(3):
        y = torch.randn(64, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
        J = torch.autograd.functional.jacobian(lambda v: model(v[None], 0.4)[0], y)
        with torch.no_grad():
            D = model(y[None], 0.4)[0]
        assert torch.allclose(J @ y, D, rtol=1e-9, atol=1e-10)
        assert torch.linalg.matrix_rank(J) > 1  # a genuinely nonlinear map


def test_noise_level_enters_as_positive_gains():
    model = _random_bf()
    t = 250 * torch.log(torch.tensor([0.1, 1.0]))
    gains = model.unet.gains(t)
    assert [g.shape[1] for g in gains] == [8, 16, 16, 8]  # down levels 0 and 1, middle, up level 0
    assert all(g.shape == (2, g.shape[1], 1, 1) and bool((g > 0).all()) for g in gains)
    y = torch.randn(1, 64).expand(2, 64)
    with torch.no_grad():
        out = model(y, torch.tensor([0.1, 1.0]))
    assert not torch.allclose(out[0], out[1])


def test_fresh_bias_free_unet_starts_with_identity_blocks():
    # residual branches start at zero and all gains at one
    torch.manual_seed(0)
    model = Denoiser(build_unet(BF), BF).eval()
    assert all(
        float(b.conv2.weight.detach().abs().max()) == 0
        for b in model.unet.modules()
        if hasattr(b, "conv2")
    )
    g = model.unet.gains(torch.tensor([0.0]))
    assert all(torch.equal(x, torch.ones_like(x)) for x in g)


def test_bias_free_has_no_bias_parameters():
    model = _random_bf()
    names = [n for n, _ in model.unet.named_parameters() if not n.startswith("gain_mlp")]
    assert names and not [n for n in names if "bias" in n]
    convs = [m for m in model.unet.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(m.bias is None for m in convs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 3}, "config.num_classes must be 0"),
        (
            {"image_size": 6, "block_out_channels": (8, 16, 32)},
            "config.image_size must be divisible by 4",
        ),
        ({"architecture": "resnet"}, "config.architecture"),
    ],
)
def test_bad_configs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_unet(UNetConfig(**{**BF.__dict__, **kwargs}))


def test_class_labels_are_refused():
    with pytest.raises(ValueError, match="unconditional"):
        _random_bf().unet(
            torch.randn(1, 1, 8, 8), torch.zeros(1), class_labels=torch.zeros(1, dtype=torch.long)
        )


def test_training_lowers_the_loss_and_checkpoint_roundtrip(tmp_path):
    x = torch.rand(8, 64) * 2 - 1
    logged = []
    model = train_denoiser(
        x,
        BF,
        TrainConfig(steps=150, batch_size=8, lr=3e-3, log_every=50),
        callback=lambda info: logged.append(info["loss"]),
    ).model
    assert logged[-1] < 0.7 * logged[0]
    save_denoiser(model, "bf", tmp_path)
    back = load_denoiser("bf", tmp_path)
    assert back.config.architecture == "bias_free"
    y = torch.randn(3, 64)
    with torch.no_grad():
        assert torch.equal(model(y, 0.3), back(y, 0.3))


def test_old_configs_without_architecture_load_as_unet2d():
    raw = json.loads((DATA_DIR / "memorizing.json").read_text())["config"]
    assert "architecture" not in raw  # written before the field existed, and still verified
    assert load_denoiser("memorizing").config.architecture == "unet2d"


def test_shipped_bias_free_checkpoints(tmp_path):
    sums = read_manifest(DATA_DIR)
    from memgen.experiments import ch07_jacobians as xj

    for name in ("bias_free_memorizing", "bias_free_generalizing"):
        assert f"{name}.safetensors" in sums and f"{name}.json" in sums
        model = load_denoiser(name)
        assert model.config == xj.UNET_RUNS[name]["config"]
    # the memorizing one returns its stored digits from noisy copies, at any scale
    model = load_denoiser("bias_free_memorizing")
    X, _ = xj.training_images("bias_free_memorizing")
    y = X + 0.2 * torch.randn(X.shape, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = model(y, 0.2)
        assert torch.nn.functional.cosine_similarity(out, X).min() > 0.95
        assert torch.allclose(model(2 * y, 0.2), 2 * out, rtol=1e-4, atol=1e-5)
    # a corrupted copy is refused with a message that names the file
    for f in DATA_DIR.iterdir():
        shutil.copy(f, tmp_path / f.name)
    raw = bytearray((tmp_path / "bias_free_memorizing.safetensors").read_bytes())
    raw[-5] ^= 0xFF
    (tmp_path / "bias_free_memorizing.safetensors").write_bytes(bytes(raw))
    with pytest.raises(Exception, match="bias_free_memorizing.safetensors"):
        load_denoiser("bias_free_memorizing", tmp_path)


def test_chapter7_bias_free_analysis_against_autograd():
    # the chapter's numbers: recompute one memorized input's Jacobian with autograd as the oracle
    from memgen.experiments import ch07_jacobians as xj

    r = xj.ch7_bias_free_jacobians()
    assert r["mem"]["S"].shape == (32, 64) and r["gen"]["S"].shape == (32, 64)
    model = xj.load_models()["bias_free_memorizing"]
    y = r["mem"]["Y"][0]
    J = torch.autograd.functional.jacobian(lambda v: model(v[None], r["sigma"])[0], y)
    u, s, _ = torch.linalg.svd(J.double())
    assert torch.allclose(s.float(), r["mem"]["S"][0], rtol=1e-3, atol=1e-5)
    assert abs(float(u[:, 0].float() @ r["mem"]["U"][0, 0])) > 0.999
    # the structure the chapter reports: rank one along the stored digit with gain near one, against
    # a spread spectrum for the generalizing model; and Euler's identity
    x = r["mem"]["X"][0]
    assert (
        abs(float(u[:, 0].float() @ x / x.norm())) > 0.99
        and 0.5 < float(s[0]) < 1.5
        and float(s[1]) < 0.5
    )
    assert r["mem_median_erank"] <= 3 and r["gen_median_erank"] >= 10
    assert r["euler_max_rel_err"] < 1e-4


def test_bias_free_noise_sweep_against_direct_computation():
    # one entry of the sweep recomputed by hand: the subspace fraction with an explicit projector
    from memgen.experiments import ch07_jacobians as xj

    r = xj.ch7_bias_free_sweep()
    assert r["sigmas"] == xj.JAC.sigmas and len(r["mem_cos"]) == len(r["sigmas"])
    i = r["sigmas"].index(1.0)
    model = xj.load_models()["bias_free_memorizing"]
    X, _ = xj.training_images("bias_free_memorizing")
    Y = xj.noisy(X, 1.0, 200 + i)
    fracs = []
    for k in range(len(X)):
        J = torch.autograd.functional.jacobian(lambda v: model(v[None], 1.0)[0], Y[k])
        u1 = torch.linalg.svd(J.double())[0][:, 0]
        D = torch.cat([X[:k], X[k + 1 :]]).double() - X[k].double()
        P = D.T @ torch.linalg.pinv(D.T)  # projector onto span{x_j - x_k}
        fracs.append(float((P @ u1).norm()))
    assert abs(float(torch.tensor(fracs).median()) - r["mem_u1_in_differences"][i]) < 1e-3
    # at small noise the top vector is the stored digit; at sigma = 1 it is not, but the output
    # still is
    assert r["mem_cos"][0] > 0.99 and r["mem_cos"][i] < 0.9 and r["mem_cos_out"][i] > 0.9
