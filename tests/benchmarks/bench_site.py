"""Benchmark: how fast each page of the built site paints, and how much JavaScript it loads (not a
test).

Serves ``_build/html`` (``make book``) over HTTP on 127.0.0.1, gzipping text files as a web host
does, and opens every page of ``_toc.yml`` in Debian's headless ``/usr/bin/chromium`` (Playwright),
each load in a fresh browser context (an empty cache). Per page:

- **FCP, localhost**: the first contentful paint (``performance`` paint timing), no throttling;
- **FCP, slow 4G + 4x CPU**: the same under Chrome DevTools' "slow 4G" profile as Lighthouse
  applies it (562.5 ms latency, 1.47 Mbit/s down, 0.675 Mbit/s up; CDP
  ``Network.emulateNetworkConditions``) and a CPU slowed 4x (``Emulation.setCPUThrottlingRate``);
- **JS gz**: the gzipped bytes of every script the page loads before the network is idle
  (resource timing's ``encodedBodySize``), and **total gz**, every resource with the HTML.

Each FCP is the median of ``--repeats`` loads, and is also reported as a ratio to the preface's
(the baseline: a page with no figure), measured in the same process, so that the ratios compare
pages on one machine whatever else it is running. Goals (issue 18): FCP within 1 s on localhost
and within 5 s on slow 4G + 4x CPU on every chapter, at most 1.5 MB of gzipped JavaScript per
chapter page. The numbers depend on the machine and its load:

    PYTHONPATH=lib .venv/bin/python tests/benchmarks/bench_site.py [--repeats 3] [--json]
        [--site _build/html] [--pages chapters/ch01_denoising ...]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import json
import statistics
import sys
import threading
from pathlib import Path

from machine import load_average, machine  # tests/benchmarks/machine.py

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
BASELINE = "chapters/preface"
#: Chrome DevTools' slow 4G as Lighthouse applies it (bytes per second, ms).
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1474.56 * 1024 / 8,
    "uploadThroughput": 675 * 1024 / 8,
}
CPU_SLOWDOWN = 4
GOALS = {"fcp_local_s": 1.0, "fcp_slow_s": 5.0, "js_gz_mb": 1.5}
_TEXT = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".xml", ".ipynb", ".md")

JS_FCP = """() => { const e = performance.getEntriesByName('first-contentful-paint')[0];
  return e ? e.startTime : null; }"""
JS_BYTES = """() => {
  const res = performance.getEntriesByType('resource');
  const nav = performance.getEntriesByType('navigation')[0];
  const js = res.filter(r => r.initiatorType === 'script' || /\\.m?js(\\?|$)/.test(r.name));
  const sum = (a) => a.reduce((s, r) => s + (r.encodedBodySize || 0), 0);
  return {js: sum(js), total: sum(res) + (nav ? nav.encodedBodySize : 0), scripts: js.length,
    largest: js.sort((a, b) => b.encodedBodySize - a.encodedBodySize).slice(0, 3)
      .map(r => [r.name.replace(location.origin, ''), r.encodedBodySize])};
}"""


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site like a web host: text files gzipped when the browser accepts it."""

    cache: dict[Path, bytes] = {}

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts and path.is_file() and path.suffix in _TEXT):
            return super().send_head()
        body = self.cache.get(path)
        if body is None:
            body = self.cache[path] = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a context closed at first paint drops its pending downloads: not an error here


def serve(site: Path):
    handler = functools.partial(GzipHandler, directory=str(site))
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def load(browser, url: str, *, throttled: bool, bytes_too: bool) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if throttled:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="commit", timeout=120_000)
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0",
        timeout=120_000,
        polling=20,
    )
    out = {"fcp_ms": page.evaluate(JS_FCP)}
    if bytes_too:
        page.wait_for_load_state("load", timeout=120_000)
        try:
            page.wait_for_load_state("networkidle", timeout=20_000)
        except Exception:  # noqa: BLE001 - a page that keeps polling: count what it has loaded
            pass
        out.update(page.evaluate(JS_BYTES))
    context.close()
    return out


def run(site: Path, pages: list[str], repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    server, base = serve(site)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            load(browser, f"{base}/{BASELINE}.html", throttled=False, bytes_too=False)  # warm-up
            for doc in pages:
                url = f"{base}/{doc}.html"
                local = [
                    load(browser, url, throttled=False, bytes_too=(k == 0)) for k in range(repeats)
                ]
                slow = [load(browser, url, throttled=True, bytes_too=False) for _ in range(repeats)]
                rows.append(
                    {
                        "page": doc,
                        "fcp_local_ms": statistics.median(r["fcp_ms"] for r in local),
                        "fcp_slow_ms": statistics.median(r["fcp_ms"] for r in slow),
                        "fcp_local_all_ms": [r["fcp_ms"] for r in local],
                        "fcp_slow_all_ms": [r["fcp_ms"] for r in slow],
                        "js_gz_bytes": local[0]["js"],
                        "total_gz_bytes": local[0]["total"],
                        "scripts": local[0]["scripts"],
                        "largest_scripts": local[0]["largest"],
                    }
                )
                print(f"  measured {doc}", file=sys.stderr, flush=True)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    base_row = next((r for r in rows if r["page"] == BASELINE), None)
    for r in rows:
        chapter = Path(r["page"]).name.startswith("ch")
        r["chapter"] = chapter
        if base_row:
            r["local_ratio"] = r["fcp_local_ms"] / base_row["fcp_local_ms"]
            r["slow_ratio"] = r["fcp_slow_ms"] / base_row["fcp_slow_ms"]
        r["goals_met"] = {
            "fcp_local": r["fcp_local_ms"] <= 1000 * GOALS["fcp_local_s"],
            "fcp_slow": r["fcp_slow_ms"] <= 1000 * GOALS["fcp_slow_s"],
            "js_gz": r["js_gz_bytes"] <= GOALS["js_gz_mb"] * 1e6,
        }
    return {"rows": rows, "baseline": BASELINE, "repeats": repeats, "goals": GOALS}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--repeats", type=int, default=3, help="loads per page and profile")
    parser.add_argument("--pages", nargs="*", help="docnames (default: every page of _toc.yml)")
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"{args.site} has no index.html: run `make book` first", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "lib"))
    from memgen_book import colab

    pages = args.pages or colab.toc_docnames(ROOT)
    if BASELINE not in pages:
        pages = [BASELINE, *pages]
    load_before = load_average()
    res = run(args.site, pages, args.repeats)
    res["machine"] = machine(load_before)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(
        f"{'page':34} {'FCP local':>10} {'x base':>7} {'FCP 4G/4x':>10} {'x base':>7}"
        f" {'JS gz':>9} {'total gz':>9}  goals"
    )
    for r in res["rows"]:
        met = r["goals_met"]
        flags = "" if not r["chapter"] else " ".join(k for k, ok in met.items() if not ok)
        print(
            f"{r['page']:34} {r['fcp_local_ms'] / 1000:9.2f}s {r.get('local_ratio', 0):6.2f}x"
            f" {r['fcp_slow_ms'] / 1000:9.2f}s {r.get('slow_ratio', 0):6.2f}x"
            f" {r['js_gz_bytes'] / 1e6:7.2f}MB {r['total_gz_bytes'] / 1e6:7.2f}MB"
            f"  {'met' if not flags else 'NOT met: ' + flags}"
        )
    m = res["machine"]
    print(
        f"median of {res['repeats']} loads per page and profile; baseline {res['baseline']};"
        f" {m['cpus']} CPUs, load {m['load_1min_before']:.1f} before,"
        f" {m['load_1min_after']:.1f} after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
