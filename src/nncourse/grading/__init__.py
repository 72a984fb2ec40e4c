"""The grader, used by nbgrader_config.py and `make grade`: the judge and the student kernel's agent,
the sandbox, preflight, hardening of submitted folders, feedback that hides hidden tests, offline
math, and the parallel runner. Its benchmark and the simulated classes are instructor tooling
(`nncourse.instructor`)."""

import functools


def cache_alembic_version() -> None:
    """Run nbgrader's `alembic heads` check once per process instead of at every gradebook opening.

    nbgrader asks a fresh `alembic` subprocess for the schema head each time it opens the
    gradebook (about 0.5 s of CPU, several times per graded notebook). The answer is fixed for
    the installed nbgrader, so caching it changes nothing but the time.
    """
    import nbgrader.api

    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.lru_cache(maxsize=None)(nbgrader.api.get_alembic_version)
