"""`make lab` serves the course: start it on localhost and ask the server what it serves.

The instructor's lab (the default) has nbgrader's tools and a working Assignments list (the
course-local exchange); ``make lab ROLE=student`` is the students' view: the same Assignments
list and Validate, but no Formgrader, Create Assignment or Course List, in the page JupyterLab
loads and in the server.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from course import REPO, api, lab_server, page_config

INSTRUCTOR_ONLY = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with lab_server(REPO, log=tmp_path_factory.mktemp("lab") / "lab.log") as server:
        yield server


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    with lab_server(REPO, "ROLE=student", log=tmp_path_factory.mktemp("lab-student") / "lab.log") as server:
        yield server


def status(base: str, token: str, path: str) -> int:
    try:
        request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_make_lab_serves_the_lecture(lab):
    lecture = api(*lab, "/api/contents/lectures/03_gradient_descent.ipynb?content=1")
    assert lecture["type"] == "notebook"
    cells = lecture["content"]["cells"]
    assert any("gradient descent" in "".join(c["source"]).lower() for c in cells if c["cell_type"] == "markdown")
    listing = api(*lab, "/api/contents/lectures")
    assert {"03_gradient_descent.ipynb"} <= {item["name"] for item in listing["content"]}


@pytest.mark.slow
def test_make_lab_has_the_course_kernel_and_nbgrader(lab):
    specs = api(*lab, "/api/kernelspecs")
    assert specs["kernelspecs"]["python3"]["spec"]["display_name"] == "Python 3 (nn-course)"
    extensions = api(*lab, "/lab/api/extensions")
    records = extensions if isinstance(extensions, list) else extensions.get("data", [])
    nbgrader = [e for e in records if e["name"] == "jupyter-nbgrader"]
    assert nbgrader, f"nbgrader's JupyterLab extension is not installed: {sorted(e['name'] for e in records)}"
    assert nbgrader[0].get("enabled", True), "nbgrader's JupyterLab extension is installed but disabled"


@pytest.mark.slow
def test_make_lab_has_the_instructor_tools(lab):
    disabled = set(page_config(*lab)["disabledExtensions"])
    assert not disabled & INSTRUCTOR_ONLY, f"the instructor's lab disables {disabled & INSTRUCTOR_ONLY}"
    assert status(*lab, "/formgrader") == 200


@pytest.mark.slow
@pytest.mark.parametrize("role", ["instructor", "student"])
def test_make_lab_has_a_working_assignments_list(lab, student_lab, role):
    """The list reads the course-local exchange; without one nbgrader answers success: false."""
    answer = api(*(lab if role == "instructor" else student_lab), "/assignments?course_id=nn-course")
    assert answer["success"], answer["value"]
    assert isinstance(answer["value"], list)


@pytest.mark.slow
def test_student_role_hides_the_instructor_tools(student_lab):
    disabled = set(page_config(*student_lab)["disabledExtensions"])
    assert INSTRUCTOR_ONLY <= disabled, f"still enabled for students: {INSTRUCTOR_ONLY - disabled}"
    assert not {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} & disabled
    assert status(*student_lab, "/formgrader") == 404, "the Formgrader's server extension still runs"
    assert status(*student_lab, "/formgrader/api/assignments") == 404


@pytest.mark.slow
def test_student_role_keeps_validate(student_lab):
    answer = api(*student_lab, "/assignments/validate", method="POST",
                 data={"path": "solutions/gradient_descent/gradient_descent.ipynb"})
    assert answer["success"], answer["value"]
    assert not answer["value"].get("failed"), answer["value"]


def test_lab_refuses_an_unauthenticated_request(lab):
    base, _ = lab
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{base}/api/contents/lectures", timeout=10)
    assert info.value.code in (401, 403)
