"""Grading that cannot be fooled, leaks nothing, and takes no honest point (issue: judged grading).

One class of submissions (attacks, honest code in many styles, a student who only tries to
read and write where it should not) is graded through every path a course uses:

- plain ``nbgrader autograde`` with the course's nbgrader_config.py,
- the Formgrader's autograde button (nbgrader's API call, in-process, in an event loop), and
- ``make grade``'s runner (``python -m nncourse.grading.run``),

on a NumPy assignment (gradient_descent) and on one whose hidden tests use Keras
(optimisers). Every attack must score at most what the same submission scores without
the attack; every honest style must keep full marks; every path must give the same
exact table (one class per path, so pytest-xdist spreads the paths); nothing
secret may appear under autograded/ or feedback/; sources, release, submissions and other
students' grades must be unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course import NBGRADER_API, copy_course, gradebook_scores, nbgrader
from nncourse.instructor.course import venv_env
from nncourse.grading.preprocessors import notice_reasons
from simclass import Submission, answer_cells, build_submission
from simclass import test_points as points_per_test  # aliased: pytest would collect test_points

GD, OPT = "gradient_descent", "optimisers"
FULL = {GD: 17.0, OPT: 16.0}
SECRET = "nncourse-secret-" + secrets.token_hex(8)
MARKER = "honest-marker-" + secrets.token_hex(6)
# Written into the solution regions of the course's sources after the class is built: only a read of the
# instructor's source can show it (the helper package's own code mentions "BEGIN SOLUTION" too).
SOURCE_MARKER = "instructor-source-" + secrets.token_hex(6)

pytestmark = pytest.mark.skipif(not Path("/usr/bin/bwrap").exists() and os.environ.get("CI") != "true",
                                reason="bubblewrap is not installed (CI installs it through .ci/system-packages)")

STUB = "raise NotImplementedError()\n"
WRONG_GRADIENT = "def huber_gradient(theta, X, y, delta):\n    return np.zeros_like(theta)\n"
TRY_WRAP = ("get_ipython().input_transformers_post.append(\n"
            "    lambda lines: ['try:\\n'] + ['    ' + l for l in lines] + ['\\nexcept BaseException:\\n    pass\\n'])\n")

# Code that tries to earn points without the answer. Each is put before a wrong gradient,
# with every other part left as the stub: honestly that is 0 points.
ATTACKS = {
    "attack_input_transformer": TRY_WRAP,
    "attack_line_magic": "%time " + TRY_WRAP.replace("\n", " ").replace("(    ", "(").strip() + "\n",
    "attack_custom_exception_handler": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n",
    "attack_showtraceback": "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n",
    "attack_alias_patched_numpy": "_m = np\n_m.allclose = lambda *a, **k: True\n_m.all = lambda *a, **k: True\n",
    "attack_update_wrapper_helper": (
        "import functools\nimport nncourse.checks as _c\n"
        "for _f in (_c.expect, _c.expect_close, _c.expect_array):\n"
        "    functools.update_wrapper(_f, lambda *a, **k: a[0] if a else None, assigned=('__code__',))\n"),
    "attack_attrgetter_globals": (
        "import operator\nfrom nncourse.checks import expect_close as _ec\n"
        "_g = operator.attrgetter('__globals__')(_ec)\n_g['np'].allclose = lambda *a, **k: True\n"),
    "attack_patched_builtins": "import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n",
    "attack_exit_kernel": "import os\nos._exit(0)\n",
    "attack_fake_output": "print('All tests passed! 17/17')\n",
}
LIAR = '''
class _Always:
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __bool__ = lambda self: True
    def __array__(self, dtype=None, copy=None):
        return np.zeros(2)
def huber_gradient(theta, X, y, delta):
    return _Always()
'''
# Tries to read and write outside its folder; scores 0 (stubs) and must leave no trace.
PROBE = '''
import glob, os
_found = []
for _pattern in ("/work/**/*.ipynb", "/root/**", "/tmp/**", "../../**/*.ipynb", "/run/**", "{outside}/*"):
    try:
        for _p in glob.glob(_pattern, recursive=True)[:50]:
            try:
                _found.append(open(_p, errors="replace").read()[:2000])
            except OSError:
                pass
    except OSError:
        pass
print("ENV", dict(os.environ))
print("FOUND", _found)
try:
    os.symlink("{course}/gradebook.db", "gradient_descent.ipynb.link")
    os.symlink("{course}/assignments", "sources")
    open("left-behind.txt", "w").write("written by the student kernel")
except OSError as exc:
    print("write failed", exc)
'''

FAKE_NUMPY_AND_CHECKS = """
import numpy as _real
class _FakeNumpy:
    def __getattr__(self, name):
        if name in ("allclose", "all", "isclose"):
            return lambda *a, **k: True
        return getattr(_real, name)
np = _FakeNumpy()
def expect(*a, **k):
    pass
def expect_close(*a, **k):
    pass
def expect_array(value, shape, name):
    return _real.zeros(shape)
"""
# A module in the submitted folder named like one a hidden test imports: never imported by the judge.
KERAS_MODULE = """
import os
print("LEAKED", os.environ.get("NNCOURSE_TEST_SECRET"))
import nncourse.checks as _c
_c.expect.__code__ = (lambda condition, message: None).__code__
_c.expect_close.__code__ = (lambda actual, expected, name, *, what="", rtol=0, atol=0: None).__code__
raise ImportError("not the real keras")
"""

HONEST = {  # answer grade_id -> replacement, built from the instructor's solution by honest_styles()
    "honest_import_os_sys_math": ("huber_gradient", "import os\nimport sys\nimport math\n{code}"),
    "honest_future_annotations": ("huber_gradient", "from __future__ import annotations\n{code}"),
    "honest_warnings": ("huber_gradient", "import warnings\n{code}".replace(
        "{code}", "def huber_gradient(theta, X, y, delta):\n    warnings.warn('checking shapes', UserWarning)\n"
                  "    psi = np.clip(X @ theta - y, -delta, delta)\n    return X.T @ psi / X.shape[0]\n")),
    "honest_comprehension_names": ("huber_gradient", (
        "def huber_gradient(theta, X, y, delta):\n    _X = X\n"
        "    g = _X.T @ np.clip(_X @ theta - y, -delta, delta) / _X.shape[0]\n"
        "    return np.array([g for g in g])\n")),
    "honest_iter_class": ("sgd_epoch", (
        "class Batches:\n    def __init__(self, order, size):\n        self.order, self.size = order, size\n"
        "    def __iter__(self):\n        for s in range(0, len(self.order), self.size):\n"
        "            yield self.order[s:s + self.size]\n"
        "def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):\n"
        "    n = X.shape[0]\n    drawn = rng.integers(0, n, size=n) if replace else rng.permutation(n)\n"
        "    for batch in Batches(drawn, batch_size):\n"
        "        theta = theta - eta * huber_gradient(theta, X[batch], y[batch], delta)\n    return theta\n")),
    "honest_eq_class": ("armijo_step", (
        "class Step:\n    def __init__(self, eta):\n        self.eta = eta\n"
        "    def __eq__(self, other):\n        return isinstance(other, Step) and other.eta == self.eta\n"
        "    __hash__ = object.__hash__\n"
        "def armijo_step(theta, X, y, delta, eta0, c=0.5, shrink=0.5):\n    assert Step(eta0) == Step(eta0)\n"
        "    g = huber_gradient(theta, X, y, delta)\n    step = Step(eta0)\n"
        "    while huber_loss(theta - step.eta * g, X, y, delta) > huber_loss(theta, X, y, delta) - c * step.eta * (g @ g):\n"
        "        step = Step(step.eta * shrink)\n    return theta - step.eta * g, step.eta\n")),
    "honest_cell_magic_time": ("gd_rates", "%%time\n{code}"),
    "honest_getattr_eval_globals": ("gd_rates", (
        "def gd_rates(X, eta, steps):\n    linalg = getattr(np, 'linalg')\n    one = eval('2 - 1')\n"
        "    assert 'np' in globals()\n    lam = linalg.eigvalsh(X.T @ X / X.shape[0])\n"
        "    theta = np.ones(X.shape[1])\n    norms = [linalg.norm(theta)]\n    for _ in range(steps):\n"
        "        theta = theta - eta * X.T @ (X @ theta) / X.shape[0]\n        norms.append(linalg.norm(theta))\n"
        "    return float(np.abs(one - eta * lam).max()), float((norms[-1] / norms[steps // 2]) ** (2 / steps))\n")),
    "honest_debug_prints": ("armijo_step", (
        "def armijo_step(theta, X, y, delta, eta0, c=0.5, shrink=0.5):\n    print('armijo_step called with eta0', eta0)\n"
        "    g = huber_gradient(theta, X, y, delta)\n    eta = eta0\n"
        "    while huber_loss(theta - eta * g, X, y, delta) > huber_loss(theta, X, y, delta) - c * eta * (g @ g):\n"
        "        eta = eta * shrink\n        print('shrinking to', eta)\n    return theta - eta * g, eta\n")),
    "honest_rng_styles": ("sgd_epoch", (
        "def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):\n    rng = np.random.default_rng(rng)\n"
        "    assert isinstance(rng, np.random.Generator)\n    order = np.arange(X.shape[0])\n"
        "    if replace:\n        order = rng.choice(order, size=len(order), replace=True)\n    else:\n"
        "        rng.shuffle(order)\n"
        "    for start in range(0, len(order), batch_size):\n        batch = order[start:start + batch_size]\n"
        "        theta = theta - eta * huber_gradient(theta, X[batch], y[batch], delta)\n    return theta\n")),
    "honest_uses_test_variables": ("armijo_step", (
        "{code}\n_first = armijo_step(np.zeros(2), X_small, y_small, 1.0, 0.1)  # X_small comes from the visible tests\n")),
}


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _notebooks(root: Path, aid: str):
    source = nbformat.read(root / "assignments" / aid / f"{aid}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / aid / f"{aid}.ipynb", as_version=4)
    return source, release


def write(root: Path, aid: str, student: str, nb) -> None:
    folder = root / "submitted" / student / aid
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{aid}.ipynb")


def build_class(root: Path, outside: Path) -> dict[tuple[str, str], tuple[str, float]]:
    """Write every submission; return (aid, student) -> ("max" or "exact", score)."""
    expected: dict[tuple[str, str], tuple[str, float]] = {}
    source, release = _notebooks(root, GD)
    solution = answer_cells(source)
    stubs = {gid: STUB for gid in solution}

    def sub(name, replacements, blank=False):
        return build_submission(release, source, Submission(name, replacements, blank=blank))

    honest_nb = sub("honest", {"huber_gradient": f"# {MARKER}\n" + solution["huber_gradient"]})
    write(root, GD, "honest", honest_nb)
    expected[GD, "honest"] = ("exact", FULL[GD])
    write(root, GD, "blank", sub("blank", {}, blank=True))
    expected[GD, "blank"] = ("exact", 0.0)

    for name, code in ATTACKS.items():
        write(root, GD, name, sub(name, {**stubs, "huber_gradient": code + WRONG_GRADIENT}))
        expected[GD, name] = ("max", 0.0)
    write(root, GD, "attack_lying_objects", sub("attack_lying_objects", {**stubs, "huber_gradient": LIAR}))
    expected[GD, "attack_lying_objects"] = ("max", 0.0)
    # Overwrites the array a hidden test passes in, so that a constant answer matches its reference (red team,
    # round 3): the hidden tests pass copies, so this scores what returning (1.0, 1.0) alone scores.
    inplace = "def gd_rates(X, eta, steps):\n    X[:] = 0.0\n    X[:, 0] = 1.0\n    return 1.0, 1.0\n"
    write(root, GD, "attack_inplace_input", sub("attack_inplace_input", {**stubs, "gd_rates": inplace}))
    expected[GD, "attack_inplace_input"] = ("max", 0.0)

    # The attack in a cell the student added (no nbgrader metadata), and behind a cleared solution flag.
    nb = sub("attack_extra_cell", {**stubs, "huber_gradient": WRONG_GRADIENT})
    nb.cells.insert(2, nbformat.v4.new_code_cell(TRY_WRAP))
    write(root, GD, "attack_extra_cell", nb)
    expected[GD, "attack_extra_cell"] = ("max", 0.0)
    nb = sub("attack_solution_flag_off", {**stubs, "huber_gradient": TRY_WRAP + WRONG_GRADIENT})
    for cell in nb.cells:
        if _gid(cell) == "huber_gradient":
            cell.metadata["nbgrader"]["solution"] = False
    write(root, GD, "attack_solution_flag_off", nb)
    expected[GD, "attack_solution_flag_off"] = ("max", 0.0)

    # The setup cell deleted, or moved below the tests, with the student's own np and checks in its place.
    for name in ("attack_setup_deleted", "attack_setup_moved"):
        nb = sub(name, {**stubs, "huber_gradient": FAKE_NUMPY_AND_CHECKS + WRONG_GRADIENT})
        setup = next(c for c in nb.cells if _gid(c) == "setup")
        nb.cells.remove(setup)
        if name == "attack_setup_moved":
            nb.cells.append(setup)
        write(root, GD, name, nb)
        expected[GD, name] = ("max", 0.0)

    probe = PROBE.replace("{outside}", str(outside)).replace("{course}", str(root))
    write(root, GD, "attack_probe", sub("attack_probe", {**stubs, "huber_gradient": probe + WRONG_GRADIENT}))
    expected[GD, "attack_probe"] = ("max", 0.0)
    # A symlink inside the submitted folder: never followed, never copied.
    write(root, GD, "attack_symlink", sub("attack_symlink", dict(stubs)))
    (root / "submitted" / "attack_symlink" / GD / "data.csv").symlink_to(root / "assignments" / GD / f"{GD}.ipynb")
    expected[GD, "attack_symlink"] = ("max", 0.0)

    for name, (gid, template) in HONEST.items():
        write(root, GD, name, sub(name, {gid: template.replace("{code}", solution[gid])}))
        expected[GD, name] = ("exact", FULL[GD])
    assert "/ X.shape[0]" in solution["huber_gradient"]
    nb = sub("honest_scratch_cell", {"huber_gradient": solution["huber_gradient"].replace("/ X.shape[0]", "* ONE / X.shape[0]")})
    nb.cells.insert(2, nbformat.v4.new_code_cell("ONE = 1.0  # my own constant"))
    write(root, GD, "honest_scratch_cell", nb)
    expected[GD, "honest_scratch_cell"] = ("exact", FULL[GD])
    nb = sub("honest_markdown_answer", {})
    for i, cell in enumerate(nb.cells):
        if _gid(cell) == "armijo_step":  # one key press turned the answer into a Markdown cell
            nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=copy.deepcopy(cell.metadata))
    write(root, GD, "honest_markdown_answer", nb)
    expected[GD, "honest_markdown_answer"] = ("exact", FULL[GD])

    # Keras in the hidden tests: a student who replaces keras.optimizers.Lion (and numpy) through an alias. The wrong
    # lion_step (signSGD, no momentum) passes the visible tests, so only the hidden Keras trajectory can take its points.
    source, release = _notebooks(root, OPT)
    wrong_lion = ("def lion_step(theta, grad, m, lr, beta_1=0.9, beta_2=0.99):\n"
                  "    return theta - lr * np.sign(grad), m\n")
    fake_lion = ("import keras as _k\nclass _Fake:\n    def __init__(self, *a, **k):\n        pass\n"
                 "    def apply_gradients(self, pairs):\n        pass\n_k.optimizers.Lion = _Fake\n"
                 "_n = np\n_n.allclose = lambda *a, **k: True\n")
    write(root, OPT, "honest", build_submission(release, source, Submission("honest")))
    expected[OPT, "honest"] = ("exact", FULL[OPT])
    write(root, OPT, "wrong_lion", build_submission(release, source, Submission("w", {"lion_step": wrong_lion})))
    write(root, OPT, "attack_keras_alias",
          build_submission(release, source, Submission("a", {"lion_step": fake_lion + wrong_lion})))
    write(root, OPT, "attack_keras_module", build_submission(release, source, Submission("k", {"lion_step": wrong_lion})))
    (root / "submitted" / "attack_keras_module" / OPT / "keras.py").write_text(KERAS_MODULE)
    return expected


def snapshot(root: Path, student_of_interest: str | None = None) -> dict[str, str]:
    """sha256 of every file of the sources, the release and the submissions."""
    out = {}
    for sub in ("assignments", "release", "submitted", "nbgrader_config.py"):
        base = root / sub
        for p in sorted([base] if base.is_file() else base.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def grading_env() -> dict[str, str]:
    env = venv_env()
    env.pop("NBGRADER_DB_URL", None)
    env["NNCOURSE_TEST_SECRET"] = SECRET  # an instructor's secret in the grader's environment
    return env


def run(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=root, env=grading_env(), capture_output=True, text=True,
                            timeout=3000)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def grade_plain(root: Path) -> str:
    logs = ""
    for aid in (GD, OPT):
        logs += run(root, "-m", "nbgrader", "autograde", aid, "--create", "--force").stderr
        run(root, "-m", "nbgrader", "generate_feedback", aid, "--force")
    return logs


def grade_runner(root: Path) -> str:
    logs = ""
    for aid in (GD, OPT):
        result = run(root, "-m", "nncourse.grading.run", aid, "--jobs", "2")
        logs += result.stdout + result.stderr
        run(root, "-m", "nbgrader", "generate_feedback", aid, "--force")
    return logs


# What the Formgrader's autograde button does: the API call, in-process, inside a running event loop.
FORMGRADER = "import asyncio, json, sys\n" + NBGRADER_API + """

async def main():
    for student in sys.argv[2:]:
        result = api.autograde(sys.argv[1], student, force=True, create=True)
        print(json.dumps({"student": student, "success": result["success"]}), flush=True)


asyncio.run(main())
"""


def grade_formgrader(root: Path) -> str:
    logs = ""
    for aid in (GD, OPT):
        students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{aid}"))
        logs += run(root, "-c", FORMGRADER, aid, *students).stdout
        run(root, "-m", "nbgrader", "generate_feedback", aid, "--force")
    return logs


def lion_points(root: Path) -> float:
    return points_per_test(_notebooks(root, OPT)[0])["test_lion_step"]


class AttackedClass:
    """The class of attacks and honest styles graded through one path (a subclass per path, so xdist spreads them).

    Every honest student's score is exact, so the paths agree by agreeing with one table; an attack's is bounded
    by what the same submission earns without the attack."""

    path: str

    @staticmethod
    def grade(root: Path) -> str:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        """(root, scores, expected, before, logs) of this path."""
        outside = tmp_path_factory.mktemp("outside-the-course")
        (outside / "private.txt").write_text(SECRET)
        root = copy_course(tmp_path_factory.mktemp("secure-" + cls.path.replace(" ", "-")), [GD, OPT])
        for aid in (GD, OPT):
            nbgrader(root, "generate_assignment", aid, "--force")
        expected = build_class(root, outside)
        # The wrong Lion loses the Lion test's points and nothing else; the attacks on top of it gain nothing.
        expected[OPT, "wrong_lion"] = ("exact", FULL[OPT] - lion_points(root))
        for student in ("attack_keras_alias", "attack_keras_module"):
            expected[OPT, student] = ("max", FULL[OPT] - lion_points(root))
        for aid in (GD, OPT):
            source = root / "assignments" / aid / f"{aid}.ipynb"
            source.write_text(source.read_text().replace("### BEGIN SOLUTION", f"### BEGIN SOLUTION  {SOURCE_MARKER}"))
        before = snapshot(root)
        logs = cls.grade(root)
        scores = {(aid, s): v for aid in (GD, OPT)
                  for s, v in gradebook_scores(f"sqlite:///{root / 'gradebook.db'}", aid).items()}
        return root, scores, expected, before, logs

    @pytest.mark.slow
    def test_attacks_gain_nothing_and_honest_styles_keep_full_marks(self, graded):
        _, scores, expected, _, _ = graded
        wrong = []
        for key, (kind, value) in expected.items():
            got = scores.get(key)
            # "max" 0 is exact too (no score is negative); "max" says the attack's honest score is the bound.
            if got is None or (kind == "exact" and got != value) or (kind == "max" and got > value):
                wrong.append(f"{key}: {kind} {value}, got {got}")
        assert not wrong, "\n".join(wrong)
        assert set(scores) == set(expected), f"graded but not expected: {sorted(set(scores) - set(expected))}"
        assert scores[OPT, "honest"] == FULL[OPT], "a student's keras.py changed another student's grade"

    @pytest.mark.slow
    def test_nothing_secret_reaches_autograded_or_feedback(self, graded):
        root, _, _, _, _ = graded
        for folder in ("autograded", "feedback"):
            for p in (root / folder).rglob("*"):
                assert not p.is_symlink(), f"{p} is a symlink"
                if not p.is_file():
                    continue
                text = p.read_text(errors="replace")
                assert SECRET not in text, f"{p} holds a secret of the grader's environment or file system"
                assert "left-behind" not in p.name, f"{p} was written by a student kernel"
                assert SOURCE_MARKER not in text, f"{p} holds the instructor's source"
                if "honest" not in p.relative_to(root).parts:
                    assert MARKER not in text, f"{p} holds another student's work"
        assert not (root / "autograded" / "attack_symlink" / GD / "data.csv").exists()
        assert not (root / "feedback" / "attack_symlink" / GD / "data.csv").exists()

    @pytest.mark.slow
    def test_sources_release_and_submissions_are_unchanged(self, graded):
        root, _, _, before, _ = graded
        assert snapshot(root) == before

    @pytest.mark.slow
    def test_the_probe_saw_nothing_of_the_host(self, graded):
        root = graded[0]
        nb = nbformat.read(root / "autograded" / "attack_probe" / GD / f"{GD}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "ENV" in printed and "FOUND" in printed, "the probe did not run"
        assert SECRET not in printed and "NNCOURSE_TEST_SECRET" not in printed
        assert SOURCE_MARKER not in printed and MARKER not in printed


class TestAttacks_autograde(AttackedClass):
    path = "autograde"
    grade = staticmethod(grade_plain)


class TestAttacks_make_grade(AttackedClass):
    path = "make grade"
    grade = staticmethod(grade_runner)


class TestAttacks_formgrader(AttackedClass):
    path = "formgrader"
    grade = staticmethod(grade_formgrader)


# ---------------------------------------------------------------- make grade on broken files, reruns, crashes

AID = GD


def submission(course: Path, replacements: dict[str, str] | None = None, blank: bool = False):
    source, release = _notebooks(course, AID)
    return build_submission(release, source, Submission("x", replacements or {}, blank=blank))


def write_notebook(course: Path, student: str, nb=None, raw: bytes | None = None) -> Path:
    folder = course / "submitted" / student / AID
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{AID}.ipynb"
    if raw is not None:
        path.write_bytes(raw)
    elif nb is not None:
        nbformat.write(nb, path)
    return path


def run_grade(course: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    result = run(course, "-m", "nncourse.grading.run", AID, "--jobs", "2", *extra, check=False)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def ledger(course: Path) -> dict[str, dict]:
    lines = (course / "autograded" / ".grading-ledger.jsonl").read_text().splitlines()
    return {e["student"]: e for e in map(json.loads, lines)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("robust-course"), [AID])
    with open(root / "nbgrader_config.py", "a") as fh:  # short limits keep the bad inputs fast
        fh.write("\nc.JudgedExecute.timeout = 15\nc.SandboxedKernelManager.memory_mb = 1536\n")
    nbgrader(root, "generate_assignment", AID, "--force")
    return root


@pytest.fixture(scope="module")
def graded_class(course):
    """Broken files and misbehaving code, all in one batch, with their exact scores."""
    full = FULL[AID]
    expected: dict[str, tuple[float, bool]] = {}  # student -> (score, must be flagged)
    write_notebook(course, "honest", submission(course))
    expected["honest"] = (full, False)
    write_notebook(course, "bad_invalid_json", raw=b'{"cells": [ this is not json')
    write_notebook(course, "bad_empty_file", raw=b"")
    write_notebook(course, "bad_binary_file", raw=bytes(range(256)) * 4)
    (course / "submitted" / "bad_missing_notebook" / AID).mkdir(parents=True)
    for s in ("bad_invalid_json", "bad_empty_file", "bad_binary_file", "bad_missing_notebook"):
        expected[s] = (0.0, True)
    write_notebook(course, "bad_utf16", raw=nbformat.writes(submission(course)).encode("utf-16"))
    expected["bad_utf16"] = (full, False)  # decoded and graded; a note in the log, no manual review

    nb = submission(course)
    nb.cells = [c for c in nb.cells if _gid(c) != "test_armijo_step"]
    write_notebook(course, "bad_deleted_test_cell", nb)
    deleted_points = points_per_test(_notebooks(course, AID)[0])["test_armijo_step"]
    expected["bad_deleted_test_cell"] = (full - deleted_points, True)  # as stock: the deleted test scores 0
    nb = submission(course)
    dup = next(i for i, c in enumerate(nb.cells) if _gid(c) == "armijo_step")
    nb.cells.insert(dup + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[dup]))))
    write_notebook(course, "bad_duplicated_cells", nb)
    expected["bad_duplicated_cells"] = (full, False)
    nb = submission(course)
    for cell in nb.cells:
        if _gid(cell) == "test_polyak_descent":
            cell.source = "pass  # tests removed by the student"
        if _gid(cell) == "test_sgd_epoch":
            cell.metadata["nbgrader"]["grade"] = False  # turns the test into an ungraded cell
    write_notebook(course, "bad_edited_cells", nb)
    expected["bad_edited_cells"] = (full, False)  # nbgrader restores the instructor's cells
    nb = submission(course)
    nb.metadata["kernelspec"] = {"name": "vscode-python", "display_name": "Python (VS Code)", "language": "python"}
    write_notebook(course, "bad_renamed_kernelspec", nb)
    expected["bad_renamed_kernelspec"] = (full, False)

    answers = answer_cells(_notebooks(course, AID)[0])
    bad_last = {
        "bad_infinite_loop": "while True:\n    pass\n",
        "bad_output_flood": "for i in range(200000):\n    print('flood', i)\n",
        "bad_memory_bomb": "hog = np.ones((1024, 1024, 512))\n",
        "bad_segfault": "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(10**9,), strides=(10**7,)).sum()\n",
    }
    for student, code in bad_last.items():
        write_notebook(course, student, submission(course, {"gd_rates": code + answers["gd_rates"]}))
    expected["bad_infinite_loop"] = (full - 2, False)
    expected["bad_output_flood"] = (full, False)
    expected["bad_memory_bomb"] = (full - 2, False)
    expected["bad_segfault"] = (full - 2, True)  # the kernel died in the last answer: earlier parts keep their points
    write_notebook(course, ".dot_student", submission(course))

    start = time.perf_counter()
    result = run_grade(course, check=False)
    return expected, ledger(course), result, time.perf_counter() - start


class TestBadSubmissions:
    """make grade on broken files and misbehaving code, then a rerun."""

    @pytest.mark.slow
    def test_bad_submissions_get_exact_scores_and_reasons(self, graded_class):
        expected, results, result, _ = graded_class
        for student, (score, must_flag) in expected.items():
            assert results[student]["score"] == score, f"{student}: {results[student]}"
            if must_flag:
                assert results[student]["reasons"], f"{student} was not flagged: {results[student]}"
            else:
                assert not results[student]["reasons"], f"{student} was flagged for nothing: {results[student]}"
        assert "flagged for manual grading" in result.stdout and "students graded: " in result.stdout
        assert "honest" in result.stdout.split("flagged for manual grading")[1], "no per-student table"

    @pytest.mark.slow
    def test_an_odd_student_id_gets_the_same_message_in_both_paths(self, graded_class, course):
        from nncourse.grading.harden import student_id_message

        _, results, result, _ = graded_class
        message = student_id_message(".dot_student")
        assert ".dot_student" not in results and result.returncode == 1
        assert message in result.stderr
        plain_all = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", AID, "--create"], cwd=course,
                                   env=grading_env(), capture_output=True, text=True, timeout=1200)
        assert message in plain_all.stdout + plain_all.stderr, plain_all.stderr[-2000:]

    @pytest.mark.slow
    def test_feedback_states_the_reason(self, graded_class, course):
        nbgrader(course, "generate_feedback", AID, "--force")
        html = (course / "feedback" / "bad_invalid_json" / AID / f"{AID}.html").read_text()
        assert "not valid JSON" in html
        html = (course / "feedback" / "bad_deleted_test_cell" / AID / f"{AID}.html").read_text()
        assert "deleted" in html

    @pytest.mark.slow
    def test_rerun_skips_recorded_students_and_never_duplicates(self, graded_class, course):
        before = ledger(course)
        start = time.perf_counter()
        result = run_grade(course, check=False)
        assert time.perf_counter() - start < 60, "a rerun regraded students that were already recorded"
        assert "skipped (already graded against the same tests): " in result.stdout
        assert ledger(course) == before
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            ids = [s.student.id for s in gb.assignment_submissions(AID)]
        assert sorted(ids) == sorted(set(ids)) == sorted(before)


class TestRegrading:
    """A changed test regrades everyone; --force regrades all."""

    @pytest.mark.slow
    def test_a_changed_test_regrades_everyone_and_force_regrades_all(self, tmp_path):
        root = copy_course(tmp_path / "course", [AID])
        nbgrader(root, "generate_assignment", AID, "--force")
        solution = answer_cells(_notebooks(root, AID)[0])
        half = solution["gd_rates"].replace("np.abs(1.0 - eta * curvatures)", "np.abs(1.0 - 0.5 * eta * curvatures)")
        assert half != solution["gd_rates"]
        write_notebook(root, "exact", submission(root))
        write_notebook(root, "half_bound", submission(root, {"gd_rates": half}))
        run_grade(root)
        assert {s: e["score"] for s, e in ledger(root).items()} == {"exact": 17.0, "half_bound": 15.0}
        # The instructor loosens the rate test so that the rate of half the step also passes, and releases again.
        path = root / "assignments" / AID / f"{AID}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if _gid(cell) == "test_gd_rates":
                cell.source = "expect(0 < gd_rates(X_small, 0.1, 20)[0] < 1, 'the predicted rate should be below 1')\n"
        nbformat.write(nb, path)
        nbgrader(root, "generate_assignment", AID, "--force")
        result = run_grade(root)
        assert "graded now: 2" in result.stdout
        assert {s: e["score"] for s, e in ledger(root).items()} == {"exact": 17.0, "half_bound": 17.0}
        nbgrader(root, "generate_feedback", AID, "--force")
        html = (root / "feedback" / "half_bound" / AID / f"{AID}.html").read_text()
        assert "the predicted rate should be below 1" in html
        result = run_grade(root, "--force")
        assert "graded now: 2" in result.stdout


class TestTimeBudget:
    """Added cells that each sleep just under the cell timeout cannot hold the class's grading for hours."""

    @pytest.mark.slow
    def test_the_students_cells_share_one_budget_and_the_tests_still_run(self, tmp_path):
        # Red team, 2026-12-04: three added `time.sleep(50)` cells took 153 s of plain `nbgrader autograde` for one
        # student, unflagged; a thousand would take 14 h, and every student after them waits.
        root = copy_course(tmp_path / "course", [AID])
        with open(root / "nbgrader_config.py", "a") as fh:
            fh.write("\nc.JudgedExecute.notebook_seconds = 3\n")
        nbgrader(root, "generate_assignment", AID, "--force")
        write_notebook(root, "honest", submission(root))
        stalling = submission(root)
        last = next(i for i, c in enumerate(stalling.cells) if _gid(c) == "gd_rates")
        stalling.cells.insert(last, nbformat.v4.new_code_cell("import time\ntime.sleep(5)"))
        write_notebook(root, "stalling", stalling)
        run(root, "-m", "nbgrader", "autograde", AID, "--create", "--force")
        points = points_per_test(_notebooks(root, AID)[0])
        assert gradebook_scores(f"sqlite:///{root / 'gradebook.db'}", AID) == {
            "honest": sum(points.values()), "stalling": sum(points.values()) - points["test_gd_rates"]}
        graded = nbformat.read(root / "autograded" / "stalling" / AID / f"{AID}.ipynb", as_version=4)
        assert any("they may take in all" in r for r in notice_reasons(graded))
        answer = next(c for c in graded.cells if _gid(c) == "gd_rates")
        assert answer.outputs[0]["ename"] == "TimeoutError"  # not run
        test = next(c for c in graded.cells if _gid(c) == "test_gd_rates")
        assert any(o.get("output_type") == "error" for o in test.outputs)  # run, and failed without the answer
        table = run_grade(root, "--force").stdout  # `make grade` flags the student in its table
        row = next(line for line in table.splitlines() if "stalling" in line and "they may take in all" in line)
        assert str(int(sum(points.values()) - points["test_gd_rates"])) in row


class TestResume:
    """A batch killed with SIGKILL resumes without losing or doubling a grade."""

    @pytest.mark.slow
    def test_kill_minus_nine_resumes_without_loss(self, tmp_path):
        root = copy_course(tmp_path / "course", [AID])
        nbgrader(root, "generate_assignment", AID, "--force")
        for i in range(8):
            write_notebook(root, f"s{i:02d}", submission(root))
        proc = subprocess.Popen([sys.executable, "-m", "nncourse.grading.run", AID, "--jobs", "2", "--chunk", "1"],
                                cwd=root, env=grading_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        assert all(e["score"] == FULL[AID] for e in final.values())


def test_grading_refuses_without_a_sandbox(tmp_path, monkeypatch):
    from nncourse.grading import sandbox

    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    monkeypatch.delenv(sandbox.OPT_OUT, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="refusing to grade"):
        sandbox.check_sandbox_available()
    monkeypatch.setenv(sandbox.OPT_OUT, "1")
    sandbox.check_sandbox_available()  # the explicit opt-out runs, with a warning
