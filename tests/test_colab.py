"""Colab readiness: every chapter has a Colab copy that matches its source and runs in a Colab-like
env.

Fast checks (generic over the chapters listed in _toc.yml): the committed ``chapters/<stem>.ipynb``
equals what ``make notebooks`` would write now (same cells, no outputs), the install cell installs
the address configured in ``_config.yml`` without upgrading anything, every library dependency is a
package Colab ships, and no image in a notebook needs a file of the repository.

The slow check (marker ``colab``, part of ``make test``): each notebook executes top to bottom in a
fresh virtual environment holding only what Colab ships plus the install cell's effect; see
tests/colab_env.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import tomllib

from memgen_book import colab

ROOT = Path(__file__).resolve().parents[1]
REPO = colab.repository(ROOT)
CHAPTERS = colab.chapter_sources(ROOT)
IDS = [p.stem for p in CHAPTERS]

#: Packages Google Colab ships (import names differ; these are distribution names), with the version
#: Colab has: its package list of 2026-08-19 (torch 2.11, plotly 5.24.1, ipywidgets 7.7.1, diffusers
#: 0.39, datasets 4.0, transformers 5.15; the others as recorded in 2025, which Colab's newer list
#: meets). memgen's lower bounds must not exceed them, or pip would replace Colab's copy.
COLAB_SHIPS = {
    "torch": "2.11",
    "numpy": "2.0",
    "tqdm": "4.67",
    "plotly": "5.24.1",
    "ipywidgets": "7.7.1",
    "matplotlib": "3.10",
    "scikit-learn": "1.6",
    "scikit-image": "0.25",
    "seaborn": "0.13",
    "datasets": "4.0",
    "diffusers": "0.39",
    "transformers": "5.15",
    "pillow": "11.0",
}


def test_toc_lists_chapters():
    assert CHAPTERS, (
        "no chapter (a page whose file name starts with 'ch') with code cells in _toc.yml"
    )


@pytest.mark.parametrize("source", CHAPTERS, ids=IDS)
def test_notebook_exists_and_matches_source(source: Path):
    nb_path = colab.notebook_path(source)
    assert nb_path.is_file(), (
        f"{nb_path.relative_to(ROOT)} is missing: run `make notebooks` and commit it"
    )
    committed = json.loads(nb_path.read_text(encoding="utf-8"))
    fresh = json.loads(colab.notebook_json(source, REPO))
    got = [
        (c["cell_type"], c["source"] if isinstance(c["source"], str) else "".join(c["source"]))
        for c in committed["cells"]
    ]
    want = [(c["cell_type"], c["source"]) for c in fresh["cells"]]
    assert got == want, (
        f"{nb_path.relative_to(ROOT)} drifted from {source.name}: run `make notebooks` and commit"
    )
    assert committed == fresh, (
        f"{nb_path.relative_to(ROOT)}: metadata differs from the generator's: run `make notebooks`"
    )


@pytest.mark.parametrize("source", CHAPTERS, ids=IDS)
def test_notebook_has_no_outputs(source: Path):
    nb = nbformat.read(colab.notebook_path(source), as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.outputs or c.execution_count)
    ]
    assert not dirty, f"{source.stem}.ipynb: cells {dirty} carry outputs"


@pytest.mark.parametrize("source", CHAPTERS, ids=IDS)
def test_install_cell_first_and_uses_configured_repository(source: Path):
    nb = nbformat.read(colab.notebook_path(source), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = code[0]
    assert first.source == colab.install_cell_source(REPO), (
        f"{source.name}: first code cell is not the install cell"
    )
    assert "remove-cell" in first.metadata.get("tags", []), (
        "the install cell must be hidden in the book"
    )
    assert f"git+{REPO.url}@{REPO.branch}" in first.source
    assert not re.search(
        r"(^|\s|\")(-U|--upgrade|--force-reinstall|--ignore-installed|-I)(\s|\"|$)", first.source
    )
    # the repository address appears in no other cell: it is set in _config.yml only
    others = [c.source for c in nb.cells[1:] if REPO.url in c.source and c is not first]
    assert not others, f"{source.name}: the repository address is typed outside the install cell"


def test_install_cell_follows_the_configuration(tmp_path: Path):
    # change the address in a copy of the book: the generated install cell follows it
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/someone/fork\n  branch: dev\n"
    )
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapters/ch01_x\n")
    src = CHAPTERS[0].read_text(encoding="utf-8")
    (tmp_path / "chapters" / "ch01_x.md").write_text(src)
    assert colab.problems(tmp_path)
    colab.sync(tmp_path)
    assert colab.problems(tmp_path) == []
    nb = json.loads((tmp_path / "chapters" / "ch01_x.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert '"memgen @ git+https://github.com/someone/fork@dev"' in code[0]["source"]
    assert "someone/fork@dev" in (tmp_path / "chapters" / "ch01_x.md").read_text()


def test_bad_repository_is_rejected(tmp_path: Path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: not-a-url\n  branch: main\n")
    with pytest.raises(ValueError, match="repository.url"):
        colab.repository(tmp_path)


def test_a_chapter_without_install_cell_is_reported(tmp_path: Path):
    text = "---\njupytext: {}\n---\n# 9. X\n\n```{code-cell} ipython3\nimport memgen\n```\n"
    with pytest.raises(ValueError, match="install cell"):
        colab.sync_install_cell(text, REPO)


def test_hub_extra_bounds_are_met_by_colab():
    """The hub extra (datasets, diffusers, transformers, pillow) is what Colab ships too: its lower
    bounds must not ask for more than Colab's versions, so the Hub cells run on Colab's copies."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["hub"]
    names = set()
    for req in extra:
        name, lower = _requirement_name_and_lower_bound(req)
        names.add(name)
        assert name in COLAB_SHIPS, f"the hub extra needs {name!r}, which Colab does not ship"
        assert "<" not in req and "==" not in req, (
            f"{req!r}: an upper bound or pin could replace Colab's copy"
        )
        assert lower, (
            f"{req!r} has no lower bound: the code needs at least the version it was written for"
        )
        assert _version_tuple(lower) <= _version_tuple(COLAB_SHIPS[name]), (
            f"{req!r} asks for more than Colab's {name} {COLAB_SHIPS[name]}"
        )
    assert {"datasets", "diffusers", "transformers"} <= names


def test_lower_bounds_are_those_the_code_needs():
    """torch >= 2.3 (torch.nn.attention.sdpa_kernel), diffusers >= 0.28.2 (DiTTransformer2DModel),
    datasets >= 4: the bounds the issue measured; a lower bound below them would let pip keep a
    version on which the Hub cells fail."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["hub"]
    bounds = dict(_requirement_name_and_lower_bound(r) for r in reqs)
    assert _version_tuple(bounds["torch"]) >= (2, 3)
    assert _version_tuple(bounds["diffusers"]) >= (0, 28, 2)
    assert _version_tuple(bounds["datasets"]) >= (4,)
    import torch.nn.attention  # the API the first bound is for

    assert hasattr(torch.nn.attention, "sdpa_kernel")


def _requirement_name_and_lower_bound(req: str) -> tuple[str, str | None]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", req)
    name, spec = m.group(1).lower(), m.group(2)
    lower = re.search(r">=\s*([0-9][0-9.]*)", spec)
    return name, (lower.group(1) if lower else None)


def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


def test_library_dependencies_are_packages_colab_ships():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])  # the install cell installs memgen without extras
    for req in reqs:
        name, lower = _requirement_name_and_lower_bound(req)
        assert name in COLAB_SHIPS, (
            f"memgen depends on {name!r}, which Colab does not ship: the install cell would "
            "download it"
        )
        assert "<" not in req and "==" not in req, (
            f"{req!r}: an upper bound or pin could replace Colab's copy"
        )
        if lower:
            assert _version_tuple(lower) <= _version_tuple(COLAB_SHIPS[name]), (
                f"{req!r} asks for more than Colab's {name} {COLAB_SHIPS[name]}: pip would "
                "replace Colab's copy"
            )


_IMAGE_REFS = [
    re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)"),  # markdown image
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)", re.I),  # html image
    re.compile(r"^```+\s*\{(?:figure|image)\}\s*(\S+)", re.M),  # MyST figure/image directive
    re.compile(r"^:::+\s*\{(?:figure|image)\}\s*(\S+)", re.M),
]


@pytest.mark.parametrize("source", CHAPTERS, ids=IDS)
def test_images_are_made_by_code_or_absolute(source: Path):
    nb = nbformat.read(colab.notebook_path(source), as_version=4)
    relative = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for pattern in _IMAGE_REFS:
            relative += [
                u for u in pattern.findall(cell.source) if not re.match(r"^(https?:|data:)", u)
            ]
    assert not relative, (
        f"{source.name}: images by a relative path break outside the repository: {relative}"
    )


def test_everything_in_sync():
    # what `python -m memgen_book.colab --check` (run by `make book`) reports
    assert colab.problems(ROOT) == []


# --- the slow one: play Colab offline
# --------------------------------------------------------------


@pytest.fixture(scope="module")
def colab_session(tmp_path_factory):
    import colab_env

    venv = colab_env.colab_venv()
    wheel = colab_env.build_wheel(venv, tmp_path_factory.mktemp("wheel"))
    return colab_env, venv, wheel


@pytest.mark.colab
@pytest.mark.parametrize("source", CHAPTERS, ids=IDS)
def test_notebook_runs_in_a_colab_like_environment(colab_session, source: Path, tmp_path: Path):
    colab_env, venv, wheel = colab_session
    try:
        result = colab_env.execute_notebook(
            venv, colab.notebook_path(source), REPO.pip_target, wheel, tmp_path
        )
    except subprocess.CalledProcessError as err:
        pytest.fail(
            f"{source.stem}.ipynb failed in the Colab-like "
            f"environment:\n{err.stdout}\n{err.stderr}",
            pytrace=False,
        )
    probe = result["probe"]
    assert Path(probe["prefix"]).resolve() == venv.resolve(), (
        f"the kernel ran outside the Colab venv: {probe}"
    )
    assert Path(probe["memgen"]).resolve().is_relative_to(venv.resolve()), (
        f"memgen was imported from {probe['memgen']}, not from the wheel the install cell installed"
    )
    assert probe["present"] == [], (
        f"book-build tools importable in the Colab-like kernel: {probe['present']}"
    )
    assert Path(probe["data"]).name == "memgen_data" and Path(
        probe["data"]
    ).resolve().is_relative_to(venv.resolve()), (
        f"the shipped data were read from {probe['data']}, not from the installed memgen_data "
        "package"
    )
    peak = probe["peak_rss_bytes"]
    times = ROOT / "_build" / "colab-times.json"
    record = json.loads(times.read_text()) if times.is_file() else {}
    record[source.stem] = {
        "seconds": result["seconds"],
        "slowest_cell_seconds": max(result["cell_seconds"]),
        "peak_rss_gb": round(peak / 1e9, 2),
    }
    times.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(
        f"{source.stem}: kernel peak resident memory {peak / 1e9:.2f} GB, {result['seconds']:.0f} s"
    )
    assert peak <= colab_env.PEAK_RSS_BUDGET, (
        f"{source.stem}.ipynb peaked at {peak / 1e9:.2f} GB of resident memory in the Colab-like "
        "kernel; "
        f"the budget is {colab_env.PEAK_RSS_BUDGET / 1e9:.0f} GB (a free Colab runtime has about "
        "12.7 GB)"
    )


@pytest.mark.colab
def test_colab_environment_has_colabs_versions(colab_session):
    colab_env, venv, _ = colab_session
    have = colab_env.installed_versions(venv)
    for name, version in colab_env.COLAB_VERSIONS.items():
        assert have[name].split("+")[0] == version, (
            f"{name} {have[name]} in the Colab-like venv, not {version}"
        )
    assert not any(m in have for m in ("jupyter-book", "myst-nb", "sphinx"))


def test_colab_constraints_leave_colabs_packages_free():
    import colab_env

    text = colab_env.colab_constraints()
    pinned = {line.split("==")[0].lower() for line in text.splitlines() if "==" in line}
    assert not pinned & {n.lower() for n in colab_env.COLAB_VERSIONS if n != "torch"}
    assert "torch" in pinned and "numpy" in pinned


def test_shipped_data_are_package_data():
    """Every file a loader checks against a data/<folder>/SHA256SUMS is installed with the package
    (memgen_data.<folder> in pyproject.toml), so Colab readers load the checkpoints the book
    used."""
    import fnmatch

    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setup["package-dir"].get("memgen_data") == "data"
    manifests = sorted((ROOT / "data").glob("*/SHA256SUMS"))
    assert manifests, "no data/*/SHA256SUMS found"
    for manifest in manifests:
        package = f"memgen_data.{manifest.parent.name}"
        assert package in setup["packages"], f"{package} is not listed in pyproject.toml's packages"
        patterns = setup["package-data"][package]
        names = ["SHA256SUMS"] + [
            line.split()[-1] for line in manifest.read_text().splitlines() if line.strip()
        ]
        missing = [n for n in names if not any(fnmatch.fnmatch(n, pat) for pat in patterns)]
        assert not missing, f"{package}: {missing} would not be installed (package-data {patterns})"
