"""Chapter 8 figures: detection scores, ROC curves, the layer/noise/pooling sweep, and steering.

Every interactive figure is a plotly figure (sliders over precomputed frames), so it works on the
static website without a kernel.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy, image_grid, log_ticks, slider_figure

MEM_COLOR, GEN_COLOR = "#c03030", "#3060c0"


def copies_figure(b: dict, n_each: int = 4) -> go.Figure:
    """Generated samples (top row) above their nearest training image (bottom row, titled with the
    distance ratio d1/d2): ``n_each`` from memorized prompts, then ``n_each`` from digit classes."""
    is_mem = as_numpy(b["memorized_prompt"]).astype(bool)
    mem = np.flatnonzero(is_mem)[:: max(1, int(is_mem.sum()) // n_each)][:n_each]
    gen = np.flatnonzero(~is_mem)[:: max(1, int((~is_mem).sum()) // n_each)][:n_each]
    idx = np.r_[mem, gen]
    ratio, labels = as_numpy(b["ratio"]), as_numpy(b["labels"])
    imgs = np.concatenate([as_numpy(b["samples"])[idx], as_numpy(b["nearest"])[idx]])
    titles = [f"prompt {int(labels[i])}" for i in idx] + [f"d1/d2 = {ratio[i]:.2f}" for i in idx]
    return image_grid(
        imgs,
        (8, 8),
        titles=titles,
        cols=len(idx),
        zmin=-1,
        zmax=1,
        tile_px=95,
        title="generated (top), nearest training digit (bottom); memorized prompts on the left",
    )


def pooled_bars_figure(v_mem, v_gen) -> go.Figure:
    """The pooled representation (one bar per channel) of a copied sample and of a novel sample,
    each
    sorted by size, with its standard deviation (the score) in the legend."""
    fig = go.Figure()
    for v, name, color in (
        (v_mem, "copy of a training image", MEM_COLOR),
        (v_gen, "novel sample", GEN_COLOR),
    ):
        v = np.sort(as_numpy(v))[::-1]
        fig.add_trace(
            go.Bar(
                x=np.arange(1, len(v) + 1),
                y=v,
                name=f"{name} (std {v.std():.2f})",
                marker={"color": color},
                opacity=0.75,
            )
        )
    fig.update_layout(
        barmode="overlay",
        height=340,
        margin={"t": 30, "b": 40},
        xaxis_title="channel (sorted by activation)",
        yaxis_title="max-pooled activation",
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def scores_figure(table: dict) -> go.Figure:
    """Histograms of each method's score, copies against novel samples, one method per slider
    position (the scores are on different scales)."""
    pos = as_numpy(table["positive"]).astype(bool)
    frames = []
    for name, score in table["scores"].items():
        s = as_numpy(score)
        row = next(r for r in table["rows"] if r["method"] == name)
        # explicit bins (40 over the method's range), the same for both histograms: the slider's y
        # axis can then be fitted to the counts of every method (render.fit_frame_ranges)
        lo, hi = float(s.min()), float(s.max())
        bins = {"start": lo, "end": hi + 1e-9 * (abs(hi) + 1), "size": (hi - lo) / 40 or 1.0}
        traces = [
            go.Histogram(
                x=s[~pos],
                name="novel samples",
                marker={"color": GEN_COLOR},
                opacity=0.6,
                xbins=bins,
            ),
            go.Histogram(
                x=s[pos], name="copies", marker={"color": MEM_COLOR}, opacity=0.6, xbins=bins
            ),
        ]
        frames.append(
            {
                "name": name,
                "traces": traces,
                "layout": {
                    "title": {
                        "text": f"{name}: AUROC {row['auroc']:.3f}, TPR@1%FPR {row['tpr']:.2f}"
                    },
                    "xaxis": {
                        "title": {"text": "score (larger = more likely memorized)"},
                        "range": [float(s.min()), float(s.max())],
                    },
                },
            }
        )
    return slider_figure(
        frames,
        prefix="method: ",
        layout={
            "barmode": "overlay",
            "height": 400,
            "yaxis": {"title": {"text": "samples"}},
            "margin": {"t": 60, "b": 40},
        },
    )


def roc_figure(table: dict) -> go.Figure:
    """ROC curves of every method on the same samples (log false-positive axis, 1% FPR dashed)."""
    from ..metrics import roc_curve

    pos = as_numpy(table["positive"]).astype(bool)
    fig = go.Figure()
    for name, score in table["scores"].items():
        s = as_numpy(score).astype(float)
        fpr, tpr = roc_curve(s[pos], s[~pos])
        row = next(r for r in table["rows"] if r["method"] == name)
        fig.add_trace(
            go.Scatter(
                x=np.maximum(fpr, 1e-3),
                y=tpr,
                mode="lines",
                line={"shape": "hv"},
                name=f"{name} (AUROC {row['auroc']:.3f})",
            )
        )
    fig.add_vline(x=0.01, line={"dash": "dash", "color": "#888"})
    fig.update_layout(
        height=380,
        xaxis={
            "type": "log",
            "title": "false positive rate",
            "range": [-3, 0],
            **log_ticks(1e-3, 1.0),
        },
        yaxis={"title": "true positive rate", "range": [0, 1.02]},
        margin={"t": 20, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def sweep_figure(sweep: dict) -> go.Figure:
    """AUROC of the spikiness score for every hooked layer (rows) and noise level (columns), one
    heatmap per pooling, with the values written in the cells."""
    rows = sweep["rows"]
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    sigmas = list(dict.fromkeys(r["sigma"] for r in rows))
    pools = list(dict.fromkeys(r["pool"] for r in rows))
    fig = make_subplots(
        rows=1,
        cols=len(pools),
        subplot_titles=[f"{p} pooling" for p in pools],
        horizontal_spacing=0.04,
        shared_yaxes=True,
    )
    for j, pool in enumerate(pools):
        cell = {(r["layer"], r["sigma"]): r for r in rows if r["pool"] == pool}
        z = np.array([[cell[L, s]["auroc"] for s in sigmas] for L in layers])
        tpr = np.array([[cell[L, s]["tpr"] for s in sigmas] for L in layers])
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[str(s) for s in sigmas],
                y=layers,
                zmin=0,
                zmax=1,
                colorscale="RdBu",
                text=np.round(z, 2),
                texttemplate="%{text}",
                showscale=j == len(pools) - 1,
                colorbar={"title": "AUROC"},
                customdata=tpr,
                hovertemplate="%{y}<br>sigma %{x}: AUROC %{z:.3f}, TPR@1%FPR %{customdata:.2f}"
                "<extra></extra>",
            ),
            row=1,
            col=j + 1,
        )
    fig.update_xaxes(title_text="sigma of the detection pass", type="category")
    fig.update_layout(height=360, margin={"t": 40, "b": 50, "l": 10})
    return fig


def steering_slider(st: dict, n_each: int = 3) -> go.Figure:
    """A slider over alpha: the same ``n_each`` generalized samples (top row) and ``n_each``
    memorized
    samples (bottom row) steered towards "bold" with strength alpha."""
    gen = np.flatnonzero(as_numpy(st["generalized"]).astype(bool))
    mem = np.flatnonzero(~as_numpy(st["generalized"]).astype(bool))
    idx = np.r_[
        gen[:: max(1, len(gen) // n_each)][:n_each], mem[:: max(1, len(mem) // n_each)][:n_each]
    ]
    samples = as_numpy(st["samples"])
    frames = []
    for a, alpha in enumerate(st["alphas"]):
        traces = []
        for j, i in enumerate(idx):
            traces.append(
                go.Heatmap(
                    z=samples[a, i].reshape(8, 8),
                    zmin=-1,
                    zmax=1,
                    colorscale="Greys_r",
                    showscale=False,
                    xaxis=f"x{j + 1 if j else ''}",
                    yaxis=f"y{j + 1 if j else ''}",
                    hovertemplate="%{z:.2f}<extra></extra>",
                )
            )
        frames.append({"name": f"{alpha:g}", "traces": traces})
    titles = [f"generalized (digit {int(st['labels'][i])})" for i in idx[:n_each]] + [
        f"memorized (prompt {int(st['labels'][i])})" for i in idx[n_each:]
    ]
    fig = slider_figure(
        frames, prefix="alpha = ", layout={"height": 520, "margin": {"t": 40, "b": 10}}
    )
    sub = make_subplots(
        rows=2, cols=n_each, subplot_titles=titles, vertical_spacing=0.12, horizontal_spacing=0.04
    )
    fig.update_layout({k: sub.layout[k] for k in sub.layout if k.startswith(("xaxis", "yaxis"))})
    fig.update_layout(annotations=sub.layout.annotations)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for j in range(2 * n_each):
        suffix = "" if j == 0 else str(j + 1)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    return fig


def steering_response_figure(st: dict) -> go.Figure:
    """Mean change of the "bold" logit against alpha (left), the fraction of samples whose digit
    class
    is unchanged (middle) and the fraction that are copies of a training digit (right), generalized
    against memorized samples."""
    gen = as_numpy(st["generalized"]).astype(bool)
    alphas = np.asarray(st["alphas"], dtype=float)
    change, kept, copy = as_numpy(st["change"]), as_numpy(st["kept"]), as_numpy(st["copy"])
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=[
            "change of the bold-vs-thin logit",
            "digit class unchanged",
            "copy of a training digit",
        ],
    )
    for mask, name, color in (
        (gen, "generalized samples", GEN_COLOR),
        (~gen, "memorized samples", MEM_COLOR),
    ):
        c = change[:, mask]
        fig.add_trace(
            go.Scatter(
                x=alphas,
                y=c.mean(1),
                mode="lines+markers",
                name=name,
                line={"color": color},
                error_y={"type": "data", "array": c.std(1), "visible": True},
            ),
            row=1,
            col=1,
        )
        for col, frac in ((2, kept), (3, copy)):
            fig.add_trace(
                go.Scatter(
                    x=alphas,
                    y=frac[:, mask].mean(1),
                    mode="lines+markers",
                    name=name,
                    line={"color": color},
                    showlegend=False,
                ),
                row=1,
                col=col,
            )
    fig.add_vline(x=st["alpha_fixed"], line={"dash": "dash", "color": "#888"}, row=1, col=1)
    fig.update_xaxes(title_text="alpha")
    fig.update_yaxes(range=[0, 1.05], row=1, col=2)
    fig.update_yaxes(range=[0, 1.05], row=1, col=3)
    fig.update_layout(
        height=360, margin={"t": 40, "b": 40}, legend={"orientation": "h", "y": -0.25}
    )
    return fig
