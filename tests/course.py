"""Drive real nbgrader on a temporary copy of the course (the pattern of nbgrader's own tests)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nncourse.course import venv_env

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


def gradebook_scores(db_url: str, assignment: str) -> dict[str, float]:
    """student id -> total score of their submission of ``assignment``."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}
