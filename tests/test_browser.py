"""What students and lecturers see, checked in a real browser.

Debian's Chromium (/usr/bin/chromium), headless, driven by Playwright
(playwright-core from tools/browser, installed with `npm ci --prefix tools/browser`,
which this module runs itself if needed). No network: pages come from servers on
127.0.0.1 and every request to another host is aborted and reported.

* Decks: every lecture's deck loads offline, has the expected number of slides,
  typeset math, decoded images, the right arrow key moves on, and every slide
  (all fragments shown) fits reveal.js's frame: nothing reaches past it, scrolls or clips.
* JupyterLab (the `make lab` server on a temporary copy of the course): a lecture
  runs with "Run All Cells" without errors; nbgrader's Validate button passes the
  solution and fails the blank release.
* The instructor's JupyterLab (the same server on a course where one assignment was generated
  and released to the course-local exchange): Nbgrader > Assignment List lists it under
  "Released assignments" with a Fetch button and no exchange or course error; Nbgrader >
  Formgrader lists every assignment, the released one as "released", with no exchange warning.
* Screenshots go to test-artifacts/screenshots/.

Without Chromium these tests are skipped, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from nncourse.instructor import slides
from nncourse.instructor.course import venv_env

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TOOLS = ROOT / "tools" / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "assignments").glob("*/*.ipynb") if p.stem == p.parent.name)

pytestmark = pytest.mark.slow


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def browser_stack():
    """Chromium, node and playwright-core, or a skip (a failure in CI)."""
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not found: apt-get install -y chromium")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node/npm not found: apt-get install -y nodejs npm")
    if not (BROWSER_TOOLS / "node_modules" / "playwright-core").is_dir():
        subprocess.run([npm, "ci", "--prefix", str(BROWSER_TOOLS), "--no-audit", "--no-fund"], check=True)
    return node


def run_node(script: str, spec: dict, tmp: Path, timeout: float) -> dict:
    """Run tools/browser/<script> with a JSON spec; return its JSON results."""
    spec_file, result_file = tmp / f"{script}.spec.json", tmp / f"{script}.result.json"
    spec_file.write_text(json.dumps(spec))
    proc = subprocess.run([shutil.which("node"), str(BROWSER_TOOLS / script), str(spec_file), str(result_file)],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0 and result_file.is_file(), f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(result_file.read_text())


@contextmanager
def serve(folder: Path):
    """A static file server for ``folder`` on 127.0.0.1 (free port); yields its base URL."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- decks
def visible_cells(nb: nbformat.NotebookNode):
    return [c for c in nb.cells if c.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") != "skip"]


def has_math(nb: nbformat.NotebookNode) -> bool:
    """Does a deck cell's markdown hold TeX (outside code spans and blocks)?"""
    for c in visible_cells(nb):
        if c.cell_type == "markdown":
            text = re.sub(r"```.*?```|`[^`]*`", "", c.source, flags=re.S)
            if re.search(r"\$[^$]+\$|\\\(|\\\[|\\begin\{", text):
                return True
    return False


def image_outputs(nb: nbformat.NotebookNode) -> int:
    """Number of raster image outputs in the cells the deck shows."""
    return sum(1 for c in visible_cells(nb) if c.cell_type == "code" for o in c.get("outputs", [])
               if set(o.get("data", {})) & {"image/png", "image/jpeg", "image/gif"})


@pytest.fixture(scope="module")
def deck_results(tmp_path_factory):
    if not LECTURES:
        pytest.skip("no lectures/*.ipynb yet")
    out = tmp_path_factory.mktemp("slides")
    slides.build_all(LECTURES, out, ROOT)
    with serve(out) as base:
        spec = {"decks": [{"name": nb.stem, "url": f"{base}/{nb.stem}.html"} for nb in LECTURES],
                "screenshots": str(SCREENSHOTS)}
        results = run_node("check_decks.mjs", spec, out, timeout=120 + 30 * len(LECTURES))
    assert results["blocked"] == [], f"decks tried to reach other hosts: {results['blocked']}"
    return {r["name"]: r for r in results["decks"]}


def deck(deck_results, notebook: Path) -> dict:
    result = deck_results[notebook.stem]
    assert "error" not in result, result.get("error")
    return result


lecture_ids = [p.stem for p in LECTURES]


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_loads_offline_without_errors(deck_results, notebook):
    result = deck(deck_results, notebook)
    assert result["problems"] == [], result["problems"]


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_has_one_slide_per_slide_cell(deck_results, notebook):
    result = deck(deck_results, notebook)
    layout = slides.slide_layout(nbformat.read(notebook, as_version=4))
    assert (result["totalSlides"], result["horizontalSlides"]) == (sum(layout), len(layout))


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_math_is_typeset(deck_results, notebook):
    result = deck(deck_results, notebook)
    assert result["mathFinished"], "MathJax did not finish"
    assert result["rawMath"] == [], f"TeX left as text: {result['rawMath']}"
    assert result["mathErrors"] == 0
    if has_math(nbformat.read(notebook, as_version=4)):
        assert result["mathElements"] > 0


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_images_load(deck_results, notebook):
    result = deck(deck_results, notebook)
    broken = [img for img in result["images"] if img["naturalWidth"] == 0]
    assert broken == []
    assert len(result["images"]) >= image_outputs(nbformat.read(notebook, as_version=4))


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_arrow_key_moves_on(deck_results, notebook):
    result = deck(deck_results, notebook)
    assert result["horizontalSlides"] > 1, "a lecture deck needs more than one 'slide' cell"
    assert result["firstIndices"]["h"] == 0
    if result["firstSlideFragments"]:
        assert (result["arrowEvent"], result["afterArrow"]["h"], result["afterArrow"]["f"]) == ("fragmentshown", 0, 0)
    else:
        assert (result["arrowEvent"], result["afterArrow"]["h"]) == ("slidechanged", 1)


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_slides_fit_their_frame(deck_results, notebook):
    """Every slide (each h/v section, all fragments shown): the box around its content (text,
    display math, code, outputs, pictures, tables) stays inside reveal.js's frame
    (the configured width x height), and no part of it scrolls or clips
    (scrollWidth/scrollHeight > clientWidth/clientHeight on a box that does not show its overflow)."""
    result = deck(deck_results, notebook)
    layout = slides.slide_layout(nbformat.read(notebook, as_version=4))
    assert result["slidesMeasured"] == sum(layout)
    report = [f"{notebook.stem} slide {m['h']}/{m['v']} \"{m['words'][:60]}\": content {m['contentWidth']}x"
              f"{m['contentHeight']} px in a {m['width']}x{m['height']} frame, overflow x {m['overflow']['x']} px, "
              f"y {m['overflow']['y']} px" + "".join(f"; {c['element']} clips x {c['x']} px, y {c['y']} px"
                                                    for c in m["clipped"])
              for m in result["overflows"]]
    assert report == [], "slides overflow their frame:\n" + "\n".join(report)


@pytest.mark.parametrize("notebook", LECTURES, ids=lecture_ids)
def test_deck_first_slide_screenshot(deck_results, notebook):
    shot = Path(deck(deck_results, notebook)["screenshot"])
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == slides.SLIDE_WIDTH  # PNG header: width


# --------------------------------------------------------------------------- JupyterLab
def lab_lecture() -> Path:
    """The lecture run in JupyterLab: $NNCOURSE_LAB_LECTURE, else lecture 01, else the first."""
    chosen = os.environ.get("NNCOURSE_LAB_LECTURE")
    if chosen:
        return ROOT / chosen
    return next((p for p in LECTURES if p.name.startswith("01_")), LECTURES[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_course(dest: Path, assignment: str) -> tuple[Path, Path]:
    """Copy the course to ``dest``; release ``assignment`` there; return (release, solution) notebooks."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in ("lectures", "assignments", "solutions"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    shutil.copy2(ROOT / "nbgrader_config.py", dest)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", assignment, "--force"], cwd=dest, check=True,
                   capture_output=True, env=venv_env())
    solution = dest / "solutions" / assignment / f"{assignment}.ipynb"
    if not solution.is_file():
        subprocess.run([*nbgrader, "generate_solution", assignment, "--force"], cwd=dest, check=True,
                       capture_output=True, env=venv_env())
    return dest / "release" / assignment / f"{assignment}.ipynb", solution


def lab_settings(folder: Path) -> None:
    """User settings for the test's JupyterLab: no news pop-up (no network anyway), and every
    cell kept in the page (no windowing) so the test can read all prompts and outputs."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                             "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, value in settings.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(value))


@contextmanager
def jupyter_lab(course: Path, tmp: Path):
    """`make lab`'s command on 127.0.0.1 with a random port and token; yields (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    lab_settings(tmp / "settings")
    env = venv_env() | {"JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
                        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")}
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", f"--port={port}", "--notebook-dir=.",
           "--no-browser", "--ip=127.0.0.1", f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log = open(tmp / "jupyter-lab.log", "w")
    server = subprocess.Popen(cmd, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (tmp / "jupyter-lab.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not start in 120 s"
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if not LECTURES:
        pytest.skip("no lectures/*.ipynb yet")
    if not ASSIGNMENTS:
        pytest.skip("no assignments/<id>/<id>.ipynb yet")
    tmp = tmp_path_factory.mktemp("lab")
    course = tmp / "course"
    course.mkdir()
    # The course's first assignment, whose stubs raise NotImplementedError where the tests call them.
    release, solution = prepare_course(course, "gradient_descent" if "gradient_descent" in ASSIGNMENTS
                                       else ASSIGNMENTS[0])
    lecture = lab_lecture().relative_to(ROOT)
    with jupyter_lab(course, tmp) as (base, token):
        spec = {"base": base, "token": token, "lecture": lecture.as_posix(), "screenshots": str(SCREENSHOTS),
                "runTimeout": 300, "validateTimeout": 240,
                "validate": [{"name": "release", "path": release.relative_to(course).as_posix()},
                             {"name": "solution", "path": solution.relative_to(course).as_posix()}]}
        results = run_node("check_lab.mjs", spec, tmp, timeout=900)
    results["saved_lecture"] = course / lecture
    return results


def test_lab_uses_no_other_host(lab):
    assert "error" not in lab, lab.get("error")
    assert lab["blocked"] == [], lab["blocked"]
    # Requests cut short by opening the next notebook (net::ERR_ABORTED) are not failures.
    serious = [p for p in lab["problems"] if not p.startswith("console:") and "net::ERR_ABORTED" not in p]
    assert serious == [], lab["problems"]


def test_lab_runs_a_lecture_without_errors(lab):
    assert "error" not in lab, lab.get("error")
    run = lab["lecture"]
    assert run["finished"], "the kernel did not go idle after Run All Cells"
    nb = nbformat.read(lab["saved_lecture"], as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # What the page showed: every code cell ran, tracebacks only where the lecture shows one on purpose.
    assert len(run["cells"]) == len(code)
    assert [c["prompt"] for c in run["cells"] if not re.fullmatch(r"\[\d+\]:", c["prompt"])] == []
    allowed = {i for i, c in enumerate(code) if "raises-exception" in c.metadata.get("tags", [])}
    shown = {i for i, c in enumerate(run["cells"]) if c["error"]}
    assert shown <= allowed, [run["cells"][i]["error"] for i in sorted(shown - allowed)]
    # What was saved: the same, from the file.
    assert all(c.execution_count for c in code)
    errors = {i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs)}
    assert errors == shown


def validation(lab, name: str) -> dict:
    assert "error" not in lab, lab.get("error")
    return next(v for v in lab["validations"] if v["name"] == name)


def test_lab_validate_passes_the_solution(lab):
    result = validation(lab, "solution")
    assert "validation-success" in result["classes"], result["text"]
    assert "Success! Your notebook passes all the tests." in result["text"]


def test_lab_validate_fails_the_blank_release(lab):
    result = validation(lab, "release")
    assert "validation-failed" in result["classes"], result["text"]
    assert "NotImplementedError" in result["text"]


def test_lab_screenshots_written(lab):
    assert "error" not in lab, lab.get("error")
    shots = [lab["lecture"]["screenshotOpen"], lab["lecture"]["screenshotRun"],
             *(v["screenshot"] for v in lab["validations"])]
    for shot in map(Path, shots):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


# --------------------------------------------------------------------------- the instructor's lab
INSTRUCTOR_ASSIGNMENT = "gradient_descent" if "gradient_descent" in ASSIGNMENTS else (ASSIGNMENTS or [None])[0]
COURSE_ID = "nn-course"  # nbgrader_config.py's CourseDirectory.course_id
EXCHANGE_MISSING = "The exchange directory does not exist"


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    """The `make lab` server on a temporary course in which the instructor has run `make release`
    (generate_assignment) and `nbgrader release_assignment` for one assignment, into the course-local
    exchange/ that nbgrader_config.py sets up; check_instructor.mjs opens Nbgrader > Assignment List
    and Nbgrader > Formgrader and reports what they show."""
    if not INSTRUCTOR_ASSIGNMENT:
        pytest.skip("no assignments/<id>/<id>.ipynb yet")
    tmp = tmp_path_factory.mktemp("instructor")
    course = tmp / "course"
    course.mkdir()
    prepare_course(course, INSTRUCTOR_ASSIGNMENT)
    released = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", INSTRUCTOR_ASSIGNMENT],
                              cwd=course, capture_output=True, text=True, env=venv_env(), timeout=300)
    outbound = course / "exchange" / COURSE_ID / "outbound" / INSTRUCTOR_ASSIGNMENT
    assert released.returncode == 0 and outbound.is_dir(), f"release_assignment:\n{released.stdout}\n{released.stderr}"
    with jupyter_lab(course, tmp) as (base, token):
        spec = {"base": base, "token": token, "screenshots": str(SCREENSHOTS), "timeout": 120}
        results = run_node("check_instructor.mjs", spec, tmp, timeout=600)
    results["log"] = (tmp / "jupyter-lab.log").read_text()
    results["sources"] = sorted(p.parent.name for p in (course / "assignments").glob("*/*.ipynb")
                                if p.stem == p.parent.name)
    return results


def instructor_page(instructor_lab, name: str) -> dict:
    assert "error" not in instructor_lab, instructor_lab["error"] + "\n--- jupyter lab log:\n" + \
        instructor_lab["log"][-3000:]
    return instructor_lab[name]


def test_lab_instructor_uses_no_other_host(instructor_lab):
    assert "error" not in instructor_lab, instructor_lab.get("error")
    assert instructor_lab["blocked"] == [], instructor_lab["blocked"]
    assert instructor_lab["problems"] == [], instructor_lab["problems"]  # no console error either


def test_lab_instructor_assignment_list_shows_the_release(instructor_lab):
    shown = instructor_page(instructor_lab, "assignmentList")
    assert EXCHANGE_MISSING not in shown["text"], shown["text"]
    assert "Error fetching courses" not in shown["text"], shown["text"]
    assert (shown["released"]["error"], shown["fetched"]["error"], shown["submitted"]["error"]) == ("", "", ""), \
        shown["text"]
    assert shown["versionError"] == "", shown["versionError"]
    assert shown["course"] == COURSE_ID, shown["text"]
    entries = [(i["name"], i["course"], i["button"]) for i in shown["released"]["items"]]
    assert entries == [(INSTRUCTOR_ASSIGNMENT, COURSE_ID, "Fetch")], \
        f"Released assignments showed {entries}; the panel said:\n{shown['text']}"


def test_lab_instructor_formgrader_lists_the_assignments(instructor_lab):
    shown = instructor_page(instructor_lab, "formgrader")
    assert "does not exist and could" not in shown["text"], shown["text"]
    assert [a for a in shown["alerts"] if a["id"].startswith("warning")] == [], shown["alerts"]
    status = {r["name"]: r["status"] for r in shown["rows"]}
    assert status.get(INSTRUCTOR_ASSIGNMENT) == "released", f"the Formgrader's rows: {shown['rows']}"
    # Every source assignment is listed; only the released one says so.
    assert set(status) >= set(instructor_lab["sources"]), f"the Formgrader's rows: {shown['rows']}"
    assert {n for n, s in status.items() if s == "released"} == {INSTRUCTOR_ASSIGNMENT}, shown["rows"]


def test_lab_instructor_screenshots_written(instructor_lab):
    for name in ("assignmentList", "formgrader"):
        shot = Path(instructor_page(instructor_lab, name)["screenshot"])
        assert shot.name in ("lab_assignment_list.png", "lab_formgrader.png"), shot
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
