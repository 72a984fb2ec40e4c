"""The longest xdist scopes first.

``--dist loadscope`` hands out scopes (a module, or a class of ``tests/test_pipeline.py``) in
collection order. A long scope collected last (a whole simulated class graded through nbgrader)
ends the run on one worker while the other waits, so the scopes measured to take minutes are
moved to the front: longest processing time first. Order within a scope is kept; every other
scope keeps its collection order after these. The weights only order; nothing depends on them.
"""

from __future__ import annotations

# Approximate seconds per scope on 2 cores (``make test --durations``, 2026-12-03), longest first.
LONG_SCOPES = {
    "tests/test_grading_security.py": 700,
    "tests/test_pipeline.py::TestPipeline_keras_workflow": 550,
    "tests/test_pipeline.py::TestPipeline_euler_residuals": 400,
    "tests/test_pipeline.py::TestPipeline_function_approximation": 300,
    "tests/test_browser.py": 250,
    "tests/test_stock_compat.py": 200,
    "tests/test_pipeline.py::TestPipeline_regularisation": 180,
    "tests/test_pipeline.py::TestPipeline_optimisers": 170,
    "tests/test_attacks_round_trips.py": 150,
    "tests/test_pipeline.py::TestPipeline_autodiff": 150,
    "tests/test_authoring.py": 120,
    "tests/test_pipeline.py::TestPipeline_neurons": 120,
    "tests/test_pipeline.py::TestPipeline_backprop": 110,
    "tests/test_pipeline.py::TestPipeline_neural_odes": 110,
    "tests/test_postgres.py": 100,
    "lectures/10_genz_approximation.ipynb": 80,
    "lectures/12_deep_equilibrium_nets.ipynb": 70,
    "tests/test_exchange.py": 70,
}


def loadscope_of(nodeid: str) -> str:
    """The scope pytest-xdist's loadscope gives a test (as its ``_split_scope``): class, else module."""
    return nodeid.rsplit("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    weight = {id(item): LONG_SCOPES.get(loadscope_of(item.nodeid), 0) for item in items}
    items.sort(key=lambda item: -weight[id(item)])  # stable: the order within a scope is kept
