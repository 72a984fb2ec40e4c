"""Simulated class for the backpropagation assignment (20 points).

Test cells and points: test_forward 2, test_cross_entropy_l2 3, test_backward_output 3,
test_backward_hidden 4, test_backward_l2 2, test_numerical_gradient 3, test_check_gradients 3.
The network has two ReLU hidden layers, a softmax output and an L2 penalty on the weights.
The backward tests feed the student's backward with a reference forward pass and compare
with tf.GradientTape at lambda = 0 (output and hidden layers) and with the penalty's own
gradient (test_backward_l2); check_gradients is graded with reference versions of the
other parts, so one wrong part costs only its own points.
"""

from simclass import Submission

RELU_ON_LOGITS = '''
def forward(X, params):
    # passes the logits through a ReLU as well
    H1 = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    H2 = np.maximum(H1 @ params["W2"] + params["b2"], 0.0)
    Z = np.maximum(H2 @ params["W3"] + params["b3"], 0.0)
    return Z, {"X": X, "H1": H1, "H2": H2, "Z": Z}
'''

PENALTY_WITHOUT_HALF = '''
def cross_entropy_l2(Z, labels, params, lam):
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    # the penalty is lam * ||W||^2, not lam / 2 * ||W||^2
    return float(-np.mean(log_p[np.arange(len(labels)), labels])
                 + lam * sum(np.sum(params[k] ** 2) for k in ("W1", "W2", "W3")))
'''

UNSTABLE_LOSS = '''
def cross_entropy_l2(Z, labels, params, lam):
    # the softmax as written: exp overflows for logits above about 709
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(labels)), labels]))
                 + 0.5 * lam * sum(np.sum(params[k] ** 2) for k in ("W1", "W2", "W3")))
'''

def _backward(softmax_lines, relu1="* (H1 > 0)", relu2="* (H2 > 0)", l2="lam * params", bias_l2=""):
    """A backward pass with one of its lines changed (the misconceptions below)."""
    return f'''
def backward(params, cache, labels, lam):
    X, H1, H2, Z = cache["X"], cache["H1"], cache["H2"], cache["Z"]
    n = len(labels)
{softmax_lines}
    D2 = (D3 @ params["W3"].T) {relu2}
    D1 = (D2 @ params["W2"].T) {relu1}
    return {{"W1": X.T @ D1 + {l2}["W1"], "b1": D1.sum(axis=0){bias_l2.format("b1")},
            "W2": H1.T @ D2 + {l2}["W2"], "b2": D2.sum(axis=0){bias_l2.format("b2")},
            "W3": H2.T @ D3 + {l2}["W3"], "b3": D3.sum(axis=0){bias_l2.format("b3")}}}
'''

STABLE = '''    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = P / P.sum(axis=1, keepdims=True)
    D3 = (P - np.eye(Z.shape[1])[labels]) / n'''

UNSTABLE = '''    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)  # overflows for large logits
    D3 = (P - np.eye(Z.shape[1])[labels]) / n'''

NO_ONE_HOT = '''    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    D3 = P / P.sum(axis=1, keepdims=True) / n  # forgets to subtract the one-hot labels'''

FORGETS_L2_GRADIENT = _backward(STABLE, l2="0.0 * params")
PENALISES_BIASES = _backward(STABLE, bias_l2=' + lam * params["{}"]')
NO_ONE_HOT_BACKWARD = _backward(NO_ONE_HOT)
MISSING_RELU_MASK = _backward(STABLE, relu1="")  # the first hidden layer's ReLU derivative forgotten
UNSTABLE_BACKWARD = _backward(UNSTABLE)

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
def check_gradients(X, labels, params, lam, eps=1e-6):
    grads = backward(params, forward(X, params)[1], labels, lam)
    errors = {}
    for name in params:
        # the loss never sees the perturbed value, so the numerical gradient is 0
        loss_of = lambda value: cross_entropy_l2(forward(X, params)[0], labels, params, lam)
        errors[name] = relative_error(numerical_gradient(loss_of, params[name], eps), grads[name])
    return errors
'''

CHECK_PENALTY_UNPERTURBED = '''
def check_gradients(X, labels, params, lam, eps=1e-6):
    grads = backward(params, forward(X, params)[1], labels, lam)
    errors = {}
    for name in params:
        # the network sees the perturbed parameter, the penalty still the original one
        loss_of = lambda value, name=name: cross_entropy_l2(forward(X, {**params, name: value})[0], labels, params, lam)
        errors[name] = relative_error(numerical_gradient(loss_of, params[name], eps), grads[name])
    return errors
'''

SYNTAX_ERROR = '''
def forward(X, params):
    H1 = np.maximum(X @ params["W1"] + params["b1"], 0.0
    H2 = np.maximum(H1 @ params["W2"] + params["b2"], 0.0)
    Z = H2 @ params["W3"] + params["b3"]
    return Z, {"X": X, "H1": H1, "H2": H2, "Z": Z}
'''

ALL_TESTS = {"test_forward", "test_cross_entropy_l2", "test_backward_output", "test_backward_hidden",
             "test_backward_l2", "test_numerical_gradient", "test_check_gradients"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_forward", {"forward": RELU_ON_LOGITS}, frozenset({"test_forward"})),
    Submission("wrong_loss_penalty", {"cross_entropy_l2": PENALTY_WITHOUT_HALF}, frozenset({"test_cross_entropy_l2"})),
    Submission("misconception_unstable_loss", {"cross_entropy_l2": UNSTABLE_LOSS}, frozenset({"test_cross_entropy_l2"})),
    Submission("misconception_forgets_l2_gradient", {"backward": FORGETS_L2_GRADIENT}, frozenset({"test_backward_l2"})),
    Submission("misconception_penalises_biases", {"backward": PENALISES_BIASES}, frozenset({"test_backward_l2"})),
    # The error at the logits is wrong, so every layer's gradient is; the penalty's share is still right.
    Submission("misconception_no_one_hot", {"backward": NO_ONE_HOT_BACKWARD},
               frozenset({"test_backward_output", "test_backward_hidden"})),
    Submission("misconception_missing_relu_mask", {"backward": MISSING_RELU_MASK}, frozenset({"test_backward_hidden"})),
    # Only the hidden test with logits in the hundreds overflows.
    Submission("misconception_unstable_softmax_gradient", {"backward": UNSTABLE_BACKWARD},
               frozenset({"test_backward_output"})),
    Submission("wrong_numerical_gradient", {"numerical_gradient": FIXED_EPS}, frozenset({"test_numerical_gradient"})),
    Submission("misconception_one_sided_difference", {"numerical_gradient": ONE_SIDED_DIFFERENCE},
               frozenset({"test_numerical_gradient"})),
    Submission("misconception_modifies_input", {"numerical_gradient": PERTURBS_INPUT_IN_PLACE},
               frozenset({"test_numerical_gradient"})),
    Submission("wrong_check_gradients", {"check_gradients": CHECK_IGNORES_PERTURBATION},
               frozenset({"test_check_gradients"})),
    Submission("misconception_check_penalty_unperturbed", {"check_gradients": CHECK_PENALTY_UNPERTURBED},
               frozenset({"test_check_gradients"})),
    # Without forward, the visible tests of the three backward cells (they use the forward test's
    # cache) and of check_gradients (it calls forward) fail too; the loss and the checker do not need it.
    Submission("syntax_error", {"forward": SYNTAX_ERROR},
               frozenset({"test_forward", "test_backward_output", "test_backward_hidden", "test_backward_l2",
                          "test_check_gradients"})),
]
