"""Narrow-screen variants of the book's figures (a phone: about 360 px of figure width).

:func:`narrow_patch` reads a figure (the dict of ``fig.to_plotly_json()``, or its JSON) and returns
what to change when the figure is drawn narrow, or None when it reads as it is:

- **Side-by-side panels** (one row of two or more plots that are not image tiles) are stacked in
  one column, each panel across the full width; subplot titles, shared axes' tick labels and a
  legend below the plots follow.
- **Image grids** (every subplot a heat-map tile with a locked aspect ratio) are reflowed into
  fewer columns: an ``R x C`` grid becomes ``(R * B) x ceil(C / B)``, the row blocks one under the
  other, so pairs such as "sample above its nearest training image" stay pairs, and each row's
  label is repeated on every block.
- **A row of image tiles above full-width panels** (chapter 2's encoder columns over the bars of
  ``h``) is reflowed into two or more rows of larger tiles; the panels below keep their height in
  pixels and the figure grows.
- **Heat-map cell labels** (``texttemplate``) that would be narrower than :data:`MIN_CELL_PX` are
  dropped (the values stay in the hover text).

The patch is ``{"layout": {path: value}, "traces": {index: {attribute: value}}}``, paths written as
plotly's ``Plotly.relayout`` keys (``"xaxis2.domain"``, ``"annotations[3].y"``). The book's figure
loader (``_theme/memgen-figures.js``) applies it when a figure is narrower than its breakpoint, to
the layout, to every frame's traces and to the annotations a frame carries. Nothing here changes
a figure drawn at full width, in Colab or in Jupyter.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

__all__ = ["NARROW_WIDTH", "MIN_CELL_PX", "narrow_patch"]

#: Figure width (px) the narrow variant is laid out for: a 390 px phone minus the page's padding.
NARROW_WIDTH = 350
#: Heat-map cells narrower than this (px, at :data:`NARROW_WIDTH`) lose their printed values.
MIN_CELL_PX = 30
#: Smallest tile (px) of a reflowed image grid, and the width of one character of a tile's title.
MIN_TILE_PX = 64
TITLE_CHAR_PX = 6.5
MIN_CELL_PX_TILE = 5

_DTYPES = {
    "f8": "<f8",
    "f4": "<f4",
    "i1": "i1",
    "u1": "u1",
    "i2": "<i2",
    "u2": "<u2",
    "i4": "<i4",
    "u4": "<u4",
    "i8": "<i8",
    "u8": "<u8",
    "u1c": "u1",
}


def _array(value: Any) -> np.ndarray | None:
    """A data array as numpy, decoding plotly's base64 typed-array form ``{dtype, bdata,
    shape}``."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=_DTYPES[value["dtype"]])
        shape = value.get("shape")
        if shape:
            dims = [int(s) for s in str(shape).split(",")] if isinstance(shape, str) else shape
            arr = arr.reshape(dims)
        return arr
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return np.asarray(value, dtype=object)


def _axis_ids(trace: dict) -> tuple[str, str]:
    return trace.get("xaxis") or "x", trace.get("yaxis") or "y"


def _layout_key(ref: str) -> str:
    return f"{ref[0]}axis{ref[1:]}"


def _subplots(fig: dict) -> list[dict]:
    """The cartesian subplots that hold traces: axis refs, domains, and whether they are tiles."""
    layout = fig.get("layout") or {}
    found: dict[tuple[str, str], dict] = {}
    for trace in fig.get("data") or []:
        xr, yr = _axis_ids(trace)
        xa, ya = layout.get(_layout_key(xr)) or {}, layout.get(_layout_key(yr)) or {}
        sub = found.setdefault(
            (xr, yr),
            {
                "x": xr,
                "y": yr,
                "xd": list(xa.get("domain") or [0.0, 1.0]),
                "yd": list(ya.get("domain") or [0.0, 1.0]),
                "types": set(),
                "shape": None,
                "tile": bool(ya.get("scaleanchor")) or xa.get("visible") is False,
            },
        )
        sub["types"].add(trace.get("type") or "scatter")
        if trace.get("type") == "heatmap" and sub["shape"] is None:
            z = _array(trace.get("z"))
            if z is not None and z.ndim == 2:
                sub["shape"] = z.shape
    subs = list(found.values())
    for sub in subs:
        sub["tile"] = sub["tile"] and sub["types"] == {"heatmap"}
    return subs


def _title_annotations(layout: dict, subs: list[dict]) -> dict[int, dict]:
    """``{annotation index: subplot}`` for make_subplots' subplot titles (centred above a plot)."""
    out = {}
    for i, ann in enumerate(layout.get("annotations") or []):
        if ann.get("xref") != "paper" or ann.get("yref") != "paper" or ann.get("showarrow", True):
            continue
        for sub in subs:
            cx = 0.5 * (sub["xd"][0] + sub["xd"][1])
            if abs(ann.get("x", -1) - cx) < 1e-6 and abs(ann.get("y", -1) - sub["yd"][1]) < 1e-6:
                out[i] = sub
                break
    return out


def _slider_px(layout: dict) -> float:
    """Height (px) a slider takes below the plots (current value, rail, labels, padding)."""
    sliders = layout.get("sliders") or []
    if not sliders:
        return 0.0
    pad = sliders[0].get("pad") or {}
    return 75.0 + float(pad.get("t", 20)) + float(pad.get("b", 0))


def _plot_height(layout: dict) -> tuple[float, float, float]:
    """(plot area height, top margin, bottom margin) in px; a slider pushes the bottom margin."""
    margin = layout.get("margin") or {}
    t, b = float(margin.get("t", 50)), float(margin.get("b", 45))
    b = max(b, _slider_px(layout))
    return float(layout.get("height") or 480) - t - b, t, b


def _stack(fig: dict, subs: list[dict], patch: dict) -> None:
    layout = fig["layout"]
    subs = sorted(subs, key=lambda s: s["xd"][0])
    titles = _title_annotations(layout, subs)
    plot_h, t, b = _plot_height(layout)
    has_xtitle = any(
        ((layout.get(_layout_key(s["x"])) or {}).get("title") or {}).get("text") for s in subs
    )
    panel = min(max(0.8 * plot_h, 200.0), 280.0)
    gap = 40.0 + (22.0 if has_xtitle else 0.0) + (24.0 if titles else 0.0)
    k = len(subs)
    total = k * panel + (k - 1) * gap
    out = patch["layout"]
    out["height"] = int(round(t + b + total))
    tops = {}
    for i, sub in enumerate(subs):
        top = 1.0 - i * (panel + gap) / total
        bottom = max(0.0, top - panel / total)
        tops[sub["x"], sub["y"]] = top
        out[f"{_layout_key(sub['x'])}.domain"] = [0.0, 1.0]
        out[f"{_layout_key(sub['y'])}.domain"] = [round(bottom, 6), round(top, 6)]
        if (layout.get(_layout_key(sub["y"])) or {}).get("showticklabels") is False:
            out[f"{_layout_key(sub['y'])}.showticklabels"] = True
    for i, sub in titles.items():
        out[f"annotations[{i}].x"] = 0.5
        out[f"annotations[{i}].y"] = round(tops[sub["x"], sub["y"]], 6)
    legend = layout.get("legend") or {}
    y = legend.get("y")
    if isinstance(y, (int, float)) and (y < 0 or y > 1):
        # the same distance in pixels from the plots as at full width
        ref = 0.0 if y < 0 else 1.0
        out["legend.y"] = round(ref + (y - ref) * plot_h / total, 6)


def _reflow(fig: dict, subs: list[dict], patch: dict, width: float) -> None:
    layout = fig["layout"]
    xs = sorted({round(s["xd"][0], 6) for s in subs})
    ys = sorted({round(s["yd"][1], 6) for s in subs}, reverse=True)  # top row first
    rows, cols = len(ys), len(xs)
    grid = {(ys.index(round(s["yd"][1], 6)), xs.index(round(s["xd"][0], 6))): s for s in subs}
    titles = _title_annotations(layout, subs)
    title_of = {id(sub): i for i, sub in titles.items()}
    # the titles as drawn: the layout's, or the longer ones a frame puts in their place
    texts = {i: [str(a.get("text", ""))] for i, a in enumerate(layout.get("annotations") or [])}
    for frame in fig.get("frames") or []:
        for i, a in enumerate((frame.get("layout") or {}).get("annotations") or []):
            texts.setdefault(i, []).append(str((a or {}).get("text", "")))
    sizes = {
        i: float(((a.get("font") or {}).get("size")) or 16)
        for i, a in enumerate(layout.get("annotations") or [])
    }
    title_w = max(
        (
            TITLE_CHAR_PX / 13.0 * sizes[i] * len(line)
            for i in titles
            for t in texts[i]
            for line in t.split("<br>")
        ),
        default=0.0,
    )
    lines = max((t.count("<br>") + 1 for i in titles for t in texts[i]), default=0)
    line_px = max((sizes[i] for i in titles), default=13.0) * 1.3
    margin = layout.get("margin") or {}
    avail = width - min(float(margin.get("l", 55)), 60.0) - min(float(margin.get("r", 20)), 12.0)
    cells = max((s["shape"][1] for s in subs if s["shape"]), default=8)
    # a tile must show its title on its lines and at least MIN_CELL_PX_TILE px per pixel of its
    # image (a 64 x 64 matrix needs more room than an 8 x 8 digit)
    need = max(MIN_TILE_PX, title_w + 8, MIN_CELL_PX_TILE * cells)
    hs = 0.03
    fit = next((n for n in range(cols, 0, -1) if (1.0 - (n - 1) * hs) / n * avail >= need), 1)
    if fit >= cols:
        return
    blocks = math.ceil(cols / fit)
    new_cols = math.ceil(cols / blocks)  # balanced blocks: 4 columns become 2 + 2, not 3 + 1
    w = (1.0 - (new_cols - 1) * hs) / new_cols
    tile_px = w * avail
    title_px = line_px * lines + 6.0 if titles else 6.0
    heights = []
    for rr in range(rows):
        shape = next((s["shape"] for (r0, _), s in grid.items() if r0 == rr and s["shape"]), None)
        aspect = shape[0] / shape[1] if shape else 1.0
        heights.append(tile_px * aspect)
    order = [(blk, rr) for blk in range(blocks) for rr in range(rows)]
    total = sum(title_px + heights[rr] for _, rr in order)
    _, t, b = _plot_height(layout)
    out = patch["layout"]
    out["height"] = int(round(t + b + total))
    top_of_row, acc = {}, 0.0
    for blk, rr in order:
        top_of_row[blk, rr] = 1.0 - (acc + title_px) / total
        acc += title_px + heights[rr]
    for (rr, cc), sub in grid.items():
        blk, nc = divmod(cc, new_cols)
        x0 = nc * (w + hs)
        top = top_of_row[blk, rr]
        bottom = top - heights[rr] / total
        out[f"{_layout_key(sub['x'])}.domain"] = [round(x0, 6), round(x0 + w, 6)]
        out[f"{_layout_key(sub['y'])}.domain"] = [round(max(bottom, 0.0), 6), round(top, 6)]
        if id(sub) in title_of:
            i = title_of[id(sub)]
            out[f"annotations[{i}].x"] = round(x0 + w / 2, 6)
            out[f"annotations[{i}].y"] = round(top, 6)
        if blk and nc == 0:  # the row's label, repeated on every block
            first = (layout.get(_layout_key(grid[rr, 0]["y"])) or {}) if (rr, 0) in grid else {}
            label = (first.get("title") or {}).get("text")
            if label:
                key = _layout_key(sub["y"])
                out[f"{key}.title"] = first["title"]
                for attr in ("visible", "showticklabels", "showgrid", "zeroline"):
                    if attr in first:
                        out[f"{key}.{attr}"] = first[attr]


def _reflow_tile_row(fig: dict, subs: list[dict], patch: dict, width: float) -> None:
    """A row of image tiles above full-width panels (chapter 2's encoder columns over the bars
    of h): the row becomes two (or more) rows of larger tiles, the panels below keep their size
    in pixels, and the figure grows by the difference."""
    layout = fig["layout"]
    tiles = [s for s in subs if s["tile"]]
    others = [s for s in subs if not s["tile"]]
    top, bottom = tiles[0]["yd"][1], tiles[0]["yd"][0]
    plot_h, t, b = _plot_height(layout)
    avail = width - 24.0  # the figure loader's narrow margins: 12 px on each side
    hs = 0.03
    cols = len(tiles)
    row_px = (top - bottom) * plot_h
    shape = next((s["shape"] for s in tiles if s["shape"]), None)
    aspect = shape[0] / shape[1] if shape else 1.0
    # as few rows as give each tile at least MIN_TILE_PX, and no more tiles per row than before
    new_cols = cols
    while new_cols > 1 and (1.0 - (new_cols - 1) * hs) / new_cols * avail < MIN_TILE_PX:
        new_cols = math.ceil(new_cols / 2)
    if new_cols >= cols:
        return
    rows = math.ceil(cols / new_cols)
    w = (1.0 - (new_cols - 1) * hs) / new_cols
    tile_px = w * avail * aspect
    titles = _title_annotations(layout, subs)
    title_px = 18.0 if titles else 0.0
    gap_px = 6.0
    block_px = rows * (tile_px + title_px) + (rows - 1) * gap_px
    grow = max(0.0, block_px - row_px)
    total = plot_h + grow
    out = patch["layout"]
    out["height"] = int(round(t + b + total))
    for i, sub in enumerate(sorted(tiles, key=lambda s: s["xd"][0])):
        r, c = divmod(i, new_cols)
        y1 = 1.0 - (r * (tile_px + title_px + gap_px) + title_px) / total
        y0 = y1 - tile_px / total
        x0 = c * (w + hs)
        out[f"{_layout_key(sub['x'])}.domain"] = [round(x0, 6), round(x0 + w, 6)]
        out[f"{_layout_key(sub['y'])}.domain"] = [round(max(y0, 0.0), 6), round(y1, 6)]
    for i, sub in titles.items():
        if sub["tile"]:
            out[f"annotations[{i}].x"] = round(out[f"{_layout_key(sub['x'])}.domain"][0] + w / 2, 6)
            out[f"annotations[{i}].y"] = out[f"{_layout_key(sub['y'])}.domain"][1]
    for sub in others:  # the same height in pixels, at the foot of the taller figure
        key = f"{_layout_key(sub['y'])}.domain"
        y0, y1 = sub["yd"]
        out[key] = [round(y0 * plot_h / total, 6), round(y1 * plot_h / total, 6)]
    for i, sub in titles.items():
        if not sub["tile"]:
            out[f"annotations[{i}].y"] = round(sub["yd"][1] * plot_h / total, 6)


def _heatmap_text(fig: dict, patch: dict, width: float) -> None:
    layout = fig["layout"]
    margin = layout.get("margin") or {}
    avail = width - float(margin.get("l", 55)) - float(margin.get("r", 20))
    for i, trace in enumerate(fig.get("data") or []):
        if trace.get("type") != "heatmap" or not trace.get("texttemplate"):
            continue
        z = _array(trace.get("z"))
        if z is None or z.ndim != 2:
            continue
        xr, _ = _axis_ids(trace)
        key = f"{_layout_key(xr)}.domain"
        domain = (
            patch["layout"].get(key)
            or (layout.get(_layout_key(xr)) or {}).get("domain")
            or [0.0, 1.0]
        )
        cell = (domain[1] - domain[0]) * avail / max(1, z.shape[1])
        if trace.get("showscale", True) is not False:
            cell -= 60.0 / max(1, z.shape[1])  # the colour bar takes part of the width
        if cell < MIN_CELL_PX:
            patch["traces"].setdefault(str(i), {})["texttemplate"] = ""


def narrow_patch(fig: dict, width: float = NARROW_WIDTH) -> dict | None:
    """What to change to draw ``fig`` (a figure dict) about ``width`` px wide; None if nothing.

    See the module docstring for the rules. Figures whose frames move annotations or axes
    are only stacked or reflowed when the frames' annotations can be patched by index too.
    """
    patch: dict = {"layout": {}, "traces": {}}
    layout = fig.get("layout") or {}
    frame_layouts = [f.get("layout") or {} for f in fig.get("frames") or []]
    moves_axes = any(
        k.startswith(("xaxis", "yaxis")) and "domain" in (v or {})
        for fl in frame_layouts
        for k, v in fl.items()
    )
    subs = _subplots(fig)
    if len(subs) >= 2 and not moves_axes:
        same_row = len({round(s["yd"][1], 6) for s in subs}) == 1
        if same_row and not any(s["tile"] for s in subs):
            _stack(fig, subs, patch)
        elif all(s["tile"] for s in subs):
            xs = {round(s["xd"][0], 6) for s in subs}
            ys = {round(s["yd"][1], 6) for s in subs}
            if len(xs) * len(ys) == len(subs) and len(xs) > 1:
                _reflow(fig, subs, patch, width)
        else:
            tiles = [s for s in subs if s["tile"]]
            below = [s for s in subs if not s["tile"]]
            one_row = len({(round(s["yd"][0], 6), round(s["yd"][1], 6)) for s in tiles}) == 1
            if (
                len(tiles) >= 4
                and one_row
                and all(s["yd"][1] <= tiles[0]["yd"][0] + 1e-9 for s in below)
            ):
                _reflow_tile_row(fig, subs, patch, width)
        if not layout.get("annotations"):
            patch["layout"] = {
                k: v for k, v in patch["layout"].items() if not k.startswith("annotations")
            }
    _heatmap_text(fig, patch, width)
    if not patch["layout"] and not patch["traces"]:
        return None
    return patch
