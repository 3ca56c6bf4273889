"""memgen.assets: the shipped data are found in the checkout, or in an installed memgen_data package."""

import sys

import pytest

from memgen import assets


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
