"""Benchmark: the library's trainer (memgen.fit_fast.fit_dae) against the naive loop
(memgen.train_mc.train_dae).

Both train the same DAE (same data, width, sigma, lambda, initialisation) in the same process. The
naive loop is the baseline of shared/toolchain-notes.md: full batch, Adam (lr 1e-2), 20 fresh noise
draws per sample and step, 2000 steps. Its final loss, measured with 256 fixed noise draws per
sample
(common random numbers), is the target; the fast trainer runs until the same measurement is at or
below the target (checked every 25 steps; the time spent measuring is not counted). Reported: the
ratio of the two times, per seed and its median. Not collected by pytest:

    .venv/bin/python tests/benchmarks/bench_fit.py [--json] [--seeds 3]

The problem is the explorer's default: 8 centred digits, p = 16, sigma = 0.2, lambda = 0.1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from memgen import data as mdata
from memgen.dae import ReLUDAE
from memgen.fit_fast import fit_dae
from memgen.train_mc import dae_loss, train_dae

PROBLEM = {"n": 8, "p": 16, "sigma": 0.2, "lam": 0.1}
NAIVE = {"optimizer": "adam", "lr": 1e-2, "steps": 2000, "draws": 20}


def problem_data(n: int) -> torch.Tensor:
    digits = mdata.load_digits()
    return mdata.load_digits(n=n, seed=0).x - digits.x.mean(0)


def run(seed: int) -> dict:
    X = problem_data(PROBLEM["n"])
    sigma, lam, p = PROBLEM["sigma"], PROBLEM["lam"], PROBLEM["p"]
    eps = torch.randn(256, *X.shape, generator=torch.Generator().manual_seed(10_000 + seed))

    def measured(model) -> float:
        with torch.no_grad():
            return dae_loss(model, X, sigma, lam, noise=eps).item()

    naive = ReLUDAE(X.shape[1], p, seed=seed)
    t0 = time.perf_counter()
    train_dae(naive, X, sigma=sigma, lam=lam, seed=seed, progress=False, **NAIVE)
    naive_s = time.perf_counter() - t0
    target = measured(naive)

    state = {"reached": None, "measuring": 0.0}

    def check(info):
        if state["reached"] is None:
            t = time.perf_counter()
            m = ReLUDAE.from_weights(
                torch.from_numpy(info["W1"][0].copy()), torch.from_numpy(info["W2"][0].copy())
            )
            if measured(m) <= target:
                state["reached"] = (info["step"], t - t0 - state["measuring"])
            state["measuring"] += time.perf_counter() - t

    t0 = time.perf_counter()
    fit_dae(
        X,
        p,
        sigma=sigma,
        lam=lam,
        steps=NAIVE["steps"],
        seed=seed,
        callback=check,
        callback_every=25,
    )
    fast_total = time.perf_counter() - t0 - state["measuring"]
    step, fast_s = state["reached"] if state["reached"] else (None, float("nan"))
    return {
        "seed": seed,
        "target_loss": target,
        "naive_s": naive_s,
        "fast_s_to_target": fast_s,
        "fast_step_to_target": step,
        "fast_s_full_run": fast_total,
        "ratio": naive_s / fast_s if step else float("nan"),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small problems: one thread is faster (toolchain notes)
    rows = [run(s) for s in range(args.seeds)]
    ratios = [r["ratio"] for r in rows]
    summary = {
        "problem": PROBLEM,
        "naive": NAIVE,
        "runs": rows,
        "median_ratio": statistics.median(ratios),
        "target_ratio": 10.0,
    }
    summary["holds"] = bool(summary["median_ratio"] >= 10.0)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for r in rows:
            print(
                f"seed {r['seed']}: naive {r['naive_s']:.2f} s to loss {r['target_loss']:.4f}; "
                "fit_dae "
                f"{r['fast_s_to_target']:.3f} s (step {r['fast_step_to_target']}): "
                f"{r['ratio']:.1f}x"
            )
        print(
            f"median speed-up {summary['median_ratio']:.1f}x (target >= 10x): "
            f"{'ok' if summary['holds'] else 'FAIL'}"
        )
    return 0 if summary["holds"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
