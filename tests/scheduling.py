"""The suite's long xdist scopes and how xdist names a scope (tests/conftest.py orders by them).

A module of its own, not conftest: tests/stock_course has a conftest.py too, and only one module
can be imported as ``conftest``."""

from __future__ import annotations

# Approximate seconds per scope on 2 cores (``make test --durations``, 2026-12-03), longest first.
LONG_SCOPES = {
    "tests/test_pipeline.py::TestPipeline_keras_workflow": 550,
    "tests/test_pipeline.py::TestPipeline_euler_residuals": 400,
    "tests/test_pipeline.py::TestPipeline_function_approximation": 300,
    "tests/test_browser.py": 250,
    "tests/test_stock_compat.py": 200,
    "tests/test_pipeline.py::TestPipeline_regularisation": 180,
    "tests/test_grading_security.py::TestAttacks_autograde": 170,
    "tests/test_grading_security.py::TestAttacks_make_grade": 170,
    "tests/test_grading_security.py::TestAttacks_formgrader": 170,
    "tests/test_pipeline.py::TestPipeline_optimisers": 170,
    "tests/test_attacks_round_trips.py": 150,
    "tests/test_pipeline.py::TestPipeline_autodiff": 150,
    "tests/test_authoring.py": 120,
    "tests/test_pipeline.py::TestPipeline_neurons": 120,
    "tests/test_grading_security.py::TestBadSubmissions": 110,
    "tests/test_pipeline.py::TestPipeline_backprop": 110,
    "tests/test_pipeline.py::TestPipeline_neural_odes": 110,
    "tests/test_postgres.py": 100,
    "lectures/10_genz_approximation.ipynb": 80,
    "tests/test_grading_security.py::TestRegrading": 75,
    "lectures/12_deep_equilibrium_nets.ipynb": 70,
    "tests/test_exchange.py": 70,
    "tests/test_grading_security.py::TestResume": 60,
}


# Scopes that only `make test` runs: `make test-fast` (``-m "not full_tier"``) leaves them out. Each drives another
# route to what the fast tier proves on the grader itself (a browser, a Jupyter server, the exchange, PostgreSQL,
# stock nbgrader, the Formgrader's and make grade's paths through the attack class, make targets that execute
# notebooks); CI runs them on every push through `make test`.
FULL_TIER_ONLY = {
    "tests/test_browser.py": "Chromium on the decks, the lab and the Formgrader",
    "tests/test_lab.py": "`make lab` servers for both roles",
    "tests/test_student_edition.py": "builds the edition and serves its lab",
    "tests/test_exchange.py": "release, fetch, submit and collect through nbgrader's exchange",
    "tests/test_postgres.py": "a PostgreSQL server and a class graded twice",
    "tests/test_offline_math.py": "feedback and the Formgrader in Chromium",
    "tests/test_stock_compat.py": "stock nbgrader and both of our paths on a stock assignment",
    "tests/test_slides.py": "builds reveal.js decks with node",
    "tests/test_grading_security.py::TestAttacks_make_grade": "the attack class through make grade's runner",
    "tests/test_grading_security.py::TestAttacks_formgrader": "the attack class through the Formgrader's call",
    "tests/test_authoring.py::test_make_new_assignment_starts_an_assignment_that_grades_as_its_spec_says":
        "make new-assignment, then a class graded",
    "tests/test_authoring.py::test_make_solutions_regenerates_one_assignment_and_rewrites_nothing_unchanged":
        "make solutions executes a notebook",
}


def in_full_tier_only(nodeid: str) -> bool:
    """Whether a test belongs to a scope (module, class) or is a test that FULL_TIER_ONLY names."""
    base = nodeid.split("[", 1)[0]
    parts = base.split("::")
    return any("::".join(parts[:i]) in FULL_TIER_ONLY for i in range(1, len(parts) + 1))


def loadscope_of(nodeid: str) -> str:
    """The scope pytest-xdist's loadscope gives a test (as its ``_split_scope``): class, else module."""
    return nodeid.rsplit("::", 1)[0]
