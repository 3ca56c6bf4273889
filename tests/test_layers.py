"""The library's three floors, checked on every module's imports (including those inside functions).

- the science core (``lib/memgen/*.py``) imports no experiment, view, Hub or tooling module, and no
  plotting package;
- experiments (``memgen.experiments``) import no view;
- views (``memgen.views``) take results and import no experiment;
- the Hub recipes (``memgen.hub``) import no experiment or view;
- nothing in ``memgen`` imports ``memgen_book`` (the book's tooling, outside the wheel).

``memgen/scorecard.py`` is the command-line entry point of the scorecard and may import
``memgen.experiments.scorecard``; it is the one exception.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"
PLOTTING = ("plotly", "ipywidgets", "matplotlib", "seaborn", "IPython")
MODULES = sorted((LIB / "memgen").rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth of the code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}  # "from . import views_x"
    return found


def floor(name: str) -> str:
    if name.startswith("memgen.experiments"):
        return "experiments"
    if name.startswith("memgen.views"):
        return "views"
    if name.startswith("memgen.hub"):
        return "hub"
    return "core"


FORBIDDEN = {
    "core": ("memgen.experiments", "memgen.views", "memgen.hub", "memgen_book") + PLOTTING,
    "experiments": ("memgen.views", "memgen_book") + PLOTTING,
    "views": ("memgen.experiments", "memgen_book"),
    "hub": ("memgen.experiments", "memgen.views", "memgen_book") + PLOTTING,
}


def _hits(name: str, found: set[str], banned: tuple) -> list[str]:
    return sorted(m for m in found for b in banned if m == b or m.startswith(b + "."))


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_floor_rules(path: Path):
    name = module_name(path)
    found = imports(path)
    banned = FORBIDDEN[floor(name)]
    if name == "memgen.scorecard":  # the entry point of `python -m memgen.scorecard`
        found -= {"memgen.experiments.scorecard", "memgen.experiments.scorecard.main"}
    assert not _hits(name, found, banned), (
        f"{name} ({floor(name)}) imports {_hits(name, found, banned)}"
    )


def test_the_checker_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "memgen"
    pkg.mkdir()
    (pkg / "x.py").write_text(
        "def f():\n    from .views import ch01_denoising\n    import plotly\n"
    )
    global LIB
    old, LIB = LIB, tmp_path
    try:
        found = imports(pkg / "x.py")
    finally:
        LIB = old
    assert "memgen.views.ch01_denoising" in found and "plotly" in found
    assert _hits("memgen.x", found, FORBIDDEN["core"]) == [
        "memgen.views",
        "memgen.views.ch01_denoising",
        "plotly",
    ]


def test_one_module_per_chapter_in_each_chapter_floor():
    root = Path(__file__).resolve().parents[1]
    stems = sorted(p.stem for p in (root / "chapters").glob("ch0*.md"))
    for sub in ("experiments", "views"):
        have = sorted(p.stem for p in (LIB / "memgen" / sub).glob("ch*.py"))
        assert have == stems, (sub, have, stems)


def test_readme_states_the_rules():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for phrase in (
        "imports no experiment, view, Hub or tooling module",
        "experiments import no view",
        "views import no experiment",
        "nothing imports `memgen_book`",
    ):
        assert phrase in readme, phrase


def test_package_docstring_maps_every_module_and_exports_resolve():
    import memgen

    doc = memgen.__doc__
    for path in sorted((LIB / "memgen").glob("*.py")):
        if path.stem != "__init__" and not path.stem.startswith("_"):
            assert f":mod:`memgen.{path.stem}`" in doc, path.stem
    for sub in ("experiments", "views", "hub"):
        assert f":mod:`memgen.{sub}`" in doc, sub
    for name in memgen.__all__:
        assert getattr(memgen, name) is not None, name
