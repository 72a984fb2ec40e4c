"""Grading throughput: stock sequential ``nbgrader autograde`` against ``make grade``.

    python -m nncourse.grading.bench [--assignment gradient_descent] [--students 100] [--jobs N]

Both grade the same synthetic class on fresh copies of the course: stock nbgrader with
a plain configuration (no sandbox, no policy), and the runner of ``make grade`` with
the course's configuration (sandbox on). Prints submissions per minute and the peak
resident memory of the largest process for each.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nncourse.course import course_root, venv_env
from nncourse.grading.simclass import Submission, answer_cells, build_submission

STOCK_CONFIG = '''c = get_config()
c.CourseDirectory.root = r"{root}"
c.CourseDirectory.source_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
'''


def make_course(target: Path, assignment: str, stock: bool) -> Path:
    repo = course_root()
    target.mkdir(parents=True)
    if stock:
        (target / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=target))
    else:
        shutil.copy2(repo / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copytree(repo / "assignments" / assignment, target / "assignments" / assignment)
    return target


def synthetic_class(course: Path, assignment: str, students: int) -> None:
    """Full solutions, blank releases and one-answer-missing variants, cycled to ``students`` notebooks."""
    source = nbformat.read(course / "assignments" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    variants = [Submission("full"), Submission("blank", blank=True)]
    variants += [Submission(gid, {gid: "raise NotImplementedError()\n"}) for gid in answer_cells(source)]
    for i in range(students):
        nb = build_submission(release, source, variants[i % len(variants)])
        folder = course / "submitted" / f"student{i:04d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB of the largest process) of a command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.grading.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="gradient_descent")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)

    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        for label, stock in (("stock nbgrader autograde (sequential)", True),
                             (f"make grade (sandboxed, {args.jobs} jobs)", False)):
            course = make_course(Path(tmp) / ("stock" if stock else "ours"), args.assignment, stock)
            subprocess.run([*nbgrader, "generate_assignment", args.assignment, "--force"], cwd=course, env=env,
                           check=True, capture_output=True)
            synthetic_class(course, args.assignment, args.students)
            cmd = ([*nbgrader, "autograde", args.assignment, "--create"] if stock else
                   [sys.executable, "-m", "nncourse.grading.run", args.assignment, "--jobs", str(args.jobs)])
            seconds, peak = timed(cmd, course, env)
            rows.append((label, seconds, args.students / seconds * 60, peak))
            print(f"{label:<40} {seconds:7.1f} s  {rows[-1][2]:6.1f} submissions/min  peak {peak:5.0f} MiB",
                  flush=True)
    print(f"speed-up of make grade over stock: {rows[1][2] / rows[0][2]:.2f}x "
          f"({args.students} submissions of {args.assignment}, {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
