"""Datasets: shapes, value ranges, seeded subsets, the Gaussian mixture's bookkeeping, and the Hub
loader on a local image folder with the Hub switched off (no network is touched)."""

import numpy as np
import pytest
import torch

from memgen import data
from memgen.hub import HubUnavailable
from memgen.hub import datasets as hubdata


def test_digits_all_in_order_and_rescaled():
    from sklearn.datasets import load_digits as sk

    raw = sk()
    D = data.load_digits()
    assert D.x.shape == (1797, 64) and D.x.dtype == torch.float32
    assert D.labels.dtype == torch.int64 and torch.equal(D.labels, torch.as_tensor(raw.target))
    assert D.image_shape == (8, 8) and D.images().shape == (1797, 8, 8) and len(D) == 1797
    assert float(D.x.min()) == -1.0 and float(D.x.max()) == 1.0
    np.testing.assert_allclose(D.x[5].numpy(), raw.data[5] / 8.0 - 1.0, atol=1e-6)


def test_digits_subset_seeded_distinct_and_filtered():
    a = data.load_digits(n=50, seed=3, classes=[1, 7], value_range=(0.0, 1.0))
    b = data.load_digits(n=50, seed=3, classes=[1, 7], value_range=(0.0, 1.0))
    c = data.load_digits(n=50, seed=4, classes=[1, 7], value_range=(0.0, 1.0))
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)
    assert set(a.labels.tolist()) <= {1, 7}
    assert len(set(a.extra["index"].tolist())) == 50
    assert float(a.x.min()) >= 0.0 and float(a.x.max()) <= 1.0


def test_digits_errors():
    with pytest.raises(ValueError, match=r"n must be an integer >= 1 and <= 1797, got 0"):
        data.load_digits(n=0)
    with pytest.raises(ValueError, match="classes entry must be an integer"):
        data.load_digits(classes=[12])
    with pytest.raises(ValueError, match="value_range must be a pair"):
        data.load_digits(value_range=(1.0, -1.0))


def test_faces_are_the_first_hundred():
    from skimage.data import lfw_subset

    F = data.load_faces()
    assert F.x.shape == (100, 625) and F.images().shape == (100, 25, 25)
    np.testing.assert_allclose(F.x[99].numpy(), 2 * lfw_subset()[99].ravel() - 1, atol=1e-6)
    assert data.load_faces(n=10, seed=1).x.shape == (10, 625)
    with pytest.raises(ValueError, match="n must be an integer >= 1 and <= 100"):
        data.load_faces(n=101)


def test_gaussian_mixture_structure():
    G = data.gaussian_mixture(
        11, K=3, d=10, rank=2, spread=0.5, separation=4.0, n_duplicated=3, multiplicity=4, seed=1
    )
    rows = 11 + 3 * 3
    assert G.x.shape == (rows, 10) and G.image_shape is None and len(G) == rows
    assert G.extra["means"].shape == (3, 10) and G.extra["bases"].shape == (3, 10, 2)
    # means: norm `separation`, mutually orthogonal; bases orthonormal
    M = G.extra["means"]
    torch.testing.assert_close(M @ M.T, 16.0 * torch.eye(3), atol=1e-4, rtol=0)
    for U in G.extra["bases"]:
        torch.testing.assert_close(U.T @ U, torch.eye(2), atol=1e-5, rtol=0)
    # distinct samples split as evenly as possible, interleaved
    counts = torch.bincount(G.labels[:11], minlength=3)
    assert counts.tolist() == [4, 4, 3]
    assert G.labels[:6].tolist() == [0, 1, 2, 0, 1, 2]
    # each sample lies in its cluster's affine subspace: mean + span(U_k)
    for x, k in zip(G.x, G.labels):
        r = x - M[k]
        U = G.extra["bases"][k]
        torch.testing.assert_close(U @ (U.T @ r), r, atol=1e-4, rtol=0)
    # duplication bookkeeping
    src = G.extra["source_index"]
    assert torch.bincount(src, minlength=11).tolist() == [4, 4, 4] + [1] * 8
    assert torch.equal(G.x, G.x[src])
    assert G.extra["is_duplicated"].tolist() == [s < 3 for s in src.tolist()]
    assert torch.equal(G.labels, G.labels[src])
    with pytest.raises(ValueError, match="images"):
        G.images()


def test_gaussian_mixture_seeded_and_errors():
    assert torch.equal(data.gaussian_mixture(5, seed=2).x, data.gaussian_mixture(5, seed=2).x)
    assert data.gaussian_mixture(7, K=2, d=4).x.shape == (7, 4)
    with pytest.raises(ValueError, match=r"K must be an integer >= 1 and <= 4, got 5"):
        data.gaussian_mixture(10, K=5, d=4)
    with pytest.raises(ValueError, match="n_duplicated must be an integer >= 0 and <= 10"):
        data.gaussian_mixture(10, n_duplicated=11)
    with pytest.raises(ValueError, match="multiplicity must be an integer >= 1"):
        data.gaussian_mixture(10, multiplicity=0)
    with pytest.raises(ValueError, match="spread must be >= 0"):
        data.gaussian_mixture(10, spread=-1)


def test_load_dispatch_and_unknown_name():
    assert hubdata.load("digits", n=5).x.shape == (5, 64)
    assert hubdata.load("gmm", n=4, d=3).x.shape == (4, 3)
    with pytest.raises(ValueError) as err:
        hubdata.load("foo")
    assert (
        str(err.value)
        == "unknown dataset 'foo'; choose one of: digits, faces, gmm, celeba, cifar10, mnist"
    )


@pytest.fixture
def hub_offline(monkeypatch):
    """Switch the Hub off, also for modules imported before the environment variables were set."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def test_hf_loader_reads_a_local_image_folder_offline(tmp_path, hub_offline):
    from PIL import Image

    folder = tmp_path / "images"
    for i in range(6):
        sub = folder / ("cats" if i % 2 == 0 else "dogs")
        sub.mkdir(parents=True, exist_ok=True)
        value = 255 if i == 0 else 40 * i
        Image.fromarray(np.full((12, 10, 3), value, dtype=np.uint8)).save(sub / f"img{i}.png")
    D = hubdata.load_hf_images("celeba", local_dir=folder, size=8, cache_dir=tmp_path / "cache")
    assert D.x.shape == (6, 64) and D.x.dtype == torch.float32 and D.image_shape == (8, 8)
    assert D.images().shape == (6, 8, 8)
    assert sorted(D.labels.tolist()) == [0, 0, 0, 1, 1, 1]
    assert float(D.x.min()) >= -1.0 and float(D.x.max()) == 1.0  # the white image maps to hi
    rgb = hubdata.load_hf_images(
        "mine",
        local_dir=folder,
        n=4,
        size=5,
        grayscale=False,
        value_range=(0, 1),
        cache_dir=tmp_path / "cache",
    )
    assert (
        rgb.x.shape == (4, 75)
        and rgb.image_shape == (5, 5, 3)
        and rgb.images().shape == (4, 5, 5, 3)
    )
    assert float(rgb.x.min()) >= 0.0


def _celeba_like_parquet(path, n=240, h=27, w=22):
    """A parquet file in the layout of eurecom-ds/celeba: an image column of encoded images
    (here PNGs, each a flat grey level i % 251 so rows can be told apart after resizing)."""
    import io

    import datasets
    from PIL import Image

    pngs = []
    for i in range(n):
        buf = io.BytesIO()
        Image.fromarray(np.full((h, w, 3), i % 251, dtype=np.uint8)).save(buf, format="PNG")
        pngs.append({"bytes": buf.getvalue(), "path": None})
    ds = datasets.Dataset.from_dict(
        {"image": pngs}, features=datasets.Features({"image": datasets.Image()})
    )
    ds.to_parquet(str(path))
    return path


def test_celeba_setting_from_a_local_parquet_file_offline(tmp_path, hub_offline):
    """The paper's CelebA path (eurecom-ds/celeba, 32 x 32 grayscale, images 0, 36, 148, 195, 232)
    on a local parquet file written here: streamed, so only the rows up to the last index are
    read."""
    path = _celeba_like_parquet(tmp_path / "celeba.parquet")
    assert hubdata.HF_DATASETS["celeba"] == hubdata.CELEBA["dataset"] == "eurecom-ds/celeba"
    assert (
        hubdata.CELEBA["memorized"] == (0, 36, 148, 195, 232)
        and hubdata.CELEBA["n_train"] == 10_000
    )
    mem = hubdata.load_celeba("memorized", local_dir=path, cache_dir=tmp_path / "cache")
    assert mem.x.shape == (5, 1024) and mem.image_shape == (32, 32) and mem.extra["streaming"]
    assert mem.extra["indices"] == [0, 36, 148, 195, 232]
    grey = [i % 251 for i in (0, 36, 148, 195, 232)]
    torch.testing.assert_close(
        mem.x.mean(1), torch.tensor([g / 255 * 2 - 1 for g in grey]), atol=2e-3, rtol=0
    )
    first = hubdata.load_hf_images("celeba", local_dir=path, n=7, cache_dir=tmp_path / "cache")
    assert first.x.shape == (7, 1024) and first.extra["streaming"]
    whole = hubdata.load_hf_images(
        "celeba", local_dir=path, n=7, streaming=False, cache_dir=tmp_path / "cache"
    )
    torch.testing.assert_close(first.x, whole.x)
    with pytest.raises(
        ValueError, match="index 240 is out of range: split 'train' of 'celeba' has only 240 rows"
    ):
        hubdata.load_hf_images(
            "celeba", local_dir=path, indices=[3, 240], cache_dir=tmp_path / "cache"
        )
    with pytest.raises(ValueError, match="give n .* or indices .*, not both"):
        hubdata.load_hf_images("celeba", local_dir=path, n=3, indices=[1])


def test_streaming_reads_only_the_rows_it_needs(tmp_path, hub_offline, monkeypatch):
    """n = 5 must not decode the whole split: count the images decoded."""
    path = _celeba_like_parquet(tmp_path / "celeba.parquet", n=200)
    seen = []
    original = hubdata._to_array
    monkeypatch.setattr(hubdata, "_to_array", lambda img, *a: seen.append(1) or original(img, *a))
    import datasets

    opened = []
    real = datasets.load_dataset
    monkeypatch.setattr(
        datasets, "load_dataset", lambda *a, **k: opened.append(k.get("streaming")) or real(*a, **k)
    )
    hubdata.load_hf_images("celeba", local_dir=path, n=5, cache_dir=tmp_path / "cache")
    assert opened == [True] and len(seen) == 5


def test_hf_loader_offline_hub_name_raises_with_alternatives(tmp_path, hub_offline):
    with pytest.raises(HubUnavailable) as err:
        hubdata.load_hf_images("celeba", cache_dir=tmp_path / "cache")
    msg = str(err.value)
    assert "could not be reached" in msg
    for alt in (
        "memgen.data.load_digits",
        "memgen.data.load_faces",
        "gaussian_mixture",
        "local_dir=",
    ):
        assert alt in msg
    assert isinstance(err.value, RuntimeError)
    with pytest.raises(HubUnavailable):
        hubdata.load("mnist", cache_dir=tmp_path / "cache")


def test_hf_loader_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        hubdata.load_hf_images("imagenet")
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        hubdata.load_hf_images("celeba", size=0)
    with pytest.raises(
        ValueError, match="local_dir must be an existing folder of images or a .parquet file"
    ):
        hubdata.load_hf_images("celeba", local_dir=tmp_path / "missing")


def test_gaussian_mixture_simplex_means():
    G = data.gaussian_mixture(30, K=3, d=8, rank=2, separation=4.0, means="simplex", seed=0)
    M = G.extra["means"]
    torch.testing.assert_close(M.norm(dim=1), torch.full((3,), 4.0), atol=1e-5, rtol=0)
    cos = (M @ M.T) / 16.0
    torch.testing.assert_close(
        cos[~torch.eye(3, dtype=torch.bool)], torch.full((6,), -0.5), atol=1e-5, rtol=0
    )
    with pytest.raises(ValueError, match="K >= 2"):
        data.gaussian_mixture(4, K=1, means="simplex")
    with pytest.raises(ValueError, match="means"):
        data.gaussian_mixture(4, means="random")


def test_paper_dae_trains_on_the_celeba_path_offline(tmp_path, hub_offline):
    """Chapter 2's CelebA cell end to end on a local parquet file: the five official images, the
    official code's DAE (a few steps here), the figures' data."""
    from memgen.experiments import ch02_memorization as ex2
    from memgen.experiments import ch03_generalization as ex3
    from memgen.views import panels

    path = _celeba_like_parquet(tmp_path / "celeba.parquet")
    faces = hubdata.load_celeba("memorized", local_dir=path, cache_dir=tmp_path / "cache")
    res = ex2.train_paper_dae(
        faces.x, ex2.CELEBA_MEMORIZING, device="cpu", steps=20, progress=False
    )
    assert res["device"] == "cpu" and res["losses"].shape == (20,)
    assert res["columns"].shape == (1024, ex2.N_COLUMNS_SHOWN) and res["h"].shape == (100,)
    assert (res["norms"][:-1] >= res["norms"][1:]).all() and (
        res["cosines"].abs() <= 1 + 1e-6
    ).all()
    panels.encoder_columns_figure(res, faces.image_shape, title="t")
    panels.representation_bars(res["h"], title="h")
    assert ex2.CELEBA_MEMORIZING.lam == pytest.approx(
        5e-3
    ) and ex3.CELEBA_GENERALIZING.lam == pytest.approx(5e-5)
    assert (ex3.CELEBA_GENERALIZING.batch_size, ex3.CELEBA_GENERALIZING.steps) == (256, 50_000)
    assert ex2.cpu_seconds_per_step(ex2.CELEBA_MEMORIZING, 5, steps=3) > 0
