"""Retrain chapter 8's class-conditional benchmark model and rewrite its checkpoint and SHA256SUMS.

    python data/detect/train_detector.py                 # CPU, one thread (as shipped; 8 to 12 min)
    python data/detect/train_detector.py --device cuda   # a GPU, if there is one

The training set (the digits pool, plus 16 digits duplicated 40 times under labels of their own)
and all settings live in ``memgen.experiments.ch08_applications`` (``training_set``, ``CONFIG``,
``TRAIN``).
Same seed as the shipped file: on the same torch version and thread count (CPU, 1 thread) the
weights
are reproduced; elsewhere they differ in the last bits and the chapter's numbers by little.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib"))

import torch  # noqa: E402

from memgen.experiments import ch08_applications as xd  # noqa: E402
from memgen.unet import print_progress, save_denoiser  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parent),
        help="output folder (default: data/detect)",
    )
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (the shipped file used 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    ts = xd.training_set()
    print(
        f"== {xd.NAME}: {len(ts['x'])} training rows, {xd.TRAIN.steps} steps on {args.device}",
        flush=True,
    )
    t0 = time.perf_counter()
    logged = []

    def log(info):
        logged.append(info["loss"])
        print_progress(info)

    model = xd.train_model(device=args.device, callback=log).model
    seconds = time.perf_counter() - t0
    meta = {
        "duplicated_indices": ts["dup_index"].tolist(),
        "copies": xd.COPIES,
        "seconds": round(seconds, 1),
        "device": args.device,
        "threads": args.threads,
        "torch": torch.__version__,
        "final_loss": logged[-1],
        "steps": xd.TRAIN.steps,
        "batch_size": xd.TRAIN.batch_size,
        "lr": xd.TRAIN.lr,
        "seed": xd.TRAIN.seed,
        "cond_dropout": xd.TRAIN.cond_dropout,
    }
    sums = save_denoiser(model, xd.NAME, args.out, meta=meta)
    print(
        f"saved {xd.NAME} in {seconds:.0f} s; sha256 {sums[xd.NAME + '.safetensors'][:16]}...",
        flush=True,
    )


if __name__ == "__main__":
    main()
