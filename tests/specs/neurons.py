"""Simulated class for the neurons assignment (22 points).

Test cells and points: test_activations 4, test_derivatives 4, test_dense_with_cache 3,
test_gelu_study 3, test_two_of_three_network 3, test_min_hidden_units 2,
test_separating_architectures 3. The hidden derivative tests swap in reference activations,
and the network test evaluates the weights itself, so a wrong part costs only its own points.
Two couplings are deliberate: the visible derivative test compares each derivative with a
finite difference of the student's own activation, and Part 4's numbers are computed by the
student's gelu and d_gelu (a wrong d_gelu costs Part 4 too). Parts 4, 6 and 7 give partial
credit: 1 point per right number or width, and 3 * (right - wrong) / 14 for the 14 judgements.
"""

from simclass import Submission

_GOOD_GELU_AND_SOFTSIGN = '''
def gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0)))


def softsign(x):
    x = np.asarray(x, dtype=float)
    return x / (1.0 + np.abs(x))
'''

NAIVE_LOG_SIGMOID = _GOOD_GELU_AND_SOFTSIGN + '''

def log_sigmoid(x):
    # misconception: the log of the textbook sigmoid; sigma(-1000) is 0 in float64 and its log is -inf
    return np.log(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))))
'''

TANH_BY_EXP = '''
def gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    if approximate:
        # misconception: tanh written out with exponentials, inf / inf = nan once x^3 is large
        u = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + (np.exp(u) - np.exp(-u)) / (np.exp(u) + np.exp(-u)))
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0)))


def log_sigmoid(x):
    return -np.logaddexp(0.0, -np.asarray(x, dtype=float))


def softsign(x):
    x = np.asarray(x, dtype=float)
    return x / (1.0 + np.abs(x))
'''

_GOOD_D_GELU = '''
def d_gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    if approximate:
        c = np.sqrt(2.0 / np.pi)
        t = np.tanh(c * (x + 0.044715 * x ** 3))
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t ** 2) * c * (1.0 + 3 * 0.044715 * x ** 2)
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0))) + x * np.exp(-0.5 * x ** 2) / np.sqrt(2.0 * np.pi)
'''

NAIVE_D_LOG_SIGMOID = _GOOD_D_GELU + '''

def d_log_sigmoid(x):
    # misconception: e^-x / (1 + e^-x) is right on paper but inf / inf = nan for x = -1000
    e = np.exp(-np.asarray(x, dtype=float))
    return e / (1.0 + e)


def d_softsign(x):
    return 1.0 / (1.0 + np.abs(np.asarray(x, dtype=float))) ** 2
'''

SOFTSIGN_DERIVATIVE_WITHOUT_ABS = _GOOD_D_GELU + '''

def d_log_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, np.asarray(x, dtype=float)))


def d_softsign(x):
    # differentiates x / (1 + x), forgetting the absolute value
    return 1.0 / (1.0 + np.asarray(x, dtype=float)) ** 2
'''

GELU_DERIVATIVE_WITHOUT_PRODUCT_RULE = '''
def d_gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    # misconception: d/dx [x Phi(x)] = Phi(x), the product rule forgotten
    if approximate:
        return 0.5 * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0)))


def d_log_sigmoid(x):
    return np.exp(-np.logaddexp(0.0, np.asarray(x, dtype=float)))


def d_softsign(x):
    return 1.0 / (1.0 + np.abs(np.asarray(x, dtype=float))) ** 2
'''

DENSE_NO_BIAS = '''
def dense_with_cache(X, W, b, g, dg):
    Z = np.asarray(X, dtype=float) @ W
    return g(Z), Z, dg(Z)
'''

DERIVATIVE_AT_THE_ACTIVATION = '''
def dense_with_cache(X, W, b, g, dg):
    Z = np.asarray(X, dtype=float) @ W + b
    A = g(Z)
    # misconception: g' evaluated at the output, as if every derivative were written through g (like sigma' = sigma (1 - sigma))
    return A, Z, dg(A)
'''

DENSE_FLATTENS_BATCH = '''
def dense_with_cache(X, W, b, g, dg):
    # misconception: flattens the batch axes into one and never restores them
    Z = np.asarray(X, dtype=float).reshape(-1, W.shape[0]) @ W + b
    return g(Z), Z, dg(Z)
'''

GRID_STUDY = '''
_xs = np.linspace(-3.0, 3.0, 6001)
_i = int(np.argmin(gelu(_xs)))
# misconception: a grid of step 1e-3 is taken to be accurate to 1e-6
gelu_study = {"argmin": float(_xs[_i]), "minimum": float(gelu(_xs)[_i]),
              "max_gap": float(np.max(np.abs(gelu(_xs, approximate=True) - gelu(_xs))))}
'''

TANH_FORM_MINIMUM = '''
_lo, _hi = -3.0, 0.0
for _ in range(200):
    _mid = 0.5 * (_lo + _hi)
    # misconception: the minimum of the tanh form, not of the exact GELU
    if d_gelu(np.array([_mid]), approximate=True)[0] < 0:
        _lo = _mid
    else:
        _hi = _mid
_xg = np.linspace(-10.0, 10.0, 200_001)
gelu_study = {"argmin": 0.5 * (_lo + _hi), "minimum": float(gelu(np.array([0.5 * (_lo + _hi)]), approximate=True)[0]),
              "max_gap": float(np.max(np.abs(gelu(_xg, approximate=True) - gelu(_xg))))}
'''

MAJORITY_NETWORK = '''
W1 = np.ones((3, 2))
b1 = np.array([-1.0, -2.0])
W2 = np.array([[1.0], [-1.0]])
b2 = np.array([0.0])
'''

STEEP_NETWORK = '''
# exact on the eight inputs, but ten times steeper than needed
W1 = 10.0 * np.ones((3, 3))
b1 = np.array([-19.0, -20.0, -21.0])
W2 = np.array([[1.0], [-2.0], [1.0]])
b2 = np.array([0.0])
'''

BALL_LIKE_RINGS = '''
min_hidden_units = {"strip": 2, "ball": 3}
'''

STRIP_LIKE_RINGS = '''
# misconception: every "inside against outside" problem needs the rings' 3 units
min_hidden_units = {"strip": 3, "ball": 4}
'''

ANSWERS_NOT_INTEGERS = '''
min_hidden_units = {"strip": "2", "ball": 4}
'''

DEPTH_INSTEAD_OF_WIDTH = '''
separates_strip = {"B", "C", "D", "E", "G"}
# misconception: enough layers of 3 units make up for width in 3-D
separates_ball = {"D", "E", "G"}
'''

THREE_UNITS_AS_FOR_THE_RINGS = '''
# misconception: the rings' answer carried over without thinking about the dimension
separates_strip = {"C", "D", "E", "G"}
separates_ball = {"C", "D", "G"}
'''

WIDTH_WITHOUT_NONLINEARITY = '''
separates_strip = {"B", "C", "D", "E", "F", "G"}
separates_ball = {"D", "F", "G"}
'''

SYNTAX_ERROR = '''
def gelu(x, approximate=False):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / np.sqrt(2.0))

def softsign(x):
    return x / (1 + np.abs(x))
'''

ALL_TESTS = {"test_activations", "test_derivatives", "test_dense_with_cache", "test_gelu_study",
             "test_two_of_three_network", "test_min_hidden_units", "test_separating_architectures"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # Part 1 wrong alone: log(sigmoid) is -inf at x = -1000 (hidden test); the finite differences of Part 2 still agree.
    Submission("wrong_activations", {"activations": NAIVE_LOG_SIGMOID}, frozenset({"test_activations"})),
    Submission("wrong_derivatives", {"derivatives": SOFTSIGN_DERIVATIVE_WITHOUT_ABS}, frozenset({"test_derivatives"})),
    Submission("wrong_dense_with_cache", {"dense_with_cache": DENSE_NO_BIAS}, frozenset({"test_dense_with_cache"})),
    # A grid finds max_gap to 1e-4 but neither argmin to 1e-6 nor the minimum to 1e-9: 1 of 3.
    Submission("wrong_gelu_study", {"gelu_study": GRID_STUDY}, partial={"test_gelu_study": 1.0}),
    Submission("wrong_two_of_three_network", {"two_of_three_network": MAJORITY_NETWORK},
               frozenset({"test_two_of_three_network"})),
    Submission("wrong_min_hidden_units", {"min_hidden_units": BALL_LIKE_RINGS}, partial={"test_min_hidden_units": 1.0}),
    # One wrong judgement of fourteen: 3 * (13 - 1) / 14.
    Submission("wrong_separating_architectures", {"separating_architectures": DEPTH_INSTEAD_OF_WIDTH},
               partial={"test_separating_architectures": 3 * 12 / 14}),
    # The syntax error leaves gelu, log_sigmoid and softsign undefined: the visible finite differences of Part 2
    # and the GELU study (computed with gelu) fail with them; the dense layer and Parts 5-7 do not use them.
    Submission("syntax_error", {"activations": SYNTAX_ERROR},
               frozenset({"test_activations", "test_derivatives", "test_gelu_study"})),
    # Misconceptions that pass the visible tests and fail a hidden one.
    Submission("misconception_tanh_by_exponentials", {"activations": TANH_BY_EXP}, frozenset({"test_activations"})),
    Submission("misconception_unstable_d_log_sigmoid", {"derivatives": NAIVE_D_LOG_SIGMOID},
               frozenset({"test_derivatives"})),
    Submission("misconception_derivative_at_activation", {"dense_with_cache": DERIVATIVE_AT_THE_ACTIVATION},
               frozenset({"test_dense_with_cache"})),
    Submission("misconception_flattened_batch", {"dense_with_cache": DENSE_FLATTENS_BATCH},
               frozenset({"test_dense_with_cache"})),
    # The minimum of the tanh form misses both tolerances of the exact one; max_gap is right: 1 of 3.
    Submission("misconception_tanh_form_minimum", {"gelu_study": TANH_FORM_MINIMUM}, partial={"test_gelu_study": 1.0}),
    Submission("misconception_steep_network", {"two_of_three_network": STEEP_NETWORK},
               frozenset({"test_two_of_three_network"})),
    Submission("misconception_strip_like_rings", {"min_hidden_units": STRIP_LIKE_RINGS},
               partial={"test_min_hidden_units": 1.0}),
    # Two wrong judgements of fourteen: 3 * (12 - 2) / 14.
    Submission("misconception_three_units_as_for_rings", {"separating_architectures": THREE_UNITS_AS_FOR_THE_RINGS},
               partial={"test_separating_architectures": 3 * 10 / 14}),
    Submission("misconception_width_without_nonlinearity", {"separating_architectures": WIDTH_WITHOUT_NONLINEARITY},
               partial={"test_separating_architectures": 3 * 10 / 14}),
    # Forgetting the product rule fails the visible finite differences, and the study's bisection on this
    # derivative (positive everywhere) never leaves x = -3, so its visible check fails too.
    Submission("misconception_gelu_derivative_without_product_rule", {"derivatives": GELU_DERIVATIVE_WITHOUT_PRODUCT_RULE},
               frozenset({"test_derivatives", "test_gelu_study"})),
    # A visible test fails (a string is not an integer): no partial credit.
    Submission("answers_not_integers", {"min_hidden_units": ANSWERS_NOT_INTEGERS}, frozenset({"test_min_hidden_units"})),
]
