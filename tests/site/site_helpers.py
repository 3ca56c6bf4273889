"""Helpers shared by the site tests' conftest.py and test_site.py (no pytest fixtures here)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = ROOT / "_build" / "html"
STUDENT_HTML_DIR = ROOT / "_build" / "student" / "_build" / "html"   # make student
ARCHIVE = ROOT / "_build" / "spiky-or-balanced-site.zip"              # make archive
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


def toc_docnames(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page listed in ``_toc.yml`` (the root first), as Sphinx docnames without suffix."""
    toc = yaml.safe_load(toc_path.read_text())
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(str(Path(node[key]).with_suffix("")))
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return list(dict.fromkeys(names))


PAGES = toc_docnames()


def is_off_machine(url: str) -> bool:
    """True for a URL whose fetch would leave this machine (relative URLs, data: etc. do not)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "ws", "wss", "ftp") or url.startswith("//"):
        return (parts.hostname or "") not in LOCAL_HOSTS
    return False
