"""Attacks on today's round-trip savings: handle reuse ("rebound"), function names in handle
info, ``nncourse.checks.cached`` and the agent's flush skip.

Every test asserts that the attack gains nothing; a failing test is a successful attack.
They drive ``KernelLink`` and ``Judge`` directly on a plain kernel, as tests/test_judge.py does.
"""

from __future__ import annotations

import logging
import os

import nbformat
import numpy as np
import pytest

from course import errors, kernel, student  # noqa: F401 (kernel: a fixture)

from nncourse.grading import judge as judge_module
from nncourse.grading.judge import Judge, KernelLink

LOG = logging.getLogger("test-attacks-round-trips")


def run_cell(link: KernelLink, source: str, workdir: str = ".", owned=()):
    """One test cell in a fresh judge (a new student's notebook, same grading process)."""
    judge = Judge(link, student_owned=set(owned), workdir=workdir, log=LOG)
    cell = nbformat.v4.new_code_cell(source)
    judge.run_test(cell)
    return cell.outputs


@pytest.fixture
def fresh_references():
    judge_module.REFERENCES.clear()
    yield
    judge_module.REFERENCES.clear()


# ---------------------------------------------------------------- nncourse.checks.cached

def test_cached_compute_cannot_read_a_student_value_read_earlier_in_the_cell(kernel, fresh_references):
    """The seal is checked in ``request``; a name already read in the cell is answered from the
    judge's name cache without a request. Student A's value must not become student B's reference."""
    test = ("from nncourse.checks import cached\n"
            "assert scale > 0\n"  # the visible part reads the student's value (legitimately)
            "ref = cached(globals(), 'twice', lambda: 2 * scale)\n"  # an instructor slip: a student name in compute
            "assert ref == 2 * scale\n")
    student(kernel, "scale = 100\n")  # student A
    out_a = run_cell(kernel, test)
    student(kernel, "scale = 3\n")  # student B, graded next by the same process
    out_b = run_cell(kernel, test)
    # The judge claims to refuse a compute that reaches the kernel: A's compute must have raised,
    # and in any case B's verdict must not depend on A's value.
    # B is correct (ref == 2 * 3) and must pass, or fail exactly as A did (the compute refused for both).
    assert [e["ename"] for e in errors(out_b)] == [e["ename"] for e in errors(out_a)], \
        f"student A's value became student B's reference: A {errors(out_a)}, B {errors(out_b)}"
    assert errors(out_a), "compute() read the student's value without the seal refusing it"


def test_cached_compute_cannot_read_a_student_handles_local_type_name(kernel, fresh_references):
    """``type(handle).__name__`` and ``handle.__class__`` are answered in the judge from the kernel's
    handle info: no request, so no seal."""
    test = ("from nncourse.checks import cached\n"
            "assert model is not None\n"
            "kind = cached(globals(), 'kind', lambda: type(model).__name__)\n"
            "assert kind == 'Honest', kind\n")
    student(kernel, "class Poison:\n    pass\nmodel = Poison()\n")  # student A
    run_cell(kernel, test)
    student(kernel, "class Honest:\n    pass\nmodel = Honest()\n")  # student B
    out_b = run_cell(kernel, test)
    judge_module.REFERENCES.clear()
    alone = run_cell(kernel, test)  # student B graded by a process of its own
    assert [e["evalue"] for e in errors(out_b)] == [e["evalue"] for e in errors(alone)], \
        f"student A's type name changed student B's verdict: {errors(out_b)} vs alone {errors(alone)}"


@pytest.mark.xfail(strict=False, reason="unit level only: here the kernel writes the judge's folder directly; "
                   "end to end (tests below, /tmp/rt-course-attack) the sandboxed kernel works on its own copy "
                   "of the folder and B kept its point")
def test_cached_reference_read_from_a_data_file_the_kernel_rewrote(kernel, fresh_references, tmp_path):
    """``cached``'s docstring says the key must name "a data file's name". Student A's kernel can
    rewrite the file in its own folder before the tests run (autograde restores the instructor's
    copy only before execution); its contents then become every later student's reference."""
    folders = []
    for who in ("a", "b"):
        folder = tmp_path / who
        folder.mkdir()
        np.save(folder / "target.npy", np.array([1.0, 2.0]))  # the instructor's file, as autograde copies it
        folders.append(folder)
    test = ("from nncourse.checks import cached\nimport numpy as np\n"
            "ref = cached(globals(), 'target.npy', lambda: np.load('target.npy'))\n"
            "assert np.allclose(answer(), ref)\n")
    # Student A overwrites the data file with their (wrong) answer, then the tests run.
    student(kernel, f"import numpy as np\nnp.save({str(folders[0] / 'target.npy')!r}, np.array([9.0, 9.0]))\n"
                    "def answer():\n    return np.array([9.0, 9.0])\n")
    out_a = run_cell(kernel, test, workdir=str(folders[0]))
    # Student B answers correctly and does not touch the file.
    student(kernel, "def answer():\n    return np.array([1.0, 2.0])\n")
    out_b = run_cell(kernel, test, workdir=str(folders[1]))
    assert not errors(out_b), f"student A's file poisoned student B's reference: {errors(out_b)}"
    assert errors(out_a) or True  # A passing its own test is an older weakness (files in the workdir)


def test_cached_compute_cannot_call_student_code_through_a_handle_kept_across_calls(kernel, fresh_references):
    """Handles are now kept within the cell; calling one inside compute still makes a request."""
    student(kernel, "def square(x):\n    return x * x\n")
    outputs = run_cell(kernel, "from nncourse.checks import cached\nassert square(2) == 4\n"
                               "ref = cached(globals(), 'sq', lambda: square(3))\n")
    assert errors(outputs) and "may not use the student's code" in errors(outputs)[0]["evalue"]
    outputs = run_cell(kernel, "from nncourse.checks import cached\nassert square(2) == 4\n"
                               "ref = cached(globals(), 'sqname', lambda: square.__name__)\n")
    assert errors(outputs), "a handle's name was read without the seal"
    assert not judge_module.REFERENCES


def test_cached_key_built_from_a_student_value_cannot_collide(kernel, fresh_references):
    """repr(key) decides the memo; a key that is a student handle would ask the student for its repr."""
    student(kernel, "class K:\n    def __repr__(self):\n        return \"'shared'\"\nk = K()\n")
    out = run_cell(kernel, "from nncourse.checks import cached\n"
                           "ref = cached(globals(), 'shared', lambda: 1)\nassert ref == 1\n")
    assert not errors(out)
    out = run_cell(kernel, "from nncourse.checks import cached\nassert k is not None\n"
                           "ref = cached(globals(), 'shared', lambda: 1)\nassert ref == 1\n")
    assert not errors(out)


def test_a_weakref_callback_or_del_during_compute_reaches_no_kernel(kernel, fresh_references):
    """A proxy dropped while compute runs must not turn into a kernel request that runs student code."""
    student(kernel, "ran = []\nclass Spy:\n    def __del__(self):\n        ran.append('del')\n"
                    "def make():\n    return Spy()\n")
    out = run_cell(kernel, "from nncourse.checks import cached\nimport gc\n"
                           "_h = make()\n"
                           "def _compute():\n    global _h\n    _h = None\n    gc.collect()\n    return 1\n"
                           "assert cached(globals(), 'gc', _compute) == 1\n")
    assert not errors(out), errors(out)
    assert judge_module.REFERENCES and [e["value"] for e in judge_module.REFERENCES.values()] == [1]


# ---------------------------------------------------------------- "rebound" and handle info

def test_lying_about_rebound_keeps_no_stale_data_values(kernel):
    student(kernel, """
_agent = _nncourse_agent
_honest_rebound = type(_agent)._rebound
type(_agent)._rebound = lambda self: []
counter = 0
def bump():
    global counter
    counter += 1
""")
    try:
        outputs = run_cell(kernel, "before = counter\nbump()\nassert counter == before + 1\n")
    finally:
        student(kernel, "type(_agent)._rebound = _honest_rebound\n")
    assert not errors(outputs), errors(outputs)


def test_lying_about_rebound_only_keeps_the_students_own_earlier_object(kernel):
    """A lie keeps the judge calling the old handle: the verdict is that object's, never better
    than the honest kernel's."""
    setup = """
def f(x):
    return x + 1
def fix():
    global f
    f = lambda x: x * x
"""
    test = "assert f(3) == 4\nfix()\nassert f(3) == 9\n"
    student(kernel, setup)
    honest = run_cell(kernel, test)
    student(kernel, setup + "_agent = _nncourse_agent\n_honest_rebound = type(_agent)._rebound\n"
                            "type(_agent)._rebound = lambda self: ['not', 'the', 'name']\n")
    try:
        lying = run_cell(kernel, test)
    finally:
        student(kernel, "type(_agent)._rebound = _honest_rebound\n")
    assert not errors(honest), errors(honest)
    assert len(errors(lying)) >= len(errors(honest))


@pytest.mark.parametrize("rebound", ["None", "'f'", "[1, 2]", "[['f']]", "{'f': 1}"])
def test_malformed_rebound_forgets_every_name(kernel, rebound):
    student(kernel, f"""
_agent = _nncourse_agent
_honest_rebound = type(_agent)._rebound
type(_agent)._rebound = lambda self: {rebound}
def f(x):
    return x + 1
def fix():
    global f
    f = lambda x: x * x
""")
    try:
        outputs = run_cell(kernel, "assert f(3) == 4\nfix()\nassert f(3) == 9\n")
    finally:
        student(kernel, "type(_agent)._rebound = _honest_rebound\n")
    assert not errors(outputs), errors(outputs)


def test_forged_function_name_in_handle_info_decides_nothing(kernel):
    """The kernel describes its handles; a forged "function" (or a huge / non-text one) must not
    crash grading nor give the judge a name the kernel would not also give on request."""
    student(kernel, """
_wire = type(_nncourse_agent)._raw_input.__globals__
_honest_describe = _wire['describe']
def _forged(obj):
    info = _honest_describe(obj)
    if callable(obj):
        info['function'] = 'reference_step' * 100000
        info['type'] = 'function'
        info['mro'] = ['builtins.function', 'builtins.object']
    return info
_wire['describe'] = _forged
def my_step(x):
    return x
""")
    try:
        outputs = run_cell(kernel, "import types\nname = my_step.__name__\n"
                                   "assert len(name) <= 100 or name == my_step.__qualname__, len(name)\n"
                                   "assert not isinstance(my_step, types.FunctionType)\n")
    finally:
        student(kernel, "_wire['describe'] = _honest_describe\n")
    assert not errors(outputs), errors(outputs)


# ---------------------------------------------------------------- the flush skip

def test_output_printed_by_a_kernel_thread_lands_in_no_later_students_cell(kernel):
    """A thread that keeps printing after its cell (fast path, no flush) must not write into
    another notebook's test cell output, nor decide a verdict."""
    student(kernel, """
import threading, time, sys
_stop = [False]
def _chatter():
    while not _stop[0]:
        sys.stdout.write('FORGED-OUTPUT\\n')
        time.sleep(0.001)
threading.Thread(target=_chatter, daemon=True).start()
def g(x):
    return x
""")
    try:
        outputs = run_cell(kernel, "for i in range(50):\n    assert g(i) == i\n")
    finally:
        student(kernel, "_stop[0] = True\nimport time\ntime.sleep(0.05)\n")
    assert not errors(outputs), errors(outputs)
    outputs = run_cell(kernel, "assert g(1) == 1\n")
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "FORGED-OUTPUT" not in text


def test_a_forged_input_request_from_a_thread_cannot_answer_for_the_agent(kernel, monkeypatch):
    """A thread that sends its own "return" over stdin while a call is in flight: whatever it says,
    the verdict is what the student's code could return anyway (a wrong function stays wrong)."""
    # The forgery can leave the kernel silent; what is checked is the verdict, so the judge need not wait its
    # production minute and a half (REPLY_WAIT + CLOSE_WAIT) before calling the kernel gone.
    monkeypatch.setattr(KernelLink, "REPLY_WAIT", 5.0)
    monkeypatch.setattr(KernelLink, "CLOSE_WAIT", 3.0)
    student(kernel, """
import threading
from nncourse.grading import agent as _w  # the judge's format, as the student can read it
_wire = type(_nncourse_agent)._raw_input.__globals__
def _spam():
    try:
        _wire['_input_without_flush'](get_ipython().kernel, _w.dumps({'kind': 'return', 'value': _w.encode(4, None)}))
    except Exception:
        pass
def wrong(x):
    threading.Thread(target=_spam, daemon=True).start()
    return x + 100
""")
    run_cell(kernel, "assert wrong(2) == 4\n")  # whatever it answers, the student could have returned it
    # A stale forged "return" left on stdin must not pass the next cell for a wrong answer. (Sending
    # from a thread can also abort the student's own kernel, a ZeroMQ assertion: that only costs the
    # student the remaining cells, and the judge process survives.)
    try:
        student(kernel, "import time\ntime.sleep(0.2)\ndef bad(x):\n    return x + 100\n")
    except Exception:
        pass
    assert errors(run_cell(kernel, "assert bad(2) == 4\n"))


# ---------------------------------------------------------------- end to end: one grading process, two students

def _scratch_course(root, students: dict):
    """A one-notebook course with the course's nbgrader_config.py; hidden tests use ``cached`` in a
    compute that names a value the visible part read (the seal's name-cache gap)."""
    import subprocess
    import sys

    from nbformat.v4 import new_code_cell, new_notebook

    from nncourse.instructor.grading_bench import make_course

    make_course(root, "optimisers", stock=False)
    aid = "rtcache"
    src = root / "assignments" / aid
    src.mkdir(parents=True)

    def md(gid, **kw):
        m = {"grade_id": gid, "schema_version": 3, "locked": False, "solution": False, "grade": False, "task": False}
        m.update(kw)
        return {"nbgrader": m}

    cells = [
        new_code_cell("import numpy as np\nfrom nncourse.checks import cached\n", metadata=md("setup", locked=True)),
        new_code_cell("scale = None\n### BEGIN SOLUTION\nscale = 3\n### END SOLUTION\n", metadata=md("scale", solution=True)),
        new_code_cell("assert scale > 0\n### BEGIN HIDDEN TESTS\n"
                      "_mine = scale\n_twice = cached(globals(), 'twice', lambda: 6 if _mine is None else 2 * _mine)\n"
                      "assert _twice == 6 and scale == 3\n### END HIDDEN TESTS\n",
                      metadata=md("test_scale", locked=True, grade=True, points=1)),
    ]
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                      "language": "python"}}), src / f"{aid}.ipynb")
    for _ in range(2):  # the first generate_assignment in a new course sometimes fails to create the gradebook
        done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", aid, "--force"], cwd=root,
                              capture_output=True)
        if done.returncode == 0:
            break
    assert done.returncode == 0, done.stderr[-2000:]
    release = nbformat.read(root / "release" / aid / f"{aid}.ipynb", as_version=4)
    for who, answer in students.items():
        nb = nbformat.from_dict(release)
        for c in nb.cells:
            if c.metadata.get("nbgrader", {}).get("grade_id") == "scale":
                c.source = answer
        (root / "submitted" / who / aid).mkdir(parents=True)
        nbformat.write(nb, root / "submitted" / who / aid / f"{aid}.ipynb")
    return aid


def _score(root, aid, who):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
        return gb.find_submission(aid, who).score


@pytest.mark.parametrize("path", ["autograde", "make grade"])
def test_one_students_value_cannot_become_the_next_students_cached_reference(tmp_path, path):
    import subprocess
    import sys

    scores = {}
    for label, students in (("alone", {"bbb": "scale = 3\n"}),
                            ("after aaa", {"aaa": "scale = 100\n", "bbb": "scale = 3\n"})):
        root = tmp_path / label.replace(" ", "_")
        aid = _scratch_course(root, students)
        args = ["-m", "nbgrader", "autograde", aid, "--create"] if path == "autograde" else \
            ["-m", "nncourse.grading.run", aid, "--jobs", "1", "--chunk", "2"]
        subprocess.run([sys.executable, *args], cwd=root, capture_output=True, timeout=600)
        scores[label] = _score(root, aid, "bbb")
    assert scores["alone"] == 1.0
    assert scores["after aaa"] == scores["alone"], f"bbb scored {scores}"
