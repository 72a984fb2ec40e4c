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
# Scopes (a module, a pipeline class) go to workers whole, longest first (tests/conftest.py orders them;
# xdist's own reordering by test count would put the long pipeline classes last).
XDIST = -n $(JOBS) --dist loadscope --no-loadscope-reorder
PORT ?= 8888
# ROLE=student starts the lab as students see it: no Formgrader, Create Assignment or Course List.
ROLE ?= instructor
# Assignments are the folders of assignments/ that hold a notebook of the same name. ASSIGNMENT=<id>
# has no default: release, grade, feedback and test-assignment name one or stop with the list.
ASSIGNMENT_IDS := $(sort $(foreach nb,$(wildcard assignments/*/*.ipynb),$(if $(filter $(notdir $(patsubst %/,%,$(dir $(nb)))).ipynb,$(notdir $(nb))),$(notdir $(patsubst %/,%,$(dir $(nb)))))))
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

.PHONY: help env lab test test-fast test-assignment check-assignment release grade feedback export roster solutions new-assignment student-edition slides bench execute clean need-assignment

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

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
	@# jsonschema's optional IRI format check (pulled in by jupyter-events) builds a parser on import: 2 s of
	@# every nbgrader command and Jupyter server start. Nothing here validates IRIs; without it the check is skipped.
	$(BIN)/python -m pip uninstall --yes --quiet rfc3987-syntax
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (nn-course)"
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

env: $(STAMP)  ## Create .venv/ and install everything (idempotent)

# Root (containers, CI) needs --allow-root; ordinary users do not.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# ROLE=student adds tools/student/jupyter-config to Jupyter's config path; the student edition ships it.
lab: $(STAMP)  ## Start JupyterLab on the course (PORT=8888, ROLE=student for the students' view, LAB_ARGS for extra options)
	$(if $(filter instructor student,$(ROLE)),,$(error ROLE must be instructor or student, not '$(ROLE)'))
	$(if $(filter student,$(ROLE)),JUPYTER_CONFIG_PATH=$(CURDIR)/tools/student/jupyter-config$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))) $(BIN)/jupyter lab --port=$(PORT) --notebook-dir=. $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)  ## Run the whole test suite: unit tests, grading pipeline, every notebook under nbval
	$(BIN)/python -m pytest $(XDIST) $(NBVAL_FLAGS) tests $(NOTEBOOKS) $(PYTEST_ARGS)

# The fast tier: no notebooks, three students of each simulated class, and none of the routes that only `make test`
# drives (browser, servers, exchange, PostgreSQL, stock nbgrader, the attack class's other two paths; tests/scheduling.py).
test-fast: $(STAMP)  ## Unit tests, the grading pipeline on a sample of each class and the security suite; no notebooks
	NNCOURSE_CLASS=sample $(BIN)/python -m pytest $(XDIST) -m "not full_tier" tests $(PYTEST_ARGS)

test-assignment: need-assignment $(STAMP)  ## Prove one ASSIGNMENT: its spec, release, simulated class, solution, feedback, notebooks under nbval
	NNCOURSE_ASSIGNMENTS=$(ASSIGNMENT) $(BIN)/python -m pytest $(XDIST) $(NBVAL_FLAGS) tests/test_authoring.py tests/test_pipeline.py solutions/$(ASSIGNMENT) assignments/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb $(PYTEST_ARGS)

check-assignment: test-assignment  ## Alias of test-assignment

need-assignment:
	$(if $(filter $(ASSIGNMENT),$(ASSIGNMENT_IDS)),,$(error $(if $(ASSIGNMENT),$(if $(wildcard assignments/$(ASSIGNMENT)/*.ipynb),assignments/$(ASSIGNMENT)/ holds $(notdir $(wildcard assignments/$(ASSIGNMENT)/*.ipynb)) but nbgrader needs the notebook named after its folder: assignments/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb,there is no assignments/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb),ASSIGNMENT=<id> is missing); assignments: $(ASSIGNMENT_IDS)))

release: need-assignment $(STAMP)  ## Build the student version of ASSIGNMENT into release/
	$(BIN)/nbgrader generate_assignment $(ASSIGNMENT) --force

solutions: $(STAMP)  ## Regenerate solutions/ (executed) from the sources, or ASSIGNMENT's only; unchanged ones are left as they are
	$(BIN)/python -m nncourse.instructor.course solutions $(ASSIGNMENT)

new-assignment: $(STAMP)  ## Start assignments/NAME/NAME.ipynb and tests/specs/NAME.py from the template (tools/authoring)
	$(BIN)/python -m nncourse.instructor.course new-assignment $(NAME)

grade: need-assignment $(STAMP)  ## Autograde every submission of ASSIGNMENT in parallel, judged and sandboxed (JOBS=n, FORCE=1 regrades all)
	$(BIN)/python -m nncourse.grading.run $(ASSIGNMENT) --jobs $(JOBS) $(if $(FORCE),--force)

feedback: need-assignment $(STAMP)  ## Generate HTML feedback for ASSIGNMENT into feedback/ (regenerated, so a regrade is never shown stale)
	$(BIN)/nbgrader generate_feedback $(ASSIGNMENT) --force

export: $(STAMP)  ## Export the gradebook to grades.csv
	$(BIN)/nbgrader export

roster: $(STAMP)  ## Import students into the gradebook from FILE (CSV with id,first_name,last_name,email), so grades.csv has names
	$(if $(FILE),,$(error FILE=<students.csv> is missing: a CSV with the columns id,first_name,last_name,email))
	$(BIN)/nbgrader db student import $(FILE)

student-edition: $(STAMP)  ## Write the student edition, a git repository of its own, into build/student-edition/ (EDITION=path)
	$(BIN)/python -m nncourse.instructor.edition $(if $(EDITION),--out $(EDITION))

slides: $(STAMP)  ## Build a reveal.js deck per lecture into slides/ (offline)
	$(BIN)/python -m nncourse.instructor.slides

bench: $(STAMP)  ## Print wall time and peak memory per notebook, then grading throughput
	$(BIN)/python -m nncourse.instructor.bench $(BENCH_ARGS)
	$(BIN)/python -m nncourse.instructor.grading_bench --jobs $(JOBS)

execute: $(STAMP)  ## Re-run notebooks in a fresh kernel and store their outputs (NB=path, default all lectures)
	$(BIN)/python -m nncourse.instructor.course execute $(or $(NB),lectures/*.ipynb)

clean:  ## Remove generated course state (keeps .venv/)
	rm -rf release submitted autograded feedback exchange nn-course gradebook.db grades.csv test-artifacts .pytest_cache slides/*.html slides/_build
