"""Chapter 8's Stable Diffusion recipe, offline: tiny random-weight UNet2DConditionModel,
AutoencoderKL
and DDIMScheduler (the classes of SD v1.4) with a deterministic fake prompt encoder. Each test
checks
the recipe against an independent computation (hand-registered hooks, the DDIM formula by hand)."""

import hashlib
import math
import sys

import pytest
import torch

from memgen import metrics
from memgen.hub import models as hub
from memgen.hub import stable_diffusion as hd

STEPS = 4


def _fake_encoder(length=5, dim=32):
    """Prompt -> (length, dim) embedding seeded by a hash of the prompt (the empty prompt
    included)."""

    def encode_prompt(prompts):
        rows = []
        for p in prompts:
            seed = int.from_bytes(hashlib.sha256(p.encode()).digest()[:4], "little")
            rows.append(torch.randn(length, dim, generator=torch.Generator().manual_seed(seed)))
        return torch.stack(rows)

    return encode_prompt


def _tiny_parts():
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        norm_num_groups=8,
        cross_attention_dim=32,
        attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    ).eval()
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        block_out_channels=(8, 16),
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    ).eval()
    # SD v1.4's scheduler settings (its scheduler_config.json)
    sched = DDIMScheduler(
        beta_schedule="scaled_linear",
        beta_start=0.00085,
        beta_end=0.012,
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return hd.SDParts(unet, vae, sched, _fake_encoder())


@pytest.fixture(scope="module")
def parts():
    # tiny models: one thread is ~100x faster than two contended ones on a busy 2-core machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield _tiny_parts()
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _images(n=3, seed=1):
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _abar(t):
    return hub.ddpm_abar(t, beta_start=0.00085, beta_end=0.012, schedule="scaled_linear")


def _manual_noised(parts, images, t, seed):
    """VAE mean x scaling factor, then sqrt(abar) z0 + sqrt(1 - abar) eps, without the scheduler."""
    with torch.no_grad():
        z0 = parts.vae.encode(images).latent_dist.mean * 0.18215
    eps = torch.randn(z0.shape, generator=torch.Generator().manual_seed(seed))
    return math.sqrt(_abar(t)) * z0 + math.sqrt(1 - _abar(t)) * eps


def _layer_outputs(parts, layers, z, t):
    """Every output of each layer in one UNet pass with the empty prompt (hand-registered hooks)."""
    seen = {layer: [] for layer in layers}
    handles = [
        parts.unet.get_submodule(layer).register_forward_hook(
            lambda m, i, o, k=layer: seen[k].append(o)
        )
        for layer in layers
    ]
    try:
        with torch.no_grad():
            parts.unet(z, t, encoder_hidden_states=parts.encode_prompt([""] * len(z)))
    finally:
        for h in handles:
            h.remove()
    return seen


# ------------------------------------------------------------------------------ the detector


def test_score_equals_manual_hook_pool_std(parts):
    images = _images()
    feat = hd.detection_features(parts, images, t=10, seed=3)
    # up_blocks.0 of the tiny UNet: 64 channels at 4x4 (SD v1.4: 1280 at 8x8)
    assert feat.shape == (3, 64, 4, 4)
    seen = _layer_outputs(parts, [hd.DETECTION_LAYER], _manual_noised(parts, images, 10, 3), 10)
    calls = seen[hd.DETECTION_LAYER]
    # the SiLU runs after norm1 (skip-concatenated input, 96 channels), on the time embedding, after
    # norm2
    assert [tuple(c.shape) for c in calls] == [(3, 96, 4, 4), (3, 128), (3, 64, 4, 4)]
    assert torch.allclose(feat, calls[-1], atol=1e-5)
    v = calls[-1].amax(dim=(2, 3))
    manual = ((v - v.mean(1, keepdim=True)) ** 2).mean(1).sqrt()
    scores = hd.detection_scores(parts, images, t=10, seed=3)
    assert scores.shape == (3,) and torch.allclose(scores, manual, atol=1e-5)
    mean_pooled = calls[-1].mean(dim=(2, 3)).std(1, unbiased=False)
    assert torch.allclose(
        hd.detection_scores(parts, images, t=10, seed=3, pool="mean"), mean_pooled, atol=1e-5
    )
    assert not torch.allclose(mean_pooled, manual)


def test_score_is_prompt_free_and_seeded(parts, monkeypatch):
    images = _images()
    first = hd.detection_scores(parts, images, seed=5)
    asked = []
    enc = parts.encode_prompt
    monkeypatch.setattr(parts, "encode_prompt", lambda ps: asked.extend(ps) or enc(ps))
    again = hd.detection_scores(parts, images, seed=5)
    assert asked == [""] * 3  # the UNet pass sees only the empty prompt
    assert torch.equal(first, again)
    assert not torch.allclose(
        first, hd.detection_scores(parts, images, seed=6)
    )  # the noise is used
    assert not torch.allclose(first, hd.detection_scores(parts, images, seed=5, t=500))  # so is t
    # latents in, the same score as images in
    assert torch.allclose(
        first,
        hd.detection_scores(parts, hd.encode(parts, images), seed=5, space="latent"),
        atol=1e-6,
    )


# ------------------------------------------------------------------------------ sampling


def test_guidance_one_is_the_conditional_ddim_loop(parts):
    from diffusers import DDIMScheduler

    calls = []
    z = hd.generate(
        parts, ["a cat", "a dog"], steps=STEPS, guidance=1.0, seed=2, callback=calls.append
    )
    assert [c["i"] for c in calls] == list(range(STEPS)) and all(
        c["eps_uncond"] is None for c in calls
    )
    sched = DDIMScheduler.from_config(parts.scheduler.config)
    sched.set_timesteps(STEPS)
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(2))
    cond = parts.encode_prompt(["a cat", "a dog"])
    with torch.no_grad():
        for t in sched.timesteps:
            x = sched.step(parts.unet(x, t, encoder_hidden_states=cond).sample, t, x).prev_sample
    assert z.shape == (2, 4, 8, 8) and torch.allclose(z, x, atol=1e-6)


def test_guided_step_is_uncond_plus_w_times_difference(parts):
    w, calls = 7.5, []
    z = hd.generate(parts, ["a cat"], steps=STEPS, guidance=w, seed=4, callback=calls.append)
    assert len(calls) == STEPS and torch.equal(z, calls[-1]["next"])
    info = calls[1]
    t, t_prev = info["t"], calls[2]["t"]
    assert t - t_prev == 1000 // STEPS
    with torch.no_grad():
        e_c = parts.unet(
            info["latents"], t, encoder_hidden_states=parts.encode_prompt(["a cat"])
        ).sample
        e_u = parts.unet(info["latents"], t, encoder_hidden_states=parts.encode_prompt([""])).sample
    eps = e_u + w * (e_c - e_u)
    assert torch.allclose(info["eps"], eps, atol=1e-5)
    # the DDIM update (eta = 0) written out
    a, a_prev = _abar(t), _abar(t_prev)
    x0 = (info["latents"] - math.sqrt(1 - a) * eps) / math.sqrt(a)
    assert torch.allclose(
        info["next"], math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps, atol=1e-5
    )
    for c, d in zip(calls, calls[1:]):
        assert torch.equal(c["next"], d["latents"])


def test_wen_score_zero_without_prompt_and_the_first_steps_average(parts):
    prompts = ["", "a cat", "an astronaut"]
    s1 = hd.wen_scores(parts, prompts, steps=1, num_inference_steps=STEPS, seed=7)
    assert s1[0] == 0 and (s1[1:] > 0).all()
    calls = []
    hd.generate(parts, prompts, steps=STEPS, guidance=7.5, seed=7, callback=calls.append)
    norms = [(c["eps_cond"] - c["eps_uncond"]).flatten(1).norm(dim=1) for c in calls[:2]]
    assert torch.allclose(s1, norms[0], atol=1e-5)
    s2 = hd.wen_scores(parts, prompts, steps=2, num_inference_steps=STEPS, seed=7)
    assert torch.allclose(s2, (norms[0] + norms[1]) / 2, atol=1e-5)


# ------------------------------------------------------------------------------ steering


def test_steering_directions_equal_manual_mean_differences(parts):
    a, b = _images(3, seed=1), _images(2, seed=2)
    layers = ["up_blocks.0.resnets.0", "up_blocks.1.resnets.1"]
    dirs = hd.steering_directions(parts, a, b, layers, t=10, seed=3)
    assert (
        list(dirs) == layers and dirs[layers[0]].shape == (64,) and dirs[layers[1]].shape == (32,)
    )
    ma = _layer_outputs(parts, layers, _manual_noised(parts, a, 10, 3), 10)
    mb = _layer_outputs(parts, layers, _manual_noised(parts, b, 10, 3), 10)
    for layer in layers:
        manual = ma[layer][-1].mean(dim=(0, 2, 3)) - mb[layer][-1].mean(dim=(0, 2, 3))
        assert torch.allclose(dirs[layer], manual, atol=1e-5)
    same = hd.steering_directions(parts, a, a, layers, seed=3)
    assert all(torch.equal(d, torch.zeros_like(d)) for d in same.values())


def _directions(parts):
    return hd.steering_directions(
        parts, _images(2, seed=1), _images(2, seed=2), hd.STEERING_LAYERS, seed=0
    )


def test_no_steering_reproduces_plain_generation(parts):
    dirs = _directions(parts)
    plain = hd.generate(parts, ["a cat"], steps=STEPS, guidance=3.5, seed=1)
    zero = hd.steered_generate(parts, ["a cat"], dirs, 0.0, steps=STEPS, window=(0, STEPS), seed=1)
    empty = hd.steered_generate(parts, ["a cat"], dirs, 0.5, steps=STEPS, window=(2, 2), seed=1)
    assert torch.equal(plain, zero) and torch.equal(plain, empty)
    full = hd.steered_generate(parts, ["a cat"], dirs, 0.5, steps=STEPS, window=(0, STEPS), seed=1)
    assert not torch.allclose(plain, full)


def test_steering_acts_only_inside_the_window(parts):
    dirs = _directions(parts)
    plain, steered = [], []
    hd.generate(parts, ["a cat"], steps=6, guidance=3.5, seed=1, callback=plain.append)
    hd.steered_generate(
        parts, ["a cat"], dirs, 0.4, steps=6, window=(2, 4), seed=1, callback=steered.append
    )
    for i in range(3):  # everything up to the start of step 2 is untouched
        assert torch.equal(plain[i]["latents"], steered[i]["latents"])
    for i in range(2):
        assert torch.equal(plain[i]["eps"], steered[i]["eps"])
    for i in (2, 3):
        assert not torch.allclose(plain[i]["eps"], steered[i]["eps"])
    # after the window the UNet is plain again: its prediction on the steered latents is the
    # unsteered one
    for i in (4, 5):
        sched = hd._fresh_scheduler(parts, 6)
        with torch.no_grad():
            ref = hd.ddim_step(
                parts,
                sched,
                steered[i]["latents"],
                steered[i]["t"],
                parts.encode_prompt(["a cat"]),
                parts.encode_prompt([""]),
                3.5,
            )
        assert torch.allclose(ref["eps"], steered[i]["eps"], atol=1e-6)
    assert not torch.allclose(plain[-1]["next"], steered[-1]["next"])


# ------------------------------------------------------------------------------ the benchmark


MEM, ORD = ["mem one", "mem two", "mem three"], ["ord one", "ord two", "ord three"]


def test_benchmark_metrics_are_those_of_memgen_mixed(parts):
    res = hd.run_detection_benchmark(parts, MEM, ORD, steps=2, batch_size=2, progress=False)
    for m in ("std", "wen"):
        r = res[m]
        assert r["memorized"].shape == (3,) and r["ordinary"].shape == (3,)
        assert 0.0 <= r["auroc"] <= 1.0 and r["seconds_per_sample"] > 0
        assert r["auroc"] == pytest.approx(metrics.auroc(r["memorized"], r["ordinary"]))
        assert r["tpr_at_1fpr"] == pytest.approx(
            metrics.tpr_at_fpr(r["memorized"], r["ordinary"], 0.01)
        )
    # the second memorized batch (one prompt, seed 1) scores as the pipeline does on its own
    img = hd.decode(parts, hd.generate(parts, ["mem three"], steps=2, seed=1))
    assert torch.allclose(
        res["std"]["memorized"][2:], hd.detection_scores(parts, img, seed=1), atol=1e-5
    )
    stats = hd.detection_statistics(parts, img, seed=1)
    for m in ("norm", "mean", "cv", "top1"):  # the same pass's other statistics, with their metrics
        assert torch.allclose(res[m]["memorized"][2:], stats[m], atol=1e-5)
        expected = metrics.auroc(res[m]["memorized"], res[m]["ordinary"])
        assert res[m]["auroc"] == pytest.approx(expected)
    assert torch.allclose(
        res["wen"]["ordinary"][2:],
        hd.wen_scores(parts, ["ord three"], num_inference_steps=2, seed=1),
        atol=1e-5,
    )


def test_benchmark_puts_memorized_prompts_on_the_positive_side(parts, monkeypatch):
    def boosted(fn, key):
        def wrapped(p, x, **kw):
            out = fn(p, x, **kw)
            boost = any(s.startswith("mem") for s in x) if key == "prompts" else wrapped.calls < 2
            wrapped.calls += 1
            return out + (100.0 if boost else 0.0)

        wrapped.calls = 0
        return wrapped

    monkeypatch.setattr(hd, "wen_scores", boosted(hd.wen_scores, "prompts"))
    # memorized prompts come first: their 2 batches are the detector's first 2 calls
    stats = hd.detection_statistics

    def boosted_stats(p, x, **kw):  # every statistic of the first 2 calls gets +100
        boosted_stats.calls += 1
        boost = 100.0 if boosted_stats.calls <= 2 else 0.0
        return {k: v + boost for k, v in stats(p, x, **kw).items()}

    boosted_stats.calls = 0
    monkeypatch.setattr(hd, "detection_statistics", boosted_stats)
    res = hd.run_detection_benchmark(parts, MEM, ORD, steps=1, batch_size=2, progress=False)
    for m in ("std", "wen", "norm", "mean", "cv", "top1"):
        assert res[m]["auroc"] == 1.0 and res[m]["tpr_at_1fpr"] == 1.0


def test_statistics_are_those_of_the_pooled_vector(parts):
    """detection_statistics against numpy on the hooked feature map; std is detection_scores."""
    import numpy as np

    images = _images()
    st = hd.detection_statistics(parts, images, t=10, seed=3)
    assert set(st) == {"std", "norm", "mean", "cv", "top1"}
    v = hd.detection_features(parts, images, t=10, seed=3).amax(dim=(2, 3)).double().numpy()
    np.testing.assert_allclose(st["std"].numpy(), v.std(1), rtol=1e-5)
    np.testing.assert_allclose(st["norm"].numpy(), np.linalg.norm(v, axis=1), rtol=1e-5)
    np.testing.assert_allclose(st["mean"].numpy(), v.mean(1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(st["cv"].numpy(), v.std(1) / v.mean(1), rtol=1e-4)
    np.testing.assert_allclose(st["top1"].numpy(), (v**2).max(1) / (v**2).sum(1), rtol=1e-5)
    assert torch.allclose(st["std"], hd.detection_scores(parts, images, t=10, seed=3), atol=1e-6)
    # scale-free statistics: doubling the feature map doubles std, norm and mean, keeps cv and top1
    from memgen.detection import pooled_statistics

    w = torch.tensor(v)
    one, two = pooled_statistics(w), pooled_statistics(2 * w)
    for k in ("std", "norm", "mean"):
        assert torch.allclose(two[k], 2 * one[k])
    for k in ("cv", "top1"):
        assert torch.allclose(two[k], one[k])


# ------------------------------------------------------------------------------ argument checks


BAD = [
    (lambda p: hd.detection_scores(p, _images(1), t=1000), "t must be an integer >= 0 and <= 999"),
    (lambda p: hd.detection_scores(p, _images(1), t=-1), "t must be"),
    (
        lambda p: hd.detection_scores(p, _images(1), layer="up_blocks.7.resnets.0"),
        "layer 'up_blocks.7",
    ),
    (lambda p: hd.detection_scores(p, _images(1), pool="median"), "unknown pool"),
    (lambda p: hd.detection_scores(p, _images(1), space="pixels"), "unknown space"),
    (lambda p: hd.detection_scores(p, torch.zeros(3, 16, 16)), "x must be 4-D"),
    (lambda p: hd.generate(p, [], steps=2), "prompts must be"),
    (lambda p: hd.generate(p, ["a"], steps=0), "steps must be"),
    (lambda p: hd.generate(p, ["a"], steps=2, guidance=-1), "guidance must be"),
    (lambda p: hd.generate(p, ["a"], steps=2, height=10), "height must be a multiple of 4"),
    (lambda p: hd.wen_scores(p, ["a"], steps=3, num_inference_steps=2), "steps must be"),
    (
        lambda p: hd.steered_generate(
            p,
            ["a"],
            {"up_blocks.0.resnets.0": torch.zeros(64)},
            float("nan"),
            steps=4,
            window=(0, 2),
        ),
        "alpha must be a finite",
    ),
    (
        lambda p: hd.steered_generate(
            p, ["a"], {"up_blocks.0.resnets.0": torch.zeros(64)}, 0.1, steps=4, window=(3, 1)
        ),
        "window must satisfy",
    ),
    (
        lambda p: hd.steered_generate(
            p, ["a"], {"up_blocks.0.resnets.0": torch.zeros(64)}, 0.1, steps=4, window=(0, 9)
        ),
        r"window\[1\] must be",
    ),
    (
        lambda p: hd.steered_generate(p, ["a"], {}, 0.1, steps=4, window=(0, 2)),
        "directions must be",
    ),
    (
        lambda p: hd.steered_generate(
            p, ["a"], {"up_blocks.0.resnets.0": torch.zeros(2, 64)}, 0.1, steps=4, window=(0, 2)
        ),
        "directions",
    ),
    (
        lambda p: hd.steered_generate(
            p, ["a"], {"down_blocks.9": torch.zeros(64)}, 0.1, steps=4, window=(0, 2)
        ),
        "layer 'down_blocks.9'",
    ),
    (lambda p: hd.steering_directions(p, _images(0), _images(1), t=10), "refs_a must hold"),
    (lambda p: hd.steering_directions(p, _images(1), _images(1), [], t=10), "layers must name"),
    (
        lambda p: hd.run_detection_benchmark(p, ["a"], ["b"], batch_size=0, progress=False),
        "batch_size must be",
    ),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_arguments_name_the_argument(parts, call, message):
    with pytest.raises(ValueError, match=message):
        call(parts)


# ------------------------------------------------------------------------------ loading (offline)


def test_loader_offline_names_the_model_and_points_to_chapter_8():
    with pytest.raises(hub.HubUnavailable) as err:
        hd.load_sd_parts()
    msg = str(err.value)
    assert hd.MODEL_ID in msg and "HF_HUB_OFFLINE" in msg
    assert "chapter 8" in msg and "memgen.experiments.ch08_applications" in msg
    parts, msg2 = hd.try_load_sd_parts(model_id="someone/tiny-sd")
    assert parts is None and "someone/tiny-sd" in msg2 and "chapter 8" in msg2


def test_loader_without_transformers_says_how_to_install(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails before any download
    with pytest.raises(hub.HubUnavailable, match="pip install transformers.*chapter 8"):
        hd.load_sd_parts()


def test_prompt_files_jsonl_csv_txt(tmp_path):
    (tmp_path / "m.jsonl").write_text(
        '{"caption": "Mothers influence on her young hippo", "index": 1}\n'
        '\n{"caption": "The No Limits Business Woman Podcast", "index": 2}\n'
    )
    (tmp_path / "o.csv").write_text(
        ";Caption;URL;Index\n0;Soaring by Peter Eades;http://x;1\n"
        '1;"Maroon Bells; a panorama";http://y;2\n2;Tulipimania;http://z;3\n'
    )
    (tmp_path / "o.txt").write_text("a cat\n\n  a dog  \n")
    assert hd.read_prompts(tmp_path / "m.jsonl", 2) == [
        "Mothers influence on her young hippo",
        "The No Limits Business Woman Podcast",
    ]
    # the delimiter is explicit, never guessed: a quoted ';' inside a field stays in the prompt
    assert hd.read_prompts(tmp_path / "o.csv", 2, delimiter=";") == [
        "Soaring by Peter Eades",
        "Maroon Bells; a panorama",
    ]
    with pytest.raises(ValueError, match="delimiter must be one character"):
        hd.read_prompts(tmp_path / "o.csv", delimiter=";;")
    with pytest.raises(ValueError, match="no prompt field"):  # read with the wrong delimiter
        hd.read_prompts(tmp_path / "o.csv")
    assert hd.read_prompts(tmp_path / "o.txt") == ["a cat", "a dog"]
    (tmp_path / "bad.jsonl").write_text('{"url": "x"}\n')
    with pytest.raises(ValueError, match="no prompt field"):
        hd.read_prompts(tmp_path / "bad.jsonl")
    with pytest.raises(FileNotFoundError, match="PROMPT_SOURCES"):
        hd.read_prompts(tmp_path / "missing.jsonl")


def test_the_pinned_prompt_files_parse(tmp_path):
    """Files in the pinned sources' formats: Wen et al.'s jsonl (field caption) and the Gustavosta
    parquet (column Prompt, with commas and semicolons inside prompts: no delimiter to guess)."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    mem_name = hd.PROMPT_SOURCES["memorized"]["url"].rsplit("/", 1)[-1]
    ord_name = hd.PROMPT_SOURCES["ordinary"]["url"].rsplit("/", 1)[-1]
    assert (mem_name, ord_name) == ("sdv1_500_memorized.jsonl", "eval.parquet")
    rows = [
        {"caption": f"caption {i}, with a comma; and a semicolon", "index": i, "url": "http://x"}
        for i in range(7)
    ]
    (tmp_path / mem_name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    prompts = [f"a castle, {i}; trending on artstation" for i in range(9)]
    pq.write_table(pa.table({"Prompt": prompts}), tmp_path / ord_name)
    mem, ordinary = hd.load_prompt_sets(tmp_path / mem_name, tmp_path / ord_name, n=5)
    assert mem == [r["caption"] for r in rows[:5]] and ordinary == prompts[:5]


def test_download_checks_the_pinned_sha256(tmp_path, monkeypatch, capsys):
    import hashlib
    import io

    body = b'{"caption": "x"}\n'
    monkeypatch.setattr(hd.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(body))
    monkeypatch.setitem(
        hd.PROMPT_SOURCES,
        "memorized",
        {**hd.PROMPT_SOURCES["memorized"], "sha256": hashlib.sha256(body).hexdigest()},
    )
    path = hd.download_prompts("memorized", tmp_path)
    assert hd.sha256_of(path) == hashlib.sha256(body).hexdigest()
    monkeypatch.setitem(
        hd.PROMPT_SOURCES, "memorized", {**hd.PROMPT_SOURCES["memorized"], "sha256": "0" * 64}
    )
    with pytest.raises(hd.ChecksumMismatch, match="not the pinned 0000"):
        hd.download_prompts("memorized", tmp_path)
    assert (tmp_path / "sdv1_500_memorized.jsonl.mismatch").is_file()
    # no digest pinned (the Gustavosta file): the computed one is printed
    hd.download_prompts("ordinary", tmp_path)
    assert f"sha256 {hashlib.sha256(body).hexdigest()}" in capsys.readouterr().out


def test_pins_are_commits_and_digests():
    import re

    for key, src in hd.PROMPT_SOURCES.items():
        assert re.search(r"/[0-9a-f]{40}/", src["url"]), (
            f"{key}: not pinned to a commit: {src['url']}"
        )
        assert src["sha256"] is None or re.fullmatch(r"[0-9a-f]{64}", src["sha256"])
    assert hd.PROMPT_SOURCES["memorized"]["sha256"] is not None


def test_steering_directions_with_the_references_prompts(parts):
    a, b = _images(2, seed=1), _images(2, seed=2)
    layers = ["up_blocks.0.resnets.0"]
    empty = hd.steering_directions(parts, a, b, layers, seed=3)
    same = hd.steering_directions(parts, a, b, layers, seed=3, prompts_a="", prompts_b=["", ""])
    assert torch.equal(empty[layers[0]], same[layers[0]])
    cond = hd.steering_directions(
        parts, a, b, layers, seed=3, prompts_a="an old face", prompts_b="a young face"
    )
    assert not torch.allclose(cond[layers[0]], empty[layers[0]])
    # by hand: the pass of each set conditioned on its prompt
    seen = {}
    for key, refs, prompt in (("a", a, "an old face"), ("b", b, "a young face")):
        z = _manual_noised(parts, refs, 10, 3)
        h = parts.unet.get_submodule(layers[0]).register_forward_hook(
            lambda m, i, o, k=key: seen.update({k: o})
        )
        with torch.no_grad():
            parts.unet(z, 10, encoder_hidden_states=parts.encode_prompt([prompt] * len(z)))
        h.remove()
    manual = seen["a"].mean(dim=(0, 2, 3)) - seen["b"].mean(dim=(0, 2, 3))
    assert torch.allclose(cond[layers[0]], manual, atol=1e-5)
    with pytest.raises(ValueError, match="prompts_a must be None, one string, or 2 strings"):
        hd.steering_directions(parts, a, b, layers, prompts_a=["x"])


def test_steering_references_are_generations_of_the_prompt(parts):
    refs = hd.steering_references(parts, "an old face", 3, steps=2, batch_size=2, seed=4)
    assert refs.shape == (3, 3, 16, 16) and refs.abs().max() <= 1
    first = hd.decode(parts, hd.generate(parts, ["an old face"] * 2, steps=2, seed=4))
    last = hd.decode(parts, hd.generate(parts, ["an old face"], steps=2, seed=5))
    assert torch.allclose(refs, torch.cat([first, last]), atol=1e-5)
    with pytest.raises(ValueError, match="prompt must be a non-empty string"):
        hd.steering_references(parts, "", 2)


def test_download_prompts_fails_clearly_and_keeps_existing_files(tmp_path, monkeypatch):
    def no_network(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(hd.urllib.request, "urlopen", no_network)
    with pytest.raises(
        hub.HubUnavailable,
        match="memorized prompts from https://raw.githubusercontent.com/"
        "YuxinWenRick.*no network.*chapter 8",
    ):
        hd.download_prompts("memorized", tmp_path)
    import hashlib

    (tmp_path / "sdv1_500_memorized.jsonl").write_text('{"caption": "x"}\n')
    monkeypatch.setitem(
        hd.PROMPT_SOURCES,
        "memorized",
        {
            **hd.PROMPT_SOURCES["memorized"],
            "sha256": hashlib.sha256(b'{"caption": "x"}\n').hexdigest(),
        },
    )
    assert hd.download_prompts("memorized", tmp_path) == str(tmp_path / "sdv1_500_memorized.jsonl")
    with pytest.raises(ValueError, match="unknown key"):
        hd.download_prompts("laion", tmp_path)


# ------------------------------------------------------------------------------ devices: meta and
# CPU
# The whole recipe, loaded by load_sd_parts from a local folder in the Hub's layout (tiny
# random-weight
# UNet, VAE, DDIM scheduler, CLIP text encoder and tokenizer), on the CPU for values and on the meta
# device, which stands in for a GPU: a tensor created on the wrong device fails there ("expected
# device meta but got cpu"), and half precision (the T4 setting) shows every dtype mismatch.


def _bytes_to_unicode():
    """GPT-2's byte-to-character table (what CLIP's byte-level BPE vocabulary is made of)."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory):
    """Tiny Stable Diffusion components saved in the Hub's folder layout (offline, seeded)."""
    import json

    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    root = tmp_path_factory.mktemp("tiny-sd")
    tiny = _tiny_parts()
    tiny.unet.save_pretrained(root / "unet")
    tiny.vae.save_pretrained(root / "vae")
    tiny.scheduler.save_pretrained(root / "scheduler")
    chars = _bytes_to_unicode()
    vocab = {
        c: i
        for i, c in enumerate(
            chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"]
        )
    }
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n")
    CLIPTokenizer(
        str(root / "vocab.json"), str(root / "merges.txt"), model_max_length=6
    ).save_pretrained(root / "tokenizer")
    torch.manual_seed(0)
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=6,
            projection_dim=32,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        )
    )
    text.save_pretrained(root / "text_encoder")
    return root


PLACEMENTS = [("cpu", torch.float32), ("meta", torch.float32), ("meta", torch.float16)]


@pytest.mark.parametrize("device, dtype", PLACEMENTS, ids=["cpu", "meta", "meta-fp16"])
def test_whole_recipe_runs_on_the_models_device(sd_folder, device, dtype):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        parts = hd.load_sd_parts(str(sd_folder), device=device, dtype=dtype)
        assert parts.device == device and parts.dtype == dtype
        assert {p.device.type for m in (parts.unet, parts.vae) for p in m.parameters()} == {device}
        emb = parts.encode_prompt(["a cat", ""])
        assert emb.shape == (2, 6, 32) and emb.device.type == device

        z = hd.generate(parts, ["a cat", "a dog"], steps=2, seed=1)
        img = hd.decode(parts, z)
        assert z.shape == (2, 4, 8, 8) and img.shape == (2, 3, 16, 16)
        assert z.device.type == img.device.type == device and z.dtype == dtype
        std = hd.detection_scores(parts, img, seed=1)
        wen = hd.wen_scores(parts, ["a cat", "a dog"], num_inference_steps=2, seed=1)
        res = hd.run_detection_benchmark(
            parts, ["m1", "m2"], ["o1", "o2"], steps=2, batch_size=2, progress=False
        )
        dirs = hd.steering_directions(parts, img[:1], img[1:], hd.STEERING_LAYERS, seed=0)
        steered = hd.steered_generate(parts, ["a cat"], dirs, 0.5, steps=3, window=(1, 2), seed=1)
    finally:
        torch.set_num_threads(threads)
    # results handed back: on the CPU, except on meta (no values to copy)
    expect = "meta" if device == "meta" else "cpu"
    for t in (std, wen, res["std"]["memorized"], res["wen"]["ordinary"]):
        assert t.shape[0] == 2 and t.device.type == expect
    assert all(d.device.type == device and d.ndim == 1 for d in dirs.values())
    assert steered.shape == (1, 4, 8, 8) and steered.device.type == device
    if device == "meta":
        assert res["std"]["auroc"] is None and res["wen"]["tpr_at_1fpr"] is None
        return
    # values, on the CPU: the loaded recipe equals the same computation by hand
    assert 0.0 <= res["std"]["auroc"] <= 1.0 and torch.isfinite(std).all() and (wen > 0).all()
    with torch.no_grad():
        ids = _clip_ids(sd_folder, ["a cat"])
        assert torch.allclose(
            parts.encode_prompt(["a cat"]), _text_model(sd_folder)(ids)[0], atol=1e-6
        )
    one = hd.detection_scores(
        parts, hd.decode(parts, hd.generate(parts, ["a dog"], steps=2, seed=1)), seed=1
    )
    assert torch.isfinite(one).all()
    plain = hd.generate(parts, ["a cat"], steps=3, guidance=3.5, seed=1)
    assert not torch.allclose(plain, steered)


def _clip_ids(folder, prompts):  # the tokenizer as load_sd_parts calls it
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(folder / "tokenizer")
    return tok(
        prompts,
        padding="max_length",
        max_length=tok.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids


def _text_model(folder):
    from transformers import CLIPTextModel

    return CLIPTextModel.from_pretrained(folder / "text_encoder").eval()


def test_half_precision_asks_for_the_fp16_variant_first(sd_folder, monkeypatch):
    from diffusers import UNet2DConditionModel

    asked = []
    original = UNet2DConditionModel.from_pretrained.__func__

    def spy(cls, *args, **kwargs):
        asked.append(kwargs.get("variant"))
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(UNet2DConditionModel, "from_pretrained", classmethod(spy))
    parts = hd.load_sd_parts(str(sd_folder), device="meta", dtype=torch.float16)
    # the tiny folder has no fp16 files: the variant is asked for, then the full files are used
    assert asked == ["fp16", None] and parts.unet.dtype == torch.float16
