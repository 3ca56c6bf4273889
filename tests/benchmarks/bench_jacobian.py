"""Benchmark: the randomized top-k SVD from VJPs against the full Jacobian + SVD, same model, same
input.

The model is chapter 7's generalizing UNet denoiser (fully convolutional, so it also runs on larger
inputs than the 8x8 digits it was trained on); the input is a held-out digit upsampled to
``size x size`` plus noise at sigma = 0.1. The baseline builds the whole (d x d) Jacobian by reverse
mode (``torch.func.jacrev``, d VJPs in chunks of 256) and takes its singular values; the method
under
test is ``memgen.jacobian.randomized_svd`` (Halko-Martinsson-Tropp on J^T with the double-VJP trick,
k = 8, oversampling 8, 2 power iterations: 16 * 6 = 96 products). Reported per size: the speed ratio
(best of ``--repeats`` runs each, in this process) and the relative error of each top-k singular
value.
Not collected by pytest:

    .venv/bin/python tests/benchmarks/bench_jacobian.py [--sizes 16 32 48] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json

import torch

from memgen.experiments.ch07_jacobians import randomized_vs_full


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 48])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for size in args.sizes:
        r = randomized_vs_full(size, repeats=args.repeats)
        rows.append(
            {
                "size": size,
                "d": r["d"],
                "k": r["k"],
                "t_full_s": round(r["t_full"], 3),
                "t_randomized_s": round(r["t_rand"], 3),
                "speedup": round(r["speedup"], 2),
                "max_rel_err_topk": float(f"{r['max_rel_err']:.2e}"),
                "rel_err_topk": [float(f"{e:.1e}") for e in r["rel_err"]],
            }
        )
        if not args.json:
            print(
                f"d = {r['d']:5d}: full {r['t_full']:.2f} s, randomized {r['t_rand']:.2f} s, "
                f"speed ratio {r['speedup']:.1f}x, max relative error of the top {r['k']} "
                "singular values "
                f"{r['max_rel_err']:.1e}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
