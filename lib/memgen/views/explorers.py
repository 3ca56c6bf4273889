"""ipywidgets explorers for readers with a live kernel (Colab, Jupyter).

On the website (no kernel) an explorer shows its initial state only; the plotly figures with
sliders over precomputed frames are the website's interactive figures. The explorers' statistical
panels draw with seaborn (bar charts of the representation h and of the softmax weights, the heat
map of encoder columns for non-image data); images stay ``imshow``.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .._checks import check_choice, check_float, check_int, check_tensor
from ..empirical import empirical_denoiser, posterior_weights


def empirical_denoiser_explorer(X, image_shape, *, seed: int = 0):
    """Sliders for the noise level sigma and a training index: noisy input, f_emp output, weights.

    ``X`` is (n, d) with d = prod(image_shape). Returns an ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import seaborn as sns

    X = check_tensor("X", X, ndim=2)
    if int(np.prod(image_shape)) != X.shape[1]:
        raise ValueError(
            f"image_shape {tuple(image_shape)} must multiply to X.shape[1] = {X.shape[1]}"
        )
    noise = torch.randn(X.shape[1], generator=torch.Generator().manual_seed(seed))

    log_sigma = widgets.FloatSlider(
        value=np.log10(0.5),
        min=-2,
        max=1,
        step=0.05,
        description="log10 σ",
        continuous_update=False,
        readout_format=".2f",
    )
    index = widgets.IntSlider(
        value=0, min=0, max=len(X) - 1, description="sample i", continuous_update=False
    )
    out = widgets.Output()

    def draw(*_):
        sigma = float(10**log_sigma.value)
        y = X[index.value] + sigma * noise
        f = empirical_denoiser(y, X, sigma)
        w = posterior_weights(y, X, sigma)
        top = torch.topk(w, k=min(5, len(X)))
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 4, figsize=(11, 2.8))
            for ax, img, title in zip(
                axes[:3],
                (X[index.value], y, f),
                ("clean x_i", f"noisy y (σ = {sigma:.3g})", "f_emp(y)"),
            ):
                ax.imshow(img.reshape(image_shape).numpy(), cmap="gray")
                ax.set_title(title)
                ax.axis("off")
            sns.barplot(
                x=[str(int(j)) for j in top.indices],
                y=top.values.numpy(),
                color="#4455aa",
                errorbar=None,
                ax=axes[3],
            )
            sns.despine(ax=axes[3])
            axes[3].set_ylim(0, 1)
            axes[3].set_title("largest softmax weights")
            axes[3].set_xlabel("training index")
            plt.tight_layout()
            plt.show()

    log_sigma.observe(draw, names="value")
    index.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([log_sigma, index]), out])


# ---------------------------------------------------------------- DAE explorer

DAE_DATASETS = ("digits", "faces", "gmm")
_GMM_POOL = 1000  # samples drawn once for the "gmm" dataset: n training + 1 unseen come from these
_DAE_DATA: dict = {}
_N_UNITS_SHOWN = 8


def _dae_pool(dataset: str):
    """(X, labels, image_shape) for ``dataset``, cached: the whole pool the explorer samples from.

    Images are centred by the mean of the full dataset (all 1797 digits, all 100 faces), as in
    the book; the Gaussian mixture (K = 2 antipodal "simplex" means, d = 16, rank 2) is used as is.
    """
    if dataset not in _DAE_DATA:
        from ..data import gaussian_mixture, load_digits, load_faces

        if dataset == "gmm":
            data = gaussian_mixture(_GMM_POOL, K=2, d=16, rank=2, means="simplex", seed=0)
            X = data.x
        else:
            data = load_digits() if dataset == "digits" else load_faces()
            X = data.x - data.x.mean(0)
        _DAE_DATA[dataset] = (X.contiguous(), data.labels, data.image_shape)
    return _DAE_DATA[dataset]


def dae_max_n(dataset: str) -> int:
    """Largest training-set size for ``dataset`` (one sample is always held out as the unseen
    input)."""
    dataset = check_choice("dataset", dataset, DAE_DATASETS)
    return {"digits": 1796, "faces": 99, "gmm": _GMM_POOL - 1}[dataset]


def _sym_eigs(A: torch.Tensor, k: int) -> np.ndarray:
    """The k largest eigenvalues of the symmetric part of the square matrix A, descending."""
    A = A.double()
    return torch.linalg.eigvalsh((A + A.T) / 2).flip(0)[:k].numpy()


def dae_explorer_state(dataset="digits", n=8, p=16, sigma=0.2, lam=0.1, steps=800, seed=0) -> dict:
    """Train a ReLU DAE with :func:`memgen.fit_fast.fit_dae` and compute everything the explorer
    shows.

    No plotting (so a benchmark or a test can drive it without a display). ``n`` training samples
    (and one unseen sample) are drawn with ``seed`` from the centred dataset; the model has width
    ``p`` and is trained for ``steps`` steps at noise ``sigma`` with weight decay ``lam``.

    Returns a dict with the inputs and: ``model`` (the :class:`~memgen.dae.ReLUDAE`), ``x_train``
    (n, d), ``x_unseen`` (d,), ``image_shape`` (None for "gmm"), ``W1``, ``W2`` (d, p) numpy,
    ``final_loss``, ``train_seconds``, ``seconds`` (the whole call); ``units`` (indices of up to 8
    largest-norm encoder columns), ``unit_cos`` (their best cosine to a training sample);
    ``h_train`` / ``h_unseen`` (p,) the codes of a noisy training input and of a noisy unseen
    input, with ``share_train``, ``std_train``, ``share_unseen``, ``std_unseen`` (top-1 share and
    unit std); ``mean_share_train`` (mean top-1 share over the n noisy training inputs that
    activate some unit) and ``silent_train`` (fraction that activate none); ``regime``
    ("memorization" if p >= n else "linear"), and ``theory``, a dict:

    - memorization (p >= n): ``kind="gain"``, ``learned`` (n,) u_i^T (sum over units active on
      x_i of w2_j w1_j^T) u_i with u_i = x_i/||x_i||, ``predicted`` (n,) the memorization gains
      m_i of :func:`memgen.linear.memorization_gain`, ``frac_within_10pct``;
    - linear (p < n): ``kind="eig"``, ``learned`` the largest eigenvalues of the symmetric part
      of W2 W1^T, ``predicted`` those of :func:`memgen.linear.optimal_linear_denoiser` (rank p,
      the data as one cluster; for "gmm" the sum over the two clusters of the per-cluster
      denoisers with lam n / n_k), ``jacobian`` those of the Jacobian averaged over the clean
      training samples (the linear map the ReLU network applies on average).
    """
    import time

    from ..fit_fast import fit_dae
    from ..generalization import block_prediction
    from ..linear import memorization_gain, optimal_linear_denoiser
    from ..memorization import gains_along_samples, unit_owners
    from ..stats import top1_share, unit_std

    t0 = time.perf_counter()
    dataset = check_choice("dataset", dataset, DAE_DATASETS)
    n = check_int("n", n, 1, dae_max_n(dataset))
    p = check_int("p", p, 1)
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    lam = check_float("lam", lam, 0.0)
    steps = check_int("steps", steps, 1)
    seed = check_int("seed", seed, 0)

    X_all, labels_all, image_shape = _dae_pool(dataset)
    g = torch.Generator().manual_seed(seed)
    if dataset == "gmm":  # the pool is i.i.d. and interleaved over clusters: take its head
        train_idx, unseen_idx = torch.arange(n), len(X_all) - 1 - seed % (len(X_all) - n)
    else:
        perm = torch.randperm(len(X_all), generator=g)
        unseen_idx, train_idx = int(perm[0]), perm[1 : n + 1].sort().values
    X = X_all[train_idx]
    x_unseen = X_all[unseen_idx]
    d = X.shape[1]

    fit = fit_dae(X, p, sigma=sigma, lam=lam, steps=steps, seed=seed)
    model = fit.model
    W1, W2 = model.W1.detach(), model.W2.detach()

    # encoder columns: the largest-norm ones and their best cosine to a training sample
    owners = unit_owners(W1, X)
    units = torch.argsort(owners["norm"], descending=True)[: min(_N_UNITS_SHOWN, p)]
    unit_cos = owners["cosine"][units]

    # codes of noisy inputs (fixed noise draws, so only the model changes between slider moves)
    Z = torch.randn(n + 1, d, generator=g)
    Y = X + sigma * Z[:n]
    y_unseen = x_unseen + sigma * Z[n]
    with torch.no_grad():
        H = model.representation(Y)
        h_unseen = model.representation(y_unseen)
    shares = top1_share(H)
    active = H.amax(dim=1) > 0
    stds = unit_std(H)

    # theory
    if p >= n:
        learned = gains_along_samples(model, X)
        predicted = memorization_gain(X.pow(2).sum(dim=1).double(), n, sigma, lam).float()
        rel = (learned - predicted).abs() / predicted.abs().clamp_min(1e-6)
        theory = {
            "kind": "gain",
            "learned": learned.numpy(),
            "predicted": predicted.numpy(),
            "frac_within_10pct": float((rel <= 0.1).float().mean()),
        }
    else:
        k = min(d, p + 4)
        if dataset == "gmm":
            M = block_prediction(X, labels_all[train_idx], sigma, lam)["M"]
        else:
            M = optimal_linear_denoiser(X.double(), sigma, lam, rank=p)
        mean_mask = (X @ W1 > 0).to(W1.dtype).mean(dim=0)
        theory = {
            "kind": "eig",
            "learned": _sym_eigs(W2 @ W1.T, k),
            "predicted": _sym_eigs(M, k),
            "jacobian": _sym_eigs((W2 * mean_mask) @ W1.T, k),
        }

    return {
        "dataset": dataset,
        "n": n,
        "p": p,
        "sigma": sigma,
        "lam": lam,
        "steps": steps,
        "seed": seed,
        "regime": "memorization" if p >= n else "linear",
        "model": model,
        "x_train": X,
        "x_unseen": x_unseen,
        "image_shape": image_shape,
        "W1": W1.numpy(),
        "W2": W2.numpy(),
        "final_loss": float(fit.losses[-min(50, steps) :, 0].mean()),
        "train_seconds": float(fit.seconds),
        "units": units.numpy(),
        "unit_cos": unit_cos.numpy(),
        "h_train": H[0].numpy(),
        "h_unseen": h_unseen.numpy(),
        "share_train": float(shares[0]),
        "std_train": float(stds[0]),
        "share_unseen": float(top1_share(h_unseen)),
        "std_unseen": float(unit_std(h_unseen)),
        "mean_share_train": float(shares[active].mean()) if bool(active.any()) else 0.0,
        "silent_train": float(1.0 - active.float().mean()),
        "theory": theory,
        "seconds": time.perf_counter() - t0,
    }


def dae_state_summary(state: dict) -> str:
    """One line of spikiness statistics and theory agreement for a :func:`dae_explorer_state`
    dict."""
    s = state
    text = (
        f"{s['dataset']}: n = {s['n']}, p = {s['p']}, σ = {s['sigma']:.3g}, λ = {s['lam']:.3g} "
        f"({s['regime']} regime, p {'≥' if s['p'] >= s['n'] else '<'} n). "
        f"Mean top-1 share on noisy training inputs: {s['mean_share_train']:.2f} "
        f"(1/p = {1 / s['p']:.2f}; {100 * s['silent_train']:.0f}% silent). "
        f"Final loss {s['final_loss']:.3g}, trained in {s['train_seconds']:.2f} s."
    )
    th = s["theory"]
    if th["kind"] == "gain":
        text += (
            f" Learned gain within 10% of m_i for {100 * th['frac_within_10pct']:.0f}% of samples."
        )
    return text


def draw_dae_state(state: dict, fig=None):
    """Draw a :func:`dae_explorer_state` dict into one matplotlib figure (created if ``fig`` is
    None).

    Top row: the largest-norm encoder columns (as images, or a heatmap for non-image data), titled
    with their best cosine to a training sample. Bottom row: the codes h of a noisy training and of
    a noisy unseen input, and the theory panel (learned vs predicted gains or eigenvalues).
    Returns the figure; nothing is shown or closed.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    s = state
    if fig is None:
        fig = plt.figure(figsize=(11, 4.6))
    gs = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.7], hspace=0.45)
    units, cos = s["units"], s["unit_cos"]
    W1 = s["W1"]
    if s["image_shape"] is not None:
        top = gs[0].subgridspec(1, _N_UNITS_SHOWN, wspace=0.08)
        for j in range(_N_UNITS_SHOWN):
            ax = fig.add_subplot(top[j])
            ax.axis("off")
            if j < len(units):
                w = W1[:, units[j]].reshape(s["image_shape"])
                v = float(np.abs(w).max()) or 1.0
                ax.imshow(w, cmap="RdBu_r", vmin=-v, vmax=v)
                ax.set_title(f"u{units[j]}: cos {cos[j]:.2f}", fontsize=8)
    else:
        ax = fig.add_subplot(gs[0])
        w = W1[:, units].T
        v = float(np.abs(w).max()) or 1.0
        with (
            warnings.catch_warnings()
        ):  # seaborn 0.13 calls a colormap method matplotlib 3.11 deprecates
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            sns.heatmap(
                w,
                cmap="RdBu_r",
                vmin=-v,
                vmax=v,
                center=0.0,
                ax=ax,
                cbar=False,
                xticklabels=False,
                yticklabels=[f"u{u}: cos {c:.2f}" for u, c in zip(units, cos)],
            )
        ax.tick_params(axis="y", labelsize=7, rotation=0)
        ax.set_title(
            "largest-norm encoder columns (rows), best cosine to a training sample", fontsize=9
        )

    bottom = gs[1].subgridspec(1, 3, wspace=0.35)
    x = np.arange(s["p"])
    for j, (key, name) in enumerate(
        (("train", "noisy training input"), ("unseen", "noisy unseen input"))
    ):
        ax = fig.add_subplot(bottom[j])
        sns.barplot(
            x=x,
            y=np.asarray(s[f"h_{key}"]),
            color="#4455aa" if key == "train" else "#aa5544",
            errorbar=None,
            native_scale=True,
            width=0.85,
            ax=ax,
        )
        sns.despine(ax=ax)
        ax.set_title(
            f"h of a {name}\ntop-1 {s[f'share_{key}']:.2f}, std {s[f'std_{key}']:.2f}", fontsize=9
        )
        ax.set_xlabel("unit", fontsize=8)
        ax.tick_params(labelsize=7)

    ax = fig.add_subplot(bottom[2])
    th = s["theory"]
    if th["kind"] == "gain":
        vals = np.concatenate([th["learned"], th["predicted"]])
        lo, hi = float(vals.min()) - 0.05, float(vals.max()) + 0.05  # zoomed, so 10% misses show
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=1)
        ax.scatter(th["predicted"], th["learned"], s=14, color="#228833")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("predicted m_i", fontsize=8)
        ax.set_ylabel("learned u_iᵀ J(x_i) u_i", fontsize=8)
        ax.set_title(
            f"p ≥ n: gain per sample\n{100 * th['frac_within_10pct']:.0f}% within 10%", fontsize=9
        )
    else:
        k = np.arange(1, len(th["learned"]) + 1)
        ax.plot(k, th["learned"], "o-", ms=3, color="#228833", label="sym(W2 W1ᵀ)")
        ax.plot(k, th["jacobian"], "s:", ms=3, color="#aa7722", label="mean Jacobian")
        ax.plot(k, th["predicted"], "k--", lw=1.2, label="linear theory")
        ax.axvline(s["p"] + 0.5, color="0.7", lw=0.8)
        ax.set_xlabel("eigenvalue index", fontsize=8)
        ax.set_title("p < n: eigenvalues\nlearned vs optimal linear (rank p)", fontsize=9)
        ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    return fig


def dae_explorer(*, dataset="digits", n=8, p=16, sigma=0.2, lam=0.1, steps=800, seed=0):
    """Sliders for n, p, log10 sigma, log10 lambda and a dataset menu; each change retrains a ReLU
    DAE.

    Each change calls :func:`dae_explorer_state` (``steps`` steps of :func:`memgen.fit_fast.fit_dae`
    with ``seed``) and redraws :func:`draw_dae_state` with a line of statistics. Returns an
    ``ipywidgets.VBox``; its attributes ``state`` (the latest state dict, or None after an error)
    and ``controls`` (dict of the widgets: dataset, n, p, log_sigma, log_lam) let code drive it.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    dataset = check_choice("dataset", dataset, DAE_DATASETS)
    n = check_int("n", n, 1, dae_max_n(dataset))
    p = check_int("p", p, 1)
    sigma = check_float("sigma", sigma, 0.0, min_exclusive=True)
    lam = check_float("lam", lam, 0.0, min_exclusive=True)  # a log slider needs lam > 0
    steps = check_int("steps", steps, 1)
    seed = check_int("seed", seed, 0)

    n_options = sorted({2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, n})
    style = {"description_width": "initial"}
    controls = {
        "dataset": widgets.Dropdown(options=list(DAE_DATASETS), value=dataset, description="data"),
        "n": widgets.SelectionSlider(
            options=n_options,
            value=n,
            description="n samples",
            continuous_update=False,
            style=style,
        ),
        "p": widgets.IntSlider(
            value=p,
            min=min(2, p),
            max=max(64, p),
            description="p units",
            continuous_update=False,
            style=style,
        ),
        "log_sigma": widgets.FloatSlider(
            value=np.log10(sigma),
            min=min(-2.0, np.log10(sigma)),
            max=max(0.5, np.log10(sigma)),
            step=0.05,
            description="log10 σ",
            continuous_update=False,
            readout_format=".2f",
            style=style,
        ),
        "log_lam": widgets.FloatSlider(
            value=np.log10(lam),
            min=min(-3.0, np.log10(lam)),
            max=max(0.5, np.log10(lam)),
            step=0.05,
            description="log10 λ",
            continuous_update=False,
            readout_format=".2f",
            style=style,
        ),
    }
    summary = widgets.HTML()
    out = widgets.Output()
    box = widgets.VBox(
        [
            widgets.HBox([controls["dataset"], controls["n"], controls["p"]]),
            widgets.HBox([controls["log_sigma"], controls["log_lam"]]),
            summary,
            out,
        ]
    )
    box.controls = controls
    box.state = None

    def update(*_):
        try:
            state = dae_explorer_state(
                controls["dataset"].value,
                controls["n"].value,
                controls["p"].value,
                float(10 ** controls["log_sigma"].value),
                float(10 ** controls["log_lam"].value),
                steps,
                seed,
            )
        except ValueError as err:  # e.g. n larger than the dataset
            box.state = None
            summary.value = f"<b>cannot train:</b> {err}"
            out.clear_output()
            return
        box.state = state
        summary.value = dae_state_summary(state)
        with out:
            out.clear_output(wait=True)
            fig = draw_dae_state(state)
            plt.show()
            plt.close(fig)

    for w in controls.values():
        w.observe(update, names="value")
    update()
    return box
