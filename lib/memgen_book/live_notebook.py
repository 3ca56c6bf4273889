"""The live explorer inside a Jupyter notebook's output, for readers who work from a clone.

    from memgen_book.live_notebook import live_explorer
    live_explorer(dataset="digits-separable", n=6, p=12)

returns an ``IPython.display.HTML`` holding the explorer's root element and its scripts inlined
(about 300 KB), so that it trains in the output's page, in a Web Worker made from a Blob, with no
server and nothing fetched; the options are the ``{live-explorer}`` directive's (the explorer's
``data-`` attributes, with ``_`` for ``-``). The scripts are the book's tooling, outside the
``memgen`` wheel that Colab installs: there, the chapters' ipywidgets explorers recompute on the
kernel instead.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

LIVE_DIR = Path(__file__).resolve().parent / "live"
#: The scripts in load order (``all.js`` is Node's entry point only).
SCRIPTS = (
    "checks.js",
    "rng.js",
    "linalg.js",
    "dae.js",
    "kernels.js",
    "fit.js",
    "closed_forms.js",
    "stats.js",
    "digits_data.js",
    "datasets.js",
    "worker.js",
    "explorer.js",
)
OPTIONS = (
    "dataset",
    "datasets",
    "n",
    "p",
    "sigma",
    "lam",
    "k",
    "separation",
    "m",
    "seed",
    "tied",
    "max-steps",
    "tol",
    "title",
    "own-side",
) + tuple(
    f"{k}-{b}"
    for k in ("n", "p", "sigma", "lam", "k", "separation", "m", "seed")
    for b in ("min", "max", "step")
)


def explorer_html(**options: object) -> str:
    """The explorer's HTML with its scripts inlined; options as for :func:`live_explorer`."""
    attrs = []
    for key, value in sorted(options.items()):
        name = key.replace("_", "-")
        if name not in OPTIONS:
            raise ValueError(
                f"live_explorer: unknown option {key!r}; the options are: "
                + ", ".join(o.replace("-", "_") for o in OPTIONS)
            )
        if isinstance(value, bool):
            value = "true" if value else "false"
        attrs.append(f' data-{name}="{escape(str(value), quote=True)}"')
    scripts = []
    for script in SCRIPTS:
        text = (LIVE_DIR / script).read_text()
        if "</script" in text.lower():
            raise ValueError(f"{script} contains '</script' and cannot be inlined")
        scripts.append(f"<script>/* {script} */\n{text}</script>")
    return (
        f'<div class="memgen-live"{"".join(attrs)}><noscript>The live explorer needs '
        "JavaScript.</noscript></div>\n" + "\n".join(scripts)
    )


def live_explorer(**options: object):
    """Display the live explorer in a notebook (``IPython.display.HTML``)."""
    from IPython.display import HTML

    return HTML(explorer_html(**options))
