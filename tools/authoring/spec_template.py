"""Simulated class for __NAME__ (7 points: 5 autograded, 2 graded by hand).

Test cells and points: test_mean_absolute_error 3, test_relative_error 2; outlier_answer 2 is a
written answer graded by hand, so autograding gives it 0 in every submission. The hidden test of
Part 2 swaps in the reference Part 1, so a wrong Part 1 costs only its own points.

This file came from tools/authoring/spec_template.py with the template assignment: when you
replace the example parts, replace these submissions too (docs/authoring.md lists the fields).
"""

from simclass import Submission

MANUAL = "outlier_answer"

SQUARED_ERRORS = '''
def mean_absolute_error(y_pred, y_true):
    # misconception: the mean squared error
    return float(np.mean((np.asarray(y_pred) - np.asarray(y_true)) ** 2))
'''

SIGNED_ERRORS = '''
def mean_absolute_error(y_pred, y_true):
    # misconception: without the absolute value, errors of opposite sign cancel
    return float(np.mean(np.asarray(y_pred) - np.asarray(y_true)))
'''

RELATIVE_TO_PREDICTIONS = '''
def relative_error(y_pred, y_true):
    return mean_absolute_error(y_pred, y_true) / float(np.mean(np.abs(y_pred)))
'''

SYNTAX_ERROR = '''
def mean_absolute_error(y_pred, y_true):
    return float(np.mean(np.abs(y_pred - y_true))
'''

ALL_TESTS = {"test_mean_absolute_error", "test_relative_error", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_mean_absolute_error", {"mean_absolute_error": SQUARED_ERRORS},
               _broken("test_mean_absolute_error")),
    Submission("wrong_relative_error", {"relative_error": RELATIVE_TO_PREDICTIONS}, _broken("test_relative_error")),
    # Part 2's visible test calls the student's Part 1, which is missing; its hidden test alone would pass.
    Submission("syntax_error", {"mean_absolute_error": SYNTAX_ERROR}, frozenset(ALL_TESTS)),
    Submission("misconception_signed_errors", {"mean_absolute_error": SIGNED_ERRORS},
               _broken("test_mean_absolute_error")),
]
