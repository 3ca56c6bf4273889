"""Chapter 6 figures: sampling trajectories, copies, and spikiness along the trajectory.

Built from the results of :mod:`memgen.experiments.ch06_diffusion`; every figure draws without a
kernel
(sliders over precomputed frames, no autoplay).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy as _np
from .render import log_ticks, slider_figure

NAMES = {"mem": "memorizing", "gen": "generalizing"}
COLORS = {"mem": "#d62728", "gen": "#4455aa"}


def _axis(i: int) -> str:
    return "" if i == 1 else str(i)


def _heat(img, image_shape, axis: int, lim: float) -> go.Heatmap:
    return go.Heatmap(
        z=np.round(_np(img).reshape(image_shape)[::-1], 3).astype(np.float32),
        zmin=-lim,
        zmax=lim,
        colorscale="Greys_r",
        showscale=False,
        xaxis=f"x{_axis(axis)}",
        yaxis=f"y{_axis(axis)}",
        hovertemplate="%{z:.2f}<extra></extra>",
    )


def trajectory_figure(res: dict, image_shape, *, n_show: int = 6, every: int = 3) -> go.Figure:
    """Slider over sampling steps: x_t and D(x_t; sigma_t) of the first ``n_show`` samples under
    both
    models (rows), and the representation r(x_t) of sample 0 under each model (bars)."""
    traj = {k: res[k]["traj"] for k in ("mem", "gen")}
    T, k = traj["mem"]["x"].shape[0], n_show
    steps = sorted(set(range(0, T, every)) | {T - 1})
    rows = [("mem", "x"), ("mem", "denoised"), ("gen", "x"), ("gen", "denoised")]
    lim = 1.6
    p = traj["mem"]["h"].shape[-1]
    frames = []
    for t in steps:
        traces = []
        for r, (kind, key) in enumerate(rows):
            for j in range(k):
                traces.append(_heat(traj[kind][key][t, j], image_shape, r * k + j + 1, lim))
        for c, kind in enumerate(("mem", "gen")):
            axis = 4 * k + 1 + c
            h = np.round(_np(traj[kind]["h"][t, 0]), 4).astype(np.float32)
            traces.append(
                go.Bar(
                    x=np.arange(p),
                    y=h,
                    marker_color=COLORS[kind],
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                    hovertemplate="unit %{x}: %{y:.3f}<extra></extra>",
                )
            )
        sigma = float(traj["mem"]["sigma"][t])
        std = {kind: float(traj[kind]["std"][t].mean()) for kind in ("mem", "gen")}
        top1 = {kind: float(traj[kind]["top1"][t].mean()) for kind in ("mem", "gen")}
        frames.append(
            {
                "name": f"{t}",
                "traces": traces,
                "layout": {
                    "title": {
                        "text": (
                            f"step {t}, σ = {sigma:.3f}: mean std of r {std['mem']:.3f} "
                            "(memorizing), "
                            f"{std['gen']:.3f} "
                            f"(generalizing); top-1 share {top1['mem']:.2f}, {top1['gen']:.2f}"
                        )
                    }
                },
            }
        )

    specs = [[{}] * k for _ in range(4)] + [
        [{"colspan": k // 2}]
        + [None] * (k // 2 - 1)
        + [{"colspan": k - k // 2}]
        + [None] * (k - k // 2 - 1)
    ]
    base = make_subplots(
        rows=5,
        cols=k,
        specs=specs,
        row_heights=[0.14] * 4 + [0.44],
        vertical_spacing=0.03,
        horizontal_spacing=0.01,
    )
    labels = ["memorizing xₜ", "memorizing D(xₜ)", "generalizing xₜ", "generalizing D(xₜ)"]
    for r in range(4):
        for j in range(k):
            base.update_xaxes(visible=False, row=r + 1, col=j + 1)
            base.update_yaxes(
                visible=False, scaleanchor=f"x{_axis(r * k + j + 1)}", row=r + 1, col=j + 1
            )
        base.update_yaxes(
            title={"text": labels[r], "font": {"size": 11}},
            visible=True,
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            row=r + 1,
            col=1,
        )
    hmax = max(float(traj[kind]["h"][:, 0].max()) for kind in ("mem", "gen"))
    base.update_xaxes(title_text="unit j (memorizing, sample 0)", row=5, col=1)
    base.update_xaxes(title_text="unit j (generalizing, sample 0)", row=5, col=k // 2 + 1)
    base.update_yaxes(title_text="r(xₜ)", range=[0, 1.05 * hmax], row=5, col=1)
    base.update_yaxes(range=[0, 1.05 * hmax], row=5, col=k // 2 + 1)
    base.update_layout(height=940, showlegend=False, margin={"t": 60, "b": 40, "l": 70, "r": 10})
    fig = slider_figure(frames, prefix="step ", active=0, layout=base.layout.to_plotly_json())
    fig.layout.sliders[0].pad = {"t": 70, "b": 10}
    return fig


def spikiness_figure(res: dict) -> go.Figure:
    """Along the trajectory (all samples), both models: the fraction of guesses D(x_t; sigma_t) that
    are copies, the mean std and the mean top-1 share of the representation r."""
    titles = ["guesses D(xₜ; σₜ) that are copies", "mean std of r", "mean top-1 share of r"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.08)
    for kind in ("mem", "gen"):
        traj = res[kind]["traj"]
        sigma = _np(traj["sigma"])
        series = [_np(res[kind]["guess_copy"]), _np(traj["std"]).mean(1), _np(traj["top1"]).mean(1)]
        for c, v in enumerate(series):
            fig.add_trace(
                go.Scatter(
                    x=sigma,
                    y=v,
                    mode="lines+markers",
                    marker={"size": 4},
                    line={"color": COLORS[kind]},
                    name=NAMES[kind],
                    showlegend=c == 0,
                    hovertemplate="σ = %{x:.3f}: %{y:.3f}<extra></extra>",
                ),
                row=1,
                col=c + 1,
            )
    ticks = [2, 1, 0.5, 0.2, 0.1, 0.05, 0.02]
    fig.update_xaxes(
        type="log",
        autorange="reversed",
        tickvals=ticks,
        ticktext=[f"{t:g}" for t in ticks],
        title_text="σ (sampling goes left to right)",
    )
    fig.update_yaxes(range=[-0.03, 1.03], row=1, col=1)
    fig.update_layout(height=380, legend={"orientation": "h", "y": -0.3}, margin={"t": 50})
    return fig


def nearest_figure(res: dict, X: dict, image_shape, n: int = 8) -> go.Figure:
    """For each model: the first ``n`` final samples (rows 1, 3) above their nearest training digit
    by cosine (rows 2, 4); titles give the cosine and the distance ratio d1/d2."""
    rows, titles = [], []
    for kind in ("mem", "gen"):
        final = _np(res[kind]["traj"]["final"][:n])
        s = res[kind]["copies"]
        idx = _np(s["index"][:n])
        rows += [final, _np(X[kind])[idx]]
        titles += [
            f"cos {float(s['cosine'][j]):.3f}<br>d₁/d₂ {float(s['ratio'][j]):.2f}" for j in range(n)
        ]
        titles += [""] * n
    fig = make_subplots(
        rows=4, cols=n, horizontal_spacing=0.01, vertical_spacing=0.06, subplot_titles=titles
    )
    for r, imgs in enumerate(rows):
        for j, img in enumerate(imgs):
            z = img.reshape(image_shape)[::-1]
            lim = float(np.abs(z).max()) or 1.0
            fig.add_trace(
                go.Heatmap(
                    z=z,
                    zmin=-lim,
                    zmax=lim,
                    colorscale="Greys_r",
                    showscale=False,
                    hovertemplate="%{z:.2f}<extra></extra>",
                ),
                row=r + 1,
                col=j + 1,
            )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    labels = [
        "memorizing: sample",
        f"nearest of its {len(X['mem'])}",
        "generalizing: sample",
        f"nearest of its {len(X['gen'])}",
    ]
    for r, label in enumerate(labels):
        fig.update_yaxes(
            title={"text": label, "font": {"size": 11}},
            visible=True,
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            row=r + 1,
            col=1,
        )
    fig.update_annotations(font_size=10)
    fig.update_layout(
        height=620,
        margin={"l": 80, "r": 10, "t": 60, "b": 10},
        title="Final samples (each image on its own grey scale) and their nearest training digits",
    )
    return fig


def copy_histogram(
    res: dict, calib: dict, *, max_ratio: float, min_cosine: float, n_train: int
) -> go.Figure:
    """The two copy criteria: distance ratio d1/d2 (left) and nearest cosine (right) for the samples
    of
    both models and for held-out real digits against the large training set."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[
            "distance ratio d₁/d₂ (directions)",
            "cosine to the nearest training digit",
        ],
        horizontal_spacing=0.1,
    )
    series = [
        ("memorizing model's samples", res["mem"]["copies"], COLORS["mem"]),
        ("generalizing model's samples", res["gen"]["copies"], COLORS["gen"]),
        (
            f"held-out real digits vs the {n_train} training digits",
            calib["gen"]["stats"],
            "#999999",
        ),
    ]
    for name, s, color in series:
        for c, key in enumerate(("ratio", "cosine")):
            fig.add_trace(
                go.Histogram(
                    x=_np(s[key]),
                    name=name,
                    marker_color=color,
                    opacity=0.65,
                    xbins={"start": 0, "end": 1.0001, "size": 0.02}
                    if key == "ratio"
                    else {"start": -0.2, "end": 1.0001, "size": 0.02},
                    legendgroup=name,
                    showlegend=c == 0,
                ),
                row=1,
                col=c + 1,
            )
    fig.add_vline(
        x=max_ratio, line={"dash": "dash"}, annotation_text=f"{max_ratio:.2f}", row=1, col=1
    )
    fig.add_vline(
        x=min_cosine, line={"dash": "dash"}, annotation_text=f"{min_cosine:g}", row=1, col=2
    )
    fig.update_layout(
        barmode="overlay",
        height=380,
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50},
        yaxis_title="count",
    )
    return fig


def loss_figure(models: dict, *, window: int) -> go.Figure:
    """Training loss curves (means over windows of ``window`` steps) of both models."""
    fig = go.Figure()
    curves = {kind: np.asarray(models[kind]["loss_curve"], dtype=float) for kind in ("mem", "gen")}
    for kind, curve in curves.items():
        fig.add_trace(
            go.Scatter(
                x=(np.arange(len(curve)) + 1) * window,
                y=curve,
                mode="lines",
                name=NAMES[kind],
                line={"color": COLORS[kind]},
            )
        )
    values = np.concatenate(list(curves.values()))
    values = values[np.isfinite(values) & (values > 0)]
    fig.update_yaxes(
        type="log",
        title_text="x₀ loss (batch mean)",
        **log_ticks(float(values.min()), float(values.max())),
    )
    fig.update_xaxes(title_text="training step")
    fig.update_layout(height=320, margin={"t": 30}, legend={"orientation": "h", "y": -0.3})
    return fig
