"""Grading that cannot be fooled, cannot leak and does not stop (issue: sandboxed, robust, parallel).

A class of attacks and broken files is graded with `make grade`'s runner on a temporary
course; every submission must end with a recorded score no higher than it earned, and
the reason it was flagged. The sandbox itself is probed directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course import copy_course, nbgrader
from nncourse.course import venv_env
from simclass import Submission, answer_cells, build_submission

AID = "gradient_descent"
FULL = 14.0

pytestmark = pytest.mark.skipif(not Path("/usr/bin/bwrap").exists() and os.environ.get("CI") != "true",
                                reason="bubblewrap is not installed (CI installs it through .ci/system-packages)")

TRANSFORMER = "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"
TRY_WRAP = ("get_ipython().input_transformers_post.append(\n"
            "    lambda lines: ['try:\\n'] + ['    ' + l for l in lines] + ['\\nexcept BaseException:\\n    pass\\n'])\n")
CUSTOM_EXC = "get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)\n"
SHOWTRACEBACK = "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
PATCH_NUMPY = "np.allclose = lambda *a, **k: True\nnp.all = lambda *a, **k: True\n"
PATCH_HELPER = "import nncourse.checks as checks\nchecks.expect = lambda *a, **k: None\n"
PATCH_BUILTINS = "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
EXIT = "import os\nos._exit(0)\n"
FAKE_OUTPUT = "print('All tests passed! 14/14')\n"
WRONG_GRADIENT = "def mse_gradient(theta, X, y):\n    return np.zeros_like(theta)\n"


STUB = "raise NotImplementedError()\n"


def attacked(code: str) -> dict[str, str]:
    """Every answer wrong (a zero gradient, stubs elsewhere: 0 points honestly) with the attack in the first cell."""
    return {"mse_gradient": code + WRONG_GRADIENT, "gd_step": STUB, "sgd_epoch": STUB, "train": STUB,
            "max_stable_learning_rate": STUB}


def _release_cell_source(course: Path, gid: str) -> str:
    nb = nbformat.read(course / "release" / AID / f"{AID}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("secure-course"), [AID])
    with open(root / "nbgrader_config.py", "a") as fh:  # short limits keep the bad inputs fast
        fh.write("\nc.SandboxedExecute.timeout = 15\nc.SandboxedKernelManager.memory_mb = 1536\n")
    nbgrader(root, "generate_assignment", AID, "--force")
    return root


def write_notebook(course: Path, student: str, nb=None, raw: bytes | None = None) -> Path:
    folder = course / "submitted" / student / AID
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{AID}.ipynb"
    if raw is not None:
        path.write_bytes(raw)
    elif nb is not None:
        nbformat.write(nb, path)
    return path


def submission(course: Path, replacements: dict[str, str] | None = None, blank: bool = False):
    source = nbformat.read(course / "assignments" / AID / f"{AID}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / AID / f"{AID}.ipynb", as_version=4)
    return build_submission(release, source, Submission("x", replacements or {}, blank=blank))


def run_grade(course: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    result = subprocess.run([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "2", *extra], cwd=course,
                            env=env, capture_output=True, text=True, timeout=3000)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def ledger(course: Path) -> dict[str, dict]:
    lines = (course / "autograded" / ".grading-ledger.jsonl").read_text().splitlines()
    return {e["student"]: e for e in map(json.loads, lines)}


ATTACKS = {
    "attack_input_transformer": TRANSFORMER, "attack_try_except_wrapper": TRY_WRAP,
    "attack_custom_exception_handler": CUSTOM_EXC, "attack_showtraceback": SHOWTRACEBACK,
    "attack_patched_numpy": PATCH_NUMPY, "attack_patched_test_helper": PATCH_HELPER,
    "attack_patched_builtins": PATCH_BUILTINS, "attack_exit_kernel": EXIT, "attack_fake_output": FAKE_OUTPUT,
}


@pytest.fixture(scope="module")
def graded_class(course):
    """Attacks and bad inputs, all in one batch, with their highest honest score."""
    expected: dict[str, tuple[float, bool]] = {}  # student -> (max allowed score, must be flagged)
    for student, code in ATTACKS.items():
        write_notebook(course, student, submission(course, attacked(code)))
        expected[student] = (0.0, student not in {"attack_fake_output"})
    write_notebook(course, "honest", submission(course))
    expected["honest"] = (FULL, False)

    write_notebook(course, "bad_invalid_json", raw=b'{"cells": [ this is not json')
    write_notebook(course, "bad_empty_file", raw=b"")
    write_notebook(course, "bad_binary_file", raw=bytes(range(256)) * 4)
    (course / "submitted" / "bad_missing_notebook" / AID).mkdir(parents=True)
    for s in ("bad_invalid_json", "bad_empty_file", "bad_binary_file", "bad_missing_notebook"):
        expected[s] = (0.0, True)
    write_notebook(course, "bad_utf16", raw=nbformat.writes(submission(course)).encode("utf-16"))
    expected["bad_utf16"] = (FULL, True)

    nb = submission(course)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_gd_step"]
    write_notebook(course, "bad_deleted_test_cell", nb)
    expected["bad_deleted_test_cell"] = (FULL, True)
    nb = submission(course)
    dup = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "gd_step")
    nb.cells.insert(dup + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[dup]))))
    write_notebook(course, "bad_duplicated_cells", nb)
    expected["bad_duplicated_cells"] = (FULL, True)
    nb = submission(course)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_train":
            cell.source = "pass  # tests removed by the student"
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_sgd_epoch":
            cell.metadata["nbgrader"]["grade"] = False  # turns the test into an ungraded cell
    write_notebook(course, "bad_edited_cells", nb)
    expected["bad_edited_cells"] = (FULL, True)
    nb = submission(course)
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "python"}
    write_notebook(course, "bad_changed_kernelspec", nb)
    expected["bad_changed_kernelspec"] = (FULL, True)

    answers = answer_cells(nbformat.read(course / "assignments" / AID / f"{AID}.ipynb", as_version=4))
    bad_last = {
        "bad_infinite_loop": "while True:\n    pass\n",
        "bad_output_flood": "for i in range(200000):\n    print('flood', i)\n",
        "bad_memory_bomb": "hog = np.ones((1024, 1024, 512))\n",
        "bad_segfault": "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**9,), strides=(10**7,)).sum()\n",
    }
    for student, code in bad_last.items():
        write_notebook(course, student, submission(course, {"max_stable_learning_rate": code + answers["max_stable_learning_rate"]}))
    expected["bad_infinite_loop"] = (FULL - 2, False)
    expected["bad_output_flood"] = (FULL, False)
    expected["bad_memory_bomb"] = (FULL - 2, False)
    expected["bad_segfault"] = (0.0, True)

    start = time.perf_counter()
    result = run_grade(course)
    return expected, ledger(course), result.stdout, time.perf_counter() - start


@pytest.mark.slow
def test_no_attack_earns_a_point_and_honest_work_keeps_its_score(graded_class):
    expected, results, stdout, _ = graded_class
    assert results["honest"]["score"] == FULL
    for student, (ceiling, _) in expected.items():
        score = results[student]["score"]
        assert score is not None, f"{student}: no score recorded\n{stdout}"
        assert score <= ceiling, f"{student}: scored {score}, more than the {ceiling} it earned"


@pytest.mark.slow
def test_bad_submissions_get_exact_scores_and_reasons(graded_class):
    expected, results, stdout, _ = graded_class
    for student, (ceiling, must_flag) in expected.items():
        if student.startswith("bad_"):
            assert results[student]["score"] == ceiling, f"{student}: {results[student]}"
        if must_flag:
            assert results[student]["reasons"], f"{student} was not flagged: {results[student]}"
    assert "flagged for manual grading" in stdout and "students graded: " in stdout
    assert "interpreter" in " ".join(results["attack_input_transformer"]["reasons"])


@pytest.mark.slow
def test_feedback_states_the_reason(graded_class, course):
    nbgrader(course, "generate_feedback", AID, "--force")
    html = (course / "feedback" / "attack_custom_exception_handler" / AID / f"{AID}.html").read_text()
    assert "needs manual grading" in html and "set_custom_exc" in html
    html = (course / "feedback" / "bad_invalid_json" / AID / f"{AID}.html").read_text()
    assert "not valid JSON" in html


@pytest.mark.slow
def test_rerun_skips_recorded_students_and_never_duplicates(graded_class, course):
    before = ledger(course)
    start = time.perf_counter()
    run_grade(course)
    assert time.perf_counter() - start < 60, "a rerun regraded students that were already recorded"
    assert ledger(course) == before
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        ids = [s.student.id for s in gb.assignment_submissions(AID)]
    assert sorted(ids) == sorted(set(ids)) == sorted(before)


@pytest.mark.slow
def test_kill_minus_nine_resumes_without_loss(tmp_path):
    root = copy_course(tmp_path / "course", [AID])
    nbgrader(root, "generate_assignment", AID, "--force")
    for i in range(8):
        write_notebook(root, f"s{i:02d}", submission(root))
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "2", "--chunk", "1"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    path = root / "autograded" / ".grading-ledger.jsonl"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and (not path.is_file() or len(path.read_text().splitlines()) < 2):
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(path.read_text().splitlines())
    assert 2 <= partial < 8, "the batch finished before it could be interrupted"
    run_grade(root)
    final = ledger(root)
    assert sorted(final) == [f"s{i:02d}" for i in range(8)]
    assert all(e["score"] == FULL for e in final.values())


def test_grading_refuses_without_a_sandbox(tmp_path, monkeypatch):
    from nncourse.grading import sandbox

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    monkeypatch.delenv(sandbox.OPT_OUT, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="refusing to grade"):
        sandbox.check_sandbox_available()
    monkeypatch.setenv(sandbox.OPT_OUT, "1")
    sandbox.check_sandbox_available()  # the explicit opt-out runs, with a warning


@pytest.mark.slow
def test_sandbox_hides_secrets_blocks_network_and_writes(course):
    from nbclient import NotebookClient

    from nncourse.grading.sandbox import SandboxedKernelManager

    work = course / "autograded" / "probe" / AID
    work.mkdir(parents=True, exist_ok=True)
    probe = f'''
import os, socket
root = {str(course)!r}
visible = sorted(os.listdir(root))
try:
    socket.create_connection(("1.1.1.1", 80), timeout=3); net = "open"
except OSError:
    net = "blocked"
def can_write(p):
    try:
        open(p, "a").close(); return True
    except OSError:
        return False
print(visible, net, can_write(os.path.join(root, "nbgrader_config.py")), can_write("/etc/probe"),
      can_write("own.txt"), os.path.exists({str(course / "assignments")!r}))
'''
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    km = SandboxedKernelManager(kernel_name="python3", workdir=str(work))
    NotebookClient(nb, km=km, timeout=60, resources={"metadata": {"path": str(work)}}).execute()
    text = nb.cells[0].outputs[0]["text"]
    assert text.strip() == "['autograded'] blocked False False True False", text
