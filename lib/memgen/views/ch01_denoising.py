"""Chapter 1's figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .panels import GRAY, image_pairs_figure  # noqa: F401 (chapter 1 uses it)
from .render import log_ticks, slider_figure


def toy_denoiser_figure(res: dict) -> go.Figure:
    """Slider over sigma: where the empirical optimal denoiser sends a grid of noisy points in
    2-D."""
    X = res["X"].numpy()
    grid = res["grid"].numpy()
    sigmas = list(res["outputs"])

    def traces(s):
        out = res["outputs"][s].numpy()
        # segments from each grid point y to f_emp(y), as one trace with None breaks
        seg_x = np.stack([grid[:, 0], out[:, 0], np.full(len(grid), np.nan)], 1).ravel()
        seg_y = np.stack([grid[:, 1], out[:, 1], np.full(len(grid), np.nan)], 1).ravel()
        return [
            go.Scatter(
                x=seg_x,
                y=seg_y,
                mode="lines",
                line={"color": "rgba(100,100,180,0.35)", "width": 1},
                name="y → f_emp(y)",
                hoverinfo="skip",
            ),
            go.Scatter(
                x=out[:, 0],
                y=out[:, 1],
                mode="markers",
                marker={"size": 5, "color": "#4455aa"},
                name="f_emp(y)",
            ),
        ]

    training = go.Scatter(
        x=X[:, 0],
        y=X[:, 1],
        mode="markers",
        name="training points",
        marker={"size": 13, "color": "#d62728", "symbol": "star"},
    )
    labels = [f"{s:g}" for s in sigmas]
    layout = {
        "title": (
            "The empirical optimal denoiser pulls every noisy point y towards the training points"
        ),
        "xaxis": {"range": [-1.8, 1.8], "title": "y₁"},
        "yaxis": {"range": [-1.8, 1.8], "title": "y₂", "scaleanchor": "x"},
        "height": 660,
        # above the plot: the slider holds the space below it
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "margin": {"t": 90},
    }
    frames = [{"name": lab, "traces": traces(s) + [training]} for s, lab in zip(sigmas, labels)]
    return slider_figure(frames, prefix="σ = ", layout=layout)


def nn_ratio_histogram(ratios, spacings, threshold: float = 0.1) -> go.Figure:
    """Distances to the nearest training point, in units of the typical spacing: samples against the
    training points themselves (each to its nearest *other* training point), with the threshold."""
    fig = go.Figure()
    fig.add_trace(
        go.Histogram(
            x=np.asarray(spacings),
            nbinsx=40,
            name="training point → nearest other",
            marker={"color": "#aaaaaa"},
            opacity=0.8,
        )
    )
    fig.add_trace(
        go.Histogram(
            x=np.asarray(ratios),
            nbinsx=40,
            name="sample → nearest training point",
            marker={"color": "#d62728"},
            opacity=0.8,
        )
    )
    fig.add_vline(
        x=threshold,
        line={"dash": "dash", "color": "#d62728"},
        annotation_text=f"{threshold:g} × spacing",
    )
    fig.update_layout(
        barmode="overlay",
        height=360,
        legend={"orientation": "h", "y": -0.25},
        title="Nearest-neighbour distances, in units of the data's typical spacing",
        xaxis_title="distance / typical spacing",
        yaxis_title="count",
    )
    return fig


def dae_first_look_figure(res: dict, index: int = 0) -> go.Figure:
    """Training loss, and the representation h of a noisy training input and of an unseen input."""
    losses = np.asarray(res["losses"])
    h_train = res["h_train"][index].numpy()
    h_unseen = res["h_unseen"].numpy()
    units = np.arange(len(h_train))
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            "training loss",
            f"h, noisy training digit (top-1 {float(res['top1_train'][index]):.2f})",
            f"h, noisy unseen digit (top-1 {res['top1_unseen']:.2f})",
        ),
    )
    fig.add_trace(go.Scatter(y=losses, mode="lines", name="loss"), row=1, col=1)
    fig.add_trace(
        go.Bar(x=units, y=h_train, name="training input", marker={"color": "#d62728"}), row=1, col=2
    )
    fig.add_trace(
        go.Bar(x=units, y=h_unseen, name="unseen input", marker={"color": "#4455aa"}), row=1, col=3
    )
    fig.update_yaxes(
        type="log", row=1, col=1, **log_ticks(float(losses.min()), float(losses.max()))
    )
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_xaxes(title_text="hidden unit j", row=1, col=2)
    fig.update_xaxes(title_text="hidden unit j", row=1, col=3)
    fig.update_layout(height=360, showlegend=False)
    return fig
