"""The small UNet denoisers: EDM preconditioning, training, checkpoints with sha256 checks."""

import shutil

import pytest
import torch

from memgen.unet import (
    DATA_DIR,
    ChecksumError,
    Denoiser,
    TrainConfig,
    UNetConfig,
    build_unet,
    checkpoint_meta,
    edm_loss,
    load_denoiser,
    read_manifest,
    save_denoiser,
    sha256_file,
    train_denoiser,
    upsample_digits,
)

CFG = UNetConfig(image_size=8, block_out_channels=(8, 16), norm_num_groups=4)
CFG_EDM = UNetConfig(
    image_size=8, block_out_channels=(8, 16), norm_num_groups=4, parameterisation="edm"
)


def _tiny(seed=0, cfg=CFG):
    torch.manual_seed(seed)
    return Denoiser(build_unet(cfg), cfg).eval()


def test_preconditioning_is_the_gaussian_wiener_filter_when_F_is_zero():
    # With F = 0, D(y) = c_skip y = s^2 / (s^2 + sigma^2) y: the posterior mean for x ~ N(0, s^2 I).
    model = _tiny(cfg=CFG_EDM)
    for p in model.unet.conv_out.parameters():
        torch.nn.init.zeros_(p)
    y = torch.randn(3, 64, generator=torch.Generator().manual_seed(0))
    s = CFG.sigma_data
    for sigma in (0.05, 0.5, 3.0):
        with torch.no_grad():
            out = model(y, sigma)
        assert torch.allclose(out, s**2 / (s**2 + sigma**2) * y, atol=1e-6)


def test_x0_parameterisation_has_no_skip():
    model = _tiny()
    assert model.config.parameterisation == "x0"
    y = torch.randn(2, 1, 8, 8)
    sigma = torch.tensor([0.3, 0.3])
    with torch.no_grad():
        F = model.unet(y / torch.sqrt(sigma[0] ** 2 + 0.25), 250 * torch.log(sigma)).sample
        assert torch.allclose(model(y, 0.3), F, atol=1e-5)


def test_loss_weight_is_edm_lambda():
    from memgen.unet import loss_weight

    sigma = torch.tensor([0.1, 1.0])
    _, c_out, _, _ = _tiny(cfg=CFG_EDM).coefficients(sigma)
    assert torch.allclose(loss_weight(sigma, 0.5), 1 / c_out**2)


def test_edm_coefficients_identities():
    model = _tiny(cfg=CFG_EDM)
    sigma = torch.tensor([0.01, 0.3, 4.0])
    c_skip, c_out, c_in, _ = model.coefficients(sigma)
    s = CFG.sigma_data
    # unit variance of the network's input and of its training target (Karras et al. 2022, App. B.6)
    assert torch.allclose(c_in**2 * (s**2 + sigma**2), torch.ones(3))
    assert torch.allclose(
        ((1 - c_skip) ** 2 * s**2 + c_skip**2 * sigma**2) / c_out**2, torch.ones(3)
    )


def test_eps_parameterisation():
    cfg = UNetConfig(
        image_size=8, block_out_channels=(8, 16), norm_num_groups=4, parameterisation="eps"
    )
    model = _tiny(cfg=cfg)
    y = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        F = model.unet(y, 250 * torch.log(torch.tensor([0.4, 0.4]))).sample
        assert torch.allclose(model(y, 0.4), y - 0.4 * F, atol=1e-6)


def test_flat_and_image_inputs_agree():
    model = _tiny()
    y = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model(y, 0.2).reshape(2, -1), model(y.reshape(2, -1), 0.2), atol=1e-6)


def test_training_is_seeded_and_reduces_loss():
    x = upsample_digits(torch.rand(4, 64) * 2 - 1, 8)
    train = TrainConfig(steps=40, batch_size=4, lr=3e-3, seed=3, log_every=10)
    m1 = train_denoiser(x, CFG, train).model
    m2 = train_denoiser(x, CFG, train).model
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    m0 = _tiny(seed=3)  # the same initialisation (train_denoiser seeds torch with train.seed)
    g = torch.Generator().manual_seed(0)
    xx = x.repeat(16, 1)
    sigma, eps = 0.1 + 0.9 * torch.rand(len(xx), generator=g), torch.randn(xx.shape, generator=g)
    with torch.no_grad():
        assert edm_loss(m1, xx, sigma, eps) < 0.85 * edm_loss(
            m0, xx, sigma, eps
        )  # warm-up: small lr at first


def test_train_rejects_bad_shapes():
    with pytest.raises(ValueError, match="x must have shape"):
        train_denoiser(torch.zeros(3, 10), CFG, TrainConfig(steps=1))


def test_upsample_digits():
    x = torch.rand(5, 64)
    up = upsample_digits(x, 16)
    assert up.shape == (5, 256)
    assert torch.allclose(up.reshape(5, 16, 16).mean((1, 2)), x.mean(1), atol=0.05)


def test_save_load_roundtrip_and_corruption(tmp_path):
    model = _tiny(1)
    save_denoiser(model, "tiny", tmp_path, meta={"note": "test"})
    sums = read_manifest(tmp_path)
    assert sums["tiny.safetensors"] == sha256_file(tmp_path / "tiny.safetensors")
    back = load_denoiser("tiny", tmp_path)
    y = torch.randn(2, 64)
    with torch.no_grad():
        assert torch.equal(model(y, 0.3), back(y, 0.3))
    assert checkpoint_meta("tiny", tmp_path) == {"note": "test"}
    raw = bytearray((tmp_path / "tiny.safetensors").read_bytes())
    raw[-3] ^= 0xFF  # flip bits in the last weight
    (tmp_path / "tiny.safetensors").write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match="checksum mismatch.*tiny.safetensors.*train_unets.py"):
        load_denoiser("tiny", tmp_path)


def test_missing_checkpoint_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_unets.py"):
        load_denoiser("nothing", tmp_path)


def test_shipped_checkpoints_verify_and_are_small(tmp_path):
    sums = read_manifest(DATA_DIR)
    total = 0
    from memgen.experiments.ch07_jacobians import UNET_RUNS

    assert len(UNET_RUNS) == 7
    for name in UNET_RUNS:
        assert f"{name}.safetensors" in sums and f"{name}.json" in sums
        model = load_denoiser(name)
        assert model.config.image_size == 8
        total += (DATA_DIR / f"{name}.safetensors").stat().st_size
    assert total < 20e6
    # a copy with one edited byte in the config is refused
    for f in DATA_DIR.iterdir():
        shutil.copy(f, tmp_path / f.name)
    cfg = tmp_path / "memorizing.json"
    cfg.write_text(cfg.read_text().replace('"sigma_data": 0.5', '"sigma_data": 0.6'))
    with pytest.raises(ChecksumError, match="memorizing.json"):
        load_denoiser("memorizing", tmp_path)


def test_edm_loss_is_zero_for_a_perfect_denoiser():
    class Oracle(Denoiser):
        def forward(self, y, sigma):
            return x

    x = torch.rand(4, 64)
    model = Oracle(build_unet(CFG), CFG)
    sigma = torch.tensor([0.1, 0.2, 0.5, 1.0])
    assert edm_loss(model, x, sigma, torch.randn(4, 64)).item() == 0.0


# ---------------------------------------------------------------- class-conditional denoisers

CFG_COND = UNetConfig(image_size=8, block_out_channels=(8, 16), norm_num_groups=4, num_classes=3)


def test_conditional_labels_default_to_null_and_are_checked():
    model = _tiny(cfg=CFG_COND)
    y = torch.randn(2, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        null = model(y, 0.5)
        assert torch.equal(null, model(y, 0.5, CFG_COND.null_label))
        a, b = model(y, 0.5, 0), model(y, 0.5, torch.tensor([0, 1]))
    assert torch.equal(a[0], b[0]) and not torch.allclose(a[1], b[1])
    assert not torch.allclose(a, null)
    for bad in (4, -1, torch.tensor([0, 1, 2])):
        with pytest.raises(ValueError, match="class_labels"):
            model(y, 0.5, bad)
    with pytest.raises(ValueError, match="unconditional"):
        _tiny()(y, 0.5, 0)


def test_conditional_training_learns_the_label():
    # two images, one per label: after training, each label's denoiser returns its own image from
    # noise
    x = torch.stack([torch.linspace(-1, 1, 64), -torch.linspace(-1, 1, 64)])
    train = TrainConfig(steps=300, batch_size=16, lr=3e-3, seed=0, log_every=300, cond_dropout=0.2)
    with pytest.raises(ValueError, match="labels are required"):
        train_denoiser(x, CFG_COND, train)
    with pytest.raises(ValueError, match="labels must have shape"):
        train_denoiser(x, CFG_COND, train, labels=torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="unconditional"):
        train_denoiser(x, CFG, train, labels=torch.tensor([0, 1]))
    model = train_denoiser(x, CFG_COND, train, labels=torch.tensor([0, 1])).model
    y = 1.5 * torch.randn(1, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        d0, d1, dn = model(y, 1.5, 0), model(y, 1.5, 1), model(y, 1.5)
    assert (d0 - x[0]).norm() < 0.7 * (d0 - x[1]).norm()
    assert (d1 - x[1]).norm() < 0.7 * (d1 - x[0]).norm()
    # the unconditional (null-label) prediction sits between the two images
    assert (dn - x.mean(0)).norm() < (dn - x[0]).norm() and (dn - x.mean(0)).norm() < (
        dn - x[1]
    ).norm()


def test_conditional_checkpoint_roundtrip(tmp_path):
    model = _tiny(cfg=CFG_COND)
    save_denoiser(model, "cond", tmp_path)
    back = load_denoiser("cond", tmp_path)
    assert back.config.num_classes == 3
    y = torch.randn(2, 64)
    with torch.no_grad():
        assert torch.equal(model(y, 0.3, 1), back(y, 0.3, 1))


CFG_DIT = UNetConfig(
    image_size=8,
    sigma_data=0.5,
    sigma_min=0.1,
    sigma_max=2.0,
    architecture="dit",
    patch_size=2,
    num_layers=1,
    attention_heads=2,
    attention_head_dim=8,
)


def test_dit_is_the_diffusers_transformer_with_label_zero():
    """DiTNet runs DiTTransformer2DModel with the constant class label 0; Denoiser's x0 output is
    F(c_in y, c_noise) (no skip), checked against a direct call."""
    torch.manual_seed(0)
    den = Denoiser(build_unet(CFG_DIT), CFG_DIT).eval()
    y, sigma = torch.randn(3, 64, generator=torch.Generator().manual_seed(1)), 0.4
    c_in, c_noise = 1.0 / (sigma**2 + 0.25) ** 0.5, 250.0 * torch.log(torch.tensor(sigma))
    with torch.no_grad():
        direct = den.unet.dit(
            c_in * y.reshape(3, 1, 8, 8),
            timestep=c_noise.expand(3),
            class_labels=torch.zeros(3, dtype=torch.long),
        ).sample
        torch.testing.assert_close(den(y, sigma), direct.reshape(3, 64))
    with pytest.raises(ValueError, match="multiple of config.patch_size"):
        build_unet(UNetConfig(image_size=8, architecture="dit", patch_size=3))


def test_dit_jacobian_by_jacrev_with_the_math_backend_matches_autograd(tmp_path):
    """The chapter's route (vmap of jacrev under the MATH attention backend) against
    torch.autograd.functional.jacobian row by row, and a save/load round trip."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from memgen.jacobian import batched_jacobians

    torch.manual_seed(2)
    den = Denoiser(build_unet(CFG_DIT), CFG_DIT).eval()
    Y = torch.randn(2, 64, generator=torch.Generator().manual_seed(3))
    with sdpa_kernel(SDPBackend.MATH):
        J = batched_jacobians(lambda v: den(v, 0.3), Y)
    for y, Jy in zip(Y, J):
        ref = torch.autograd.functional.jacobian(lambda v: den(v[None], 0.3)[0], y)
        torch.testing.assert_close(Jy, ref, rtol=1e-4, atol=1e-5)
    save_denoiser(den, "dit", tmp_path)
    back = load_denoiser("dit", tmp_path)
    assert back.config.architecture == "dit" and back.config.attention_head_dim == 8
    with torch.no_grad():
        assert torch.equal(back(Y, 0.3), den(Y, 0.3))
