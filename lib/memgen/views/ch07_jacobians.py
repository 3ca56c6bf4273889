"""Chapter 7 figures: Jacobian spectra and top singular vectors of real (UNet) denoisers and
DAEs."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .render import as_numpy as _np
from .render import log_ticks, slider_figure

MEM_COLOR, GEN_COLOR = "#c03030", "#3060c0"


def _median(S) -> np.ndarray:
    S = _np(S)
    if S.ndim == 1:
        S = S[None]
    return np.median(S, axis=0)


def _half_line(fig, n_show, **where):
    fig.add_trace(
        go.Scatter(
            x=[1, n_show],
            y=[0.5, 0.5],
            mode="lines",
            name="gain 1/2 (effective-rank threshold)",
            line={"color": "#888", "dash": "dash"},
            showlegend=not where or where.get("col") == 1,
            legendgroup="half",
        ),
        **where,
    )


def spectra_figure(
    unet: dict,
    dae: dict,
    n_show: int = 40,
    *,
    bias_free: dict | None = None,
    dit: dict | None = None,
) -> go.Figure:
    """Median singular values of the Jacobian (log scale), memorized vs generalized inputs, for the
    UNets (left), the bias-free UNets (when ``bias_free`` is given), the DiTs (when ``dit`` is
    given) and the two-layer DAEs (right), with the effective-rank threshold 1/2 dashed."""
    panels = [("UNet2DModel denoisers", unet["mem"]["S"], unet["gen"]["S"])]
    if bias_free is not None:
        panels.append(("bias-free UNets", bias_free["mem"]["S"], bias_free["gen"]["S"]))
    if dit is not None:
        panels.append(("DiT transformers", dit["mem"]["S"], dit["gen"]["S"]))
    panels.append(("two-layer DAEs (ch. 2, 3)", dae["mem_S"], dae["gen_S"]))
    fig = make_subplots(
        rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels], horizontal_spacing=0.07
    )
    for col, (_, S_mem, S_gen) in enumerate(panels, start=1):
        for S, name, color in (
            (S_mem, "memorized inputs", MEM_COLOR),
            (S_gen, "generalized inputs", GEN_COLOR),
        ):
            m = _median(S)[:n_show]
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(m) + 1),
                    y=np.maximum(m, 1e-4),
                    mode="lines+markers",
                    name=name,
                    line={"color": color},
                    marker={"size": 5},
                    showlegend=col == 1,
                    legendgroup=name,
                ),
                row=1,
                col=col,
            )
        _half_line(fig, n_show, row=1, col=col)
    fig.update_yaxes(type="log", title_text="singular value s_i (median over inputs)", col=1)
    fig.update_yaxes(type="log", range=[-4.1, 0.6], **log_ticks(1e-4, 10**0.6))
    fig.update_xaxes(title_text="i")
    fig.update_layout(height=380, margin={"t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2})
    return fig


def _tile_traces(images, n_cols: int, zs=None) -> list:
    traces = []
    for j, img in enumerate(images):
        img = _np(img).reshape(8, 8) if _np(img).size == 64 else _np(img)
        lim = float(np.abs(img).max()) or 1.0
        traces.append(
            go.Heatmap(
                z=img,
                colorscale="Greys_r" if j < 3 else "RdBu_r",
                zmin=-1 if j < 3 else -lim,
                zmax=1 if j < 3 else lim,
                showscale=False,
                xaxis=f"x{j + 1 if j else ''}",
                yaxis=f"y{j + 1 if j else ''}",
                hovertemplate="%{z:.3f}<extra></extra>",
            )
        )
    return traces


def singular_vectors_figure(unet: dict, n_each: int = 8) -> go.Figure:
    """A slider over inputs (memorized, then generalized): the clean image, the noisy input, the
    denoiser's output and the top left singular vectors of its Jacobian, titled with their
    singular values; the frame title gives the effective rank and the top vector's cosine."""
    k = unet["mem"]["U"].shape[1]
    n_cols = 3 + k
    base = make_subplots(
        rows=1,
        cols=n_cols,
        horizontal_spacing=0.015,
        subplot_titles=["clean", "noisy input", "output"] + [f"u{i + 1}" for i in range(k)],
    )
    layout = base.layout.to_plotly_json()
    frames = []
    for key, label in (("mem", "memorized"), ("gen", "generalized")):
        r = unet[key]
        for i in range(min(n_each, len(r["X"]))):
            imgs = [r["X"][i], r["Y"][i], r["out"][i]] + [r["U"][i, j] for j in range(k)]
            s = _np(r["S"][i])
            ann = [dict(a) for a in layout["annotations"]]
            for j in range(k):
                ann[3 + j]["text"] = f"u{j + 1} (s={s[j]:.2f})"
            frames.append(
                {
                    "name": f"{label} {i + 1}",
                    "traces": _tile_traces(imgs, n_cols),
                    "layout": {
                        "title": {
                            "text": f"{label} input {i + 1}: effective rank {r['erank'][i]:.1f}, "
                            f"cos(u1, clean) = {r['cos_own'][i]:.3f}"
                        },
                        "annotations": ann,
                    },
                }
            )
    fig = slider_figure(
        frames,
        prefix="input: ",
        layout={k2: v for k2, v in layout.items() if k2 not in ("template",)},
    )
    for j in range(1, n_cols + 1):
        sfx = "" if j == 1 else str(j)
        fig.layout[f"xaxis{sfx}"].update(visible=False, constrain="domain")
        fig.layout[f"yaxis{sfx}"].update(
            visible=False, autorange="reversed", scaleanchor=f"x{sfx}", constrain="domain"
        )
    fig.update_layout(height=330, margin={"t": 70, "b": 10, "l": 10, "r": 10})
    return fig


def noise_sweep_figure(sweep: dict, n_show: int = 40) -> go.Figure:
    """A slider over the noise level sigma: median singular values of both UNets' Jacobians at that
    sigma (threshold 1/2 dashed); the title gives both median effective ranks."""
    frames = []
    for i, sigma in enumerate(sweep["sigmas"]):
        traces = []
        for key, name, color in (
            ("mem", "memorizing UNet, training digits", MEM_COLOR),
            ("gen", "generalizing UNet, held-out digits", GEN_COLOR),
        ):
            m = _np(sweep[key + "_S"][i])[:n_show]
            traces.append(
                go.Scatter(
                    x=np.arange(1, len(m) + 1),
                    y=np.maximum(m, 1e-4),
                    mode="lines+markers",
                    name=name,
                    line={"color": color},
                    marker={"size": 5},
                )
            )
        traces.append(
            go.Scatter(
                x=[1, n_show],
                y=[0.5, 0.5],
                mode="lines",
                name="gain 1/2",
                line={"color": "#888", "dash": "dash"},
            )
        )
        frames.append(
            {
                "name": f"{sigma:g}",
                "traces": traces,
                "layout": {
                    "title": {
                        "text": f"sigma = {sigma:g}: median effective rank "
                        f"{sweep['mem'][i]:.1f} (memorizing) vs "
                        f"{sweep['gen'][i]:.1f} (generalizing)"
                    }
                },
            }
        )
    active = list(sweep["sigmas"]).index(0.1) if 0.1 in sweep["sigmas"] else 0
    return slider_figure(
        frames,
        prefix="sigma = ",
        active=active,
        layout={
            "height": 440,
            "yaxis": {
                "type": "log",
                "title": {"text": "singular value s_i (median)"},
                "range": [-4.1, 0.6],
                **log_ticks(1e-4, 10**0.6),
            },
            "xaxis": {"title": {"text": "i"}},
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"},
            "margin": {"t": 90},
        },
    )


def top_vectors_figure(rows: list, n: int = 6) -> go.Figure:
    """Rows of 8x8 images: ``rows`` is a list of ``(label, images, kind)`` with ``kind`` "image"
    (grey) or "vector" (red positive, blue negative, symmetric range); ``n`` images per row."""
    fig = make_subplots(rows=len(rows), cols=n, vertical_spacing=0.04, horizontal_spacing=0.01)
    for r, (_, imgs, kind) in enumerate(rows, start=1):
        for j in range(min(n, len(imgs))):
            z = _np(imgs[j]).reshape(8, 8)
            lim = float(np.abs(z).max()) or 1.0
            fig.add_trace(
                go.Heatmap(
                    z=z,
                    colorscale="Greys_r" if kind == "image" else "RdBu_r",
                    zmin=-lim,
                    zmax=lim,
                    showscale=False,
                    hovertemplate="%{z:.3f}<extra></extra>",
                ),
                row=r,
                col=j + 1,
            )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for r, (label, _, _) in enumerate(rows, start=1):
        fig.update_yaxes(
            title={"text": label, "font": {"size": 11}},
            visible=True,
            showticklabels=False,
            showgrid=False,
            zeroline=False,
            row=r,
            col=1,
        )
    fig.update_layout(height=115 * len(rows) + 30, margin={"t": 20, "b": 10, "l": 110, "r": 10})
    return fig


def dae_vectors_figure(dae: dict, n: int = 6) -> go.Figure:
    """Top singular vector of the DAE Jacobian next to the clean image, memorized and
    generalized."""
    return top_vectors_figure(
        [
            ("memorized: clean", dae["mem_X"], "image"),
            ("its top u1", dae["mem_top"], "vector"),
            ("held out: clean", dae["gen_X"], "image"),
            ("its top u1", dae["gen_top"], "vector"),
        ],
        n,
    )


def unet_vectors_figure(result: dict, n: int = 6) -> go.Figure:
    """The same for a UNet analysis (:func:`memgen.experiments.ch07_jacobians.ch7_unet_jacobians` or
    ``ch7_bias_free_jacobians``): clean images and the top left singular vector u1 of the
    Jacobian."""
    return top_vectors_figure(
        [
            ("memorized: clean", result["mem"]["X"], "image"),
            ("its top u1", result["mem"]["U"][:, 0], "vector"),
            ("held out: clean", result["gen"]["X"], "image"),
            ("its top u1", result["gen"]["U"][:, 0], "vector"),
        ],
        n,
    )
