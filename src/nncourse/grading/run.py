"""``make grade``: autograde every submission of an assignment, in parallel, safely.

    python -m nncourse.grading.run ASSIGNMENT [--jobs N] [--chunk K]

- Each submission is first read by ``preflight`` (broken files become reasons, not crashes)
  and staged in a private folder; ``submitted/`` is never modified.
- Worker processes run real ``nbgrader autograde`` (sandboxed by nbgrader_config.py) on
  chunks of students, so the gradebook, the Formgrader and feedback work as usual; SQLite
  and PostgreSQL gradebooks both take the concurrent writes.
- A student whose chunk fails is retried alone; if grading still fails (a kernel that
  kills itself, a crash) the blank release is graded instead and the student is flagged,
  so every student ends with a recorded score.
- Each recorded result is appended to ``autograded/.grading-ledger.jsonl`` (fsync'd); a rerun
  after an interruption (even kill -9) skips students already recorded with the same
  submission, and regrading with ``--force`` never duplicates a submission.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from nncourse.course import course_root, venv_env
from nncourse.grading import cache_alembic_version
from nncourse.grading.preflight import load_submission
from nncourse.grading.preprocessors import add_notice, notice_reasons
from nncourse.grading.sandbox import SandboxUnavailable, check_sandbox_available
from nncourse.progress import progress

LEDGER = ".grading-ledger.jsonl"
PROCESS_TIMEOUT_SECONDS = 3600


@dataclass
class Result:
    student: str
    score: float | None
    max_score: float | None
    fingerprint: str
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def read_ledger(path: Path) -> dict[str, dict]:
    """student -> last recorded result; a torn last line (kill -9 mid-write) is ignored."""
    done: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            done[entry["student"]] = entry
    return done


def append_ledger(path: Path, result: Result) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(asdict(result)) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def db_url(root: Path) -> str:
    """The gradebook URL exactly as nbgrader will see it (NBGRADER_DB_URL or the config's default)."""
    return os.environ.get("NBGRADER_DB_URL") or f"sqlite:///{root / 'gradebook.db'}"


def recorded_scores(url: str, assignment: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook, MissingEntry

    cache_alembic_version()
    with Gradebook(url) as gb:
        try:
            return {s.student.id: (float(s.score), float(s.max_score)) for s in gb.assignment_submissions(assignment)}
        except MissingEntry:
            return {}


def nbgrader(root: Path, *args: str, timeout: int = PROCESS_TIMEOUT_SECONDS) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=venv_env(), capture_output=True,
                          text=True, timeout=timeout)


def stage(root: Path, staging: Path, assignment: str, student: str, release_nb) -> list[str]:
    """Copy one submission into ``staging/<student>/<assignment>/`` in a gradable state; return the reasons."""
    source = root / "submitted" / student / assignment
    target = staging / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    if (source / "timestamp.txt").is_file():
        shutil.copy2(source / "timestamp.txt", target / "timestamp.txt")
    nb, reasons = load_submission(source / f"{assignment}.ipynb", release_nb)
    add_notice(nb, reasons)
    nbformat.write(nb, target / f"{assignment}.ipynb")
    return reasons


def autograde_chunk(root: Path, assignment: str, staging: Path) -> subprocess.CompletedProcess | None:
    try:
        return nbgrader(root, "autograde", assignment, "--create", "--force",
                        f"--CourseDirectory.submitted_directory={staging}")
    except subprocess.TimeoutExpired:
        return None


def graded_ok(root: Path, assignment: str, student: str) -> bool:
    return (root / "autograded" / student / assignment / f"{assignment}.ipynb").is_file()


def grade(assignment: str, *, jobs: int, chunk: int, root: Path | None = None, quiet: bool = False) -> list[Result]:
    root = root or course_root()
    check_sandbox_available()
    release_path = root / "release" / assignment / f"{assignment}.ipynb"
    if not release_path.is_file():
        raise FileNotFoundError(f"{release_path} is missing: run `make release ASSIGNMENT={assignment}` first")
    release_nb = nbformat.read(release_path, as_version=4)
    submitted = root / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    if not students:
        raise FileNotFoundError(f"no submissions in {submitted}/<student>/{assignment}/")
    ledger_path = root / "autograded" / LEDGER
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    url = db_url(root)
    done = read_ledger(ledger_path)
    recorded = recorded_scores(url, assignment)
    prints = {s: fingerprint(submitted / s / assignment / f"{assignment}.ipynb") for s in students}
    todo = [s for s in students if not (s in done and done[s]["fingerprint"] == prints[s] and s in recorded)]
    results = {s: Result(**done[s]) for s in students if s not in todo}

    staging_root = Path(tempfile.mkdtemp(prefix=f"nncourse-grade-{assignment}-"))
    bar = progress(total=len(students), desc=f"grading {assignment}", initial=len(results), disable=quiet)
    reasons: dict[str, list[str]] = {}
    started: dict[str, float] = {}

    def run_group(group: list[str], tag: str) -> list[str]:
        """Autograde a group of students in one nbgrader process; return those still ungraded."""
        staging = staging_root / tag
        for s in group:
            reasons[s] = stage(root, staging, assignment, s, release_nb)
            started[s] = time.perf_counter()
            shutil.rmtree(root / "autograded" / s / assignment, ignore_errors=True)
        autograde_chunk(root, assignment, staging)
        return [s for s in group if not graded_ok(root, assignment, s)]

    def record(students: list[str], extra: list[str] = ()) -> None:
        """Read the scores of a finished group in one gradebook query and append them to the ledger."""
        scores = recorded_scores(url, assignment)  # one connection per group: opening one is slow
        for student in students:
            nb_path = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            flags = list(reasons.get(student, []))
            if nb_path.is_file():
                flags += [r for r in notice_reasons(nbformat.read(nb_path, as_version=4)) if r not in flags]
            flags += list(extra)
            score, max_score = scores.get(student, (None, None))
            result = Result(student, score, max_score, prints[student], flags,
                            time.perf_counter() - started[student])
            append_ledger(ledger_path, result)
            results[student] = result
            bar.update(1)

    def work(group: list[str], index: int) -> None:
        failed = run_group(group, f"chunk{index}")
        record([s for s in group if s not in failed])
        for s in failed:  # alone this time, then the blank release as a last resort
            if not run_group([s], f"retry-{s}"):
                record([s])
                continue
            crash = ("grading crashed (the kernel died or nbgrader failed); the blank release was graded "
                     "instead and the submission needs manual grading")
            staging = staging_root / f"blank-{s}" / s / assignment
            staging.mkdir(parents=True, exist_ok=True)
            nb = nbformat.read(release_path, as_version=4)
            add_notice(nb, reasons.get(s, []) + [crash])
            nbformat.write(nb, staging / f"{assignment}.ipynb")
            autograde_chunk(root, assignment, staging_root / f"blank-{s}")
            record([s], [] if graded_ok(root, assignment, s) else [crash])

    groups = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in as_completed([pool.submit(work, g, i) for i, g in enumerate(groups)]):
                future.result()
    finally:
        bar.close()
        shutil.rmtree(staging_root, ignore_errors=True)
    return [results[s] for s in students if s in results]


def summary(results: list[Result]) -> str:
    scored = [r for r in results if r.score is not None]
    mean = sum(r.score for r in scored) / len(scored) if scored else float("nan")
    top = max((r.max_score or 0) for r in results) if results else 0
    lines = [f"students graded: {len(scored)} of {len(results)}", f"mean score: {mean:.2f} / {top:g}"]
    flagged = [r for r in results if r.reasons or r.score is None]
    lines.append(f"flagged for manual grading: {len(flagged)}")
    if flagged:
        width = max(len(r.student) for r in flagged)
        lines.append(f"  {'student':<{width}}  score  reason")
        for r in flagged:
            score = "-" if r.score is None else f"{r.score:g}"
            lines.append(f"  {r.student:<{width}}  {score:>5}  {('; '.join(r.reasons) or 'no score recorded')[:160]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.grading.run", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel workers (default: all cores)")
    parser.add_argument("--chunk", type=int, default=0, help="students per nbgrader process (default: balanced)")
    args = parser.parse_args(argv)
    try:
        root = course_root()
        n = len(list((root / "submitted").glob(f"*/{args.assignment}")))
        chunk = args.chunk or max(1, min(10, -(-n // max(1, args.jobs * 2))))
        results = grade(args.assignment, jobs=args.jobs, chunk=chunk, root=root)
    except (SandboxUnavailable, FileNotFoundError) as exc:
        print(f"make grade: {exc}", file=sys.stderr)
        return 2
    print(summary(results))
    return 0 if all(r.score is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
