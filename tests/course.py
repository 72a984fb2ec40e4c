"""Drive real nbgrader on a temporary copy of the course (the pattern of nbgrader's own tests)."""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from nncourse.instructor.course import venv_env

REPO = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).resolve().parent / "specs"


def spec_ids() -> list[str]:
    """Assignments that have a simulated class in tests/specs/.

    NNCOURSE_ASSIGNMENTS=a,b narrows the list while an author works on one assignment.
    """
    ids = sorted(p.stem for p in SPECS.glob("*.py") if not p.stem.startswith("_"))
    wanted = [w for w in os.environ.get("NNCOURSE_ASSIGNMENTS", "").split(",") if w]
    return [i for i in ids if i in wanted] if wanted else ids


def load_spec(assignment: str):
    return importlib.import_module(f"specs.{assignment}")


# NNCOURSE_CLASS=sample (set by `make test-fast`) grades three students of each simulated class instead of all.
SAMPLE = ("full_solution", "blank_release")


def simulated_class(assignment: str) -> list:
    """The spec's submissions; under NNCOURSE_CLASS=sample, the full solution, the blank release and one partial.

    The sample keeps the two ends and one student who earns part of the points, so the fast tier still proves the
    release, the grading, feedback and export on every assignment; `make test` grades every student."""
    subs = list(load_spec(assignment).SUBMISSIONS)
    mode = os.environ.get("NNCOURSE_CLASS", "all")
    if mode == "all":
        return subs
    if mode != "sample":
        raise pytest.UsageError(f"NNCOURSE_CLASS must be 'all' or 'sample', not {mode!r}")
    from nncourse.instructor.simclass import expected_score
    import nbformat

    source = nbformat.read(REPO / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    ends = [s for s in subs if s.student in SAMPLE]
    full = max(expected_score(source, s) for s in ends)
    partial = [s for s in subs if s.raw_text is None and 0 < expected_score(source, s) < full]
    return ends + partial[:1]


def copy_course(target: Path, assignments: list[str] | None = None) -> Path:
    """A fresh course root with the config and the instructor sources, nothing generated."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", target / "nbgrader_config.py")
    for aid in assignments or [p.name for p in (REPO / "assignments").iterdir() if p.is_dir()]:
        shutil.copytree(REPO / "assignments" / aid, target / "assignments" / aid,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


def nbgrader(course: Path, *args: str, db_url: str | None = None, check: bool = True,
             timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in the course root; on failure the error shows nbgrader's log."""
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    if db_url:
        env["NBGRADER_DB_URL"] = db_url
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


# nbgrader's API on the course's nbgrader_config.py, as the Formgrader builds it: the start of a script run in the course.
NBGRADER_API = """
from nbgrader.apps import NbGrader
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

app = NbGrader()
app.load_cwd_config = True
app.load_config_file()
api = NbGraderAPI(coursedir=CourseDirectory(config=app.config), config=app.config)
"""

RELEASE_ALL = "import sys\n" + NBGRADER_API + """
for aid in sys.argv[1:]:
    result = api.generate_assignment(aid, force=True, create=True)
    if not result["success"]:
        sys.exit(f"generate_assignment {aid} failed: {result.get('error', '')} {result.get('log', '')}")
"""


def release_all(course: Path, assignments: list[str]) -> None:
    """Release several assignments in one process, through nbgrader's API (the Formgrader's Generate button):
    one start of nbgrader instead of one per assignment."""
    result = subprocess.run([sys.executable, "-c", RELEASE_ALL, *assignments], cwd=course, env=venv_env(),
                            capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise AssertionError(f"releasing {assignments} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def gradebook_scores(db_url: str, assignment: str) -> dict[str, float]:
    """student id -> total score of their submission of ``assignment``."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}


# ---------------------------------------------------------------- make and `make lab` on a folder
VENV = Path(sys.prefix) if (Path(sys.prefix) / "pyvenv.cfg").is_file() else REPO / ".venv"


def make(folder: Path, *args: str, env: dict | None = None, check: bool = True,
         timeout: int = 1800) -> subprocess.CompletedProcess:
    """``make <args>`` with ``folder``'s Makefile (a temporary course, or a student edition), using the
    environment these tests run in (``VENV=``) without reinstalling it (``-o`` its stamp)."""
    stamp = next(VENV.glob(".installed-*"))
    cmd = ["make", "--no-print-directory", "-C", str(folder), "-o", str(stamp), f"VENV={VENV}",
           f"VARIANT={stamp.name.removeprefix('.installed-')}", *args]
    # Not the variables of a make these tests run under (`make test-assignment ASSIGNMENT=x` puts
    # ASSIGNMENT in MAKEFLAGS, and in the environment, since make exports its command line's variables):
    # each call says what it passes.
    env_now = venv_env()
    overrides = env_now.get("MAKEFLAGS", "").partition(" -- ")[2].split()
    outer = {item.split("=", 1)[0] for item in overrides if "=" in item}
    inherited = {k: v for k, v in env_now.items()
                 if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", *outer}}
    result = subprocess.run(cmd, env=inherited | (env or {}), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"make {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, token: str, path: str, *, method: str = "GET", data: dict | None = None,
        raw: bool = False, timeout: float = 120):
    """A request to a Jupyter server with its token; the JSON answer (or the text, ``raw=True``)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(f"{base}{path}", data=body, method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
    return text if raw else json.loads(text)


@contextmanager
def lab_server(folder: Path, *make_args: str, env: dict | None = None, log: Path, wait: float = 120):
    """``make lab`` in ``folder`` on 127.0.0.1 with a free port and a random token; yields (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    lab_args = f"--no-browser --ip=127.0.0.1 --IdentityProvider.token={token} --ServerApp.port_retries=0"
    stamp = next(VENV.glob(".installed-*"))
    cmd = ["make", "--no-print-directory", "-C", str(folder), "-o", str(stamp), f"VENV={VENV}",
           f"VARIANT={stamp.name.removeprefix('.installed-')}", "lab", f"PORT={port}", f"LAB_ARGS={lab_args}",
           *make_args]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=venv_env() | (env or {}), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                api(base, token, "/api/status", timeout=10)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"make lab did not serve within {wait} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def page_config(base: str, token: str, page: str = "/lab") -> dict:
    """The page config JupyterLab sends with a page (its ``jupyter-config-data``), e.g. ``disabledExtensions``."""
    html = api(base, token, page, raw=True)
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no jupyter-config-data in {page}"
    return json.loads(match.group(1))


# ---------------------------------------------------------------- the judge on a plain kernel (test_judge, test_attacks_*)
@pytest.fixture(scope="module")
def kernel():
    """A plain (unsandboxed) kernel with the grading agent installed, and the judge's link to it."""
    import logging

    from jupyter_client import KernelManager

    from nncourse.grading.judge import AGENT_SOURCE, BOOTSTRAP, KernelLink

    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    link = KernelLink(km, timeout=20, log=logging.getLogger("test-judge-kernel"))
    link.run_code(BOOTSTRAP.format(source=AGENT_SOURCE))
    yield link
    link.kc.stop_channels()
    km.shutdown_kernel(now=True)


def student(link, code: str) -> None:
    """Run code as a student cell would (here without output capture)."""
    reply = link.run_code(code)
    assert reply["content"]["status"] == "ok", reply["content"]


def errors(outputs):
    return [o for o in outputs if o["output_type"] == "error"]
