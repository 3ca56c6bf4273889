"""Helpers shared by the site tests' conftest.py and test_site.py (no pytest fixtures here)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from memgen_book import colab

ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = ROOT / "_build" / "html"
STUDENT_HTML_DIR = ROOT / "_build" / "student" / "_build" / "html"  # make student
ARCHIVE = ROOT / "_build" / "spiky-or-balanced-site.zip"  # make archive
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORT = {"width": 1280, "height": 900}
#: The widths the reader-level checks run at: a laptop and a phone (an iPhone 12 to 15 is 390 px).
WIDTHS = (1280, 390)
PHONE_HEIGHT = 844


def toc_docnames(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page listed in ``_toc.yml`` (the root first), as Sphinx docnames without suffix."""
    return colab.toc_docnames(Path(toc_path).parent)


PAGES = toc_docnames()


def is_off_machine(url: str) -> bool:
    """True for a URL whose fetch would leave this machine (relative URLs, data: etc. do not)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ws", "wss", "ftp") or url.startswith("//"):
        return (parts.hostname or "") not in LOCAL_HOSTS
    return False
