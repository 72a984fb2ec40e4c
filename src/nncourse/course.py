"""Course tooling behind the Makefile: execute notebooks, regenerate solutions.

Run as ``python -m nncourse.course <command> [paths...]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat

# Generous per-cell limit: a lecture's whole budget is 90 s, so a hung cell is a bug.
CELL_TIMEOUT_SECONDS = 600


def course_root() -> Path:
    """The directory holding nbgrader_config.py, searched upwards from the working directory."""
    here = Path.cwd().resolve()
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


def generate_solutions(root: Path, ids: list[str] | None = None) -> list[Path]:
    """``nbgrader generate_solution`` for each assignment, then execute the result in place."""
    written = []
    for aid in ids or assignment_ids(root):
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_solution", aid, "--force"], cwd=root, check=True)
        for nb in sorted((root / "solutions" / aid).glob("*.ipynb")):
            seconds = execute_notebook(nb)
            print(f"executed {nb.relative_to(root)} in {seconds:.1f} s")
            written.append(nb)
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
