"""The GPU guard: the Colab copies of the chapters with Hub cells ask Colab for a T4, and those
cells
check torch.cuda.is_available() first: without a GPU they say how to switch the runtime and what the
cell would cost, and start nothing."""

import json
import re
from pathlib import Path

import jupytext
import pytest
import torch

from memgen.hub import gpu
from memgen_book import colab

ROOT = Path(__file__).resolve().parents[1]
GPU_CHAPTERS = ["ch07_jacobians", "ch08_applications"]


def test_require_gpu_without_a_gpu_explains_and_refuses(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu.require_gpu("The benchmark", "about 90 hours") is False
    out = capsys.readouterr().out
    assert "The benchmark needs a GPU" in out and "about 90 hours" in out
    assert "Runtime > Change runtime type" in out and "T4" in out
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert gpu.require_gpu("The benchmark", "about 90 hours") is True
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="what must name"):
        gpu.require_gpu("", "x")


def test_cost_counts():
    assert gpu.sd_detection_passes(1) == 2 + 100 + 1
    assert gpu.sd_detection_passes(100, steps=50, wen_steps=1) == 10300
    assert gpu.jacobian_products(32) == 42 * 6
    assert gpu.sd_steering_passes(50) == 2 * 50 * 101 + 8 * 80
    assert gpu.cpu_hours(3600, 1.0) == 1.0
    with pytest.raises(ValueError, match="wen_steps must be an integer >= 1 and <= 50"):
        gpu.sd_detection_passes(1, wen_steps=51)


@pytest.mark.parametrize("source", colab.chapter_sources(ROOT), ids=lambda p: p.stem)
def test_only_chapters_with_gpu_cells_ask_colab_for_a_gpu(source):
    meta = json.loads(colab.notebook_path(source).read_text())["metadata"]
    if source.stem in GPU_CHAPTERS:
        assert meta["accelerator"] == "GPU" and meta["colab"]["gpuType"] == "T4"
        assert colab.needs_gpu(source.read_text())
    else:
        assert "accelerator" not in meta and "gpuType" not in meta["colab"]


def _code_cells(stem):
    nb = jupytext.read(ROOT / "chapters" / f"{stem}.md", fmt="md:myst")
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("stem", GPU_CHAPTERS)
def test_hub_cells_in_colab_without_a_gpu_start_nothing(stem, monkeypatch, capsys):
    """Run the chapter's import cell and its Hub cells as Colab's CPU runtime would: in_colab() is
    True, no GPU; every loader fails the test if it is called."""
    from memgen.hub import models as hub_models
    from memgen.hub import stable_diffusion as hd
    from memgen.views import render

    monkeypatch.setattr(render, "in_colab", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def no_load(*a, **k):
        raise AssertionError("a Hub model was loaded without a GPU")

    monkeypatch.setattr(hub_models, "try_load", no_load)
    monkeypatch.setattr(hd, "try_load_sd_parts", no_load)
    monkeypatch.setattr(hd, "download_prompts", no_load)
    monkeypatch.setattr(render, "setup", lambda *a, **k: None)
    cells = _code_cells(stem)
    start = next(i for i, c in enumerate(cells) if "from memgen.hub import gpu" in c)
    hub_cells = [c for c in cells[start:] if "hub" in c or "parts" in c or "gpu" in c]
    hub_cells = hub_cells[: next(i for i, c in enumerate(hub_cells) if "require_gpu" in c) + 2]
    namespace = {}
    exec(cells[1], namespace)  # the chapter's imports
    for code in hub_cells:
        exec(code, namespace)
    out = capsys.readouterr().out
    assert namespace["RUN_HUB"] is False
    assert re.search(r"needs a GPU, and this runtime has none", out)
    assert "Runtime > Change runtime type" in out and "hours" in out
    assert "on a T4" in out  # the memory estimates are printed
