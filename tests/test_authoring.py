"""The authoring kit: every assignment is proven gradable (not opt-in), and the make targets an author uses.

* Every assignment has a simulated class in tests/specs/<id>.py that covers it (a full solution,
  the blank release, every answer replaced and every test broken by some submission, a syntax
  error); tests/test_pipeline.py then grades that class with real nbgrader.
* ``make new-assignment NAME=x`` starts an assignment from tools/authoring that grades as its
  spec says; names that nbgrader cannot use are refused with the reason.
* ``make solutions ASSIGNMENT=x`` regenerates that assignment only, and rewrites nothing whose
  content did not change.
* ``ASSIGNMENT`` has no default: the targets that need one stop with the list.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import nbformat
import pytest

from course import REPO, SPECS, gradebook_scores, load_spec, make, nbgrader, spec_ids
from nncourse.instructor.course import assignment_ids, misnamed_assignments
from simclass import answer_cells, write_class
from simclass import test_points as points_of

ALL_IDS = assignment_ids(REPO)
WANTED = [w for w in os.environ.get("NNCOURSE_ASSIGNMENTS", "").split(",") if w]
IDS = [i for i in ALL_IDS if i in WANTED] if WANTED else ALL_IDS


def has_syntax_error(code: str) -> bool:
    try:
        compile(code, "<answer>", "exec")
    except SyntaxError:
        return True
    return False


def source(aid: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "assignments" / aid / f"{aid}.ipynb", as_version=4)


def test_every_assignment_folder_names_its_notebook():
    assert misnamed_assignments(REPO) == {}, (
        "nbgrader reads assignments/<id>/<id>.ipynb only; rename these: "
        + ", ".join(f"assignments/{f}/ holds {nbs or 'no notebook'}" for f, nbs in misnamed_assignments(REPO).items()))


def test_every_assignment_has_a_spec():
    specs = {p.stem for p in SPECS.glob("*.py") if not p.stem.startswith("_")}
    missing = sorted(set(ALL_IDS) - specs)
    assert not missing, (f"assignments without a simulated class, so never proven gradable: {missing}; "
                         "write tests/specs/<id>.py (docs/authoring.md, or start from tools/authoring/spec_template.py)")
    orphans = sorted(specs - set(ALL_IDS))
    assert not orphans, f"specs without an assignment: {[f'tests/specs/{o}.py' for o in orphans]}"


@pytest.mark.parametrize("aid", IDS)
def test_spec_covers_the_assignment(aid):
    if not (SPECS / f"{aid}.py").is_file():
        pytest.fail(f"tests/specs/{aid}.py is missing")
    subs = load_spec(aid).SUBMISSIONS
    nb = source(aid)
    answers, points = set(answer_cells(nb)), points_of(nb)
    tests = set(points)
    by_name = {s.student: s for s in subs}
    assert len(by_name) == len(subs), f"{aid}: two submissions share a student name"
    assert "full_solution" in by_name and not by_name["full_solution"].replacements \
        and not by_name["full_solution"].blank, f"{aid}: no full_solution (the instructor's answers unchanged)"
    assert "blank_release" in by_name and by_name["blank_release"].blank, f"{aid}: no blank_release"
    wrong = [s for s in subs if s.replacements]
    unreplaced = answers - {gid for s in wrong for gid in s.replacements}
    assert not unreplaced, f"{aid}: no submission answers these cells wrongly: {sorted(unreplaced)}"
    # A test is proven to catch a mistake when a wrong submission scores 0 on it, or less than its points.
    caught = {gid for s in wrong for gid in s.broken_tests} | \
        {gid for s in wrong for gid, credit in getattr(s, "partial", {}).items() if credit < points[gid]}
    unbroken = tests - caught
    assert not unbroken, f"{aid}: no wrong submission loses points on these test cells: {sorted(unbroken)}"
    for s in subs:
        assert set(s.replacements) <= answers, f"{aid}/{s.student}: unknown answer cells {set(s.replacements) - answers}"
        named = set(s.broken_tests) | set(getattr(s, "partial", {}))
        assert named <= tests, f"{aid}/{s.student}: unknown test cells {named - tests}"
    assert any(has_syntax_error(code) for s in wrong for code in s.replacements.values()), \
        f"{aid}: no submission with a syntax error"


def test_spec_ids_narrow_to_the_wanted_assignments(monkeypatch):
    monkeypatch.setenv("NNCOURSE_ASSIGNMENTS", "gradient_descent,neurons")
    assert spec_ids() == ["gradient_descent", "neurons"]


@pytest.mark.parametrize("target", ["release", "grade", "feedback", "test-assignment", "check-assignment"])
def test_targets_that_need_an_assignment_stop_without_one(target):
    result = make(REPO, "-n", target, check=False)
    assert result.returncode != 0
    assert "ASSIGNMENT=<id> is missing" in result.stderr and " ".join(assignment_ids(REPO)) in result.stderr
    unknown = make(REPO, "-n", target, "ASSIGNMENT=no_such_assignment", check=False)
    assert unknown.returncode != 0 and "no assignments/no_such_assignment/no_such_assignment.ipynb" in unknown.stderr


@pytest.mark.parametrize("target", ["test-assignment", "check-assignment"])
def test_make_test_assignment_runs_one_assignments_tests(target):
    commands = make(REPO, "-n", target, "ASSIGNMENT=gradient_descent").stdout
    assert "NNCOURSE_ASSIGNMENTS=gradient_descent" in commands
    assert "tests/test_pipeline.py" in commands and "tests/test_authoring.py" in commands
    assert "solutions/gradient_descent" in commands and "assignments/gradient_descent/gradient_descent.ipynb" in commands


# ---------------------------------------------------------------- on a temporary course
def scratch_course(folder, assignments=()):
    """Config, Makefile and authoring kit of this course, with some of its assignments and solutions."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("nbgrader_config.py", "Makefile"):
        shutil.copy2(REPO / name, folder / name)
    shutil.copytree(REPO / "tools" / "authoring", folder / "tools" / "authoring")
    (folder / "tests" / "specs").mkdir(parents=True)
    (folder / "assignments").mkdir()
    for aid in assignments:
        shutil.copytree(REPO / "assignments" / aid, folder / "assignments" / aid)
        shutil.copytree(REPO / "solutions" / aid, folder / "solutions" / aid)
    return folder


@pytest.mark.slow
def test_make_new_assignment_starts_an_assignment_that_grades_as_its_spec_says(tmp_path):
    course = scratch_course(tmp_path / "course")
    made = make(course, "new-assignment", "NAME=loss_functions")
    notebook, spec_file = course / "assignments/loss_functions/loss_functions.ipynb", course / "tests/specs/loss_functions.py"
    assert notebook.is_file() and spec_file.is_file(), made.stdout
    assert "# Assignment: loss_functions" in notebook.read_text()
    spec = importlib.util.spec_from_file_location("loss_functions_spec", spec_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    nbgrader(course, "generate_assignment", "loss_functions", "--force")
    expected = write_class(course, "loss_functions", module.SUBMISSIONS)
    nbgrader(course, "autograde", "loss_functions", "--create", "--force")
    scores = gradebook_scores(f"sqlite:///{course / 'gradebook.db'}", "loss_functions")
    assert scores == pytest.approx(expected), {s: (scores.get(s), e) for s, e in expected.items() if scores.get(s) != e}
    assert scores["full_solution"] == 5 and scores["blank_release"] == 0


@pytest.mark.parametrize("name, message", [
    ("", "NAME=<id> is missing"),
    ("loss/functions.ipynb", "NAME=functions makes assignments/functions/functions.ipynb"),
    ("Loss-Functions", "use lowercase letters, digits and _"),
    ("taken", "assignments/taken exists already"),
])
def test_make_new_assignment_refuses_names_nbgrader_cannot_use(tmp_path, name, message):
    course = scratch_course(tmp_path / "course")
    (course / "assignments" / "taken").mkdir()
    result = make(course, "new-assignment", f"NAME={name}", check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert sorted(p.name for p in (course / "assignments").iterdir()) == ["taken"]


@pytest.mark.slow
def test_make_solutions_regenerates_one_assignment_and_rewrites_nothing_unchanged(tmp_path):
    course = scratch_course(tmp_path / "course", ["gradient_descent", "neurons"])
    mine = course / "solutions/gradient_descent/gradient_descent.ipynb"
    other = course / "solutions/neurons/neurons.ipynb"
    other_stat = other.stat()
    make(course, "solutions", "ASSIGNMENT=gradient_descent")
    first, first_mtime = mine.read_bytes(), mine.stat().st_mtime_ns
    again = make(course, "solutions", "ASSIGNMENT=gradient_descent")
    assert "solutions/gradient_descent: generated and executed" in again.stdout and "unchanged" in again.stdout
    assert mine.read_bytes() == first and mine.stat().st_mtime_ns == first_mtime, "a rerun rewrote an unchanged solution"
    assert (other.stat().st_mtime_ns, other.stat().st_size) == (other_stat.st_mtime_ns, other_stat.st_size), \
        "ASSIGNMENT=gradient_descent touched another assignment's solution"
    src = course / "assignments/gradient_descent/gradient_descent.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells[0].source += "\n\nA sentence added by the test."
    nbformat.write(nb, src)
    changed = make(course, "solutions", "ASSIGNMENT=gradient_descent")
    assert "1 file(s) updated" in changed.stdout
    assert "A sentence added by the test." in nbformat.read(mine, as_version=4).cells[0].source


@pytest.mark.parametrize("aid", IDS)
def test_the_fast_tiers_sample_keeps_both_ends_and_one_partial_score(aid, monkeypatch):
    from course import simulated_class
    from nncourse.instructor.simclass import expected_score

    monkeypatch.setenv("NNCOURSE_CLASS", "all")
    everyone = simulated_class(aid)
    assert everyone == list(load_spec(aid).SUBMISSIONS)
    monkeypatch.setenv("NNCOURSE_CLASS", "sample")
    sample = simulated_class(aid)
    nb = source(aid)
    scores = [expected_score(nb, s) for s in sample]
    assert [s.student for s in sample[:2]] == ["full_solution", "blank_release"] and len(sample) == 3
    assert scores[0] == max(expected_score(nb, s) for s in everyone) > scores[2] > scores[1] == 0
    monkeypatch.setenv("NNCOURSE_CLASS", "some")
    with pytest.raises(pytest.UsageError, match="NNCOURSE_CLASS"):
        simulated_class(aid)


def test_every_lecture_from_03_to_12_is_assessed_by_some_assignment():
    """Each assignment's opening cell names the lectures it builds on (by file name or "lecture NN"); together
    they name every lecture from 03 to 12, and each such assignment has graded parts."""
    import re

    lectures = sorted(p.stem for p in (REPO / "lectures").glob("*.ipynb"))
    wanted = [s for s in lectures if re.match(r"\d\d[a-z]?_", s) and 3 <= int(s[:2]) <= 12]
    assert len(wanted) >= 10, f"lectures/ lost lectures: {lectures}"
    headers = {aid: source(aid).cells[0].source for aid in ALL_IDS}
    graded = {aid for aid in ALL_IDS if points_of(source(aid))}
    unassessed = []
    for stem in wanted:
        number = stem.split("_", 1)[0]
        named = re.compile(rf"{re.escape(stem)}|\blecture\s+{number}\b", re.I)
        if not any(named.search(text) for aid, text in headers.items() if aid in graded):
            unassessed.append(stem)
    assert unassessed == [], f"no graded assignment builds on: {unassessed}"
