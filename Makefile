# "Spiky or Balanced?": build and test.
#
# The two entry points (documented in README.md):
#   make book   create .venv and the web assets if missing, then build the book into _build/html
#   make test   everything `make book` does, plus Debian chromium if missing, the student build and
#               the offline archive, then the test suite
# Others: make student, make archive, make notebooks, make serve, make scorecard, make clean.
#
# Works on a fresh clone with no network beyond the package registries (PyPI, npm, Debian).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON   ?= python3.11
VENV     := .venv
BIN      := $(CURDIR)/$(VENV)/bin
CHROMIUM := /usr/bin/chromium
# Debian's clang + lld rebuild the live explorer's WebAssembly kernels (the test checks the embedded copy).
WASM_LD  := /usr/bin/wasm-ld
# Stamp files: a step reruns only when its inputs changed.
ENV_STAMP := $(VENV)/.memgen-installed
NPM_STAMP := node_modules/.memgen-installed

# The book's tools (jupyter-book, the kernels it starts, pytest) all come from .venv.
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The book's tooling (lib/memgen_book: Sphinx extension, asset staging, Colab and student builds) is
# not part of the installed memgen wheel; the build and the tests import it from lib/.
export PYTHONPATH := $(CURDIR)/lib$(if $(PYTHONPATH),:$(PYTHONPATH))
# Experiments are cached on disk during the build (memgen.experiments.cache), keyed by the library's and data's
# hash: the scorecard page and the tests reuse what the chapters computed instead of rerunning it.
export MEMGEN_CACHE_DIR := $(CURDIR)/_build/.memgen_cache

JB_BUILD := jupyter-book build . --builder html -n -W --keep-going

.PHONY: help book test env assets serve clean distclean constraints notebooks notebooks-check student archive scorecard

STUDENT_HTML := _build/student/_build/html
ARCHIVE      := _build/spiky-or-balanced-site.zip

help:
	@echo "make book       build the book into _build/html (creates .venv, node_modules, _vendor if missing)"
	@echo "make test       build the book, the student build and the archive, then run pytest over tests/"
	@echo "make student    build the student edition (solutions removed) into $(STUDENT_HTML)"
	@echo "make archive    zip the built site for offline use into $(ARCHIVE)"
	@echo "make notebooks  regenerate the Colab notebooks chapters/*.ipynb from the chapters (commit them)"
	@echo "make scorecard  print the reproduction scorecard (exit status 1 if a claim fails)"
	@echo "make serve      serve _build/html on http://127.0.0.1:8000 (STUDENT=1: the student build)"
	@echo "make clean      remove _build and _vendor;  make distclean: also .venv and node_modules"

# --- environment -------------------------------------------------------------------------------

env: $(ENV_STAMP) $(NPM_STAMP)

# Python: exact versions from constraints.txt (torch pinned to 2.13.0, the local CPU wheel).
$(ENV_STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,hub,test]"
	@$(BIN)/python -c "import torch, memgen; print('torch', torch.__version__, '| memgen', memgen.__version__)"
	@touch $@

# Web assets served by the site itself (MathJax 3, require.js, ipywidgets embed manager).
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# Stage plotly.min.js (from the installed plotly) and the npm assets into _vendor/ (idempotent).
assets: env
	$(BIN)/python -m memgen_book.book_assets

# --- the book ----------------------------------------------------------------------------------

# jupyter-cache re-executes a chapter only when its own code changed. The chapters' numbers and
# figures also depend on the library and the shipped data, so when those change every chapter is
# re-executed (the cache and Sphinx's environment are dropped).
LIB_STAMP   := _build/.memgen-lib.stamp
LIB_SOURCES := $(shell find lib/memgen data -type f ! -name '*.pyc' ! -path '*/__pycache__/*' 2>/dev/null)

$(LIB_STAMP): $(LIB_SOURCES)
	@if [ -d _build/.jupyter_cache ]; then \
	  echo "lib/memgen or data/ changed since the last build: re-executing every chapter"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees; fi
	@mkdir -p _build && touch $@

# Sphinx only re-reads changed pages and jupyter-cache only re-executes changed notebooks, so an
# up-to-date rebuild is cheap. A failed build forgets Sphinx's environment, so the next build
# re-reads every page and reports its warnings again instead of passing on unchanged pages.
# The Colab copies of the chapters must match their sources: `make book` fails loudly (and says to
# run `make notebooks`) instead of publishing launch buttons that open stale notebooks.
book: assets $(LIB_STAMP) notebooks-check
	@$(JB_BUILD) || { rm -rf _build/.doctrees; echo "make book: the build failed (warnings are errors)" >&2; exit 1; }

# Colab notebooks: chapters/<stem>.ipynb from chapters/<stem>.md (no outputs), and every chapter's
# install cell from repository.url / repository.branch in _config.yml. Commit the result.
notebooks: env
	$(BIN)/python -m memgen_book.colab

notebooks-check: env
	@$(BIN)/python -m memgen_book.colab --check

# The student edition: the same book with the exercises' solutions removed. It reuses the full
# build's execution cache (no chapter runs twice) and has its own Sphinx environment.
student: assets $(LIB_STAMP) notebooks-check
	@cfg=$$($(BIN)/python -m memgen_book.student .); \
	$(JB_BUILD) --config "$$cfg" --path-output _build/student || \
	  { rm -rf _build/student/_build/.doctrees; echo "make student: the build failed (warnings are errors)" >&2; exit 1; }

# A zip of the built site that works offline: unzip it anywhere and open index.html, or serve the
# folder (python3 -m http.server). Every asset is inside; nothing is fetched from the network.
archive: book
	@rm -f $(ARCHIVE)
	cd _build && rm -rf spiky-or-balanced-site && cp -r html spiky-or-balanced-site && \
	  $(BIN)/python -m zipfile -c $(notdir $(ARCHIVE)) spiky-or-balanced-site && rm -rf spiky-or-balanced-site
	@echo "wrote $(ARCHIVE) ($$(du -h $(ARCHIVE) | cut -f1))"

scorecard: env
	$(BIN)/python -m memgen.scorecard

# --- tests -------------------------------------------------------------------------------------

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make test: $(CHROMIUM) is missing and we are not root; install it first:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2; exit 1; fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(WASM_LD):
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make test: $(WASM_LD) is missing and we are not root; install it first:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y clang lld" >&2; exit 1; fi
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y clang lld

# pytest exit status 5 means it collected no tests: report it and fail.
# The live explorer's JavaScript unit tests run under Node's built-in test runner (Node >= 18, no
# npm package needed); then pytest, which also checks the JavaScript against memgen through node.
test: $(CHROMIUM) $(WASM_LD) book student archive
	node --test tests/js/
	$(BIN)/python -m pytest tests -m memory
	$(BIN)/python -m pytest tests/test_live_browser.py
	@rc=0; $(BIN)/python -m pytest tests -m "not memory" --ignore=tests/site \
	  --ignore=tests/test_live_browser.py || rc=$$?; \
	$(BIN)/python -m pytest tests/site || rc=$$?; \
	if [ $$rc = 5 ]; then echo "make test: pytest collected no tests (exit status 5)" >&2; fi; \
	exit $$rc

# --- conveniences ------------------------------------------------------------------------------

SERVE_DIR = $(if $(STUDENT),$(STUDENT_HTML),_build/html)
serve:
	@test -f $(SERVE_DIR)/index.html || { echo "no $(SERVE_DIR): run make $(if $(STUDENT),student,book) first" >&2; exit 1; }
	$(PYTHON) -m http.server --bind 127.0.0.1 --directory $(SERVE_DIR) 8000

clean:
	rm -rf _build _vendor

distclean: clean
	rm -rf $(VENV) node_modules

# Maintainers: regenerate constraints.txt (pip freeze of a fresh environment, minus memgen).
constraints:
	rm -rf _build/constraints-venv
	$(PYTHON) -m venv _build/constraints-venv
	_build/constraints-venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[book,hub,test]"
	{ echo "# Exact versions of everything installed in the CI environment (make constraints)."; \
	  echo "# torch==2.13.0 resolves to the local CPU wheel; never loosen it (CUDA builds are GBs)."; \
	  _build/constraints-venv/bin/python -m pip freeze --exclude-editable \
	  | grep -v -i '^memgen' | sed -E 's/^torch==([0-9.]+)\+cpu$$/torch==\1/'; } > constraints.txt
	rm -rf _build/constraints-venv
	@echo "constraints.txt: $$(grep -vc '^#' constraints.txt) pins"
