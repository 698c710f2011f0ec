# Executed Answers: one entry point for setting up, building and testing the book.
#   make book   set up .venv and the MathJax assets if needed, build _build/html
#   make test   set up if needed, then lint, unit tests, drift check, strict nbval, strict book build
# Everything is installed by this file from pyproject.toml, requirements.lock and package.json.

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
PORT ?= 8000
LAB_PORT ?= 8888
# pip on this kind of machine warns about every missing local index folder: not ours to fix.
PIP_NOISE := is ignored: it is neither a file nor a directory

# The kernel must see exactly what the stored outputs were produced with.
unexport MPLBACKEND
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help prereq setup book serve lab execute drift lint format unit nbval browser chromium test bench clean

help:
	@echo "make book     build the HTML book into $(HTML) (sets everything up on first use)"
	@echo "make test     lint, unit tests, drift check, strict nbval, book build with warnings as errors"
	@echo "make execute  regenerate and execute notebooks from their .md (NB=chapters/01_x.md for one;"
	@echo "              REFRESH=1 also stores fresh timings in nbval-ignore-output cells)"
	@echo "make drift    check every .md/.ipynb pair"
	@echo "make browser  check every built page in headless Chromium (screenshots in _build/screenshots)"
	@echo "make serve    serve $(HTML) on http://127.0.0.1:$(PORT)/"
	@echo "make bench    run benchmarks/ and print the ratio tables"

prereq:
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

setup: $(STAMP) $(MATHJAX_STAMP)

# Builds from the executed notebooks (execute_notebooks: off). A failed build leaves no index.html.
book: setup
	@rm -rf $(HTML)  # pages of deleted sources must not linger (doctrees keep rebuilds quick)
	@$(VENV)/bin/jupyter-book build . --builder html -W -n --keep-going -q || { rm -rf $(HTML); echo "error: the book build failed; see the warnings above" >&2; exit 1; }
	@echo "Book built: $(abspath $(HTML))/index.html"
	@echo "Serve it locally with: make serve   (then open http://127.0.0.1:$(PORT)/)"

serve: book
	$(PY) -m http.server --bind 127.0.0.1 --directory $(HTML) $(PORT)

# JupyterLab on 127.0.0.1 with .venv as the kernel and jupytext pairing (saving writes .md + .ipynb).
lab: setup
	$(PY) -m booktools.lab --port $(LAB_PORT)

execute: setup
	$(PY) -m booktools.execute $(if $(REFRESH),--refresh-volatile) $(NB)

drift: setup
	$(PY) -m booktools.drift

lint: setup
	$(PY) -m ruff check $(LINT_PATHS)
	$(PY) -m ruff format --check $(LINT_PATHS)

format: setup
	$(PY) -m ruff check --fix $(LINT_PATHS)
	$(PY) -m ruff format $(LINT_PATHS)

unit: setup
	$(PY) -m pytest -q -n $(JOBS) --dist load -m "not browser" tests

nbval: setup
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile --nbval --nbval-current-env \
	  --nbval-sanitize-with nbval_sanitize.cfg index.ipynb front back chapters

# Debian's Chromium for the browser test, installed when missing (this needs root, as CI has).
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "error: Chromium is missing and could not be installed; run 'apt-get install chromium' as root" >&2; exit 1; }; }

# Every page of the built book in headless Chromium; screenshots go to _build/screenshots/.
browser: setup chromium book
	$(PY) -m pytest -q -m browser tests

test: setup lint drift unit nbval book browser
	@echo "make test: all checks passed"

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf _build build_assets node_modules
