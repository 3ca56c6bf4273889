"""The book's plotly renderer, its figure template, and small figure helpers shared by the chapters.

:func:`setup` registers a plotly renderer named ``"memgen_book"`` and a template named
``"memgen"``, then picks the renderer for the environment it runs in:

* **Google Colab** (``"google.colab" in sys.modules``): nothing is changed; plotly's own ``colab``
  renderer draws the figures.
* **The book build** (the environment variable :data:`BOOK_BUILD_ENV` is ``"1"``; the Sphinx
  extension
  :mod:`memgen_book.sphinxext` sets it, and the kernels that execute the chapters inherit it): the
  ``memgen_book`` renderer becomes the default. It emits **only** ``text/html``: an empty ``<div>``
  and the figure as JSON in a ``<script type="application/json">`` (no inline JavaScript). The page
  loads plotly.js and the book's figure loader (``_theme/memgen-figures.js``) *deferred*, so the
  text
  paints first; the loader then draws every figure, never autoplays frames (a figure with frames
  stays on its slider's first position until the reader moves it), and on a narrow screen draws
  the figure's narrow variant (:mod:`memgen.views.responsive`: panels stacked, image grids with
  fewer columns, heat-map labels that would not fit dropped). No plotly JSON mime type is
  emitted, so myst-nb has nothing it cannot render and the build needs no suppressed warnings.
* **Anywhere else** (Jupyter, VS Code, a script): plotly's default renderer is kept, which in
  JupyterLab is the native plotly mime type.

Figures are deterministic: the HTML element id of a rendered figure is derived from the figure's
content and its position in the session, never from a random UUID.

Slider figures (:func:`slider_figure`) fit every axis to the data of all their frames
(:func:`fit_frame_ranges`): moving the slider never takes the data out of view. Log axes label
their ticks with :func:`log_ticks` (1, 2, 5 times a power of ten, or powers of ten only), never
with plotly's unlabelled minor digits.

Plotly labels are plain text (use unicode such as ``σ`` or ``x₁``): the website's MathJax is the
CommonHTML build, which plotly.js cannot use to typeset ``$...$`` inside a figure.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots

from ..environment import BOOK_BUILD_ENV, in_book_build, in_colab  # noqa: F401
from .responsive import narrow_patch

__all__ = [
    "BOOK_BUILD_ENV",
    "RENDERER_NAME",
    "TEMPLATE_NAME",
    "BookHtmlRenderer",
    "in_book_build",
    "in_colab",
    "select_renderer",
    "fit_frame_ranges",
    "image_grid",
    "log_ticks",
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


#: Class of the ``<script type="application/json">`` holding a figure, read by memgen-figures.js.
FIGURE_DATA_CLASS = "memgen-figure-data"


class BookHtmlRenderer(MimetypeRenderer):
    """Plotly renderer for the offline website: a ``text/html`` bundle with the figure as JSON,
    drawn
    by the page's deferred plotly.js and figure loader (no inline script, no CDN, no MathJax, no
    autoplay of frames), with the narrow-screen variant of
    :func:`memgen.views.responsive.narrow_patch`.
    """

    def __init__(self, config: dict | None = None):
        self.config = dict(_PLOTLY_CONFIG if config is None else config)
        self._count = itertools.count(1)

    def to_mimebundle(self, fig_dict: dict) -> dict[str, str]:
        fig_json = pio.to_json(fig_dict, validate=False)
        digest = hashlib.sha256(fig_json.encode()).hexdigest()[:12]
        div_id = f"memgen-fig-{next(self._count)}-{digest}"
        fig = json.loads(fig_json)
        layout = fig.setdefault("layout", {})
        height = int(layout.get("height") or DEFAULT_HEIGHT)
        layout["height"] = height
        spec = {
            "data": fig.get("data", []),
            "layout": layout,
            "frames": fig.get("frames", []),
            "config": self.config,
            "narrow": narrow_patch(fig),
        }
        # "</" inside a JSON string would end the <script> element early; "<\/" is the same JSON
        payload = json.dumps(spec, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
        html = (
            f'<div id="{div_id}" class="plotly-graph-div memgen-figure" '
            f'style="height:{height}px; width:100%;"></div>\n'
            f'<script type="application/json" class="{FIGURE_DATA_CLASS}" data-for="{div_id}">'
            f"{payload}</script>"
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


def setup() -> None:
    """Register the book's template and renderer and pick the renderer for this environment.

    Chapters call it once in their import cell (``render.setup()``); nothing happens on import.
    It returns None, so that the import cell, which ends with it, prints nothing; the renderer in
    use is ``plotly.io.renderers.default`` (:func:`select_renderer` returns it too).
    """
    _register()
    select_renderer()


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
    """Slider steps that jump immediately to the frame of the same name (no animation, no
    autoplay)."""
    return [
        {
            "label": str(name),
            "method": "animate",
            "args": [
                [str(name)],
                {
                    "mode": "immediate",
                    "frame": {"duration": 0, "redraw": True},
                    "transition": {"duration": 0},
                },
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

    ``frames`` is a list of ``{"name": str, "traces": [plotly traces], "layout": {...}}``
    (``layout``
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
        frames=[
            go.Frame(name=n, data=list(f["traces"]), layout=f.get("layout"))
            for n, f in zip(names, frames)
        ],
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
    return fit_frame_ranges(fig)


# --- axis ranges that fit every frame ----------------------------------------------------------


def _axis_key(ref: str | None, letter: str) -> str:
    """``"x2"`` -> ``"xaxis2"``; a trace without an axis reference is on ``xaxis`` / ``yaxis``."""
    ref = ref or letter
    return f"{letter}axis{ref[1:]}"


def _numbers(values: Any) -> np.ndarray | None:
    """Finite float values of a data array, or None when it holds non-numbers (categories)."""
    if values is None:
        return None
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return arr[np.isfinite(arr)]


def _histogram_counts(trace: dict, letter: str) -> np.ndarray | None:
    """Bin counts of a histogram with explicit bins (``xbins``/``ybins`` start, end, size)."""
    bins = trace.get(f"{letter}bins") or {}
    values = _numbers(trace.get(letter))
    if values is None or not all(bins.get(k) is not None for k in ("start", "end", "size")):
        return None
    edges = np.arange(
        float(bins["start"]), float(bins["end"]) + float(bins["size"]), float(bins["size"])
    )
    return np.histogram(values, bins=edges)[0].astype(float)


def _trace_extents(trace: dict) -> dict[str, tuple[np.ndarray | None, bool]]:
    """``{axis key: (values drawn on it, starts at zero)}`` for one trace; None values: unknown."""
    kind = trace.get("type") or "scatter"
    xkey, ykey = _axis_key(trace.get("xaxis"), "x"), _axis_key(trace.get("yaxis"), "y")
    if kind == "heatmap":
        z = np.asarray(trace.get("z"), dtype=float)
        if z.ndim != 2:
            return {}
        out = {}
        for key, letter, n in ((xkey, "x", z.shape[1]), (ykey, "y", z.shape[0])):
            coords = _numbers(trace.get(letter))
            if trace.get(letter) is not None and coords is None:
                out[key] = (None, False)  # categories
                continue
            coords = np.arange(n, dtype=float) if coords is None or not len(coords) else coords
            half = 0.5 * (float(np.min(np.diff(coords))) if len(coords) > 1 else 1.0)
            out[key] = (np.array([coords.min() - half, coords.max() + half]), False)
        return out
    if kind == "histogram":
        along, across = ("y", "x") if trace.get("orientation") == "h" else ("x", "y")
        keys = {"x": xkey, "y": ykey}
        return {
            keys[along]: (_numbers(trace.get(along)), False),
            keys[across]: (_histogram_counts(trace, along), True),
        }
    x, y = trace.get("x"), trace.get("y")
    if kind == "bar":
        value_letter = "x" if trace.get("orientation") == "h" else "y"
        pos_letter = "y" if value_letter == "x" else "x"
        vals = {"x": x, "y": y}
        pos = vals[pos_letter]
        if pos is None and vals[value_letter] is not None:
            pos = np.arange(len(np.asarray(vals[value_letter])))
        pos_num = _numbers(pos)
        if pos_num is not None and len(pos_num):
            half = 0.5 * (
                float(np.min(np.diff(np.unique(pos_num)))) if len(np.unique(pos_num)) > 1 else 1.0
            )
            pos_num = np.array([pos_num.min() - half, pos_num.max() + half])
        keys = {"x": xkey, "y": ykey}
        return {
            keys[pos_letter]: (pos_num, False),
            keys[value_letter]: (_numbers(vals[value_letter]), True),
        }
    if y is not None and x is None:
        x = np.arange(len(np.asarray(y)))
    ys = _numbers(y)
    err = trace.get("error_y") or {}
    if ys is not None and err.get("array") is not None and err.get("visible", True):
        e = np.abs(np.asarray(err["array"], dtype=float).ravel())
        yv = np.asarray(y, dtype=float).ravel()
        if e.shape == yv.shape:
            ys = _numbers(np.r_[yv - e, yv + e])
    return {xkey: (_numbers(x), False), ykey: (ys, False)}


def _span(values: np.ndarray, log: bool) -> tuple[float, float] | None:
    if log:
        values = np.log10(values[values > 0])
    if not len(values):
        return None
    return float(values.min()), float(values.max())


def fit_frame_ranges(fig: go.Figure, pad: float = 0.05) -> go.Figure:
    """Fix every numeric axis of a figure with frames so that the data of **every** frame is in
    view.

    Plotly autoranges an axis once, on the first frame drawn, and keeps that range when a slider
    animates to another frame. For each axis whose data extent differs between frames, the range is
    set to cover all frames (plus ``pad`` of the span; bars and histogram counts start at zero),
    widening any range the layout sets. An axis whose range a frame sets itself is checked against
    that frame alone. Category axes are left alone. Returns the figure (changed in place).
    """
    frames = [f.to_plotly_json() for f in fig.frames]
    if not frames:
        return fig
    layout = fig.layout.to_plotly_json()
    per_axis: dict[str, list] = {}  # axis key -> [(frame index, lo, hi, zero)]
    unknown: set[str] = set()
    for i, frame in enumerate(frames):
        for trace in frame.get("data") or []:
            for key, (values, zero) in _trace_extents(trace).items():
                ax = layout.get(key) or {}
                if values is None or ax.get("type") == "category":
                    unknown.add(key)
                    continue
                span = _span(values, ax.get("type") == "log")
                if span is not None:
                    per_axis.setdefault(key, []).append((i, *span, zero))
    for key, spans in per_axis.items():
        if key in unknown:
            continue
        ax = layout.get(key) or {}
        log = ax.get("type") == "log"
        framed = {
            i
            for i, frame in enumerate(frames)
            if ((frame.get("layout") or {}).get(key) or {}).get("range") is not None
        }
        groups = [[s for s in spans if s[0] == i] for i in framed] if framed else [spans]
        for group in groups:
            lo = min(s[1] for s in group)
            hi = max(s[2] for s in group)
            if any(s[3] for s in group) and not log:
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            if framed:
                target = fig.frames[group[0][0]].layout[key]
                current = list(target.range)
            else:
                per_frame = {(s[1], s[2]) for s in spans}
                if (
                    ax.get("range") is None
                    and len(per_frame) <= 1
                    and len({s[0] for s in spans}) == len(frames)
                ):
                    continue  # every frame has the same extent: autorange on the first one fits
                target = fig.layout[key]
                current = list(ax["range"]) if ax.get("range") is not None else None
            size = (hi - lo) or (abs(hi) or 1.0)
            zero_lo = any(s[3] for s in group) and lo == 0.0 and not log
            want = [lo if zero_lo else lo - pad * size, hi + pad * size]
            reverse = ax.get("autorange") == "reversed" or (
                current is not None and current[0] > current[1]
            )
            if current is not None:
                c_lo, c_hi = sorted(float(v) for v in current)
                if c_lo <= lo and c_hi >= hi:
                    continue  # the range drawn already shows every frame
                want = [
                    min(c_lo, want[0]) if lo < c_lo else c_lo,
                    max(c_hi, want[1]) if hi > c_hi else c_hi,
                ]
            target.range = want[::-1] if reverse else want
            target.autorange = False
    return fig


def log_ticks(lo: float, hi: float, *, max_ticks: int = 8) -> dict:
    """Tick values and labels for a log axis over the data range ``[lo, hi]`` (both > 0).

    Every tick is labelled with its full value: 1, 2 and 5 times a power of ten when they are at
    most ``max_ticks``, otherwise powers of ten only (every second or third one when there are
    many). Plotly's own log ticks label the minor ticks with bare digits ("2 5 0.1 2 5"), which a
    reader cannot read. Returns ``{"tickvals", "ticktext"}`` for ``update_xaxes``/``update_yaxes``.
    """
    if not (lo > 0 and hi > 0):
        raise ValueError(f"a log axis needs positive limits, got {lo}, {hi}")
    lo, hi = min(lo, hi), max(lo, hi)
    e0, e1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))

    def values(mantissas, below=0):
        return [m * 10.0**e for e in range(e0 - below, e1 + 1) for m in mantissas]

    def within(vals):
        return [v for v in vals if lo / 1.0001 <= v <= hi * 1.0001]

    inside = within(values((1, 2, 5)))
    if len(inside) > max_ticks:  # many decades: powers of ten only, every k-th one
        decades = within(values((1,)))
        inside = decades[:: max(1, math.ceil(len(decades) / max_ticks))]
    elif len(inside) < 2:  # less than a factor 2.5: every digit, or the digits around the data
        digits = within(values(range(1, 10)))
        if len(digits) >= 2:
            inside = digits[:: max(1, math.ceil(len(digits) / max_ticks))]
        else:
            every = values(range(1, 10), below=1)
            inside = (
                [max(v for v in every if v <= lo)] + digits + [min(v for v in every if v >= hi)]
            )
            inside = sorted(set(inside))
    return {"tickvals": inside, "ticktext": [f"{v:g}" for v in inside]}
