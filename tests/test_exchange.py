"""The nbgrader exchange end to end, with nbgrader's own commands on a temporary course.

The instructor's course (a copy of this repository's config and one assignment) releases
into its course-local exchange (``exchange/``, which ``nbgrader_config.py`` sets up, with
no option on the command line). Two students, each with a home folder of their own and the
student edition's ``nbgrader_config.py``, list, fetch, work and submit; the instructor
collects, autogrades, returns feedback through the exchange, imports a roster with
``make roster`` and exports grades with the students' names.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import nbformat
import pytest

from course import REPO, copy_course, gradebook_scores, make, nbgrader
from nncourse.instructor.course import venv_env
from nncourse.instructor.edition import student_file
from simclass import Submission, build_submission, expected_score

AID = "gradient_descent"
COURSE_ID = "nn-course"
STUDENTS = {"alice": Submission("alice"), "bob": Submission("bob", blank=True)}

pytestmark = pytest.mark.slow


def student(home, *args: str, exchange, check: bool = True) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` as a student: in their own folder, with their own HOME and Jupyter data."""
    env = venv_env() | {"HOME": str(home), "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
                        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "NBGRADER_EXCHANGE": str(exchange)}
    env.pop("NBGRADER_DB_URL", None)
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=home, env=env,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"student: nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def semester(tmp_path_factory):
    base = tmp_path_factory.mktemp("exchange")
    course = copy_course(base / "course", [AID])
    shutil.copy2(REPO / "Makefile", course / "Makefile")
    exchange = course / "exchange"
    nbgrader(course, "generate_assignment", AID, "--force")
    released = nbgrader(course, "release_assignment", AID)
    source = nbformat.read(course / "assignments" / AID / f"{AID}.ipynb", as_version=4)
    log = {"release": released}
    homes, submitted = {}, {}
    for name, sub in STUDENTS.items():
        home = homes[name] = base / name
        home.mkdir()
        (home / "nbgrader_config.py").write_text(student_file(REPO, "nbgrader_config.py"))
        log[f"list {name}"] = student(home, "list", exchange=exchange)
        student(home, "fetch_assignment", AID, exchange=exchange)
        fetched = home / COURSE_ID / AID / f"{AID}.ipynb"
        nb = build_submission(nbformat.read(fetched, as_version=4), source, sub)
        nbformat.write(nb, fetched)
        submitted[name] = fetched.read_text()
        # A student's unix name is the id; on a hub (user jovyan) JUPYTERHUB_USER is. Here: --student.
        student(home, "submit", AID, f"--student={name}", exchange=exchange)
    log["collect"] = nbgrader(course, "collect", AID)
    nbgrader(course, "autograde", AID, "--create", "--force")
    nbgrader(course, "generate_feedback", AID, "--force")
    nbgrader(course, "release_feedback", AID)
    for name in STUDENTS:
        student(homes[name], "fetch_feedback", AID, f"--student={name}", exchange=exchange)
    return {"course": course, "exchange": exchange, "homes": homes, "submitted": submitted, "log": log,
            "source": source}


def test_release_goes_to_the_course_local_exchange(semester):
    course = semester["course"]
    outbound = semester["exchange"] / COURSE_ID / "outbound" / AID / f"{AID}.ipynb"
    assert outbound.is_file(), semester["log"]["release"].stderr
    assert outbound.read_text() == (course / "release" / AID / f"{AID}.ipynb").read_text()


def test_students_see_the_released_assignment(semester):
    for name in STUDENTS:
        listing = semester["log"][f"list {name}"]
        assert f"{COURSE_ID} {AID}" in listing.stdout + listing.stderr, listing.stderr


def test_fetch_gives_each_student_the_release(semester):
    release = nbformat.read(semester["course"] / "release" / AID / f"{AID}.ipynb", as_version=4)
    for name, home in semester["homes"].items():
        fetched = nbformat.read(home / COURSE_ID / AID / f"{AID}.ipynb", as_version=4)
        assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in fetched.cells] == \
            [c.metadata.get("nbgrader", {}).get("grade_id") for c in release.cells]


def test_collect_gets_what_each_student_submitted(semester):
    course = semester["course"]
    for name, text in semester["submitted"].items():
        collected = course / "submitted" / name / AID
        assert (collected / f"{AID}.ipynb").read_text() == text, f"{name}: the collected notebook differs"
        assert (collected / "timestamp.txt").is_file()


def test_collected_submissions_get_their_scores(semester):
    course, source = semester["course"], semester["source"]
    scores = gradebook_scores(f"sqlite:///{course / 'gradebook.db'}", AID)
    assert scores == pytest.approx({name: expected_score(source, sub) for name, sub in STUDENTS.items()})
    assert scores["alice"] > 0 == scores["bob"]


def test_feedback_comes_back_through_the_exchange(semester):
    source = semester["source"]
    total = expected_score(source, Submission("full"))
    for name, home in semester["homes"].items():
        html = list((home / COURSE_ID / AID / "feedback").glob(f"*/{AID}.html"))
        assert len(html) == 1, f"{name} fetched no feedback"
        score = expected_score(source, STUDENTS[name])
        assert f"Score: {score:.1f} / {total:.1f}" in html[0].read_text(), f"{name}: feedback without the score"


def test_make_roster_gives_grades_csv_names(semester, tmp_path):
    course = semester["course"]
    roster = tmp_path / "students.csv"
    roster.write_text("id,first_name,last_name,email\n"
                      "alice,Alice,Liddell,alice@example.org\nbob,Robert,Smith,bob@example.org\n")
    make(course, "roster", f"FILE={roster}")
    make(course, "export")
    with open(course / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == AID}
    assert (rows["alice"]["first_name"], rows["alice"]["last_name"]) == ("Alice", "Liddell")
    assert (rows["bob"]["first_name"], rows["bob"]["email"]) == ("Robert", "bob@example.org")
    assert float(rows["alice"]["score"]) > 0 == float(rows["bob"]["score"])


def test_make_roster_without_a_file_says_what_it_needs(semester):
    result = make(semester["course"], "roster", check=False)
    assert result.returncode != 0
    assert "FILE=<students.csv> is missing" in result.stderr and "id,first_name,last_name,email" in result.stderr


def test_make_clean_removes_the_exchange_and_fetched_copies(tmp_path):
    course = copy_course(tmp_path / "course", [AID])
    shutil.copy2(REPO / "Makefile", course / "Makefile")
    for generated in ("exchange/nn-course/outbound", f"nn-course/{AID}", f"release/{AID}"):
        (course / generated).mkdir(parents=True)
    make(course, "clean")
    assert not {"exchange", "nn-course", "release"} & {p.name for p in course.iterdir()}
    assert (course / "assignments" / AID / f"{AID}.ipynb").is_file()
