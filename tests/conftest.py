"""The longest xdist scopes first.

``--dist loadscope`` hands out scopes (a module, or a class of ``tests/test_pipeline.py``) in
collection order. A long scope collected last (a whole simulated class graded through nbgrader)
ends the run on one worker while the other waits, so the scopes measured to take minutes are
moved to the front: longest processing time first. Order within a scope is kept; every other
scope keeps its collection order after these. The weights only order; nothing depends on them.

It also marks ``full_tier`` the tests that only ``make test`` runs (scheduling.FULL_TIER_ONLY).
"""

from __future__ import annotations

import pytest

from scheduling import LONG_SCOPES, in_full_tier_only, loadscope_of


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if in_full_tier_only(item.nodeid):
            item.add_marker(pytest.mark.full_tier)
    weight = {id(item): LONG_SCOPES.get(loadscope_of(item.nodeid), 0) for item in items}
    items.sort(key=lambda item: -weight[id(item)])  # stable: the order within a scope is kept
