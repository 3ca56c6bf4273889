"""Chapter 5's figures (the block-structure theorem), built from
:mod:`memgen.experiments.ch05_theorem`.

Interactive figures are sliders over precomputed frames (:func:`memgen.views.render.slider_figure`):
they
work on the static website with no kernel.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy as _np
from .render import log_ticks, slider_figure


def _order(cluster) -> np.ndarray:
    """Units sorted by block, so the blocks show as contiguous bands."""
    return np.argsort(_np(cluster), kind="stable")


def activation_matrix_figure(
    res: dict, *, title: str = "Which units fire for which cluster"
) -> go.Figure:
    """Heatmap: rows are clusters, columns the alive units sorted by block, colour = fraction of the
    cluster's points on which the unit is active."""
    R = _np(res["rates"])
    order = _order(res["cluster"])
    Z = R[order].T
    fig = go.Figure(
        go.Heatmap(
            z=Z,
            x=[f"u{j}" for j in order],
            y=[f"cluster {k}" for k in range(Z.shape[0])],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "rate"},
            text=np.round(Z, 2),
            texttemplate="%{text}",
            hovertemplate="%{y}, unit %{x}: active on %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title, xaxis_title="hidden unit (sorted by block)", height=260, margin={"t": 50}
    )
    return fig


def flip_check_figure(res: dict) -> go.Figure:
    """Step 1 of the proof: each unit's empirical flip rate against the Gaussian-tail prediction
    mean_i Phi_bar(gamma_ij / sigma), and per point the stability against the union bound."""
    fr, fb = _np(res["flip_rate"]), _np(res["unit_flip_bound"])
    pp, pb = _np(res["per_point"]), _np(res["point_bound"])
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["per unit: flip rate", "per point: P(mask unchanged)"],
        horizontal_spacing=0.12,
    )
    hi = float(max(fr.max(), fb.max(), 1e-4)) * 1.1
    fig.add_trace(
        go.Scatter(
            x=fb,
            y=fr,
            mode="markers",
            marker={"size": 9, "color": "#4455aa"},
            name="units",
            hovertemplate="predicted %{x:.4f}, measured %{y:.4f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=[0, hi], y=[0, hi], mode="lines", line={"dash": "dash", "color": "#999"}, name="y = x"
        ),
        row=1,
        col=1,
    )
    lo = float(min(pp.min(), pb.min())) - 0.01
    fig.add_trace(
        go.Scatter(
            x=pb,
            y=pp,
            mode="markers",
            marker={"size": 5, "color": "#d62728", "opacity": 0.6},
            name="points",
            hovertemplate="bound %{x:.3f}, measured %{y:.3f}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Scatter(
            x=[lo, 1],
            y=[lo, 1],
            mode="lines",
            line={"dash": "dash", "color": "#999"},
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="Gaussian tail: mean over points of Φ̄(γ/σ)", row=1, col=1)
    fig.update_yaxes(title_text="measured flip rate", row=1, col=1)
    fig.update_xaxes(title_text="union bound 1 − Σⱼ Φ̄(γᵢⱼ/σ)", row=1, col=2)
    fig.update_yaxes(title_text="measured", row=1, col=2)
    fig.update_layout(height=380, showlegend=False, margin={"t": 50})
    return fig


def robustness_heatmaps(table: dict) -> go.Figure:
    """Purity, mask stability and the relative loss gap over sigma (rows) x optimizer (columns)."""
    keys = [
        ("purity", "block purity", "Blues", 0, 1),
        ("stability", "mask stability", "Blues", 0, 1),
        ("loss_gap_rel", "relative loss gap", "Reds", 0, None),
    ]
    fig = make_subplots(
        rows=1, cols=3, subplot_titles=[k[1] for k in keys], horizontal_spacing=0.06
    )
    x = [
        o.upper() if o == "sgd" else {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}[o]
        for o in table["optimizers"]
    ]
    y = [f"σ = {s:g}" for s in table["sigmas"]]
    for c, (key, _, scale, zmin, zmax) in enumerate(keys, start=1):
        Z = table[key]
        fig.add_trace(
            go.Heatmap(
                z=Z,
                x=x,
                y=y,
                colorscale=scale,
                zmin=zmin,
                zmax=zmax if zmax is not None else float(max(np.abs(Z).max(), 1e-3)),
                text=np.round(Z, 3),
                texttemplate="%{text}",
                showscale=False,
                hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>",
            ),
            row=1,
            col=c,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(showticklabels=False, col=2)
    fig.update_yaxes(showticklabels=False, col=3)
    fig.update_layout(height=330, margin={"t": 50})
    return fig


_METRICS = (
    ("stability", "mask stability"),
    ("purity", "block purity"),
    ("completeness", "completeness"),
    ("loss_gap_rel", "|loss gap| (rel.)"),
)


def failure_figure(fail: dict, key: str) -> go.Figure:
    """Slider over the rows of ``fail[key]`` ("sigma" or "separation"): left, the unit-by-cluster
    activation rates; right, the four measures of the theorem's conclusions."""
    rows = fail[key]
    n_units = max(len(_np(r["rates"])) for r in rows)
    label = "σ" if key == "sigma" else "separation"
    frames = []
    for r in rows:
        R = _np(r["rates"])
        order = np.argsort(-(R[:, 0] - R[:, -1]), kind="stable")
        Z = np.full((R.shape[1], n_units), np.nan)
        Z[:, : len(R)] = R[order].T
        vals = [abs(r[m]) if m == "loss_gap_rel" else r[m] for m, _ in _METRICS]
        frames.append(
            {
                "name": f"{r['value']:g}",
                "traces": [
                    go.Heatmap(
                        z=Z,
                        y=[f"cluster {k}" for k in range(Z.shape[0])],
                        colorscale="Blues",
                        zmin=0,
                        zmax=1,
                        showscale=False,
                        xaxis="x",
                        yaxis="y",
                        hovertemplate="%{y}, unit %{x}: active on %{z:.3f}<extra></extra>",
                    ),
                    go.Bar(
                        x=[t for _, t in _METRICS],
                        y=vals,
                        marker_color=["#4455aa", "#2ca02c", "#17becf", "#d62728"],
                        text=[f"{v:.3f}" for v in vals],
                        textposition="outside",
                        xaxis="x2",
                        yaxis="y2",
                        hovertemplate="%{x}: %{y:.4f}<extra></extra>",
                    ),
                ],
                "layout": {
                    "title": {
                        "text": f"{label} = {r['value']:g}: "
                        f"α = {r['alpha']:.2f}, β = {r['beta']:.2f}"
                    }
                },
            }
        )
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.5, 0.5],
        horizontal_spacing=0.1,
        subplot_titles=[
            "activation rate of each unit on each cluster",
            "the theorem's conclusions",
        ],
    )
    layout = fig.layout.to_plotly_json()
    layout.update(height=420, showlegend=False, margin={"t": 80, "b": 60})
    layout["xaxis"].update(title={"text": "hidden unit"})
    layout["yaxis2"].update(range=[0, 1.15])
    return slider_figure(frames, prefix=f"{label} = ", active=0, layout=layout)


def failure_lines_figure(fail: dict) -> go.Figure:
    """The four measures against sigma and against separation, side by side."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["growing noise σ (separation 6)", "shrinking separation (σ = 0.2)"],
        horizontal_spacing=0.1,
    )
    colors = ["#4455aa", "#2ca02c", "#17becf", "#d62728"]
    for c, key in enumerate(("sigma", "separation"), start=1):
        rows = fail[key]
        x = [r["value"] for r in rows]
        for (m, name), color in zip(_METRICS, colors):
            y = [abs(r[m]) if m == "loss_gap_rel" else r[m] for r in rows]
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines+markers",
                    name=name,
                    line={"color": color},
                    showlegend=c == 1,
                ),
                row=1,
                col=c,
            )
    sigmas = [r["value"] for r in fail["sigma"]]
    fig.update_xaxes(
        title_text="σ", type="log", row=1, col=1, **log_ticks(min(sigmas), max(sigmas))
    )
    fig.update_xaxes(title_text="separation ‖μₖ‖", autorange="reversed", row=1, col=2)
    fig.update_yaxes(range=[-0.02, 1.05])
    fig.update_layout(height=380, legend={"orientation": "h", "y": -0.25}, margin={"t": 50})
    return fig


_REACH_COLORS = {2: "#4455aa", 3: "#d62728", 4: "#2ca02c"}
_REACH_FRAMES = (
    ("gap", "loss gap", "trained loss − L* (% of L*)"),
    ("purity", "purity", "block purity"),
    ("kappa", "gain κ", "sharing gain κ of the best new unit"),
)


def _frame_range(traces: list, ref: float, pad: float = 0.06) -> list[float]:
    """A y range holding every trace's points with their error bars, and the reference line."""
    lo, hi = ref, ref
    for t in traces:
        ys = [v for v in (t.y or ()) if v is not None]
        errs = list(t.error_y.array) if t.error_y and t.error_y.visible and t.error_y.array else []
        errs = errs or [0.0] * len(ys)
        for v, e in zip(ys, errs):
            lo, hi = min(lo, v - e), max(hi, v + e)
    span = (hi - lo) or 1.0
    return [lo - pad * span, hi + pad * span]


def reach_figure(reach: dict) -> go.Figure:
    """The reach sweep: one slider frame per measure (relative loss gap with 3 standard errors,
    block purity, the sharing gain kappa searched and in closed form), against the cosine of the
    cluster means; colour = K, solid = spread directions orthogonal to the means, dotted = random.
    Filled markers: the sufficient condition holds; crosses: it fails."""
    rows = reach["rows"]
    groups = []
    for bases in ("orthogonal", "random"):
        for K in sorted({r["K"] for r in rows}):
            sel = sorted(
                (r for r in rows if r["K"] == K and r["bases"] == bases), key=lambda r: r["cosine"]
            )
            if sel:
                groups.append((bases, K, sel))
    frames = []
    for key, short, label in _REACH_FRAMES:
        traces = []
        for bases, K, sel in groups:
            x = [r["cosine"] for r in sel]
            if key == "gap":
                y = [100 * r["gap"] for r in sel]
                err = {"type": "data", "array": [300 * r["gap_se"] for r in sel], "visible": True}
            else:
                y = [r[key] for r in sel]
                err = {"visible": False}
            traces.append(
                go.Scatter(
                    x=x,
                    y=y,
                    error_y=err,
                    mode="lines+markers",
                    name=f"K = {K}, {bases}",
                    line={
                        "color": _REACH_COLORS[K],
                        "dash": "solid" if bases == "orthogonal" else "dot",
                    },
                    marker={
                        "color": _REACH_COLORS[K],
                        "size": 9,
                        "symbol": ["circle" if r["holds"] else "x" for r in sel],
                    },
                    customdata=[
                        [
                            r["purity"],
                            100 * r["gap"],
                            300 * r["gap_se"],
                            r["kappa"],
                            r["alpha"],
                            r["beta"],
                        ]
                        for r in sel
                    ],
                    hovertemplate=(
                        "cos(μₖ, μₗ) = %{x:.2f}<br>gap %{customdata[1]:.3f}"
                        " ± %{customdata[2]:.3f} %"
                        "<br>purity %{customdata[0]:.2f}, κ = %{customdata[3]:.3f}"
                        "<br>α = %{customdata[4]:.2f}, β = %{customdata[5]:.2f}<extra></extra>"
                    ),
                )
            )
        for bases, K, sel in groups:
            traces.append(
                go.Scatter(
                    # drawn on the kappa frame only (empty, not null points, on the others)
                    x=[r["cosine"] for r in sel] if key == "kappa" else [],
                    y=[r["kappa_closed"] for r in sel] if key == "kappa" else [],
                    mode="lines",
                    name=f"K = {K}, {bases}: closed form",
                    line={"color": _REACH_COLORS[K], "width": 1, "dash": "dash"},
                    opacity=0.6,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
        ref = {"gap": 0.0, "purity": 1.0, "kappa": 1.0}[key]
        frames.append(
            {
                "name": short,
                "traces": traces,
                "layout": {
                    # each measure on its own scale, fitted to this frame's data (a figure loader
                    # redraw must not carry one frame's range over to the next)
                    "yaxis": {
                        "title": {"text": label},
                        "range": _frame_range(traces, ref),
                        "autorange": False,
                    },
                    "shapes": [
                        {
                            "type": "line",
                            "xref": "paper",
                            "x0": 0,
                            "x1": 1,
                            "y0": ref,
                            "y1": ref,
                            "line": {"color": "#888", "width": 1, "dash": "dot"},
                        }
                    ],
                },
            }
        )
    fig = slider_figure(frames, prefix="showing: ")
    fig.update_layout(frames[0]["layout"])
    fig.update_xaxes(title_text="cosine of the cluster means")
    fig.update_layout(
        height=560,
        legend={"orientation": "h", "y": -0.42, "font": {"size": 11}},
        margin={"t": 30, "b": 10},
    )
    return fig
