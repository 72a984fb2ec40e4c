"""The suite's scheduling (tests/conftest.py): the long scopes it names exist, and they run first."""

from __future__ import annotations

import subprocess
import sys

from scheduling import LONG_SCOPES, loadscope_of
from course import REPO


def collected_scopes() -> list[str]:
    """Scopes of `pytest --collect-only` over what `make test` collects, in the order xdist gets them."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "no:xdist", "tests", "lectures/10_genz_approximation.ipynb",
                          "lectures/12_deep_equilibrium_nets.ipynb", "--nbval"],
                         cwd=REPO, capture_output=True, text=True, timeout=300).stdout
    scopes = []
    for line in out.splitlines():
        if "::" in line:
            scope = loadscope_of(line.strip())
            if not scopes or scopes[-1] != scope:
                scopes.append(scope)
    return scopes


def test_every_long_scope_names_a_scope_that_exists_and_they_come_first_longest_first():
    scopes = collected_scopes()
    missing = [s for s in LONG_SCOPES if s not in scopes]
    assert missing == [], f"tests/conftest.py names scopes that are not collected any more: {missing}"
    first = scopes[:len(LONG_SCOPES)]
    assert set(first) == set(LONG_SCOPES), "the long scopes do not all come first"
    weights = [LONG_SCOPES[s] for s in first]
    assert weights == sorted(weights, reverse=True), f"the long scopes are not longest first: {first}"
    assert len(scopes) == len(set(scopes)), "a scope's tests were split apart by the reordering"


def test_scopes_are_xdists():
    assert loadscope_of("tests/test_pipeline.py::TestPipeline_backprop::test_export_lists_every_student") == \
        "tests/test_pipeline.py::TestPipeline_backprop"
    assert loadscope_of("tests/test_judge.py::test_wire_round_trips_plain_data[3]") == "tests/test_judge.py"
    assert loadscope_of("lectures/10_genz_approximation.ipynb::Cell 4") == "lectures/10_genz_approximation.ipynb"
