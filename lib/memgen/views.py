"""Chapter figures: plotly figures built from the results of :mod:`memgen.experiments`.

Every figure here draws without a kernel on the website: interactivity comes from sliders over
precomputed frames (no autoplay). Import :mod:`memgen.figures` first in a notebook so the book's
renderer is active.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import as_numpy as _np, slider_figure

GRAY = "Greys_r"


def toy_denoiser_figure(res: dict) -> go.Figure:
    """Slider over sigma: where the empirical optimal denoiser sends a grid of noisy points in 2-D."""
    X = res["X"].numpy()
    grid = res["grid"].numpy()
    sigmas = list(res["outputs"])

    def traces(s):
        out = res["outputs"][s].numpy()
        # segments from each grid point y to f_emp(y), as one trace with None breaks
        seg_x = np.stack([grid[:, 0], out[:, 0], np.full(len(grid), np.nan)], 1).ravel()
        seg_y = np.stack([grid[:, 1], out[:, 1], np.full(len(grid), np.nan)], 1).ravel()
        return [
            go.Scatter(x=seg_x, y=seg_y, mode="lines", line={"color": "rgba(100,100,180,0.35)", "width": 1},
                       name="y → f_emp(y)", hoverinfo="skip"),
            go.Scatter(x=out[:, 0], y=out[:, 1], mode="markers", marker={"size": 5, "color": "#4455aa"},
                       name="f_emp(y)"),
        ]

    training = go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name="training points",
                          marker={"size": 13, "color": "#d62728", "symbol": "star"})
    labels = [f"{s:g}" for s in sigmas]
    fig = slider_figure([{"name": lab, "traces": traces(s) + [training]} for s, lab in zip(sigmas, labels)],
                        prefix="σ = ")
    fig.update_layout(
        title="The empirical optimal denoiser pulls every noisy point y towards the training points",
        xaxis={"range": [-1.8, 1.8], "title": "y₁"},
        yaxis={"range": [-1.8, 1.8], "title": "y₂", "scaleanchor": "x"},
        height=620,
        legend={"orientation": "h", "y": -0.28},
    )
    return fig


def image_pairs_figure(top, bottom, image_shape, *, top_label: str, bottom_label: str, titles=None) -> go.Figure:
    """Two rows of grayscale images: e.g. samples above, their nearest training images below."""
    top = np.asarray(top).reshape(-1, *image_shape)
    bottom = np.asarray(bottom).reshape(-1, *image_shape)
    k = len(top)
    fig = make_subplots(rows=2, cols=k, horizontal_spacing=0.01, vertical_spacing=0.08,
                        subplot_titles=list(titles) if titles is not None else None)
    lo = float(min(top.min(), bottom.min()))
    hi = float(max(top.max(), bottom.max()))
    for j in range(k):
        for row, imgs in ((1, top), (2, bottom)):
            fig.add_trace(go.Heatmap(z=imgs[j][::-1], colorscale=GRAY, zmin=lo, zmax=hi, showscale=False),
                          row=row, col=j + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_yaxes(title={"text": top_label}, visible=True, showticklabels=False, showgrid=False,
                     zeroline=False, row=1, col=1)
    fig.update_yaxes(title={"text": bottom_label}, visible=True, showticklabels=False, showgrid=False,
                     zeroline=False, row=2, col=1)
    fig.update_layout(height=280, margin={"l": 60, "r": 10, "t": 40, "b": 10})
    return fig


def nn_ratio_histogram(ratios, spacings, threshold: float = 0.1) -> go.Figure:
    """Distances to the nearest training point, in units of the typical spacing: samples against the
    training points themselves (each to its nearest *other* training point), with the threshold."""
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=np.asarray(spacings), nbinsx=40, name="training point → nearest other",
                               marker={"color": "#aaaaaa"}, opacity=0.8))
    fig.add_trace(go.Histogram(x=np.asarray(ratios), nbinsx=40, name="sample → nearest training point",
                               marker={"color": "#d62728"}, opacity=0.8))
    fig.add_vline(x=threshold, line={"dash": "dash", "color": "#d62728"},
                  annotation_text=f"{threshold:g} × spacing")
    fig.update_layout(barmode="overlay", height=360, legend={"orientation": "h", "y": -0.25},
                      title="Nearest-neighbour distances, in units of the data's typical spacing",
                      xaxis_title="distance / typical spacing", yaxis_title="count")
    return fig


def dae_first_look_figure(res: dict, index: int = 0) -> go.Figure:
    """Training loss, and the representation h of a noisy training input and of an unseen input."""
    losses = np.asarray(res["losses"])
    h_train = res["h_train"][index].numpy()
    h_unseen = res["h_unseen"].numpy()
    units = np.arange(len(h_train))
    fig = make_subplots(rows=1, cols=3, subplot_titles=(
        "training loss", f"h, noisy training digit (top-1 {float(res['top1_train'][index]):.2f})",
        f"h, noisy unseen digit (top-1 {res['top1_unseen']:.2f})"))
    fig.add_trace(go.Scatter(y=losses, mode="lines", name="loss"), row=1, col=1)
    fig.add_trace(go.Bar(x=units, y=h_train, name="training input", marker={"color": "#d62728"}), row=1, col=2)
    fig.add_trace(go.Bar(x=units, y=h_unseen, name="unseen input", marker={"color": "#4455aa"}), row=1, col=3)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_xaxes(title_text="hidden unit j", row=1, col=2)
    fig.update_xaxes(title_text="hidden unit j", row=1, col=3)
    fig.update_layout(height=360, showlegend=False)
    return fig


# ---------------------------------------------------------------- chapters 2 and 3


def _image_traces(images, image_shape, row: int, fig_cols: int, *, symmetric=True) -> list:
    """One heatmap trace per image, placed on row ``row`` of a (rows x fig_cols) subplot grid."""
    traces = []
    for j, img in enumerate(_np(images)):
        z = img.reshape(image_shape)[::-1]
        lim = float(np.abs(z).max()) or 1.0
        axis = (row - 1) * fig_cols + j + 1
        suffix = "" if axis == 1 else str(axis)
        traces.append(go.Heatmap(z=z, colorscale="RdBu_r" if symmetric else GRAY, zmin=-lim if symmetric else None,
                                 zmax=lim if symmetric else None, showscale=False, xaxis=f"x{suffix}",
                                 yaxis=f"y{suffix}", hovertemplate="%{z:.2f}<extra></extra>"))
    return traces


def stored_columns_figure(X, W, owner, cosine, image_shape, *, title: str) -> go.Figure:
    """Training samples (top row) above the encoder column that stores each (bottom row)."""
    k = len(X)
    fig = make_subplots(rows=2, cols=k, horizontal_spacing=0.01, vertical_spacing=0.12,
                        subplot_titles=[f"sample {i}" for i in range(k)]
                        + [f"unit {int(owner[i])}: cos {float(cosine[i]):.4f}" for i in range(k)])
    for t in _image_traces(X, image_shape, 1, k) + _image_traces(W.T[owner], image_shape, 2, k):
        fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_annotations(font_size=11)
    fig.update_layout(title=title, height=330, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def gains_figure(res: dict) -> go.Figure:
    """Trained r_i (p = n and p = 2n) against the derived formula and the printed ||x||_4^4 variant."""
    idx = [f"sample {i}" for i in range(len(res["X"]))]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=idx, y=_np(res["r_theory"]), name="derived: ‖x‖₂⁴ + σ²‖x‖₂² (theory)", marker_color="#999"))
    fig.add_trace(go.Bar(x=idx, y=_np(res["r_printed"]), name="printed: ‖x‖₄⁴ + σ²‖x‖₂²", marker_color="#e0a050"))
    for p, color, symbol in ((res["models"] and max(res["models"]), "#c03030", "diamond"),
                             (min(res["models"]), "#3050c0", "circle")):
        fig.add_trace(go.Scatter(x=idx, y=_np(res[p]["r"]), mode="markers", name=f"trained, p = {p}",
                                 marker={"size": 11, "color": color, "symbol": symbol}))
    fig.update_layout(barmode="group", yaxis_title="r_i = √(gain / ‖x_i‖²)", height=380,
                      title="Trained r_i against the two formulas", margin={"t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def representation_heatmap(h, *, title: str, xlabel="hidden unit", ylabel="noisy training input") -> go.Figure:
    """h of several inputs (rows) over units (columns): one bright cell per row is 'spiky'."""
    H = _np(h)
    fig = go.Figure(go.Heatmap(z=H, colorscale="Viridis", colorbar={"title": "h"},
                               hovertemplate="input %{y}, unit %{x}: %{z:.3f}<extra></extra>"))
    fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel, height=320,
                      yaxis={"autorange": "reversed"}, margin={"t": 50})
    return fig


def lam_sweep_figure(res: dict) -> go.Figure:
    """Slider over lambda: each sample's trained gain against the formula; a sample is lost once
    n lambda >= ||x_i||^2."""
    idx = [f"{i}: ‖x‖² = {float(s):.1f}" for i, s in enumerate(res["sq_norm"])]
    n = len(res["X"])
    frames = []
    for row in res["lam_sweep"]:
        frames.append({
            "name": f"{row['lam']:g}",
            "traces": [
                go.Bar(x=idx, y=_np(row["gain_theory"]), name="formula m_i", marker_color="#bbb"),
                go.Scatter(x=idx, y=_np(row["gains"]), mode="markers", name="trained gain",
                           marker={"size": 12, "color": "#c03030"}),
            ],
            "layout": {"title": {"text": f"λ = {row['lam']:g}, nλ = {n * row['lam']:.2f}: "
                                         f"{int(row['stored'].sum())} of {n} samples stored"}},
        })
    return slider_figure(frames, prefix="λ = ", active=0,
                         layout={"yaxis": {"range": [-0.05, 1.05], "title": "gain along x_i"}, "height": 420,
                                 "margin": {"t": 60}, "legend": {"orientation": "h", "y": 1.02, "x": 0.6}})


def denoise_rows_figure(rows: list, labels: list, image_shape, *, titles=None, height=None) -> go.Figure:
    """Rows of images (e.g. clean / noisy / output / nearest stored sample), one column per example."""
    k = len(rows[0])
    fig = make_subplots(rows=len(rows), cols=k, horizontal_spacing=0.01, vertical_spacing=0.04,
                        subplot_titles=titles)
    for r, imgs in enumerate(rows, start=1):
        for t in _image_traces(imgs, image_shape, r, k, symmetric=False):
            fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    for r, label in enumerate(labels, start=1):
        fig.update_yaxes(title={"text": label}, visible=True, showticklabels=False, showgrid=False, zeroline=False,
                         row=r, col=1)
    fig.update_layout(height=height or 120 * len(rows) + 40, margin={"l": 90, "r": 10, "t": 40, "b": 10})
    return fig


def spectra_figure(spectra: list) -> go.Figure:
    """Per cluster: singular values of the learned block against the predicted gains m_j."""
    fig = make_subplots(rows=1, cols=len(spectra), subplot_titles=[f"cluster {k} ({s['units']} units)"
                                                                    for k, s in enumerate(spectra)])
    for k, s in enumerate(spectra):
        j = np.arange(1, 11)
        fig.add_trace(go.Bar(x=j, y=_np(s["m"])[:10], name="predicted m_j", marker_color="#bbb",
                             showlegend=k == 0), row=1, col=k + 1)
        fig.add_trace(go.Scatter(x=j, y=_np(s["learned"])[:10], mode="markers", name="learned",
                                 marker={"size": 10, "color": "#c03030"}, showlegend=k == 0), row=1, col=k + 1)
    fig.update_xaxes(title_text="j")
    fig.update_yaxes(title_text="gain", range=[-0.05, 1.05], col=1)
    fig.update_layout(height=360, margin={"t": 60})
    return fig


def matrices_figure(learned, theory) -> go.Figure:
    """W2 W1^T next to the block prediction sum_k M_k, on one colour scale."""
    A, B = _np(learned), _np(theory)
    lim = float(max(np.abs(A).max(), np.abs(B).max()))
    fig = make_subplots(rows=1, cols=2, subplot_titles=["trained W₂W₁ᵀ", "prediction Σₖ Mₖ"], horizontal_spacing=0.08)
    for c, M in ((1, A), (2, B)):
        fig.add_trace(go.Heatmap(z=M[::-1], colorscale="RdBu_r", zmin=-lim, zmax=lim, showscale=c == 2), row=1, col=c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(height=380, margin={"t": 50})
    return fig


def _cell_traces(cell: dict, image_shape, n_cols: int) -> list:
    """Top row: the largest encoder columns; bottom: h of one noisy training input."""
    cols = _np(cell["columns"])
    if len(cols) < n_cols:  # narrow models: blank tiles keep every frame's trace count equal
        cols = np.concatenate([cols, np.zeros((n_cols - len(cols), cols.shape[1]))])
    traces = _image_traces(cols, image_shape, 1, n_cols)
    h = _np(cell["h0"])
    axis = n_cols + 1
    traces.append(go.Bar(x=np.arange(len(h)), y=h, marker_color="#3050c0", xaxis=f"x{axis}", yaxis=f"y{axis}",
                         hovertemplate="unit %{x}: %{y:.3f}<extra></extra>"))
    return traces


def _grid_layout(n_cols: int, image_shape) -> dict:
    fig = make_subplots(rows=2, cols=n_cols, specs=[[{}] * n_cols, [{"colspan": n_cols}] + [None] * (n_cols - 1)],
                        row_heights=[0.45, 0.55], vertical_spacing=0.14, horizontal_spacing=0.01)
    for i in range(1, n_cols + 1):
        fig.update_xaxes(visible=False, row=1, col=i)
        fig.update_yaxes(visible=False, scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
    fig.update_xaxes(title_text="hidden unit", row=2, col=1)
    fig.update_yaxes(title_text="h of a noisy training input", row=2, col=1)
    fig.update_layout(height=520, showlegend=False, margin={"t": 60, "b": 40})
    return fig.layout.to_plotly_json()


def regime_grid_figure(grid: dict) -> go.Figure:
    """Slider over the (n, p) grid: largest encoder columns and h of a noisy training input."""
    cells = grid["cells"]
    n_cols = max(len(c["columns"]) for c in cells.values())
    frames = []
    for (n, p), cell in cells.items():
        frames.append({"name": f"n={n}, p={p}", "traces": _cell_traces(cell, grid["image_shape"], n_cols),
                       "layout": {"title": {"text": f"n = {n} samples, p = {p} units: mean top-1 share "
                                                    f"{cell['top1']:.2f}, column–sample cosine "
                                                    f"{float(cell['cosine'].mean()):.2f}"}}})
    return slider_figure(frames, prefix="", active=0, layout=_grid_layout(n_cols, grid["image_shape"]))


def sigma_grid_figure(grid: dict) -> go.Figure:
    """Slider over sigma at one (n, p)."""
    by = grid["by_sigma"]
    n_cols = max(len(c["columns"]) for c in by.values())
    frames = [{"name": f"{s:g}", "traces": _cell_traces(cell, grid["image_shape"], n_cols),
               "layout": {"title": {"text": f"σ = {s:g}: mean top-1 share {cell['top1']:.2f}, column–sample "
                                            f"cosine {float(cell['cosine'].mean()):.2f}"}}}
              for s, cell in by.items()]
    return slider_figure(frames, prefix="σ = ", active=2, layout=_grid_layout(n_cols, grid["image_shape"]))


def regime_heatmap(grid: dict, key: str = "top1") -> go.Figure:
    """The whole (n, p) grid at a glance: mean top-1 share of h per cell."""
    ns = sorted({n for n, _ in grid["cells"]})
    ps = sorted({p for _, p in grid["cells"]})
    Z = np.array([[grid["cells"][(n, p)][key] for p in ps] for n in ns])
    fig = go.Figure(go.Heatmap(z=Z, x=[str(p) for p in ps], y=[str(n) for n in ns], colorscale="Viridis",
                               zmin=0, zmax=1, text=np.round(Z, 2), texttemplate="%{text}",
                               colorbar={"title": "top-1"}))
    fig.update_layout(xaxis_title="width p", yaxis_title="samples n", height=340, title="Mean top-1 share of h",
                      margin={"t": 50})
    return fig
