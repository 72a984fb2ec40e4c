"""Simulated class for the gradient-descent assignment (17 points, all autograded).

Test cells and points: test_huber_gradient 3, test_armijo_step 4, test_sgd_epoch 5,
test_polyak_descent 3, test_gd_rates 2.

No part is a transcription of lecture 03's code: the lecture shows the gradient of the mean
squared error, batch GD with a fixed step, mini-batch SGD by reshuffling, the 2 / lambda_max
bound and the rate (kappa - 1) / (kappa + 1) of the best fixed step only. The assignment asks
for the gradient of the Huber cost derived by hand (checked by finite differences on unseen
shapes, with residuals on both sides of delta), a backtracking (Armijo) line search (checked by
its properties: sufficient decrease, the first accepted step of the sequence, never above
eta0), SGD epochs by reshuffling and by sampling with replacement (how often each sample moved
the parameters, the steps following each other, randomness from the rng only, and the fraction
of unused samples over 60 seeded epochs inside a 4-standard-error interval), Polyak's step size
(with J* = 0 and J* > 0, the distance to the minimiser never growing), and the predicted and
measured linear rate of GD for step sizes other than the lecture's best one. Hidden tests swap
in a reference huber_gradient, so a wrong Part 1 costs only its own points. Each part has a
wrong answer that a visible test catches and misconceptions that pass every visible test and
fail a hidden one.
"""

from simclass import Submission

SIGN_ERROR_GRADIENT = '''
def huber_gradient(theta, X, y, delta):
    return X.T @ np.clip(y - X @ theta, -delta, delta) / X.shape[0]
'''

GRADIENT_WITHOUT_CLIP = '''
def huber_gradient(theta, X, y, delta):
    # misconception: the squared error's gradient everywhere, as if every residual were below delta
    return X.T @ (X @ theta - y) / X.shape[0]
'''

GRADIENT_CLIPS_THE_GRADIENT = '''
def huber_gradient(theta, X, y, delta):
    # misconception: clips the entries of the gradient instead of each residual
    return np.clip(X.T @ (X @ theta - y) / X.shape[0], -delta, delta)
'''

ARMIJO_NEVER_SHRINKS = '''
def armijo_step(theta, X, y, delta, eta0, c=0.5, shrink=0.5):
    return theta - eta0 * huber_gradient(theta, X, y, delta), eta0
'''

ARMIJO_PLAIN_DECREASE = '''
def armijo_step(theta, X, y, delta, eta0, c=0.5, shrink=0.5):
    # misconception: any decrease of the cost is accepted, not a sufficient one
    g = huber_gradient(theta, X, y, delta)
    eta = eta0
    while huber_loss(theta - eta * g, X, y, delta) >= huber_loss(theta, X, y, delta):
        eta *= shrink
    return theta - eta * g, eta
'''

ARMIJO_NORM_NOT_SQUARED = '''
def armijo_step(theta, X, y, delta, eta0, c=0.5, shrink=0.5):
    # misconception: the decrease demanded is c eta ||g||, not c eta ||g||^2
    g = huber_gradient(theta, X, y, delta)
    eta = eta0
    while huber_loss(theta - eta * g, X, y, delta) > huber_loss(theta, X, y, delta) - c * eta * np.linalg.norm(g):
        eta *= shrink
    return theta - eta * g, eta
'''

SGD_FORGETS_ETA = '''
def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):
    n = X.shape[0]
    order = rng.integers(0, n, size=n) if replace else rng.permutation(n)
    for s in range(0, n, batch_size):
        theta = theta - huber_gradient(theta, X[order[s:s + batch_size]], y[order[s:s + batch_size]], delta)
    return theta
'''

SGD_IGNORES_REPLACE = '''
def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):
    # misconception: always reshuffles, so an epoch "with replacement" still uses every sample once
    n = X.shape[0]
    order = rng.permutation(n)
    for s in range(0, n, batch_size):
        theta = theta - eta * huber_gradient(theta, X[order[s:s + batch_size]], y[order[s:s + batch_size]], delta)
    return theta
'''

SGD_GLOBAL_RANDOM_DRAWS = '''
def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):
    # misconception: the draws with replacement come from NumPy's global generator, not from rng
    n = X.shape[0]
    order = np.random.randint(0, n, size=n) if replace else rng.permutation(n)
    for s in range(0, n, batch_size):
        theta = theta - eta * huber_gradient(theta, X[order[s:s + batch_size]], y[order[s:s + batch_size]], delta)
    return theta
'''

SGD_DROPS_THE_LAST_BATCH = '''
def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):
    # misconception: only full batches, so the samples of an incomplete last batch are never used
    n = X.shape[0]
    order = rng.integers(0, n, size=n) if replace else rng.permutation(n)
    for s in range(0, n - batch_size + 1, batch_size):
        theta = theta - eta * huber_gradient(theta, X[order[s:s + batch_size]], y[order[s:s + batch_size]], delta)
    return theta
'''

SGD_STEPS_FROM_THE_START = '''
def sgd_epoch(theta, X, y, delta, eta, batch_size, rng, replace=False):
    # misconception: every batch's gradient is taken at the parameters the epoch started from
    n = X.shape[0]
    order = rng.integers(0, n, size=n) if replace else rng.permutation(n)
    start = theta
    for s in range(0, n, batch_size):
        theta = theta - eta * huber_gradient(start, X[order[s:s + batch_size]], y[order[s:s + batch_size]], delta)
    return theta
'''

POLYAK_WITHOUT_THETA0 = '''
def polyak_descent(theta0, X, y, delta, f_star, steps):
    out, theta = [], np.array(theta0, dtype=float)
    for _ in range(steps):
        g = huber_gradient(theta, X, y, delta)
        theta = theta - (huber_loss(theta, X, y, delta) - f_star) / (g @ g) * g
        out.append(theta)
    return np.array(out)
'''

POLYAK_IGNORES_F_STAR = '''
def polyak_descent(theta0, X, y, delta, f_star, steps):
    # misconception: the step divides J itself, as if J* were always 0
    out = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        g = huber_gradient(out[-1], X, y, delta)
        gap = huber_loss(out[-1], X, y, delta)
        out.append(out[-1] - gap / (g @ g) * g if gap > 0 and g @ g > 0 else out[-1].copy())
    return np.array(out)
'''

POLYAK_NORM_NOT_SQUARED = '''
def polyak_descent(theta0, X, y, delta, f_star, steps):
    # misconception: divides by ||g|| instead of ||g||^2
    out = [np.array(theta0, dtype=float)]
    for _ in range(steps):
        g = huber_gradient(out[-1], X, y, delta)
        gap = huber_loss(out[-1], X, y, delta) - f_star
        size = np.linalg.norm(g)
        out.append(out[-1] - gap / size * g if gap > 0 and size > 0 else out[-1].copy())
    return np.array(out)
'''

_RATES = '''
def gd_rates(X, eta, steps):
    lam = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    predicted = {predicted}
    theta = np.ones(X.shape[1])
    norms = [np.linalg.norm(theta)]
    for _ in range(steps):
        theta = theta - eta * X.T @ (X @ theta) / X.shape[0]
        norms.append(np.linalg.norm(theta))
    return predicted, {measured}
'''
_GOOD_RATES = dict(predicted="float(np.max(np.abs(1 - eta * lam)))",
                   measured="float((norms[-1] / norms[steps // 2]) ** (2 / steps))")
RATES_HALF_STEP = _RATES.format(**dict(_GOOD_RATES, predicted="float(np.max(np.abs(1 - 0.5 * eta * lam)))"))
# misconception: the lecture's rate of the best step, whatever eta is
RATES_KAPPA_FORMULA = _RATES.format(**dict(_GOOD_RATES, predicted="float((lam[-1] - lam[0]) / (lam[-1] + lam[0]))"))
# misconception: only the flattest direction limits the rate (true for small steps only)
RATES_FLAT_SIDE_ONLY = _RATES.format(**dict(_GOOD_RATES, predicted="float(abs(1 - eta * lam[0]))"))
# misconception: the measured rate over all steps, where the faster components still weigh in
RATES_MEASURED_FROM_THE_START = _RATES.format(**dict(_GOOD_RATES, measured="float((norms[-1] / norms[0]) ** (1 / steps))"))

# Red team (2026-12-04): Part 1 answered with the setup cell's finite differences scored 3 of 3. The hidden test
# now refuses calls of huber_loss and numeric_gradient during huber_gradient and expects the gradient exact up to
# rounding, which also stops differences written out by hand; a derived gradient in another form keeps its points.
SHORTCUT_SETUP_DIFFERENCES = '''
def huber_gradient(theta, X, y, delta):
    return numeric_gradient(theta, X, y, delta)
'''

SHORTCUT_OWN_DIFFERENCES = '''
def huber_gradient(theta, X, y, delta):
    def cost(t):
        a = np.abs(X @ t - y)
        return np.mean(np.where(a <= delta, 0.5 * a ** 2, delta * (a - 0.5 * delta)))
    step = 1e-6
    return np.array([(cost(theta + step * e) - cost(theta - step * e)) / (2 * step) for e in np.eye(len(theta))])
'''

GRADIENT_ANOTHER_FORM = '''
def huber_gradient(theta, X, y, delta):
    r = X @ theta - y
    slope = np.where(np.abs(r) <= delta, r, delta * np.sign(r))  # rho'(r)
    return np.mean(X * slope[:, None], axis=0)
'''

SYNTAX_ERROR = '''
def huber_gradient(theta, X, y, delta):
    return X.T @ np.clip(X @ theta - y, -delta, delta / X.shape[0]
'''

ALL_TESTS = {"test_huber_gradient", "test_armijo_step", "test_sgd_epoch", "test_polyak_descent", "test_gd_rates"}


def _broken(*tests):
    return frozenset(tests)


SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_huber_gradient", {"huber_gradient": SIGN_ERROR_GRADIENT}, _broken("test_huber_gradient")),
    Submission("wrong_armijo_step", {"armijo_step": ARMIJO_NEVER_SHRINKS}, _broken("test_armijo_step")),
    Submission("wrong_sgd_epoch", {"sgd_epoch": SGD_FORGETS_ETA}, _broken("test_sgd_epoch")),
    Submission("wrong_polyak_descent", {"polyak_descent": POLYAK_WITHOUT_THETA0}, _broken("test_polyak_descent")),
    Submission("wrong_gd_rates", {"gd_rates": RATES_HALF_STEP}, _broken("test_gd_rates")),
    # A syntax error leaves huber_gradient undefined: Parts 1 and 3 call it in their visible tests; the tests of
    # Parts 2 and 4 put a finite-difference gradient (visible) or the reference (hidden) in its place.
    Submission("syntax_error", {"huber_gradient": SYNTAX_ERROR}, _broken("test_huber_gradient", "test_sgd_epoch")),
    # Misconceptions that pass every visible test and fail a hidden one.
    Submission("shortcut_huber_setup_differences", {"huber_gradient": SHORTCUT_SETUP_DIFFERENCES},
               _broken("test_huber_gradient")),
    Submission("shortcut_huber_own_differences", {"huber_gradient": SHORTCUT_OWN_DIFFERENCES},
               _broken("test_huber_gradient")),
    Submission("other_style_huber_gradient", {"huber_gradient": GRADIENT_ANOTHER_FORM}),
    Submission("misconception_huber_without_clip", {"huber_gradient": GRADIENT_WITHOUT_CLIP},
               _broken("test_huber_gradient")),
    Submission("misconception_huber_clips_the_gradient", {"huber_gradient": GRADIENT_CLIPS_THE_GRADIENT},
               _broken("test_huber_gradient")),
    Submission("misconception_armijo_plain_decrease", {"armijo_step": ARMIJO_PLAIN_DECREASE},
               _broken("test_armijo_step")),
    Submission("misconception_armijo_norm_not_squared", {"armijo_step": ARMIJO_NORM_NOT_SQUARED},
               _broken("test_armijo_step")),
    Submission("misconception_sgd_ignores_replace", {"sgd_epoch": SGD_IGNORES_REPLACE}, _broken("test_sgd_epoch")),
    Submission("misconception_sgd_global_random_draws", {"sgd_epoch": SGD_GLOBAL_RANDOM_DRAWS},
               _broken("test_sgd_epoch")),
    Submission("misconception_sgd_drops_last_batch", {"sgd_epoch": SGD_DROPS_THE_LAST_BATCH},
               _broken("test_sgd_epoch")),
    Submission("misconception_sgd_steps_from_epoch_start", {"sgd_epoch": SGD_STEPS_FROM_THE_START},
               _broken("test_sgd_epoch")),
    Submission("misconception_polyak_ignores_f_star", {"polyak_descent": POLYAK_IGNORES_F_STAR},
               _broken("test_polyak_descent")),
    Submission("wrong_polyak_norm_not_squared", {"polyak_descent": POLYAK_NORM_NOT_SQUARED},
               _broken("test_polyak_descent")),
    Submission("misconception_rates_kappa_formula", {"gd_rates": RATES_KAPPA_FORMULA}, _broken("test_gd_rates")),
    Submission("misconception_rates_flat_side_only", {"gd_rates": RATES_FLAT_SIDE_ONLY}, _broken("test_gd_rates")),
    Submission("misconception_rates_measured_from_the_start", {"gd_rates": RATES_MEASURED_FROM_THE_START},
               _broken("test_gd_rates")),
]
