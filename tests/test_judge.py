"""The judge's boundary, tested on a real kernel: only data crosses, and student objects decide nothing.

These tests drive ``KernelLink`` and ``Judge`` directly on an ordinary (unsandboxed) kernel:
they test the protocol, not the sandbox (tests/test_sandbox.py does that) and not nbgrader
(tests/test_grading_security.py grades whole classes through both grading paths).
"""

from __future__ import annotations

import logging

import nbformat
import numpy as np
import pytest

from course import errors, kernel, student  # noqa: F401 (kernel: a fixture)

from nncourse.grading import agent as wire
from nncourse.grading.judge import Judge, KernelLink, StudentException, visible_part

LOG = logging.getLogger("test-judge")


def judged(link: KernelLink, source: str, owned=(), setup: str | None = None):
    """Run one test cell in a fresh judge; return its outputs."""
    judge = Judge(link, student_owned=set(owned), workdir=".", log=LOG)
    if setup:
        judge.run_setup(setup)
    cell = nbformat.v4.new_code_cell(source)
    judge.run_test(cell)
    return cell.outputs


@pytest.mark.parametrize("value", [
    None, True, 3, -2**80, 1.5, float("inf"), 2 + 3j, "text", b"\x00\xff", [1, (2, 3)], {"a": {1, 2}},
    frozenset({1}), np.arange(6.0).reshape(2, 3), np.array(2.5), np.float32(1.25), np.array(["ab", "c"]),
    np.array([True, False]),
])
def test_wire_round_trips_plain_data(value):
    back = wire.decode(wire.loads(wire.dumps(wire.encode(value, None))), None)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    else:
        assert back == value and type(back) is type(value)


@pytest.mark.parametrize("data", [
    ["a", "|O", [1], "AAAAAAAAAAA="],  # object arrays would unpickle
    ["a", "<f8", [2], "AAAAAAAAAAA="],  # payload shorter than the shape
    ["a", "V8", [1], "AAAAAAAAAAA="],
    ["x", 1], ["l", "not a list"], ["i", "1" * 6000], ["f", True], "plain", [], ["y", "***"],
])
def test_wire_refuses_anything_but_data(data):
    with pytest.raises(wire.WireError):
        wire.decode(data, lambda *a: None)


def test_subclasses_of_numbers_cross_as_plain_numbers():
    class Liar(float):
        def __eq__(self, other):
            return True

    assert wire.encode(Liar(0.5), None) == ["f", 0.5]


def test_a_correct_function_passes_and_a_wrong_one_fails(kernel):
    student(kernel, "import numpy as np\ndef square(x):\n    return x * x\ndef wrong(x):\n    return x + 1\n")
    assert not errors(judged(kernel, "assert square(3) == 9\nassert np.allclose(square(np.arange(3.0)), [0, 1, 4])"))
    assert errors(judged(kernel, "assert wrong(3) == 9"))


def test_lying_comparison_operators_decide_nothing(kernel):
    student(kernel, """
class Always:
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True
    __bool__ = lambda self: True
    __contains__ = lambda self, item: True
    __iter__ = lambda self: iter([])
def answer():
    return Always()
""")
    for test in ("assert answer() == 42", "assert not (answer() != 42)", "assert 3 in answer()",
                 "assert [1, 2] == answer()", "assert np.isclose(answer(), 4.0)" ):
        assert errors(judged(kernel, "import numpy as np\n" + test, owned={"answer"})), test


def test_patched_modules_and_helpers_in_the_kernel_change_nothing_here(kernel):
    student(kernel, """
import numpy as _m, functools, operator
import nncourse.checks as _c
_m.allclose = lambda *a, **k: True
_m.all = lambda *a, **k: True
functools.update_wrapper(_c.expect, lambda *a, **k: None, assigned=("__code__",))
operator.attrgetter("__globals__")(_c.expect_close)["np"] = None
def grad(x):
    return _m.zeros(2)
""")
    outputs = judged(kernel, "import numpy as np\nfrom nncourse.checks import expect, expect_close\n"
                             "expect_close(grad(1.0), np.ones(2), 'grad')\nexpect(np.allclose(grad(1.0), 1.0), 'wrong')")
    assert errors(outputs)


def test_builtins_stay_the_judges(kernel):
    student(kernel, "len = lambda x: 3\nisinstance = lambda *a: True\nitems = [1]\n")
    assert errors(judged(kernel, "assert len(items) == 3"))
    assert errors(judged(kernel, "assert isinstance(items, str)"))


def test_setup_names_come_from_the_instructors_code_not_the_kernel(kernel):
    setup = "import numpy as np\nTARGET = np.array([1.0, 2.0])\ndef close(a, b):\n    return bool(np.allclose(a, b))\n"
    student(kernel, setup + "TARGET = np.zeros(2)\nclose = lambda a, b: True\ndef f():\n    return np.zeros(2)\n")
    assert errors(judged(kernel, "assert close(f(), TARGET)", setup=setup))


def test_callbacks_reach_the_judge_and_expire_with_the_cell(kernel):
    student(kernel, "kept = []\ndef apply(f, xs):\n    kept.append(f)\n    return [f(x) for x in xs]\n"
                    "def later():\n    return kept[0](1)\n")
    assert not errors(judged(kernel, "assert apply(lambda x: x + 1, [1, 2]) == [2, 3]"))
    outputs = judged(kernel, "later()")
    assert errors(outputs) and "no longer valid" in errors(outputs)[0]["evalue"]


def test_a_generator_passed_by_the_test_is_used_through_its_methods(kernel):
    student(kernel, "def order(n, rng):\n    return rng.permutation(n)\n")
    assert not errors(judged(kernel, "import numpy as np\n"
                                     "assert (order(5, np.random.default_rng(1)) == np.random.default_rng(1).permutation(5)).all()"))


def test_callbacks_cannot_reach_private_attributes(kernel):
    student(kernel, "def peek(f):\n    return f.__globals__\ndef peek2(f):\n    return f._secret\n")
    assert errors(judged(kernel, "peek(lambda: 1)"))
    assert errors(judged(kernel, "class A:\n    _secret = 1\npeek2(A())"))


def test_in_place_changes_to_arguments_are_seen_as_in_stock_nbgrader(kernel):
    student(kernel, "def scale(theta):\n    theta *= 2\n    return theta\ndef grow(xs):\n    xs.append(1)\n")
    # A check that the argument is left alone sees the change ...
    outputs = judged(kernel, "import numpy as np\nt = np.ones(2)\nscale(t)\nassert (t == 1).all(), 'changed t'")
    assert errors(outputs) and errors(outputs)[0]["evalue"] == "changed t"
    # ... and a test of a function meant to change its argument marks those calls.
    assert not errors(judged(kernel, "import numpy as np\nfrom nncourse.checks import changes_in_place\n"
                                     "t = np.ones(2)\nxs = []\nwith changes_in_place(globals()):\n    scale(t)\n"
                                     "    grow(xs)\nassert (t == 2).all() and xs == [1]"))


def test_an_answer_cannot_steer_a_test_by_changing_what_the_test_passed_it(kernel):
    # Red team, 2026-12-04: a "stratified" split that zeroed the labels it was given passed the tests that count
    # classes in those labels; zeroed targets made every later reference error 0 (regularisation: 10 of 18).
    student(kernel, "import numpy as np\ndef split(labels):\n    labels[...] = 0\n    return [np.arange(len(labels))]\n"
                    "def honest_scale(theta):\n    theta *= 2\n    return theta.sum()\n")
    steered = ("import numpy as np\nlabels = np.array([0, 1, 1, 0])\nparts = split(labels)\n"
               "assert len(np.unique(labels[parts[0]])) == 1, 'the part mixes classes'")
    outputs = judged(kernel, steered)
    assert errors(outputs) and errors(outputs)[0]["evalue"] == "the part mixes classes"
    assert "when it ran again with its arrays left as it made them" in outputs[0]["text"]
    # Data of the setup or of an earlier test gets its contents back, whatever the test's verdict.
    judge = Judge(kernel, student_owned=set(), workdir=".", log=LOG)
    judge.run_setup("import numpy as np\ntargets = np.array([3, 1, 2, 0])")
    first = nbformat.v4.new_code_cell("split(targets)\nassert False")
    judge.run_test(first)
    later = nbformat.v4.new_code_cell("assert targets.tolist() == [3, 1, 2, 0], targets.tolist()")
    judge.run_test(later)
    assert not errors(later.outputs), errors(later.outputs)
    # Honest code that changes its argument keeps a pass that does not depend on the change.
    assert not errors(judged(kernel, "import numpy as np\nt = np.ones(3)\nassert honest_scale(t) == 6"))


def test_student_exceptions_keep_their_builtin_type(kernel):
    student(kernel, "def check(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x\n")
    assert not errors(judged(kernel, "try:\n    check(-1)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError"))
    student(kernel, "def leave():\n    raise SystemExit(0)\n")
    outputs = judged(kernel, "leave()")
    assert errors(outputs) and errors(outputs)[0]["ename"] == "SystemExit"
    assert issubclass(type(StudentException()), Exception)


def test_student_output_is_shown_but_stderr_decides_nothing(kernel):
    student(kernel, "import sys, warnings\ndef noisy():\n    print('hello from the kernel')\n"
                    "    print('to stderr', file=sys.stderr)\n    warnings.warn('careful')\n    return 1\n")
    outputs = judged(kernel, "assert noisy() == 1")
    assert not errors(outputs)
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "hello from the kernel" in text and "to stderr" in text
    assert all(o.get("name") != "stderr" for o in outputs if o["output_type"] == "stream")


def test_quiet_calls_skip_the_stream_flush_and_printed_output_still_arrives(kernel):
    # Count the agent's answers that take the input request without ipykernel's two flushes:
    # with the installed ipykernel most calls must (otherwise every call takes the slower path).
    student(kernel, """
_wire = type(_nncourse_agent)._raw_input.__globals__
_plain_fast = _wire["_input_without_flush"]
_fast = [0]
def _counting(kernel, prompt):
    answer = _plain_fast(kernel, prompt)
    _fast[0] += answer is not None
    return answer
_wire["_input_without_flush"] = _counting
def every_third(i):
    if i % 3 == 0:
        print('line', i)
    return i
def fast_answers():
    return _fast[0]
""")
    outputs = judged(kernel, "for i in range(30):\n    assert every_third(i) == i\nassert fast_answers() >= 15\n")
    student(kernel, "_wire['_input_without_flush'] = _plain_fast\n")
    assert not errors(outputs), errors(outputs)
    # Output printed between quiet calls is neither lost nor reordered.
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert text.split() == " ".join(f"line {i}" for i in range(0, 30, 3)).split()


def test_a_name_lookup_cannot_answer_with_the_judges_own_objects(kernel):
    student(kernel, """
import json
_agent = _nncourse_agent
_original = _agent._run
def _forged(request):
    if request.get("op") == "get" and request.get("name") == "solution":
        return ["found", _agent.resolve("j", 1, {})]
    return _original(request)
_agent._run = _forged
""")
    outputs = judged(kernel, "from nncourse.checks import swapped\nref = lambda x: x * 2\n"
                             "with swapped(globals(), helper=ref):\n    pass\nassert solution(2) == 4")
    assert errors(outputs)
    student(kernel, "_agent._run = _original\n")


@pytest.mark.parametrize("refused", ["swap_in", "swap_out"])
def test_a_kernel_that_refuses_a_swap_cannot_leave_the_references_answering_for_it(kernel, refused):
    # Red team, 2026-12-04: the kernel refused swap_in after the judge had put the references in its own namespace,
    # and every later test of the notebook graded the instructor's functions (backprop: 17 of 20 for one part).
    student(kernel, f"""
def answer(x):
    return -1
_agent = _nncourse_agent
_original = _agent._run
def _refusing(request):
    if request.get("op") == {refused!r}:
        raise RuntimeError("refused")
    return _original(request)
_agent._run = _refusing
""")
    try:
        judge = Judge(kernel, student_owned=set(), workdir=".", log=LOG)
        swapping = nbformat.v4.new_code_cell("from nncourse.checks import swapped\n"
                                             "with swapped(globals(), answer=lambda x: x * 2):\n    assert answer(2) == 4")
        judge.run_test(swapping)
        assert errors(swapping.outputs), "the refusal should fail the test that swapped"
        later = nbformat.v4.new_code_cell("assert answer(2) == 4")
        judge.run_test(later)
        assert errors(later.outputs), "a later test was answered by the reference, not the student's function"
    finally:
        student(kernel, "_agent._run = _original\n")


def test_a_timeout_in_student_code_fails_the_test_and_the_kernel_goes_on(kernel):
    student(kernel, "import time\ndef slow():\n    time.sleep(60)\ndef fast():\n    return 1\n")
    kernel.timeout = 2
    try:
        outputs = judged(kernel, "slow()")
    finally:
        kernel.timeout = 20
    assert errors(outputs) and "longer than" in errors(outputs)[0]["evalue"]
    assert not errors(judged(kernel, "assert fast() == 1"))


def test_visible_part_drops_the_hidden_region():
    source = "a = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\n### END HIDDEN TESTS\nb = 3\n"
    assert visible_part(source) == "a = 1\nb = 3\n"


def test_student_classes_work_with_isinstance_and_construction(kernel):
    student(kernel, "class Account:\n    rate = 0.5\n    def __init__(self, balance):\n        self.balance = balance\n"
                    "    def deposit(self, x):\n        self.balance += x\n        return self.balance\n"
                    "def open_account():\n    return Account(10)\n")
    outputs = judged(kernel, "acct = open_account()\nassert isinstance(acct, Account)\nassert not isinstance(3, Account)\n"
                             "assert acct.deposit(5) == 15 and acct.balance == 15\nassert Account(1).balance == 1\n"
                             "assert Account.rate == 0.5\nassert type(acct).__name__ == 'Account'")
    assert not errors(outputs), errors(outputs)


def test_builtins_and_ufuncs_can_be_passed_to_student_code(kernel):
    student(kernel, "def apply_to_all(f, xs):\n    return [f(x) for x in xs]\n")
    assert not errors(judged(kernel, "import numpy as np\nassert apply_to_all(str, [1, 22]) == ['1', '22']\n"
                                     "assert np.allclose(apply_to_all(np.tanh, [0.0, 1.0]), np.tanh([0.0, 1.0]))"))


def test_container_subclasses_compare_as_plain_containers(kernel):
    student(kernel, "import collections\ndef counts():\n    return collections.OrderedDict(a=1, b=2)\n"
                    "Point = collections.namedtuple('Point', 'x y')\ndef point():\n    return Point(1, 2)\n"
                    "class LyingList(list):\n    def __eq__(self, other):\n        return True\n"
                    "def lying():\n    return LyingList([0])\n")
    assert not errors(judged(kernel, "assert counts() == {'a': 1, 'b': 2}\nassert point() == (1, 2)"))
    assert errors(judged(kernel, "assert lying() == [1, 2, 3]"))


def test_a_name_the_tests_bind_is_never_taken_from_the_student(kernel):
    student(kernel, "X_small = 0\ndef fails():\n    raise ValueError('first call fails')\n")
    judge = Judge(kernel, student_owned=set(), workdir=".", log=LOG, test_names={"X_small"})
    first = nbformat.v4.new_code_cell("fails()\nX_small = 5")
    second = nbformat.v4.new_code_cell("assert X_small == 0")
    judge.run_test(first)
    judge.run_test(second)
    assert errors(first.outputs) and errors(second.outputs)
    assert errors(second.outputs)[0]["ename"] == "NameError"


def test_a_student_stop_iteration_does_not_end_a_tests_loop(kernel):
    student(kernel, "def stop(x):\n    raise StopIteration\n")
    assert errors(judged(kernel, "for r in map(stop, [1, 2]):\n    assert r == 99"))


def test_a_random_generator_crosses_by_value_and_its_state_comes_back(kernel):
    student(kernel, "import numpy as np\ndef shuffled(n, rng):\n    rng = np.random.default_rng(rng)\n"
                    "    assert isinstance(rng, np.random.Generator)\n    order = np.arange(n)\n    rng.shuffle(order)\n"
                    "    return order\n")
    outputs = judged(kernel, "import numpy as np\ng = np.random.default_rng(3)\nmine = shuffled(6, g)\n"
                             "ref = np.random.default_rng(3)\no = np.arange(6)\nref.shuffle(o)\n"
                             "assert (mine == o).all()\nassert g.random() == ref.random()")
    assert not errors(outputs), errors(outputs)


def test_keys_built_to_collide_are_refused():
    keys = [wire.encode(k * (2**61 - 1), None) for k in range(1, 200)]
    with pytest.raises(wire.WireError):
        wire.decode(["S", keys], None)
    assert wire.decode(["S", [wire.encode(k, None) for k in range(1000)]], None) == set(range(1000))


def test_the_students_folder_is_not_importable_from_a_test(kernel, tmp_path):
    (tmp_path / "nncourse_probe_module.py").write_text("raise SystemExit('imported from the student folder')\n")
    judge = Judge(kernel, student_owned=set(), workdir=str(tmp_path), log=LOG)
    import sys
    sys.path.insert(0, "")
    try:
        cell = nbformat.v4.new_code_cell("import nncourse_probe_module")
        judge.run_test(cell)
    finally:
        sys.path.remove("")
    assert errors(cell.outputs)[0]["ename"] == "ModuleNotFoundError"


def test_a_callback_cannot_outlast_the_tests_time(kernel):
    student(kernel, "def ask(f):\n    return f()\n")
    kernel.timeout = 2
    try:
        start = __import__("time").monotonic()
        outputs = judged(kernel, "import time\nask(lambda: time.sleep(30))")
        took = __import__("time").monotonic() - start
    finally:
        kernel.timeout = 20
    assert errors(outputs) and took < 15


def test_the_time_limit_wakes_the_main_thread_while_other_threads_could_take_the_signal():
    # CI once saw a 2 s limit let a 30 s sleep run out: a process-wide alarm had landed on another
    # thread. Busy threads here make the kernel's choice of thread matter; the limit must not.
    import threading
    import time

    from nncourse.grading.judge import _Expired, _time_limit

    stop = threading.Event()
    helpers = [threading.Thread(target=stop.wait, daemon=True) for _ in range(8)]
    for thread in helpers:
        thread.start()
    try:
        for _ in range(5):
            start = time.monotonic()
            with pytest.raises(_Expired):
                with _time_limit(0.05):
                    time.sleep(5)
            assert time.monotonic() - start < 2
        with _time_limit(0.05):  # a block that ends in time is never interrupted later
            pass
        time.sleep(0.2)
        with _time_limit(0.2):  # nested limits (a callback whose code calls the student back): the outer
            with pytest.raises(_Expired):  # one's end ends the inner one, then it waits a while to ring again
                with _time_limit(5):
                    time.sleep(5)
            time.sleep(0.3)
    finally:
        stop.set()


def test_a_time_limit_rings_again_when_its_first_signal_is_swallowed():
    # Code of the tests that catches BaseException eats one _Expired; the limit must not end there.
    import time

    from nncourse.grading.judge import _Expired, _time_limit

    start = time.monotonic()
    with pytest.raises(_Expired):
        with _time_limit(0.05):
            try:
                time.sleep(5)
            except BaseException:
                pass
            time.sleep(5)
    assert time.monotonic() - start < 3


def test_the_kernels_timer_ends_a_callback_when_no_python_thread_rings(monkeypatch):
    # CI twice saw a 2 s limit let a 30 s callback sleep on with the watchdog thread armed: the kernel's own timer,
    # aimed at the main thread, must end it by itself.
    import sys
    import time

    from nncourse.grading import judge as judge_module

    if sys.platform != "linux":
        pytest.skip("POSIX timers aimed at a thread are Linux's")
    silent = judge_module._Watchdog()
    monkeypatch.setattr(silent, "_run", lambda: None)  # its thread starts and ends at once: it never rings
    monkeypatch.setattr(judge_module, "_WATCHDOG", silent)
    start = time.monotonic()
    with pytest.raises(judge_module._Expired):
        with judge_module._time_limit(0.05):
            time.sleep(5)
    assert time.monotonic() - start < 2


def test_a_time_limit_reaches_a_main_thread_that_blocked_sigalrm():
    import signal
    import time

    from nncourse.grading.judge import _Expired, _time_limit

    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        start = time.monotonic()
        with pytest.raises(_Expired):
            with _time_limit(0.05):
                time.sleep(5)
        assert time.monotonic() - start < 2
        assert signal.SIGALRM in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # the mask is given back
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def test_a_students_generator_passed_to_a_reference_advances_as_in_one_kernel(kernel):
    student(kernel, "import numpy as np\ndef train(step, seed, epochs):\n    rng = np.random.default_rng(seed)\n"
                    "    return [step(rng) for _ in range(epochs)]\n")
    outputs = judged(kernel, "import numpy as np\nfrom nncourse.checks import swapped\n"
                             "ref = np.random.default_rng(4)\nexpected = [ref.permutation(5).tolist() for _ in range(3)]\n"
                             "assert train(lambda rng: rng.permutation(5).tolist(), 4, 3) == expected")
    assert not errors(outputs), errors(outputs)


def test_cached_references_are_computed_once_per_process_and_never_from_student_code(kernel):
    from nncourse.grading import judge as judge_module

    judge_module.REFERENCES.clear()
    student(kernel, "def square(x):\n    return x * x\n")
    test = ("from nncourse.checks import cached\nimport numpy as np\n"
            "calls = globals().setdefault('calls', [])\n"
            "def reference():\n    calls.append(1)\n    return {'path': np.arange(3.0) ** 2}\n"
            "ref = cached(globals(), ('squares', 3), reference)\n"
            "ref['path'][0] = 99.0  # a test that changes its copy changes nothing for the next student\n"
            "assert [square(x) for x in range(3)] == [0, 1, 4]\n")
    judge = Judge(kernel, student_owned=set(), workdir=".", log=LOG)
    judge.globals["calls"] = calls = []
    for _ in range(3):  # three students graded by the same process, each with a judge of its own
        fresh = Judge(kernel, student_owned=set(), workdir=".", log=LOG)
        fresh.globals["calls"] = calls
        cell = nbformat.v4.new_code_cell(test)
        fresh.run_test(cell)
        assert not errors(cell.outputs), errors(cell.outputs)
    assert len(calls) == 2  # computed for the first student, confirmed by the second, reused by the third
    assert list(judge_module.REFERENCES.values())[0]["value"]["path"].tolist() == [0.0, 1.0, 4.0]
    # Other test code (or other setup code before it) is another reference.
    cell = nbformat.v4.new_code_cell(test + "\n")
    judge.run_test(cell)
    assert not errors(cell.outputs) and len(calls) == 3

    # A reference that differs between two students (it used a value of theirs) is never reused.
    student(kernel, "level = 1\n")
    uses_level = "from nncourse.checks import cached\nmine = level\nref = cached(globals(), 'lvl', lambda: mine * 10)\n"
    seen = []
    for value in (100, 1, 1, 1):
        student(kernel, f"level = {value}\n")
        fresh = Judge(kernel, student_owned=set(), workdir=".", log=LOG)
        cell = nbformat.v4.new_code_cell(uses_level)
        fresh.run_test(cell)
        assert not errors(cell.outputs), errors(cell.outputs)
        seen.append(fresh.globals["ref"])
    assert seen == [1000, 10, 10, 10]
    judge_module.REFERENCES.clear()

    # A reference that would call the student's code is refused, so one student's answer can never
    # become the next student's reference; so is a result that is not data.
    outputs = judged(kernel, "from nncourse.checks import cached\nref = cached(globals(), 1, lambda: square(3))\n")
    assert errors(outputs) and "may not use the student's code" in errors(outputs)[0]["evalue"]
    outputs = judged(kernel, "from nncourse.checks import cached\nref = cached(globals(), 2, lambda: square)\n")
    assert errors(outputs) and "may not use the student's code" in errors(outputs)[0]["evalue"]
    outputs = judged(kernel, "from nncourse.checks import cached\nref = cached(globals(), 3, lambda: (lambda: 1))\n")
    assert errors(outputs) and "must be plain data" in errors(outputs)[0]["evalue"]
    assert len(judge_module.REFERENCES) == 0
    judge_module.REFERENCES.clear()


def test_names_read_once_stay_known_until_student_code_rebinds_them(kernel):
    student(kernel, """
_requests = []
_plain_dispatch = _nncourse_agent.dispatch
def _counting_dispatch(request):
    _requests.append(request.get("op"))
    return _plain_dispatch(request)
_nncourse_agent.dispatch = _counting_dispatch
def step(x):
    return x + 1
def rebind():
    global step, counter
    def step(x):
        return x + 100
    counter += 1
    return counter
counter = 0
def gets():
    return _requests.count("get")
""")
    try:
        # A handle read once is used again: ten calls of step cost one lookup, and its name none.
        outputs = judged(kernel, "before = gets()\nfor i in range(10):\n    assert step(i) == i + 1\n"
                                 "assert step.__name__ == 'step'\nassert gets() - before == 1, gets() - before\n")
        assert not errors(outputs), errors(outputs)
        # A call that rebinds a name makes the judge read it again; a value read as data is read again
        # after any call, since the call may have changed it.
        outputs = judged(kernel, "assert step(1) == 2\nassert counter == 0\nassert rebind() == 1\n"
                                 "assert counter == 1\nassert step(1) == 101\n")
        assert not errors(outputs), errors(outputs)
    finally:
        student(kernel, "_nncourse_agent.dispatch = _plain_dispatch\n")
