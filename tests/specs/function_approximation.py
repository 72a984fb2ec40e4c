"""Simulated class for the function-approximation assignment (14 points, 11 autograded).

Test cells and points: test_mean_and_max_abs_error 1, test_count_parameters 2,
test_fit_2d 4, test_fit_5d 4; the written answer `dimension_discussion` (3 points)
is a manually graded Markdown answer cell.

What autograde records for the manually graded cell: nbgrader's SaveAutoGrades
compares the cell with the checksum stored at release. Unchanged (as in every
submission here, which keep the released "YOUR ANSWER HERE"), it records
auto_score = 0 and needs_manual_grade = False; edited, it records auto_score = None
and needs_manual_grade = True. Either way the cell adds 0 to the score until a grader
enters a manual score, so every submission lists it among its broken tests and the
full solution scores 11 after autograding.

test_fit_2d and test_fit_5d both call fit_genz_model (trained on unseen Gaussian Genz
functions, mean absolute error below 0.02 and 0.05), so a wrong fit loses both.
The dimension study cell uses mean_and_max_abs_error but is not graded.
"""

from simclass import Submission

MANUAL = "dimension_discussion"

SQUARED_ERRORS = '''
def mean_and_max_abs_error(y_pred, y_true):
    # the mean squared error instead of the mean absolute error
    errors = np.reshape(y_pred, -1) - np.reshape(y_true, -1)
    return float(np.mean(errors ** 2)), float(np.max(np.abs(errors)))
'''

BROADCASTS = '''
def mean_and_max_abs_error(y_pred, y_true):
    # misconception: (m, 1) - (m,) broadcasts to an (m, m) matrix of all pairs
    errors = np.abs(np.asarray(y_pred) - np.asarray(y_true))
    return float(errors.mean()), float(errors.max())
'''

SYNTAX_ERROR = '''
def mean_and_max_abs_error(y_pred, y_true):
    errors = np.abs(np.reshape(y_pred, -1) - np.reshape(y_true, -1)
    return float(errors.mean()), float(errors.max())
'''

FORGETS_BIASES = '''
def count_parameters(d, widths):
    # counts the weight matrices only
    sizes = [d, *widths, 1]
    return int(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])))
'''

LINEAR_MODEL = '''
def fit_genz_model(X_train, y_train, seed=0):
    # no hidden layer: a linear model cannot follow the bump
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((X_train.shape[1],)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    model.fit(X_train, y_train, batch_size=len(X_train), epochs=200, verbose=0)
    return model
'''

SCALES_OUTSIDE_THE_MODEL = '''
def fit_genz_model(X_train, y_train, seed=0):
    # misconception: trains on rescaled inputs 2x - 1, but predict() later receives the raw x
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((X_train.shape[1],)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    n = len(X_train)
    model.fit(np.tile(2 * X_train - 1, (400, 1)), np.tile(y_train, 400), batch_size=n, epochs=1, shuffle=False,
              verbose=0)
    return model
'''

ALL_TESTS = {"test_mean_and_max_abs_error", "test_count_parameters", "test_fit_2d", "test_fit_5d", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_mean_and_max_abs_error", {"mean_and_max_abs_error": SQUARED_ERRORS},
               _broken("test_mean_and_max_abs_error")),
    Submission("wrong_count_parameters", {"count_parameters": FORGETS_BIASES}, _broken("test_count_parameters")),
    Submission("wrong_fit_genz_model", {"fit_genz_model": LINEAR_MODEL}, _broken("test_fit_2d", "test_fit_5d")),
    # Only Part 1's tests use mean_and_max_abs_error (the ungraded dimension study fails too).
    Submission("syntax_error", {"mean_and_max_abs_error": SYNTAX_ERROR}, _broken("test_mean_and_max_abs_error")),
    Submission("misconception_broadcasting", {"mean_and_max_abs_error": BROADCASTS},
               _broken("test_mean_and_max_abs_error")),
    Submission("misconception_scaling_outside_model", {"fit_genz_model": SCALES_OUTSIDE_THE_MODEL},
               _broken("test_fit_2d", "test_fit_5d")),
]
