"""A Colab-like Python environment on this machine, for tests/test_colab.py (not a test module).

Google Colab ships torch, numpy, plotly, ipywidgets, matplotlib, scikit-learn, scikit-image,
seaborn,
tqdm, pandas, datasets, diffusers, transformers and Jupyter's kernel machinery, but not Jupyter Book
or myst-nb. :func:`colab_venv` builds a fresh virtual environment with exactly those packages, at
Colab's versions where they matter (:data:`COLAB_VERSIONS`: Colab's package list of 2026-08-19),
the rest at the versions of constraints.txt, installed through the ordinary pip client and its
configured registries, and caches it under ``_build/colab-venv/<key>``, where the key hashes
constraints.txt, the package list and the Python version: a changed pin builds a new one.

Two differences from Colab, because no registry here has what Colab runs: Colab has Python 3.13
and torch 2.11 (a CUDA build); the only CPU build of torch the registries offer is 2.13.0 for
Python 3.11 (PyPI's torch wheels for Linux are CUDA builds that pull about 3 GB of NVIDIA
libraries), so the environment uses this interpreter (Python 3.11) and torch 2.13.0, the CPU
build nearest to 2.11.

:func:`execute_notebook` then plays a Colab session offline: it copies a chapter's ``.ipynb`` to an
empty folder (so no file of the repository is reachable by a relative path), uninstalls ``memgen``,
points the install cell at a wheel of the local checkout instead of the GitHub address, and runs
the notebook top to bottom with nbclient in the venv's own kernel, with pip unable to reach any
index: if the install cell needed to download or replace any package, it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PARENT = ROOT / "_build" / "colab-venv"
#: Colab's versions (its package list of 2026-08-19) of the packages whose version the book's
#: code or output depends on. torch: Colab has 2.11 (CUDA); 2.13.0 is the nearest CPU build.
COLAB_VERSIONS = {
    "torch": "2.13.0",
    "plotly": "5.24.1",
    "ipywidgets": "7.7.1",
    "diffusers": "0.39.0",
    "datasets": "4.0.0",
    "transformers": "5.15.0",
}
#: constraints.txt pins that Colab's versions above replace or that must follow them (their
#: dependencies resolve afresh): left out of the Colab environment's constraints.
FOLLOW_COLAB = {
    "plotly",
    "ipywidgets",
    "widgetsnbextension",
    "jupyterlab_widgets",
    "diffusers",
    "datasets",
    "transformers",
    "tokenizers",
    "huggingface_hub",
    "fsspec",
    "hf-xet",
    "dill",
    "multiprocess",
    "xxhash",
    "pyarrow",
}
#: What Colab ships that the chapters may use (never Jupyter Book or myst-nb).
COLAB_PACKAGES = [
    *(f"{name}=={version}" for name, version in COLAB_VERSIONS.items()),
    "numpy",
    "matplotlib",
    "scikit-learn",
    "scikit-image",
    "seaborn",
    "tqdm",
    "pandas",
    "pillow",
    "ipykernel",
    "nbclient",
    "nbformat",
    # only to build the checkout's wheel here (its PEP 639 license fields); Colab's pip
    "setuptools>=77",
    # builds the install cell's git checkout in an isolated environment with a current setuptools
]
#: The memory budget of one chapter's kernel (peak resident set, bytes): a free Colab runtime has
#: about 12.7 GB, shared with the reader's other work.
PEAK_RSS_BUDGET = 4 * 10**9
#: Packages that must NOT be importable in the Colab-like kernel (the book's build tools).
NOT_IN_COLAB = ["myst_nb", "jupyter_book", "jupytext", "sphinx"]
#: nbclient's per-cell timeout in seconds.
CELL_TIMEOUT = 900


def _key() -> str:
    h = hashlib.sha256()
    h.update((ROOT / "constraints.txt").read_bytes())
    h.update(json.dumps(COLAB_PACKAGES).encode())
    h.update(sys.version.encode())
    return h.hexdigest()[:12]


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def colab_venv() -> Path:
    """The cached Colab-like venv (built if missing: about 2 to 3 minutes)."""
    venv = VENV_PARENT / _key()
    stamp = venv / ".colab-ready"
    if stamp.is_file():
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    constraints = venv / "constraints-colab.txt"
    constraints.write_text(colab_constraints())
    subprocess.run(
        [
            str(_python(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-c",
            str(constraints),
            *COLAB_PACKAGES,
        ],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    stamp.write_text(json.dumps(COLAB_PACKAGES) + "\n")
    return venv


def colab_constraints() -> str:
    """constraints.txt without the pins of :data:`FOLLOW_COLAB` (Colab's versions govern those)."""
    keep = []
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name = line.split("==")[0].strip().lower().replace("_", "-")
        if line.startswith("#") or name not in {n.lower().replace("_", "-") for n in FOLLOW_COLAB}:
            keep.append(line)
    return "\n".join(keep) + "\n"


def installed_versions(venv: Path) -> dict:
    """``{distribution name (lower case): version}`` of the venv."""
    out = subprocess.run(
        [str(_python(venv)), "-m", "pip", "list", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(out.stdout)}


def build_wheel(venv: Path, out_dir: Path) -> Path:
    """A wheel of the local checkout, built offline with the venv's setuptools."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # build from a copy, so that setuptools' build/ and *.egg-info never land in the checkout
    src = out_dir / "src"
    for name in ("pyproject.toml", "README.md"):
        src.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "lib",
        src / "lib",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    # the shipped checkpoints (data/) go into the wheel as the package memgen_data
    shutil.copytree(
        ROOT / "data", src / "data", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    subprocess.run(
        [
            str(_python(venv)),
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out_dir),
            str(src),
        ],
        check=True,
        env=_offline_env(venv),
    )
    (wheel,) = out_dir.glob("memgen-*.whl")
    return wheel


def _offline_env(venv: Path) -> dict[str, str]:
    """The environment of the Colab session: pip reaches no index, no repository path is
    importable."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "PYTHON", "JUPYTER", "VIRTUAL_ENV", "MEMGEN_"))
    }
    env.update(
        {
            "PATH": f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(venv),
            # ignore the machine's pip configuration (indexes, find-links)
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "MPLBACKEND": "Agg",
            # One BLAS/OpenMP thread: on a shared 2-core CI machine, two OpenBLAS threads that spin
            # while
            # waiting for each other made chapter 3's digits experiment 15x slower (110 s instead of
            # 8 s).
            # Only the speed changes (and floating-point rounding), not what the notebooks compute.
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    return env


RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
times = []
client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                        resources={"metadata": {"path": cwd}})
with client.setup_kernel():
    for i, cell in enumerate(nb.cells):
        t0 = time.perf_counter()
        client.execute_cell(cell, i)
        times.append(round(time.perf_counter() - t0, 2))
nbformat.write(nb, path)
print(json.dumps({"cell_seconds": times}))
"""

PROBE_CELL = """\
# appended by tests/colab_env.py: where did the chapter's imports come from, and how much
# memory did the kernel hold at its peak (ru_maxrss: kilobytes on Linux)?
import importlib.util, json, resource, sys
import memgen, memgen.shipped_data
print("COLAB-PROBE " + json.dumps({"prefix": sys.prefix, "memgen": memgen.__file__,
      "data": str(memgen.shipped_data.data_dir()),
      "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
      "present": [m for m in %r if importlib.util.find_spec(m) is not None]}))
""" % (NOT_IN_COLAB,)


def execute_notebook(
    venv: Path, notebook: Path, pip_target: str, wheel: Path, workdir: Path
) -> dict:
    """Run ``notebook`` as a Colab reader would; returns timings and what the probe cell saw.

    Raises AssertionError if the install cell does not name ``pip_target``, or
    subprocess.CalledProcessError (with nbclient's report) if a cell fails.
    """
    import nbformat

    workdir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    install = nb.cells[[c.cell_type for c in nb.cells].index("code")]
    assert pip_target in install.source, (
        f"{notebook.name}: the install cell does not install {pip_target!r}"
    )
    install.source = install.source.replace(pip_target, f"memgen @ {wheel.as_uri()}")
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
    run_path = workdir / notebook.name
    nbformat.write(nb, run_path)

    env = _offline_env(venv)
    subprocess.run(
        [str(_python(venv)), "-m", "pip", "uninstall", "--quiet", "--yes", "memgen"],
        check=True,
        env=env,
        cwd=workdir,
        capture_output=True,
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(_python(venv)), "-c", RUNNER, str(run_path), str(workdir), str(CELL_TIMEOUT)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(
            proc.returncode,
            f"execute {notebook.name}",
            output=proc.stdout,
            stderr=proc.stderr[-6000:],
        )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    executed = nbformat.read(run_path, as_version=4)
    probe_text = "".join(o.get("text", "") for o in executed.cells[-1].get("outputs", []))
    probe_line = next(line for line in probe_text.splitlines() if line.startswith("COLAB-PROBE "))
    result["probe"] = json.loads(probe_line.removeprefix("COLAB-PROBE "))
    result["seconds"] = round(seconds, 1)
    return result
