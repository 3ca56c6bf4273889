"""The T4 memory estimates of the Hub recipes (memgen.hub.memory): the real architectures built on
the meta device from their published configurations, the live-bytes counter checked against known
sizes and against the process's own growth on the CPU, and every recipe under the 14 GB budget."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from memgen.hub import memory

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("kind", ["ddpm-cifar10", "sd-unet", "sd-vae", "sd-text"])
def test_real_architectures_have_the_published_parameter_counts(kind):
    model = memory.build(kind)
    assert all(p.is_meta for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == memory.PUBLISHED_PARAMETERS[kind]


def test_dit_matches_the_paper_once_its_per_block_embedders_are_shared():
    """diffusers' DiTTransformer2DModel keeps a copy of the timestep and class embedders in each of
    its 28 blocks; with one shared copy the count is DiT-XL/2's 675 M (Peebles and Xie 2023)."""
    model = memory.build("dit")
    total = sum(p.numel() for p in model.parameters())
    per_block = sum(p.numel() for p in model.transformer_blocks[0].norm1.emb.parameters())
    assert len(model.transformer_blocks) == 28
    assert abs(total - 27 * per_block - memory.PUBLISHED_PARAMETERS["dit"]) / 675e6 < 1e-3


def test_peak_memory_counts_live_storages():
    mib = 2**20
    with memory.PeakMemory() as pm:
        a = torch.zeros(mib, device="meta")  # 4 MiB
        b = a + 1  # 8 MiB alive
        v = b.view(-1, 2)  # a view: no new storage
        del a
        c = v * 2  # b and c: 8 MiB
        assert pm.current == 8 * mib
        del b, v, c
    assert pm.peak == 8 * mib and pm.current == 0
    with memory.PeakMemory() as pm:  # autograd keeps what the backward pass needs
        w = torch.zeros(256, 256, device="meta", requires_grad=True)
        x = torch.zeros(1024, 256, device="meta")
        y = (x @ w).relu()  # relu's output is saved for backward
        y.sum().backward()
    assert pm.peak >= 1024 * 256 * 4 and w.grad.shape == w.shape


@pytest.mark.memory
def test_peak_memory_agrees_with_the_process_growth_on_the_cpu():
    """The counter on the CPU against the resident-memory growth of a fresh process, for a batched
    Jacobian of chapter 8's benchmark UNet: within the allowance the estimates add."""
    code = (
        "import resource, sys, torch\n"
        "torch.set_num_threads(1)\n"
        "from memgen.jacobian import batched_jacobians\n"
        "from memgen.unet import Denoiser, UNetConfig, build_unet\n"
        "from memgen.hub.memory import PeakMemory\n"
        "torch.manual_seed(0)\n"
        "cfg = UNetConfig(image_size=8, block_out_channels=(32, 64), norm_num_groups=8)\n"
        "m = Denoiser(build_unet(cfg), cfg).eval()\n"
        "Y = torch.randn(4, 64)\n"
        "f = lambda v: m(v, 0.2)\n"
        "batched_jacobians(f, Y[:1])\n"
        "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "if sys.argv[1] == 'count':\n"
        "    with PeakMemory('cpu') as pm:\n"
        "        batched_jacobians(f, Y)\n"
        "    print(pm.peak)\n"
        "else:\n"
        "    batched_jacobians(f, Y)\n"
        "    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) * 1024)\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "lib")}

    def run(mode):
        out = subprocess.run(
            [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True, env=env
        )
        return int(out.stdout.split()[-1])

    counted, grown = run("count"), run("rss")
    assert grown > 50e6, grown  # big enough to measure
    assert 0.6 * grown < counted <= grown, (counted, grown)
    assert counted * (1 + memory.ALLOCATOR_SLACK) >= 0.95 * grown


@pytest.fixture(scope="module")
def estimates():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return memory.all_estimates()
    finally:
        torch.set_num_threads(threads)


def test_every_recipe_fits_a_t4(estimates):
    assert [e.recipe.split(",")[0] for e in estimates] == ["chapter 7"] * 3 + ["chapter 8"] * 2
    for e in estimates:
        assert e.total_gb < memory.BUDGET_GB, e.line()
        assert e.weights_gb > 0.1 and e.activations_gb > 0.1, e.line()


def test_the_committed_table_is_up_to_date(estimates):
    """chapters 7 and 8 print memgen/hub/t4_memory.json: regenerate it with
    `PYTHONPATH=lib python -m memgen.hub.memory` when a recipe changes."""
    import json

    fresh = json.loads(memory.to_json(estimates))
    committed = json.loads(memory.TABLE.read_text())
    assert memory.native_sd_activations_gb() > memory.BUDGET_GB  # why SD's Jacobian runs at 32 x 32
    assert [r["recipe"] for r in committed["estimates"]] == [
        r["recipe"] for r in fresh["estimates"]
    ]
    for got, want in zip(committed["estimates"], fresh["estimates"]):
        assert got["settings"] == want["settings"]
        for key in ("weights_gb", "activations_gb", "total_gb"):
            assert got[key] == pytest.approx(want[key], abs=0.02), (got["recipe"], key)
    assert len(memory.table_lines(7)) == 3 and len(memory.table_lines(8)) == 2


def test_half_precision_halves_the_weights():
    assert memory.parameter_bytes(
        memory.build("sd-vae", torch.float16)
    ) * 2 == memory.parameter_bytes(memory.build("sd-vae"))


def test_bad_kind_names_the_choices():
    with pytest.raises(ValueError, match="unknown kind 'edm'; choose one of: ddpm-cifar10"):
        memory.build("edm")
    with pytest.raises(ValueError, match="unknown key 'sd'"):
        memory.jacobian_recipe("sd")
