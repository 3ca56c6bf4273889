"""The book's plotly renderer, its figure template, and small figure helpers shared by the chapters.

:func:`setup` registers a plotly renderer named ``"memgen_book"`` and a template named
``"memgen"``, then picks the renderer for the environment it runs in:

* **Google Colab** (``"google.colab" in sys.modules``): nothing is changed; plotly's own ``colab``
  renderer draws the figures.
* **The book build** (the environment variable :data:`BOOK_BUILD_ENV` is ``"1"``; the Sphinx extension
  :mod:`memgen_book.sphinxext` sets it, and the kernels that execute the chapters inherit it): the
  ``memgen_book`` renderer becomes the default. It emits **only** ``text/html``, a ``<div>`` plus an
  inline ``Plotly.newPlot`` call, made by :func:`plotly.io.to_html` with ``include_plotlyjs=False``
  (the page loads one local ``plotly.min.js``), ``include_mathjax=False`` (the page has its own local
  MathJax) and ``auto_play=False`` (a figure with frames stays on its first frame until the reader
  moves its slider). The plotly JSON mime type is not emitted, so myst-nb has nothing it cannot
  render and the build needs no suppressed warnings.
* **Anywhere else** (Jupyter, VS Code, a script): plotly's default renderer is kept, which in
  JupyterLab is the native plotly mime type.

Figures are deterministic: the HTML element id of a rendered figure is derived from the figure's
content and its position in the session, never from a random UUID.

Plotly labels are plain text (use unicode such as ``σ`` or ``x₁``): the website's MathJax is the
CommonHTML build, which plotly.js cannot use to typeset ``$...$`` inside a figure.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots

from ..environment import BOOK_BUILD_ENV, in_book_build, in_colab  # noqa: F401

__all__ = [
    "BOOK_BUILD_ENV",
    "RENDERER_NAME",
    "TEMPLATE_NAME",
    "BookHtmlRenderer",
    "in_book_build",
    "in_colab",
    "select_renderer",
    "image_grid",
    "slider_figure",
    "slider_steps",
]

#: Environment variable set to ``"1"`` by :mod:`memgen_book.sphinxext` for the whole book build.
#: Name under which the book's renderer is registered in ``plotly.io.renderers``.
RENDERER_NAME = "memgen_book"
#: Name of the book's layout template in ``plotly.io.templates``.
TEMPLATE_NAME = "memgen"

#: Height (px) of a figure whose layout does not set one.
DEFAULT_HEIGHT = 480

_PLOTLY_CONFIG = {"responsive": True, "displaylogo": False}


class BookHtmlRenderer(MimetypeRenderer):
    """Plotly renderer for the offline website: a ``text/html`` bundle that relies on the page's
    own ``plotly.min.js`` (no inline plotly.js, no CDN, no MathJax) and never autoplays frames."""

    def __init__(self, config: dict | None = None):
        self.config = dict(_PLOTLY_CONFIG if config is None else config)
        self._count = itertools.count(1)

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        digest = hashlib.sha256(pio.to_json(fig_dict, validate=False).encode()).hexdigest()[:12]
        div_id = f"memgen-fig-{next(self._count)}-{digest}"
        height = (fig_dict.get("layout") or {}).get("height")
        html = pio.to_html(
            fig_dict,
            config=self.config,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            auto_play=False,
            validate=False,
            div_id=div_id,
            default_width="100%",
            default_height=f"{int(height) if height else DEFAULT_HEIGHT}px",
        )
        return {"text/html": html}


# --- template ------------------------------------------------------------------------------------

BOOK_TEMPLATE = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": "Arial, Helvetica, sans-serif", "size": 13, "color": "#222"},
        "title": {"font": {"size": 15}, "x": 0.0, "xanchor": "left"},
        "margin": {"l": 55, "r": 20, "t": 50, "b": 45},
        "colorway": ["#4455aa", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"],
        "hoverlabel": {"namelength": -1},
    }
)


def _register() -> None:
    pio.templates[TEMPLATE_NAME] = BOOK_TEMPLATE
    pio.templates.default = f"plotly_white+{TEMPLATE_NAME}"
    if RENDERER_NAME not in pio.renderers:
        pio.renderers[RENDERER_NAME] = BookHtmlRenderer()


def select_renderer() -> str:
    """Pick the renderer for this environment (see the module docstring); return its name."""
    if in_colab():
        return pio.renderers.default  # plotly's "colab"
    if in_book_build():
        pio.renderers.default = RENDERER_NAME
    return pio.renderers.default


def setup() -> str:
    """Register the book's template and renderer and pick the renderer for this environment.

    Chapters call it once in their import cell (``render.setup()``); nothing happens on import.
    Returns the name of the renderer in use.
    """
    _register()
    return select_renderer()


# --- helpers -------------------------------------------------------------------------------------


def _as_numpy(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):  # torch tensor
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def as_numpy(a) -> np.ndarray:
    """A torch tensor (detached, on the CPU) or any array-like as a numpy array, for plotting."""
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def image_grid(
    images: Any,
    image_shape: Sequence[int],
    titles: Sequence[str] | None = None,
    cols: int = 8,
    zmin: float | None = None,
    zmax: float | None = None,
    *,
    colorscale: str = "Greys_r",
    tile_px: int = 110,
    title: str | None = None,
) -> go.Figure:
    """A grid of grayscale images as heatmaps with equal aspect and no axes.

    ``images`` is anything array-like (numpy, torch) of shape ``(k, d)`` or ``(k, *image_shape)``
    with ``d = prod(image_shape)``. All tiles share one colour scale, ``[zmin, zmax]``, by default
    the range of all images. Row 0 of an image is drawn at the top.
    """
    image_shape = tuple(int(s) for s in image_shape)
    if len(image_shape) != 2:
        raise ValueError(f"image_shape must be (height, width), got {image_shape}")
    arr = _as_numpy(images)
    if arr.ndim == 1:
        arr = arr[None]
    k = arr.shape[0]
    if int(np.prod(arr.shape[1:])) != int(np.prod(image_shape)):
        raise ValueError(f"images of shape {arr.shape[1:]} do not match image_shape {image_shape}")
    arr = arr.reshape(k, *image_shape)
    if titles is not None and len(titles) != k:
        raise ValueError(f"got {len(titles)} titles for {k} images")
    if cols < 1:
        raise ValueError("cols must be >= 1")
    cols = min(cols, k) if k else 1
    rows = max(1, -(-k // cols))
    lo = float(arr.min()) if zmin is None and k else zmin
    hi = float(arr.max()) if zmax is None and k else zmax

    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[str(t) for t in titles] if titles is not None else None,
        horizontal_spacing=0.02 / max(1, cols / 8),
        vertical_spacing=(0.25 if titles is not None else 0.04) / rows,
    )
    for i in range(k):
        fig.add_trace(
            go.Heatmap(
                z=arr[i],
                zmin=lo,
                zmax=hi,
                colorscale=colorscale,
                showscale=False,
                hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for i in range(1, rows * cols + 1):  # equal aspect: each y axis is scaled like its own x axis
        suffix = "" if i == 1 else str(i)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    top = 40 if title else (25 if titles is not None else 10)
    fig.update_layout(
        title=title,
        height=int(rows * tile_px * (1.3 if titles is not None else 1.05)) + top + 10,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        showlegend=False,
    )
    return fig


def slider_steps(names: Sequence[str]) -> list[dict]:
    """Slider steps that jump immediately to the frame of the same name (no animation, no autoplay)."""
    return [
        {
            "label": str(name),
            "method": "animate",
            "args": [
                [str(name)],
                {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}},
            ],
        }
        for name in names
    ]


def slider_figure(
    frames: Sequence[dict],
    *,
    prefix: str = "",
    active: int = 0,
    layout: dict | None = None,
) -> go.Figure:
    """A figure whose slider switches between precomputed frames, with no play button.

    ``frames`` is a list of ``{"name": str, "traces": [plotly traces], "layout": {...}}`` (``layout``
    optional, e.g. a per-frame title). Every frame must have the same number of traces, in the same
    order. The figure starts on frame ``active``; moving the slider runs ``Plotly.animate`` to the
    frame of that name with zero duration, which works on the static website (no kernel) and in
    notebooks.
    """
    if not frames:
        raise ValueError("slider_figure needs at least one frame")
    names = [str(f["name"]) for f in frames]
    if len(set(names)) != len(names):
        raise ValueError(f"frame names must be unique, got {names}")
    n_traces = {len(f["traces"]) for f in frames}
    if len(n_traces) != 1:
        raise ValueError(f"every frame must have the same number of traces, got {sorted(n_traces)}")
    if not 0 <= active < len(frames):
        raise ValueError(f"active={active} is not a frame index (0..{len(frames) - 1})")

    start = frames[active]
    fig = go.Figure(
        data=list(start["traces"]),
        frames=[go.Frame(name=n, data=list(f["traces"]), layout=f.get("layout")) for n, f in zip(names, frames)],
    )
    fig.update_layout(
        sliders=[
            {
                "active": active,
                "currentvalue": {"prefix": prefix, "font": {"size": 14}},
                "pad": {"t": 40, "b": 10},
                "steps": slider_steps(names),
            }
        ],
        **(layout or {}),
    )
    if start.get("layout"):
        fig.update_layout(start["layout"])
    return fig
