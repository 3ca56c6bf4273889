"""Sphinx extension: the live DAE explorer on the website (listed in ``_config.yml``).

``{live-explorer}`` places one explorer (``lib/memgen_book/live/``: plain JavaScript that trains the
DAE in the reader's browser, in a Web Worker, with no server and nothing fetched) on a page::

    ```{live-explorer}
    :dataset: digits-separable
    :n: 6
    :p: 12
    ```

Every option becomes a ``data-`` attribute of the explorer's root element (see the explorer's
README for the attributes). The scripts are copied into ``_vendor/live/`` when the build starts and
added, deferred, only to the pages that hold an explorer. In a Colab or Jupyter notebook the
directive is plain text; readers there use the ipywidgets explorers, which run on their kernel, or,
from a clone of the book, :func:`memgen_book.live_notebook.live_explorer`.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective

from memgen_book.live_notebook import LIVE_DIR, OPTIONS, SCRIPTS

STAGE = "live"  # inside the staged web-asset folder (_vendor)


class LiveExplorer(SphinxDirective):
    """``{live-explorer}``: the root element of one explorer, its options as data attributes."""

    has_content = False
    option_spec = {name: directives.unchanged_required for name in OPTIONS}

    def run(self) -> list[nodes.Node]:
        attrs = "".join(
            f' data-{k}="{escape(str(v), quote=True)}"' for k, v in sorted(self.options.items())
        )
        html = (
            f'<div class="memgen-live"{attrs}><noscript>The live explorer needs JavaScript; '
            "the figures above are its static version.</noscript></div>"
        )
        return [nodes.raw("", html, format="html")]


def _stage(app: Sphinx, config: Config) -> None:
    """Copy the explorer's scripts into ``<confdir>/_vendor/live/`` (only when they changed)."""
    dest = Path(app.confdir) / "_vendor" / STAGE
    dest.mkdir(parents=True, exist_ok=True)
    for name in SCRIPTS:
        src, dst = LIVE_DIR / name, dest / name
        if not src.is_file():
            raise FileNotFoundError(f"the live explorer's script {src} is missing")
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


def _add_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if 'class="memgen-live"' in context.get("body", ""):
        for name in SCRIPTS:
            app.add_js_file(f"{STAGE}/{name}", loading_method="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("live-explorer", LiveExplorer)
    app.connect("config-inited", _stage, priority=450)  # after memgen_book.sphinxext stages _vendor
    app.connect("html-page-context", _add_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
