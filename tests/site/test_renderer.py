"""The book's plotly renderer (memgen.views.render): what it emits, and when it is selected.

The renderer is chosen by ``render.setup()`` (importing the module changes nothing), so each
environment is checked in a fresh Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import pytest

from memgen.views import render as figures

PROBE = """
import json, sys
{setup}
import plotly.io as pio
before = pio.renderers.default
from memgen.views import render
imported = pio.renderers.default
render.setup()
assert imported == before, 'importing memgen.views.render changed the renderer'
print(json.dumps([before, pio.renderers.default]))
"""


def _renderers(setup: str = "", book_build: bool = False) -> list[str]:
    """[plotly's default renderer, the default after render.setup()], in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != figures.BOOK_BUILD_ENV}
    if book_build:
        env[figures.BOOK_BUILD_ENV] = "1"
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_book_build_selects_the_book_renderer():
    assert _renderers(book_build=True)[1] == figures.RENDERER_NAME


def test_colab_keeps_plotlys_colab_renderer():
    setup = (
        "import types, os; sys.modules['google'] = types.ModuleType('google'); "
        "sys.modules['google.colab'] = types.ModuleType('google.colab'); "
        "import plotly.io as pio; pio.renderers.default = 'colab'"
    )
    assert _renderers(setup, book_build=True) == ["colab", "colab"]


def test_elsewhere_plotlys_default_is_kept():
    before, after = _renderers()
    assert after == before != figures.RENDERER_NAME


def _bundle(fig: go.Figure) -> dict:
    return figures.BookHtmlRenderer().to_mimebundle(fig.to_dict())


def test_book_renderer_emits_offline_html_only():
    fig = figures.slider_figure(
        [{"name": f"{k}", "traces": [go.Scatter(y=np.arange(3) * k)]} for k in range(3)],
        prefix="k = ",
    )
    bundle = _bundle(fig)
    assert list(bundle) == ["text/html"]
    html = bundle["text/html"]
    assert "plotly-graph-div" in html and "memgen-figure-data" in html
    assert "<script src" not in html and "cdn" not in html.lower()  # no plotly.js, no MathJax
    assert "Plotly." not in html  # no inline JavaScript: the page's deferred loader draws it
    assert '"frames"' in html  # the frames are there for the slider


def test_book_renderer_is_deterministic():
    fig = go.Figure(go.Heatmap(z=np.arange(6).reshape(2, 3)))
    assert _bundle(fig) == _bundle(fig)


def test_image_grid_layout():
    imgs = np.random.default_rng(0).normal(size=(5, 12))
    fig = figures.image_grid(imgs, (3, 4), titles=list("abcde"), cols=3)
    assert len(fig.data) == 5
    assert all(np.asarray(t.z).shape == (3, 4) for t in fig.data)
    assert {t.zmin for t in fig.data} == {imgs.min()} and {t.zmax for t in fig.data} == {imgs.max()}
    assert fig.layout.yaxis2.scaleanchor == "x2" and fig.layout.xaxis.visible is False
    with pytest.raises(ValueError):
        figures.image_grid(imgs, (5, 5))


def test_slider_figure_steps_jump_to_frames_without_autoplay():
    frames = [{"name": f"s{k}", "traces": [go.Bar(y=[k, k + 1])]} for k in range(4)]
    fig = figures.slider_figure(frames, active=1)
    slider = fig.layout.sliders[0]
    assert slider.active == 1 and len(slider.steps) == 4
    assert [list(s.args[0]) for s in slider.steps] == [[f"s{k}"] for k in range(4)]
    assert all(s.method == "animate" and s.args[1]["mode"] == "immediate" for s in slider.steps)
    assert not fig.layout.updatemenus  # no play button
    assert list(fig.data[0].y) == [1, 2]
    with pytest.raises(ValueError):
        figures.slider_figure(frames + [{"name": "x", "traces": []}])
