"""Assertion helpers for assignment tests: messages say what was checked and what was
found, never the expected answer.

Test cells call these instead of bare ``assert`` so every assignment words its
feedback the same way.
"""

from __future__ import annotations

import numpy as np


class CheckFailed(AssertionError):
    """A test found a wrong answer; the message is meant for the student."""


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def expect_array(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    """``value`` must be a finite numeric array of exactly ``shape``; returns it as float64."""
    if value is None:
        raise CheckFailed(f"{name} returned None: did you forget a `return` statement?")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should return numbers, but returned {_describe(value)}") from None
    if array.shape != tuple(shape):
        raise CheckFailed(f"{name} should return shape {tuple(shape)}, but returned shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"{name} returned NaN or infinite values")
    return array


def expect_scalar(value, name: str) -> float:
    """``value`` must be one finite real number; returns it as a float."""
    array = expect_array(value, np.shape(value), name) if np.ndim(value) == 0 else None
    if array is None:
        raise CheckFailed(f"{name} should return a single number, but returned shape {np.shape(value)}")
    return float(array)


def expect_close(actual, expected, name: str, *, what: str = "the value", rtol: float = 1e-7,
                 atol: float = 1e-9) -> None:
    """``actual`` must match ``expected`` to the tolerance; the message never shows ``expected``."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise CheckFailed(f"{name}: {what} has shape {actual.shape}, which is not the shape required")
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        scale = np.maximum(np.abs(expected), atol)
        worst = float(np.max(np.abs(actual - expected) / scale))
        raise CheckFailed(f"{name}: {what} is wrong (largest relative error {worst:.2g}, allowed {rtol:.0e})")


def expect(condition: bool, message: str) -> None:
    """A plain check whose failure message is written by the test."""
    if not bool(condition):
        raise CheckFailed(message)


class swapped:
    """Temporarily replace names in a namespace (usually ``globals()``) inside a hidden test.

    Grading uses it to test one part in isolation: a later function is called with the
    reference version of an earlier one, so a mistake costs the points of its own part only.

    In a judged test cell (``nncourse.grading.judge``) ``globals()`` is the judge's namespace:
    the student kernel then sees each replacement as a callback into the judge, for the
    duration of the block.
    """

    _MISSING = object()

    def __init__(self, namespace: dict, **replacements):
        self.namespace = namespace
        self.replacements = replacements
        self.saved: dict = {}

    def __enter__(self):
        judge = self.namespace.get("__nncourse_judge__")
        # The kernel first: when its code refuses the swap, this namespace is left as it was. (A red team's kernel
        # refused it after the references were in, and every later test then graded the references: 17 of 20.)
        self._token = judge.swap_in(self.replacements) if judge is not None else None
        for name, value in self.replacements.items():
            self.saved[name] = self.namespace.get(name, self._MISSING)
            self.namespace[name] = value
        return self

    def __exit__(self, *exc):
        judge = self.namespace.get("__nncourse_judge__")
        try:
            if judge is not None and self._token is not None:
                judge.swap_out(self._token)
        finally:  # whatever the kernel answers
            for name, value in self.saved.items():
                if value is self._MISSING:
                    self.namespace.pop(name, None)
                else:
                    self.namespace[name] = value
        return False


class changes_in_place:
    """Mark the calls of a test that check a function meant to change its argument in place.

    ``with changes_in_place(globals()): normalise_(x)``, then check ``x``. In a judged test cell a student's
    in-place changes are written back into the test's arrays, lists and dicts, as in stock nbgrader, but a test
    that passes only while they are is run again without them and must pass again (otherwise an answer could
    zero the data the test later builds its reference from). Inside this block the change is the answer and is
    kept. In the student's own Validate it does nothing.
    """

    def __init__(self, namespace: dict):
        self.judge = namespace.get("__nncourse_judge__")

    def __enter__(self):
        if self.judge is not None:
            self._before, self.judge.link.trust_changes = self.judge.link.trust_changes, True
        return self

    def __exit__(self, *exc):
        if self.judge is not None:
            self.judge.link.trust_changes = self._before
        return False


def cached(namespace: dict, key, compute):
    """``compute()``: a reference that needs nothing of the student's, computed once per grading process.

    ``cached(globals(), (seed, lr), lambda: keras_trajectory(seed, lr))``. In a judged test cell
    the result is kept for the next students the same process grades, under the test cell's code,
    the setup code before it and ``key`` (which must name whatever else the reference depends on:
    the loop variables, a data file's name). ``compute`` may not call the student's code (the
    judge refuses) and must return data: numbers, strings, arrays and containers of them. In the
    student's own Validate it is simply computed.
    """
    judge = namespace.get("__nncourse_judge__")
    if judge is not None:
        return judge.cached(key, compute)
    return compute()


def in_kernel(namespace: dict, name: str, *args, **kwargs):
    """Call ``name`` where the student's code runs, and return its result.

    ``name`` is a class or function of the notebook's own cells (``"SavingsNet"``) or a
    helper of ``nncourse.grading.student_side`` (``"student_side.keras_optimizer"``).
    In a judged test cell it runs in the student kernel (the result is data or a handle
    to the object there); in the student's own Validate, right here. Treat the result as
    the student's answer, never as a reference.
    """
    judge = namespace.get("__nncourse_judge__")
    if judge is not None:
        return judge.in_kernel(name, args, kwargs)
    if name.startswith("student_side."):
        from nncourse.grading import student_side

        helper = name.split(".", 1)[1]
        if helper not in student_side.__all__:
            raise ValueError(f"nncourse.grading.student_side has no helper {helper!r}")
        return getattr(student_side, helper)(*args, **kwargs)
    return namespace[name](*args, **kwargs)
