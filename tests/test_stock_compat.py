"""Assignments written for stock nbgrader grade exactly as stock nbgrader grades them.

tests/stock_course/ holds an assignment written the way nbgrader's documentation
teaches (two notebooks and a data file, bare asserts on the student's names) and a class
of honest submissions in ordinary student styles (see make_submissions.py). Each
submission is autograded three times, each time in a fresh temporary course:

- stock: a plain nbgrader_config.py (course id, root, folders), stock Execute, no sandbox;
- autograde: plain `nbgrader autograde` with the course's nbgrader_config.py;
- make grade: `python -m nncourse.grading.run warmup --jobs 2`.

Per student and per notebook, both of our paths must give exactly stock's score (read
from the gradebook), and the blank release scores 0. The one deliberate difference is
listed in ``OURS``: a student's warning on stderr costs points in stock, none here.

    .venv/bin/python tests/test_stock_compat.py    # prints the three score tables
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import REPO, nbgrader  # noqa: E402
from nncourse.instructor.course import venv_env  # noqa: E402

STOCK = Path(__file__).resolve().parent / "stock_course"
AID = "warmup"
NOTEBOOKS = ("problem1", "problem2")
STUDENTS = sorted(p.name for p in (STOCK / "submissions").iterdir() if (p / AID).is_dir())
BLANK = "blank_release"

# What stock nbgrader 0.9.6 gives each submission (problem1 of 10 autograded + 2 by hand, problem2 of 8).
# Kept here so that a change in the material or in nbgrader shows up as such, not as a pipeline bug.
STOCK_SCORES = {
    "ada_reference": {"problem1": 10.0, "problem2": 8.0},
    "ben_imports": {"problem1": 10.0, "problem2": 8.0},
    "blank_release": {"problem1": 0.0, "problem2": 0.0},
    "cleo_future": {"problem1": 10.0, "problem2": 8.0},
    "dan_warnings": {"problem1": 8.0, "problem2": 6.0},  # a warning is stderr: stock fails that test cell
    "eve_classes": {"problem1": 10.0, "problem2": 8.0},
    "finn_magics": {"problem1": 10.0, "problem2": 5.0},
    "gus_introspection": {"problem1": 10.0, "problem2": 8.0},
    "hana_scratch": {"problem1": 10.0, "problem2": 8.0},
    "ivan_shadow": {"problem1": 10.0, "problem2": 8.0},
    "jade_numpy_loops": {"problem1": 10.0, "problem2": 8.0},
    "kai_debug": {"problem1": 7.0, "problem2": 8.0},
    "lea_deleted_test": {"problem1": 8.0, "problem2": 8.0},  # a deleted test cell scores 0
    "max_markdown": {"problem1": 10.0, "problem2": 8.0},  # stock restores the cell type
    "nia_only_problem1": {"problem1": 10.0, "problem2": 0.0},
    "oto_wrong_part": {"problem1": 6.0, "problem2": 8.0},
}

# Where our grading gives more than stock, on purpose: the judge lets nothing the student's code prints decide
# a verdict, while stock nbgrader fails any test cell whose output holds stderr (here: the student's own
# warnings.warn inside an answer, an honest line of code). Nothing of ours ever scores below stock.
OURS = {**STOCK_SCORES, "dan_warnings": {"problem1": 10.0, "problem2": 8.0}}

needs_bwrap = pytest.mark.skipif(not Path("/usr/bin/bwrap").exists() and os.environ.get("CI") != "true",
                                 reason="bubblewrap is not installed (CI installs it through .ci/system-packages)")

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "stock-compat"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
"""


def make_course(root: Path, ours: bool) -> Path:
    """A course holding the stock assignment, released, with every submission in submitted/."""
    root.mkdir(parents=True, exist_ok=True)
    if ours:
        shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        source = root / "assignments"  # the course config's source_directory
    else:
        (root / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(root=str(root)))
        source = root / "source"
    shutil.copytree(STOCK / "source" / AID, source / AID)
    nbgrader(root, "generate_assignment", AID, "--force")
    for student in STUDENTS:
        target = root / "submitted" / student / AID
        if student == BLANK:  # exactly what this course released
            shutil.copytree(root / "release" / AID, target)
        else:
            shutil.copytree(STOCK / "submissions" / student / AID, target)
    return root


def notebook_scores(root: Path) -> dict[str, dict[str, float] | None]:
    """student -> {notebook: score} from the gradebook; None for a student with no submission recorded."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, float] | None] = {s: None for s in STUDENTS}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        try:
            submissions = gb.assignment_submissions(AID)
        except MissingEntry:
            return out
        for sub in submissions:
            out[sub.student.id] = {nb.notebook.name: float(nb.score) for nb in sub.notebooks}
    return out


def cell_scores(root: Path) -> dict[tuple[str, str], dict[str, float]]:
    """(student, notebook) -> {grade cell: score}: shows which test cell a difference comes from."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        try:
            submissions = gb.assignment_submissions(AID)
        except MissingEntry:
            return out
        for sub in submissions:
            for nb in sub.notebooks:
                out[(sub.student.id, nb.notebook.name)] = {g.name: float(g.score) for g in nb.grades}
    return out


def grade_stock(root: Path) -> dict:
    make_course(root, ours=False)
    nbgrader(root, "autograde", AID, "--create", "--force")
    return notebook_scores(root), cell_scores(root)


def grade_autograde(root: Path) -> dict:
    make_course(root, ours=True)
    # The scores are the verdict; a failing nbgrader run shows up as missing scores.
    result = nbgrader(root, "autograde", AID, "--create", "--force", check=False)
    return notebook_scores(root), cell_scores(root), result


def grade_make_grade(root: Path) -> dict:
    make_course(root, ours=True)
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    result = subprocess.run([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "2"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=3600)
    return notebook_scores(root), cell_scores(root), result


def table(columns: dict[str, dict]) -> str:
    """One row per student and notebook, one column per grading path."""
    names = list(columns)
    lines = [f"{'student':<20} {'notebook':<9} " + " ".join(f"{n:>10}" for n in names)]
    for student in STUDENTS:
        for nb in NOTEBOOKS:
            cells = []
            for n in names:
                per = columns[n].get(student)
                value = None if per is None else per.get(nb)
                cells.append(f"{'-' if value is None else f'{value:g}':>10}")
            lines.append(f"{student:<20} {nb:<9} " + " ".join(cells))
    return "\n".join(lines)


def differences(stock: dict, ours: dict, stock_cells: dict | None = None, our_cells: dict | None = None,
                students: list[str] | None = None) -> list[str]:
    """A line per notebook whose score differs, naming the grade cells that differ."""
    diffs = []
    for student in students or STUDENTS:
        for nb in NOTEBOOKS:
            want = (stock.get(student) or {}).get(nb)
            got = (ours.get(student) or {}).get(nb)
            if got != want:
                line = f"{student}/{nb}: stock {want}, ours {got}"
                if stock_cells is not None and our_cells is not None:
                    a, b = stock_cells.get((student, nb), {}), our_cells.get((student, nb), {})
                    cells = [f"{g} {a.get(g)}->{b.get(g)}" for g in sorted(set(a) | set(b)) if a.get(g) != b.get(g)]
                    line += f" ({', '.join(cells)})" if cells else ""
                diffs.append(line)
    return diffs


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    return grade_stock(tmp_path_factory.mktemp("stock-course"))


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    return grade_autograde(tmp_path_factory.mktemp("ours-autograde"))


@pytest.fixture(scope="module")
def make_graded(tmp_path_factory):
    return grade_make_grade(tmp_path_factory.mktemp("ours-make-grade"))


def _run_log(result: subprocess.CompletedProcess) -> str:
    return f"(exit {result.returncode})\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def _explain(want: dict, want_cells: dict, got: dict, got_cells: dict, student: str, path: str,
             result: subprocess.CompletedProcess) -> str:
    """The differing grade cells, the whole table, and the run's log when scores are missing."""
    lines = differences(want, got, want_cells, got_cells, [student])
    lines += ["", table({"stock": want, path: got})]
    if got[student] is None or set(got[student]) != set(NOTEBOOKS):
        lines += [f"{path} recorded no score for some notebooks; its log {_run_log(result)}"]
    return "\n".join(lines)


@pytest.mark.slow
def test_stock_nbgrader_scores_the_material_as_designed(stock):
    scores, _ = stock
    assert scores == STOCK_SCORES, "stock nbgrader no longer gives the recorded scores:\n" + "\n".join(
        differences(STOCK_SCORES, scores))


@pytest.mark.slow
@needs_bwrap
@pytest.mark.parametrize("path, graded", [("autograde", "autograded"), ("make grade", "make_graded")])
@pytest.mark.parametrize("student", STUDENTS)
def test_our_paths_give_stock_scores(stock, request, path, graded, student):
    (want, want_cells), (got, got_cells, result) = stock, request.getfixturevalue(graded)
    assert got[student] == OURS[student], _explain(want, want_cells, got, got_cells, student, path, result)


@pytest.mark.slow
@needs_bwrap
def test_blank_release_scores_zero(stock, autograded, make_graded):
    zero = {nb: 0.0 for nb in NOTEBOOKS}
    assert stock[0][BLANK] == zero
    assert autograded[0][BLANK] == zero, "plain autograde"
    assert make_graded[0][BLANK] == zero, "make grade"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stock-compat-") as tmp:
        columns, cells = {}, {}
        columns["stock"], cells["stock"] = grade_stock(Path(tmp) / "stock")
        if "--stock-only" not in sys.argv:
            columns["autograde"], cells["autograde"], run = grade_autograde(Path(tmp) / "ours")
            print("autograde", _run_log(run)[-2000:], file=sys.stderr)
            columns["make grade"], cells["make grade"], run = grade_make_grade(Path(tmp) / "ours-run")
            print("make grade", _run_log(run)[-2000:], file=sys.stderr)
        print(table(columns))
        for name, scores in columns.items():
            if name != "stock":
                for line in differences(columns["stock"], scores, cells["stock"], cells[name]):
                    print(f"{name}: {line}")
