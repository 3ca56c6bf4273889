"""Benchmark: how long the DAE explorer takes from "slider moved" to "new trained result drawn".

Replays a fixed sequence of slider moves around the explorer's defaults (digits, n = 8, p = 16,
sigma = 0.2, lambda = 0.1, 800 steps), changing one control at a time (n, p, sigma, lambda, and a
switch to the Gaussian mixture and back). Each move is timed end to end without a display:
:func:`memgen.views.explorers.dae_explorer_state` (train + all numbers) and
:func:`memgen.views.explorers.draw_dae_state` drawn to an Agg canvas (``fig.canvas.draw()``), then
closed. One warm-up move (imports, dataset loading, first figure) is not counted. The target is a
median of at most 1 s per move. Not collected by pytest:

    .venv/bin/python tests/benchmarks/bench_explorer.py [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from memgen.views.explorers import dae_explorer_state, draw_dae_state  # noqa: E402

TARGET_S = 1.0
DEFAULT = {"dataset": "digits", "n": 8, "p": 16, "sigma": 0.2, "lam": 0.1, "steps": 800, "seed": 0}
# each move changes one control of the previous setting
MOVES = [
    {"n": 12},
    {"n": 16},
    {"n": 24},
    {"n": 8},
    {"p": 8},
    {"p": 24},
    {"p": 16},
    {"sigma": 0.3},
    {"sigma": 0.1},
    {"lam": 0.05},
    {"lam": 0.2},
    {"dataset": "gmm"},
    {"dataset": "digits"},
]


def one_move(setting: dict) -> float:
    t0 = time.perf_counter()
    state = dae_explorer_state(**setting)
    fig = draw_dae_state(state)
    fig.canvas.draw()
    plt.close(fig)
    return time.perf_counter() - t0


def run() -> dict:
    setting = dict(DEFAULT)
    warmup = one_move(setting)
    moves = []
    for change in MOVES:
        setting.update(change)
        seconds = one_move(setting)
        moves.append({"change": dict(change), "setting": dict(setting), "seconds": seconds})
    times = [m["seconds"] for m in moves]
    median = statistics.median(times)
    return {
        "moves": moves,
        "warmup_s": warmup,
        "median_s": median,
        "max_s": max(times),
        "target_s": TARGET_S,
        "holds": median <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = run()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"warm-up move (not counted): {result['warmup_s']:.3f} s")
    print(f"{'move':<22}{'seconds':>9}")
    for m in result["moves"]:
        ((key, value),) = m["change"].items()
        print(f"{key + ' -> ' + str(value):<22}{m['seconds']:>9.3f}")
    print(
        f"median {result['median_s']:.3f} s, max {result['max_s']:.3f} s, target median <= "
        f"{result['target_s']:.1f} s: {'holds' if result['holds'] else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
