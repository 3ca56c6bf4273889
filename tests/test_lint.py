"""The library, the tests and the data scripts pass ruff (rules E, F, I at 100 columns; the
configuration is in pyproject.toml) and are formatted by `ruff format`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["lib", "tests", "data"]


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.is_file():
        return [str(exe)]
    if shutil.which("ruff"):
        return ["ruff"]
    pytest.skip("ruff is not installed (it is in the test extra: pip install -e '.[test]')")


def test_ruff_check():
    out = subprocess.run(_ruff() + ["check", *TARGETS], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format():
    out = subprocess.run(
        _ruff() + ["format", "--check", *TARGETS], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
