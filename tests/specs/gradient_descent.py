"""Simulated class for the gradient-descent assignment (14 points).

Test cells and points: test_mse_gradient 3, test_gd_step 1, test_sgd_epoch 5,
test_train 3, test_max_stable_learning_rate 2. Hidden tests swap in reference
versions of earlier parts, so one wrong part costs only its own points.
"""

from simclass import Submission

SIGN_ERROR_GRADIENT = '''
def mse_gradient(theta, X, y):
    return 2.0 / X.shape[0] * (X.T @ (y - X @ theta))
'''

SUMMED_GRADIENT = '''
def mse_gradient(theta, X, y):
    # misconception: sums over the samples instead of averaging
    return 2.0 * (X.T @ (X @ theta - y))
'''

FORGETS_ETA = '''
def gd_step(theta, X, y, eta):
    return theta - mse_gradient(theta, X, y)
'''

NO_SHUFFLE = '''
def sgd_epoch(theta, X, y, eta, batch_size, rng):
    # misconception: walks through the data in stored order
    n = X.shape[0]
    for start in range(0, n, batch_size):
        batch = np.arange(start, min(start + batch_size, n))
        theta = theta - eta * mse_gradient(theta, X[batch], y[batch])
    return theta
'''

RESHUFFLES_EVERY_BATCH = '''
def sgd_epoch(theta, X, y, eta, batch_size, rng):
    # misconception: draws a fresh random batch each step, so an epoch is not one pass
    n = X.shape[0]
    for start in range(0, n, batch_size):
        batch = rng.permutation(n)[:batch_size]
        theta = theta - eta * mse_gradient(theta, X[batch], y[batch])
    return theta
'''

DROPS_THE_LAST_BATCH = '''
def sgd_epoch(theta, X, y, eta, batch_size, rng):
    # misconception: only full batches, so the samples of an incomplete last batch are never used
    n = X.shape[0]
    order = rng.permutation(n)
    for start in range(0, n - batch_size + 1, batch_size):
        batch = order[start:start + batch_size]
        theta = theta - eta * mse_gradient(theta, X[batch], y[batch])
    return theta
'''

STEPS_FROM_THE_START = '''
def sgd_epoch(theta, X, y, eta, batch_size, rng):
    # misconception: every batch's gradient is taken at the parameters the epoch started from
    n = X.shape[0]
    order = rng.permutation(n)
    start_theta = theta
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        theta = theta - eta * mse_gradient(start_theta, X[batch], y[batch])
    return theta
'''

NEW_GENERATOR_EACH_EPOCH = '''
def train(X, y, eta, epochs, batch_size, seed=0):
    theta = np.zeros(X.shape[1])
    losses = [float(np.mean((X @ theta - y) ** 2))]
    for _ in range(epochs):
        rng = np.random.default_rng(seed)  # every epoch repeats the same order
        theta = sgd_epoch(theta, X, y, eta, batch_size, rng)
        losses.append(float(np.mean((X @ theta - y) ** 2)))
    return theta, losses
'''

HALF_BOUND = '''
def max_stable_learning_rate(X):
    hessian = 2.0 / X.shape[0] * X.T @ X
    return float(1.0 / np.linalg.eigvalsh(hessian).max())
'''

SYNTAX_ERROR = '''
def mse_gradient(theta, X, y):
    return 2.0 / X.shape[0] * (X.T @ (X @ theta - y)
'''

ALL_TESTS = {"test_mse_gradient", "test_gd_step", "test_sgd_epoch", "test_train", "test_max_stable_learning_rate"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_mse_gradient", {"mse_gradient": SIGN_ERROR_GRADIENT}, frozenset({"test_mse_gradient"})),
    Submission("wrong_gd_step", {"gd_step": FORGETS_ETA}, frozenset({"test_gd_step"})),
    Submission("wrong_sgd_epoch", {"sgd_epoch": RESHUFFLES_EVERY_BATCH}, frozenset({"test_sgd_epoch"})),
    Submission("wrong_train", {"train": NEW_GENERATOR_EACH_EPOCH}, frozenset({"test_train"})),
    Submission("wrong_max_stable_learning_rate", {"max_stable_learning_rate": HALF_BOUND},
               frozenset({"test_max_stable_learning_rate"})),
    # A syntax error leaves mse_gradient undefined; every visible test that calls it fails.
    Submission("syntax_error", {"mse_gradient": SYNTAX_ERROR},
               frozenset(ALL_TESTS - {"test_max_stable_learning_rate"})),
    Submission("misconception_summed_gradient", {"mse_gradient": SUMMED_GRADIENT}, frozenset({"test_mse_gradient"})),
    Submission("misconception_no_shuffle", {"sgd_epoch": NO_SHUFFLE}, frozenset({"test_sgd_epoch"})),
    Submission("misconception_drops_last_batch", {"sgd_epoch": DROPS_THE_LAST_BATCH}, frozenset({"test_sgd_epoch"})),
    Submission("misconception_steps_from_epoch_start", {"sgd_epoch": STEPS_FROM_THE_START},
               frozenset({"test_sgd_epoch"})),
]
