"""What the browser benchmarks record about the machine (its CPUs and its load around the run)."""

from __future__ import annotations

import os


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def machine(load_before: float) -> dict:
    """CPUs and the 1-minute load average before and after the run (other work slows it)."""
    return {
        "cpus": os.cpu_count(),
        "load_1min_before": load_before,
        "load_1min_after": load_average(),
    }
