"""Simulated class for the Euler-residuals assignment (12 points).

Test cells and points: test_marginal_utility 2, test_euler_residual 7, test_accuracy_report 3.

The hidden tests of euler_residual swap in reference versions of Part 1 for its values and compare its gradient
(taken in the student kernel) only when Part 1 is right; those of accuracy_report swap in a reference
euler_residual. The visible tests call the student's own functions, so a mistake in Part 1 that shows at gamma = 1
also fails Part 2's visible closed-form check (wrong_marginal_utility), and a syntax error in Part 1 leaves every
later visible test without its functions.

With log utility and delta = 1 the closed-form policy's R'/u'(c') does not depend on z' or on tomorrow's policy, so
many mistakes (forgetting (1 - delta) k', log marginal utility for every gamma, equal quadrature weights, tomorrow's
savings rate from today's state) leave its residual at zero: only the hidden tests on an accurate time-iteration
policy with delta < 1 and gamma != 1 (computed in the judge) catch them. A residual in marginal-utility units is zero
for the same policies (even small on the time-iteration one) and is caught by the comparison of values.
"""

from simclass import Submission

MARGINAL_UTILITY_OF_THE_WRONG_POWER = '''
def marginal_utility(c, gamma):
    # differentiates c^(1 - gamma) as if it were the marginal utility: gives 1 for log utility
    return c ** (1 - gamma)


def inverse_marginal_utility(m, gamma):
    return m ** (-1.0 / gamma)
'''

INVERSE_WITHOUT_THE_ROOT = '''
def marginal_utility(c, gamma):
    return c ** (-gamma)


def inverse_marginal_utility(m, gamma):
    # misconception: inverts c^(-gamma) with the power -gamma instead of -1/gamma (the same for gamma = 1)
    return m ** (-gamma)
'''

SYNTAX_ERROR = '''
def marginal_utility(c, gamma):
    return c ** (-gamma


def inverse_marginal_utility(m, gamma):
    return m ** (-1.0 / gamma)
'''


def residual(*, today="", tomorrow_wealth="z1 * k1 ** alpha + (1 - delta) * k1", weights="weights",
             saving_tomorrow="tf.reshape(policy(tf.reshape(k1, [-1]), tf.reshape(z1, [-1])), [n, q])",
             mu="marginal_utility(c1, gamma)", result="1 - inverse_marginal_utility(beta * expected, gamma) / c",
             comment="", reduce="tf.reduce_sum"):
    """A student's euler_residual with one piece changed."""
    return f'''
def euler_residual(policy, k, z, params, nodes, weights):
    {comment}
    alpha, beta, delta, gamma = params["alpha"], params["beta"], params["delta"], params["gamma"]
    y = z * k ** alpha + (1 - delta) * k
    s = policy(k, z)
    c = (1 - s) * y
    n, q = tf.shape(k)[0], tf.shape(nodes)[0]
    z1 = tf.exp(params["rho"] * tf.math.log(z)[:, None] + params["sigma"] * nodes[None, :])
    k1 = tf.repeat((s * y)[:, None], q, axis=1)
    s1 = {saving_tomorrow}
    c1 = (1 - s1) * ({tomorrow_wealth})
    R1 = alpha * z1 * k1 ** (alpha - 1) + 1 - delta
    expected = {reduce}({weights}[None, :] * R1 * {mu}, axis=1)
    return {result}
'''


FORGETS_DIVIDING_BY_CONSUMPTION = residual(
    comment="# returns 1 - c* instead of the relative error 1 - c*/c",
    result="1 - inverse_marginal_utility(beta * expected, gamma)")
FORGETS_UNDEPRECIATED_CAPITAL = residual(
    comment="# misconception: tomorrow's resources are output only, without the (1 - delta) k' left over",
    tomorrow_wealth="z1 * k1 ** alpha")
LOG_MARGINAL_UTILITY = residual(
    comment="# misconception: lecture 12's 1/c for every gamma",
    mu="1 / c1", result="1 - 1 / (beta * expected * c)")
MARGINAL_UTILITY_UNITS = residual(
    comment="# misconception: the Euler equation as a ratio of marginal utilities minus 1, not in consumption units",
    result="beta * expected / marginal_utility(c, gamma) - 1")
POLICY_AT_TODAYS_STATE = residual(
    comment="# timing error: tomorrow's savings rate is taken from today's state",
    saving_tomorrow="tf.repeat(s[:, None], q, axis=1)")
EQUAL_WEIGHTS = residual(
    comment="# misconception: averages over the nodes with equal weights instead of the quadrature weights",
    weights="(tf.ones_like(weights) / tf.cast(q, tf.float64))")
NUMPY_SUM = residual(
    comment="# misconception: np.sum turns the tensor into a NumPy array, so GradientTape loses the path through tomorrow",
    reduce="np.sum")

NATURAL_LOGARITHM = '''
def accuracy_report(policy, reference, k, z, params, nodes, weights):
    # uses the natural logarithm, not log10
    e = np.abs(euler_residual(policy, k, z, params, nodes, weights).numpy())
    gap = np.abs(policy(k, z).numpy() / reference(k, z).numpy() - 1)
    return {"euler_mean": float(np.mean(np.log(e))), "euler_max": float(np.log(e.max())),
            "policy_max": float(np.log(gap.max()))}
'''

LOG_OF_THE_MEAN = '''
def accuracy_report(policy, reference, k, z, params, nodes, weights):
    # misconception: the log10 of the mean error instead of the mean of the log10 errors
    e = np.abs(euler_residual(policy, k, z, params, nodes, weights).numpy())
    gap = np.abs(policy(k, z).numpy() / reference(k, z).numpy() - 1)
    return {"euler_mean": float(np.log10(np.mean(e))), "euler_max": float(np.log10(e.max())),
            "policy_max": float(np.log10(gap.max()))}
'''

ALL_TESTS = {"test_marginal_utility", "test_euler_residual", "test_accuracy_report"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    # gamma = 1 gives u'(c) = 1: Part 1's visible values fail, and so does Part 2's visible closed-form check, which
    # runs the student's own Part 1 (Part 3's visible checks hold for any residual).
    Submission("wrong_marginal_utility", {"marginal_utility": MARGINAL_UTILITY_OF_THE_WRONG_POWER},
               frozenset({"test_marginal_utility", "test_euler_residual"})),
    Submission("wrong_euler_residual", {"euler_residual": FORGETS_DIVIDING_BY_CONSUMPTION},
               frozenset({"test_euler_residual"})),
    Submission("wrong_accuracy_report", {"accuracy_report": NATURAL_LOGARITHM}, frozenset({"test_accuracy_report"})),
    # marginal_utility and inverse_marginal_utility stay undefined: every later visible test needs them.
    Submission("syntax_error", {"marginal_utility": SYNTAX_ERROR}, frozenset(ALL_TESTS)),
    Submission("misconception_inverse_without_the_root", {"marginal_utility": INVERSE_WITHOUT_THE_ROOT},
               frozenset({"test_marginal_utility"})),
    Submission("misconception_forgets_undepreciated_capital", {"euler_residual": FORGETS_UNDEPRECIATED_CAPITAL},
               frozenset({"test_euler_residual"})),
    Submission("misconception_log_marginal_utility", {"euler_residual": LOG_MARGINAL_UTILITY},
               frozenset({"test_euler_residual"})),
    Submission("misconception_marginal_utility_units", {"euler_residual": MARGINAL_UTILITY_UNITS},
               frozenset({"test_euler_residual"})),
    Submission("misconception_policy_at_todays_state", {"euler_residual": POLICY_AT_TODAYS_STATE},
               frozenset({"test_euler_residual"})),
    Submission("misconception_equal_weights", {"euler_residual": EQUAL_WEIGHTS}, frozenset({"test_euler_residual"})),
    # The gradient still reaches the policy through today's consumption, so the visible probe passes; the hidden
    # comparison of gradients with the reference catches it.
    Submission("misconception_numpy_in_residual", {"euler_residual": NUMPY_SUM}, frozenset({"test_euler_residual"})),
    Submission("misconception_log_of_the_mean", {"accuracy_report": LOG_OF_THE_MEAN},
               frozenset({"test_accuracy_report"})),
]
