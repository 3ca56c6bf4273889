"""Retrain the small UNet denoisers of chapter 7 and rewrite their checkpoints and SHA256SUMS.

Seven models: a memorizing and a generalizing diffusers ``UNet2DModel``, the same pair as bias-free
UNets (``memgen.bfunet``), and a memorizing (8 digits) and a generalizing small diffusers
``DiTTransformer2DModel`` (``memgen.unet.DiTNet``) plus ``dit_32``, the DiT trained on the
memorizing
UNet's 32 digits (which it does not memorize at this budget). On one thread of the shared 2-core
machine the DiTs took 96 s (memorizing), 123 s (generalizing) and 359 s (dit_32), as recorded in
their .json files.

    python data/unets/train_unets.py --only dit_memorizing --only dit_generalizing --only dit_32

    python data/unets/train_unets.py                 # CPU (one thread, as shipped)
    python data/unets/train_unets.py --device cuda   # a GPU, if there is one
    python data/unets/train_unets.py --only memorizing --only bias_free_memorizing

All models use the same seed as the shipped files. On the same machine type, torch version and
thread count (CPU, 1 thread) the rewritten weights are bit-identical to the shipped ones (checked:
the memorizing model's and the bias-free memorizing model's .safetensors had the same sha256); the
.json differs only in its recorded training time ("seconds"), so SHA256SUMS is rewritten too.
Elsewhere (another torch, a GPU) the
weights differ in the last bits and the chapter's numbers by little.
The settings live in ``memgen.experiments.ch07_jacobians.UNET_RUNS``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib"))

import torch  # noqa: E402

from memgen.experiments import ch07_jacobians as xj  # noqa: E402
from memgen.unet import DATA_DIR, print_progress, save_denoiser, train_denoiser  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument(
        "--only", choices=sorted(xj.UNET_RUNS), action="append", help="train only this model"
    )
    ap.add_argument("--out", default=str(DATA_DIR), help="output folder (default: data/unets)")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (the shipped files used 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    for name in args.only or list(xj.UNET_RUNS):
        run = xj.UNET_RUNS[name]
        x, index = xj.training_images(name)
        print(
            f"== {name}: {len(x)} images, {run['train'].steps} steps on {args.device}", flush=True
        )
        t0 = time.perf_counter()
        logged = []

        def log(info):
            logged.append(info["loss"])
            print_progress(info)

        model = train_denoiser(
            x, run["config"], run["train"], device=args.device, callback=log
        ).model
        seconds = time.perf_counter() - t0
        meta = {
            "training_indices": index.tolist(),
            "seconds": round(seconds, 1),
            "device": args.device,
            "threads": args.threads,
            "torch": torch.__version__,
            "final_loss": logged[-1],
            "steps": run["train"].steps,
            "batch_size": run["train"].batch_size,
            "lr": run["train"].lr,
            "seed": run["train"].seed,
        }
        sums = save_denoiser(model, name, args.out, meta=meta)
        print(
            f"saved {name} in {seconds:.0f} s; sha256 {sums[name + '.safetensors'][:16]}...",
            flush=True,
        )


if __name__ == "__main__":
    main()
