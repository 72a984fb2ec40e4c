"""Course tooling behind the Makefile: execute notebooks, regenerate solutions.

Run as ``python -m nncourse.course <command> [paths...]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

# Generous per-cell limit: a lecture's whole budget is 90 s, so a hung cell is a bug.
CELL_TIMEOUT_SECONDS = 600


def course_root(start: Path | None = None) -> Path:
    """The directory holding nbgrader_config.py, searched upwards from ``start`` (default: the working directory)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise FileNotFoundError(f"no nbgrader_config.py in {here} or any parent: run this inside the course")


def execute_notebook(path: Path, *, timeout: int = CELL_TIMEOUT_SECONDS, kernel_name: str = "python3") -> float:
    """Run a notebook top to bottom in a fresh kernel, in its own folder, and store the outputs.

    Returns the wall time in seconds. Raises ``nbclient.exceptions.CellExecutionError``
    (with the failing cell and traceback) when a cell fails, leaving the file untouched.
    """
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def assignment_ids(root: Path) -> list[str]:
    """Assignments are the folders of ``assignments/`` that hold a notebook of the same name."""
    return sorted(p.parent.name for p in (root / "assignments").glob("*/*.ipynb") if p.stem == p.parent.name)


def venv_env() -> dict[str, str]:
    """The environment with this interpreter's bin first: nbgrader runs `alembic` and `jupyter` by name."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate_solutions(root: Path, ids: list[str] | None = None) -> list[Path]:
    """``nbgrader generate_solution`` for each assignment; nbgrader executes the result in a fresh kernel."""
    written = []
    # nbgrader wants the assignment in a gradebook; a throwaway one keeps the course's untouched.
    scratch = tempfile.mkdtemp(prefix="nncourse-solutions-")
    env = venv_env() | {"NBGRADER_DB_URL": f"sqlite:///{scratch}/gradebook.db"}
    for aid in ids or assignment_ids(root):
        start = time.perf_counter()
        nbgrader = [sys.executable, "-m", "nbgrader"]
        subprocess.run([*nbgrader, "db", "assignment", "add", aid], cwd=root, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run([*nbgrader, "generate_solution", aid, "--force"], cwd=root, check=True, env=env)
        print(f"solutions/{aid}: generated and executed in {time.perf_counter() - start:.1f} s")
        written.extend(sorted((root / "solutions" / aid).glob("*.ipynb")))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="run notebooks in a fresh kernel and store outputs")
    ex.add_argument("notebooks", nargs="+", type=Path)
    so = sub.add_parser("solutions", help="regenerate and execute solutions/ from assignments/")
    so.add_argument("ids", nargs="*")
    args = parser.parse_args(argv)

    if args.command == "execute":
        for nb in args.notebooks:
            if not nb.is_file():
                parser.error(f"no such notebook: {nb}")
            print(f"executed {nb} in {execute_notebook(nb):.1f} s")
    elif args.command == "solutions":
        generate_solutions(course_root(), args.ids or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
