"""Regenerate the chapter 6 checkpoints: the memorizing and the generalizing toy diffusion model.

    PYTHONPATH=lib python data/toy_diffusion/make_checkpoints.py [--variant unit|scalar|both]
        [--out FOLDER]

``unit`` (the default) is the paper's model, one gain per hidden unit (``DAECond`` of the official
notebook), trained with ``memgen.experiments.ch06_diffusion.CH6``: writes ``mem.pt``, ``gen.pt``
and ``training.json`` (loss curves). ``scalar`` is the comparison the chapter also uses, one gain
for all units, trained with ``CH6_SCALAR``: ``mem_scalar.pt``, ``gen_scalar.pt``,
``training_scalar.json``. Both are seeded and run on one CPU thread, so that the arithmetic is
deterministic (measured on a shared 2-core machine: about 3 + 3 minutes for ``unit``, 4 minutes
for ``scalar``). ``SHA256SUMS`` in the output folder gets the new files' lines (the other
variant's lines are kept). To check that a rerun reproduces the shipped checksums, write to
another folder and compare the lines of the two SHA256SUMS files. The book loads the files and
checks each checksum (a mismatch raises ``memgen.diffusion.ChecksumError``).
"""

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))

from memgen.experiments import ch06_diffusion as ed  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent), help="output folder")
    parser.add_argument("--variant", default="unit", choices=("unit", "scalar", "both"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    for variant in ("unit", "scalar") if args.variant == "both" else (args.variant,):
        t0 = time.perf_counter()
        models = ed.train_models(variant, progress=True)
        sums = ed.write_checkpoints(models, args.out, variant)
        print(
            f"{variant}: trained in {time.perf_counter() - t0:.0f} s: "
            + ", ".join(f"{k} {m['seconds']:.0f} s" for k, m in models.items())
        )
        for name, h in sums.items():
            print(f"{h}  {name}")
