"""Chapter helpers: glue falls back to printing outside the book build; chapter figures have the
frames and sliders the website needs."""

import builtins

import numpy as np

from memgen.experiments import ch01_denoising as ex1
from memgen.views import ch01_denoising as vw1
from memgen.views.notebook import glue


def test_glue_prints_without_myst_nb(monkeypatch, capsys):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("no myst_nb in Colab")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert glue("answer", 42) is None
    assert "answer = 42" in capsys.readouterr().out


def test_toy_denoiser_figure_has_one_frame_per_sigma():
    res = ex1.ch1_toy_denoiser_frames()
    fig = vw1.toy_denoiser_figure(res)
    assert len(fig.frames) == len(ex1.CH1.toy_sigmas) == len(fig.layout.sliders[0].steps)
    # frames differ: small sigma lands on training points, large sigma near the mean
    small = np.asarray(fig.frames[0].data[1].x)
    large = np.asarray(fig.frames[-1].data[1].x)
    X = res["X"].numpy()
    assert np.abs(small[:, None] - X[None, :, 0]).min(axis=1).max() < 1e-3
    assert np.abs(large).max() < np.abs(small).max()
    # no autoplay: every slider step jumps immediately to a named frame
    for step, frame in zip(fig.layout.sliders[0].steps, fig.frames):
        assert list(step.args[0]) == [frame.name]
        assert step.args[1]["mode"] == "immediate"


def test_image_pairs_figure_shapes():
    a = np.random.default_rng(0).normal(size=(3, 64))
    fig = vw1.image_pairs_figure(a, a, (8, 8), top_label="t", bottom_label="b")
    assert len(fig.data) == 6
    assert np.asarray(fig.data[0].z).shape == (8, 8)
