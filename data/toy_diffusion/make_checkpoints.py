"""Regenerate the chapter 6 checkpoints: the memorizing and the generalizing toy diffusion model.

    PYTHONPATH=lib python data/toy_diffusion/make_checkpoints.py [--out FOLDER]

Trains both models with the settings of ``memgen.experiments.ch06_diffusion.CH6`` (seeded, one CPU
thread so that the arithmetic is deterministic; about 4 minutes on a 2-core machine), writes
``mem.pt`` and ``gen.pt`` (torch state dicts, 68 kB each), ``training.json`` (loss curves) and
``SHA256SUMS`` into this folder, or into FOLDER: to check that a rerun reproduces the shipped
checksums, write to another folder and compare the two SHA256SUMS files. The book loads the files
and checks each checksum (a mismatch raises ``memgen.diffusion.ChecksumError``).
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
    args = parser.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    models = ed.train_models(progress=True)
    sums = ed.write_checkpoints(models, args.out)
    print(f"trained in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{k} {m['seconds']:.0f} s" for k, m in models.items()))
    for name, h in sums.items():
        print(f"{h}  {name}")
