"""Simulated class for the neurons assignment (22 points).

Test cells and points: test_activations 4, test_derivatives 4, test_dense 2,
test_mlp_forward 3, test_perceptron 1, test_min_hidden_units 2,
test_separating_architectures 3, test_xor_network 3. Hidden tests swap in reference
activations and a reference dense layer, and the XOR test evaluates the network
itself, so one wrong part costs only its own points. Parts 6 and 7 give partial credit:
1 point per right width, and 3 * (right - wrong) / 14 for the 14 judgements of architectures.
"""

from simclass import Submission

_STABLE_REST = '''
def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def leaky_relu(x, slope=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, slope * x)
'''

NAIVE_SOFTPLUS = '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
''' + _STABLE_REST + '''

def softplus(x):
    # misconception: the textbook formula overflows to inf for large x
    return np.log(1.0 + np.exp(np.asarray(x, dtype=float)))
'''

LEAKY_IGNORES_SLOPE = '''
def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def tanh(x):
    return np.tanh(np.asarray(x, dtype=float))


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def leaky_relu(x, slope=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.01 * x)


def softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=float))
'''

_GOOD_DERIVATIVES = '''
def d_tanh(x):
    return 1.0 - tanh(x) ** 2


def d_relu(x):
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def d_softplus(x):
    return sigmoid(x)
'''

SIGMOID_DERIVATIVE_OF_X = '''
def d_sigmoid(x):
    # misconception: sigma(x) * (1 - x) instead of sigma(x) * (1 - sigma(x))
    return sigmoid(x) * (1.0 - x)


def d_leaky_relu(x, slope=0.01):
    return np.where(np.asarray(x) > 0, 1.0, slope)
''' + _GOOD_DERIVATIVES

LEAKY_DERIVATIVE_ZERO = '''
def d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def d_leaky_relu(x, slope=0.01):
    # treats leaky ReLU like ReLU on the negative side
    return np.where(np.asarray(x) > 0, 1.0, 0.0)
''' + _GOOD_DERIVATIVES

DENSE_NO_BIAS = '''
def dense(X, W, b, activation=None):
    # misconception: forgets the bias
    Z = X @ W
    return Z if activation is None else activation(Z)
'''

DENSE_BIAS_AFTER_ACTIVATION = '''
def dense(X, W, b, activation=None):
    Z = X @ W
    return (Z if activation is None else activation(Z)) + b
'''

MLP_ACTIVATES_OUTPUT = '''
def mlp_forward(X, layers, hidden_activation, output_activation=None):
    # applies the hidden activation after the last layer too
    A = X
    for W, b in layers:
        A = dense(A, W, b, hidden_activation)
    return A if output_activation is None else output_activation(A)
'''

PERCEPTRON_NO_BIAS = '''
def perceptron(x, w0, w, g=None):
    g = sigmoid if g is None else g
    return float(g(x @ w))


y_hat = perceptron(np.array([-1.0, 2.0]), 1.0, np.array([3.0, -2.0]))
'''

WIDTH_TWO_FOR_RINGS = '''
min_hidden_units = {"xor": 2, "rings": 2}
'''

DEPTH_INSTEAD_OF_WIDTH = '''
separates_xor = {"C", "D", "E", "G"}
# misconception: enough narrow layers make up for width
separates_rings = {"D", "E", "G"}
'''

OR_NETWORK = '''
W1 = np.array([[1.0, 1.0], [1.0, 1.0]])
b1 = np.array([0.0, -1.0])
W2 = np.array([[1.0], [-1.0]])
b2 = np.array([0.0])
'''

WIDTH_WITHOUT_NONLINEARITY = '''
# misconception: 100 units are enough, whatever their activation
separates_xor = {"C", "D", "E", "F", "G"}
separates_rings = {"D", "F", "G"}
'''

ANSWERS_NOT_INTEGERS = '''
min_hidden_units = {"xor": "2", "rings": 3}
'''

SYNTAX_ERROR = '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x)

def tanh(x):
    return np.tanh(x)
'''

ALL_TESTS = {"test_activations", "test_derivatives", "test_dense", "test_mlp_forward", "test_perceptron",
             "test_min_hidden_units", "test_separating_architectures", "test_xor_network"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_activations", {"activations": LEAKY_IGNORES_SLOPE}, frozenset({"test_activations"})),
    Submission("wrong_derivatives", {"derivatives": LEAKY_DERIVATIVE_ZERO}, frozenset({"test_derivatives"})),
    Submission("wrong_dense", {"dense": DENSE_BIAS_AFTER_ACTIVATION}, frozenset({"test_dense"})),
    Submission("wrong_mlp_forward", {"mlp_forward": MLP_ACTIVATES_OUTPUT}, frozenset({"test_mlp_forward"})),
    Submission("wrong_perceptron", {"perceptron": PERCEPTRON_NO_BIAS}, frozenset({"test_perceptron"})),
    Submission("wrong_min_hidden_units", {"min_hidden_units": WIDTH_TWO_FOR_RINGS},
               partial={"test_min_hidden_units": 1.0}),
    # One wrong judgement of fourteen: 3 * (13 - 1) / 14.
    Submission("wrong_separating_architectures", {"separating_architectures": DEPTH_INSTEAD_OF_WIDTH},
               partial={"test_separating_architectures": 3 * 12 / 14}),
    Submission("wrong_xor_network", {"xor_network": OR_NETWORK}, frozenset({"test_xor_network"})),
    # The syntax error leaves every activation undefined: the derivative tests (d_sigmoid calls
    # sigmoid) and the perceptron (g=None means sigmoid) fail with them; dense, the MLP (tested
    # with np.tanh) and the XOR network (evaluated inside its test) do not use them.
    Submission("syntax_error", {"activations": SYNTAX_ERROR},
               frozenset({"test_activations", "test_derivatives", "test_perceptron"})),
    Submission("misconception_sigmoid_derivative", {"derivatives": SIGMOID_DERIVATIVE_OF_X},
               frozenset({"test_derivatives"})),
    Submission("misconception_forgets_bias", {"dense": DENSE_NO_BIAS}, frozenset({"test_dense"})),
    # Two wrong judgements of fourteen: 3 * (12 - 2) / 14.
    Submission("misconception_width_without_nonlinearity", {"separating_architectures": WIDTH_WITHOUT_NONLINEARITY},
               partial={"test_separating_architectures": 3 * 10 / 14}),
    # A visible test fails (a string is not an integer): no partial credit.
    Submission("answers_not_integers", {"min_hidden_units": ANSWERS_NOT_INTEGERS}, frozenset({"test_min_hidden_units"})),
    Submission("misconception_unstable_softplus", {"activations": NAIVE_SOFTPLUS}, frozenset({"test_activations"})),
]
