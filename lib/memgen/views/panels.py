"""Figure panels that several chapters share (image pairs, representations, denoised rows,
matrices)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy as _np

GRAY = "Greys_r"


def image_pairs_figure(
    top, bottom, image_shape, *, top_label: str, bottom_label: str, titles=None
) -> go.Figure:
    """Two rows of grayscale images: e.g. samples above, their nearest training images below."""
    top = np.asarray(top).reshape(-1, *image_shape)
    bottom = np.asarray(bottom).reshape(-1, *image_shape)
    k = len(top)
    fig = make_subplots(
        rows=2,
        cols=k,
        horizontal_spacing=0.01,
        vertical_spacing=0.08,
        subplot_titles=list(titles) if titles is not None else None,
    )
    lo = float(min(top.min(), bottom.min()))
    hi = float(max(top.max(), bottom.max()))
    for j in range(k):
        for row, imgs in ((1, top), (2, bottom)):
            fig.add_trace(
                go.Heatmap(z=imgs[j][::-1], colorscale=GRAY, zmin=lo, zmax=hi, showscale=False),
                row=row,
                col=j + 1,
            )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_yaxes(
        title={"text": top_label},
        visible=True,
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        row=1,
        col=1,
    )
    fig.update_yaxes(
        title={"text": bottom_label},
        visible=True,
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        row=2,
        col=1,
    )
    fig.update_layout(height=280, margin={"l": 60, "r": 10, "t": 40, "b": 10})
    return fig


def _image_traces(images, image_shape, row: int, fig_cols: int, *, symmetric=True) -> list:
    """One heatmap trace per image, placed on row ``row`` of a (rows x fig_cols) subplot grid."""
    traces = []
    for j, img in enumerate(_np(images)):
        z = img.reshape(image_shape)[::-1]
        lim = float(np.abs(z).max()) or 1.0
        axis = (row - 1) * fig_cols + j + 1
        suffix = "" if axis == 1 else str(axis)
        traces.append(
            go.Heatmap(
                z=z,
                colorscale="RdBu_r" if symmetric else GRAY,
                zmin=-lim if symmetric else None,
                zmax=lim if symmetric else None,
                showscale=False,
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                hovertemplate="%{z:.2f}<extra></extra>",
            )
        )
    return traces


def representation_heatmap(
    h, *, title: str, xlabel="hidden unit", ylabel="noisy training input"
) -> go.Figure:
    """h of several inputs (rows) over units (columns): one bright cell per row is 'spiky'."""
    H = _np(h)
    fig = go.Figure(
        go.Heatmap(
            z=H,
            colorscale="Viridis",
            colorbar={"title": "h"},
            hovertemplate="input %{y}, unit %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=xlabel,
        yaxis_title=ylabel,
        height=320,
        yaxis={"autorange": "reversed"},
        margin={"t": 50},
    )
    return fig


def denoise_rows_figure(
    rows: list, labels: list, image_shape, *, titles=None, height=None
) -> go.Figure:
    """Rows of images (e.g. clean / noisy / output / nearest stored sample), one column per
    example."""
    k = len(rows[0])
    fig = make_subplots(
        rows=len(rows),
        cols=k,
        horizontal_spacing=0.01,
        vertical_spacing=0.04,
        subplot_titles=titles,
    )
    for r, imgs in enumerate(rows, start=1):
        for t in _image_traces(imgs, image_shape, r, k, symmetric=False):
            fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    for r, label in enumerate(labels, start=1):
        fig.update_yaxes(
            title={"text": label},
            visible=True,
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            row=r,
            col=1,
        )
    fig.update_layout(
        height=height or 120 * len(rows) + 40, margin={"l": 90, "r": 10, "t": 40, "b": 10}
    )
    return fig


def matrices_figure(learned, theory) -> go.Figure:
    """W2 W1^T next to the block prediction sum_k M_k, on one colour scale."""
    A, B = _np(learned), _np(theory)
    lim = float(max(np.abs(A).max(), np.abs(B).max()))
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=["trained W₂W₁ᵀ", "prediction Σₖ Mₖ"],
        horizontal_spacing=0.08,
    )
    for c, M in ((1, A), (2, B)):
        fig.add_trace(
            go.Heatmap(z=M[::-1], colorscale="RdBu_r", zmin=-lim, zmax=lim, showscale=c == 2),
            row=1,
            col=c,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(height=380, margin={"t": 50})
    return fig


def encoder_columns_figure(res: dict, image_shape, *, title: str) -> go.Figure:
    """The encoder columns of largest norm as images (the paper's Figure 4), each titled with its
    norm and its best cosine to a training image: ``res`` from
    :func:`memgen.experiments.ch02_memorization.train_paper_dae`."""
    cols = _np(res["columns"]).T
    k = len(cols)
    titles = [
        f"‖w‖ {float(n):.2f}, cos {float(c):.2f}" for n, c in zip(res["norms"], res["cosines"])
    ]
    fig = make_subplots(rows=1, cols=k, horizontal_spacing=0.01, subplot_titles=titles)
    for t in _image_traces(cols, image_shape, 1, k):
        fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_annotations(font_size=10)
    fig.update_layout(title=title, height=230, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def representation_bars(h, *, title: str) -> go.Figure:
    """h of one input, one bar per hidden unit, its std in the title (the paper's Figure 5)."""
    H = _np(h).reshape(-1)
    fig = go.Figure(go.Bar(x=list(range(len(H))), y=H, marker_color="#4455aa"))
    fig.update_layout(
        title=f"{title} (std {float(H.std()):.3f})",
        xaxis_title="hidden unit",
        yaxis_title="h",
        height=300,
        margin={"t": 50},
    )
    return fig
