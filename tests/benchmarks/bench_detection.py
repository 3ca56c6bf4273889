"""Benchmark: time per sample of the spikiness score against its two baselines, same model, same
samples.

The model is chapter 8's class-conditional benchmark UNet; the samples are its benchmark samples
(``memgen.experiments.ch08_applications.benchmark_samples``). The baseline of the speed ratio is the
slowest
detector (the local intrinsic dimension from the full Jacobian, d = 64 VJPs per image, vectorised);
Wen et al.'s score takes two forward passes. Reported per batch size and thread count: each method's
time per sample (best of ``--repeats``, in this process) and its ratio to the spikiness score.
Not collected by pytest:

    .venv/bin/python tests/benchmarks/bench_detection.py [--batches 1 16 64] [--threads 1 2]
    [--json]
"""

from __future__ import annotations

import argparse
import json

from memgen import detection
from memgen.experiments import ch08_applications as xd


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    model, b, c = xd.load_model(), xd.benchmark_samples(), xd.DETECT
    rows = []
    for threads in args.threads:
        for n in args.batches:
            S, x_T, labels = b["samples"][:n], b["x_T"][:n], b["labels"][:n]
            fns = {
                "spikiness": lambda: detection.spikiness_score(
                    model, S, sigma=c.sigma, layer=c.layer, pool=c.pool
                ),
                "wen": lambda: detection.wen_score(model, x_T, labels, xd.CONFIG.sigma_max),
                "lid": lambda: detection.lid_score(model, S, sigma=c.lid_sigma),
            }
            t = {
                k: detection.time_per_sample(f, n, repeats=args.repeats, threads=threads)
                for k, f in fns.items()
            }
            rows.append(
                {
                    "threads": threads,
                    "batch": n,
                    **{f"{k}_ms": round(1000 * v, 3) for k, v in t.items()},
                    "wen_over_spikiness": round(t["wen"] / t["spikiness"], 1),
                    "lid_over_spikiness": round(t["lid"] / t["spikiness"], 1),
                }
            )
            if not args.json:
                print(rows[-1], flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
