"""Chapter 2's figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .panels import GRAY, _image_traces, denoise_rows_figure, representation_heatmap  # noqa: F401
from .render import as_numpy as _np
from .render import slider_figure


def stored_columns_figure(X, W, owner, cosine, image_shape, *, title: str) -> go.Figure:
    """Training samples (top row) above the encoder column that stores each (bottom row)."""
    k = len(X)
    fig = make_subplots(
        rows=2,
        cols=k,
        horizontal_spacing=0.01,
        vertical_spacing=0.12,
        subplot_titles=[f"sample {i}" for i in range(k)]
        + [f"unit {int(owner[i])}: cos {float(cosine[i]):.4f}" for i in range(k)],
    )
    for t in _image_traces(X, image_shape, 1, k) + _image_traces(W.T[owner], image_shape, 2, k):
        fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_annotations(font_size=11)
    fig.update_layout(title=title, height=330, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


def gains_figure(res: dict) -> go.Figure:
    """Trained r_i (p = n and p = 2n) against the derived formula and the printed ||x||_4^4
    variant."""
    idx = [f"sample {i}" for i in range(len(res["X"]))]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=idx,
            y=_np(res["r_theory"]),
            name="derived: ‖x‖₂⁴ + σ²‖x‖₂² (theory)",
            marker_color="#999",
        )
    )
    fig.add_trace(
        go.Bar(
            x=idx, y=_np(res["r_printed"]), name="printed: ‖x‖₄⁴ + σ²‖x‖₂²", marker_color="#e0a050"
        )
    )
    for p, color, symbol in (
        (res["models"] and max(res["models"]), "#c03030", "diamond"),
        (min(res["models"]), "#3050c0", "circle"),
    ):
        fig.add_trace(
            go.Scatter(
                x=idx,
                y=_np(res[p]["r"]),
                mode="markers",
                name=f"trained, p = {p}",
                marker={"size": 11, "color": color, "symbol": symbol},
            )
        )
    fig.update_layout(
        barmode="group",
        yaxis_title="r_i = √(gain / ‖x_i‖²)",
        height=380,
        title="Trained r_i against the two formulas",
        margin={"t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def lam_sweep_figure(res: dict) -> go.Figure:
    """Slider over lambda: each sample's trained gain against the formula; a sample is lost once
    n lambda >= ||x_i||^2."""
    idx = [f"{i}: ‖x‖² = {float(s):.1f}" for i, s in enumerate(res["sq_norm"])]
    n = len(res["X"])
    frames = []
    for row in res["lam_sweep"]:
        frames.append(
            {
                "name": f"{row['lam']:g}",
                "traces": [
                    go.Bar(
                        x=idx, y=_np(row["gain_theory"]), name="formula m_i", marker_color="#bbb"
                    ),
                    go.Scatter(
                        x=idx,
                        y=_np(row["gains"]),
                        mode="markers",
                        name="trained gain",
                        marker={"size": 12, "color": "#c03030"},
                    ),
                ],
                "layout": {
                    "title": {
                        "text": f"λ = {row['lam']:g}, nλ = {n * row['lam']:.2f}: "
                        f"{int(row['stored'].sum())} of {n} samples stored"
                    }
                },
            }
        )
    return slider_figure(
        frames,
        prefix="λ = ",
        active=0,
        layout={
            "yaxis": {"range": [-0.05, 1.05], "title": "gain along x_i"},
            "height": 420,
            "margin": {"t": 60},
            "legend": {"orientation": "h", "y": 1.02, "x": 0.6},
        },
    )


def _cell_traces(cell: dict, image_shape, n_cols: int) -> list:
    """Top row: the largest encoder columns; bottom: h of one noisy training input."""
    cols = _np(cell["columns"])
    if len(cols) < n_cols:  # narrow models: blank tiles keep every frame's trace count equal
        cols = np.concatenate([cols, np.zeros((n_cols - len(cols), cols.shape[1]))])
    traces = _image_traces(cols, image_shape, 1, n_cols)
    h = _np(cell["h0"])
    axis = n_cols + 1
    traces.append(
        go.Bar(
            x=np.arange(len(h)),
            y=h,
            marker_color="#3050c0",
            xaxis=f"x{axis}",
            yaxis=f"y{axis}",
            hovertemplate="unit %{x}: %{y:.3f}<extra></extra>",
        )
    )
    return traces


def _bar_ranges(cells, n_cols: int) -> tuple[str, list]:
    """The bar panel's axis name and a y range that fits every frame's bars."""
    top = max(float(_np(c["h0"]).max()) for c in cells)
    return f"{n_cols + 1}", [0.0, 1.05 * max(top, 1e-6)]


def _frame_axes(cell, axis: str, y_range) -> dict:
    """Per-frame axes of the bar panel: every unit of this frame visible, one shared y range."""
    p = len(_np(cell["h0"]))
    return {
        f"xaxis{axis}": {"range": [-0.5, p - 0.5], "dtick": max(1, p // 12)},
        f"yaxis{axis}": {"range": y_range},
    }


def _merge_axes(layout: dict, axes: dict) -> None:
    """Set the bar panel's ranges in ``layout`` keeping each axis' domain, anchor and title (a
    plain ``dict.update`` would replace the whole axis, and the panel would cover the figure)."""
    for key, value in axes.items():
        layout[key] = {**(layout.get(key) or {}), **value}


def _grid_layout(n_cols: int, image_shape) -> dict:
    fig = make_subplots(
        rows=2,
        cols=n_cols,
        specs=[[{}] * n_cols, [{"colspan": n_cols}] + [None] * (n_cols - 1)],
        row_heights=[0.45, 0.55],
        vertical_spacing=0.14,
        horizontal_spacing=0.01,
    )
    for i in range(1, n_cols + 1):
        fig.update_xaxes(visible=False, row=1, col=i)
        fig.update_yaxes(visible=False, scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
    fig.update_xaxes(title_text="hidden unit", row=2, col=1)
    fig.update_yaxes(title_text="h of a noisy training input", row=2, col=1)
    fig.update_layout(height=520, showlegend=False, margin={"t": 60, "b": 40})
    return fig.layout.to_plotly_json()


def _title(head: str, cell: dict) -> str:
    return (
        f"{head}: stored {cell['stored_fraction']:.2f} of the samples "
        f"(predicted {cell['predicted_stored_fraction']:.2f}); top-1 share "
        f"{cell['top1_merged']:.2f} merged, {cell['top1']:.2f} raw"
    )


def regime_grid_figure(grid: dict) -> go.Figure:
    """Slider over the (n, p) grid: largest encoder columns and h of a noisy training input."""
    cells = grid["cells"]
    n_cols = max(len(c["columns"]) for c in cells.values())
    axis, y_range = _bar_ranges(cells.values(), n_cols)
    layout = _grid_layout(n_cols, grid["image_shape"])
    frames = []
    for (n, p), cell in cells.items():
        frames.append(
            {
                "name": f"n={n}, p={p}",
                "traces": _cell_traces(cell, grid["image_shape"], n_cols),
                "layout": {
                    "title": {"text": _title(f"n = {n}, p = {p}", cell)},
                    **_frame_axes(cell, axis, y_range),
                },
            }
        )
    first = next(iter(cells.values()))
    _merge_axes(layout, _frame_axes(first, axis, y_range))
    return slider_figure(frames, prefix="", active=0, layout=layout)


def sigma_grid_figure(grid: dict) -> go.Figure:
    """Slider over sigma at one (n, p), named in every frame's title."""
    by = grid["by_sigma"]
    n, p = grid["sigma_np"]
    n_cols = max(len(c["columns"]) for c in by.values())
    axis, y_range = _bar_ranges(by.values(), n_cols)
    frames = [
        {
            "name": f"{s:g}",
            "traces": _cell_traces(cell, grid["image_shape"], n_cols),
            "layout": {
                "title": {"text": _title(f"n = {n}, p = {p}, σ = {s:g}", cell)},
                **_frame_axes(cell, axis, y_range),
            },
        }
        for s, cell in by.items()
    ]
    layout = _grid_layout(n_cols, grid["image_shape"])
    _merge_axes(layout, _frame_axes(next(iter(by.values())), axis, y_range))
    return slider_figure(frames, prefix="σ = ", active=2, layout=layout)


def regime_heatmap(grid: dict, key: str = "stored_fraction") -> go.Figure:
    """The whole (n, p) grid at a glance: the fraction of training samples stored by a unit, with
    the prediction min(p, n_alive) / n and both top-1 shares on hover."""
    ns = sorted({n for n, _ in grid["cells"]})
    ps = sorted({p for _, p in grid["cells"]})
    cell = grid["cells"]
    Z = np.array([[cell[(n, p)][key] for p in ps] for n in ns])
    hover = [
        [
            (
                f"n = {n}, p = {p}<br>stored {cell[(n, p)]['stored_fraction']:.2f}, predicted "
                f"{cell[(n, p)]['predicted_stored_fraction']:.2f}<br>top-1 share merged "
                f"{cell[(n, p)]['top1_merged']:.2f}, raw {cell[(n, p)]['top1']:.2f}"
            )
            for p in ps
        ]
        for n in ns
    ]
    fig = go.Figure(
        go.Heatmap(
            z=Z,
            x=[str(p) for p in ps],
            y=[str(n) for n in ns],
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            text=np.round(Z, 2),
            texttemplate="%{text}",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            colorbar={"title": "stored"},
        )
    )
    fig.update_layout(
        xaxis_title="width p",
        yaxis_title="samples n",
        height=340,
        title="Fraction of the training digits stored by a unit",
        margin={"t": 50},
    )
    return fig
