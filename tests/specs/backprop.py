"""Simulated class for the backpropagation assignment (16 points).

Test cells and points: test_forward 2, test_bce_loss 1, test_backward_output 3,
test_backward_hidden 3, test_numerical_gradient 4, test_check_gradients 3.
The backward tests feed the student's backward with a reference forward pass and
compare with tf.GradientTape; check_gradients is graded with reference versions of
the other parts, so one wrong part costs only its own points.
"""

from simclass import Submission

SIGMOID_HIDDEN = '''
def forward(X, params):
    # uses the sigmoid in the hidden layer instead of tanh
    H = sigmoid(X @ params["W1"] + params["b1"])
    P = sigmoid(H @ params["W2"] + params["b2"])
    return P, {"X": X, "H": H, "P": P}
'''

LOSS_WITHOUT_NEGATIVES = '''
def bce_loss(P, y):
    # forgets the (1 - y) log(1 - P) term of the negative samples
    return float(-np.mean(y * np.log(P)))
'''

WRONG_TANH_DERIVATIVE = '''
def backward(params, cache, y):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dZ2 = (P - y) / X.shape[0]
    dZ1 = (dZ2 @ params["W2"].T) * (1.0 - H)
    return {"W2": H.T @ dZ2, "b2": dZ2.sum(axis=0), "W1": X.T @ dZ1, "b1": dZ1.sum(axis=0)}
'''

SUMMED_GRADIENT = '''
def backward(params, cache, y):
    X, H, P = cache["X"], cache["H"], cache["P"]
    dZ2 = P - y  # misconception: sums over the batch instead of averaging
    dZ1 = (dZ2 @ params["W2"].T) * (1.0 - H ** 2)
    return {"W2": H.T @ dZ2, "b2": dZ2.sum(axis=0), "W1": X.T @ dZ1, "b1": dZ1.sum(axis=0)}
'''

ONE_SIDED_DIFFERENCE = '''
def numerical_gradient(f, x, eps=1e-6):
    # misconception: the forward (one-sided) difference, error O(eps)
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (f(x + step) - f0) / eps
    return grad
'''

PERTURBS_INPUT_IN_PLACE = '''
def numerical_gradient(f, x, eps=1e-6):
    # perturbs the caller's array and never puts it back
    grad = np.zeros(np.shape(x))
    for i in range(grad.size):
        x.flat[i] += eps
        up = f(x)
        x.flat[i] -= 2 * eps
        grad.flat[i] = (up - f(x)) / (2 * eps)
    return grad
'''

FIXED_EPS = '''
def numerical_gradient(f, x, eps=1e-6):
    # ignores the eps it is given
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = 1e-6
        grad.flat[i] = (f(x + step) - f(x - step)) / 2e-6
    return grad
'''

CHECK_IGNORES_PERTURBATION = '''
def check_gradients(X, y, params, eps=1e-6):
    grads = backward(params, forward(X, params)[1], y)
    errors = {}
    for name in params:
        # the loss never sees the perturbed value, so the numerical gradient is 0
        loss_of = lambda value: bce_loss(forward(X, params)[0], y)
        errors[name] = relative_error(numerical_gradient(loss_of, params[name], eps), grads[name])
    return errors
'''

SYNTAX_ERROR = '''
def forward(X, params):
    H = np.tanh(X @ params["W1"] + params["b1"]
    P = sigmoid(H @ params["W2"] + params["b2"])
    return P, {"X": X, "H": H, "P": P}
'''

ALL_TESTS = {"test_forward", "test_bce_loss", "test_backward_output", "test_backward_hidden",
             "test_numerical_gradient", "test_check_gradients"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_forward", {"forward": SIGMOID_HIDDEN}, frozenset({"test_forward"})),
    Submission("wrong_bce_loss", {"bce_loss": LOSS_WITHOUT_NEGATIVES}, frozenset({"test_bce_loss"})),
    Submission("wrong_backward", {"backward": WRONG_TANH_DERIVATIVE}, frozenset({"test_backward_hidden"})),
    Submission("wrong_numerical_gradient", {"numerical_gradient": FIXED_EPS},
               frozenset({"test_numerical_gradient"})),
    Submission("wrong_check_gradients", {"check_gradients": CHECK_IGNORES_PERTURBATION},
               frozenset({"test_check_gradients"})),
    # Without forward, the visible tests of both backward cells (they use the forward test's
    # cache) and of check_gradients (it calls forward) fail too; the loss and the checker do not need it.
    Submission("syntax_error", {"forward": SYNTAX_ERROR},
               frozenset({"test_forward", "test_backward_output", "test_backward_hidden", "test_check_gradients"})),
    Submission("misconception_summed_gradient", {"backward": SUMMED_GRADIENT},
               frozenset({"test_backward_output", "test_backward_hidden"})),
    Submission("misconception_one_sided_difference", {"numerical_gradient": ONE_SIDED_DIFFERENCE},
               frozenset({"test_numerical_gradient"})),
    Submission("misconception_modifies_input", {"numerical_gradient": PERTURBS_INPUT_IN_PLACE},
               frozenset({"test_numerical_gradient"})),
]
