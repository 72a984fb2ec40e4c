"""Simulated class for the Euler-residuals assignment (15 points).

Test cells and points: test_model_functions 2, test_next_productivity 2,
test_steady_state_capital 2, test_euler_residual 5, test_train_step 4.
Hidden tests of euler_residual swap in reference versions of Parts 1 and 2 for its values,
and compare its gradient (taken in the student kernel) only when Parts 1 and 2 are right;
those of train_step compare it step by step with the reference only when the student's
euler_residual is right, and check properties otherwise. So a wrong part costs only its
own points unless a *visible* test of a later part calls it (the syntax error below).

Several mistakes leave the closed-form policy's residual at zero (with delta = 1 its
R'/c' does not depend on z' or on the policy tomorrow), so only the hidden comparison
with the reference on a state-dependent policy with delta < 1 catches them.
"""

from simclass import Submission

FORGETS_UNDEPRECIATED_CAPITAL = '''
def resources(k, z, alpha, delta):
    return z * k ** alpha + (1 - delta) * k


def gross_return(k, z, alpha, delta):
    # misconception: the return on capital is only its marginal product, without the 1 - delta left over
    return alpha * z * k ** (alpha - 1)
'''

SYNTAX_ERROR = '''
def resources(k, z, alpha, delta):
    return z * k ** alpha + (1 - delta) * k


def gross_return(k, z, alpha, delta):
    return alpha * z * k ** (alpha - 1) + 1 - delta)
'''

FORGETS_PERSISTENCE = '''
def next_productivity(z, rho, sigma, nodes):
    # drops rho: ln z' = ln z + sigma x
    return tf.exp(tf.math.log(z)[:, None] + sigma * nodes[None, :])
'''

FORGETS_EXPONENT = '''
def steady_state_capital(alpha, beta, delta):
    # solves for k_bar^(alpha - 1) but forgets to take the root
    return float(alpha * beta / (1 - beta * (1 - delta)))
'''

POLICY_AT_TODAYS_STATE = '''
def euler_residual(policy, k, z, params, nodes, weights):
    # timing error: tomorrow's savings rate is taken from today's state
    alpha, beta, delta = params["alpha"], params["beta"], params["delta"]
    y = resources(k, z, alpha, delta)
    s = policy(k, z)
    c, k_next = (1 - s) * y, s * y
    z_next = next_productivity(z, params["rho"], params["sigma"], nodes)
    k_next = tf.broadcast_to(k_next[:, None], tf.shape(z_next))
    c_next = (1 - s[:, None]) * resources(k_next, z_next, alpha, delta)
    expectation = tf.reduce_sum(weights[None, :] * gross_return(k_next, z_next, alpha, delta) / c_next, axis=1)
    return 1 - 1 / (beta * c * expectation)
'''

IGNORES_QUADRATURE_WEIGHTS = '''
def euler_residual(policy, k, z, params, nodes, weights):
    # misconception: averages over the nodes with equal weights instead of the quadrature weights
    alpha, beta, delta = params["alpha"], params["beta"], params["delta"]
    y = resources(k, z, alpha, delta)
    s = policy(k, z)
    c, k_next = (1 - s) * y, s * y
    z_next = next_productivity(z, params["rho"], params["sigma"], nodes)
    k_next = tf.broadcast_to(k_next[:, None], tf.shape(z_next))
    s_next = tf.reshape(policy(tf.reshape(k_next, [-1]), tf.reshape(z_next, [-1])), tf.shape(z_next))
    c_next = (1 - s_next) * resources(k_next, z_next, alpha, delta)
    expectation = tf.reduce_mean(gross_return(k_next, z_next, alpha, delta) / c_next, axis=1)
    return 1 - 1 / (beta * c * expectation)
'''

NUMPY_SUM = '''
def euler_residual(policy, k, z, params, nodes, weights):
    # misconception: np.sum turns the tensor into a NumPy array, so GradientTape loses the path through tomorrow
    alpha, beta, delta = params["alpha"], params["beta"], params["delta"]
    y = resources(k, z, alpha, delta)
    s = policy(k, z)
    c, k_next = (1 - s) * y, s * y
    z_next = next_productivity(z, params["rho"], params["sigma"], nodes)
    k_next = tf.broadcast_to(k_next[:, None], tf.shape(z_next))
    s_next = tf.reshape(policy(tf.reshape(k_next, [-1]), tf.reshape(z_next, [-1])), tf.shape(z_next))
    c_next = (1 - s_next) * resources(k_next, z_next, alpha, delta)
    expectation = np.sum(weights[None, :] * gross_return(k_next, z_next, alpha, delta) / c_next, axis=1)
    return 1 - 1 / (beta * c * expectation)
'''

SUMMED_LOSS = '''
def train_step(net, optimizer, k, z, params, nodes, weights):
    # misconception: sums the squared residuals instead of averaging them
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(euler_residual(net, k, z, params, nodes, weights) ** 2)
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply_gradients(zip(grads, net.trainable_variables))
    return float(loss)
'''

LOSS_AFTER_THE_STEP = '''
def train_step(net, optimizer, k, z, params, nodes, weights):
    # returns the loss after the update instead of the loss the gradient was taken of
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(euler_residual(net, k, z, params, nodes, weights) ** 2)
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply_gradients(zip(grads, net.trainable_variables))
    return float(tf.reduce_mean(euler_residual(net, k, z, params, nodes, weights) ** 2))
'''

ALL_TESTS = {"test_model_functions", "test_next_productivity", "test_steady_state_capital", "test_euler_residual",
             "test_train_step"}

SUBMISSIONS = [
    Submission("full_solution"),
    Submission("blank_release", blank=True, broken_tests=frozenset(ALL_TESTS)),
    Submission("wrong_model_functions", {"model_functions": FORGETS_UNDEPRECIATED_CAPITAL},
               frozenset({"test_model_functions"})),
    Submission("wrong_next_productivity", {"next_productivity": FORGETS_PERSISTENCE},
               frozenset({"test_next_productivity"})),
    Submission("wrong_steady_state_capital", {"steady_state_capital": FORGETS_EXPONENT},
               frozenset({"test_steady_state_capital"})),
    Submission("wrong_euler_residual", {"euler_residual": POLICY_AT_TODAYS_STATE}, frozenset({"test_euler_residual"})),
    Submission("wrong_train_step", {"train_step": LOSS_AFTER_THE_STEP}, frozenset({"test_train_step"})),
    # resources and gross_return stay undefined: the visible tests of euler_residual and train_step call them.
    Submission("syntax_error", {"model_functions": SYNTAX_ERROR},
               frozenset({"test_model_functions", "test_euler_residual", "test_train_step"})),
    Submission("misconception_ignores_quadrature_weights", {"euler_residual": IGNORES_QUADRATURE_WEIGHTS},
               frozenset({"test_euler_residual"})),
    # The gradient still reaches the network through today's consumption, so the visible tests pass (training
    # even lowers the loss); the hidden comparison of gradients with the reference catches it.
    Submission("misconception_numpy_in_residual", {"euler_residual": NUMPY_SUM}, frozenset({"test_euler_residual"})),
    Submission("misconception_summed_loss", {"train_step": SUMMED_LOSS}, frozenset({"test_train_step"})),
]
