"""One trainer contract (memgen.training): every trainer takes the same callback dict and returns a
TrainResult whose per-step losses agree with what the callback saw."""

import numpy as np
import pytest
import torch

from memgen.dae import ReLUDAE
from memgen.diffusion import ToyDiffusionDenoiser, train_diffusion
from memgen.fit_fast import fit_dae
from memgen.train_mc import train_dae
from memgen.training import TrainResult
from memgen.unet import TrainConfig, UNetConfig, train_denoiser

X = torch.randn(6, 8, generator=torch.Generator().manual_seed(0))


def _run(name, callback, every):
    if name == "train_mc":
        return train_dae(
            ReLUDAE(8, 4),
            X,
            sigma=0.2,
            lam=0.01,
            steps=12,
            callback=callback,
            callback_every=every,
            progress=False,
        )
    if name == "fit_fast":
        return fit_dae(X, 4, sigma=0.2, lam=0.01, steps=12, callback=callback, callback_every=every)
    if name == "diffusion":
        return train_diffusion(
            ToyDiffusionDenoiser(8, 4, seed=0),
            X,
            steps=12,
            batch_size=4,
            callback=callback,
            callback_every=every,
        )
    cfg = UNetConfig(image_size=4, block_out_channels=(4, 8), norm_num_groups=2)
    train = TrainConfig(steps=12, batch_size=4, log_every=100)
    return train_denoiser(torch.randn(6, 16), cfg, train, callback=callback, callback_every=every)


@pytest.mark.parametrize("name", ["train_mc", "fit_fast", "diffusion", "unet"])
def test_every_trainer_follows_the_contract(name):
    seen = []
    res = _run(name, seen.append, 4)
    assert isinstance(res, TrainResult) and res.steps == 12 and res.model is res.models[0]
    assert len(res.losses) == 12 and res.seconds > 0
    assert [info["step"] for info in seen] == [4, 8, 12]
    for info in seen:
        assert "loss" in info and ("model" in info or {"W1", "W2"} <= set(info))
    if name == "unet":  # the mean batch loss since the previous call
        assert seen[0]["loss"] == pytest.approx(res.losses[:4].mean())
    else:
        assert np.allclose(np.ravel(seen[-1]["loss"]), np.ravel(res.losses[11]))


@pytest.mark.parametrize("name", ["train_mc", "fit_fast", "diffusion", "unet"])
def test_bad_callback_names_the_argument(name):
    with pytest.raises(ValueError, match="callback must be callable"):
        _run(name, "not a function", 1)
    with pytest.raises(ValueError, match="callback_every"):
        _run(name, None, 0)
