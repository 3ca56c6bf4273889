"""Sphinx extension for the book (listed in ``_config.yml`` under ``sphinx: extra_extensions``).

It makes the built website work with no network and with no console errors, and paint text first:

1. It sets the environment variable :data:`memgen.environment.BOOK_BUILD_ENV` to ``"1"`` in the
   Sphinx
   process. The Jupyter kernels that execute the chapters are started by this process and inherit
   it, so ``render.setup()`` in a chapter selects the book's offline ``text/html`` renderer.
2. It stages the local web assets (:func:`memgen_book.book_assets.stage`) when the build starts, so
   ``_vendor/plotly/`` always holds the plotly.js partial bundle of the installed plotly's version,
   and it fails early with a clear message if the npm assets are missing.
3. It adds plotly.js and the book's figure loader (``_theme/memgen-figures.js``) to exactly the
   pages
   that contain a plotly figure, both **deferred**: the page's text paints before any figure work
   starts, and the loader then draws the figures from their JSON (see
   :mod:`memgen.views.render`). Pages with math also get ``_theme/memgen-page.js`` (deferred): an
   inline formula wider than its line (on a phone) scrolls in its own box instead of being cut.
4. The ipywidgets manager (require.js and embed-amd.js, 0.9 MB gzipped) is **opt-in per page**:
   only the pages listed in the Sphinx config value ``memgen_widget_pages`` (in ``_config.yml``,
   ``sphinx: config:``) load it, with its saved widget state. Static ipywidgets do nothing on the
   website (no kernel recomputes them), so the list is empty unless a page's widgets work without
   a kernel. On a listed page a small inline script (a) configures require.js so the widget
   manager finds its font files (otherwise it looks for them relative to the page and gets 404s)
   and (b) gives MathJax 3 the ``MathJax.Hub.Queue`` entry point of MathJax 2 that the widgets call
   to typeset their labels (otherwise every widget raises ``Cannot read properties of
   undefined``). On every other page the widget views stay inert and are hidden.
5. It points each page's Colab launch button at the page's Colab copy, ``<docname>.ipynb`` in the
   repository (written by ``make notebooks``, :mod:`memgen_book.colab`), and removes the launch
   buttons
   from notebook pages that have no Colab copy (the scorecard): Colab cannot open a MyST ``.md``.
   In the student edition (``memgen_student_edition = True``, :mod:`memgen_book.student`) the
   button opens the student notebook ``student/<docname>.ipynb`` instead, and when the build
   finishes the page sources the site serves (``_sources/``: the download buttons' ``.md`` and
   ``.ipynb``) are replaced by the sources with the solutions removed and by the student notebooks.
6. It provides the ``{chapter-table}`` directive (the course guide's table of chapters, estimated
   times and exercises, read from the sources of the chapters in ``_toc.yml``,
   :mod:`memgen_book.course`),
   and lets ``{ref}`text <chN>``` to a chapter that is not in the table of contents yet render as
   its plain text (course pages name the planned chapters); a missing label of a chapter that IS in
   the table of contents still fails the build.
7. It removes sphinx-thebe from the pages: Jupyter Book always loads the extension, which adds to
   every page a binder configuration (a ``binder-examples`` repository), an inline script and a
   stylesheet, although the book has no live-code button (``launch_buttons.thebe: false``).
   It also removes duplicate ``<script>`` entries (Sphinx 7.4 can list an inline script twice, with
   a ``None`` and a ``''`` file name).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util.docutils import SphinxDirective

from memgen.environment import BOOK_BUILD_ENV

from . import book_assets, colab, student

__version__ = "0.1.0"

#: Priority of plotly.js and of the figure loader after it (both deferred, so they run in order).
PLOTLY_JS_PRIORITY = 200
FIGURES_JS = "memgen-figures.js"  # _theme/memgen-figures.js
FIGURES_JS_PRIORITY = 210
#: Reading aids on pages with math (_theme/memgen-page.js: wide inline formulas scroll), deferred.
PAGE_JS = "memgen-page.js"
PAGE_JS_PRIORITY = 220
#: Priority of the widget support script: before require.js and embed-amd.js (500).
WIDGETS_SUPPORT_PRIORITY = 450
#: The HTML class that marks a page without the widget manager (memgen.css hides its widgets).
NO_WIDGETS_CLASS = "memgen-no-widgets"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"

WIDGETS_SUPPORT_JS = """\
// memgen_book.sphinxext: ipywidgets on the offline site.
(function () {
  // (a) Before require.js loads, a global `require` object is its configuration. Map the widget
  // manager's AMD modules to the folder of the staged embed-amd.js: webpack derives the URL of the
  // manager's font files from the module's URL, which would otherwise resolve against the page.
  var root = document.documentElement.getAttribute("data-content_root") || "";
  var dir = new URL(root + "_static/%(embed_dir)s", document.baseURI).href;
  window.require = { paths: { "@jupyter-widgets/html-manager/dist": dir } };
  // (b) Widgets typeset their labels with MathJax 2's MathJax.Hub.Queue; map it onto MathJax 3.
  // MathJax is deferred: it has run by DOMContentLoaded; widgets render at the load event.
  document.addEventListener("DOMContentLoaded", function () {
    var MJ = window.MathJax;
    if (!MJ || !MJ.startup || MJ.Hub) { return; }
    MJ.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          if (typeof job === "function") { job(); return; }
          if (Array.isArray(job) && job[0] === "Typeset") {
            var el = job[2];
            MJ.startup.promise
              .then(function () { return MJ.typesetPromise(el ? [el] : undefined); })
              .catch(function (err) { console.warn("MathJax could not typeset a widget label", err);
              });
          }
        });
      }
    };
  });
})();
""" % {"embed_dir": book_assets.WIDGETS_EMBED_JS.rsplit("/", 1)[0]}


def _stage_assets(app: Sphinx, config: Config) -> None:
    root = Path(app.srcdir)
    try:
        book_assets.stage(root, quiet=True)
    except book_assets.AssetError as err:
        raise ConfigError(str(err)) from err
    if book_assets.STAGE_DIR not in [str(p).rstrip("/") for p in config.html_static_path]:
        raise ConfigError(
            f"html_static_path must contain {book_assets.STAGE_DIR!r} (the offline web assets); "
            f"got {config.html_static_path!r}"
        )


def _script_name(js: Any) -> str:
    return str(getattr(js, "filename", js) or "")


def _is_widget_script(js: Any) -> bool:
    """require.js, embed-amd.js or the saved widget state that myst-nb adds to a page."""
    name = _script_name(js)
    attributes = getattr(js, "attributes", {}) or {}
    return (
        name.endswith((book_assets.REQUIRE_JS, book_assets.WIDGETS_EMBED_JS))
        or attributes.get("type") == WIDGET_STATE_MIME
    )


def _add_page_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    body = context.get("body", "")
    if "memgen-figure-data" in body or "plotly-graph-div" in body:
        app.add_js_file(book_assets.PLOTLY_JS, priority=PLOTLY_JS_PRIORITY, loading_method="defer")
        app.add_js_file(FIGURES_JS, priority=FIGURES_JS_PRIORITY, loading_method="defer")
    if 'class="math' in body:
        app.add_js_file(PAGE_JS, priority=PAGE_JS_PRIORITY, loading_method="defer")
    has_widgets = "application/vnd.jupyter.widget-view+json" in body
    if has_widgets and pagename in (app.config.memgen_widget_pages or []):
        app.add_js_file(None, body=WIDGETS_SUPPORT_JS, priority=WIDGETS_SUPPORT_PRIORITY)
        return
    files = context.get("script_files")
    if isinstance(files, list):
        files[:] = [js for js in files if not _is_widget_script(js)]
    if has_widgets:
        context["body"] = f'<div class="{NO_WIDGETS_CLASS}">{body}</div>'


def _drop_thebe(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    files = context.get("script_files")
    if isinstance(files, list):
        files[:] = [
            js
            for js in files
            if "thebe" not in _script_name(js).lower()
            and "THEBE_JS_URL" not in str((getattr(js, "attributes", {}) or {}).get("body", ""))
        ]
    css = context.get("css_files")
    if isinstance(css, list):
        css[:] = [c for c in css if "thebe" not in str(getattr(c, "filename", c)).lower()]


def _disconnect_thebe(app: Sphinx) -> None:
    """Unhook sphinx-thebe's doctree and script hooks (the binder configuration on every page)."""
    for event, listeners in list(app.events.listeners.items()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                if event in ("doctree-resolved", "env-before-read-docs"):
                    app.disconnect(listener.id)


def _dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    seen: set = set()
    unique = []
    for js in files:
        filename = getattr(js, "filename", js) or ""
        attributes = getattr(js, "attributes", {}) or {}
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    files[:] = unique


def _colab_launch_links(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    buttons = context.get("header_buttons")
    if not isinstance(buttons, list):
        return
    theme = app.config.html_theme_options or {}
    book_relpath = str(theme.get("path_to_docs", "") or "").strip("/")
    ipynb = Path(app.srcdir, f"{pagename}.ipynb")
    target = f"{pagename}.ipynb"
    if app.config.memgen_student_edition:
        target = student.student_notebook_path(pagename).as_posix()
        ipynb = Path(app.srcdir, target)
    for group in list(buttons):
        if not (isinstance(group, dict) and group.get("label") == "launch-buttons"):
            continue
        if not ipynb.is_file():
            buttons.remove(
                group
            )  # no Colab copy: a launch link would open a file Colab cannot read
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if button.get("text") == "Colab" and "/blob/" in url:
                head = url.split("/blob/", 1)[0]
                branch = url.split("/blob/", 1)[1].split("/", 1)[0]
                relpath = f"{book_relpath}/{target}" if book_relpath else target
                button["url"] = f"{head}/blob/{branch}/{relpath}"


class ChapterTable(SphinxDirective):
    """``{chapter-table}``: one row per chapter of ``_toc.yml``: title, estimated time,
    exercises."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from . import course

        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / "_toc.yml"))
        rows = []
        for ch in course.chapters(root):
            self.env.note_dependency(str(ch.path))
            # the link text is plain; the title after it may hold math
            exercises = "<br>".join(
                f"{{numref}}`Exercise %s <{e.label}>`: {e.title}" for e in ch.exercises if e.label
            )
            rows.append(
                f"| {{ref}}`{ch.number}. {ch.title} <{ch.label}>` | {ch.estimated_time} | "
                f"{exercises} |"
            )
        text = ["| chapter | estimated time | exercises |", "|---|---|---|", *rows]
        container = nodes.container(classes=["chapter-table"])
        self.state.nested_parse(
            StringList(text, source=self.env.docname), self.content_offset, container
        )
        return [container]


def _planned_chapter_refs(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``{ref}`... <chN>``` to a chapter not in ``_toc.yml`` yet as its plain text."""
    if (
        node.get("refdomain") != "std"
        or node.get("reftype") != "ref"
        or not node.get("refexplicit")
    ):
        return None
    match = re.fullmatch(r"ch(\d+)", node.get("reftarget", ""))
    if match is None:
        return None
    toc_docnames = colab.toc_docnames

    number = int(match.group(1))
    in_toc = any(
        re.match(rf"ch0*{number}(_|$)", Path(doc).name) for doc in toc_docnames(app.srcdir)
    )
    if in_toc:
        return None  # the chapter exists: its label must too (Sphinx warns, -W fails the build)
    return nodes.inline("", contnode.astext(), classes=["planned-chapter"])


def _student_sources(app: Sphinx, exception: Exception | None) -> None:
    """Student edition: the page sources and notebooks the site serves, without the solutions."""
    if (
        exception is not None
        or not app.config.memgen_student_edition
        or app.builder.format != "html"
    ):
        return
    sources = Path(app.outdir, "_sources")
    if not sources.is_dir():
        return
    for path in sorted(sources.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(sources)
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            path.write_text(student.strip_solutions(text), encoding="utf-8")
        elif path.suffix == ".ipynb":
            docname = rel.with_suffix("").as_posix()
            notebook = Path(app.srcdir, student.student_notebook_path(docname))
            if notebook.is_file():
                path.write_bytes(notebook.read_bytes())
            elif Path(docname).name.startswith(colab.CHAPTER_PREFIX):
                raise ConfigError(
                    f"the student notebook {notebook} is missing: run `make notebooks`"
                )
            else:  # a page with code but no Colab copy (the scorecard): its markdown, stripped
                nb = json.loads(path.read_text(encoding="utf-8"))
                for cell in nb.get("cells", []):
                    if cell.get("cell_type") == "markdown":
                        text = "".join(cell.get("source", ""))
                        cell["source"] = student.strip_solutions(text)
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    os.environ[BOOK_BUILD_ENV] = "1"
    # before sphinx.builders.html's own html_static_path check (priority 800)
    app.connect("config-inited", _stage_assets, priority=400)
    app.add_config_value("memgen_widget_pages", [], "html", types=[list])
    app.add_config_value("memgen_student_edition", False, "html", types=[bool])
    app.connect("builder-inited", _disconnect_thebe)
    app.connect("html-page-context", _add_page_assets)
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _student_sources)
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after everyone else's scripts
    app.connect(
        "html-page-context", _colab_launch_links, priority=600
    )  # after the theme's buttons (501)
    app.add_directive("chapter-table", ChapterTable)
    app.connect("missing-reference", _planned_chapter_refs)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
