"""The suite's scheduling (tests/conftest.py): the long scopes it names exist, and they run first."""

from __future__ import annotations

import functools
import subprocess
import sys

from scheduling import FULL_TIER_ONLY, LONG_SCOPES, in_full_tier_only, loadscope_of
from course import REPO, spec_ids


@functools.cache
def collected(*args: str) -> list[str]:
    """Test ids of `pytest --collect-only <args>`, in collection order (after tests/conftest.py's reordering)."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "no:xdist", *args], cwd=REPO, capture_output=True, text=True, timeout=300).stdout
    return [line.strip() for line in out.splitlines() if "::" in line]


MAKE_TEST = ("tests", "lectures/10_genz_approximation.ipynb", "lectures/12_deep_equilibrium_nets.ipynb", "--nbval")


def collected_scopes() -> list[str]:
    """Scopes of what `make test` collects, in the order xdist gets them."""
    scopes = []
    for nodeid in collected(*MAKE_TEST):
        scope = loadscope_of(nodeid)
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


def test_the_fast_tier_leaves_out_only_what_full_tier_only_names_and_keeps_the_grader():
    everything = [n for n in collected(*MAKE_TEST) if n.startswith("tests/")]
    fast = collected("tests", "-m", "not full_tier")
    unknown = [key for key in FULL_TIER_ONLY
               if not any(n == key or n.startswith((key + "::", key + "[")) for n in everything)]
    assert unknown == [], f"FULL_TIER_ONLY names nothing that is collected: {unknown}"
    assert fast == [n for n in everything if not in_full_tier_only(n)], "the full_tier marker and the list disagree"
    kept = {loadscope_of(n) for n in fast}
    wanted = {f"tests/test_pipeline.py::TestPipeline_{aid}" for aid in spec_ids()} | {
        f"tests/test_grading_security.py::{cls}"
        for cls in ("TestAttacks_autograde", "TestBadSubmissions", "TestRegrading", "TestResume")} | {
        "tests/test_sandbox.py", "tests/test_release_leaks.py", "tests/test_judge.py", "tests/test_attacks_round_trips.py"}
    assert wanted <= kept, f"the fast tier lost: {sorted(wanted - kept)}"
