"""Where the code runs: Google Colab, the book's build, or anywhere else.

:data:`BOOK_BUILD_ENV` is the environment variable the book's Sphinx extension
(``memgen_book.sphinxext``) sets to ``"1"``; the kernels that execute the chapters inherit it, and
:func:`memgen.views.render.setup` then selects the website's offline renderer.
"""

from __future__ import annotations

import os
import sys

#: Set to "1" while the book is being built.
BOOK_BUILD_ENV = "MEMGEN_BOOK_BUILD"


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def in_book_build() -> bool:
    """True while the book is being built (the Sphinx extension sets :data:`BOOK_BUILD_ENV`)."""
    return os.environ.get(BOOK_BUILD_ENV) == "1"
