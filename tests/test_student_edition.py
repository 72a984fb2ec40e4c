"""`make student-edition`: what students get, and that it holds nothing only the instructor may see.

The edition is built once into a temporary folder (``make student-edition EDITION=...``) from
this checkout. The tests read it as students would: its files, its git history, its
``Makefile`` and its ``make lab`` (the students' view of nbgrader, fetching and submitting
through an instructor's exchange).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from course import REPO, api, copy_course, lab_server, make, nbgrader, page_config
from nncourse.instructor.course import assignment_ids
from nncourse.instructor.edition import copy_slides, prepare_out
from simclass import Submission, build_submission

IDS = assignment_ids(REPO)
LECTURES = sorted(p.name for p in (REPO / "lectures").glob("*.ipynb"))
INSTRUCTOR_ONLY_PLUGINS = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list"}
REGION = re.compile(r"^[ \t]*### BEGIN (SOLUTION|HIDDEN TESTS)[ \t]*\n(.*?)^[ \t]*### END \1[ \t]*$", re.M | re.S)

# Lines of a solution or hidden test that the lectures and the helper package show on purpose (the
# assignment goes one step beyond them). Each is allowed only in the files named here.
TAUGHT = {
    # Lecture 12 evaluates the policy the same way (the assignment's residual is for CRRA utility and delta < 1).
    "s = policy(k, z)": {"lectures/12_deep_equilibrium_nets.ipynb"},
    'os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")': {"src/nncourse/runtime.py"},  # runtime settings
}

pytestmark = pytest.mark.slow


# Idioms any course code writes the same way: they give no answer away.
IDIOMS = [
    r"(return|yield|raise)( [\w.]+)?|pass|else:|try:|finally:|break|continue|except[\w ,()]*:",
    r"for [\w, ]+ in (range\([^()]*\)|[\w.]+):",  # loop headers
    r"with [\w.]+\([\w.]*\) as \w+:",  # with tf.GradientTape() as tape:
    r"(\w+ = )?[\w.]*(default_rng|set_random_seed)\(\w+\)",  # seeding
    r"(\w+ = |return )np\.(as)?array\(\w+(, dtype=\w+)?\)",  # plain conversions
    r"\w+ = \w+\.gradient\([\w, .]+\)|\w+\.apply_gradients\(zip\(\w+, [\w.]+\)\)",  # a TensorFlow training step
]


def trivial(line: str) -> bool:
    """Lines that give nothing away: short, punctuation, comments, imports, decorators, and IDIOMS."""
    return (len(line) < 12 or line.startswith(("#", "@", "import ", "from ")) or not re.search(r"\w", line)
            or any(re.fullmatch(idiom, line) for idiom in IDIOMS))


def secret_lines() -> dict[str, str]:
    """Non-trivial lines of every source's solution and hidden-test regions (a solution cell without
    markers counts whole), minus lines the sources also show outside them -> "assignment/grade_id"."""
    secrets, shown = {}, set()
    for aid in IDS:
        nb = nbformat.read(REPO / "assignments" / aid / f"{aid}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            regions = [m.group(2) for m in REGION.finditer(cell.source)]
            if meta.get("solution") and not regions:
                regions, outside = [cell.source], ""
            else:
                outside = REGION.sub("", cell.source)
            shown |= {ln.strip() for ln in outside.splitlines()}
            for region in regions:
                for line in (ln.strip() for ln in region.splitlines()):
                    if not trivial(line):
                        secrets.setdefault(line, f"{aid}/{meta.get('grade_id')}")
    return {line: where for line, where in secrets.items() if line not in shown}


def text_lines(path: Path) -> set[str]:
    """Every line of a text file; of a notebook, of its cells' sources and text outputs."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        chunks = []
        for cell in json.loads(text)["cells"]:
            chunks.append("".join(cell["source"]))
            for output in cell.get("outputs", []):
                for value in [output.get("text", ""), *output.get("data", {}).values()]:
                    chunks.append("".join(value) if isinstance(value, list) else value if isinstance(value, str) else "")
        text = "\n".join(chunks)
    return {ln.strip() for ln in text.splitlines()}


def edition_files(edition: Path) -> list[Path]:
    return sorted(p for p in edition.rglob("*") if p.is_file() and ".git" not in p.relative_to(edition).parts)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student") / "edition"
    built = make(REPO, "student-edition", f"EDITION={out}", timeout=900)
    return {"path": out, "stdout": built.stdout}


def test_make_student_edition_prints_its_path_last(edition):
    assert edition["stdout"].strip().splitlines()[-1] == str(edition["path"])


def test_edition_is_a_git_repository_of_its_own(edition):
    out = edition["path"]
    git = lambda *a: subprocess.run(["git", "-C", str(out), *a], capture_output=True, text=True, check=True).stdout
    assert Path(git("rev-parse", "--show-toplevel").strip()) == out
    assert git("status", "--porcelain") == ""
    assert len(git("log", "--format=%H").split()) == 1
    tracked = set(git("ls-files").split())
    assert {"Makefile", "README.md", "nbgrader_config.py", "requirements.txt", "environment.yml",
            "pyproject.toml", ".gitignore"} <= tracked


def test_rebuilding_keeps_the_history_and_replaces_the_tree(edition):
    out = edition["path"]
    git = lambda *a: subprocess.run(["git", "-C", str(out), *a], capture_output=True, text=True, check=True).stdout
    first = git("rev-parse", "HEAD").strip()
    (out / "stray.txt").write_text("not part of the edition")
    again = make(REPO, "student-edition", f"EDITION={out}", timeout=900)
    assert not (out / "stray.txt").exists()
    commits = git("log", "--format=%H").split()
    assert commits[-1] == first and git("status", "--porcelain") == ""
    # The course did not change in between (or another commit is the new edition on top of the first).
    assert ("git: unchanged since" in again.stdout) == (len(commits) == 1), again.stdout


def test_edition_holds_the_lectures_with_outputs(edition):
    lectures = edition["path"] / "lectures"
    shipped = sorted(p.name for p in lectures.glob("*.ipynb"))
    assert set(LECTURES) <= set(shipped), f"lectures missing from the edition: {set(LECTURES) - set(shipped)}"
    for name in shipped:
        nb = nbformat.read(lectures / name, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.outputs for c in code) and all(c.execution_count for c in code if c.outputs), name


def test_edition_holds_each_assignment_as_released(edition):
    folder = edition["path"] / "assignments"
    reported = re.search(r"^assignments: \d+ released with nbgrader \((.*)\)$", edition["stdout"], re.M).group(1).split(", ")
    assert sorted(p.name for p in folder.iterdir()) == reported
    assert set(IDS) <= set(reported), f"not in the edition: {set(IDS) - set(reported)}"
    for aid in reported:
        released = nbformat.read(folder / aid / f"{aid}.ipynb", as_version=4)
        assert not [c for c in released.cells if "execution" in c.metadata], f"{aid}: run times in the release"
        answers = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert answers, f"{aid}: no answer cells"
        for cell in answers:
            assert "YOUR CODE HERE" in cell.source or "YOUR ANSWER HERE" in cell.source, \
                f"{aid}/{cell.metadata.nbgrader.grade_id} is not the release's stub"


def test_edition_holds_the_helper_package_and_environment(edition):
    out = edition["path"]
    assert (out / "src" / "nncourse" / "checks.py").read_text() == (REPO / "src/nncourse/checks.py").read_text()
    for name in ("requirements.txt", "requirements-gpu.txt", "environment.yml", "pyproject.toml"):
        assert (out / name).read_text() == (REPO / name).read_text(), name


def test_edition_holds_no_instructor_material(edition):
    out = edition["path"]
    top = {p.name for p in out.iterdir()}
    assert not top & {"solutions", "tests", "docs", "tools", ".ci", ".github", "release", "submitted",
                      "autograded", "feedback", "gradebook.db", "exchange"}, top
    notebooks = [p for p in out.rglob("*.ipynb") if ".git" not in p.parts]
    marked = [p for p in notebooks for m in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS") if m in p.read_text()]
    assert not marked, f"notebooks with nbgrader's solution or hidden-test markers: {marked}"
    config = (out / "nbgrader_config.py").read_text()
    assert "JudgedExecute" not in config and 'course_id = "nn-course"' in config


def test_no_solution_or_hidden_test_line_in_any_file(edition):
    out, secrets = edition["path"], secret_lines()
    assert len(secrets) > 100  # the check has something to find
    leaks = []
    for path in edition_files(out):
        rel = path.relative_to(out).as_posix()
        try:
            lines = text_lines(path)
        except UnicodeDecodeError:
            continue  # binary (images): no source line is stored in one
        leaks += [f"{rel}: {line!r} (from {secrets[line]})" for line in sorted(lines & secrets.keys())
                  if rel not in TAUGHT.get(line, ())]
    assert not leaks, "\n".join(leaks)


def test_every_allowance_is_still_needed():
    """An allowance for a line no source holds any more would let that line through unnoticed later."""
    secrets = secret_lines()
    assert [line for line in TAUGHT if line not in secrets] == []


def test_the_leak_check_catches_a_source_line(tmp_path):
    """The check above can fail: a line of a solution region, written into any file, is found."""
    secrets = secret_lines()
    line = next(s for s in secrets if s not in TAUGHT)
    (tmp_path / "notes.py").write_text(f"x = 1\n    {line}\n")
    assert line in text_lines(tmp_path / "notes.py") & secrets.keys()


def test_student_makefile_has_only_student_targets(edition):
    out = edition["path"]
    listed = set(re.findall(r"make (\S+)", make(out, "help").stdout))
    assert listed == {"help", "env", "lab"}
    for target in ("grade", "release", "feedback", "solutions", "student-edition", "test"):
        assert make(out, "-n", target, check=False).returncode != 0, f"the student Makefile has `make {target}`"


def test_student_makefile_installs_like_the_course():
    recipe = lambda text: re.search(r"^\$\(STAMP\):.*?\n\n", text, re.M | re.S).group(0)
    assert recipe((REPO / "tools/student/Makefile").read_text()) == recipe((REPO / "Makefile").read_text()), \
        "the student Makefile installs the environment differently from the course's Makefile"


def test_slides_are_copied_when_built(tmp_path):
    slides = tmp_path / "slides"
    assert copy_slides(slides, tmp_path / "none") is False
    (slides / "_build").mkdir(parents=True)
    (slides / "index.html").write_text("<html>index</html>")
    (slides / "01_working_in_jupyter.html").write_text("<html>deck</html>")
    (slides / "_build" / "reveal.js").write_text("//")
    assert copy_slides(slides, tmp_path / "copy") is True
    assert sorted(p.relative_to(tmp_path / "copy").as_posix() for p in (tmp_path / "copy").rglob("*") if p.is_file()) \
        == ["01_working_in_jupyter.html", "_build/reveal.js", "index.html"]


def test_edition_refuses_to_overwrite_another_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a student edition"):
        prepare_out(tmp_path, REPO)
    with pytest.raises(ValueError, match="holds the course"):
        prepare_out(REPO.parent, REPO)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- the edition's `make lab`
AID = "gradient_descent"


@pytest.fixture(scope="module")
def student_lab(edition, tmp_path_factory):
    """The edition's `make lab`, with an instructor's course that released AID into its exchange."""
    tmp = tmp_path_factory.mktemp("edition-lab")
    course = copy_course(tmp / "course", [AID])
    nbgrader(course, "generate_assignment", AID, "--force")
    nbgrader(course, "release_assignment", AID)
    env = {"NBGRADER_EXCHANGE": str(course / "exchange"), "JUPYTER_DATA_DIR": str(tmp / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    with lab_server(edition["path"], env=env, log=tmp / "lab.log") as (base, token):
        yield {"base": base, "token": token, "course": course, "edition": edition["path"]}


def test_edition_lab_is_the_students_view(student_lab):
    server = student_lab["base"], student_lab["token"]
    disabled = set(page_config(*server)["disabledExtensions"])
    assert INSTRUCTOR_ONLY_PLUGINS <= disabled, f"enabled for students: {INSTRUCTOR_ONLY_PLUGINS - disabled}"
    with pytest.raises(Exception, match="404"):
        api(*server, "/formgrader", raw=True)


def test_edition_lab_fetches_validates_and_submits_through_the_exchange(student_lab):
    from nbgrader.utils import get_username

    server, course, out = (student_lab["base"], student_lab["token"]), student_lab["course"], student_lab["edition"]
    listed = api(*server, "/assignments?course_id=nn-course")
    assert listed["success"], listed["value"]
    assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(AID, "released")]

    api(*server, "/assignments/fetch", method="POST", data={"course_id": "nn-course", "assignment_id": AID})
    fetched = out / "nn-course" / AID / f"{AID}.ipynb"
    assert fetched.is_file(), "Fetch did not put the assignment into nn-course/<id>/"
    source = nbformat.read(course / "assignments" / AID / f"{AID}.ipynb", as_version=4)
    nbformat.write(build_submission(nbformat.read(fetched, as_version=4), source, Submission("me")), fetched)

    checked = api(*server, "/assignments/validate", method="POST", data={"path": f"nn-course/{AID}/{AID}.ipynb"})
    assert checked["success"] and not checked["value"].get("failed"), checked["value"]

    submitted = api(*server, "/assignments/submit", method="POST",
                    data={"course_id": "nn-course", "assignment_id": AID})
    assert submitted["success"], submitted.get("value")
    nbgrader(course, "collect", AID)
    collected = course / "submitted" / get_username() / AID / f"{AID}.ipynb"
    assert collected.read_text() == fetched.read_text()
