"""Build the live explorer's WebAssembly kernels and embed them in kernels.js.

    PYTHONPATH=lib python lib/memgen_book/live/make_kernels.py [--check]

Compiles ``kernels.c`` with Debian's ``clang`` and ``wasm-ld`` (``apt-get install clang lld``; no
emscripten, no libc) for ``wasm32`` with SIMD, and writes the module, base64-encoded, between the
``WASM_BASE64`` markers of ``kernels.js`` (so that it loads from ``file://`` and inside a Blob
worker, with nothing fetched). ``--check``: exit 1 if the embedded module differs from a fresh
build (the build is deterministic for one clang version).
"""

from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "kernels.c"
TARGET = HERE / "kernels.js"
EXPORTS = ("dot_block", "gather_rows", "mask_outer", "__heap_base")
FLAGS = [
    "--target=wasm32",
    "-O2",
    "-msimd128",
    "-mbulk-memory",
    "-nostdlib",
    "-Wl,--no-entry",
    "-Wl,--import-memory",
    "-Wl,-z,stack-size=1024",
    *(f"-Wl,--export={name}" for name in EXPORTS),
]
WIDTH = 88  # base64 characters per line
PATTERN = re.compile(r"(// WASM_BASE64 begin\n)(.*?)(\s*// WASM_BASE64 end)", re.S)


def clang() -> str:
    """The clang executable; raises RuntimeError naming the packages when it is missing."""
    for name in ("clang", "clang-14", "clang-15", "clang-16"):
        found = shutil.which(name)
        if found and (shutil.which("wasm-ld") or shutil.which("wasm-ld-14")):
            return found
    raise RuntimeError("clang and wasm-ld are needed: apt-get install -y clang lld")


def build() -> bytes:
    """The compiled module's bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kernels.wasm"
        subprocess.run([clang(), *FLAGS, "-o", str(out), str(SOURCE)], check=True)
        return out.read_bytes()


def embedded(text: str) -> bytes:
    """The module embedded in kernels.js's text."""
    match = PATTERN.search(text)
    if not match:
        raise ValueError(f"{TARGET.name} has no '// WASM_BASE64 begin/end' markers")
    lines = re.findall(r"'([A-Za-z0-9+/=]*)'", match.group(2))
    return base64.b64decode("".join(lines))


def render(text: str, wasm: bytes) -> str:
    """kernels.js's text with `wasm` embedded."""
    b64 = base64.b64encode(wasm).decode()
    chunks = [b64[i : i + WIDTH] for i in range(0, len(b64), WIDTH)]
    body = "  var WASM_BASE64 = [\n" + "".join(f"    '{c}',\n" for c in chunks) + "  ].join('');"
    return PATTERN.sub(lambda m: m.group(1) + body + m.group(3), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if kernels.js is stale")
    args = parser.parse_args(argv)
    wasm = build()
    text = TARGET.read_text()
    if args.check:
        if embedded(text) != wasm:
            print(f"{TARGET.name} is stale: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{TARGET.name}: the embedded module matches a fresh build ({len(wasm)} bytes)")
        return 0
    TARGET.write_text(render(text, wasm))
    print(f"wrote {TARGET.name}: {len(wasm)} bytes of WebAssembly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
