"""memgen.experiments.cache: results read back from disk equal the computed ones; keys separate
arguments."""

import pickle

import torch

from memgen.experiments import cache


def _counted(calls):
    def compute(n, scale=1.0):
        calls.append((n, scale))
        return {"x": torch.arange(n) * scale, "n": n}

    compute.__qualname__ = f"compute_{id(calls)}"
    return compute


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    calls = []
    compute = _counted(calls)
    a = cache.experiment(compute)(4, scale=2.0)
    # a second decorator has an empty in-memory cache (as a new kernel would): it reads the disk
    b = cache.experiment(compute)(4, scale=2.0)
    assert calls == [(4, 2.0)]
    assert a is not b and torch.equal(a["x"], b["x"]) and b["n"] == 4
    # other arguments: another key, computed
    cache.experiment(compute)(5, scale=2.0)
    assert calls == [(4, 2.0), (5, 2.0)]
    assert len(list(tmp_path.glob("*.pkl"))) == 2


def test_corrupt_file_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    calls = []
    f = _counted(calls)
    cache.experiment(f)(3)
    (path,) = tmp_path.glob("*.pkl")
    path.write_bytes(b"not a pickle")
    out = cache.experiment(f)(3)
    assert calls == [(3, 1.0), (3, 1.0)] and torch.equal(out["x"], torch.arange(3) * 1.0)
    assert torch.equal(pickle.loads(path.read_bytes())["x"], out["x"])


def test_no_env_means_memory_only(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    calls = []
    g = cache.experiment(_counted(calls))
    g(2)
    g(2)
    assert calls == [(2, 1.0)] and cache.cache_dir() is None


def test_code_hash_is_stable_hex():
    h = cache.code_hash()
    assert h == cache.code_hash() and len(h) == 16 and int(h, 16) >= 0
