# Executed Answers: one entry point for setting up, building and testing the book.
#   make book   set up .venv and the MathJax assets if needed, build _build/html
#   make test   set up if needed, then lint, unit tests, drift check, strict nbval, strict book build
# Everything is installed by this file from pyproject.toml, requirements.lock and package.json;
# the Debian tools (Chromium, poppler, Octave) are installed when missing if make runs as root,
# as CI does. `make help` lists every target (from the "## " comment on its line).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX_DIR := build_assets/_static/mathjax
MATHJAX_STAMP := $(MATHJAX_DIR)/.installed
HTML := _build/html
JOBS ?= 2
NB ?=
REFRESH ?=
LINT_PATHS := src tests benchmarks conftest.py
PAGES := index.ipynb front back chapters further
PORT ?= 8000
LAB_PORT ?= 8888
PDF := _build/pdf/executed-answers.pdf
# Existing executables to use instead of Debian's packages (e.g. CHROMIUM=/opt/chromium/chrome).
CHROMIUM ?=
OCTAVE ?=
export CHROMIUM OCTAVE
# Missing Debian tools are installed only by root with apt-get (CI); `make CAN_INSTALL=` never does.
CAN_INSTALL ?= $(shell [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && echo yes)
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
# pip on this kind of machine warns about every missing local index folder: not ours to fix.
PIP_NOISE := is ignored: it is neither a file nor a directory

# The kernel must see exactly what the stored outputs were produced with.
unexport MPLBACKEND
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# OpenBLAS's idle threads spin for about 2^28 cycles before they sleep; with two pytest workers,
# each kernel's spinning threads take the other's core (strict nbval: 95 s, 67 s with this).
# A scheduling setting only: it changes no result (unlike OPENBLAS_CORETYPE, which we never set).
export OPENBLAS_THREAD_TIMEOUT ?= 4

.PHONY: help prereq setup book serve lab execute drift lint format unit nbval portability browser \
  chromium poppler octave octave-run pdf pdf-check unit-and-pdf test bench bench-peers new-chapter clean

help: ## list every target
	@awk -F':.*## ' '/^[a-z][a-z-]*:.*## /{printf "make %-12s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))
	@echo "Variables: NB=page.md (execute), REFRESH=1 (execute: fresh timings), PORT=$(PORT) (serve),"
	@echo "  LAB_PORT=$(LAB_PORT) (lab), JOBS=$(JOBS) (pytest workers), CHROMIUM=/path, OCTAVE=/path,"
	@echo "  PYTHON=/path/to/python3.11, CAN_INSTALL= (never install Debian packages)"

# $(call debian_tool,VAR,command,package,what needs it): use $(VAR) if set (it must be executable),
# else `command` from PATH; when missing, install Debian's `package` as root, else stop with one line.
define debian_tool
	@if [ -n "$($(1))" ]; then \
	  [ -x "$($(1))" ] || { echo "error: $(1)=$($(1)) is not an executable file (needed by $(4))" >&2; exit 1; }; \
	elif ! command -v $(2) >/dev/null 2>&1; then \
	  if [ -n "$(CAN_INSTALL)" ]; then \
	    echo "Installing Debian's $(3) for $(4)"; \
	    { $(APT_INSTALL) $(3) >/dev/null; } || { echo "error: installing Debian's $(3) failed (needed by $(4))" >&2; exit 1; }; \
	  else \
	    echo "error: $(2) is missing (needed by $(4)): install it as root with 'apt-get install $(3)'$(if $(1), or point $(1)=/path/to/$(2) at an existing one)" >&2; exit 1; \
	  fi; \
	fi
endef

prereq: ## check for Python 3.11+ and npm
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: Python 3.11 or newer is required ('$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)); install it (e.g. apt-get install python3.11) or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@command -v npm >/dev/null 2>&1 || { \
	  echo "error: npm is required to install MathJax 3 for offline math; install Node.js and npm (e.g. apt-get install npm)" >&2; exit 1; }

# The stamp is written last, so a failed install is never mistaken for a finished one.
$(STAMP): pyproject.toml requirements.lock | prereq
	@rm -f $(STAMP)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24" 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	$(PY) -m pip install --quiet -c requirements.lock -e ".[book,test]" 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	@touch $(STAMP)

$(MATHJAX_STAMP): package.json package-lock.json | prereq
	@rm -rf build_assets
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(dir $(MATHJAX_DIR))
	cp -r node_modules/mathjax/es5 $(MATHJAX_DIR)
	@rm -f $(MATHJAX_DIR)/latest.js  # the CDN-switching loader; the book loads tex-chtml.js
	@touch $(MATHJAX_STAMP)

setup: $(STAMP) $(MATHJAX_STAMP) ## create .venv from requirements.lock and install MathJax

# Builds from the executed notebooks (execute_notebooks: off). A failed build leaves no index.html.
book: setup ## build the HTML book into _build/html (links the PDF when make pdf has run)
	@rm -rf $(HTML)  # pages of deleted sources must not linger (doctrees keep rebuilds quick)
	@$(VENV)/bin/jupyter-book build . --builder html -W -n --keep-going -q || { rm -rf $(HTML); echo "error: the book build failed; see the warnings above" >&2; exit 1; }
	@echo "Book built: $(abspath $(HTML))/index.html"
	@echo "Serve it locally with: make serve   (then open http://127.0.0.1:$(PORT)/)"

serve: book ## serve _build/html on http://127.0.0.1:8000/ (PORT=...)
	$(PY) -m http.server --bind 127.0.0.1 --directory $(HTML) $(PORT)

# JupyterLab on 127.0.0.1 with .venv as the kernel and jupytext pairing (saving writes .md + .ipynb).
lab: setup ## JupyterLab on http://127.0.0.1:8888/ (LAB_PORT=...), .venv as kernel, pairs kept
	$(PY) -m booktools.lab --port $(LAB_PORT)

execute: setup ## regenerate + execute pages from their .md (NB=page.md for one; REFRESH=1)
	$(PY) -m booktools.execute $(if $(REFRESH),--refresh-volatile) $(NB)

drift: setup ## check every .md/.ipynb pair (and that each .ipynb is one top-to-bottom run)
	$(PY) -m booktools.drift

# The pages' code is linted with the same rules as src/ (not reformatted: the .md is the source).
lint: setup ## ruff check (code and pages) + format check (code) + names visible cells use
	$(PY) -m ruff check $(LINT_PATHS) $(PAGES)
	$(PY) -m ruff format --check $(LINT_PATHS)
	$(PY) -m booktools.visible_names

format: setup ## ruff fix + format
	$(PY) -m ruff check --fix $(LINT_PATHS)
	$(PY) -m ruff format $(LINT_PATHS)

unit: setup ## unit, property, contract and workflow tests, and every docstring example
	$(PY) -m pytest -q -n $(JOBS) --dist load -m "not browser and not pdf" \
	  --doctest-modules src/helpers src/booktools tests

NBVAL := -m pytest -q -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg $(PAGES)
# Matplotlib builds its font cache on first use and says so on stderr, which a strict nbval run
# would read as an output of the page's first plotting cell: build it before the kernels start.
FONT_CACHE := $(PY) -c "import matplotlib.font_manager"

nbval: setup ## strict nbval over every page
	@$(FONT_CACHE)
	$(PY) $(NBVAL)

# Strict nbval again under a second numerical profile that any machine can produce: NumPy at its
# compiled SIMD baseline and one BLAS thread (booktools/profile.py). A stored output that encodes
# one CPU's rounding fails here rather than on a reader's machine.
portability: setup ## strict nbval again under the baseline profile (NumPy baseline SIMD, 1 thread)
	@$(FONT_CACHE)
	$(PY) -m booktools.profile $(PY) $(NBVAL)

chromium: ## Debian's Chromium for the browser checks and the PDF (or CHROMIUM=/path)
	$(call debian_tool,CHROMIUM,chromium,chromium,the browser check and the PDF)

poppler: ## Debian's poppler-utils (pdfinfo, pdftotext, pdftoppm) for the PDF test
	$(call debian_tool,,pdftoppm,poppler-utils,the PDF test)

octave: ## Debian's Octave (octave-cli) for chapter 2's reference run (or OCTAVE=/path)
	$(call debian_tool,OCTAVE,octave-cli,octave,chapter 2's Octave reference run)

octave-run: octave ## re-run the asker's Octave original: octave/reference_run.json
	octave/run.sh

# Every page of the built book, and a JupyterLab session, in headless Chromium.
browser: setup chromium book ## every built page + a JupyterLab session in headless Chromium
	$(PY) -m pytest -q -n $(JOBS) --dist load -m browser tests

# The whole book as one PDF: single-page build, printed by Chromium after MathJax has typeset.
pdf: setup chromium ## the whole book as one PDF: _build/pdf/executed-answers.pdf
	$(PY) -m booktools.pdf

pdf-check: pdf poppler ## build the PDF and test it (pdfinfo, pdftotext, pdftoppm)
	$(PY) -m pytest -q -m pdf tests

# The unit tests keep about one and a half cores busy and the PDF build mostly waits on one
# Chromium, so `make test` runs them side by side (the PDF's log is printed when both are done).
unit-and-pdf: setup chromium poppler ## the unit tests and the PDF build side by side, then the PDF test
	@mkdir -p _build
	@$(MAKE) --no-print-directory pdf >_build/pdf.log 2>&1 & pdf_job=$$!; \
	  unit_rc=0; $(MAKE) --no-print-directory unit || unit_rc=$$?; \
	  pdf_rc=0; wait $$pdf_job || pdf_rc=$$?; \
	  echo "--- the PDF build, run beside the unit tests ($$( [ $$pdf_rc = 0 ] && echo ok || echo FAILED )) ---"; \
	  cat _build/pdf.log; \
	  [ $$unit_rc = 0 ] || { echo "error: the unit tests failed (above)" >&2; exit 1; }; \
	  [ $$pdf_rc = 0 ] || { echo "error: the PDF build failed (its log is above)" >&2; exit 1; }
	$(PY) -m pytest -q -m pdf tests

# The PDF is built before the book, so that the site links to it.
# The Debian tools are checked first, so that a machine without them stops at once.
test: setup chromium poppler octave lint drift unit-and-pdf nbval portability book browser ## everything, as CI runs it
	@echo "make test: all checks passed"

bench: setup ## run benchmarks/ and print the ratio tables
	$(PY) benchmarks/run_all.py

# The helpers against PyTorch, JAX, QuTiP and SciPy's own functions (not part of make test).
# Installs the pinned peers of pyproject's [peers] extra into .venv first.
PEERS_STAMP := $(VENV)/.peers-installed
$(PEERS_STAMP): pyproject.toml requirements.lock | $(STAMP)
	$(PY) -m pip install --quiet -c requirements.lock -e ".[book,test,peers]" 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	@touch $(PEERS_STAMP)

bench-peers: setup $(PEERS_STAMP) ## compare the helpers with torch, JAX, QuTiP, SciPy (not in test)
	$(PY) benchmarks/run_all.py --peers

new-chapter: setup ## start a chapter's own files from booktools/templates: NAME=module_name
	@test -n "$(NAME)" || { echo "usage: make new-chapter NAME=<module_name>" >&2; exit 2; }
	$(PY) -m booktools.new_chapter $(NAME)

clean: ## remove build output and the MathJax assets (keeps .venv)
	rm -rf _build build_assets node_modules
