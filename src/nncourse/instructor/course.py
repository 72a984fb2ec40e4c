"""Course tooling behind the Makefile: execute notebooks, regenerate solutions, start an assignment.

Run as ``python -m nncourse.instructor.course <command> [args...]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

# Generous per-cell limit: a lecture's whole budget is 90 s, so a hung cell is a bug.
CELL_TIMEOUT_SECONDS = 600
# An assignment id names its folder, its notebook, its spec module and nbgrader's assignment.
ASSIGNMENT_ID = re.compile(r"[a-z][a-z0-9_]*")
AUTHORING = Path("tools") / "authoring"


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


def misnamed_assignments(root: Path) -> dict[str, list[str]]:
    """Folders of ``assignments/`` whose notebooks are not named after the folder: folder -> notebooks.

    nbgrader finds an assignment's notebook as ``assignments/<id>/<id>.ipynb``; any other name is ignored.
    """
    found = {}
    for folder in sorted(p for p in (root / "assignments").iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (folder / f"{folder.name}.ipynb").is_file():
            found[folder.name] = sorted(p.name for p in folder.glob("*.ipynb"))
    return found


def venv_env() -> dict[str, str]:
    """The environment with this interpreter's bin first: nbgrader runs `alembic` and `jupyter` by name."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _without_timestamps(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook without what changes at every run of the same code (each cell's execution times)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def same_content(a: Path, b: Path) -> bool:
    """Do two files hold the same content, ignoring a notebook's execution timestamps?"""
    if a.suffix == ".ipynb" and b.suffix == ".ipynb":
        return _without_timestamps(nbformat.read(a, as_version=4)) == _without_timestamps(nbformat.read(b, as_version=4))
    return a.read_bytes() == b.read_bytes()


def generate_solutions(root: Path, ids: list[str] | None = None) -> list[Path]:
    """``nbgrader generate_solution`` for each assignment (all, or ``ids``); nbgrader executes each in a fresh kernel.

    The solutions are generated on a scratch copy of the course (its own gradebook, so the course's
    stays untouched) and copied into ``solutions/<id>/`` only where their content changed: a rerun
    of unchanged sources rewrites nothing (no timestamp-only changes). Returns the files written.
    """
    known = assignment_ids(root)
    unknown = [aid for aid in ids or [] if aid not in known]
    if unknown:
        raise ValueError(f"no assignment {', '.join(unknown)} (assignments/<id>/<id>.ipynb); assignments: {' '.join(known)}")
    written = []
    with tempfile.TemporaryDirectory(prefix="nncourse-solutions-") as scratch:
        course = Path(scratch)
        shutil.copy2(root / "nbgrader_config.py", course / "nbgrader_config.py")
        env = venv_env() | {"NBGRADER_DB_URL": f"sqlite:///{course / 'gradebook.db'}",
                            "NBGRADER_EXCHANGE": str(course / "exchange")}
        nbgrader = [sys.executable, "-m", "nbgrader"]
        for aid in ids or known:
            start = time.perf_counter()
            shutil.copytree(root / "assignments" / aid, course / "assignments" / aid,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            subprocess.run([*nbgrader, "db", "assignment", "add", aid], cwd=course, check=True, env=env,
                           stdout=subprocess.DEVNULL)
            subprocess.run([*nbgrader, "generate_solution", aid, "--force"], cwd=course, check=True, env=env)
            fresh, target = course / "solutions" / aid, root / "solutions" / aid
            changed = []
            for path in sorted(p for p in fresh.rglob("*") if p.is_file()):
                dest = target / path.relative_to(fresh)
                if not (dest.is_file() and same_content(path, dest)):
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
                    changed.append(dest)
            for stale in sorted(p for p in target.rglob("*") if p.is_file()):
                if not (fresh / stale.relative_to(target)).exists():
                    stale.unlink()
                    changed.append(stale)
            what = f"{len(changed)} file(s) updated" if changed else "unchanged"
            print(f"solutions/{aid}: generated and executed in {time.perf_counter() - start:.1f} s, {what}")
            written.extend(changed)
    return written


def new_assignment(root: Path, name: str | None) -> list[Path]:
    """Start ``assignments/<name>/<name>.ipynb`` and ``tests/specs/<name>.py`` from the template in tools/authoring."""
    if not name:
        raise ValueError("NAME=<id> is missing: make new-assignment NAME=my_assignment")
    stem = Path(name).stem if name.endswith(".ipynb") else Path(name).name
    if name != stem:
        raise ValueError(f"NAME is the assignment's id, not a path or a file: NAME={stem} makes "
                         f"assignments/{stem}/{stem}.ipynb (nbgrader needs the folder and the notebook named alike)")
    if not ASSIGNMENT_ID.fullmatch(name):
        raise ValueError(f"NAME={name!r}: use lowercase letters, digits and _, starting with a letter "
                         "(it names the folder, the notebook, the spec module and nbgrader's assignment id)")
    notebook, spec = root / "assignments" / name / f"{name}.ipynb", root / "tests" / "specs" / f"{name}.py"
    for existing in (notebook.parent, spec):
        if existing.exists():
            raise ValueError(f"{existing.relative_to(root)} exists already")
    template = (root / AUTHORING / "template.ipynb").read_text()
    spec_text = (root / AUTHORING / "spec_template.py").read_text()
    notebook.parent.mkdir(parents=True)
    notebook.write_text(template.replace("__NAME__", name))
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(spec_text.replace("__NAME__", name))
    return [notebook, spec]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.instructor.course", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="run notebooks in a fresh kernel and store outputs")
    ex.add_argument("notebooks", nargs="+", type=Path)
    so = sub.add_parser("solutions", help="regenerate and execute solutions/ from assignments/ (all, or the ids given)")
    so.add_argument("ids", nargs="*")
    new = sub.add_parser("new-assignment", help="start assignments/NAME/NAME.ipynb and its spec from the template")
    new.add_argument("name", nargs="?")
    args = parser.parse_args(argv)

    if args.command == "execute":
        for nb in args.notebooks:
            if not nb.is_file():
                parser.error(f"no such notebook: {nb}")
            print(f"executed {nb} in {execute_notebook(nb):.1f} s")
    elif args.command == "solutions":
        try:
            generate_solutions(course_root(), args.ids or None)
        except ValueError as error:
            parser.exit(2, f"make solutions: {error}\n")
    elif args.command == "new-assignment":
        root = course_root()
        try:
            made = new_assignment(root, args.name)
        except ValueError as error:
            parser.exit(2, f"make new-assignment: {error}\n")
        for path in made:
            print(f"wrote {path.relative_to(root)}")
        print(f"next: write the parts and the spec, then `make solutions ASSIGNMENT={args.name}` and "
              f"`make test-assignment ASSIGNMENT={args.name}` (docs/authoring.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
