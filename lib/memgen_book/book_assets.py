"""Stage the web assets the book's website serves itself, so that it works with no network.

The staging folder (``_vendor/`` at the book root, git-ignored) is listed in Sphinx's
``html_static_path``, so its content lands in ``_build/html/_static/``:

================================================  ==============================================
``_vendor/plotly/plotly-cartesian.min.js``        npm ``plotly.js-cartesian-dist-min``: plotly.js
                                                  with only the cartesian trace types (the book
                                                  draws scatter, bar, histogram and heatmap; px's
                                                  image too), 1.5 MB instead of 4.8 MB; its version
                                                  must be the plotly.js of the installed ``plotly``
                                                  Python package, which wrote the figures' JSON
``_vendor/mathjax/``                              npm ``mathjax@3``: ``es5/`` (``tex-chtml.js``
                                                  plus the fonts and extensions it loads)
``_vendor/requirejs/require.js``                  npm ``requirejs`` (loader for the widgets)
``_vendor/jupyter-widgets/html-manager/``         npm ``@jupyter-widgets/html-manager``:
                                                  ``embed-amd.js`` and the font files it loads
================================================  ==============================================

The npm packages come from ``node_modules/`` (``npm ci``, versions locked in ``package-lock.json``).
Staging is idempotent: a file is rewritten only when its content differs, and files that are no
longer part of the assets are removed. Run ``python -m memgen_book.book_assets`` from the book root
(``make book`` does), or let the Sphinx extension :mod:`memgen_book.sphinxext` do it at build start.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
from pathlib import Path

STAGE_DIR = "_vendor"

#: Paths, relative to the staging folder, the built pages reference. The Sphinx config
#: (``mathjax_path``, ``nb_ipywidgets_js``) and :mod:`memgen_book.sphinxext` use these.
PLOTLY_JS = "plotly/plotly-cartesian.min.js"
#: The npm partial bundle of plotly.js, and the trace types the book's figures may use (all in it).
PLOTLY_NPM = "plotly.js-cartesian-dist-min"
PLOTLY_NPM_FILE = "plotly-cartesian.min.js"
PLOTLY_TRACES = ("bar", "heatmap", "histogram", "image", "scatter")
MATHJAX_JS = "mathjax/tex-chtml.js"
REQUIRE_JS = "requirejs/require.js"
WIDGETS_EMBED_JS = "jupyter-widgets/html-manager/embed-amd.js"
REQUIRED = (PLOTLY_JS, MATHJAX_JS, REQUIRE_JS, WIDGETS_EMBED_JS)

# (npm package, folder inside it, destination in the staging folder, file-name filter)
_NPM_TREES = (
    ("mathjax", "es5", "mathjax", lambda p: p.name != "node-main.js"),
    ("requirejs", "", "requirejs", lambda p: p.name == "require.js"),
    (
        "@jupyter-widgets/html-manager",
        "dist",
        "jupyter-widgets/html-manager",
        # the AMD bundle and the webpack-emitted font files its CSS points to (not the
        # non-AMD embed.js, not source maps)
        lambda p: (
            p.name == "embed-amd.js" or p.suffix in {".woff", ".woff2", ".ttf", ".eot", ".svg"}
        ),
    ),
)


class AssetError(RuntimeError):
    """A web asset cannot be staged (typically: ``npm ci`` has not been run)."""


def _copy_if_changed(src: Path, dst: Path) -> bool:
    if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return True


def _write_if_changed(data: bytes, dst: Path) -> bool:
    if dst.is_file() and dst.read_bytes() == data:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    return True


def _npm_version(pkg_dir: Path) -> str:
    return json.loads((pkg_dir / "package.json").read_text())["version"]


def stage(root: str | Path = ".", *, quiet: bool = False) -> dict[str, str]:
    """Stage every asset under ``root/_vendor``; return ``{asset: version}``.

    Raises :class:`AssetError` with instructions if ``node_modules`` is missing.
    """
    import plotly
    from plotly.offline import get_plotlyjs_version

    root = Path(root).resolve()
    stage_dir = root / STAGE_DIR
    node_modules = root / "node_modules"
    wanted: set[Path] = set()
    changed = 0
    versions: dict[str, str] = {}

    pkg_dir = node_modules / PLOTLY_NPM
    if not (pkg_dir / "package.json").is_file():
        raise AssetError(
            f"{pkg_dir} is missing. The website's offline assets come from npm: run `make book` "
            f"(or `npm ci` in {root}) first."
        )
    wanted_js = get_plotlyjs_version()
    if _npm_version(pkg_dir) != wanted_js:
        raise AssetError(
            f"npm {PLOTLY_NPM} is {_npm_version(pkg_dir)} but the installed plotly "
            f"{plotly.__version__} "
            f"writes figures for plotly.js {wanted_js}: pin {PLOTLY_NPM}@{wanted_js} in "
            "package.json "
            "(npm install --save-exact --ignore-scripts) and commit package-lock.json"
        )
    dst = stage_dir / PLOTLY_JS
    changed += _copy_if_changed(pkg_dir / PLOTLY_NPM_FILE, dst)
    wanted.add(dst)
    versions["plotly (python)"] = plotly.__version__
    versions[PLOTLY_NPM] = wanted_js

    for package, sub, dest, keep in _NPM_TREES:
        pkg_dir = node_modules / package
        if not (pkg_dir / "package.json").is_file():
            raise AssetError(
                f"{pkg_dir} is missing. The website's offline assets come from npm: run `make "
                "book` "
                f"(or `npm ci` in {root}) first."
            )
        versions[package] = _npm_version(pkg_dir)
        src_dir = pkg_dir / sub if sub else pkg_dir
        files = [p for p in sorted(src_dir.rglob("*")) if p.is_file() and keep(p)]
        if sub == "":  # only top-level files for a whole-package copy
            files = [p for p in files if p.parent == src_dir]
        for src in files:
            dst = stage_dir / dest / src.relative_to(src_dir)
            changed += _copy_if_changed(src, dst)
            wanted.add(dst)

    manifest = stage_dir / "manifest.json"
    changed += _write_if_changed(
        (json.dumps(versions, indent=1, sort_keys=True) + "\n").encode(), manifest
    )
    wanted.add(manifest)

    removed = 0
    for p in sorted(stage_dir.rglob("*"), reverse=True):
        if p.is_file() and p not in wanted:
            p.unlink()
            removed += 1
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()

    missing = [r for r in REQUIRED if not (stage_dir / r).is_file()]
    if missing:
        raise AssetError(f"staging did not produce {missing} under {stage_dir}")
    if not quiet:
        print(
            f"memgen_book.book_assets: {len(wanted)} files in {stage_dir} ({changed} updated, "
            f"{removed} removed): " + ", ".join(f"{k} {v}" for k, v in versions.items())
        )
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the book root (default: the current folder)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        stage(args.root, quiet=args.quiet)
    except AssetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
