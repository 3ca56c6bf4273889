"""Chapter 8's figures, built from small synthetic results (every trace carries the data it
should)."""

import numpy as np
import torch

from memgen.views import ch08_applications as vd


def _table():
    g = torch.Generator().manual_seed(0)
    pos = torch.tensor([True] * 10 + [False] * 30)
    scores = {"a": torch.randn(40, generator=g) + 3 * pos, "b": torch.randn(40, generator=g)}
    rows = [{"method": k, "auroc": 0.9, "tpr": 0.5, "time": 1e-3} for k in scores]
    return {"scores": scores, "positive": pos, "rows": rows}


def test_scores_figure_has_one_frame_per_method_with_both_groups():
    t = _table()
    fig = vd.scores_figure(t)
    assert [f.name for f in fig.frames] == ["a", "b"]
    novel, copies = fig.frames[0].data
    assert np.allclose(np.sort(copies.x), np.sort(t["scores"]["a"][:10].numpy()))
    assert len(novel.x) == 30


def test_roc_figure_ends_at_one_one():
    fig = vd.roc_figure(_table())
    assert len(fig.data) == 2
    assert fig.data[0].x[-1] == 1.0 and fig.data[0].y[-1] == 1.0


def test_sweep_figure_places_each_auroc_in_its_cell():
    rows = [
        {"layer": L, "sigma": s, "pool": p, "auroc": i / 10, "tpr": 0.0}
        for i, (L, s, p) in enumerate(
            (L, s, p) for L in ("x", "y") for s in (0.1, 0.2) for p in ("max", "mean")
        )
    ]
    fig = vd.sweep_figure({"rows": rows})
    z_max, z_mean = (np.asarray(tr.z) for tr in fig.data)
    assert z_max.shape == (2, 2)
    assert z_max[1, 0] == next(
        r["auroc"] for r in rows if (r["layer"], r["sigma"], r["pool"]) == ("y", 0.1, "max")
    )
    assert z_mean[0, 1] == next(
        r["auroc"] for r in rows if (r["layer"], r["sigma"], r["pool"]) == ("x", 0.2, "mean")
    )


def _steering():
    alphas = (0.0, 1.0, 2.0)
    g = torch.Generator().manual_seed(1)
    samples = torch.randn(3, 8, 64, generator=g)
    gen = torch.tensor([True] * 4 + [False] * 4)
    change = np.outer(alphas, np.r_[np.ones(4), 0.1 * np.ones(4)])
    return {
        "alphas": alphas,
        "samples": samples,
        "generalized": gen,
        "labels": torch.tensor([1, 2, 3, 4, 10, 11, 12, 13]),
        "change": change,
        "kept": np.ones((3, 8), bool),
        "copy": np.tile(~gen.numpy(), (3, 1)),
        "alpha_fixed": 1.0,
    }


def test_steering_slider_frames_show_the_steered_samples():
    st = _steering()
    fig = vd.steering_slider(st, n_each=2)
    assert [f.name for f in fig.frames] == ["0", "1", "2"]
    assert len(fig.frames[0].data) == 4
    # frame "2", first tile: the first generalized sample at alpha = 2
    assert np.allclose(
        np.asarray(fig.frames[2].data[0].z), st["samples"][2, 0].reshape(8, 8).numpy()
    )


def test_steering_response_means():
    st = _steering()
    fig = vd.steering_response_figure(st)
    gen_change = next(tr for tr in fig.data if tr.name == "generalized samples" and tr.xaxis == "x")
    assert np.allclose(gen_change.y, [0.0, 1.0, 2.0])
    copy_panel = [tr for tr in fig.data if tr.xaxis == "x3"]
    assert sorted(np.asarray(tr.y)[0] for tr in copy_panel) == [0.0, 1.0]
