"""``make grade``: autograde every submission of an assignment, in parallel, safely.

    python -m nncourse.grading.run ASSIGNMENT [--jobs N] [--chunk K] [--force]

- Each submitted folder is checked first: an unusable student id, or a symlink, device
  or other non-regular file inside it, is refused with the same message plain
  ``nbgrader autograde`` logs (``nncourse.grading.harden``). Every notebook of the
  release is read by ``preflight`` (a broken file becomes a reason, never a crash) and
  staged with the other submitted files in a private folder; ``submitted/`` is never modified.
- Worker processes run real ``nbgrader autograde`` (judged and sandboxed by
  nbgrader_config.py) on chunks of students, so the gradebook, the Formgrader and
  feedback work as usual; SQLite and PostgreSQL gradebooks both take the concurrent writes.
- A student whose chunk fails is retried alone; if grading still fails the blank
  release is graded instead and the student is flagged, so every student ends with a
  recorded score.
- Each recorded result is appended to ``autograded/.grading-ledger.jsonl`` (fsync'd),
  keyed on the submitted files *and* the release and source notebooks: a rerun after an
  interruption (even kill -9) skips students already graded against the same tests,
  a changed test regrades everyone, and ``--force`` (``make grade FORCE=1``) regrades all.
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

from nncourse.instructor.course import course_root, venv_env
from nncourse.grading import cache_alembic_version
from nncourse.grading.harden import copy_regular_file, scan_submission, student_id_message
from nncourse.grading.preflight import load_submission
from nncourse.grading.preprocessors import add_notice, notice_reasons
from nncourse.grading.sandbox import OWNER, SandboxUnavailable, check_sandbox_available, sweep_stale_scratch
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
    notes: list[str] = field(default_factory=list)


def _digest(paths: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(base).as_posix().encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() and not path.is_symlink() else b"<not a regular file>")
        h.update(b"\0")
    return h.hexdigest()


def tests_fingerprint(root: Path, assignment: str) -> str:
    """What the grade depends on besides the submission: the release and the instructor's source."""
    parts = []
    for folder in (root / "release" / assignment, root / "assignments" / assignment):
        files = [p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
        parts.append(_digest(files, folder) if folder.is_dir() else "missing")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def fingerprint(folder: Path, tests: str) -> str:
    """The submitted folder's files (names and bytes) together with the tests they were graded against."""
    files = [p for p in folder.rglob("*")] if folder.is_dir() else []
    return hashlib.sha256((_digest([p for p in files if not p.is_dir()], folder) + tests).encode()).hexdigest()


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


def release_notebooks(root: Path, assignment: str) -> dict[str, object]:
    """notebook file name -> the released notebook, for every notebook of the assignment."""
    folder = root / "release" / assignment
    notebooks = {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}
    if not notebooks:
        raise FileNotFoundError(f"{folder} has no notebooks: run `make release ASSIGNMENT={assignment}` first")
    return notebooks


STAGING_PREFIX = "nncourse-grade-"


def sweep_stale_staging(temp: Path | None = None) -> list[Path]:
    """Remove staging folders of earlier runs whose process is gone (one killed with -9 cannot clean up)."""
    return sweep_stale_scratch(sorted(Path(temp or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*")))


def stage(root: Path, staging: Path, assignment: str, student: str, releases: dict) -> tuple[list[str], list[str]]:
    """Copy one submission into ``staging/<student>/<assignment>/`` in a gradable state; (flags, notes)."""
    source = root / "submitted" / student / assignment
    target = staging / student / assignment
    target.mkdir(parents=True, exist_ok=True)
    files, refused = scan_submission(source)
    flags, notes = list(refused), []
    for rel in files:
        if rel.suffix == ".ipynb" and rel.name in releases and len(rel.parts) == 1:
            continue  # notebooks are read below, however broken
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        if not copy_regular_file(source / rel, target / rel):
            flags.append(f"{rel.as_posix()}: could not be read, not copied")
    regular = {rel.as_posix() for rel in files}
    for name, release_nb in releases.items():
        path = source / name if name in regular else source / f"{name}.missing"
        nb, nb_flags, nb_notes = load_submission(path, release_nb)
        label = f"{name}: " if len(releases) > 1 else ""
        flags += [label + r for r in nb_flags]
        notes += [label + r for r in nb_notes]
        add_notice(nb, [label + r for r in nb_flags])
        nbformat.write(nb, target / name)
    return flags, notes


def autograde_chunk(root: Path, assignment: str, staging: Path) -> subprocess.CompletedProcess | None:
    try:
        return nbgrader(root, "autograde", assignment, "--create", "--force",
                        f"--CourseDirectory.submitted_directory={staging}")
    except subprocess.TimeoutExpired:
        return None


def graded_ok(root: Path, assignment: str, student: str, names) -> bool:
    folder = root / "autograded" / student / assignment
    return all((folder / name).is_file() for name in names)


def grade(assignment: str, *, jobs: int, chunk: int, root: Path | None = None, quiet: bool = False,
          force: bool = False) -> tuple[list[Result], dict[str, str]]:
    """Grade every submission; returns (results, refused student folders with their reason)."""
    root = root or course_root()
    check_sandbox_available()
    releases = release_notebooks(root, assignment)
    submitted = root / "submitted"
    folders = sorted(p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir()) + \
        sorted(p.parent.name for p in submitted.glob(f".*/{assignment}") if p.is_dir())
    refused = {s: student_id_message(s) for s in folders if student_id_message(s)}
    students = [s for s in folders if s not in refused]
    if not folders:
        raise FileNotFoundError(f"no submissions in {submitted}/<student>/{assignment}/")
    ledger_path = root / "autograded" / LEDGER
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    url = db_url(root)
    done = {} if force else read_ledger(ledger_path)
    recorded = recorded_scores(url, assignment)
    tests = tests_fingerprint(root, assignment)
    prints = {s: fingerprint(submitted / s / assignment, tests) for s in students}
    todo = [s for s in students if not (s in done and done[s]["fingerprint"] == prints[s] and s in recorded)]
    results = {s: Result(**{**done[s], "notes": done[s].get("notes", [])}) for s in students if s not in todo}

    sweep_stale_staging()
    staging_root = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{assignment}-"))
    (staging_root / OWNER).write_text(str(os.getpid()))
    bar = progress(total=len(students), desc=f"grading {assignment}", initial=len(results), disable=quiet)
    reasons: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    started: dict[str, float] = {}

    def run_group(group: list[str], tag: str) -> list[str]:
        """Autograde a group of students in one nbgrader process; return those still ungraded."""
        staging = staging_root / tag
        for s in group:
            try:
                reasons[s], notes[s] = stage(root, staging, assignment, s, releases)
            except Exception as exc:  # one student's unreadable folder never stops the others
                reasons[s], notes[s] = [f"the submission could not be staged ({type(exc).__name__}: {exc})"], []
            started[s] = time.perf_counter()
            shutil.rmtree(root / "autograded" / s / assignment, ignore_errors=True)
        autograde_chunk(root, assignment, staging)
        return [s for s in group if not graded_ok(root, assignment, s, releases)]

    def record(students: list[str], extra: list[str] = ()) -> None:
        """Read the scores of a finished group in one gradebook query and append them to the ledger."""
        scores = recorded_scores(url, assignment)  # one connection per group: opening one is slow
        for student in students:
            flags = list(reasons.get(student, []))
            for name in releases:
                nb_path = root / "autograded" / student / assignment / name
                if nb_path.is_file():
                    flags += [r for r in notice_reasons(nbformat.read(nb_path, as_version=4)) if r not in flags]
            flags += list(extra)
            score, max_score = scores.get(student, (None, None))
            result = Result(student, score, max_score, prints[student], flags,
                            time.perf_counter() - started[student], notes.get(student, []))
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
            crash = ("grading crashed (nbgrader failed on this submission); the blank release was graded "
                     "instead and the submission needs manual grading")
            staging = staging_root / f"blank-{s}" / s / assignment
            staging.mkdir(parents=True, exist_ok=True)
            for name in releases:
                nb = nbformat.read(root / "release" / assignment / name, as_version=4)
                add_notice(nb, reasons.get(s, []) + [crash])
                nbformat.write(nb, staging / name)
            autograde_chunk(root, assignment, staging_root / f"blank-{s}")
            record([s], [crash] if graded_ok(root, assignment, s, releases) else
                   [crash, "not even the blank release could be graded"])

    groups = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in as_completed([pool.submit(work, g, i) for i, g in enumerate(groups)]):
                future.result()
    finally:
        bar.close()
        shutil.rmtree(staging_root, ignore_errors=True)
    graded_now = set(todo)
    ordered = [results[s] for s in students if s in results]
    for r in ordered:
        r.seconds = round(r.seconds, 2)
        if r.student not in graded_now:
            r.notes = r.notes + ["skipped: already graded against the same tests (use FORCE=1 to regrade)"]
    return ordered, refused


def summary(results: list[Result], refused: dict[str, str] | None = None) -> str:
    refused = refused or {}
    scored = [r for r in results if r.score is not None]
    skipped = [r for r in results if any(n.startswith("skipped:") for n in r.notes)]
    mean = sum(r.score for r in scored) / len(scored) if scored else float("nan")
    top = max((r.max_score or 0) for r in results) if results else 0
    lines = [f"students: {len(results) + len(refused)}; graded now: {len(results) - len(skipped)}; "
             f"skipped (already graded against the same tests): {len(skipped)}; refused: {len(refused)}; "
             f"without a score: {len(results) - len(scored)}",
             f"students graded: {len(scored)} of {len(results) + len(refused)}",
             f"mean score: {mean:.2f} / {top:g}"]
    flagged = [r for r in results if r.reasons or r.score is None]
    lines.append(f"flagged for manual grading: {len(flagged)}")
    width = max([len(r.student) for r in results] + [len(s) for s in refused] + [7])
    lines.append("")
    lines.append(f"  {'student':<{width}}  {'score':>7}  flags")
    for r in results:
        score = "-" if r.score is None else f"{r.score:g}/{(r.max_score or 0):g}"
        flags = "; ".join(r.reasons) or ("no score recorded" if r.score is None else "")
        lines.append(f"  {r.student:<{width}}  {score:>7}  {flags[:200]}")
    for s, why in refused.items():
        lines.append(f"  {s:<{width}}  {'-':>7}  refused: {why}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nncourse.grading.run", description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel workers (default: all cores)")
    parser.add_argument("--chunk", type=int, default=0, help="students per nbgrader process (default: balanced)")
    parser.add_argument("--force", action="store_true", help="regrade every student, even those already recorded")
    args = parser.parse_args(argv)
    try:
        root = course_root()
        n = len(list((root / "submitted").glob(f"*/{args.assignment}")))
        # One nbgrader process per worker where the class is small (the judge imports TensorFlow once per
        # process); balanced chunks of at most 25 students otherwise, so a crash costs one chunk, not the class.
        jobs = max(1, args.jobs)
        rounds = max(1, -(-n // (jobs * 25)))
        chunk = args.chunk or max(1, -(-n // (jobs * rounds)))
        results, refused = grade(args.assignment, jobs=args.jobs, chunk=chunk, root=root, force=args.force)
    except (SandboxUnavailable, FileNotFoundError) as exc:
        print(f"make grade: {exc}", file=sys.stderr)
        return 2
    for s, why in refused.items():
        print(why, file=sys.stderr)
    print(summary(results, refused))
    return 0 if all(r.score is not None for r in results) and not refused else 1


if __name__ == "__main__":
    sys.exit(main())
