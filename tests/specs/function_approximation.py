"""Simulated class for the function-approximation assignment (14 points, 12 autograded).

Test cells and points: test_local_linear_predict 4, test_learning_curve 3, test_fit_exponent 2,
test_study 3; the written answer `rate_discussion` (2 points) is a manually graded Markdown answer cell.

The hidden tests of Parts 1 to 3 need nothing of the other parts: Part 2's pass their own predictor and
function (spies in the judge that record what they receive), Part 3's their own error tables. Part 4's
numbers are computed in the student's kernel by the student's own functions of Parts 1 to 3 (the study
cell calls them), so a wrong part can cost Part 4 too; test_study gives partial credit, 1 point per
group (the three 1-NN exponents, the three local linear exponents, factor_d4 with n_equal_d4).

What autograde records for the manually graded cell: nbgrader's SaveAutoGrades compares the cell with
the checksum stored at release. Unchanged (as in every submission here, which keep the released "YOUR
ANSWER HERE"), it records auto_score = 0 and needs_manual_grade = False; edited, it records auto_score =
None and needs_manual_grade = True. Either way the cell adds 0 to the score until a grader enters a
manual score, so every submission lists it among its broken tests and the full solution scores 12 after
autograding.
"""

from simclass import Submission

MANUAL = "rate_discussion"

# ---- Part 1: local_linear_predict

NO_INTERCEPT = '''
def local_linear_predict(X_train, y_train, X_query, k):
    # a linear (not affine) fit in the raw coordinates: no constant term
    X_train, X_query = np.asarray(X_train, dtype=float), np.asarray(X_query, dtype=float)
    y_train = np.asarray(y_train, dtype=float)
    idx = nearest_indices(X_train, X_query, k)
    P = X_train[idx]
    coef = np.linalg.solve(np.einsum("mki,mkj->mij", P, P), np.einsum("mki,mk->mi", P, y_train[idx])[..., None])
    return np.einsum("mi,mi->m", coef[..., 0], X_query)
'''

INTERPOLATES_D_PLUS_ONE = '''
def local_linear_predict(X_train, y_train, X_query, k):
    # misconception: d + 1 points determine a plane, so the other k - d - 1 neighbours are not needed
    X_train, X_query = np.asarray(X_train, dtype=float), np.asarray(X_query, dtype=float)
    y_train = np.asarray(y_train, dtype=float)
    d = X_train.shape[1]
    idx = nearest_indices(X_train, X_query, k)[:, :d + 1]
    M = np.concatenate([np.ones(idx.shape + (1,)), X_train[idx] - X_query[:, None, :]], axis=2)
    return np.linalg.solve(M, y_train[idx][..., None])[:, 0, 0]
'''

# ---- Part 2: learning_curve

MEAN_ABSOLUTE_ERROR = '''
def learning_curve(predict, f, d, sizes, n_test, draws, rng):
    out = np.zeros((len(sizes), draws))
    for j in range(draws):
        X = rng.uniform(size=(max(sizes), d))
        y = f(X)
        Q = rng.uniform(size=(n_test, d))
        t = f(Q)
        for i, n in enumerate(sizes):
            out[i, j] = np.mean(np.abs(predict(X[:n], y[:n], Q) - t))   # the mean absolute error, not the RMS
    return out
'''

FRESH_SAMPLE_PER_SIZE = '''
def learning_curve(predict, f, d, sizes, n_test, draws, rng):
    out = np.zeros((len(sizes), draws))
    for j in range(draws):
        Q = rng.uniform(size=(n_test, d))
        t = f(Q)
        for i, n in enumerate(sizes):
            # misconception: a new training sample for every size, so one draw's curve is not nested
            X = rng.uniform(size=(n, d))
            out[i, j] = np.sqrt(np.mean((predict(X, f(X), Q) - t) ** 2))
    return out
'''

SHARED_TEST_POINTS = '''
def learning_curve(predict, f, d, sizes, n_test, draws, rng):
    # misconception: one set of test points is enough for all the draws
    Q = rng.uniform(size=(n_test, d))
    t = f(Q)
    out = np.zeros((len(sizes), draws))
    for j in range(draws):
        X = rng.uniform(size=(max(sizes), d))
        y = f(X)
        for i, n in enumerate(sizes):
            out[i, j] = np.sqrt(np.mean((predict(X[:n], y[:n], Q) - t) ** 2))
    return out
'''

SYNTAX_ERROR = '''
def learning_curve(predict, f, d, sizes, n_test, draws, rng):
    out = np.zeros((len(sizes), draws)
    return out
'''

# ---- Part 3: fit_exponent

IGNORES_N_MIN = '''
def fit_exponent(sizes, errors, n_min):
    # every size is used, n_min is ignored
    slopes = np.array([np.polyfit(np.log(sizes), np.log(errors[:, j]), 1)[0] for j in range(errors.shape[1])])
    return float(slopes.mean()), float(slopes.std(ddof=1) / np.sqrt(len(slopes)))
'''

SLOPE_OF_THE_MEANS = '''
def fit_exponent(sizes, errors, n_min):
    sizes, errors = np.asarray(sizes, dtype=float), np.asarray(errors, dtype=float)
    use = sizes >= n_min
    # misconception: the exponent of the mean curve, as in lecture 10's worked solution
    p = np.polyfit(np.log(sizes[use]), np.log(errors[use].mean(axis=1)), 1)[0]
    slopes = np.array([np.polyfit(np.log(sizes[use]), np.log(errors[use, j]), 1)[0] for j in range(errors.shape[1])])
    return float(p), float(slopes.std(ddof=1) / np.sqrt(len(slopes)))
'''

POPULATION_SD = '''
def fit_exponent(sizes, errors, n_min):
    sizes, errors = np.asarray(sizes, dtype=float), np.asarray(errors, dtype=float)
    use = sizes >= n_min
    slopes = np.array([np.polyfit(np.log(sizes[use]), np.log(errors[use, j]), 1)[0] for j in range(errors.shape[1])])
    # misconception: the population standard deviation (ddof = 0)
    return float(slopes.mean()), float(slopes.std() / np.sqrt(len(slopes)))
'''

# ---- Part 4: the study

_STUDY = '''
rng = np.random.default_rng(7)
study, curves = {}, {}
for d in (1, 2, 4):
    f = study_function(d)
    for name, k in (("nearest", None), ("local_linear", LOCAL_K)):
        method = nearest_neighbour_predict if k is None else (lambda A, b, Q, k=k: local_linear_predict(A, b, Q, k))
        curves[name, d] = learning_curve(method, f, d, STUDY_SIZES, 400, 4, rng)
        study[name, d] = SIGN(fit_exponent(STUDY_SIZES, curves[name, d], 128))
study["factor_d4"] = float(FACTOR)
study["n_equal_d4"] = float(2048 * study["factor_d4"] ** (-1.0 / EXPONENT))
'''


def _study(local_k="2 * (d + 1)", sign="", factor='curves["nearest", 4][-1].mean() / curves["local_linear", 4][-1].mean()',
           exponent='study["nearest", 4][0]'):
    sign_code = "tuple" if not sign else "(lambda r: (-r[0], r[1]))"
    return (_STUDY.replace("LOCAL_K", local_k).replace("SIGN", sign_code).replace("FACTOR", factor)
            .replace("EXPONENT", exponent))


RATES_AS_POSITIVE = _study(sign="negated")          # stores -p, the "rate", instead of the exponent p
K_D_PLUS_ONE = _study(local_k="d + 1")              # misconception: k = d + 1 neighbours are enough for a plane
N_EQUAL_FROM_THEORY = _study(exponent="-0.25")      # misconception: extrapolates with the theory's -1/4, not the measured exponent

# ---- honest alternatives in other styles (full marks): a loop of lstsq, the plane in raw coordinates by the normal
# equations, every draw drawn at once, np.polyfit

ALT_LOCAL_LINEAR = '''
def local_linear_predict(X_train, y_train, X_query, k):
    X_train, y_train, X_query = np.asarray(X_train, float), np.asarray(y_train, float), np.asarray(X_query, float)
    result = []
    for q, row in zip(X_query, nearest_indices(X_train, X_query, k)):
        M = np.hstack([np.ones((k, 1)), X_train[row] - q])
        result.append(np.linalg.lstsq(M, y_train[row], rcond=None)[0][0])
    return np.array(result)
'''

ALT_UNCENTRED = '''
def local_linear_predict(X_train, y_train, X_query, k):
    # the plane in the raw coordinates, evaluated at q: the same prediction, by the normal equations
    X_train, y_train, X_query = np.asarray(X_train, float), np.asarray(y_train, float), np.asarray(X_query, float)
    nb = nearest_indices(X_train, X_query, k)
    M = np.concatenate([np.ones(nb.shape + (1,)), X_train[nb]], axis=2)
    coef = np.linalg.solve(np.swapaxes(M, 1, 2) @ M, np.swapaxes(M, 1, 2) @ y_train[nb][..., None])[..., 0]
    return coef[:, 0] + np.sum(coef[:, 1:] * X_query, axis=1)
'''

ALT_LEARNING_CURVE = '''
def learning_curve(predict, f, d, sizes, n_test, draws, rng):
    tests = rng.uniform(0.0, 1.0, (draws, n_test, d))
    samples = rng.uniform(0.0, 1.0, (draws, sizes[-1], d))
    values = f(samples.reshape(-1, d)).reshape(draws, sizes[-1])
    truths = f(tests.reshape(-1, d)).reshape(draws, n_test)
    return np.array([[rms(predict(samples[j, :n], values[j, :n], tests[j]) - truths[j]) for j in range(draws)]
                     for n in sizes])
'''

ALT_FIT_EXPONENT = '''
def fit_exponent(sizes, errors, n_min):
    keep = [i for i, n in enumerate(sizes) if n >= n_min]
    x = np.log(np.array(sizes, dtype=float)[keep])
    slopes = [np.polyfit(x, np.log(np.asarray(errors)[keep, j]), 1)[0] for j in range(np.shape(errors)[1])]
    return float(np.mean(slopes)), float(np.std(slopes, ddof=1) / np.sqrt(len(slopes)))
'''

ALL_TESTS = {"test_local_linear_predict", "test_learning_curve", "test_fit_exponent", "test_study", MANUAL}


def _broken(*tests):
    return frozenset({MANUAL, *tests})


SUBMISSIONS = [
    Submission("full_solution", broken_tests=_broken()),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("alternative_styles", {"local_linear_predict": ALT_LOCAL_LINEAR, "learning_curve": ALT_LEARNING_CURVE,
                                      "fit_exponent": ALT_FIT_EXPONENT}, _broken()),
    Submission("alternative_uncentred_plane", {"local_linear_predict": ALT_UNCENTRED}, _broken()),
    # Each part wrong alone, caught by a visible test.
    Submission("wrong_local_linear_predict", {"local_linear_predict": NO_INTERCEPT},
               _broken("test_local_linear_predict"), partial={"test_study": 1.0}),
    Submission("wrong_learning_curve", {"learning_curve": MEAN_ABSOLUTE_ERROR}, _broken("test_learning_curve")),
    Submission("wrong_fit_exponent", {"fit_exponent": IGNORES_N_MIN}, _broken("test_fit_exponent")),
    Submission("wrong_study", {"study": RATES_AS_POSITIVE}, _broken("test_study")),
    # learning_curve undefined: Part 2's tests fail, and so does the study, which calls it.
    Submission("syntax_error", {"learning_curve": SYNTAX_ERROR}, _broken("test_learning_curve", "test_study")),
    # Misconceptions that pass the visible tests and fail a hidden one.
    Submission("misconception_interpolates_d_plus_one", {"local_linear_predict": INTERPOLATES_D_PLUS_ONE},
               _broken("test_local_linear_predict"), partial={"test_study": 1.0}),
    Submission("misconception_fresh_sample_per_size", {"learning_curve": FRESH_SAMPLE_PER_SIZE},
               _broken("test_learning_curve")),
    Submission("misconception_shared_test_points", {"learning_curve": SHARED_TEST_POINTS}, _broken("test_learning_curve")),
    Submission("misconception_slope_of_the_means", {"fit_exponent": SLOPE_OF_THE_MEANS}, _broken("test_fit_exponent")),
    Submission("misconception_population_sd", {"fit_exponent": POPULATION_SD}, _broken("test_fit_exponent")),
    Submission("misconception_k_d_plus_one", {"study": K_D_PLUS_ONE}, _broken(), partial={"test_study": 1.0}),
    Submission("misconception_n_equal_from_theory", {"study": N_EQUAL_FROM_THEORY}, _broken(),
               partial={"test_study": 2.0}),
]
