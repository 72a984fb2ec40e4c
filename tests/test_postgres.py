"""The grading pipeline against a real PostgreSQL gradebook (SQLite stays the default).

The test starts a throwaway PostgreSQL server on loopback from Debian's `postgresql`
package (installed by .ci/system-packages), grades the simulated class of the
gradient-descent assignment with plain `nbgrader autograde` and with the parallel
runner of `make grade`, and removes the server afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nncourse.instructor.course import venv_env
from course import copy_course, gradebook_scores, load_spec, nbgrader
from simclass import write_class

AID = "gradient_descent"


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def as_server_user(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root; in CI (root) it runs as the `postgres` system user."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory):
    bindir = postgres_bin()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is not installed: .ci/system-packages installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    # Not under pytest's tmp folder: that is private to root, and the server runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="nncourse-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
        os.chmod(base, 0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_server_user([str(bindir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--no-sync"])
    as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "start",
                    "-o", f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off"])
    try:
        as_server_user([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "course"])
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/course"
    finally:
        as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_autograde_and_parallel_runner_with_postgresql(postgres_url, tmp_path):
    spec = load_spec(AID)
    root = copy_course(tmp_path / "course", [AID])
    nbgrader(root, "generate_assignment", AID, "--force", db_url=postgres_url)
    expected = write_class(root, AID, spec.SUBMISSIONS)
    nbgrader(root, "autograde", AID, "--create", "--force", db_url=postgres_url)
    assert gradebook_scores(postgres_url, AID) == pytest.approx(expected)
    assert not (root / "gradebook.db").exists(), "nbgrader wrote to SQLite although NBGRADER_DB_URL was set"

    # The parallel runner: two workers writing into the same PostgreSQL gradebook.
    shutil.rmtree(root / "autograded")
    env = venv_env() | {"NBGRADER_DB_URL": postgres_url}
    result = subprocess.run([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "2", "--chunk", "3"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert gradebook_scores(postgres_url, AID) == pytest.approx(expected)
    assert f"students graded: {len(expected)} of {len(expected)}" in result.stdout
