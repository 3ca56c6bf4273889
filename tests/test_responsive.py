"""The narrow (phone) variants of the book's figures: memgen.views.responsive.narrow_patch."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from memgen.views import ch02_memorization as vw2
from memgen.views.responsive import MIN_TILE_PX, NARROW_WIDTH, _plot_height, narrow_patch


def _tiles_over_bars(n_tiles: int = 8) -> dict:
    """Chapter 2's slider grid: a row of 8 x 8 image tiles over a full-width bar panel."""
    layout = vw2._grid_layout(n_tiles, (8, 8))
    fig = go.Figure(layout=layout)
    rng = np.random.default_rng(0)
    for i in range(1, n_tiles + 1):
        fig.add_trace(go.Heatmap(z=rng.normal(size=(8, 8)), xaxis=f"x{i}", yaxis=f"y{i}"))
    fig.add_trace(go.Bar(y=rng.random(12), xaxis=f"x{n_tiles + 1}", yaxis=f"y{n_tiles + 1}"))
    return json.loads(fig.to_json())


def test_grid_layout_keeps_the_bar_panels_domain():
    layout = vw2._grid_layout(8, (8, 8))
    vw2._merge_axes(layout, {"xaxis9": {"range": [-0.5, 5.5]}, "yaxis9": {"range": [0, 1]}})
    assert layout["yaxis9"]["domain"][1] < layout["yaxis"]["domain"][0]  # below the tiles
    assert layout["xaxis9"]["range"] == [-0.5, 5.5] and "anchor" in layout["xaxis9"]


def test_a_row_of_tiles_over_a_panel_becomes_two_rows_of_larger_tiles():
    fig = _tiles_over_bars()
    patch = narrow_patch(fig)
    out = patch["layout"]
    tops = sorted({round(out[f"yaxis{'' if i == 1 else i}.domain"][1], 6) for i in range(1, 9)})
    assert len(tops) == 2  # two rows of four
    width = out["xaxis.domain"][1] - out["xaxis.domain"][0]
    assert width * (NARROW_WIDTH - 24) >= MIN_TILE_PX
    # the bar panel keeps its height in pixels, below every tile (the figure grows if need be)
    before = _plot_height(fig["layout"])[0]
    after = _plot_height({**fig["layout"], "height": out["height"]})[0]
    d0, d1 = fig["layout"]["yaxis9"]["domain"], out["yaxis9.domain"]
    assert out["height"] >= fig["layout"]["height"]
    assert abs((d1[1] - d1[0]) * after - (d0[1] - d0[0]) * before) < 1.0
    assert d1[1] < min(out[f"yaxis{'' if i == 1 else i}.domain"][0] for i in range(1, 9))


def test_side_by_side_panels_stack():
    fig = make_subplots(rows=1, cols=2, subplot_titles=["a", "b"])
    fig.add_trace(go.Scatter(y=[1, 2]), row=1, col=1)
    fig.add_trace(go.Scatter(y=[2, 1]), row=1, col=2)
    out = narrow_patch(json.loads(fig.to_json()))["layout"]
    assert out["xaxis.domain"] == out["xaxis2.domain"] == [0.0, 1.0]
    assert out["yaxis2.domain"][1] < out["yaxis.domain"][0]
