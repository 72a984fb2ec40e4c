"""Grading speed: seconds per submission for every assignment, and ``make grade`` against stock nbgrader.

    python -m nncourse.instructor.grading_bench [--assignment gradient_descent] [--students 100] [--jobs N]
                                     [--per-assignment K] [--record-baseline CHECKOUT]

1. Per assignment: one sequential ``nbgrader autograde`` (judged and sandboxed, the course's
   configuration) of K synthetic submissions; prints seconds per submission beside the figure
   recorded in ``docs/grading-baseline.json`` for the grading before the judge (a checkout of
   commit 8a5f28e, measured with ``--record-baseline``).
2. Throughput: the same synthetic class graded on fresh copies of the course by stock
   nbgrader (a plain configuration, sequential) and by ``make grade``'s runner (judged,
   sandboxed, N jobs). Prints submissions per minute and the peak resident memory of the
   largest process for each.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nncourse.instructor.course import course_root, venv_env
from nncourse.instructor.simclass import Submission, answer_cells, build_submission

STOCK_CONFIG = '''c = get_config()
c.CourseDirectory.root = r"{root}"
c.CourseDirectory.source_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
'''


BASELINE = Path(__file__).resolve().parents[3] / "docs" / "grading-baseline.json"


def make_course(target: Path, assignment: str, stock: bool, repo: Path | None = None) -> Path:
    repo = repo or course_root()
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


def seconds_per_submission(assignment: str, students: int, repo: Path, env: dict) -> float:
    """One sequential autograde of ``students`` synthetic submissions with ``repo``'s configuration."""
    nbgrader = [sys.executable, "-m", "nbgrader"]
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        course = make_course(Path(tmp) / "course", assignment, stock=False, repo=repo)
        subprocess.run([*nbgrader, "generate_assignment", assignment, "--force"], cwd=course, env=env,
                       check=True, capture_output=True)
        synthetic_class(course, assignment, students)
        seconds, _ = timed([*nbgrader, "autograde", assignment, "--create"], course, env)
    return seconds / students


def _env(checkout: Path | None) -> dict:
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    if checkout is not None:  # the older helper package shadows the installed one
        env["PYTHONPATH"] = str(checkout / "src")
    return env


def per_assignment(students: int, baseline_checkout: Path | None, only: list[str] | None = None) -> None:
    """Seconds per submission of every assignment; with a baseline checkout, both measured in turn and recorded."""
    here = course_root()
    ids = sorted(p.name for p in (here / "assignments").iterdir() if (p / f"{p.name}.ipynb").is_file())
    ids = [aid for aid in ids if not only or aid in only]
    recorded = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    before_figures = recorded.get("before", {})
    after_figures = dict(recorded.get("after", {}))  # a subset measured (--only) keeps the others' figures
    sizes = recorded.get("students", {})
    sizes = dict(sizes) if isinstance(sizes, dict) else {aid: sizes for aid in after_figures}
    print(f"{'assignment':<24} {'s/submission':>12} {'before':>8} {'ratio':>9}", flush=True)
    for aid in ids:
        if baseline_checkout is not None:
            before_figures[aid] = seconds_per_submission(aid, students, baseline_checkout, _env(baseline_checkout))
        after_figures[aid] = seconds_per_submission(aid, students, here, _env(None))
        sizes[aid] = students
        before = before_figures.get(aid)
        ratio = f"{before / after_figures[aid]:8.2f}x" if before else ""
        print(f"{aid:<24} {after_figures[aid]:12.2f} {before or float('nan'):8.2f} {ratio:>9}", flush=True)
    if any(aid in before_figures for aid in ids):
        print("before: the assignment and the grader of the recorded baseline checkout (docs/grading-baseline.json); "
              "an assignment rewritten since asks for other work, so its ratio compares different notebooks",
              flush=True)
    if baseline_checkout is not None:
        BASELINE.write_text(json.dumps({
            "what": "seconds per submission, one sequential `nbgrader autograde` of a synthetic class with the "
                    "course configuration; 'before' is commit 8a5f28e (one sandboxed kernel, answer policy), "
                    "'after' the judge, measured in turn on the same machine",
            "students": sizes, "cores": os.cpu_count(), "before": before_figures, "after": after_figures},
            indent=1) + "\n")
        print(f"recorded in {BASELINE}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.instructor.grading_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="gradient_descent")
    parser.add_argument("--students", type=int, default=100,
                        help="submissions for the throughput comparison (0: skip it)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--per-assignment", type=int, default=6, metavar="K",
                        help="submissions per assignment for the seconds-per-submission table (0: skip)")
    parser.add_argument("--record-baseline", type=Path, default=None, metavar="CHECKOUT",
                        help="measure an older checkout and record its figures as the baseline")
    parser.add_argument("--only", action="append", default=None, metavar="ASSIGNMENT",
                        help="limit the seconds-per-submission table to this assignment (repeatable)")
    args = parser.parse_args(argv)
    if args.per_assignment:
        per_assignment(args.per_assignment, args.record_baseline, args.only)
    if args.record_baseline is not None or args.students <= 0:
        return 0

    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        for label, stock in (("stock nbgrader autograde (sequential)", True),
                             (f"make grade (judged, sandboxed, {args.jobs} jobs)", False)):
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
