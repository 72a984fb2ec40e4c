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


def loadscope_of(nodeid: str) -> str:
    """The scope pytest-xdist's loadscope gives a test (as its ``_split_scope``): class, else module."""
    return nodeid.rsplit("::", 1)[0]
