"""Chapter 3's figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .panels import denoise_rows_figure, matrices_figure, representation_heatmap  # noqa: F401
from .render import as_numpy as _np


def spectra_figure(spectra: list) -> go.Figure:
    """Per cluster: singular values of the learned block against the predicted gains m_j."""
    fig = make_subplots(
        rows=1,
        cols=len(spectra),
        subplot_titles=[f"cluster {k} ({s['units']} units)" for k, s in enumerate(spectra)],
    )
    for k, s in enumerate(spectra):
        j = np.arange(1, 11)
        fig.add_trace(
            go.Bar(
                x=j,
                y=_np(s["m"])[:10],
                name="predicted m_j",
                marker_color="#bbb",
                showlegend=k == 0,
            ),
            row=1,
            col=k + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=j,
                y=_np(s["learned"])[:10],
                mode="markers",
                name="learned",
                marker={"size": 10, "color": "#c03030"},
                showlegend=k == 0,
            ),
            row=1,
            col=k + 1,
        )
    fig.update_xaxes(title_text="j")
    fig.update_yaxes(title_text="gain", range=[-0.05, 1.05], col=1)
    fig.update_layout(height=360, margin={"t": 60})
    return fig


def threshold_figure(th: dict) -> go.Figure:
    """The threshold n lam / n_k exercised: for each weight decay (columns) and cluster (rows), the
    predicted gains m_j on the cluster's nonzero eigen-directions (bars) and the learned singular
    values of its block (markers); the subplot title gives n_k and the threshold."""
    lams = sorted({r["lam"] for r in th["rows"]})
    ks = sorted({r["cluster"] for r in th["rows"]})
    find = {(r["lam"], r["cluster"]): r for r in th["rows"]}
    titles = [
        f"λ = {lam:g}, cluster {k} (n_k = {find[lam, k]['n_k']}): "
        f"n λ / n_k = {find[lam, k]['tau']:.2f}"
        for k in ks
        for lam in lams
    ]
    fig = make_subplots(rows=len(ks), cols=len(lams), subplot_titles=titles, shared_yaxes=True)
    for i, k in enumerate(ks):
        for j, lam in enumerate(lams):
            r = find[lam, k]
            idx = np.arange(1, len(_np(r["m"])) + 1)
            first = i == 0 and j == 0
            fig.add_trace(
                go.Bar(
                    x=idx,
                    y=_np(r["m"]),
                    name="predicted m_j",
                    marker_color="#bbb",
                    showlegend=first,
                    customdata=_np(r["s"]),
                    hovertemplate="j = %{x}, s_j = %{customdata:.3f}<br>m_j = %{y:.3f}"
                    "<extra></extra>",
                ),
                row=i + 1,
                col=j + 1,
            )
            fig.add_trace(
                go.Scatter(
                    x=idx,
                    y=_np(r["learned"]),
                    mode="markers",
                    name="learned",
                    marker={"size": 9, "color": "#c03030"},
                    showlegend=first,
                ),
                row=i + 1,
                col=j + 1,
            )
    fig.update_annotations(font_size=11)
    fig.update_xaxes(title_text="direction j", row=len(ks))
    fig.update_yaxes(range=[-0.05, 1.05])
    fig.update_yaxes(title_text="gain", col=1)
    fig.update_layout(height=520, margin={"t": 60}, legend={"orientation": "h", "y": -0.15})
    return fig
