"""The live explorer in a real browser: lib/memgen_book/live/demo.html opened from file://.

Headless Debian chromium (/usr/bin/chromium) through Playwright. The tests move the controls
(set the value, dispatch 'input' and 'change') and wait on the root's data-state JSON:

- the default (chapter 2's separable digits, p = 2n) trains to a spiky, stored solution;
- every control move makes the state recompute (a new run id, the new value, steps taken);
- raising lambda kills exactly the units the theory predicts (||x_i||^2 <= n lambda);
- a separable mixture with p << n comes out balanced, with the predicted block spectrum;
- the mixed regime reports m* and stores the duplicated points above it;
- the reader's own CSV trains; a bad one shows an error naming the row and column;
- the main-thread fallback runs the same protocol;
- at 390 px the explorer does not overflow horizontally.
Every test fails on a console error or a page error, and on any request other than file:// (and
the blob: URL of the Web Worker's own source, made in the page). Skipped if chromium or
Playwright is missing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
DEMO = Path(__file__).resolve().parents[1] / "lib" / "memgen_book" / "live" / "demo.html"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, width=1200):
    page = browser.new_page(viewport={"width": width, "height": 1400})
    problems, requests = [], []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console.{m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(DEMO.as_uri())
    return page, problems, requests


@pytest.fixture
def demo(browser):
    page, problems, requests = _open(browser)
    yield page
    explorers = page.evaluate("() => document.querySelectorAll('.memgen-live').length")
    page.close()
    assert problems == [], problems
    offsite = [u for u in requests if not u.startswith(("file://", "blob:"))]
    assert offsite == [], f"requests other than file:// : {offsite}"
    blobs = sum(u.startswith("blob:") for u in requests)
    assert blobs <= explorers, "only each explorer's own Web Worker source, a Blob of the page"


def state(page, root=".memgen-live") -> dict:
    raw = page.get_attribute(root, "data-state")
    return json.loads(raw) if raw else {}


def wait_state(page, condition: str, arg=None, root=".memgen-live", timeout=60000) -> dict:
    """Wait until `condition` (a JS expression over `s`, the parsed data-state, and `arg`) holds."""
    page.wait_for_function(
        "([root, arg]) => { const raw = document.querySelector(root).dataset.state;"
        " if (!raw) return false; const s = JSON.parse(raw); return (" + condition + "); }",
        arg=[root, arg],
        timeout=timeout,
    )
    return state(page, root)


def converged(page, after_run=0, root=".memgen-live", timeout=60000) -> dict:
    return wait_state(page, "s.run > arg && s.converged", after_run, root=root, timeout=timeout)


def move(page, name: str, value, root=".memgen-live"):
    """Set a control like a reader would: the value, then 'input' and 'change' events."""
    page.evaluate(
        """([root, name, value]) => {
            const el = document.querySelector(root).querySelector(`[name="${name}"]`);
            if (el.type === 'checkbox') el.checked = value; else el.value = String(value);
            el.dispatchEvent(new Event('input', {bubbles: true}));
            el.dispatchEvent(new Event('change', {bubbles: true}));
        }""",
        [root, name, value],
    )


def choose(page, dataset: str, root=".memgen-live"):
    page.select_option(f"{root} select[name=dataset]", dataset)


def test_default_is_spiky_and_stored(demo):
    s = converged(demo)
    assert (s["dataset"], s["n"], s["p"], s["sigma"], s["lam"]) == (
        "digits-separable",
        6,
        12,
        0.2,
        0.5,
    )
    assert s["regime"] == "memorization" and s["mode"] == "worker"
    assert s["kernel"] == "wasm-simd"  # the WebAssembly kernels compiled inside the Blob worker
    assert s["top1_share"] >= 0.95, s
    assert s["stored_fraction"] >= 0.99 and s["predicted_stored_fraction"] == 1, s
    assert s["step"] > 0 and s["loss"] > 0 and s["error"] is None


def test_every_control_move_recomputes(demo):
    s = converged(demo)
    for name, value in [
        ("sigma", 0.3),
        ("lam", 0.8),
        ("p", 8),
        ("n", 4),
        ("seed", 2),
        ("tied", True),
    ]:
        run = s["run"]
        move(demo, name, value)
        s = wait_state(demo, "s.run > arg && s.step > 0", run)
        assert s[name] == value, (name, s)
    s = converged(demo, s["run"] - 1)
    assert s["tied"] is True and s["n"] == 4 and s["p"] == 8


def test_raising_lambda_kills_the_predicted_units(demo):
    converged(demo)
    s = state(demo)
    move(demo, "lam", 3.3)  # n lam = 19.8: four of the six digits have ||x||^2 below it
    s = converged(demo, s["run"])
    assert s["predicted_stored_fraction"] == pytest.approx(2 / 6, abs=1e-6)
    assert s["stored_gain_fraction"] == pytest.approx(s["predicted_stored_fraction"], abs=1e-6), s


def test_mixture_with_few_units_is_balanced(demo):
    s = converged(demo)
    choose(demo, "gmm")
    s = converged(demo, s["run"])
    assert (
        s["dataset"] == "gmm" and s["n"] == 200 and s["p"] == 16 and s["regime"] == "generalization"
    )
    assert s["top1_share"] <= 0.5, s
    assert s["stored_fraction"] <= 0.05, s
    learned, theory = s["spectrum"][:16], s["spectrum_theory"][:16]
    assert max(abs(a - b) for a, b in zip(learned, theory)) <= 0.15, (learned, theory)


def test_mixed_regime_stores_duplicates_above_m_star(demo):
    s = converged(demo)
    choose(demo, "gmm-dup")
    s = converged(demo, s["run"])
    assert s["regime"] == "mixed" and s["m"] == 8 and len(s["m_star"]) == 8
    agree = sum(a == b for a, b in zip(s["dup_stored"], s["dup_predicted"]))
    assert agree >= 6, s  # chapter 4 reports about 85 % agreement
    assert s["top1_share"] <= 0.5  # the bulk, most of the rows, stays balanced
    run = s["run"]
    move(demo, "m", 1)  # below every m*: nothing duplicated is stored
    s = converged(demo, run)
    assert s["dup_predicted"] == [False] * 8 and sum(s["dup_stored"]) <= 1, s


def test_own_csv_trains_and_bad_csv_is_explained(demo, tmp_path):
    s = converged(demo)
    choose(demo, "own")
    rows = [
        ",".join(str(((i * 7 + j * 3) % 11) - 5 + (i % 3) * j) for j in range(12))
        for i in range(30)
    ]
    good = tmp_path / "mine.csv"
    good.write_text("\n".join(rows) + "\n")
    demo.set_input_files(".memgen-live input[name=file]", str(good))
    s = converged(demo, s["run"])
    assert s["dataset"] == "own" and s["n"] == 29 and s["d"] == 12 and s["error"] is None
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,five,6\n")
    demo.set_input_files(".memgen-live input[name=file]", str(bad))
    s = wait_state(demo, "s.error !== null")
    assert 'csv row 2 (line 2), column 2: "five" is not a finite number' in s["error"]
    assert "five" in demo.inner_text(".memgen-live .ml-error")


def test_main_thread_fallback(demo):
    converged(demo)
    demo.evaluate("""() => {
        const el = document.createElement('div');
        el.className = 'memgen-live second';
        el.dataset.mainThread = 'true';
        el.dataset.dataset = 'digits-centred';
        el.dataset.n = '8';
        el.dataset.p = '16';
        document.body.appendChild(el);
        memgenLive.explorer.mount(el);
    }""")
    s = converged(demo, root=".memgen-live.second")
    assert s["mode"] == "main-thread" and s["dataset"] == "digits-centred" and s["n"] == 8
    assert s["kernel"] in ("wasm-simd", "js")
    assert s["regime"] == "memorization"


def test_narrow_viewport_has_no_horizontal_overflow(browser):
    page, problems, requests = _open(browser, width=390)
    try:
        converged(page)
        widths = page.evaluate("""() => {
            const r = document.querySelector('.memgen-live');
            const ranges = [...r.querySelectorAll('input[type=range]')].filter(e => e.offsetParent);
            return {doc: document.documentElement.scrollWidth, root: r.scrollWidth,
                    client: r.clientWidth, minRange: Math.min(...ranges.map(e => e.clientWidth)),
                    panels: [...r.querySelectorAll('.ml-panel')]
                        .map(p => p.getBoundingClientRect().right)};
        }""")
        assert widths["doc"] <= 390, widths
        assert widths["root"] <= widths["client"], widths
        assert widths["minRange"] >= 120, widths  # usable sliders
        assert max(widths["panels"]) <= 390, widths  # panels stacked inside the viewport
    finally:
        page.close()
    assert problems == [], problems
    assert all(u.startswith(("file://", "blob:")) for u in requests), requests


def test_own_images_train_as_small_grayscale_squares(demo, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(0)
    files = []
    yy, xx = np.mgrid[:24, :32]
    for k in range(6):  # discs of random size and place, 32 x 24 px
        r, cx, cy = rng.integers(3, 8), rng.integers(8, 24), rng.integers(6, 18)
        path = tmp_path / f"disc{k}.png"
        plt.imsave(path, ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r).astype(float), cmap="gray")
        files.append(str(path))
    s = converged(demo)
    choose(demo, "own")
    demo.set_input_files(".memgen-live input[name=file]", files)
    s = converged(demo, s["run"])
    assert s["dataset"] == "own" and s["n"] == 5 and s["d"] == 64 and s["error"] is None


def test_same_seed_same_result_after_a_reload(browser):
    finals = []
    for _ in range(2):
        page, problems, _ = _open(browser)
        try:
            finals.append(converged(page))
        finally:
            page.close()
        assert problems == []
    keys = ("step", "loss", "top1_share", "stored_fraction", "std")
    assert [finals[0][k] for k in keys] == [finals[1][k] for k in keys]


def test_data_attributes_configure_an_embedded_explorer(demo):
    converged(demo)
    demo.evaluate("""() => {
        const el = document.createElement('div');
        el.className = 'memgen-live third';
        Object.assign(el.dataset, {dataset: 'gmm', datasets: 'gmm,gmm-dup', n: '60', p: '6',
            lam: '0.002', lamMax: '0.01', k: '3', separation: '4', seed: '2', maxSteps: '300'});
        document.body.appendChild(el);
        memgenLive.explorer.mount(el);
    }""")
    s = converged(demo, root=".memgen-live.third")
    assert (s["dataset"], s["n"], s["p"], s["lam"], s["K"], s["separation"], s["seed"]) == (
        "gmm",
        60,
        6,
        0.002,
        3,
        4,
        2,
    )
    assert s["total_steps"] <= 300
    opts = demo.eval_on_selector_all(
        ".memgen-live.third select[name=dataset] option", "els => els.map(e => e.value)"
    )
    assert opts == ["gmm", "gmm-dup"]
    assert demo.get_attribute(".memgen-live.third input[name=lam]", "max") == "0.01"


def test_notebook_output_inlines_the_scripts_and_trains(browser, tmp_path):
    """memgen_book.live_notebook: the HTML a notebook output shows trains with nothing fetched."""
    from memgen_book.live_notebook import SCRIPTS, explorer_html

    html = explorer_html(dataset="digits-separable", n=5, p=10, lam=0.5, title="In a notebook")
    assert all(f"/* {name} */" in html for name in SCRIPTS) and "<script src" not in html
    out = tmp_path / "output.html"
    out.write_text(f"<!DOCTYPE html><html><body><p>cell output</p>{html}</body></html>")
    page = browser.new_page(viewport={"width": 900, "height": 1400})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    s = converged(page)
    page.close()
    assert problems == [] and [u for u in requests if not u.startswith(("file:", "blob:"))] == []
    assert (s["n"], s["p"], s["lam"], s["dataset"]) == (5, 10, 0.5, "digits-separable")
    assert s["regime"] == "memorization" and s["stored_fraction"] == 1.0


def test_notebook_output_names_a_bad_option():
    from memgen_book.live_notebook import explorer_html

    with pytest.raises(ValueError, match=r"unknown option 'lamda'; the options are: dataset"):
        explorer_html(lamda=0.1)
    assert 'data-tied="true"' in explorer_html(tied=True)
    assert 'data-max-steps="500"' in explorer_html(max_steps=500)
