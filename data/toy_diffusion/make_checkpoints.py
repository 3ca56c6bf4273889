"""Regenerate the chapter 6 checkpoints: the memorizing and the generalizing toy diffusion model.

    PYTHONPATH=lib python data/toy_diffusion/make_checkpoints.py

Trains both models with the settings of ``memgen.experiments_diffusion.CH6`` (seeded, one CPU
thread so that the arithmetic is deterministic; about 5 minutes on a 2-core machine), writes
``mem.pt`` and ``gen.pt`` (torch state dicts, about 70 kB each), ``training.json`` (loss curves,
training times) and ``SHA256SUMS`` into this folder. The book loads the files and checks each
checksum (a mismatch raises ``memgen.diffusion.ChecksumError``).
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lib"))

from memgen import experiments_diffusion as ed  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    models = ed.train_models(progress=True)
    sums = ed.write_checkpoints(models, Path(__file__).resolve().parent)
    for name, h in sums.items():
        print(f"{h}  {name}")
