"""Benchmark: the phase diagram's grid trained as one batched computation against one model at a
time.

Both train the chapter 4 grid (memgen.experiments.ch04_mixed.PHASE: 8 x 8 values of (n, p), 3 seeds,
192
DAEs on nested subsets of 16 random unit vectors in R^32, 1500 Adam steps each) in the same process:
``memgen.phase.train_grid`` (one call of ``fit_dae``: models padded to the largest n and p,
per-model
sample weights and unit masks, one shared noise draw per row and step) and
``memgen.phase.train_one_by_one`` (one ``fit_dae`` call per
model, with its own n and p). Reported: both times, their ratio (target >= 5), and how far the two
phase maps agree (the same models up to the noise draws). Not collected by pytest:

    .venv/bin/python tests/benchmarks/bench_phase.py [--json] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import statistics

import numpy as np

from memgen.experiments import ch04_mixed as em
from memgen.phase import phase_maps, train_grid, train_one_by_one


def run() -> dict:
    c = em.PHASE
    X = em.phase_points()
    kw = {"sigma": c.sigma, "lam": c.lam, "steps": c.steps}
    batched = train_grid(X, c.ns, c.ps, c.seeds, **kw)
    looped = train_one_by_one(X, c.ns, c.ps, c.seeds, **kw)
    fb = phase_maps(batched, X, c.sigma)["frac"]
    fl = phase_maps(looped, X, c.sigma)["frac"]
    return {
        "models": len(batched["cells"]),
        "batched_s": batched["seconds"],
        "one_by_one_s": looped["seconds"],
        "ratio": looped["seconds"] / batched["seconds"],
        "map_max_abs_diff": float(np.abs(fb - fl).max()),
        "map_mean_abs_diff": float(np.abs(fb - fl).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    rows = [run() for _ in range(args.repeats)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(
            f"{r['models']} models: batched {r['batched_s']:.1f} s, one by one "
            f"{r['one_by_one_s']:.1f} s, "
            f"ratio {r['ratio']:.1f}x (target >= 5); memorized-fraction maps differ by "
            f"{r['map_mean_abs_diff']:.3f} on average, at most {r['map_max_abs_diff']:.3f}"
        )
    print(f"median ratio {statistics.median(r['ratio'] for r in rows):.1f}x")


if __name__ == "__main__":
    main()
