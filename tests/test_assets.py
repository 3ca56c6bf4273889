"""memgen.shipped_data: the shipped data are found in the checkout, or in an installed memgen_data
package."""

import sys

import pytest

from memgen import shipped_data as assets


def test_checkout_data_first():
    assert assets.data_dir() == assets.REPO_DATA
    assert (assets.data_path("toy_diffusion", "SHA256SUMS")).is_file()
    assert (assets.data_path("unets", "SHA256SUMS")).is_file()


def test_installed_namespace_package(tmp_path, monkeypatch):
    # as pip installs it: site-packages/memgen_data/<folder>/..., no __init__.py anywhere
    (tmp_path / "memgen_data" / "unets").mkdir(parents=True)
    (tmp_path / "memgen_data" / "unets" / "SHA256SUMS").write_text("")
    monkeypatch.setattr(assets, "REPO_DATA", tmp_path / "no-checkout" / "data")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("memgen_data", None)
    try:
        assert assets.data_dir() == tmp_path / "memgen_data"
        assert assets.data_path("unets", "SHA256SUMS").is_file()
    finally:
        sys.modules.pop("memgen_data", None)


@pytest.mark.parametrize("bad", ["", "/etc", "../secrets", 3])
def test_bad_parts_are_rejected(bad):
    with pytest.raises(ValueError, match="parts"):
        assets.data_path(bad)


def test_every_shipped_folder_is_packaged_and_verifies():
    # each data/ folder with a SHA256SUMS must be a memgen_data package with its files as package
    # data (so that the Colab install carries it), and every listed file must match its checksum
    import tomllib

    cfg = tomllib.loads((assets.REPO_DATA.parent / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]
    folders = sorted(p.parent.name for p in assets.REPO_DATA.glob("*/SHA256SUMS"))
    assert folders, "no shipped data found"
    for name in folders:
        assert f"memgen_data.{name}" in cfg["packages"], name
        assert "SHA256SUMS" in cfg["package-data"][f"memgen_data.{name}"], name
        for file, digest in assets.read_checksums(assets.data_path(name)).items():
            assert assets.sha256_file(assets.data_path(name, file)) == digest, (name, file)
