"""The student edition: the course as students get it, a git repository of its own.

Run as ``python -m nncourse.instructor.edition [--out build/student-edition]`` (``make student-edition``).

This repository is the instructor's: it holds the assignments' sources (solutions and
hidden tests), the generated solutions and the simulated classes, and stays private.
The edition holds what students may see:

* ``lectures/`` as committed, with their outputs;
* ``slides/`` when ``make slides`` has built them (otherwise a note says so);
* ``assignments/<id>/``: each assignment as nbgrader's ``generate_assignment`` releases it
  (run here on a scratch copy of the sources, never copied from them);
* the helper package (``src/nncourse``) and the environment files;
* a student ``Makefile`` (``make lab``, no instructor targets), ``README.md``,
  ``nbgrader_config.py`` (course id and exchange) and ``jupyter-config/``, which turns
  the instructor tools (Formgrader, Create Assignment, Course List) off, all from
  ``tools/student/``.

Rebuilding keeps the edition's git history: the tree is replaced and committed when it
changed, so students can ``git pull`` the next edition. The path is printed last.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from nncourse.instructor.course import assignment_ids, course_root, venv_env

DEFAULT_OUT = Path("build") / "student-edition"
ENVIRONMENT_FILES = ("requirements.txt", "requirements-gpu.txt", "environment.yml", "pyproject.toml")
TEMPLATES = Path("tools") / "student"
IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")
# A released notebook must not hold these; the builder refuses to commit an edition that does.
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def course_id(root: Path) -> str:
    """The course id the instructor's nbgrader_config.py sets (students' exchange paths use it)."""
    text = (root / "nbgrader_config.py").read_text()
    match = re.search(r"""^c\.CourseDirectory\.course_id\s*=\s*["']([^"']+)["']""", text, re.M)
    if not match:
        raise ValueError(f"{root / 'nbgrader_config.py'} sets no c.CourseDirectory.course_id")
    return match.group(1)


def student_file(root: Path, name: str) -> str:
    """A file of tools/student/ with the course id filled in."""
    return (root / TEMPLATES / name).read_text().replace("__COURSE_ID__", course_id(root))


def release_all(root: Path, dest: Path) -> list[str]:
    """``nbgrader generate_assignment`` for every assignment on a scratch copy; the releases into ``dest/<id>/``."""
    ids = assignment_ids(root)
    with tempfile.TemporaryDirectory(prefix="nncourse-edition-") as scratch:
        course = Path(scratch)
        shutil.copy2(root / "nbgrader_config.py", course / "nbgrader_config.py")
        for aid in ids:
            shutil.copytree(root / "assignments" / aid, course / "assignments" / aid, ignore=IGNORE)
        # A throwaway gradebook and exchange: the course's own stay untouched.
        env = venv_env() | {"NBGRADER_DB_URL": f"sqlite:///{course / 'gradebook.db'}",
                            "NBGRADER_EXCHANGE": str(course / "exchange")}
        (course / "exchange").mkdir()
        result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force"],
                                cwd=course, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{result.stdout}\n{result.stderr}")
        for aid in ids:
            released = course / "release" / aid
            if not (released / f"{aid}.ipynb").is_file():
                raise RuntimeError(f"nbgrader released no {aid}/{aid}.ipynb:\n{result.stderr[-3000:]}")
            shutil.copytree(released, dest / aid, ignore=IGNORE)
            for path in (dest / aid).rglob("*.ipynb"):  # the sources' run times: churn, not content
                nb = nbformat.read(path, as_version=4)
                for cell in nb.cells:
                    cell.metadata.pop("execution", None)
                nbformat.write(nb, path)
    return ids


def check_released(folder: Path) -> None:
    """Refuse an edition whose notebooks still carry nbgrader's solution or hidden-test markers."""
    for nb in sorted(folder.rglob("*.ipynb")):
        text = nb.read_text()
        found = [m for m in MARKERS if m in text]
        if found:
            raise RuntimeError(f"{nb} still holds {found}: the edition is not written")


def git(out: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(out), *args], check=True, capture_output=True, text=True, **kwargs)


def instructor_commit(root: Path) -> str:
    try:
        head = git(root, "rev-parse", "--short", "HEAD").stdout.strip()
        dirty = git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "an unversioned course"
    return f"instructor commit {head}{' with uncommitted changes' if dirty else ''}"


def commit(out: Path, root: Path, cid: str) -> str:
    """Commit the edition's tree if it changed; return a line saying what happened."""
    if not (out / ".git").is_dir():
        git(out, "init", "--quiet")
        git(out, "symbolic-ref", "HEAD", "refs/heads/main")
    git(out, "add", "--all")
    has_head = subprocess.run(["git", "-C", str(out), "rev-parse", "--verify", "--quiet", "HEAD"],
                              capture_output=True).returncode == 0
    if has_head and subprocess.run(["git", "-C", str(out), "diff", "--cached", "--quiet"]).returncode == 0:
        return f"git: unchanged since {git(out, 'rev-parse', '--short', 'HEAD').stdout.strip()}"
    identity = []
    if not subprocess.run(["git", "-C", str(out), "config", "user.email"], capture_output=True, text=True).stdout.strip():
        identity = ["-c", f"user.name={cid}", "-c", f"user.email={cid}@localhost"]
    git(out, *identity, "commit", "--quiet", "-m", f"Student edition of {cid}, from {instructor_commit(root)}")
    files = len(git(out, "ls-files").stdout.splitlines())
    return f"git: committed {git(out, 'rev-parse', '--short', 'HEAD').stdout.strip()} ({files} files)"


def prepare_out(out: Path, root: Path) -> None:
    """Empty ``out`` except its .git, after checking it is an edition (or new) and not the course itself."""
    if out == root or out in root.parents:
        raise ValueError(f"--out {out} holds the course itself")
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"--out {out} is a file")
        if any(out.iterdir()) and not (out / ".git").is_dir():
            raise ValueError(f"--out {out} is not empty and not a student edition (no .git): choose another folder")
        for child in out.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def copy_slides(slides: Path, dest: Path) -> bool:
    """Copy built decks (``make slides``: index.html, one deck per lecture, _build/); False when none are built."""
    if not (slides / "index.html").is_file():
        return False
    shutil.copytree(slides, dest, ignore=IGNORE)
    return True


def build(root: Path, out: Path) -> list[str]:
    """Write the edition into ``out`` and commit it; return the report lines (the path last)."""
    root, out = root.resolve(), out.resolve()
    cid = course_id(root)
    prepare_out(out, root)
    report = []
    ids = release_all(root, out / "assignments")
    check_released(out / "assignments")
    report.append(f"assignments: {len(ids)} released with nbgrader ({', '.join(ids)})")
    shutil.copytree(root / "lectures", out / "lectures", ignore=IGNORE)
    report.append(f"lectures: {len(list((out / 'lectures').glob('*.ipynb')))} notebooks with their outputs")
    if copy_slides(root / "slides", out / "slides"):
        report.append(f"slides: {len(list((out / 'slides').glob('*.html'))) - 1} decks")
    else:
        report.append("slides: not built, so not included (run `make slides`, then `make student-edition` again)")
    shutil.copytree(root / "src" / "nncourse", out / "src" / "nncourse", ignore=IGNORE)
    for name in ENVIRONMENT_FILES:
        shutil.copy2(root / name, out / name)
    for name in ("Makefile", "README.md", "nbgrader_config.py"):
        (out / name).write_text(student_file(root, name))
    (out / ".gitignore").write_text(student_file(root, "gitignore"))
    shutil.copytree(root / TEMPLATES / "jupyter-config", out / "jupyter-config")
    report.append(commit(out, root, cid))
    report.append(str(out))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.instructor.edition", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help=f"the edition's folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    root = course_root()
    try:
        lines = build(root, args.out if args.out is not None else root / DEFAULT_OUT)
    except (ValueError, RuntimeError) as error:
        parser.exit(2, f"student edition: {error}\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
