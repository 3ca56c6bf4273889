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
