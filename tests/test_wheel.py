"""The wheel `pip install` builds (what Colab installs): every `memgen` module is in it and imports
without the book's tooling (no Sphinx, docutils or yaml), `memgen_book` is not in it, and the
shipped data travel as `memgen_data`. Also: the paths the library computes from `__file__`, and the
experiment cache's hash scope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"

# A child process that hides the tooling's packages and the checkout, then imports every module of
# the unpacked wheel and reports where memgen and its data were found.
PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys
BLOCKED = ("sphinx", "docutils", "yaml", "myst_nb", "jupyter_book", "memgen_book")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed (blocked by the test)")
sys.meta_path.insert(0, Block())
sys.path = [p for p in sys.path if p.rstrip("/") != sys.argv[2]]
sys.path.insert(0, sys.argv[1])
import memgen
from memgen import shipped_data
names = ["memgen"] + [m.name for m in pkgutil.walk_packages(memgen.__path__, "memgen.")]
for n in names:
    importlib.import_module(n)
print(json.dumps({"memgen": memgen.__file__, "modules": names,
                  "data": str(shipped_data.data_dir()),
                  "sums": shipped_data.data_path("unets", "SHA256SUMS").is_file()}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("memgen-*.whl")
    return whl


def test_wheel_holds_every_runtime_module_and_no_tooling(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    want = {str(p.relative_to(LIB)) for p in (LIB / "memgen").rglob("*.py")}
    assert want <= set(names), sorted(want - set(names))
    assert not [n for n in names if n.startswith("memgen_book/")]
    for f in (
        "memgen_data/unets/SHA256SUMS",
        "memgen_data/toy_diffusion/SHA256SUMS",
        "memgen_data/detect/SHA256SUMS",
    ):
        assert f in names, f


def test_every_module_imports_from_the_wheel_without_the_tooling(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(site), str(LIB)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["memgen"].startswith(str(site)), got["memgen"]
    want = {
        ".".join(p.relative_to(LIB).with_suffix("").parts).removesuffix(".__init__")
        for p in (LIB / "memgen").rglob("*.py")
    }
    assert want <= set(got["modules"]), sorted(want - set(got["modules"]))
    # outside a checkout the shipped data come from the installed memgen_data package
    assert got["data"] == str(site / "memgen_data") and got["sums"]


def test_paths_from_file_point_into_the_checkout():
    from memgen import shipped_data
    from memgen.experiments import cache

    assert shipped_data.REPO_DATA == ROOT / "data" and shipped_data.data_dir() == ROOT / "data"
    files = {p.relative_to(ROOT).as_posix() for p in cache.hashed_files()}
    assert (
        "lib/memgen/fit_fast.py" in files and "lib/memgen/experiments/ch02_memorization.py" in files
    )
    assert "data/unets/SHA256SUMS" in files


def test_cache_hash_covers_what_computes_results_only():
    from memgen.experiments import cache

    files = {p.relative_to(ROOT).as_posix() for p in cache.hashed_files()}
    core = {p.relative_to(ROOT).as_posix() for p in (LIB / "memgen").glob("*.py")}
    experiments = {
        p.relative_to(ROOT).as_posix() for p in (LIB / "memgen/experiments").glob("*.py")
    }
    assert core | experiments <= files
    for floor in ("lib/memgen/views/", "lib/memgen/hub/", "lib/memgen_book/"):
        assert not [f for f in files if f.startswith(floor)], floor


def test_makefile_reexecutes_chapters_on_runtime_changes_only():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("LIB_SOURCES"))
    assert "lib/memgen " in line and "memgen_book" not in line, line
