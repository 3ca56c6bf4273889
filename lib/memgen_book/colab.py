"""Colab copies of the chapters: ``chapters/<stem>.ipynb`` generated from ``chapters/<stem>.md``.

Colab cannot open a MyST markdown notebook, so every chapter listed in ``_toc.yml`` (a page whose
file name starts with ``ch`` and that has code cells) gets a Jupyter notebook next to its source,
with the same cells and no outputs. The book's launch buttons link to these copies.

Every chapter also gets a *student notebook*, ``student/chapters/<stem>.ipynb``: the same notebook
with every exercise's solution removed (:func:`memgen_book.student.strip_solutions`) and a first
cell that says so. The student edition's launch and download buttons link to these.

The repository is named in one place, ``repository.url`` and ``repository.branch`` in
``_config.yml``. The first code cell of every chapter (the *install cell*, tagged ``remove-cell`` so
the book hides it) installs the library from that address; :func:`sync` rewrites it in the chapter
sources and writes the notebooks, so changing the address in ``_config.yml`` and running
``make notebooks`` updates every chapter.

A chapter whose code checks for a GPU (it calls ``require_gpu(``, the guard of
:mod:`memgen.hub.gpu`) gets Colab's GPU accelerator metadata (``"accelerator": "GPU"``,
``"colab": {"gpuType": "T4"}``), so Colab offers a T4 runtime when it opens; the guard still
checks ``torch.cuda.is_available()`` before a Hub cell starts.

The install cell installs ``memgen`` only when it is missing, with a plain ``pip install`` (no
``--upgrade``, no ``--force-reinstall``): pip then installs only the dependencies that are missing,
so
the torch, numpy, plotly, ... that Colab ships are never replaced.

Command line (``make notebooks`` runs the first; ``make book`` runs the second)::

    python -m memgen_book.colab            # rewrite install cells, write chapters/*.ipynb and
                                           # student/chapters/*.ipynb
    python -m memgen_book.colab --check    # exit status 1 (and say why) if anything is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import student as _student

__all__ = [
    "INSTALL_MARKER",
    "Repository",
    "repository",
    "install_cell_source",
    "toc_docnames",
    "chapter_sources",
    "notebook_path",
    "student_notebook_path",
    "sync_install_cell",
    "notebook_json",
    "needs_gpu",
    "problems",
    "sync",
]

#: First line of the install cell; identifies it in a chapter source.
INSTALL_MARKER = "# Colab: install the book's library"
#: Tag that hides the install cell in the book.
INSTALL_TAG = "remove-cell"
#: Chapters are the table-of-contents pages whose file name starts with this prefix.
CHAPTER_PREFIX = "ch"
#: A chapter whose source contains this call needs a GPU for some cells (memgen.hub.gpu).
GPU_MARKER = "require_gpu("
#: The GPU Colab should offer for such a chapter (the free tier's).
GPU_TYPE = "T4"


def needs_gpu(text: str) -> bool:
    """Whether a chapter's source has a GPU-guarded cell (:data:`GPU_MARKER`)."""
    return GPU_MARKER in text


_CODE_CELL = re.compile(
    r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL
)


@dataclass(frozen=True)
class Repository:
    """Where the book's source lives (``repository`` in ``_config.yml``)."""

    url: str
    branch: str
    path_to_book: str = ""

    @property
    def pip_target(self) -> str:
        """The requirement a Colab reader installs: the library at this branch."""
        return f"memgen @ git+{self.url.rstrip('/')}@{self.branch}"


def repository(root: Path | str = ".") -> Repository:
    """Read ``repository.url``, ``branch`` and ``path_to_book`` from ``<root>/_config.yml``."""
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8")) or {}
    repo = config.get("repository") or {}
    url = str(repo.get("url") or "").strip()
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+/?", url):
        raise ValueError(
            "repository.url in _config.yml must be a https://github.com/<org>/<repo> address; "
            f"got {url!r}"
        )
    branch = str(repo.get("branch") or "").strip()
    if not re.fullmatch(r"[\w./-]+", branch):
        raise ValueError(f"repository.branch in _config.yml must name a branch; got {branch!r}")
    return Repository(
        url=url.rstrip("/"),
        branch=branch,
        path_to_book=str(repo.get("path_to_book") or "").strip("/"),
    )


def install_cell_source(repo: Repository) -> str:
    """The source of every chapter's install cell (without the MyST fence and tags)."""
    return (
        f"{INSTALL_MARKER} (the book build already has it).\n"
        "# Installs only what is missing: the torch, numpy, plotly, ... Colab ships stay.\n"
        "import importlib.util, subprocess, sys\n"
        'if importlib.util.find_spec("memgen") is None:\n'
        f'    target = "{repo.pip_target}"\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", target], check=True)'
    )


def toc_docnames(root: Path | str = ".") -> list[str]:
    """Every page listed in ``_toc.yml``, the root first, as docnames (no suffix)."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
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


def chapter_sources(root: Path | str = ".") -> list[Path]:
    """The MyST sources of the chapters listed in ``_toc.yml``, in book order."""
    root = Path(root)
    out = []
    for doc in toc_docnames(root):
        path = root / f"{doc}.md"
        if (
            Path(doc).name.startswith(CHAPTER_PREFIX)
            and path.is_file()
            and "{code-cell}" in path.read_text(encoding="utf-8")
        ):
            out.append(path)
    return out


def notebook_path(source: Path) -> Path:
    """Where the Colab copy of ``source`` lives: the same folder and stem, suffix ``.ipynb``."""
    return Path(source).with_suffix(".ipynb")


def student_notebook_path(source: Path, root: Path | str = ".") -> Path:
    """Where the student notebook of ``source`` lives: ``<root>/student/<its path>.ipynb``."""
    root = Path(root)
    docname = Path(source).resolve().relative_to(root.resolve()).with_suffix("").as_posix()
    return root / _student.student_notebook_path(docname)


def sync_install_cell(text: str, repo: Repository) -> str:
    """``text`` (a chapter's MyST source) with its install cell's body replaced by the canonical
    one.

    The install cell is the first code cell; it must start with :data:`INSTALL_MARKER` (after its
    ``:tags:`` line). Raises ValueError if the first code cell is not an install cell.
    """
    match = _CODE_CELL.search(text)
    if match is None:
        raise ValueError(
            "the chapter has no code cell; its first code cell must be the Colab install cell"
        )
    body = match.group("body")
    lines = body.splitlines()
    options = [ln for ln in lines if ln.startswith(":") and not ln.startswith("::")]
    code = "\n".join(lines[len(options) :]) if lines[: len(options)] == options else body
    if not code.lstrip().startswith(INSTALL_MARKER):
        raise ValueError(
            "the first code cell is not the Colab install cell (it must start with "
            f"{INSTALL_MARKER!r}); "
            f"it starts with {code.strip().splitlines()[0] if code.strip() else '(nothing)'!r}"
        )
    if not any(INSTALL_TAG in ln for ln in options if ln.startswith(":tags:")):
        raise ValueError(
            f"the Colab install cell must be tagged {INSTALL_TAG} (hidden in the book)"
        )
    new_body = "\n".join(options + [install_cell_source(repo)]) + "\n"
    return text[: match.start("body")] + new_body + text[match.end("body") :]


def notebook_json(source: Path, repo: Repository, *, student: bool = False) -> str:
    """The Colab copy of ``source`` as ipynb JSON text: the cells of the (synced) source, no
    outputs.

    ``student=True``: the student notebook, with every solution removed and a first markdown cell
    that says so. Deterministic: cell ids are numbered, so regenerating an unchanged chapter gives
    the same file.
    """
    import jupytext
    import nbformat

    text = sync_install_cell(Path(source).read_text(encoding="utf-8"), repo)
    gpu = needs_gpu(text)
    if student:
        text = _student.strip_solutions(text)
    nb = jupytext.reads(text, fmt="md:myst")
    if student:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"**{_student.BANNER}**"))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": []},
        "memgen": {
            "generated_from": Path(source).name,
            "generator": "python -m memgen_book.colab (make notebooks); do not edit by hand",
            **({"edition": "student"} if student else {}),
        },
    }
    if gpu:
        metadata["accelerator"] = "GPU"
        metadata["colab"]["gpuType"] = GPU_TYPE
    nb.metadata = nbformat.from_dict(metadata)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def problems(root: Path | str = ".") -> list[str]:
    """What :func:`sync` would change, as human-readable lines (empty when everything is in
    sync)."""
    root = Path(root)
    repo = repository(root)
    out = []
    for source in chapter_sources(root):
        text = source.read_text(encoding="utf-8")
        try:
            synced = sync_install_cell(text, repo)
        except ValueError as err:
            out.append(f"{source.relative_to(root)}: {err}")
            continue
        if synced != text:
            out.append(
                f"{source.relative_to(root)}: the install cell does not install {repo.pip_target!r}"
            )
        for nb_path, student in (
            (notebook_path(source), False),
            (student_notebook_path(source, root), True),
        ):
            what = "student notebook" if student else "Colab copy"
            if not nb_path.is_file():
                out.append(f"{nb_path.relative_to(root)}: missing (the {what} of {source.name})")
            elif nb_path.read_text(encoding="utf-8") != notebook_json(
                source, repo, student=student
            ):
                out.append(f"{nb_path.relative_to(root)}: differs from its source {source.name}")
    return out


def sync(root: Path | str = ".") -> list[Path]:
    """Rewrite every chapter's install cell from ``_config.yml``; write the Colab copies and the
    student notebooks.

    Returns the files that changed.
    """
    root = Path(root)
    repo = repository(root)
    changed = []
    for source in chapter_sources(root):
        text = source.read_text(encoding="utf-8")
        synced = sync_install_cell(text, repo)
        if synced != text:
            source.write_text(synced, encoding="utf-8")
            changed.append(source)
        for nb_path, student in (
            (notebook_path(source), False),
            (student_notebook_path(source, root), True),
        ):
            new = notebook_json(source, repo, student=student)
            if not nb_path.is_file() or nb_path.read_text(encoding="utf-8") != new:
                nb_path.parent.mkdir(parents=True, exist_ok=True)
                nb_path.write_text(new, encoding="utf-8")
                changed.append(nb_path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m memgen_book.colab", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("root", nargs="?", default=".", help="the book's root folder (default: .)")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if anything is out of date"
    )
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.root)
        if found:
            print(
                "The Colab notebooks are out of date; run `make notebooks` and commit the result:",
                file=sys.stderr,
            )
            for line in found:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"Colab notebooks in sync ({len(chapter_sources(args.root))} chapters)")
        return 0
    changed = sync(args.root)
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(chapter_sources(args.root))} chapters, {len(changed)} files changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
