# The course's public interface. `make lab` and `make test` are the quick start;
# every target creates .venv/ on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# VARIANT=gpu installs TensorFlow's CUDA build (requirements-gpu.txt) instead of the CPU one.
VARIANT ?= cpu
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ASSIGNMENT ?= gradient_descent
PORT ?= 8888
# nbval compares outputs strictly on CPU; NBVAL_MODE=lax (GPU runner) only runs the cells.
NBVAL_MODE ?= strict
NOTEBOOKS := lectures solutions assignments/*/*.ipynb

STAMP := $(VENV)/.installed-$(VARIANT)
# Tools that nbgrader and Jupyter run by name (alembic, jupyter) come from the venv.
export PATH := $(abspath $(BIN)):$(PATH)
ifeq ($(NBVAL_MODE),lax)
NBVAL_FLAGS := --nbval-lax
else
NBVAL_FLAGS := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
endif
NBVAL_FLAGS += --nbval-current-env --nbval-cell-timeout=600

.PHONY: help env lab test test-fast release grade feedback export solutions slides bench execute clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-gpu.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "'$(PYTHON) -m venv' failed: on Debian/Ubuntu install the venv module (sudo apt-get install python3-venv) and retry"; rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
ifeq ($(VARIANT),gpu)
	grep -v '^tensorflow-cpu' requirements.txt > $(VENV)/requirements-gpu.lock
	$(BIN)/python -m pip install --quiet -r $(VENV)/requirements-gpu.lock -r requirements-gpu.txt
	-$(BIN)/python -m pip uninstall --yes --quiet tensorflow-cpu
else
	$(BIN)/python -m pip install --quiet -r requirements.txt
endif
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nn-course)"
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

env: $(STAMP)  ## Create .venv/ and install everything (idempotent)

# Root (containers, CI) needs --allow-root; ordinary users do not.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)  ## Start JupyterLab on the course (PORT=8888, LAB_ARGS for extra options)
	$(BIN)/jupyter lab --port=$(PORT) --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)  ## Run the whole test suite: unit tests, grading pipeline, every notebook under nbval
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope $(NBVAL_FLAGS) tests $(NOTEBOOKS) $(PYTEST_ARGS)

test-fast: $(STAMP)  ## Unit and pipeline tests only, no notebooks
	$(BIN)/python -m pytest -n $(JOBS) --dist loadscope tests $(PYTEST_ARGS)

release: $(STAMP)  ## Build the student version of ASSIGNMENT into release/
	$(BIN)/nbgrader generate_assignment $(ASSIGNMENT) --force

solutions: $(STAMP)  ## Regenerate solutions/ (executed) from every assignment source
	$(BIN)/python -m nncourse.course solutions

grade: $(STAMP)  ## Autograde every submission of ASSIGNMENT in parallel, judged and sandboxed (JOBS=n, FORCE=1 regrades all)
	$(BIN)/python -m nncourse.grading.run $(ASSIGNMENT) --jobs $(JOBS) $(if $(FORCE),--force)

feedback: $(STAMP)  ## Generate HTML feedback for ASSIGNMENT into feedback/ (regenerated, so a regrade is never shown stale)
	$(BIN)/nbgrader generate_feedback $(ASSIGNMENT) --force

export: $(STAMP)  ## Export the gradebook to grades.csv
	$(BIN)/nbgrader export

slides: $(STAMP)  ## Build a reveal.js deck per lecture into slides/ (offline)
	$(BIN)/python -m nncourse.slides

bench: $(STAMP)  ## Print wall time and peak memory per notebook, then grading throughput
	$(BIN)/python -m nncourse.bench $(BENCH_ARGS)
	$(BIN)/python -m nncourse.grading.bench --jobs $(JOBS)

execute: $(STAMP)  ## Re-run notebooks in a fresh kernel and store their outputs (NB=path, default all lectures)
	$(BIN)/python -m nncourse.course execute $(or $(NB),lectures/*.ipynb)

clean:  ## Remove generated course state (keeps .venv/)
	rm -rf release submitted autograded feedback gradebook.db grades.csv test-artifacts .pytest_cache slides/*.html slides/_build
