"""Chapter 4's figures, built from the results of :mod:`memgen.experiments.ch04_mixed`.

Every figure draws without a kernel: the multiplicity figure has a slider over precomputed frames,
the phase diagram carries its numbers in hover text.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy as _np
from .render import log_ticks, slider_figure


def multiplicity_figure(sw: dict) -> go.Figure:
    """Slider over the multiplicity m: each duplicated sample's trained gain (mean over seeds)
    against
    the per-cluster prediction (||x||^2 - n lam / m) / (||x||^2 + sigma^2)."""
    sq, m_star = _np(sw["sq"]), _np(sw["m_star"])
    labels = [f"{s:.0f}" for s in sq]  # ‖x‖² of each duplicated sample (m* in the hover text)
    frames = []
    for m in sorted({r["m"] for r in sw["rows"]}):
        rows = [r for r in sw["rows"] if r["m"] == m]
        gains = np.mean([_np(r["gains"]) for r in rows], axis=0)
        stored = np.mean([_np(r["stored"]).astype(float) for r in rows], axis=0)
        frames.append(
            {
                "name": str(m),
                "traces": [
                    go.Bar(
                        x=labels,
                        y=_np(rows[0]["theory"]),
                        name="per-cluster prediction",
                        marker_color="#bbb",
                        customdata=m_star,
                        hovertemplate="‖x‖² = %{x}, m* = %{customdata:.1f}<br>predicted gain "
                        "%{y:.3f}<extra></extra>",
                    ),
                    go.Scatter(
                        x=labels,
                        y=gains,
                        mode="markers",
                        name="trained gain (mean over seeds)",
                        marker={"size": 12, "color": "#c03030"},
                        customdata=stored,
                        hovertemplate="‖x‖² = %{x}<br>gain %{y:.3f}<br>stored in "
                        "%{customdata:.0%} of seeds<extra></extra>",
                    ),
                ],
                "layout": {
                    "title": {
                        "text": f"multiplicity m = {m} (n = {rows[0]['n_rows']} rows): "
                        f"{int(round(stored.sum()))} of {len(sq)} duplicated samples stored"
                    }
                },
            }
        )
    fig = slider_figure(
        frames,
        prefix="multiplicity m = ",
        active=0,
        layout={
            "yaxis": {"range": [-0.03, 0.8], "title": "gain along x"},
            "height": 480,
            "margin": {"t": 60, "b": 40},
            "xaxis": {
                "tickangle": 0,
                "type": "category",
                "title": {"text": "‖x‖² of the duplicated sample"},
            },
            "legend": {"orientation": "h", "y": 1.04, "x": 0.5},
        },
    )
    fig.layout.sliders[0].pad = {"t": 70, "b": 10}  # room for the axis title
    return fig


def onset_figure(sw: dict, lam: float, n_bulk: int) -> go.Figure:
    """The threshold multiplicity m* = n_bulk lam / (||x||^2 - D lam) as a curve over ||x||^2, with
    the
    predicted (smallest integer above m*) and measured onsets of storage."""
    sq = _np(sw["sq"])
    D = len(sq)
    s = np.linspace(sq.min() * 0.9, sq.max() * 1.05, 200)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=s,
            y=n_bulk * lam / (s - D * lam),
            mode="lines",
            name="m* (threshold)",
            line={"color": "#999"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sq,
            y=_np(sw["predicted_onset"]),
            mode="markers",
            name="predicted onset ⌊m*⌋ + 1",
            marker={"size": 11, "symbol": "circle-open", "color": "#3050c0", "line": {"width": 2}},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sq,
            y=_np(sw["onset"]),
            mode="markers",
            name="measured onset",
            marker={"size": 9, "symbol": "diamond", "color": "#c03030"},
        )
    )
    fig.update_layout(
        title="From which multiplicity is a duplicated sample stored?",
        xaxis_title="‖x‖²",
        yaxis_title="multiplicity m",
        height=380,
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 50},
    )
    return fig


def representation_figure(det: dict) -> go.Figure:
    """h of noisy copies of some distinct samples and of every duplicated sample (rows), over
    units."""
    H = _np(det["h_show"])
    dup = _np(det["show_is_dup"])
    names, counts = [], {True: 0, False: 0}
    for d in dup.tolist():
        names.append(("duplicated " if d else "distinct ") + str(counts[d]))
        counts[d] += 1
    fig = go.Figure(
        go.Heatmap(
            z=H,
            y=names,
            colorscale="Viridis",
            colorbar={"title": "h"},
            hovertemplate="%{y}, unit %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"h of noisy training samples (m = {det['m']})",
        xaxis_title="hidden unit",
        height=460,
        yaxis={"autorange": "reversed"},
        margin={"t": 50, "l": 110},
    )
    return fig


def roc_figure(det: dict) -> go.Figure:
    """ROC curves of the two spikiness scores for duplicated against distinct samples."""
    fig = go.Figure()
    for key, name, color in (
        ("top1", "top-1 share of h", "#c03030"),
        ("std", "std of h", "#3050c0"),
    ):
        fpr, tpr = det[f"roc_{key}"]
        fig.add_trace(
            go.Scatter(
                x=fpr,
                y=tpr,
                mode="lines",
                line={"shape": "hv", "color": color},
                name=f"{name}: AUROC {det[f'auroc_{key}']:.3f}",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dot", "color": "#bbb"},
            name="chance",
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title="Detecting duplicated samples from h alone",
        xaxis_title="false positive rate",
        yaxis_title="true positive rate",
        height=400,
        legend={"orientation": "h", "y": -0.2},
        xaxis={"range": [0, 1]},
        yaxis={"range": [0, 1.02]},
        margin={"t": 50},
    )
    return fig


def competition_figure(co: dict) -> go.Figure:
    """Stored duplicated samples against the width p: measured (mean over seeds) and predicted."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=co["ps"],
            y=co["predicted"],
            mode="lines+markers",
            name="p most beneficial directions",
            line={"color": "#999", "shape": "hv"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=co["ps"],
            y=co["measured"],
            mode="markers",
            name="trained (mean over seeds)",
            marker={"size": 11, "color": "#c03030"},
        )
    )
    fig.update_layout(
        title="Units are scarce: how many duplicated samples get one?",
        xaxis_title="width p",
        yaxis_title="duplicated samples stored",
        height=360,
        yaxis={"range": [-0.3, co["n_dup"] + 0.5]},
        legend={"orientation": "h", "y": -0.22},
        margin={"t": 50},
    )
    return fig


def phase_figure(ph: dict) -> go.Figure:
    """Two heat maps over (n, p): memorized fraction and spikiness (mean over seeds), with the
    boundary
    where the memorized fraction crosses the level and the line p = n; hover shows each cell's
    numbers."""
    maps = ph["maps"]
    ns, ps = list(maps["ns"]), list(maps["ps"])
    F, T = maps["frac"], maps["top1"]
    Fa = maps["frac_all"]
    text = [
        [
            (
                f"n = {n}, p = {p}<br>memorized fraction {F[i, j]:.2f}<br>spikiness (top-1 share) "
                f"{T[i, j]:.2f}"
                f"<br>seeds {len(maps['seeds'])}: " + ", ".join(f"{v:.2f}" for v in Fa[i, j])
            )
            for j, p in enumerate(ps)
        ]
        for i, n in enumerate(ns)
    ]
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.14,
        subplot_titles=[
            "memorized fraction (stored column, cos ≥ 0.95)",
            "spikiness: mean top-1 share of h",
        ],
    )
    for col, Z in ((1, F), (2, T)):  # one colour scale, 0 to 1, for both maps
        fig.add_trace(
            go.Heatmap(
                z=Z,
                x=ps,
                y=ns,
                zmin=0,
                zmax=1,
                colorscale="Viridis",
                text=text,
                hovertemplate="%{text}<extra></extra>",
                showscale=col == 2,
                colorbar={"len": 0.9, "title": "fraction<br>or share"},
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=ph["boundary"],
                y=ns,
                mode="lines+markers",
                name="memorized fraction = 0.5",
                line={"color": "white", "width": 3},
                marker={"size": 5},
                showlegend=col == 1,
                hovertemplate="boundary: n = %{y}, p = %{x:.1f}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        lim = [min(ps[0], ns[0]), max(ps[-1], ns[-1])]
        fig.add_trace(
            go.Scatter(
                x=lim,
                y=lim,
                mode="lines",
                name="p = n",
                line={"color": "#ff7f0e", "dash": "dash"},
                showlegend=col == 1,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(title_text="width p", range=[ps[0] - 1, ps[-1] + 1])
    fig.update_yaxes(title_text="samples n", range=[ns[0] - 1, ns[-1] + 1])
    fig.update_layout(height=460, legend={"orientation": "h", "y": -0.18}, margin={"t": 60})
    return fig


def rare_cluster_figure(rc: dict) -> go.Figure:
    """A rare cluster of n_k points: left, the rank of its block, predicted (#{j: n_k s_j > n lam})
    and trained (singular values above the dead-gain cutoff), per weight decay; right, the ratio of
    the denoising errors on held-out and on training points of the rare cluster, predicted by the
    block and measured (log scale)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("rank of the rare cluster's block", "error on unseen / on training points"),
    )
    colors = ["#3050c0", "#c03030", "#208040"]
    for i, lam in enumerate(sorted({r["lam"] for r in rc["rows"]})):
        rows = [r for r in rc["rows"] if r["lam"] == lam]
        nk = [r["n_k"] for r in rows]
        col = colors[i % len(colors)]
        for c, (pred, meas) in enumerate(
            (("rank_predicted", "rank_measured"), ("gap_predicted", "gap")), start=1
        ):
            fig.add_trace(
                go.Scatter(
                    x=nk,
                    y=[r[pred] for r in rows],
                    mode="lines",
                    line={"color": col, "dash": "dot"},
                    name=f"λ = {lam:g}: predicted",
                    legendgroup=str(lam),
                    showlegend=c == 1,
                ),
                row=1,
                col=c,
            )
            fig.add_trace(
                go.Scatter(
                    x=nk,
                    y=[r[meas] for r in rows],
                    mode="markers",
                    marker={"color": col, "size": 9, "symbol": "diamond"},
                    name=f"λ = {lam:g}: trained",
                    legendgroup=str(lam),
                    showlegend=c == 1,
                ),
                row=1,
                col=c,
            )
    sizes = [r["n_k"] for r in rc["rows"]]
    ratios = [r[k] for r in rc["rows"] for k in ("gap_predicted", "gap") if r[k] > 0]
    fig.update_xaxes(
        title_text="points in the rare cluster, n_k",
        type="log",
        **log_ticks(min(sizes), max(sizes)),
    )
    fig.update_yaxes(title_text="rank", row=1, col=1)
    fig.update_yaxes(
        title_text="ratio", type="log", row=1, col=2, **log_ticks(min(ratios), max(ratios))
    )
    fig.update_layout(height=400, legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig
